// Consent support (docs/consent.md): trusted keys, revocations (in memory,
// reloaded when another connection commits), releases, the pseudonym key.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstring>

#include "impl.hpp"

namespace xyd {

using namespace store_detail;

status store::trust_key(const trusted_key &k) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  stmt s;
  if (auto st = s.prepare(
          p_->db,
          "INSERT INTO trusted_keys (kid, public_key, issuer, added_at, retired_from, use) VALUES (?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (kid) DO UPDATE SET issuer = excluded.issuer, retired_from = excluded.retired_from, "
          "use = excluded.use",
          "trusting a key");
      !st)
    return st;
  if (k.use != "consent" && k.use != "model" && k.use != "audit")
    return {errc::invalid_arg, "store: a key's use is \"consent\", \"model\" or \"audit\""};
  s.bind(k.kid).bind(k.public_paserk).bind(k.issuer).bind(now_utc());
  if (k.retired_from) s.bind(*k.retired_from);
  else s.bind_blob(nullptr, 0);
  s.bind(k.use);
  audit_event e(audit_action::key);
  e.with("op", "trust").with("kid", k.kid).with("use", k.use);
  ++p_->keyring_generation;
  return p_->audited(e, "trusting a key", [&]() -> status {
    if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "trusting a key");
    return status::ok();
  });
}

status store::retire_key(std::string_view kid, int64_t from) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  stmt s;
  if (auto st = s.prepare(p_->db, "UPDATE trusted_keys SET retired_from = ? WHERE kid = ?", "retiring a key"); !st)
    return st;
  s.bind(from).bind(kid);
  audit_event e(audit_action::key);
  e.with("op", "retire").with("kid", std::string(kid)).with("from", format_rfc3339(from));
  ++p_->keyring_generation;
  return p_->audited(e, "retiring a key", [&]() -> status {
    if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "retiring a key");
    if (sqlite3_changes(p_->db) == 0) return {errc::not_found, "store: no trusted key with that kid"};
    return status::ok();
  });
}

result<std::optional<store::trusted_key>> store::find_key(std::string_view kid) {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (auto st = s.prepare(p_->db, "SELECT kid, public_key, issuer, retired_from, use FROM trusted_keys WHERE kid = ?",
                          "finding a key");
      !st)
    return st;
  s.bind(kid);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<trusted_key>();
  if (rc != SQLITE_ROW) return db_error(p_->db, rc, "finding a key");
  trusted_key k{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::nullopt, std::string(s.text(4)), {}};
  if (!s.is_null(3)) k.retired_from = s.integer(3);
  return std::optional<trusted_key>(std::move(k));
}

result<std::string> store::keys() {
  auto list = trusted_keys();
  if (!list) return list.error();
  std::string out = "[";
  for (const auto &k : *list) {
    if (out.size() > 1) out += ',';
    out += "{\"kid\":";
    json::append_quoted(out, k.kid);
    out += ",\"public\":";
    json::append_quoted(out, k.public_paserk);
    out += ",\"issuer\":";
    json::append_quoted(out, k.issuer);
    out += ",\"added_at\":";
    json::append_quoted(out, k.added_at);
    out += ",\"use\":";
    json::append_quoted(out, k.use);
    if (k.retired_from) out += ",\"retired_from\":\"" + format_rfc3339(*k.retired_from) + "\"";
    out += '}';
  }
  return out + "]";
}

result<std::vector<store::trusted_key>> store::trusted_keys() {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (auto st = s.prepare(
          p_->db,
          "SELECT kid, public_key, issuer, retired_from, added_at, use FROM trusted_keys ORDER BY added_at, kid",
          "listing keys");
      !st)
    return st;
  std::vector<trusted_key> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    trusted_key &k = out.emplace_back();
    k.kid = s.text(0);
    k.public_paserk = s.text(1);
    k.issuer = s.text(2);
    if (!s.is_null(3)) k.retired_from = s.integer(3);
    k.added_at = s.text(4);
    k.use = s.text(5);
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "listing keys");
  return out;
}

status store::impl::insert_revocation(const bi_t &key, const char *kind, int64_t at, std::string_view value) {
  // Revoked again: the row keeps the later time, and is sealed to it (inside
  // the caller's write transaction, so the row read is the row written).
  // The set is checked before it changes: a digest written over a set
  // damaged in the file would make the damage the truth.
  if (auto st = load_revocations(nullptr); !st) return st;
  stmt held, s;
  if (auto st = held.prepare(db, "SELECT revoked_at FROM revocations WHERE key_bi = ?", "revoking"); !st) return st;
  held.bind(key);
  if (int rc = held.step(); rc == SQLITE_ROW) at = std::max(at, held.integer(0));
  else if (rc != SQLITE_DONE) return db_error(db, rc, "revoking");
  held.reset();
  if (auto st = s.prepare(db,
                          "INSERT INTO revocations (key_bi, kind, revoked_at, nonce, sealed) VALUES (?, ?, ?, ?, ?) "
                          "ON CONFLICT (key_bi) DO UPDATE SET kind = excluded.kind, revoked_at = excluded.revoked_at, "
                          "nonce = excluded.nonce, sealed = excluded.sealed",
                          "revoking");
      !st)
    return st;
  std::string nonce;
  const std::string sealed = seal(k->payload, value, revocation_aad(kind, key, at), nonce);
  s.bind(key).bind(std::string_view(kind)).bind(at).bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size());
  if (int rc = s.step(); rc != SQLITE_DONE) return db_error(db, rc, "revoking");
  if (auto st = write_revocations_mac(*k); !st) return st;
  auto &set = std::string_view(kind) == "token" ? revoked_tokens : revoked_grants;
  auto &slot = set[std::string(reinterpret_cast<const char *>(key.data()), key.size())];
  slot = std::max(slot, at);
  return status::ok();
}

namespace {
bool same_bytes(const bi_t &b, std::string_view blob) {
  return blob.size() == b.size() && std::memcmp(blob.data(), b.data(), b.size()) == 0;
}
// One row of the revocation set as its digest reads it: fixed widths (the
// 16-byte index, a seal flag, the kind, the time as 8 bytes), so that no two
// sets have the same text.
void digest_row(std::string &text, std::string_view key_bi, bool sealed, std::string_view kind, int64_t revoked_at) {
  text.append(key_bi);
  text += sealed ? 's' : 'u';  // a seal removed would make the row one rekey must recover
  text += kind == "token" ? 't' : 'g';
  auto t = static_cast<uint64_t>(revoked_at);
  for (int i = 0; i < 8; ++i, t >>= 8) text += static_cast<char>(t & 0xff);
}
bi_t digest_of(const key_set &keys, std::string text, size_t rows) {
  text += std::to_string(rows);
  return keys.blind('r', text);
}
}  // namespace

status store::impl::write_revocations_mac(const key_set &keys) {
  stmt s, m;
  if (auto st = s.prepare(db, "SELECT key_bi, kind, revoked_at, sealed IS NOT NULL FROM revocations ORDER BY key_bi",
                          "revoking");
      !st)
    return st;
  std::string text;
  size_t rows = 0;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (s.blob(0).size() != sizeof(bi_t) || (s.text(1) != "token" && s.text(1) != "grant"))
      return status(errc::corrupt, "store: a revocation row is malformed (changed in the file)");
    digest_row(text, s.blob(0), s.integer(3) != 0, s.text(1), s.integer(2));
    ++rows;
  }
  if (rc != SQLITE_DONE) return db_error(db, rc, "revoking");
  if (auto st = m.prepare(db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('revocations_mac', ?)", "revoking"); !st)
    return st;
  m.bind(digest_of(keys, std::move(text), rows));
  if (int mrc = m.step(); mrc != SQLITE_DONE) return db_error(db, mrc, "revoking");
  return status::ok();
}

status store::impl::load_revocations(revocation_set *out) {
  // Each row authenticated (its seal is bound to its index, kind and time,
  // and the index is the value's), and the set as a whole against its keyed
  // digest, in one snapshot: a row deleted, added, changed or set back in
  // the file is errc::corrupt.
  read_tx snapshot(db, read_begin, read_commit);
  if (auto st = snapshot.begin("loading revocations"); !st) return st;
  stmt s, m;
  if (auto st = s.prepare(db, "SELECT key_bi, kind, revoked_at, nonce, sealed FROM revocations ORDER BY key_bi",
                          "loading revocations");
      !st)
    return st;
  std::string text, value;
  size_t rows = 0;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    const std::string_view key_bi = s.blob(0), kind = s.text(1);
    const int64_t at = s.integer(2);
    if (key_bi.size() != sizeof(bi_t) || (kind != "token" && kind != "grant"))
      return status(errc::corrupt, "store: a revocation row is malformed (the revocations were changed in the file)");
    // Rows from before schema 7 keep no seal; the digest still covers them.
    if (!s.is_null(4)) {
      const bool opened = open_sealed(k->payload, s.blob(4), s.blob(3), revocation_aad(kind, to_bi(key_bi), at), value) &&
                          same_bytes(k->blind(kind == "token" ? 'j' : 'g', value), key_bi);
      sodium_memzero(value.data(), value.size());
      if (!opened) return status(errc::corrupt, "store: a revocation failed authentication (its row was changed in the file)");
    }
    digest_row(text, key_bi, !s.is_null(4), kind, at);
    ++rows;
    if (out) (kind == "token" ? out->tokens : out->grants)[std::string(key_bi)] = at;
  }
  if (rc != SQLITE_DONE) return db_error(db, rc, "loading revocations");
  if (auto st = m.prepare(db, "SELECT value FROM meta WHERE key = 'revocations_mac'", "loading revocations"); !st) return st;
  rc = m.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(db, rc, "loading revocations");
  const bi_t mac = digest_of(*k, std::move(text), rows);
  if (rc == SQLITE_DONE) return status(errc::corrupt, "store: the revocations' keyed check is missing (removed from the file)");
  if (!same_bytes(mac, m.blob(0)))
    return status(errc::corrupt, "store: the revocations fail their keyed check (a revocation was deleted, added or "
                                 "changed in the file); no revocation is checked or made until it is restored");
  return snapshot.end();
}

status store::revoke_token(std::string_view jti, int64_t at) {
  if (jti.empty()) return {errc::invalid_arg, "store: revoke needs a jti"};
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  audit_event e(audit_action::revoke);
  e.jti = std::string(jti);
  return p_->audited(e, "revoking", [&] { return p_->insert_revocation(p_->k->blind('j', jti), "token", at, jti); });
}

status store::revoke_grant(std::string_view subject, std::string_view audience, int64_t at) {
  if (subject.empty() || audience.empty()) return {errc::invalid_arg, "store: revoke needs a subject and an audience"};
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  audit_event e(audit_action::revoke);
  e.subject = std::string(subject);
  e.audience = std::string(audience);
  const std::string grant = grant_text(subject, audience);
  return p_->audited(e, "revoking", [&] { return p_->insert_revocation(p_->k->blind('g', grant), "grant", at, grant); });
}

store::revocation_ids store::revocation_ids_for(std::string_view jti, std::string_view subject, std::string_view audience) {
  std::lock_guard lock(p_->mu);  // rekey swaps the keys under it
  revocation_ids ids;
  ids.token = p_->k->blind('j', jti);
  ids.grant = p_->k->blind('g', grant_text(subject, audience));
  return ids;
}

result<bool> store::is_revoked(std::string_view jti, std::string_view subject, std::string_view audience,
                               int64_t issued_at) {
  return is_revoked(revocation_ids_for(jti, subject, audience), issued_at);
}

status store::impl::poll_changes() {
  const auto now = std::chrono::steady_clock::now();
  int64_t version = revocations_version;
  if (version < 0 || now - revocations_checked >= std::chrono::milliseconds(50)) {
    if (!data_version.get())
      if (auto st = data_version.prepare(db, "PRAGMA data_version", "checking revocations"); !st) return st;
    data_version.reset();
    if (int rc = data_version.step(); rc != SQLITE_ROW) return db_error(db, rc, "checking revocations");
    version = data_version.integer(0);
    data_version.reset();
    revocations_checked = now;
  }
  if (version == revocations_version) return status::ok();
  // Another connection committed: to the keyring only if its counter moved.
  if (!keyring_changes_q.get())
    if (auto st = keyring_changes_q.prepare(db, "SELECT n FROM keyring_changes", "checking the keyring"); !st) return st;
  keyring_changes_q.reset();
  if (int rc = keyring_changes_q.step(); rc != SQLITE_ROW) return db_error(db, rc, "checking the keyring");
  const int64_t changes = keyring_changes_q.integer(0);
  keyring_changes_q.reset();
  if (changes == keyring_changes && revocations_version >= 0) {
    revocations_version = version;
    return status::ok();
  }
  // Another connection changed the keyring or the revocations: verifiers
  // start again whether or not the set loads. Until it loads, every
  // revocation check fails (errc::corrupt), never "not revoked".
  if (keyring_changes >= 0) ++keyring_generation;
  keyring_changes = changes;
  revocations_version = -1;
  revoked_tokens.clear();
  revoked_grants.clear();
  revocation_set loaded;
  if (auto st = load_revocations(&loaded); !st) return st;
  revoked_tokens = std::move(loaded.tokens);
  revoked_grants = std::move(loaded.grants);
  revocations_version = version;
  return status::ok();
}

uint64_t store::keyring_generation() {
  std::lock_guard lock(p_->mu);
  (void)p_->poll_changes();  // a failed poll is seen by the next revocation check
  return p_->keyring_generation;
}

result<bool> store::is_revoked(const revocation_ids &ids, int64_t issued_at) {
  std::lock_guard lock(p_->mu);
  // A handle whose key is no longer the store's computes indexes the sets
  // do not hold: it fails closed (errc::key) instead of answering "not
  // revoked".
  if (auto st = p_->check_key_current(false); !st) return st;
  // Revocations made through this handle are in the sets at once; those of
  // other connections are noticed by poll_changes().
  if (auto st = p_->poll_changes(); !st) return st;
  if (!p_->revoked_tokens.empty() &&
      p_->revoked_tokens.count(std::string(reinterpret_cast<const char *>(ids.token.data()), ids.token.size())))
    return true;
  if (p_->revoked_grants.empty()) return false;
  auto it = p_->revoked_grants.find(std::string(reinterpret_cast<const char *>(ids.grant.data()), ids.grant.size()));
  return it != p_->revoked_grants.end() && issued_at <= it->second;
}

status store::impl::insert_release(const store::release_log &r) {
  store::impl &p = *this;
  stmt &s = p.release_ins;
  if (!s.get())
    if (auto st = s.prepare(p.db, "INSERT INTO releases (jti, released_at, expires_at, records) VALUES (?, ?, ?, ?)",
                            "logging a release");
        !st)
      return st;
  s.reset().bind(r.jti).bind(r.at);
  if (r.expires_at) s.bind(*r.expires_at);
  else s.bind_blob(nullptr, 0);
  s.bind(r.records);
  const int rc = s.step();
  s.reset();
  if (rc != SQLITE_DONE) return db_error(p.db, rc, "logging a release");
  return status::ok();
}

status store::log_release(std::string_view jti, int64_t records, int64_t at, std::optional<int64_t> expires_at) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return status::ok();  // a read-only handle releases without logging
  if (auto st = p_->check_key_current(false); !st) return st;
  return p_->insert_release({std::string(jti), records, at, expires_at});
}

status store::audit(const audit_event &e, const release_log &r) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return p_->append_audit(e);
  return p_->audited(e, "logging a release", [&] { return p_->insert_release(r); });
}

result<int64_t> store::purge_releases(int64_t now) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return status(errc::read_only, "store: opened read-only");
  write_tx tx(p_->db);
  if (auto st = tx.begin("purging releases"); !st) return st;
  if (auto st = p_->check_key_current(true); !st) return st;
  stmt s;
  if (auto st = s.prepare(p_->db, "DELETE FROM releases WHERE expires_at IS NOT NULL AND expires_at <= ?",
                          "purging releases");
      !st)
    return st;
  s.bind(now);
  if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "purging releases");
  const auto n = static_cast<int64_t>(sqlite3_changes(p_->db));
  s.reset();
  if (auto st = tx.commit("purging releases"); !st) return st;
  return n;
}

result<std::array<unsigned char, 32>> store::pseudonym_key() {
  std::lock_guard lock(p_->mu);
  using key_t = std::array<unsigned char, 32>;
  // The key kept in meta, or nullopt (each read a statement of its own: a
  // statement left stepping would hold a snapshot the write below cannot
  // begin on).
  auto load = [&]() -> result<std::optional<key_t>> {
    stmt s;
    if (auto st = s.prepare(p_->db, "SELECT value FROM meta WHERE key = 'pseudonym_key'", "reading the pseudonym key");
        !st)
      return st;
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<key_t>();
    if (rc != SQLITE_ROW) return db_error(p_->db, rc, "reading the pseudonym key");
    key_t key{};
    std::string plain;
    const std::string_view v = s.blob(0);
    const size_t n = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    if (v.size() < n || !open_sealed(p_->k->payload, v.substr(n), v.substr(0, n), pseudonym_aad, plain) ||
        plain.size() != key.size())
      return status(errc::corrupt, "store: the pseudonym key failed authentication");
    std::memcpy(key.data(), plain.data(), key.size());
    sodium_memzero(plain.data(), plain.size());
    return std::optional<key_t>(key);
  };
  if (auto st = p_->check_key_current(false); !st) return st;
  auto have = load();
  if (!have) return have.error();
  if (*have) return **have;
  if (p_->read_only) return status(errc::read_only, "store: no pseudonym key yet; open the store for writing once");
  // Made once, under the write lock, by a handle whose key is the store's
  // (another process may have made it meanwhile).
  write_tx tx(p_->db);
  const bool own = sqlite3_get_autocommit(p_->db) != 0;  // else inside the caller's transaction
  if (own)
    if (auto st = tx.begin("storing the pseudonym key"); !st) return st;
  if (auto st = p_->check_key_current(true); !st) return st;
  have = load();
  if (!have) return have.error();
  if (*have) {
    if (own)
      if (auto st = tx.commit("reading the pseudonym key"); !st) return st;
    return **have;
  }
  key_t key{};
  randombytes_buf(key.data(), key.size());
  std::string nonce;
  const std::string sealed =
      seal(p_->k->payload, std::string_view(reinterpret_cast<const char *>(key.data()), key.size()), pseudonym_aad, nonce);
  stmt ins;
  if (auto st =
          ins.prepare(p_->db, "INSERT INTO meta (key, value) VALUES ('pseudonym_key', ?)", "storing the pseudonym key");
      !st)
    return st;
  const std::string value = nonce + sealed;
  ins.bind_blob(value.data(), value.size());
  if (int rc = ins.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "storing the pseudonym key");
  ins.reset();
  if (own)
    if (auto st = tx.commit("storing the pseudonym key"); !st) return st;
  return key;
}

}  // namespace xyd
