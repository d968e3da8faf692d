// Rekeying: every sealed value and blind index of a store, re-made under a
// new master key in one transaction.
// SPDX-License-Identifier: Apache-2.0
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "impl.hpp"

namespace xyd {

using namespace store_detail;

// Subjects first: their new blind indexes are needed for the records' AAD.
status store::impl::rekey_subjects(const key_set &next, subject_bi_map &subject_bis) {
  stmt s, u;
  if (auto st = s.prepare(db, "SELECT subject_id, subject_bi, nonce, sealed FROM subjects", "rekeying"); !st) return st;
  if (auto st =
          u.prepare(db, "UPDATE subjects SET subject_bi = ?, nonce = ?, sealed = ? WHERE subject_id = ?", "rekeying");
      !st)
    return st;
  std::string plain, nonce;
  std::vector<std::tuple<int64_t, bi_t, std::string>> all;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    const bi_t old_bi = to_bi(s.blob(1));
    if (!open_sealed(k->payload, s.blob(3), s.blob(2), subject_aad(old_bi), plain))
      return {errc::corrupt, "store: a subject failed authentication"};
    all.emplace_back(s.integer(0), old_bi, plain);
  }
  if (rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
  s.reset();
  for (const auto &[id, old_bi, subject] : all) {
    const bi_t new_bi = next.blind('s', subject);
    const std::string sealed = seal(next.payload, subject, subject_aad(new_bi), nonce);
    u.reset().bind(new_bi).bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size()).bind(id);
    if (int urc = u.step(); urc != SQLITE_DONE) return db_error(db, urc, "rekeying");
    subject_bis[id] = {old_bi, new_bi};
  }
  return status::ok();
}

// Records, 512 at a time in id order: payloads, content hashes, repair notes,
// then the facts' natural-key indexes.
status store::impl::rekey_records(const key_set &next, const subject_bi_map &subject_bis) {
  const catalog *cat = this->cat.get();
  stmt sel, upd, fact;
  if (auto st = sel.prepare(
          db,
          "SELECT id, item_type, subject_id, as_of, nonce, payload, repair_nonce, repair, fact_id, version, state FROM records "
          "WHERE id > ? ORDER BY id LIMIT 512",
          "rekeying");
      !st)
    return st;
  if (auto st = upd.prepare(
          db, "UPDATE records SET content_hash = ?, nonce = ?, payload = ?, repair_nonce = ?, repair = ? WHERE id = ?",
          "rekeying");
      !st)
    return st;
  if (auto st = fact.prepare(db, "UPDATE facts SET nk_bi = ? WHERE fact_id = ?", "rekeying"); !st) return st;
  std::unordered_map<int64_t, bi_t> new_nk;  // fact id -> new natural-key index (facts are renamed after the loop)
  std::string plain, repair, nonce, repair_nonce;
  int64_t last = 0;
  for (;;) {
    struct row {
      int64_t id, subject_id, fact_id;
      std::string type, as_of, nonce, payload, repair_nonce, repair;
      bool has_repair;
      int64_t version;
      std::string state;
    };
    std::vector<row> rows;
    sel.reset().bind(last);
    int rc;
    while ((rc = sel.step()) == SQLITE_ROW)
      rows.push_back({sel.integer(0), sel.integer(2), sel.integer(8), std::string(sel.text(1)), std::string(sel.text(3)),
                      std::string(sel.blob(4)), std::string(sel.blob(5)), std::string(sel.blob(6)), std::string(sel.blob(7)),
                      !sel.is_null(7), sel.integer(9), std::string(sel.text(10))});
    if (rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
    if (rows.empty()) break;
    for (auto &r : rows) {
      last = r.id;
      const auto &[old_sbi, new_sbi] = subject_bis.at(r.subject_id);
      if (auto st = decrypt_row(r.id, r.type, old_sbi, r.as_of, r.version, r.state, r.nonce, r.payload, plain); !st) return st;
      auto doc = json::parse(plain);
      const item_type *t = cat->find(r.type);
      if (!doc || !doc->find("subject") || !doc->find("data")) return {errc::corrupt, "store: bad payload"};
      if (!t)
        return {errc::not_found,
                "store: item type " + r.type + " is not in the catalog in force; load its extension first"};
      const bi_t nk = next.blind('n', natural_key_text(*t, doc->find("subject")->text, *doc->find("data")));
      new_nk[r.fact_id] = nk;
      const std::string sealed = seal(next.payload, plain, row_aad(r.id, r.type, new_sbi, r.as_of, r.version, r.state), nonce);
      std::string sealed_repair;
      if (r.has_repair) {
        if (!open_sealed(k->payload, r.repair, r.repair_nonce, repair_aad(r.id, r.state), repair))
          return {errc::corrupt, "store: record " + std::to_string(r.id) + ": repair note failed authentication"};
        sealed_repair = seal(next.payload, repair, repair_aad(r.id, r.state), repair_nonce);
      }
      upd.reset().bind(next.blind('c', plain)).bind_blob(nonce.data(), nonce.size());
      upd.bind_blob(sealed.data(), sealed.size());
      // A NULL pointer binds SQL NULL: no repair note.
      if (r.has_repair) upd.bind_blob(repair_nonce.data(), repair_nonce.size()).bind_blob(sealed_repair.data(), sealed_repair.size());
      else upd.bind_blob(nullptr, 0).bind_blob(nullptr, 0);
      upd.bind(r.id);
      if (int urc = upd.step(); urc != SQLITE_DONE) return db_error(db, urc, "rekeying");
    }
  }
  for (const auto &[fact_id, nk] : new_nk) {
    fact.reset().bind(nk).bind(fact_id);
    if (int rc = fact.step(); rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
  }
  return status::ok();
}

// The pseudonym key is carried over, sealed anew; the key check is the new key's.
status store::impl::rekey_meta(const key_set &next) {
  {
    stmt pk;
    if (auto st = pk.prepare(db, "SELECT value FROM meta WHERE key = 'pseudonym_key'", "rekeying"); !st) return st;
    if (pk.step() == SQLITE_ROW) {
      const std::string_view v = pk.blob(0);
      const size_t n = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
      std::string key;
      if (v.size() < n || !open_sealed(k->payload, v.substr(n), v.substr(0, n), pseudonym_aad, key))
        return {errc::corrupt, "store: the pseudonym key failed authentication"};
      std::string nonce2;
      const std::string value = [&] {
        const std::string sealed = seal(next.payload, key, pseudonym_aad, nonce2);
        return nonce2 + sealed;
      }();
      sodium_memzero(key.data(), key.size());
      pk.reset();
      stmt up;
      if (auto st = up.prepare(db, "UPDATE meta SET value = ? WHERE key = 'pseudonym_key'", "rekeying"); !st) return st;
      up.bind_blob(value.data(), value.size());
      if (int rc = up.step(); rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
    }
  }
  const auto check = next.key_check();
  stmt m;
  if (auto st = m.prepare(db, "UPDATE meta SET value = ? WHERE key = 'key_check'", "rekeying"); !st) return st;
  m.bind_blob(check.data(), check.size());
  if (int rc = m.step(); rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
  return write_schema_mac(next, schema_version);
}

// Score results are sealed to their row and subject: open and seal anew,
// under the subject's new blind index.
status store::impl::rekey_scores(const key_set &next, const subject_bi_map &subject_bis) {
  stmt s, u;
  if (auto st = s.prepare(db, "SELECT id, subject_id, nonce, sealed, model_hash, scored_at FROM scores", "rekeying"); !st)
    return st;
  struct kept {
    int64_t id;
    bi_t new_bi;
    std::string text, model_hash, scored_at;
  };
  std::vector<kept> all;
  std::string plain;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto it = subject_bis.find(s.integer(1));
    if (it == subject_bis.end()) return {errc::corrupt, "store: a kept score belongs to no subject"};
    if (!open_sealed(k->payload, s.blob(3), s.blob(2), score_aad(s.integer(0), it->second.first, s.text(4), s.text(5)),
                     plain))
      return {errc::corrupt, "store: kept score " + std::to_string(s.integer(0)) + " failed authentication"};
    all.push_back({s.integer(0), it->second.second, plain, std::string(s.text(4)), std::string(s.text(5))});
  }
  if (rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
  s.reset();
  if (auto st = u.prepare(db, "UPDATE scores SET nonce = ?, sealed = ? WHERE id = ?", "rekeying"); !st) return st;
  std::string nonce3;
  for (const auto &k2 : all) {
    const std::string sealed = seal(next.payload, k2.text, score_aad(k2.id, k2.new_bi, k2.model_hash, k2.scored_at), nonce3);
    u.reset().bind_blob(nonce3.data(), nonce3.size()).bind_blob(sealed.data(), sealed.size()).bind(k2.id);
    if (int urc = u.step(); urc != SQLITE_DONE) return db_error(db, urc, "rekeying");
  }
  return status::ok();
}

namespace {
std::string bi_key(const bi_t &b) { return std::string(reinterpret_cast<const char *>(b.data()), b.size()); }
}  // namespace

// Revocations: each one's blind index computed again under the new key from
// what it revokes, kept sealed beside it (schema 7). A revocation from before
// keeps only its index; what it revokes is found in the audit log's revoke
// entries (the jti; the subject's blind index, whose subject the subjects
// table holds, and the audience), matched by computing the index under the
// current key. One that cannot be found refuses the rekey: carrying it over
// as it is would let the consent it revoked release data again.
status store::impl::rekey_revocations(const key_set &next) {
  // A set damaged in the file is refused, not carried over under the new key.
  if (auto st = load_revocations(nullptr); !st) return st;
  struct row {
    std::string key_bi, kind, value;
    int64_t revoked_at;
    bool known;
  };
  std::vector<row> rows;
  size_t legacy = 0;
  {
    stmt s;
    if (auto st = s.prepare(db, "SELECT key_bi, kind, revoked_at, nonce, sealed FROM revocations", "rekeying"); !st) return st;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      row &r = rows.emplace_back();
      r.key_bi = std::string(s.blob(0));
      r.kind = std::string(s.text(1));
      r.revoked_at = s.integer(2);
      r.known = !s.is_null(4);
      // Sealed to its kind, index and time, and the index is the value's:
      // a value copied from another row, or a changed time, is refused.
      if (r.known && (!open_sealed(k->payload, s.blob(4), s.blob(3), revocation_aad(r.kind, to_bi(r.key_bi), r.revoked_at), r.value) ||
                      bi_key(k->blind(r.kind == "token" ? 'j' : 'g', r.value)) != r.key_bi))
        return {errc::corrupt, "store: a revocation failed authentication (its row was changed)"};
      if (!r.known) ++legacy;
    }
    if (rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
  }
  if (legacy) {
    // What the audit log says was revoked, by its index under the current key.
    std::unordered_map<std::string, std::string> revoked;
    stmt a, subj;
    if (auto st = a.prepare(db, "SELECT entry FROM audit WHERE entry LIKE '%\"action\":\"revoke\"%'", "rekeying"); !st)
      return st;
    if (auto st = subj.prepare(db, "SELECT subject_bi, nonce, sealed FROM subjects WHERE hex(subject_bi) = upper(?)", "rekeying");
        !st)
      return st;
    auto text_of = [](std::string_view entry, std::string_view key) -> std::optional<std::string> {
      auto m = json::find_member(entry, key);  // an entry the store wrote
      if (!m || m->type != json::kind::string) return std::nullopt;
      return std::string(m->text);
    };
    int rc;
    while ((rc = a.step()) == SQLITE_ROW) {
      const std::string entry(a.text(0));
      if (auto jti = text_of(entry, "jti")) revoked.emplace(bi_key(k->blind('j', *jti)), *jti);
      auto subject_hex = text_of(entry, "subject");
      auto audience = text_of(entry, "audience");
      if (!subject_hex || !audience) continue;
      subj.reset().bind(*subject_hex);
      if (subj.step() == SQLITE_ROW) {
        std::string subject;
        if (open_sealed(k->payload, subj.blob(2), subj.blob(1), subject_aad(to_bi(subj.blob(0))), subject)) {
          const std::string grant = grant_text(subject, *audience);
          revoked.emplace(bi_key(k->blind('g', grant)), grant);
        }
      }
      subj.reset();
    }
    if (rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
    size_t lost = 0;
    for (auto &r : rows) {
      if (r.known) continue;
      auto it = revoked.find(r.key_bi);
      if (it == revoked.end()) {
        ++lost;
        continue;
      }
      r.value = it->second;
      r.known = true;
    }
    if (lost)
      return {errc::validation, "store: rekey refused: " + std::to_string(lost) +
                                    " revocation(s) made before schema 7 keep only their index and are not in the audit "
                                    "log; revoke them again (xyd consent revoke), then rekey. Nothing was changed"};
  }
  stmt del, ins;
  if (auto st = del.prepare(db, "DELETE FROM revocations", "rekeying"); !st) return st;
  if (int rc = del.step(); rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
  if (auto st = ins.prepare(db, "INSERT INTO revocations (key_bi, kind, revoked_at, nonce, sealed) VALUES (?, ?, ?, ?, ?)",
                            "rekeying");
      !st)
    return st;
  std::string nonce;
  for (const auto &r : rows) {
    const bi_t key = next.blind(r.kind == "token" ? 'j' : 'g', r.value);
    const std::string sealed = seal(next.payload, r.value, revocation_aad(r.kind, key, r.revoked_at), nonce);
    ins.reset().bind(key).bind(r.kind).bind(r.revoked_at).bind_blob(nonce.data(), nonce.size())
        .bind_blob(sealed.data(), sealed.size());
    if (int rc = ins.step(); rc != SQLITE_DONE) return db_error(db, rc, "rekeying");
  }
  return write_revocations_mac(next);
}

status store::rekey(const master_key &new_key) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  if (const char *why = new_key.weakness()) return {errc::key, std::string("store: refusing to rekey under a weak key: ") + why};
  // A new salt with the new key (a store made before salts gains one here).
  unsigned char salt[key_set::salt_bytes];
  randombytes_buf(salt, sizeof salt);
  const std::string_view salt_text(reinterpret_cast<const char *>(salt), sizeof salt);
  auto next = std::make_unique<key_set>(new_key, salt_text);
  impl::subject_bi_map subject_bis;  // id -> (old, new)
  audit_event e(audit_action::rekey);
  ++p_->keyring_generation;  // keyed values change: verifiers start again
  const status st = p_->audited(e, "rekeying", [&]() -> status {
    // Revocations first: the legacy ones are found through the subjects
    // table as it is under the current key.
    if (auto rs = p_->rekey_revocations(*next); !rs) return rs;
    if (auto rs = p_->rekey_subjects(*next, subject_bis); !rs) return rs;
    if (auto rs = p_->rekey_records(*next, subject_bis); !rs) return rs;
    if (auto rs = p_->rekey_meta(*next); !rs) return rs;
    if (auto rs = p_->rekey_scores(*next, subject_bis); !rs) return rs;
    stmt ms;
    if (auto ps = ms.prepare(p_->db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('kdf_salt', ?)", "rekeying"); !ps)
      return ps;
    ms.bind_blob(salt, sizeof salt);
    if (int rc = ms.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "rekeying");
    e.with("subjects", subject_bis.size());
    return status::ok();
  });
  // The handle's revocation sets hold indexes under one key or the other:
  // reloaded at the next check (also when the rekey failed and rolled back).
  p_->revoked_tokens.clear();
  p_->revoked_grants.clear();
  p_->revocations_version = -1;
  p_->keyring_changes = -1;
  if (!st) return st;
  std::swap(p_->k, next);
  p_->own_key_check = p_->k->key_check();
  p_->master = new_key;
  return status::ok();
}

}  // namespace xyd
