// The store's schema: the migrations, and opening, creating or upgrading a
// store file. docs/storage.md documents the schema.
// SPDX-License-Identifier: Apache-2.0
#include <tuple>
#include <fcntl.h>
#include <unistd.h>

#include "impl.hpp"

namespace xyd {

using namespace store_detail;

namespace {

// Migration i takes a store from user_version i to i + 1. Never edit a
// released step: append a new one.
//
// Blind indexes are random by design, so they live only in the two small
// tables (subjects, facts: one row per subject and per natural key); the big
// ones (records and its indexes) are keyed by integers handed out in arrival
// order, so that ingest appends instead of scattering writes over the file.
const char *const migrations[] = {
    // 0 -> 1: subjects, facts (natural keys, with their current record),
    // records (flagged current, so that reading a subject's current records
    // is one partial-index scan), batches, metadata.
    R"(CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
       CREATE TABLE batches (
         id INTEGER PRIMARY KEY,
         started_at TEXT NOT NULL,
         finished_at TEXT,
         source TEXT NOT NULL,
         summary TEXT);
       CREATE TABLE subjects (
         subject_id INTEGER PRIMARY KEY,
         subject_bi BLOB NOT NULL UNIQUE);
       CREATE TABLE facts (
         fact_id INTEGER PRIMARY KEY,
         nk_bi BLOB NOT NULL UNIQUE,
         subject_id INTEGER NOT NULL,
         item_type TEXT NOT NULL,
         current_id INTEGER,
         current_as_of TEXT);
       CREATE INDEX facts_by_subject ON facts (subject_id);
       CREATE TABLE records (
         id INTEGER PRIMARY KEY,
         fact_id INTEGER NOT NULL,
         subject_id INTEGER NOT NULL,
         item_type TEXT NOT NULL,
         as_of TEXT NOT NULL,
         content_hash BLOB NOT NULL,
         nonce BLOB NOT NULL,
         payload BLOB NOT NULL,
         state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'withdrawn', 'repaired')),
         repair_nonce BLOB,
         repair BLOB,
         batch_id INTEGER NOT NULL,
         is_current INTEGER NOT NULL DEFAULT 0,
         UNIQUE (fact_id, as_of));
       CREATE INDEX records_by_subject ON records (subject_id, item_type, as_of DESC);
       CREATE INDEX records_current ON records (subject_id, item_type, as_of DESC) WHERE is_current = 1;
       CREATE INDEX records_by_as_of ON records (as_of);)",
    // 1 -> 2: each subject sealed beside its blind index, so that a store
    // can list its subjects.
    R"(ALTER TABLE subjects ADD COLUMN nonce BLOB;
       ALTER TABLE subjects ADD COLUMN sealed BLOB;)",
    // 2 -> 3: consent support: trusted issuer keys, revocations (blind
    // indexes of jti and of subject+audience), releases with their data life.
    R"(CREATE TABLE trusted_keys (
         kid TEXT PRIMARY KEY,
         public_key TEXT NOT NULL,
         issuer TEXT NOT NULL DEFAULT '',
         added_at TEXT NOT NULL,
         retired_from INTEGER) WITHOUT ROWID;
       CREATE TABLE revocations (
         key_bi BLOB PRIMARY KEY,
         kind TEXT NOT NULL CHECK (kind IN ('token', 'grant')),
         revoked_at INTEGER NOT NULL) WITHOUT ROWID;
       CREATE TABLE releases (
         id INTEGER PRIMARY KEY,
         jti TEXT NOT NULL,
         released_at INTEGER NOT NULL,
         expires_at INTEGER,
         records INTEGER NOT NULL);
       CREATE INDEX releases_by_expiry ON releases (expires_at);)",
    // 3 -> 4: scoring support: keys trusted for a use ("consent" or
    // "model"), scorecard models by content hash, sealed score results.
    R"(ALTER TABLE trusted_keys ADD COLUMN use TEXT NOT NULL DEFAULT 'consent';
       CREATE TABLE models (
         seq INTEGER PRIMARY KEY,
         model_hash TEXT NOT NULL UNIQUE,
         id TEXT NOT NULL,
         version TEXT NOT NULL,
         format TEXT NOT NULL,
         content TEXT NOT NULL,
         signed_by TEXT,
         signature TEXT,
         added_at TEXT NOT NULL,
         UNIQUE (id, version));
       CREATE TABLE scores (
         id INTEGER PRIMARY KEY,
         subject_id INTEGER NOT NULL,
         model_hash TEXT NOT NULL,
         scored_at TEXT NOT NULL,
         nonce BLOB NOT NULL,
         sealed BLOB NOT NULL);
       CREATE INDEX scores_by_subject ON scores (subject_id, model_hash, id);)",
    // 4 -> 5: the audit log, hash-chained, and its signed checkpoints.
    R"(CREATE TABLE audit (
         seq INTEGER PRIMARY KEY,
         entry TEXT NOT NULL,
         hash BLOB NOT NULL);
       CREATE TABLE audit_checkpoints (
         id INTEGER PRIMARY KEY,
         seq INTEGER NOT NULL,
         token TEXT NOT NULL,
         added_at TEXT NOT NULL);)",
    // 5 -> 6: a counter of changes to what verifiers and scorecard caches
    // depend on (trusted keys, revocations, models, settings and keys in
    // meta), moved by triggers, so that another connection's commit that
    // leaves them alone (an ingest, an audit entry) keeps those caches.
    R"(CREATE TABLE keyring_changes (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
       INSERT INTO keyring_changes VALUES (1, 0);
       CREATE TRIGGER trusted_keys_i AFTER INSERT ON trusted_keys BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER trusted_keys_u AFTER UPDATE ON trusted_keys BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER trusted_keys_d AFTER DELETE ON trusted_keys BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER revocations_i AFTER INSERT ON revocations BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER revocations_u AFTER UPDATE ON revocations BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER revocations_d AFTER DELETE ON revocations BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER models_i AFTER INSERT ON models BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER models_u AFTER UPDATE ON models BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER models_d AFTER DELETE ON models BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER meta_i AFTER INSERT ON meta BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER meta_u AFTER UPDATE ON meta BEGIN UPDATE keyring_changes SET n = n + 1; END;
       CREATE TRIGGER meta_d AFTER DELETE ON meta BEGIN UPDATE keyring_changes SET n = n + 1; END;)",
    // 6 -> 7: each revocation keeps what it revokes (the jti, or subject and
    // audience) sealed beside its blind index, so that a rekey can compute
    // the index under the new key. Rows from before are recovered by rekey
    // from the audit log's revoke entries.
    R"(ALTER TABLE revocations ADD COLUMN nonce BLOB;
       ALTER TABLE revocations ADD COLUMN sealed BLOB;)",
    // 7 -> 8: score ids from an AUTOINCREMENT counter (never handed out
    // twice), and each score sealed to its subject (reseal_scores(2)).
    R"(CREATE TABLE scores_v8 (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         subject_id INTEGER NOT NULL,
         model_hash TEXT NOT NULL,
         scored_at TEXT NOT NULL,
         nonce BLOB NOT NULL,
         sealed BLOB NOT NULL);
       INSERT INTO scores_v8 SELECT id, subject_id, model_hash, scored_at, nonce, sealed FROM scores;
       DROP TABLE scores;
       ALTER TABLE scores_v8 RENAME TO scores;
       CREATE INDEX scores_by_subject ON scores (subject_id, model_hash, id);)",
    // 8 -> 9: a version per record, bound with its state into the payload's
    // associated data (and the state into the repair note's); every payload
    // and note is sealed again by the upgrade (reseal_records_v2), and the
    // schema version is bound to the key (schema_mac).
    R"(ALTER TABLE records ADD COLUMN version INTEGER NOT NULL DEFAULT 1;)",
    // 9 -> 10: the revocation set keyed as a whole (meta 'revocations_mac',
    // written by write_revocations_mac), so that a revocation deleted or
    // set back in the file is noticed when the set is loaded; every kept
    // score sealed again with its model hash and time (reseal_scores(3)).
    R"(SELECT 1;)",
};
static_assert(sizeof migrations / sizeof migrations[0] == store::schema_version);

}  // namespace

result<int64_t> store::impl::user_version() {
  stmt s;
  if (int rc = s.prepare(db, "PRAGMA user_version"); rc != SQLITE_OK) return db_error(db, rc, "reading the schema version");
  if (int rc = s.step(); rc != SQLITE_ROW) return db_error(db, rc, "reading the schema version");
  return s.integer(0);
}

result<bool> store::impl::has_table(const char *name) {
  stmt s;
  if (auto st = s.prepare(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", "reading the schema");
      !st)
    return st;
  s.bind(std::string_view(name));
  const int rc = s.step();
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc == SQLITE_ROW;
  return db_error(db, rc, "reading the schema");
}

status store::impl::migrate(int64_t from, int64_t to) {
  for (int64_t v = from; v < to; ++v) {
    if (auto st = exec(migrations[v], "migrating the schema"); !st) return st;
    if (v + 1 == 2)
      if (auto st = backfill_subjects(); !st) return st;
    if (v + 1 == 8)
      if (auto st = reseal_scores(2); !st) return st;
    if (v + 1 == 9)
      if (auto st = reseal_records_v2(); !st) return st;
    if (v + 1 == 10) {
      if (auto st = reseal_scores(3); !st) return st;
      if (auto st = write_revocations_mac(*k); !st) return st;
    }
  }
  const std::string pragma = "PRAGMA user_version = " + std::to_string(to);
  if (auto st = exec(pragma.c_str(), "setting the schema version"); !st) return st;
  return write_schema_mac(*k, to);
}

// From schema 9 the schema version is also kept keyed (meta 'schema_mac'),
// so that a user_version set back in the file (to make an upgrade re-seal
// rows planted in an older format) is refused at open.
namespace {
bi_t schema_mac(const key_set &k, int64_t version) { return k.blind('v', "xyd-schema:" + std::to_string(version)); }
}  // namespace

status store::impl::write_schema_mac(const key_set &keys, int64_t version) {
  if (version < 9) return status::ok();
  const bi_t mac = schema_mac(keys, version);
  stmt m;
  if (auto st = m.prepare(db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_mac', ?)", "setting the schema version");
      !st)
    return st;
  m.bind(mac);
  if (int rc = m.step(); rc != SQLITE_DONE) return db_error(db, rc, "setting the schema version");
  return status::ok();
}

status store::impl::check_schema_mac(int64_t version) {
  stmt m;
  if (auto st = m.prepare(db, "SELECT value FROM meta WHERE key = 'schema_mac'", "checking the schema version"); !st)
    return st;
  const int rc = m.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(db, rc, "checking the schema version");
  if (rc == SQLITE_DONE) {
    if (version < 9) return status::ok();  // written by an older xyd
    return status(errc::corrupt, "store: " + path + " lacks its keyed schema version (removed from the file)");
  }
  const bi_t stored = to_bi(m.blob(0));
  auto same = [&](int64_t v) {
    const bi_t mac = schema_mac(*k, v);
    return m.blob(0).size() == mac.size() && sodium_memcmp(stored.data(), mac.data(), mac.size()) == 0;
  };
  if (version >= 9 && same(version)) return status::ok();
  for (int64_t v = std::max<int64_t>(version + 1, 9); v <= schema_version; ++v)
    if (same(v))
      return status(errc::corrupt, "store: " + path + " has schema version " + std::to_string(version) +
                                       " in the file but was upgraded to " + std::to_string(v) +
                                       ": the version was set back (the store is refused, nothing was changed)");
  return status(errc::corrupt, "store: " + path + ": its keyed schema version fails authentication");
}

// Schema 9 binds each record's version and state into its payload's
// associated data, and the state into its repair note's: each is sealed
// again, 512 rows at a time.
status store::impl::reseal_records_v2() {
  stmt s, u;
  if (auto st = s.prepare(db,
                          "SELECT r.id, r.item_type, j.subject_bi, r.as_of, r.nonce, r.payload, r.state, r.repair_nonce, "
                          "r.repair, r.version FROM records r LEFT JOIN subjects j USING (subject_id) "
                          "WHERE r.id > ? ORDER BY r.id LIMIT 512",
                          "upgrading records");
      !st)
    return st;
  if (auto st = u.prepare(db, "UPDATE records SET nonce = ?, payload = ?, repair_nonce = ?, repair = ? WHERE id = ?",
                          "upgrading records");
      !st)
    return st;
  struct row {
    int64_t id, version;
    std::string nonce, payload, repair_nonce, repair;
    bool has_repair;
  };
  std::string plain, note;
  int64_t last = 0;
  for (;;) {
    std::vector<row> rows;
    s.reset().bind(last);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      const int64_t id = s.integer(0);
      if (s.is_null(2)) return {errc::corrupt, "store: record " + std::to_string(id) + " belongs to no subject"};
      const std::string_view state = s.text(6);
      if (!open_sealed(k->payload, s.blob(5), s.blob(4), row_aad_v1(id, s.text(1), to_bi(s.blob(2)), s.text(3)), plain))
        return {errc::corrupt, "store: record " + std::to_string(id) + " failed authentication (upgrading to schema 9)"};
      row r{id, s.integer(9), {}, {}, {}, {}, !s.is_null(8)};
      if ((state == "active") == r.has_repair)
        return {errc::corrupt, "store: record " + std::to_string(id) + " is " + std::string(state) +
                                   (r.has_repair ? " with" : " without") + " a repair note"};
      r.payload = seal(k->payload, plain, row_aad(id, s.text(1), to_bi(s.blob(2)), s.text(3), r.version, state), r.nonce);
      if (r.has_repair) {
        if (!open_sealed(k->payload, s.blob(8), s.blob(7), repair_aad_v1(id), note))
          return {errc::corrupt, "store: record " + std::to_string(id) + ": repair note failed authentication"};
        r.repair = seal(k->payload, note, repair_aad(id, state), r.repair_nonce);
      }
      rows.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return db_error(db, rc, "upgrading records");
    if (rows.empty()) break;
    for (const auto &r : rows) {
      last = r.id;
      u.reset().bind_blob(r.nonce.data(), r.nonce.size()).bind_blob(r.payload.data(), r.payload.size());
      if (r.has_repair) u.bind_blob(r.repair_nonce.data(), r.repair_nonce.size()).bind_blob(r.repair.data(), r.repair.size());
      else u.bind_blob(nullptr, 0).bind_blob(nullptr, 0);
      u.bind(r.id);
      if (int urc = u.step(); urc != SQLITE_DONE) return db_error(db, urc, "upgrading records");
    }
  }
  sodium_memzero(plain.data(), plain.size());
  return status::ok();
}

// Kept scores sealed again in the next format: schema 8 seals each to its
// subject's blind index (`to` 2; before, to its id alone), schema 10 adds
// its model hash and time (`to` 3).
status store::impl::reseal_scores(int to) {
  // Scores of subjects no longer in the store (0.2's purge kept them) belong
  // to nobody: they go, rather than be sealed to a subject id handed out again.
  if (to == 2)
    if (auto st = exec("DELETE FROM scores WHERE subject_id NOT IN (SELECT subject_id FROM subjects)",
                       "upgrading kept scores");
        !st)
      return st;
  stmt s, u;
  if (auto st = s.prepare(db,
                          "SELECT c.id, j.subject_bi, c.nonce, c.sealed, c.model_hash, c.scored_at FROM scores c "
                          "LEFT JOIN subjects j USING (subject_id)",
                          "upgrading kept scores");
      !st)
    return st;
  if (auto st = u.prepare(db, "UPDATE scores SET nonce = ?, sealed = ? WHERE id = ?", "upgrading kept scores"); !st)
    return st;
  struct kept {
    int64_t id;
    bi_t sbi;
    std::string text, model_hash, scored_at;
  };
  std::vector<kept> all;
  std::string plain, nonce;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    const int64_t id = s.integer(0);
    if (s.is_null(1)) return {errc::corrupt, "store: kept score " + std::to_string(id) + " belongs to no subject"};
    const bi_t sbi = to_bi(s.blob(1));
    if (!open_sealed(k->payload, s.blob(3), s.blob(2), to == 2 ? score_aad_v1(id) : score_aad_v2(id, sbi), plain))
      return {errc::corrupt, "store: kept score " + std::to_string(id) + " failed authentication"};
    all.push_back({id, sbi, plain, std::string(s.text(4)), std::string(s.text(5))});
  }
  if (rc != SQLITE_DONE) return db_error(db, rc, "upgrading kept scores");
  s.reset();
  for (const auto &r : all) {
    const std::string aad = to == 2 ? score_aad_v2(r.id, r.sbi) : score_aad(r.id, r.sbi, r.model_hash, r.scored_at);
    const std::string sealed = seal(k->payload, r.text, aad, nonce);
    u.reset().bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size()).bind(r.id);
    if (int urc = u.step(); urc != SQLITE_DONE) return db_error(db, urc, "upgrading kept scores");
  }
  return status::ok();
}

// Schema 2 seals each subject; subjects stored before are read back from
// one of their records.
status store::impl::backfill_subjects() {
  stmt s, u;
  if (int rc = s.prepare(db,
                         "SELECT r.item_type, s.subject_bi, r.as_of, r.id, r.nonce, r.payload, s.subject_id "
                         "FROM subjects s JOIN records r ON r.id = (SELECT min(id) FROM records WHERE subject_id = s.subject_id) "
                         "WHERE s.sealed IS NULL");
      rc != SQLITE_OK)
    return db_error(db, rc, "backfilling subjects");
  if (auto st = u.prepare(db, "UPDATE subjects SET nonce = ?, sealed = ? WHERE subject_id = ?", "backfilling subjects");
      !st)
    return st;
  std::string plain, nonce;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    const bi_t sbi = to_bi(s.blob(1));
    if (!open_sealed(k->payload, s.blob(5), s.blob(4), row_aad_v1(s.integer(3), s.text(0), sbi, s.text(2)), plain))
      return {errc::corrupt, "store: a record failed authentication while backfilling subjects"};
    auto doc = json::parse(plain);
    if (!doc || !doc->find("subject")) return {errc::corrupt, "store: a record does not parse"};
    const std::string sealed = seal(k->payload, doc->find("subject")->text, subject_aad(sbi), nonce);
    u.reset().bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size()).bind(s.integer(6));
    if (int urc = u.step(); urc != SQLITE_DONE) return db_error(db, urc, "backfilling subjects");
  }
  return rc == SQLITE_DONE ? status::ok() : db_error(db, rc, "backfilling subjects");
}

// Is this an xyd store, a new file, or something else? One query, so that
// the three answers come from one snapshot while another process may be
// creating the same store.
result<bool> store::impl::inspect() {
  stmt look;
  int rc = look.prepare(db,
                        "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema), "
                        "(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta')");
  if (rc == SQLITE_OK) rc = look.step();
  if (rc != SQLITE_ROW) {
    const errc code = map_sqlite(rc);
    if (code == errc::corrupt || code == errc::error)
      return status(errc::corrupt, "store: " + path + " is not an xyd store (not a SQLite database)");
    return db_error(db, rc, "cannot read " + path);
  }
  const bool has_meta = look.integer(2) > 0;
  if (!has_meta && look.integer(1) > 0)
    return status(errc::corrupt, "store: " + path + " is a SQLite database but not an xyd store");
  return !has_meta;
}

status store::impl::configure(const store_options &opt) {
  if (!read_only) {
    // Switching to WAL needs a moment of exclusive access, which SQLite does
    // not wait for: retry within the busy timeout (another process may be
    // creating the same store).
    for (int waited = 0;; waited += 10) {
      status st = exec("PRAGMA journal_mode = WAL", "setting WAL mode");
      if (st) break;
      if (st.code() != errc::busy || waited >= opt.busy_timeout_ms) return st;
      ::usleep(10000);
    }
  }
  if (auto st = exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; "
                     "PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -131072",
                     "setting pragmas");
      !st)
    return st;
  if (opt.max_pages > 0) {
    const std::string pragma = "PRAGMA max_page_count = " + std::to_string(opt.max_pages);
    if (auto st = exec(pragma.c_str(), "capping the size"); !st) return st;
  }
  return status::ok();
}

// A new store: every migration, then the metadata (inside the caller's
// write transaction).
status store::impl::create_schema() {
  if (auto st = migrate(0, schema_version); !st) return st;
  const auto check = k->key_check();
  stmt m;
  if (auto st = m.prepare(
          db, "INSERT INTO meta (key, value) VALUES ('format', 'xyd-store'), ('key_check', ?), ('created_at', ?)",
          "creating the store");
      !st)
    return st;
  m.bind_blob(check.data(), check.size()).bind(now_utc());
  if (int rc = m.step(); rc != SQLITE_DONE) return db_error(db, rc, "creating the store");
  return status::ok();
}

status store::impl::check_key_current(bool always) {
  if (!always) {
    if (!key_data_version.get())
      if (int rc = key_data_version.prepare(db, "PRAGMA data_version"); rc != SQLITE_OK) return db_error(db, rc, "checking the key");
    const int rc = key_data_version.reset().step();
    const int64_t version = rc == SQLITE_ROW ? key_data_version.integer(0) : -1;
    key_data_version.reset();
    if (rc != SQLITE_ROW) return db_error(db, rc, "checking the key");
    if (version == key_checked_version) return status::ok();
    key_checked_version = version;
  }
  if (!key_check_q.get())
    if (int rc = key_check_q.prepare(db, "SELECT value FROM meta WHERE key = 'key_check'"); rc != SQLITE_OK)
      return db_error(db, rc, "checking the key");
  const auto &check = own_key_check;
  const int rc = key_check_q.reset().step();
  const bool same = rc == SQLITE_ROW && key_check_q.blob(0).size() == check.size() &&
                    sodium_memcmp(key_check_q.blob(0).data(), check.data(), check.size()) == 0;
  key_check_q.reset();
  if (rc != SQLITE_ROW) return status(errc::corrupt, "store: " + path + " has no key check");
  if (!same) {
    key_checked_version = -1;  // stays refused
    return status(errc::key, "store: " + path +
                                 " was rekeyed through another handle since this one opened it: this handle's key is no "
                                 "longer the store's; nothing was written (reopen the store with the new key)");
  }
  return status::ok();
}

// An existing store: the key must be its key, its schema not newer than
// this xyd's; an older schema is upgraded.
status store::impl::use_salt(std::string_view salt) {
  k = std::make_unique<key_set>(master, salt);
  own_key_check = k->key_check();
  return status::ok();
}

status store::impl::load_salt() {
  stmt m;
  if (int rc = m.prepare(db, "SELECT value FROM meta WHERE key = 'kdf_salt'"); rc != SQLITE_OK)
    return status(errc::corrupt, "store: " + path + " is not an xyd store (no meta table)");
  const int rc = m.step();
  if (rc == SQLITE_DONE) return status::ok();  // made before salts: the master key itself
  if (rc != SQLITE_ROW) return db_error(db, rc, "reading the key salt");
  if (m.blob(0).size() != key_set::salt_bytes) return status(errc::corrupt, "store: " + path + ": its key salt is damaged");
  return use_salt(m.blob(0));
}

status store::impl::check_key_and_upgrade() {
  if (auto st = load_salt(); !st) return st;
  {
    // Scoped: a statement left stepping would hold a read snapshot, and a
    // write transaction begun on a stale snapshot fails at once (BUSY)
    // instead of waiting for the other process.
    const auto check = k->key_check();
    stmt m;
    if (int rc = m.prepare(db, "SELECT value FROM meta WHERE key = 'key_check'"); rc != SQLITE_OK)
      return status(errc::corrupt, "store: " + path + " is not an xyd store (no key check)");
    if (m.step() != SQLITE_ROW) return status(errc::corrupt, "store: " + path + " has no key check");
    const auto stored = m.blob(0);
    if (stored.size() != check.size() || sodium_memcmp(stored.data(), check.data(), check.size()) != 0)
      return status(errc::key, "store: wrong key for " + path + " (the store was created under another master key)");
  }
  // Read again: another process may have created or upgraded the store
  // since the first look.
  auto version = user_version();
  if (!version) return version.error();
  if (*version > schema_version)
    return status(errc::error, "store: " + path + " has schema version " + std::to_string(*version) +
                                   ", newer than this xyd (" + std::to_string(schema_version) + "): upgrade xyd");
  if (auto st = check_schema_mac(*version); !st) return st;
  if (*version == schema_version) return status::ok();
  if (read_only)
    return status(errc::read_only, "store: " + path + " has schema version " + std::to_string(*version) +
                                       " and must be upgraded; open it once for writing");
  write_tx tx(db);
  if (auto st = tx.begin("upgrading the store"); !st) return st;
  // Another process may have upgraded it meanwhile.
  auto again = user_version();
  if (!again) return again.error();
  if (auto st = migrate(*again, schema_version); !st) return st;
  return tx.commit("upgrading the store");
}

// A new file, created under the write lock: true, or false when another
// process created it while we waited for the lock.
result<bool> store::impl::create_store() {
  write_tx tx(db);
  if (auto st = tx.begin("creating the store"); !st) return st;
  auto exists = has_table("meta");
  if (!exists) return exists.error();
  if (*exists) {
    if (auto st = tx.commit("opening the store"); !st) return st;
    return false;
  }
  // A salt of its own: its subkeys are unrelated to any other store's under
  // the same master key.
  unsigned char salt[key_set::salt_bytes];
  randombytes_buf(salt, sizeof salt);
  if (auto st = use_salt(std::string_view(reinterpret_cast<const char *>(salt), sizeof salt)); !st) return st;
  if (auto st = create_schema(); !st) return st;
  stmt m;
  if (auto st = m.prepare(db, "INSERT INTO meta (key, value) VALUES ('kdf_salt', ?)", "creating the store"); !st) return st;
  m.bind_blob(salt, sizeof salt);
  if (int rc = m.step(); rc != SQLITE_DONE) return db_error(db, rc, "creating the store");
  if (auto st = tx.commit("creating the store"); !st) return st;
  return true;
}

result<std::unique_ptr<store>> store::open(const std::string &path, const master_key &key, const store_options &opt) {
  if (!sodium_ready()) return {errc::internal, "libsodium failed to initialise"};
  // A store is never made under a weak key (existing ones still open: the
  // CLI warns, xyd_key_check tells).
  const char *weak = key.weakness();
  const bool may_create = !(opt.flags & store_flags::read_only) && (opt.flags & store_flags::create);
  if (weak && may_create && path != ":memory:" && ::access(path.c_str(), F_OK) != 0)
    return status(errc::key, std::string("store: refusing to create ") + path + " under a weak key: " + weak +
                                 " (xyd keygen makes a good one)");
  auto p = std::make_unique<impl>();
  p->path = path;
  p->cat = opt.cat ? opt.cat : current_catalog();
  p->read_only = opt.flags & store_flags::read_only;
  int flags = SQLITE_OPEN_NOMUTEX | (p->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
  if (!p->read_only && (opt.flags & store_flags::create)) {
    flags |= SQLITE_OPEN_CREATE;
    // A new store is readable by its owner only, whatever the umask: SQLite
    // makes the -wal and -shm files with the database file's mode. An
    // existing file is left as it is (O_EXCL).
    if (path != ":memory:" && path.rfind("file:", 0) != 0)
      if (const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
  }
  if (int rc = sqlite3_open_v2(path.c_str(), &p->db, flags, nullptr); rc != SQLITE_OK) {
    status st = db_error(p->db, rc, "cannot open " + path);
    if ((rc & 0xFF) == SQLITE_CANTOPEN && !(opt.flags & store_flags::create))
      st = status(errc::not_found, "store: " + path + " does not exist (open it with the create flag to make one)");
    return st;
  }
  sqlite3_extended_result_codes(p->db, 1);
  sqlite3_busy_timeout(p->db, opt.busy_timeout_ms);
  p->k = std::make_unique<key_set>(key);
  p->own_key_check = p->k->key_check();
  p->master = key;
  p->busy_ms = opt.busy_timeout_ms;

  auto fresh = p->inspect();
  if (!fresh) return fresh.error();
  if (*fresh && p->read_only)
    return status(errc::not_found, "store: " + path + " is empty; it cannot be created read-only");
  if (*fresh && weak)
    return status(errc::key, std::string("store: refusing to create a store in ") + path + " under a weak key: " + weak);
  if (auto st = p->configure(opt); !st) return st;
  bool created = false;
  if (*fresh) {
    auto made = p->create_store();
    if (!made) return made.error();
    created = *made;
  }
  if (!created)
    if (auto st = p->check_key_and_upgrade(); !st) return st;
  if (auto st = p->prepare_statements(); !st) return st;
  return std::unique_ptr<store>(new store(std::move(p)));
}

}  // namespace xyd
