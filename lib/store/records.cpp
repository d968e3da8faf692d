// A store's records: ingest batches, queries, subjects, repair, purge,
// stats. docs/storage.md documents the guarantees.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cctype>
#include <iterator>

#include "impl.hpp"

namespace xyd {

using namespace store_detail;

// ---------------------------------------------------------------- batches

struct store::batch::state {
  explicit state(store::impl *owner) : p(owner), tx(owner->db) {}
  store::impl *p;
  std::unique_lock<std::mutex> lock;
  write_tx tx;  // after the lock: rolled back (when still open) before the lock is released
  int64_t id = 0;
  std::unordered_map<std::string, int64_t> subject_ids;  // blind index -> id, this batch
  int64_t next_id = 1;                                    // the id the next new record gets
  struct fact_state {
    int64_t id, current_id;
    std::string current_as_of;
  };
  // Facts seen in this batch: a first load brings months of snapshots of
  // each fact, and after the first the fact is known without a look-up.
  std::unordered_map<std::string, fact_state> facts;
  std::string last_subject;                               // feeds come grouped by subject:
  bi_t last_subject_bi{};                                 // its blind index, computed once
  std::string plain, nonce;
};

store::batch::batch(std::unique_ptr<state> s) : s_(std::move(s)) {}
store::batch::batch(batch &&other) noexcept = default;
store::batch::~batch() = default;
int64_t store::batch::id() const noexcept { return s_ ? s_->id : 0; }

result<store::batch> store::begin_batch(const std::string &source_name) {
  auto s = std::make_unique<batch::state>(p_.get());
  s->lock = std::unique_lock(p_->mu);
  if (p_->read_only) return status(errc::read_only, "store: opened read-only; cannot ingest");
  if (auto st = s->tx.begin("starting a batch"); !st) return st;
  if (auto st = p_->check_key_current(true); !st) return st;
  p_->batch_ins.reset().bind(now_utc()).bind(source_name);
  if (int rc = p_->batch_ins.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "starting a batch");
  s->id = sqlite3_last_insert_rowid(p_->db);
  // Record ids are handed out here (the write lock is held), so that each
  // payload can be sealed to its row id before the row exists.
  stmt max_id;
  if (auto st = max_id.prepare(p_->db, "SELECT coalesce(max(id), 0) + 1 FROM records", "starting a batch"); !st)
    return st;
  if (int rc = max_id.step(); rc != SQLITE_ROW) return db_error(p_->db, rc, "starting a batch");
  s->next_id = max_id.integer(0);
  return batch(std::move(s));
}

result<store::batch::outcome> store::batch::put(const item_type &type, const json::value &record) {
  if (!s_ || !s_->tx.active()) return {errc::invalid_arg, "store: batch is closed"};
  impl &p = *s_->p;
  const json::value *subject = record.find("subject");
  const json::value *as_of = record.find("as_of");
  const json::value *data = record.find("data");
  if (!subject || !as_of || !data) return {errc::invalid_arg, "store: record lacks subject, as_of or data"};
  if (s_->last_subject != subject->text) {
    s_->last_subject = subject->text;
    s_->last_subject_bi = p.k->blind('s', subject->text);
  }
  const bi_t sbi = s_->last_subject_bi;
  const bi_t nk = p.k->blind('n', natural_key_text(type, subject->text, *data));

  // The subject and the fact (natural key), created on first sight.
  std::string sbi_key(reinterpret_cast<const char *>(sbi.data()), sbi.size());
  int64_t subject_id = 0;
  if (auto it = s_->subject_ids.find(sbi_key); it != s_->subject_ids.end()) {
    subject_id = it->second;
  } else {
    auto found = p.find_subject(sbi);
    if (!found) return found.error();
    subject_id = *found;
    if (!subject_id) {
      auto added = p.add_subject(sbi, subject->text);
      if (!added) return added.error();
      subject_id = *added;
    }
    s_->subject_ids.emplace(std::move(sbi_key), subject_id);
  }
  std::string nk_key(reinterpret_cast<const char *>(nk.data()), nk.size());
  auto fit = s_->facts.find(nk_key);
  if (fit == s_->facts.end()) {
    state::fact_state fs{0, 0, {}};
    p.fact_find.reset().bind(nk);
    int frc = p.fact_find.step();
    if (frc == SQLITE_ROW) {
      fs.id = p.fact_find.integer(0);
      fs.current_as_of = p.fact_find.text(1);
      fs.current_id = p.fact_find.integer(2);
    } else if (frc != SQLITE_DONE) {
      return db_error(p.db, frc, "finding a fact");
    }
    p.fact_find.reset();
    if (!fs.id) {
      p.fact_ins.reset().bind(nk).bind(subject_id).bind(type.id);
      if (frc = p.fact_ins.step(); frc != SQLITE_DONE) return db_error(p.db, frc, "storing a fact");
      fs.id = sqlite3_last_insert_rowid(p.db);
    }
    fit = s_->facts.emplace(std::move(nk_key), std::move(fs)).first;
  }
  auto &fact = fit->second;
  const int64_t fact_id = fact.id, current_id = fact.current_id;
  const std::string &current_as_of = fact.current_as_of;
  int rc;

  s_->plain.clear();
  json::dump_to(s_->plain, record);
  const bi_t hash = p.k->blind('c', s_->plain);
  const int64_t id = s_->next_id;
  std::string sealed = seal(p.k->payload, s_->plain, row_aad(id, type.id, sbi, as_of->text, 1, "active"), s_->nonce);
  const bool becomes_current = current_as_of.empty() || as_of->text > current_as_of;

  outcome result_kind = outcome::unchanged;
  p.ins.reset().bind(id).bind(fact_id).bind(subject_id).bind(type.id).bind(as_of->text).bind(hash)
      .bind_blob(s_->nonce.data(), s_->nonce.size()).bind_blob(sealed.data(), sealed.size()).bind(s_->id)
      .bind(int64_t{becomes_current});
  if (rc = p.ins.step(); rc != SQLITE_DONE) return db_error(p.db, rc, "storing a record");
  if (sqlite3_changes(p.db) == 1) {
    result_kind = outcome::inserted;
    ++s_->next_id;
    if (becomes_current) {
      if (current_id) {
        p.uncur.reset().bind(current_id);
        if (rc = p.uncur.step(); rc != SQLITE_DONE) return db_error(p.db, rc, "updating the current record");
      }
      p.cur.reset().bind(id).bind(as_of->text).bind(fact_id);
      if (rc = p.cur.step(); rc != SQLITE_DONE) return db_error(p.db, rc, "updating the current record");
      fact.current_id = id;
      fact.current_as_of = as_of->text;
    }
  } else {
    // The same fact and as_of is stored already.
    p.existing.reset().bind(fact_id).bind(as_of->text);
    if (rc = p.existing.step(); rc != SQLITE_ROW) return db_error(p.db, rc, "reading a stored record");
    const int64_t record_id = p.existing.integer(0);
    const bool same = p.existing.blob(1) == std::string_view(reinterpret_cast<const char *>(hash.data()), hash.size());
    const bool this_batch = p.existing.integer(2) == s_->id;
    const int64_t version = p.existing.integer(3) + 1;
    const std::string state(p.existing.text(4));
    if (!same && !this_batch) {
      // The new version keeps the row's state and follows its version:
      // both are read from the file, so the row is authenticated first (a
      // state set back there must not be sealed as the truth).
      std::string old_plain;
      auto st = impl::check_state_note(record_id, state, p.existing.integer(7) == 0);
      if (st) st = p.decrypt_row(record_id, type.id, sbi, as_of->text, version - 1, state, p.existing.blob(5),
                                 p.existing.blob(6), old_plain);
      sodium_memzero(old_plain.data(), old_plain.size());
      if (!st) {
        p.existing.reset();
        return st;
      }
    }
    p.existing.reset();
    if (!same && this_batch)
      return status(errc::validation,
                    "conflict: an earlier record of this batch has the same natural key and as_of with other content");
    if (!same) {
      // A new version (the one before cannot be written back), in the
      // row's state (a withdrawn record stays withdrawn).
      sealed = seal(p.k->payload, s_->plain, row_aad(record_id, type.id, sbi, as_of->text, version, state), s_->nonce);
      p.upd.reset().bind(hash).bind_blob(s_->nonce.data(), s_->nonce.size()).bind_blob(sealed.data(), sealed.size())
          .bind(s_->id).bind(version).bind(record_id);
      if (rc = p.upd.step(); rc != SQLITE_DONE) return db_error(p.db, rc, "updating a record");
      result_kind = outcome::updated;
    }
  }
  return result_kind;
}

status store::batch::commit(const std::string &summary_json, const counts &c) {
  if (!s_ || !s_->tx.active()) return {errc::invalid_arg, "store: batch is closed"};
  impl &p = *s_->p;
  p.batch_done.reset().bind(now_utc()).bind(summary_json).bind(s_->id);
  if (int rc = p.batch_done.step(); rc != SQLITE_DONE) return db_error(p.db, rc, "finishing a batch");
  {
    // The batch's counts (never a value) go to the audit log with it.
    audit_event e(audit_action::ingest);
    e.with("batch", s_->id).with("records", c.records).with("inserted", c.inserted).with("updated", c.updated);
    e.with("unchanged", c.unchanged).with("rejected", c.rejected);
    e.item_types = c.item_types;
    if (auto st = p.append_audit(e); !st) return st;
  }
  return s_->tx.commit("committing a batch");  // on failure, the destructor rolls back
}

// ---------------------------------------------------------------- queries

/// A row of a record query, its payload decrypted and authenticated; `pos`
/// its place in query order (rows of a query in rowid order come in
/// another order; filtered rows leave gaps).
struct store::impl::query_row {
  stmt &s;
  int64_t id;
  std::string_view type, as_of;
  bool current;
  std::string &plain;
  size_t pos;
  std::string_view state() const { return s.text(6); }
  bool has_repair() const { return !s.is_null(8); }
};

/// One pass over a subject's rows for a query: the subject looked up, the
/// category filter, each payload decrypted and authenticated, then the
/// query's audit entry (counting what the query returned). `each` gets the
/// rows in query order, or in rowid order when `by_rowid`: the ids are read
/// from the index first, then the rows by runs of consecutive ids, each run
/// one search of the table and steps from row to row (the rows of one feed
/// lie side by side), the two reads in one snapshot.
template <class F>
status store::impl::scan_rows(const record_query &q, bool by_rowid, F &&each) {
  store::impl &p = *this;
  const catalog *cat = p.cat.get();
  const bi_t sbi = p.k->blind('s', q.subject);
  // One snapshot for the subject, the key check and the rows: the subject's
  // lookup starts it, so that the key is checked against the state the rows
  // are read from (a rekey committed by another connection just before is
  // seen by the check, never only by the rows).
  read_tx snapshot(p.db, p.read_begin, p.read_commit);
  if (auto st = snapshot.begin("querying records"); !st) return st;
  auto subject_id = p.find_subject(sbi);
  if (!subject_id) return subject_id.error();
  if (auto st = p.check_key_current(false); !st) return st;
  std::vector<std::string> types;
  size_t count = 0;
  std::string plain;
  // One row of `s`: filtered, authenticated, handed on.
  auto row = [&](stmt &s, size_t pos) -> status {
    const std::string_view type = s.text(1);
    if (q.category) {
      const item_type *t = cat->find(type);
      if (!t || t->category != q.category) return status::ok();
    }
    const int64_t id = s.integer(0);
    const std::string_view as_of = s.text(2), state = s.text(6);
    if (auto st = impl::check_state_note(id, state, !s.is_null(8)); !st) return st;
    if (auto st = p.decrypt_row(id, type, sbi, as_of, s.integer(9), state, s.blob(4), s.blob(5), plain); !st) return st;
    if (plain.size() < 2 || plain.front() != '{' || plain.back() != '}')
      return status(errc::corrupt, "store: record " + std::to_string(id) + ": bad payload");
    // The current view: active records only, by their authenticated state.
    if (!q.history && state != "active") return status::ok();
    if (q.audit) {
      ++count;
      if (types.empty() || types.back() != type) types.emplace_back(type);
    }
    return each(query_row{s, id, type, as_of, s.integer(3) != 0, plain, pos});
  };
  auto scan = [&]() -> status {
    auto prepared = p.record_query_stmt(q, by_rowid);
    if (!prepared) return prepared.error();
    stmt &s = **prepared;
    s.reset().bind(*subject_id);
    if (!q.item_type.empty()) s.bind(q.item_type);
    int rc;
    size_t pos = 0;
    if (!by_rowid) {
      while ((rc = s.step()) == SQLITE_ROW)
        if (auto st = row(s, pos++); !st) {
          s.reset();
          return st;
        }
      s.reset();
      return rc == SQLITE_DONE ? status::ok() : db_error(p.db, rc, "querying records");
    }
    std::vector<std::pair<int64_t, size_t>> ids;  // (id, place in query order)
    ids.reserve(64);
    while ((rc = s.step()) == SQLITE_ROW) ids.emplace_back(s.integer(0), pos++);
    s.reset();
    if (rc != SQLITE_DONE) return db_error(p.db, rc, "querying records");
    std::sort(ids.begin(), ids.end());
    stmt &r = p.rows_by_id;
    for (size_t run = 0; run < ids.size();) {
      size_t last = run;
      while (last + 1 < ids.size() && ids[last + 1].first == ids[last].first + 1) ++last;
      r.reset().bind(ids[run].first).bind(ids[last].first);
      size_t at = run;
      while ((rc = r.step()) == SQLITE_ROW) {
        if (at > last || r.integer(0) != ids[at].first) {
          r.reset();
          return status(errc::corrupt, "store: record " + std::to_string(r.integer(0)) + " read out of order");
        }
        if (auto st = row(r, ids[at++].second); !st) {
          r.reset();
          return st;
        }
      }
      r.reset();
      if (rc != SQLITE_DONE) return db_error(p.db, rc, "querying records");
      if (at != last + 1) return status(errc::corrupt, "store: a record of the index is missing from the table");
      run = last + 1;
    }
    return status::ok();
  };
  if (*subject_id)
    if (auto st = scan(); !st) return st;
  if (auto st = snapshot.end(); !st) return st;
  if (q.audit) {
    audit_event e(audit_action::records);
    e.subject = q.subject;
    std::sort(types.begin(), types.end());  // in rowid order a type comes back more than once
    types.erase(std::unique(types.begin(), types.end()), types.end());
    e.item_types = std::move(types);
    e.with("records", count);
    if (*subject_id) e.with("history", q.history);
    return p.append_audit(e);
  }
  return status::ok();
}

status store::impl::open_repair(const query_row &r, std::string &note) {
  if (!open_sealed(k->payload, r.s.blob(8), r.s.blob(7), repair_aad(r.id, r.state()), note))
    return status(errc::corrupt, "store: repair note failed authentication");
  return status::ok();
}



result<std::string> store::records(const record_query &q) {
  std::lock_guard lock(p_->mu);
  std::string out = "[", note;
  const status st = p_->scan_rows(q, false, [&](const impl::query_row &r) -> status {
    // The payload is the record's canonical JSON object: the row's facts go first.
    if (out.size() > 1) out += ',';
    out += "{\"id\":";
    out += std::to_string(r.id);
    out += ",\"state\":\"";
    out += r.state();
    out += "\",\"current\":";
    out += r.current ? "true" : "false";
    if (r.has_repair()) {
      if (auto rs = p_->open_repair(r, note); !rs) return rs;
      out += ",\"repair\":";
      out += note;
    }
    out += ',';
    out.append(r.plain, 1, std::string::npos);
    return status::ok();
  });
  if (!st) return st;
  out += ']';
  return out;
}

result<std::vector<stored_record>> store::read(const record_query &q) {
  std::lock_guard lock(p_->mu);
  std::vector<stored_record> out;
  out.reserve(64);  // a small firm's current and history records; grows past that
  std::string note;
  const status st = p_->scan_rows(q, false, [&](const impl::query_row &r) -> status {
    auto doc = json::parse_in(r.plain);
    if (!doc) return status(errc::corrupt, "store: record " + std::to_string(r.id) + ": bad payload");
    auto rec = record_from_value(std::move(*doc));
    if (!rec) return status(errc::corrupt, "store: record " + std::to_string(r.id) + ": " + rec.error().message());
    stored_record &sr = out.emplace_back();
    static_cast<record &>(sr) = std::move(*rec);
    sr.id = r.id;
    sr.current = r.current;
    sr.state = parse_record_state(r.state()).value_or(record_state::active);
    if (r.has_repair()) {
      if (auto rs = p_->open_repair(r, note); !rs) return rs;
      auto n = json::parse_in(note);
      if (!n || !n->is(json::kind::object)) return status(errc::corrupt, "store: bad repair note");
      auto text = [&](const char *key) {
        const json::value *v = n->find(key);
        return v && v->is(json::kind::string) ? v->text : std::string();
      };
      sr.repair = repair_note{text("action"), text("reason"), text("date"), text("operator"), text("recorded_at")};
    }
    return status::ok();
  });
  if (!st) return st;
  return out;
}

namespace {
// The "data" object of a payload. The store writes a payload as the compact
// JSON of a validated record, whose members other than data are strings:
// the first `"data":` in it is that member's key (inside a string a quote
// is escaped), and when data is the last member — the payload ends "}}" —
// it runs to the closing brace without being walked. Otherwise the payload
// is walked (json::find_member). Empty: no data object.
std::string_view data_of(std::string_view payload) {
  constexpr std::string_view key = "\"data\":";
  if (const size_t at = payload.find(key); at != std::string_view::npos && payload.size() >= 2 &&
                                           payload.substr(payload.size() - 2) == "}}" &&
                                           payload[at + key.size()] == '{')
    return payload.substr(at + key.size(), payload.size() - 1 - (at + key.size()));
  auto data = json::find_member(payload, "data");
  return data && data->type == json::kind::object ? data->text : std::string_view();
}
}  // namespace

result<record_set> store::read_set(const record_query &q) {
  std::lock_guard lock(p_->mu);
  record_set set;
  set.subject_ = q.subject;
  // Offsets while the buffer grows; views once it is complete. The rows come
  // in rowid order (the fewest page searches), each with its place in query
  // order (item type, as_of descending, id), where it is put.
  struct row {
    size_t pos, type, type_len, as_of, as_of_len, payload, payload_len;
    int64_t id;
    bool current;
    record_state state;
  };
  std::vector<row> rows;
  rows.reserve(64);
  std::string &buf = set.buf_;
  const status st = p_->scan_rows(q, true, [&](const impl::query_row &r) -> status {
    row o{r.pos, buf.size(), r.type.size(), 0, r.as_of.size(), 0, r.plain.size(), r.id, r.current,
          parse_record_state(r.state()).value_or(record_state::active)};
    buf += r.type;
    o.as_of = buf.size();
    buf += r.as_of;
    o.payload = buf.size();
    buf += r.plain;
    rows.push_back(o);
    return status::ok();
  });
  if (!st) return st;
  buf.reserve(buf.size() + json::padding);  // json::find_member reads in place
  const std::string_view text = buf;
  std::sort(rows.begin(), rows.end(), [](const row &a, const row &b) { return a.pos < b.pos; });
  set.refs_.resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    record_ref &ref = set.refs_[i];
    const row &o = rows[i];
    ref.id = o.id;
    ref.current = o.current;
    ref.state = o.state;
    ref.type = text.substr(o.type, o.type_len);
    ref.as_of = text.substr(o.as_of, o.as_of_len);
    ref.payload = text.substr(o.payload, o.payload_len);
    ref.data = data_of(ref.payload);
    if (ref.data.empty())
      return status(errc::corrupt, "store: record " + std::to_string(ref.id) + ": bad payload (no data object)");
  }
  return set;
}

result<std::string> store::subjects(bool audit) {
  auto list = subject_list(audit);
  if (!list) return list.error();
  std::string out = "[";
  for (size_t i = 0; i < list->size(); ++i) {
    if (i) out += ',';
    json::append_quoted(out, (*list)[i]);
  }
  return out + "]";
}

result<std::vector<std::string>> store::subject_list(bool audit) {
  std::lock_guard lock(p_->mu);
  if (auto st = p_->check_key_current(false); !st) return st;
  stmt s;
  if (int rc = s.prepare(p_->db, "SELECT subject_bi, nonce, sealed FROM subjects"); rc != SQLITE_OK)
    return db_error(p_->db, rc, "listing subjects");
  std::vector<std::string> list;
  std::string plain;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (!open_sealed(p_->k->payload, s.blob(2), s.blob(1), subject_aad(to_bi(s.blob(0))), plain))
      return status(errc::corrupt, "store: a subject failed authentication");
    list.push_back(plain);
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "listing subjects");
  std::sort(list.begin(), list.end());
  if (audit) {
    audit_event e(audit_action::subjects);
    e.with("subjects", list.size());
    if (auto st = p_->append_audit(e); !st) return st;
  }
  return list;
}

status store::repair(const repair_request &r) {
  if (r.action != "withdraw" && r.action != "repair")
    return {errc::invalid_arg, "store: repair action must be \"withdraw\" or \"repair\""};
  if (r.reason.empty() || r.operator_name.empty())
    return {errc::invalid_arg, "store: a repair needs a reason and an operator"};
  if (!parse_date(r.date)) return {errc::invalid_arg, "store: repair date must be YYYY-MM-DD"};
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  const std::string_view new_state = r.action == "withdraw" ? "withdrawn" : "repaired";
  audit_event e(r.action == "withdraw" ? audit_action::withdraw : audit_action::repair);
  e.with("record", r.id);
  // The state is read, checked and changed in one write transaction: a
  // concurrent repair of the same record either sees it changed or waits.
  return p_->audited(e, "repairing", [&]() -> status {
    stmt s, u;
    if (auto st = s.prepare(p_->db,
                            "SELECT r.state, r.item_type, j.subject_bi, r.as_of, r.version, r.nonce, r.payload "
                            "FROM records r JOIN subjects j USING (subject_id) WHERE r.id = ?",
                            "repairing");
        !st)
      return st;
    s.bind(r.id);
    int rc = s.step();
    if (rc == SQLITE_DONE) return {errc::not_found, "store: no record with id " + std::to_string(r.id)};
    if (rc != SQLITE_ROW) return db_error(p_->db, rc, "repairing");
    if (s.text(0) != "active")
      return {errc::exists, "store: record " + std::to_string(r.id) + " is " + std::string(s.text(0)) + " already"};
    const std::string type(s.text(1)), as_of(s.text(3));
    const bi_t sbi = to_bi(s.blob(2));
    const int64_t version = s.integer(4);
    e.item_types = {type};
    e.subject_index = to_hex(sbi);
    // The payload is sealed again to its new version and state.
    std::string plain;
    if (auto st = p_->decrypt_row(r.id, type, sbi, as_of, version, "active", s.blob(5), s.blob(6), plain); !st) return st;
    s.reset();
    std::string nonce, note_nonce;
    const std::string sealed = seal(p_->k->payload, plain, row_aad(r.id, type, sbi, as_of, version + 1, new_state), nonce);
    sodium_memzero(plain.data(), plain.size());
    auto note = json::value::object();
    note.add("action", json::value::of_string(r.action));
    note.add("reason", json::value::of_string(r.reason));
    note.add("date", json::value::of_string(r.date));
    note.add("operator", json::value::of_string(r.operator_name));
    note.add("recorded_at", json::value::of_string(now_utc()));
    const std::string sealed_note = seal(p_->k->payload, json::dump(note), repair_aad(r.id, new_state), note_nonce);
    if (auto st = u.prepare(p_->db,
                            "UPDATE records SET state = ?, version = ?, nonce = ?, payload = ?, repair_nonce = ?, repair = ? "
                            "WHERE id = ? AND state = 'active' AND version = ?",
                            "repairing");
        !st)
      return st;
    u.bind(new_state).bind(version + 1).bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size())
        .bind_blob(note_nonce.data(), note_nonce.size()).bind_blob(sealed_note.data(), sealed_note.size())
        .bind(r.id).bind(version);
    if (int urc = u.step(); urc != SQLITE_DONE) return db_error(p_->db, urc, "repairing");
    if (sqlite3_changes(p_->db) != 1) return {errc::internal, "store: record " + std::to_string(r.id) + " changed while it was repaired"};
    return status::ok();
  });
}

namespace {
// After records went: each fact's newest remaining record becomes current;
// facts and subjects left without records go.
constexpr const char *recompute_current =
    "UPDATE facts SET current_id = (SELECT id FROM records r WHERE r.fact_id = facts.fact_id ORDER BY as_of DESC LIMIT 1),"
    " current_as_of = (SELECT max(as_of) FROM records r WHERE r.fact_id = facts.fact_id)"
    " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = facts.current_id);"
    "UPDATE records SET is_current = 1 WHERE is_current = 0 AND id IN (SELECT current_id FROM facts);"
    "DELETE FROM facts WHERE current_id IS NULL;"
    "DELETE FROM subjects WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.subject_id = subjects.subject_id);";
}  // namespace

result<std::string> store::purge(std::string_view before) {
  if (!parse_date(before)) return status(errc::invalid_arg, "store: purge cut-off must be YYYY-MM-DD");
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return status(errc::read_only, "store: opened read-only");
  int64_t deleted = 0;
  audit_event e(audit_action::purge);
  const status st = p_->audited(e, "purging", [&]() -> status {
    stmt del;
    if (auto ps = del.prepare(p_->db, "DELETE FROM records WHERE as_of < ?", "purging"); !ps) return ps;
    del.bind(before);
    if (int rc = del.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "purging");
    deleted = sqlite3_changes(p_->db);
    if (auto rs = p_->exec(recompute_current, "purging"); !rs) return rs;
    // Scores are computed from records: a subject with none left keeps none.
    if (auto rs = p_->exec("DELETE FROM scores WHERE NOT EXISTS "
                           "(SELECT 1 FROM records r WHERE r.subject_id = scores.subject_id)",
                           "purging");
        !rs)
      return rs;
    e.with("scores_deleted", static_cast<int64_t>(sqlite3_changes(p_->db)));
    e.with("before", std::string(before)).with("deleted", deleted);
    return status::ok();
  });
  if (!st) return st;
  return std::string("{\"before\":\"") + std::string(before) + "\",\"deleted\":" + std::to_string(deleted) + "}";
}

result<std::string> store::stats() {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (int rc = s.prepare(p_->db,
                         "SELECT item_type, count(*), sum(is_current AND state = 'active'), "
                         "sum(state = 'withdrawn'), sum(state = 'repaired') FROM records GROUP BY item_type ORDER BY 1");
      rc != SQLITE_OK)
    return db_error(p_->db, rc, "stats");
  int64_t records = 0, current = 0, withdrawn = 0, repaired = 0;
  std::string per_type = "{";
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (per_type.size() > 1) per_type += ',';
    json::append_quoted(per_type, s.text(0));
    per_type += ":{\"records\":" + std::to_string(s.integer(1)) + ",\"current\":" + std::to_string(s.integer(2)) + "}";
    records += s.integer(1);
    current += s.integer(2);
    withdrawn += s.integer(3);
    repaired += s.integer(4);
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "stats");
  per_type += '}';
  // The scalars, in the order they are reported; one that cannot be read reports -1.
  const char *const scalar_sql[] = {"PRAGMA user_version",
                                    "SELECT count(*) FROM subjects",
                                    "SELECT count(*) FROM facts",
                                    "SELECT count(*) FROM batches WHERE finished_at IS NOT NULL",
                                    "PRAGMA page_count",
                                    "PRAGMA page_size"};
  int64_t scalar[std::size(scalar_sql)];
  for (size_t i = 0; i < std::size(scalar_sql); ++i) {
    stmt q;
    if (auto st = q.prepare(p_->db, scalar_sql[i], "stats"); !st) return st;
    scalar[i] = q.step() == SQLITE_ROW ? q.integer(0) : -1;
  }
  std::string out = "{\"schema_version\":" + std::to_string(scalar[0]) + ",\"records\":" + std::to_string(records) +
                    ",\"current\":" + std::to_string(current) +
                    ",\"history\":" + std::to_string(records - current - withdrawn - repaired) +
                    ",\"withdrawn\":" + std::to_string(withdrawn) + ",\"repaired\":" + std::to_string(repaired) +
                    ",\"subjects\":" + std::to_string(scalar[1]) + ",\"facts\":" + std::to_string(scalar[2]) +
                    ",\"batches\":" + std::to_string(scalar[3]) + ",\"page_count\":" + std::to_string(scalar[4]) +
                    ",\"page_size\":" + std::to_string(scalar[5]) + ",\"per_type\":" + per_type + "}";
  return out;
}

result<std::string> store::integrity_check() {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (int rc = s.prepare(p_->db, "PRAGMA integrity_check"); rc != SQLITE_OK) return db_error(p_->db, rc, "integrity check");
  std::string out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (!out.empty()) out += '\n';
    out += s.text(0);
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "integrity check");
  return out;
}

}  // namespace xyd
