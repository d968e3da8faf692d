// Scoring support (docs/scoring.md): models, store settings, sealed score
// results.
// SPDX-License-Identifier: Apache-2.0
#include "impl.hpp"

namespace xyd {

using namespace store_detail;

status store::put_model(const stored_model &m) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  write_tx tx(p_->db);
  if (auto st = tx.begin("adding a model"); !st) return st;
  if (auto st = p_->check_key_current(true); !st) return st;
  stmt q;
  if (auto st = q.prepare(p_->db, "SELECT model_hash FROM models WHERE model_hash = ? OR (id = ? AND version = ?)",
                          "adding a model");
      !st)
    return st;
  q.bind(m.model_hash).bind(m.id).bind(m.version);
  int rc = q.step();
  if (rc == SQLITE_ROW) {
    const bool same = q.text(0) == m.model_hash;
    q.reset();
    tx.rollback();
    if (same) return status::ok();
    return {errc::exists, "store: model " + m.id + " version " + m.version + " exists with another content"};
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "adding a model");
  q.reset();
  stmt ins;
  if (auto st =
          ins.prepare(p_->db,
                      "INSERT INTO models (model_hash, id, version, format, content, signed_by, signature, added_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "adding a model");
      !st)
    return st;
  ins.bind(m.model_hash).bind(m.id).bind(m.version).bind(m.format).bind(m.content);
  if (m.signed_by.empty()) ins.bind_blob(nullptr, 0).bind_blob(nullptr, 0);
  else ins.bind(m.signed_by).bind(m.signature);
  ins.bind(now_utc());
  if (rc = ins.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "adding a model");
  audit_event e(audit_action::model);
  e.with("id", m.id).with("version", m.version).with("model_hash", m.model_hash).with("signed", !m.signed_by.empty());
  if (auto st = p_->append_audit(e); !st) return st;
  return tx.commit("adding a model");
}

result<std::optional<store::stored_model>> store::get_model(std::string_view id, std::string_view version) {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (version.empty()) {
    if (auto st =
            s.prepare(p_->db,
                      "SELECT id, version, model_hash, format, content, signed_by, added_at, signature FROM models "
                      "WHERE id = ? ORDER BY seq DESC LIMIT 1",
                      "finding a model");
        !st)
      return st;
    s.bind(id);
  } else {
    if (auto st =
            s.prepare(p_->db,
                      "SELECT id, version, model_hash, format, content, signed_by, added_at, signature FROM models "
                      "WHERE id = ? AND version = ?",
                      "finding a model");
        !st)
      return st;
    s.bind(id).bind(version);
  }
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<stored_model>();
  if (rc != SQLITE_ROW) return db_error(p_->db, rc, "finding a model");
  stored_model m{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                 std::string(s.text(4)), std::string(s.text(5)), std::string(s.text(6)), std::string(s.text(7))};
  return std::optional<stored_model>(std::move(m));
}

result<std::string> store::models() {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (auto st =
          s.prepare(p_->db, "SELECT id, version, model_hash, format, signed_by, added_at FROM models ORDER BY seq",
                    "listing models");
      !st)
    return st;
  std::string out = "[";
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (out.size() > 1) out += ',';
    const char *names[] = {"id", "version", "model_hash", "format", "signed_by", "added_at"};
    for (int i = 0; i < 6; ++i) {
      out += i ? ",\"" : "{\"";
      out += names[i];
      out += "\":";
      if (s.is_null(i)) out += "null";
      else json::append_quoted(out, s.text(i));
    }
    out += '}';
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "listing models");
  return out + "]";
}

status store::set_setting(std::string_view key, std::string_view value) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  write_tx tx(p_->db);
  if (auto st = tx.begin("changing a setting"); !st) return st;
  if (auto st = p_->check_key_current(true); !st) return st;
  stmt s;
  if (auto st = s.prepare(
          p_->db, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          "changing a setting");
      !st)
    return st;
  const std::string k = "setting." + std::string(key);
  s.bind(k).bind(value);
  if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "changing a setting");
  s.reset();
  return tx.commit("changing a setting");
}

result<std::optional<std::string>> store::setting(std::string_view key) {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (auto st = s.prepare(p_->db, "SELECT value FROM meta WHERE key = ?", "reading a setting"); !st) return st;
  const std::string k = "setting." + std::string(key);
  s.bind(k);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return db_error(p_->db, rc, "reading a setting");
  return std::optional<std::string>(std::string(s.text(0)));
}

status store::put_scores(const std::vector<score_row> &rows) {
  if (rows.empty()) {
    std::lock_guard lock(p_->mu);
    return p_->read_only ? status(errc::read_only, "store: opened read-only") : status::ok();
  }
  size_t i = 0;
  return put_scores(rows.size(), rows[0].model_hash, [&](score_row &r) -> status {
    r = rows[i++];
    return status::ok();
  });
}

status store::put_scores(size_t count, std::string_view model_hash, const std::function<status(score_row &)> &next) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  if (count == 0) return status::ok();
  audit_event e(audit_action::score);
  e.with("subjects", count).with("model_hash", std::string(model_hash));
  return p_->audited(e, "keeping scores", [&]() -> status {
    stmt last, ins;
    // The table's AUTOINCREMENT counter: an id is never handed out again,
    // even after the newest row is deleted.
    if (auto st = last.prepare(p_->db,
                               "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'scores'), 0), "
                               "coalesce((SELECT max(id) FROM scores), 0)) + 1",
                               "keeping scores");
        !st)
      return st;
    if (int rc = last.step(); rc != SQLITE_ROW) return db_error(p_->db, rc, "keeping scores");
    int64_t id = last.integer(0);
    last.reset();
    if (auto st = ins.prepare(p_->db,
                              "INSERT INTO scores (id, subject_id, model_hash, scored_at, nonce, sealed) "
                              "VALUES (?, ?, ?, ?, ?, ?)",
                              "keeping scores");
        !st)
      return st;
    const std::string at = now_utc();
    std::string nonce, sealed, packed;
    score_packer packer;
    score_row r;
    for (size_t i = 0; i < count; ++i) {
      if (auto st = next(r); !st) return st;
      if (r.model_hash != model_hash) return {errc::invalid_arg, "store: the scores of one call have one model hash"};
      if (count == 1) e.subject = r.subject;
      const bi_t sbi = p_->k->blind('s', r.subject);
      auto sid = p_->find_subject(sbi);
      if (!sid) return sid.error();
      if (!*sid) return {errc::not_found, "store: a scored subject is not in the store"};
      if (!packer.pack(r.result_json, packed)) return {errc::internal, "store: compressing a score failed"};
      seal_into(p_->k->payload, packed, score_aad(id, sbi, r.model_hash, at), nonce, sealed);
      ins.reset().bind(id).bind(*sid).bind(r.model_hash).bind(at).bind_blob(nonce.data(), nonce.size())
          .bind_blob(sealed.data(), sealed.size());
      if (int rc = ins.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "keeping scores");
      ++id;
    }
    return status::ok();
  });
}

result<std::string> store::scores(std::string_view subject, std::string_view model_hash) {
  std::lock_guard lock(p_->mu);
  if (auto st = p_->check_key_current(false); !st) return st;
  const bi_t sbi = p_->k->blind('s', subject);
  auto sid = p_->find_subject(sbi);
  if (!sid) return sid.error();
  // Kept scores are personal data: reading them is an entry of its own.
  audit_event e(audit_action::scores);
  e.subject = std::string(subject);
  if (!*sid) {
    e.with("results", 0);
    if (auto st = p_->append_audit(e); !st) return st;
    return std::string("[]");
  }
  stmt s;
  if (model_hash.empty()) {
    if (auto st =
            s.prepare(p_->db, "SELECT id, scored_at, nonce, sealed, model_hash FROM scores WHERE subject_id = ? ORDER BY id DESC",
                      "reading scores");
        !st)
      return st;
    s.bind(*sid);
  } else {
    if (auto st = s.prepare(
            p_->db,
            "SELECT id, scored_at, nonce, sealed, model_hash FROM scores WHERE subject_id = ? AND model_hash = ? ORDER BY id DESC",
            "reading scores");
        !st)
      return st;
    s.bind(*sid).bind(model_hash);
  }
  std::string out = "[", plain, scratch;
  int64_t results = 0;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (!open_sealed(p_->k->payload, s.blob(3), s.blob(2), score_aad(s.integer(0), sbi, s.text(4), s.text(1)), plain))
      return status(errc::corrupt, "store: kept score " + std::to_string(s.integer(0)) +
                                       " failed authentication (tampered with: moved from another subject, its model "
                                       "or time changed)");
    if (!unpack_score(plain, scratch) || plain.size() < 2 || plain.back() != '}')
      return status(errc::corrupt, "store: kept score " + std::to_string(s.integer(0)) + " is not a score result");
    if (out.size() > 1) out += ',';
    ++results;
    out += "{\"scored_at\":";
    json::append_quoted(out, s.text(1));
    out += ',';
    out.append(plain, 1, std::string::npos);
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "reading scores");
  e.with("results", results);
  if (auto st = p_->append_audit(e); !st) return st;
  return out + "]";
}

}  // namespace xyd
