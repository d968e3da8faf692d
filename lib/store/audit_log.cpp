// The audit log (docs/audit.md): append-only, hash-chained, with signed
// checkpoints.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstring>

#include "impl.hpp"

namespace xyd {

using namespace store_detail;

namespace {

// An entry's text (xyd/audit_event.hpp's one encoder), the subject as its
// blind index.
std::string audit_entry(int64_t seq, const std::string &actor, const audit_event &e, const key_set &k) {
  const std::string subject = !e.subject.empty() ? to_hex(k.blind('s', e.subject)) : e.subject_index;
  return encode_audit_entry(seq, format_rfc3339(now_unix()), actor, e, subject);
}

}  // namespace

result<sqlite3 *> store::impl::audit_db() {
  if (!read_only) return db;
  if (!audit_writer.db) {
    sqlite3 *w = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_close_v2(w);
      return status(errc::read_only, "store: the audit log cannot be written (" + std::string(sqlite3_errstr(rc)) +
                                         "); audited operations need a writable store file");
    }
    sqlite3_extended_result_codes(w, 1);
    sqlite3_busy_timeout(w, busy_ms);
    audit_writer.db = w;
  }
  return audit_writer.db;
}

status store::impl::append_audit(const audit_event &e, const store::checkpoint_signer *sign, store::checkpoint_made *made) {
  auto target = audit_db();
  if (!target) return target.error();
  sqlite3 *a = *target;
  audit_statements &st = a == db ? audit_main : audit_side;
  if (st.on != a) {
    if (int rc = st.last.prepare(a, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"); rc != SQLITE_OK)
      return db_error(a, rc, "reading the audit log");
    if (int rc = st.insert.prepare(a, "INSERT INTO audit (seq, entry, hash) VALUES (?, ?, ?)"); rc != SQLITE_OK)
      return db_error(a, rc, "appending to the audit log");
    if (int rc = st.checkpoint.prepare(a, "INSERT INTO audit_checkpoints (seq, token, added_at) VALUES (?, ?, ?)");
        rc != SQLITE_OK)
      return db_error(a, rc, "adding an audit checkpoint");
    if (auto ps = st.tx.prepare(a, "audit log"); !ps) return ps;
    st.on = a;
  }
  // Its own transaction unless `a` is in one already.
  write_tx tx(a, &st.tx);
  if (sqlite3_get_autocommit(a) != 0) {
    if (auto ts = tx.begin("audit log"); !ts) return ts;
    // A stale handle's entry would index its subject under the old key.
    if (auto ks = check_key_current(false); !ks) return ks;
  }
  stmt &last = st.last;
  last.reset();
  int64_t seq = 1;
  std::string prev(32, '\0');
  int rc = last.step();
  if (rc == SQLITE_ROW) {
    seq = last.integer(0) + 1;
    prev = std::string(last.blob(1));
  } else if (rc != SQLITE_DONE) {
    last.reset();
    return db_error(a, rc, "reading the audit log");
  }
  last.reset();
  const std::string entry = audit_entry(seq, actor, e, *k);
  const auto hash = audit_chain_hash(prev, entry);
  stmt &ins = st.insert;
  ins.reset().bind(seq).bind(entry).bind_blob(hash.data(), hash.size());
  rc = ins.step();
  ins.reset();
  if (rc != SQLITE_DONE) return db_error(a, rc, "appending to the audit log");
  const store::checkpoint_signer *signer = sign ? sign : auto_every > 0 && auto_sign && seq % auto_every == 0 ? &auto_sign : nullptr;
  if (signer) {
    const std::string_view h(reinterpret_cast<const char *>(hash.data()), hash.size());
    std::string token = (*signer)(seq, h);
    stmt &cp = st.checkpoint;
    cp.reset().bind(seq).bind(token).bind(now_utc());
    rc = cp.step();
    cp.reset();
    if (rc != SQLITE_DONE) return db_error(a, rc, "adding an audit checkpoint");
    if (made && sign) *made = {seq, std::string(h), std::move(token)};
  }
  return tx.active() ? tx.commit("audit log") : status::ok();
}

std::array<unsigned char, 32> audit_chain_hash(std::string_view previous, std::string_view entry) {
  std::array<unsigned char, 32> out{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, out.size());
  static const char domain[] = "xyd-audit-v1";
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(domain), sizeof domain - 1);
  unsigned char prev[32] = {};
  std::memcpy(prev, previous.data(), std::min<size_t>(previous.size(), sizeof prev));
  crypto_generichash_update(&st, prev, sizeof prev);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(entry.data()), entry.size());
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

status store::audit(const audit_event &e) {
  std::lock_guard lock(p_->mu);
  return p_->append_audit(e);
}

void store::set_actor(std::string actor) {
  std::lock_guard lock(p_->mu);
  p_->actor = std::move(actor);
}

status store::for_each_audit(const std::function<bool(const audit_row &)> &fn) {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (int rc = s.prepare(p_->db, "SELECT seq, entry, hash FROM audit ORDER BY seq"); rc != SQLITE_OK)
    return db_error(p_->db, rc, "reading the audit log");
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    audit_row row{s.integer(0), std::string(s.text(1)), std::string(s.blob(2))};
    if (!fn(row)) break;
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_error(p_->db, rc, "reading the audit log");
  return status::ok();
}

status store::add_checkpoint(int64_t seq, std::string_view token) {
  std::lock_guard lock(p_->mu);
  if (auto st = p_->check_key_current(false); !st) return st;
  auto target = p_->audit_db();
  if (!target) return target.error();
  stmt s;
  if (auto st = s.prepare(*target, "INSERT INTO audit_checkpoints (seq, token, added_at) VALUES (?, ?, ?)",
                          "adding an audit checkpoint");
      !st)
    return st;
  s.bind(seq).bind(token).bind(now_utc());
  if (int rc = s.step(); rc != SQLITE_DONE) return db_error(*target, rc, "adding an audit checkpoint");
  return status::ok();
}

result<store::checkpoint_made> store::checkpoint(const audit_event &e, const checkpoint_signer &sign) {
  if (!sign) return status(errc::invalid_arg, "audit checkpoint: no signer");
  std::lock_guard lock(p_->mu);
  checkpoint_made made;
  if (auto st = p_->append_audit(e, &sign, &made); !st) return st;
  return made;
}

void store::set_auto_checkpoint(int64_t every, checkpoint_signer sign) {
  std::lock_guard lock(p_->mu);
  p_->auto_every = sign ? std::max<int64_t>(every, 0) : 0;
  p_->auto_sign = std::move(sign);
}

result<std::vector<std::pair<int64_t, std::string>>> store::checkpoints() {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (auto st = s.prepare(p_->db, "SELECT seq, token FROM audit_checkpoints ORDER BY id", "reading audit checkpoints");
      !st)
    return st;
  std::vector<std::pair<int64_t, std::string>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.emplace_back(s.integer(0), std::string(s.text(1)));
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "reading audit checkpoints");
  return out;
}

}  // namespace xyd
