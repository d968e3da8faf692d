// The encrypted embedded store: SQLite (WAL) + libsodium. The only module
// that speaks SQL. docs/storage.md documents the schema and the guarantees.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>

namespace xyd {

// ---------------------------------------------------------------- keys

master_key::master_key(const unsigned char *bytes) { std::memcpy(bytes_.data(), bytes, master_key_bytes); }
master_key::master_key(const master_key &other) : bytes_(other.bytes_) {}
master_key &master_key::operator=(const master_key &other) {
  bytes_ = other.bytes_;
  return *this;
}
master_key::~master_key() { sodium_memzero(bytes_.data(), bytes_.size()); }

namespace {
bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}
}  // namespace

master_key master_key::generate() {
  if (!sodium_ready()) std::abort();
  master_key k;
  randombytes_buf(k.bytes_.data(), k.bytes_.size());
  return k;
}

result<master_key> master_key::from_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {errc::io, "cannot read key file " + path + ": " + std::strerror(errno)};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  master_key k;
  if (text.size() == master_key_bytes) {
    std::memcpy(k.bytes_.data(), text.data(), master_key_bytes);
  } else {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    size_t bin_len = 0;
    if (text.size() != 2 * master_key_bytes ||
        sodium_hex2bin(k.bytes_.data(), k.bytes_.size(), text.data(), text.size(), nullptr, &bin_len, nullptr) != 0 ||
        bin_len != master_key_bytes) {
      sodium_memzero(text.data(), text.size());
      return {errc::key, "key file " + path + " holds neither 64 hexadecimal characters nor 32 raw bytes"};
    }
  }
  sodium_memzero(text.data(), text.size());
  return k;
}

status master_key::write_file(const std::string &path) const {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return {errno == EEXIST ? errc::exists : errc::io, "cannot create key file " + path + ": " + std::strerror(errno)};
  char hex[2 * master_key_bytes + 2];
  sodium_bin2hex(hex, sizeof hex, bytes_.data(), bytes_.size());
  hex[2 * master_key_bytes] = '\n';
  const ssize_t n = ::write(fd, hex, 2 * master_key_bytes + 1);
  sodium_memzero(hex, sizeof hex);
  const bool ok = n == static_cast<ssize_t>(2 * master_key_bytes + 1) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return {errc::io, "cannot write key file " + path};
  }
  return status::ok();
}

// ---------------------------------------------------------------- SQLite helpers

namespace {

constexpr size_t bi_bytes = 16;  // blind indexes and content hashes: 128 bits
constexpr char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "xydstore";
enum subkey_id : uint64_t { payload_key_id = 1, index_key_id = 2, check_key_id = 3 };

struct key_set {
  unsigned char payload[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  unsigned char index[crypto_generichash_KEYBYTES];
  unsigned char check[32];
  explicit key_set(const master_key &m) {
    crypto_kdf_derive_from_key(payload, sizeof payload, payload_key_id, kdf_context, m.data());
    crypto_kdf_derive_from_key(index, sizeof index, index_key_id, kdf_context, m.data());
    crypto_kdf_derive_from_key(check, sizeof check, check_key_id, kdf_context, m.data());
  }
  ~key_set() {
    sodium_memzero(payload, sizeof payload);
    sodium_memzero(index, sizeof index);
    sodium_memzero(check, sizeof check);
  }
  key_set(const key_set &) = delete;
  key_set &operator=(const key_set &) = delete;

  // Keyed BLAKE2b-128 of a domain byte and the text.
  std::array<unsigned char, bi_bytes> blind(char domain, std::string_view text) const {
    std::array<unsigned char, bi_bytes> out{};
    crypto_generichash_state st;
    crypto_generichash_init(&st, index, sizeof index, out.size());
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(&domain), 1);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(text.data()), text.size());
    crypto_generichash_final(&st, out.data(), out.size());
    return out;
  }

  std::array<unsigned char, 32> key_check() const {
    static const char label[] = "xyd store key check v1";
    std::array<unsigned char, 32> out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char *>(label), sizeof label - 1, check,
                       sizeof check);
    return out;
  }
};

using bi_t = std::array<unsigned char, bi_bytes>;

errc map_sqlite(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return errc::busy;
    case SQLITE_FULL: return errc::full;
    case SQLITE_READONLY: return errc::read_only;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return errc::corrupt;
    case SQLITE_NOMEM: return errc::nomem;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM: return errc::io;
    default: return errc::error;
  }
}

status db_error(sqlite3 *db, int rc, const std::string &what) {
  return {map_sqlite(rc), "store: " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
}

// A prepared statement, reset on every use.
class stmt {
 public:
  stmt() = default;
  stmt(const stmt &) = delete;
  stmt &operator=(const stmt &) = delete;
  ~stmt() { sqlite3_finalize(s_); }
  int prepare(sqlite3 *db, const char *sql) {
    sqlite3_finalize(s_);
    s_ = nullptr;
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr);
  }
  sqlite3_stmt *get() const { return s_; }
  stmt &reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    col_ = 0;
    return *this;
  }
  stmt &bind(std::string_view text) {
    sqlite3_bind_text(s_, ++col_, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  stmt &bind_blob(const void *p, size_t n) {
    sqlite3_bind_blob(s_, ++col_, p, static_cast<int>(n), SQLITE_TRANSIENT);
    return *this;
  }
  stmt &bind(const bi_t &b) { return bind_blob(b.data(), b.size()); }
  stmt &bind(int64_t v) {
    sqlite3_bind_int64(s_, ++col_, v);
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  std::string_view text(int i) const {
    auto p = reinterpret_cast<const char *>(sqlite3_column_text(s_, i));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string_view();
  }
  std::string_view blob(int i) const {
    auto p = static_cast<const char *>(sqlite3_column_blob(s_, i));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string_view();
  }
  int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }
  bool is_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

 private:
  sqlite3_stmt *s_ = nullptr;
  int col_ = 0;
};

bi_t to_bi(std::string_view blob) {
  bi_t b{};
  std::memcpy(b.data(), blob.data(), std::min(blob.size(), b.size()));
  return b;
}

// Associated data binding a payload to its row: the record id (stable for
// the life of the store), item type, subject and date.
std::string row_aad(int64_t id, std::string_view type, const bi_t &subject_bi, std::string_view as_of) {
  std::string aad = "xyd-record-v1:" + std::to_string(id);
  aad += '\0';
  aad += type;
  aad += '\0';
  aad.append(reinterpret_cast<const char *>(subject_bi.data()), subject_bi.size());
  aad += as_of;
  return aad;
}

// Random nonces, drawn from the CSPRNG a few kilobytes at a time (one
// getrandom call per 170 records instead of one per record).
void random_nonce(unsigned char *out) {
  constexpr size_t n = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  thread_local unsigned char pool[n * 170];
  thread_local size_t used = sizeof pool;
  if (used == sizeof pool) {
    randombytes_buf(pool, sizeof pool);
    used = 0;
  }
  std::memcpy(out, pool + used, n);
  sodium_memzero(pool + used, n);
  used += n;
}

std::string seal(const unsigned char *key, std::string_view plain, std::string_view aad, std::string &nonce_out) {
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  random_nonce(nonce);
  nonce_out.assign(reinterpret_cast<const char *>(nonce), sizeof nonce);
  std::string out(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char *>(out.data()), &len,
                                             reinterpret_cast<const unsigned char *>(plain.data()), plain.size(),
                                             reinterpret_cast<const unsigned char *>(aad.data()), aad.size(), nullptr,
                                             nonce, key);
  out.resize(len);
  return out;
}

bool open_sealed(const unsigned char *key, std::string_view sealed, std::string_view nonce, std::string_view aad,
                 std::string &plain) {
  if (nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      sealed.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return false;
  plain.resize(sealed.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char *>(plain.data()), &len, nullptr,
                                                 reinterpret_cast<const unsigned char *>(sealed.data()), sealed.size(),
                                                 reinterpret_cast<const unsigned char *>(aad.data()), aad.size(),
                                                 reinterpret_cast<const unsigned char *>(nonce.data()), key) != 0)
    return false;
  plain.resize(len);
  return true;
}

// The natural key's canonical text: type, subject, then each key field's
// canonical JSON (null when absent).
std::string natural_key_text(const item_type &t, std::string_view subject, const json::value &data) {
  std::string s(t.id);
  s += '\0';
  s += subject;
  for (const auto &k : t.natural_key) {
    s += '\0';
    const json::value *v = data.find(k);
    if (v) json::dump_to(s, *v);
    else s += "null";
  }
  return s;
}

std::string default_actor() {
  for (const char *var : {"XYD_ACTOR", "USER", "LOGNAME"})
    if (const char *v = std::getenv(var); v && *v) return v;
  return "unknown";
}

std::string now_utc() {
  char buf[32];
  const time_t t = time(nullptr);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string to_hex(const std::array<unsigned char, bi_bytes> &b) {
  return xyd::to_hex(std::string_view(reinterpret_cast<const char *>(b.data()), b.size()));
}

// ---------------------------------------------------------------- schema

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
};
static_assert(sizeof migrations / sizeof migrations[0] == store::schema_version);

std::string subject_aad(const bi_t &sbi) {
  return "xyd-subject-v1" + std::string(reinterpret_cast<const char *>(sbi.data()), sbi.size());
}

std::string repair_aad(int64_t id) { return "xyd-repair-v1:" + std::to_string(id); }

std::string score_aad(int64_t id) { return "xyd-score-v1:" + std::to_string(id); }

}  // namespace

// ---------------------------------------------------------------- store

struct store::impl {
  // Declared first, destroyed last: the statements below finalise before the
  // connection closes (sqlite3_close_v2 would cope either way).
  struct connection {
    sqlite3 *db = nullptr;
    ~connection() { sqlite3_close_v2(db); }
  } conn;
  sqlite3 *&db = conn.db;
  std::unique_ptr<key_set> k;
  master_key master;  // for open_reader(); wiped with the handle
  std::string actor = default_actor();
  // A read-only handle appends to the audit log through a connection of its own.
  struct connection_owner {
    sqlite3 *db = nullptr;
    ~connection_owner() { sqlite3_close_v2(db); }
  } audit_writer;
  int busy_ms = 30000;
  std::mutex mu;
  bool read_only = false;
  std::string path;
  stmt subj_find, subj_ins, fact_find, fact_ins, ins, existing, upd, cur, uncur, batch_ins, batch_done;
  stmt record_queries[4];  // current / current by type / history / history by type
  // Revocations in memory, reloaded when PRAGMA data_version says another
  // connection committed.
  std::unordered_map<std::string, int64_t> revoked_tokens, revoked_grants;
  int64_t revocations_version = -1;
  std::chrono::steady_clock::time_point revocations_checked{};
  stmt data_version;

  status exec(const char *sql, const char *what) {
    char *err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return status::ok();
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return {map_sqlite(rc), std::string("store: ") + what + ": " + msg};
  }

  result<int64_t> user_version() {
    stmt s;
    if (int rc = s.prepare(db, "PRAGMA user_version"); rc != SQLITE_OK) return db_error(db, rc, "reading the schema version");
    if (int rc = s.step(); rc != SQLITE_ROW) return db_error(db, rc, "reading the schema version");
    return s.integer(0);
  }

  bool has_table(const char *name) {
    stmt s;
    if (s.prepare(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?") != SQLITE_OK) return false;
    s.bind(std::string_view(name));
    return s.step() == SQLITE_ROW;
  }

  status migrate(int64_t from, int64_t to) {
    for (int64_t v = from; v < to; ++v) {
      if (auto st = exec(migrations[v], "migrating the schema"); !st) return st;
      if (v + 1 == 2)
        if (auto st = backfill_subjects(); !st) return st;
    }
    const std::string pragma = "PRAGMA user_version = " + std::to_string(to);
    return exec(pragma.c_str(), "setting the schema version");
  }

  // Schema 2 seals each subject; subjects stored before are read back from
  // one of their records.
  status backfill_subjects() {
    stmt s, u;
    if (int rc = s.prepare(db,
                           "SELECT r.item_type, s.subject_bi, r.as_of, r.id, r.nonce, r.payload, s.subject_id "
                           "FROM subjects s JOIN records r ON r.id = (SELECT min(id) FROM records WHERE subject_id = s.subject_id) "
                           "WHERE s.sealed IS NULL");
        rc != SQLITE_OK)
      return db_error(db, rc, "backfilling subjects");
    u.prepare(db, "UPDATE subjects SET nonce = ?, sealed = ? WHERE subject_id = ?");
    std::string plain, nonce;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      const bi_t sbi = to_bi(s.blob(1));
      if (!open_sealed(k->payload, s.blob(5), s.blob(4), row_aad(s.integer(3), s.text(0), sbi, s.text(2)), plain))
        return {errc::corrupt, "store: a record failed authentication while backfilling subjects"};
      auto doc = json::parse(plain);
      if (!doc || !doc->find("subject")) return {errc::corrupt, "store: a record does not parse"};
      const std::string sealed = seal(k->payload, doc->find("subject")->text, subject_aad(sbi), nonce);
      u.reset().bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size()).bind(s.integer(6));
      if (int urc = u.step(); urc != SQLITE_DONE) return db_error(db, urc, "backfilling subjects");
    }
    return rc == SQLITE_DONE ? status::ok() : db_error(db, rc, "backfilling subjects");
  }

  // The id of a subject, or 0 when the store has never seen it.
  result<int64_t> find_subject(const bi_t &sbi) {
    subj_find.reset().bind(sbi);
    const int rc = subj_find.step();
    if (rc == SQLITE_ROW) {
      const int64_t id = subj_find.integer(0);
      subj_find.reset();
      return id;
    }
    subj_find.reset();
    return rc == SQLITE_DONE ? result<int64_t>(int64_t{0}) : result<int64_t>(db_error(db, rc, "finding a subject"));
  }

  result<int64_t> add_subject(const bi_t &sbi, std::string_view subject) {
    std::string nonce;
    const std::string sealed = seal(k->payload, subject, subject_aad(sbi), nonce);
    subj_ins.reset().bind(sbi).bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size());
    if (int rc = subj_ins.step(); rc != SQLITE_DONE) return db_error(db, rc, "storing a subject");
    return sqlite3_last_insert_rowid(db);
  }

  status prepare_statements() {
    struct {
      stmt *s;
      const char *sql;
    } list[] = {
        {&subj_find, "SELECT subject_id FROM subjects WHERE subject_bi = ?"},
        {&subj_ins, "INSERT INTO subjects (subject_bi, nonce, sealed) VALUES (?, ?, ?)"},
        {&fact_find, "SELECT fact_id, current_as_of, current_id FROM facts WHERE nk_bi = ?"},
        {&fact_ins, "INSERT INTO facts (nk_bi, subject_id, item_type) VALUES (?, ?, ?)"},
        {&ins, "INSERT INTO records (id, fact_id, subject_id, item_type, as_of, content_hash, nonce, payload, batch_id, "
               "is_current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fact_id, as_of) DO NOTHING"},
        {&existing, "SELECT id, content_hash, batch_id FROM records WHERE fact_id = ? AND as_of = ?"},
        {&upd, "UPDATE records SET content_hash = ?, nonce = ?, payload = ?, batch_id = ? WHERE id = ?"},
        {&cur, "UPDATE facts SET current_id = ?, current_as_of = ? WHERE fact_id = ?"},
        {&uncur, "UPDATE records SET is_current = 0 WHERE id = ?"},
        {&batch_ins, "INSERT INTO batches (started_at, source) VALUES (?, ?)"},
        {&batch_done, "UPDATE batches SET finished_at = ?, summary = ? WHERE id = ?"},
    };
    for (auto &e : list) {
      if (read_only && e.s != &subj_find) continue;
      if (int rc = e.s->prepare(db, e.sql); rc != SQLITE_OK) return db_error(db, rc, "preparing statements");
    }
    return status::ok();
  }

  status insert_revocation(const bi_t &key, const char *kind, int64_t at) {
    stmt s;
    s.prepare(db,
              "INSERT INTO revocations (key_bi, kind, revoked_at) VALUES (?, ?, ?) "
              "ON CONFLICT (key_bi) DO UPDATE SET revoked_at = max(revoked_at, excluded.revoked_at)");
    s.bind(key).bind(std::string_view(kind)).bind(at);
    if (int rc = s.step(); rc != SQLITE_DONE) return db_error(db, rc, "revoking");
    auto &set = std::string_view(kind) == "token" ? revoked_tokens : revoked_grants;
    auto &slot = set[std::string(reinterpret_cast<const char *>(key.data()), key.size())];
    slot = std::max(slot, at);
    return status::ok();
  }

  status decrypt_row(int64_t id, std::string_view type, const bi_t &sbi, std::string_view as_of, std::string_view nonce,
                     std::string_view payload, std::string &plain) {
    if (!open_sealed(k->payload, payload, nonce, row_aad(id, type, sbi, as_of), plain))
      return {errc::corrupt, "store: record failed authentication (tampered with, moved between rows, or damaged)"};
    return status::ok();
  }

  // The connection audit entries go through (the mutex held).
  result<sqlite3 *> audit_db() {
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

  // Runs `action` and appends `e` in one write transaction.
  template <class F>
  status audited(const store::audit_event &e, const char *what, F &&action) {
    if (auto st = exec("BEGIN IMMEDIATE", what); !st) return st;
    status st = action();
    if (st) st = append_audit(e);
    if (st) st = exec("COMMIT", what);
    if (!st) (void)exec("ROLLBACK", "rollback");
    return st;
  }

  // Statements of the audit append, prepared once per connection.
  struct audit_statements {
    stmt last, insert, begin, commit, rollback;
    sqlite3 *on = nullptr;
  } audit_main, audit_side;

  // Appends one entry; inside the open transaction of `db` if there is one.
  status append_audit(const store::audit_event &e) {
    auto target = audit_db();
    if (!target) return target.error();
    sqlite3 *a = *target;
    audit_statements &st = a == db ? audit_main : audit_side;
    if (st.on != a) {
      if (int rc = st.last.prepare(a, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"); rc != SQLITE_OK)
        return db_error(a, rc, "reading the audit log");
      st.insert.prepare(a, "INSERT INTO audit (seq, entry, hash) VALUES (?, ?, ?)");
      st.begin.prepare(a, "BEGIN IMMEDIATE");
      st.commit.prepare(a, "COMMIT");
      st.rollback.prepare(a, "ROLLBACK");
      st.on = a;
    }
    const bool own = sqlite3_get_autocommit(a) != 0;
    auto run = [&](stmt &x) -> status {
      const int rc = x.reset().step();
      x.reset();
      if (rc == SQLITE_DONE) return status::ok();
      return db_error(a, rc, "audit log");
    };
    if (own)
      if (auto rs = run(st.begin); !rs) return rs;
    auto fail = [&](status failure) {
      if (own) (void)run(st.rollback);
      return failure;
    };
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
      return fail(db_error(a, rc, "reading the audit log"));
    }
    last.reset();
    std::string entry = "{\"seq\":" + std::to_string(seq) + ",\"at\":\"" + format_rfc3339(now_unix()) + "\",\"actor\":";
    json::append_quoted(entry, actor);
    entry += ",\"action\":";
    json::append_quoted(entry, e.action);
    entry += ",\"outcome\":";
    json::append_quoted(entry, e.outcome);
    entry += ",\"subject\":";
    if (!e.subject.empty()) entry += "\"" + to_hex(k->blind('s', e.subject)) + "\"";
    else if (!e.subject_index.empty()) entry += "\"" + e.subject_index + "\"";
    else entry += "null";
    entry += ",\"item_types\":[";
    for (size_t i = 0; i < e.item_types.size(); ++i) {
      if (i) entry += ',';
      json::append_quoted(entry, e.item_types[i]);
    }
    entry += ']';
    for (const auto &[key, v] : {std::pair<const char *, const std::string *>{"jti", &e.jti}, {"audience", &e.audience},
                                 {"purpose", &e.purpose}, {"reason", &e.reason}}) {
      entry += ",\"";
      entry += key;
      entry += "\":";
      if (v->empty()) entry += "null";
      else json::append_quoted(entry, *v);
    }
    entry += ",\"detail\":";
    entry += e.detail_json.empty() ? std::string("null") : e.detail_json;
    entry += '}';
    const auto hash = audit_chain_hash(prev, entry);
    stmt &ins = st.insert;
    ins.reset().bind(seq).bind(entry).bind_blob(hash.data(), hash.size());
    rc = ins.step();
    ins.reset();
    if (rc != SQLITE_DONE) return fail(db_error(a, rc, "appending to the audit log"));
    if (own)
      if (auto rs = run(st.commit); !rs) return fail(rs);
    return status::ok();
  }
};

store::store(std::unique_ptr<impl> p) : p_(std::move(p)) {}
store::~store() = default;

result<std::unique_ptr<store>> store::open(const std::string &path, const master_key &key, const store_options &opt) {
  if (!sodium_ready()) return {errc::internal, "libsodium failed to initialise"};
  auto p = std::make_unique<impl>();
  p->path = path;
  p->read_only = opt.flags & store_flags::read_only;
  int flags = SQLITE_OPEN_NOMUTEX | (p->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
  if (!p->read_only && (opt.flags & store_flags::create)) flags |= SQLITE_OPEN_CREATE;
  if (int rc = sqlite3_open_v2(path.c_str(), &p->db, flags, nullptr); rc != SQLITE_OK) {
    status st = db_error(p->db, rc, "cannot open " + path);
    if ((rc & 0xFF) == SQLITE_CANTOPEN && !(opt.flags & store_flags::create))
      st = status(errc::not_found, "store: " + path + " does not exist (open it with the create flag to make one)");
    return st;
  }
  sqlite3_extended_result_codes(p->db, 1);
  sqlite3_busy_timeout(p->db, opt.busy_timeout_ms);
  p->k = std::make_unique<key_set>(key);
  p->master = key;
  p->busy_ms = opt.busy_timeout_ms;

  // Is this an xyd store, a new file, or something else? One query, so that
  // the three answers come from one snapshot while another process may be
  // creating the same store.
  bool fresh = false;
  {
    stmt look;
    int rc = look.prepare(p->db,
                          "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema), "
                          "(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta')");
    if (rc == SQLITE_OK) rc = look.step();
    if (rc != SQLITE_ROW) {
      const errc code = map_sqlite(rc);
      if (code == errc::corrupt || code == errc::error)
        return status(errc::corrupt, "store: " + path + " is not an xyd store (not a SQLite database)");
      return db_error(p->db, rc, "cannot read " + path);
    }
    const bool has_meta = look.integer(2) > 0;
    if (!has_meta && look.integer(1) > 0)
      return status(errc::corrupt, "store: " + path + " is a SQLite database but not an xyd store");
    fresh = !has_meta;
  }
  if (fresh && p->read_only) return status(errc::not_found, "store: " + path + " is empty; it cannot be created read-only");
  result<int64_t> version = int64_t{0};
  if (!p->read_only) {
    // Switching to WAL needs a moment of exclusive access, which SQLite does
    // not wait for: retry within the busy timeout (another process may be
    // creating the same store).
    for (int waited = 0;; waited += 10) {
      status st = p->exec("PRAGMA journal_mode = WAL", "setting WAL mode");
      if (st) break;
      if (st.code() != errc::busy || waited >= opt.busy_timeout_ms) return st;
      ::usleep(10000);
    }
  }
  if (auto st = p->exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; "
                        "PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -131072",
                        "setting pragmas");
      !st)
    return st;
  if (opt.max_pages > 0) {
    const std::string pragma = "PRAGMA max_page_count = " + std::to_string(opt.max_pages);
    if (auto st = p->exec(pragma.c_str(), "capping the size"); !st) return st;
  }

  const auto check = p->k->key_check();
  if (fresh) {
    if (auto st = p->exec("BEGIN IMMEDIATE", "creating the store"); !st) return st;
    // Another process may have created it while we waited for the lock.
    if (p->has_table("meta")) {
      if (auto st = p->exec("COMMIT", "opening the store"); !st) return st;
    }
  }
  if (fresh && !p->has_table("meta")) {
    status st = p->migrate(0, schema_version);
    if (st) {
      stmt m;
      m.prepare(p->db, "INSERT INTO meta (key, value) VALUES ('format', 'xyd-store'), ('key_check', ?), ('created_at', ?)");
      m.bind_blob(check.data(), check.size()).bind(now_utc());
      if (int rc = m.step(); rc != SQLITE_DONE) st = db_error(p->db, rc, "creating the store");
    }
    if (st) st = p->exec("COMMIT", "creating the store");
    if (!st) {
      (void)p->exec("ROLLBACK", "rollback");
      return st;
    }
  } else {
    {
      // Scoped: a statement left stepping would hold a read snapshot, and a
      // write transaction begun on a stale snapshot fails at once (BUSY)
      // instead of waiting for the other process.
      stmt m;
      if (int rc = m.prepare(p->db, "SELECT value FROM meta WHERE key = 'key_check'"); rc != SQLITE_OK)
        return status(errc::corrupt, "store: " + path + " is not an xyd store (no key check)");
      if (m.step() != SQLITE_ROW) return status(errc::corrupt, "store: " + path + " has no key check");
      const auto stored = m.blob(0);
      if (stored.size() != check.size() || sodium_memcmp(stored.data(), check.data(), check.size()) != 0)
        return status(errc::key, "store: wrong key for " + path + " (the store was created under another master key)");
    }
    // Read again: another process may have created or upgraded the store
    // since the first look.
    version = p->user_version();
    if (!version) return version.error();
    if (*version > schema_version)
      return status(errc::error, "store: " + path + " has schema version " + std::to_string(*version) +
                                     ", newer than this xyd (" + std::to_string(schema_version) + "): upgrade xyd");
    if (*version < schema_version) {
      if (p->read_only)
        return status(errc::read_only, "store: " + path + " has schema version " + std::to_string(*version) +
                                           " and must be upgraded; open it once for writing");
      if (auto st = p->exec("BEGIN IMMEDIATE", "upgrading the store"); !st) return st;
      // Another process may have upgraded it meanwhile.
      auto again = p->user_version();
      status st = again ? p->migrate(*again, schema_version) : again.error();
      if (st) st = p->exec("COMMIT", "upgrading the store");
      if (!st) {
        (void)p->exec("ROLLBACK", "rollback");
        return st;
      }
    }
  }
  if (auto st = p->prepare_statements(); !st) return st;
  return std::unique_ptr<store>(new store(std::move(p)));
}

// ---------------------------------------------------------------- batches

struct store::batch::state {
  store::impl *p = nullptr;
  std::unique_lock<std::mutex> lock;
  int64_t id = 0;
  bool open = false;
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

  ~state() {
    if (open) (void)p->exec("ROLLBACK", "rolling back");
  }
};

store::batch::batch(std::unique_ptr<state> s) : s_(std::move(s)) {}
store::batch::batch(batch &&other) noexcept = default;
store::batch::~batch() = default;
int64_t store::batch::id() const noexcept { return s_ ? s_->id : 0; }

result<store::batch> store::begin_batch(const std::string &source_name) {
  auto s = std::make_unique<batch::state>();
  s->p = p_.get();
  s->lock = std::unique_lock(p_->mu);
  if (p_->read_only) return status(errc::read_only, "store: opened read-only; cannot ingest");
  if (auto st = p_->exec("BEGIN IMMEDIATE", "starting a batch"); !st) return st;
  s->open = true;
  p_->batch_ins.reset().bind(now_utc()).bind(source_name);
  if (int rc = p_->batch_ins.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "starting a batch");
  s->id = sqlite3_last_insert_rowid(p_->db);
  // Record ids are handed out here (the write lock is held), so that each
  // payload can be sealed to its row id before the row exists.
  stmt max_id;
  max_id.prepare(p_->db, "SELECT coalesce(max(id), 0) + 1 FROM records");
  if (int rc = max_id.step(); rc != SQLITE_ROW) return db_error(p_->db, rc, "starting a batch");
  s->next_id = max_id.integer(0);
  return batch(std::move(s));
}

result<store::batch::outcome> store::batch::put(const item_type &type, const json::value &record) {
  if (!s_ || !s_->open) return {errc::invalid_arg, "store: batch is closed"};
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
  std::string sealed = seal(p.k->payload, s_->plain, row_aad(id, type.id, sbi, as_of->text), s_->nonce);
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
    p.existing.reset();
    if (!same && this_batch)
      return status(errc::validation,
                    "conflict: an earlier record of this batch has the same natural key and as_of with other content");
    if (!same) {
      sealed = seal(p.k->payload, s_->plain, row_aad(record_id, type.id, sbi, as_of->text), s_->nonce);
      p.upd.reset().bind(hash).bind_blob(s_->nonce.data(), s_->nonce.size()).bind_blob(sealed.data(), sealed.size())
          .bind(s_->id).bind(record_id);
      if (rc = p.upd.step(); rc != SQLITE_DONE) return db_error(p.db, rc, "updating a record");
      result_kind = outcome::updated;
    }
  }
  return result_kind;
}

status store::batch::commit(const std::string &summary_json) {
  if (!s_ || !s_->open) return {errc::invalid_arg, "store: batch is closed"};
  impl &p = *s_->p;
  p.batch_done.reset().bind(now_utc()).bind(summary_json).bind(s_->id);
  if (int rc = p.batch_done.step(); rc != SQLITE_DONE) return db_error(p.db, rc, "finishing a batch");
  {
    // The batch's counts (never a value) go to the audit log with it.
    store::audit_event e;
    e.action = "ingest";
    std::string detail = "{\"batch\":" + std::to_string(s_->id);
    if (auto sum = json::parse(summary_json)) {
      for (const char *key : {"records", "inserted", "updated", "unchanged", "rejected"})
        if (const json::value *v = sum->find(key); v && v->is(json::kind::number)) detail += ",\"" + std::string(key) + "\":" + v->text;
      if (const json::value *pt = sum->find("per_type"); pt && pt->is(json::kind::object))
        for (const auto &[type, counts] : pt->members) e.item_types.push_back(type);
    }
    e.detail_json = detail + "}";
    if (auto st = p.append_audit(e); !st) return st;
  }
  status st = p.exec("COMMIT", "committing a batch");
  if (!st) return st;  // the destructor rolls back
  s_->open = false;
  return status::ok();
}

// ---------------------------------------------------------------- queries

result<std::string> store::records(const record_query &q) {
  std::lock_guard lock(p_->mu);
  auto cat = current_catalog();
  const bi_t sbi = p_->k->blind('s', q.subject);
  auto subject_id = p_->find_subject(sbi);
  if (!subject_id) return subject_id.error();
  if (!*subject_id) {
    if (q.audit) {
      audit_event e;
      e.action = "records";
      e.subject = q.subject;
      e.detail_json = "{\"records\":0}";
      if (auto st = p_->append_audit(e); !st) return st;
    }
    return std::string("[]");
  }
  // Four shapes of query, each prepared once per handle.
  stmt &s = p_->record_queries[(q.history ? 2 : 0) + (q.item_type.empty() ? 0 : 1)];
  if (!s.get()) {
    std::string sql =
        "SELECT id, item_type, as_of, is_current, nonce, payload, state, repair_nonce, repair FROM records "
        "WHERE subject_id = ?";
    if (!q.history) sql += " AND is_current = 1 AND state = 'active'";
    if (!q.item_type.empty()) sql += " AND item_type = ?";
    sql += " ORDER BY item_type, as_of DESC, id";
    if (int rc = s.prepare(p_->db, sql.c_str()); rc != SQLITE_OK) return db_error(p_->db, rc, "querying records");
  }
  s.reset().bind(*subject_id);
  if (!q.item_type.empty()) s.bind(q.item_type);
  std::string out = "[";
  std::string plain, repair;
  int rc;
  bool first = true;
  std::vector<std::string> types;
  size_t count = 0;
  while ((rc = s.step()) == SQLITE_ROW) {
    const std::string_view type = s.text(1);
    if (q.audit) {
      ++count;
      if (types.empty() || types.back() != type) types.emplace_back(type);
    }
    if (q.category) {
      const item_type *t = cat->find(type);
      if (!t || t->category != q.category) continue;
    }
    if (auto st = p_->decrypt_row(s.integer(0), type, sbi, s.text(2), s.blob(4), s.blob(5), plain); !st) return st;
    // The payload is the record's canonical JSON object: the row's facts go first.
    if (plain.size() < 2 || plain.front() != '{' || plain.back() != '}') return status(errc::corrupt, "store: bad payload");
    out += first ? "" : ",";
    first = false;
    out += "{\"id\":" + std::to_string(s.integer(0)) + ",\"state\":\"";
    out += s.text(6);
    out += "\",\"current\":";
    out += s.integer(3) ? "true" : "false";
    if (!s.is_null(8)) {
      if (!open_sealed(p_->k->payload, s.blob(8), s.blob(7), repair_aad(s.integer(0)), repair))
        return status(errc::corrupt, "store: repair note failed authentication");
      out += ",\"repair\":";
      out += repair;
    }
    out += ',';
    out.append(plain, 1, std::string::npos);
  }
  s.reset();
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "querying records");
  out += ']';
  if (q.audit) {
    audit_event e;
    e.action = "records";
    e.subject = q.subject;
    e.item_types = std::move(types);
    e.detail_json = "{\"records\":" + std::to_string(count) + ",\"history\":" + (q.history ? "true" : "false") + "}";
    if (auto st = p_->append_audit(e); !st) return st;
  }
  return out;
}

result<std::vector<stored_record>> store::read(const record_query &q) {
  std::lock_guard lock(p_->mu);
  auto cat = current_catalog();
  const bi_t sbi = p_->k->blind('s', q.subject);
  auto subject_id = p_->find_subject(sbi);
  if (!subject_id) return subject_id.error();
  std::vector<stored_record> out;
  std::vector<std::string> types;
  size_t count = 0;
  if (*subject_id) {
    stmt &s = p_->record_queries[(q.history ? 2 : 0) + (q.item_type.empty() ? 0 : 1)];
    if (!s.get()) {
      std::string sql =
          "SELECT id, item_type, as_of, is_current, nonce, payload, state, repair_nonce, repair FROM records "
          "WHERE subject_id = ?";
      if (!q.history) sql += " AND is_current = 1 AND state = 'active'";
      if (!q.item_type.empty()) sql += " AND item_type = ?";
      sql += " ORDER BY item_type, as_of DESC, id";
      if (int rc = s.prepare(p_->db, sql.c_str()); rc != SQLITE_OK) return db_error(p_->db, rc, "querying records");
    }
    s.reset().bind(*subject_id);
    if (!q.item_type.empty()) s.bind(q.item_type);
    std::string plain, note;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      const std::string_view type = s.text(1);
      if (q.audit) {
        ++count;
        if (types.empty() || types.back() != type) types.emplace_back(type);
      }
      if (q.category) {
        const item_type *t = cat->find(type);
        if (!t || t->category != q.category) continue;
      }
      const int64_t id = s.integer(0);
      if (auto st = p_->decrypt_row(id, type, sbi, s.text(2), s.blob(4), s.blob(5), plain); !st) return st;
      auto doc = json::parse_in(plain);
      if (!doc) return status(errc::corrupt, "store: record " + std::to_string(id) + ": bad payload");
      auto rec = record_from_value(std::move(*doc));
      if (!rec) return status(errc::corrupt, "store: record " + std::to_string(id) + ": " + rec.error().message());
      stored_record &r = out.emplace_back();
      static_cast<record &>(r) = std::move(*rec);
      r.id = id;
      r.current = s.integer(3) != 0;
      r.state = parse_record_state(s.text(6)).value_or(record_state::active);
      if (!s.is_null(8)) {
        if (!open_sealed(p_->k->payload, s.blob(8), s.blob(7), repair_aad(id), note))
          return status(errc::corrupt, "store: repair note failed authentication");
        auto n = json::parse_in(note);
        if (!n || !n->is(json::kind::object)) return status(errc::corrupt, "store: bad repair note");
        auto text = [&](const char *key) {
          const json::value *v = n->find(key);
          return v && v->is(json::kind::string) ? v->text : std::string();
        };
        r.repair = repair_note{text("action"), text("reason"), text("date"), text("operator"), text("recorded_at")};
      }
    }
    s.reset();
    if (rc != SQLITE_DONE) return db_error(p_->db, rc, "querying records");
  }
  if (q.audit) {
    audit_event e;
    e.action = "records";
    e.subject = q.subject;
    e.item_types = std::move(types);
    e.detail_json = *subject_id ? "{\"records\":" + std::to_string(count) + ",\"history\":" + (q.history ? "true" : "false") + "}"
                                : std::string("{\"records\":0}");
    if (auto st = p_->append_audit(e); !st) return st;
  }
  return out;
}

result<std::string> store::subjects(bool audit) {
  std::lock_guard lock(p_->mu);
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
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ',';
    json::append_quoted(out, list[i]);
  }
  out += ']';
  if (audit) {
    audit_event e;
    e.action = "subjects";
    e.detail_json = "{\"subjects\":" + std::to_string(list.size()) + "}";
    if (auto st = p_->append_audit(e); !st) return st;
  }
  return out;
}

status store::repair(const repair_request &r) {
  if (r.action != "withdraw" && r.action != "repair")
    return {errc::invalid_arg, "store: repair action must be \"withdraw\" or \"repair\""};
  if (r.reason.empty() || r.operator_name.empty())
    return {errc::invalid_arg, "store: a repair needs a reason and an operator"};
  if (!parse_date(r.date)) return {errc::invalid_arg, "store: repair date must be YYYY-MM-DD"};
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  stmt s;
  s.prepare(p_->db, "SELECT r.state, r.item_type, hex(j.subject_bi) FROM records r JOIN subjects j USING (subject_id) WHERE r.id = ?");
  s.bind(r.id);
  int rc = s.step();
  if (rc == SQLITE_DONE) return {errc::not_found, "store: no record with id " + std::to_string(r.id)};
  if (rc != SQLITE_ROW) return db_error(p_->db, rc, "repairing");
  if (s.text(0) != "active")
    return {errc::exists, "store: record " + std::to_string(r.id) + " is " + std::string(s.text(0)) + " already"};
  audit_event e;
  e.action = r.action;
  e.item_types = {std::string(s.text(1))};
  e.subject_index = std::string(s.text(2));
  for (auto &c : e.subject_index) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  e.detail_json = "{\"record\":" + std::to_string(r.id) + "}";
  s.reset();
  auto note = json::value::object();
  note.add("action", json::value::of_string(r.action));
  note.add("reason", json::value::of_string(r.reason));
  note.add("date", json::value::of_string(r.date));
  note.add("operator", json::value::of_string(r.operator_name));
  note.add("recorded_at", json::value::of_string(now_utc()));
  std::string nonce;
  const std::string sealed = seal(p_->k->payload, json::dump(note), repair_aad(r.id), nonce);
  stmt u;
  u.prepare(p_->db, "UPDATE records SET state = ?, repair_nonce = ?, repair = ? WHERE id = ? AND state = 'active'");
  u.bind(std::string_view(r.action == "withdraw" ? "withdrawn" : "repaired"))
      .bind_blob(nonce.data(), nonce.size())
      .bind_blob(sealed.data(), sealed.size())
      .bind(r.id);
  return p_->audited(e, "repairing", [&]() -> status {
    if (int urc = u.step(); urc != SQLITE_DONE) return db_error(p_->db, urc, "repairing");
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
  if (auto st = p_->exec("BEGIN IMMEDIATE", "purging"); !st) return st;
  auto fail = [&](status st) {
    (void)p_->exec("ROLLBACK", "rollback");
    return st;
  };
  stmt del;
  del.prepare(p_->db, "DELETE FROM records WHERE as_of < ?");
  del.bind(before);
  if (int rc = del.step(); rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "purging"));
  const int64_t deleted = sqlite3_changes(p_->db);
  if (auto st = p_->exec(recompute_current, "purging"); !st) return fail(st);
  audit_event e;
  e.action = "purge";
  e.detail_json = "{\"before\":\"" + std::string(before) + "\",\"deleted\":" + std::to_string(deleted) + "}";
  if (auto st = p_->append_audit(e); !st) return fail(st);
  if (auto st = p_->exec("COMMIT", "purging"); !st) return fail(st);
  return std::string("{\"before\":\"") + std::string(before) + "\",\"deleted\":" + std::to_string(deleted) + "}";
}

status store::rekey(const master_key &new_key) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  auto next = std::make_unique<key_set>(new_key);
  if (auto st = p_->exec("BEGIN IMMEDIATE", "rekeying"); !st) return st;
  auto fail = [&](status st) {
    (void)p_->exec("ROLLBACK", "rollback");
    return st;
  };
  auto cat = current_catalog();
  // Subjects first: their new blind indexes are needed for the records' AAD.
  std::unordered_map<int64_t, std::pair<bi_t, bi_t>> subject_bis;  // id -> (old, new)
  {
    stmt s, u;
    s.prepare(p_->db, "SELECT subject_id, subject_bi, nonce, sealed FROM subjects");
    u.prepare(p_->db, "UPDATE subjects SET subject_bi = ?, nonce = ?, sealed = ? WHERE subject_id = ?");
    std::string plain, nonce;
    std::vector<std::tuple<int64_t, bi_t, std::string>> all;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      const bi_t old_bi = to_bi(s.blob(1));
      if (!open_sealed(p_->k->payload, s.blob(3), s.blob(2), subject_aad(old_bi), plain))
        return fail({errc::corrupt, "store: a subject failed authentication"});
      all.emplace_back(s.integer(0), old_bi, plain);
    }
    if (rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "rekeying"));
    s.reset();
    for (const auto &[id, old_bi, subject] : all) {
      const bi_t new_bi = next->blind('s', subject);
      const std::string sealed = seal(next->payload, subject, subject_aad(new_bi), nonce);
      u.reset().bind(new_bi).bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size()).bind(id);
      if (int urc = u.step(); urc != SQLITE_DONE) return fail(db_error(p_->db, urc, "rekeying"));
      subject_bis[id] = {old_bi, new_bi};
    }
  }
  stmt sel, upd, fact;
  sel.prepare(p_->db,
              "SELECT id, item_type, subject_id, as_of, nonce, payload, repair_nonce, repair, fact_id FROM records "
              "WHERE id > ? ORDER BY id LIMIT 512");
  upd.prepare(p_->db, "UPDATE records SET content_hash = ?, nonce = ?, payload = ?, repair_nonce = ?, repair = ? WHERE id = ?");
  fact.prepare(p_->db, "UPDATE facts SET nk_bi = ? WHERE fact_id = ?");
  std::unordered_map<int64_t, bi_t> new_nk;  // fact id -> new natural-key index (facts are renamed after the loop)
  std::string plain, repair, nonce, repair_nonce;
  int64_t last = 0;
  for (;;) {
    struct row {
      int64_t id, subject_id, fact_id;
      std::string type, as_of, nonce, payload, repair_nonce, repair;
      bool has_repair;
    };
    std::vector<row> rows;
    sel.reset().bind(last);
    int rc;
    while ((rc = sel.step()) == SQLITE_ROW)
      rows.push_back({sel.integer(0), sel.integer(2), sel.integer(8), std::string(sel.text(1)), std::string(sel.text(3)),
                      std::string(sel.blob(4)), std::string(sel.blob(5)), std::string(sel.blob(6)), std::string(sel.blob(7)),
                      !sel.is_null(7)});
    if (rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "rekeying"));
    if (rows.empty()) break;
    for (auto &r : rows) {
      last = r.id;
      const auto &[old_sbi, new_sbi] = subject_bis.at(r.subject_id);
      if (auto st = p_->decrypt_row(r.id, r.type, old_sbi, r.as_of, r.nonce, r.payload, plain); !st) return fail(st);
      auto doc = json::parse(plain);
      const item_type *t = cat->find(r.type);
      if (!doc || !doc->find("subject") || !doc->find("data")) return fail({errc::corrupt, "store: bad payload"});
      if (!t)
        return fail({errc::not_found, "store: item type " + r.type + " is not in the catalog in force; load its extension first"});
      const bi_t nk = next->blind('n', natural_key_text(*t, doc->find("subject")->text, *doc->find("data")));
      new_nk[r.fact_id] = nk;
      const std::string sealed = seal(next->payload, plain, row_aad(r.id, r.type, new_sbi, r.as_of), nonce);
      std::string sealed_repair;
      if (r.has_repair) {
        if (!open_sealed(p_->k->payload, r.repair, r.repair_nonce, repair_aad(r.id), repair))
          return fail({errc::corrupt, "store: repair note failed authentication"});
        sealed_repair = seal(next->payload, repair, repair_aad(r.id), repair_nonce);
      }
      upd.reset().bind(next->blind('c', plain)).bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size());
      // A NULL pointer binds SQL NULL: no repair note.
      if (r.has_repair) upd.bind_blob(repair_nonce.data(), repair_nonce.size()).bind_blob(sealed_repair.data(), sealed_repair.size());
      else upd.bind_blob(nullptr, 0).bind_blob(nullptr, 0);
      upd.bind(r.id);
      if (int urc = upd.step(); urc != SQLITE_DONE) return fail(db_error(p_->db, urc, "rekeying"));
    }
  }
  for (const auto &[fact_id, nk] : new_nk) {
    fact.reset().bind(nk).bind(fact_id);
    if (int rc = fact.step(); rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "rekeying"));
  }
  {
    // The pseudonym key is carried over, sealed anew.
    stmt pk;
    pk.prepare(p_->db, "SELECT value FROM meta WHERE key = 'pseudonym_key'");
    if (pk.step() == SQLITE_ROW) {
      const std::string_view v = pk.blob(0);
      const size_t n = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
      std::string key;
      if (v.size() < n || !open_sealed(p_->k->payload, v.substr(n), v.substr(0, n), "xyd-pseudonym-key-v1", key))
        return fail({errc::corrupt, "store: the pseudonym key failed authentication"});
      std::string nonce2;
      const std::string value = [&] {
        const std::string sealed = seal(next->payload, key, "xyd-pseudonym-key-v1", nonce2);
        return nonce2 + sealed;
      }();
      sodium_memzero(key.data(), key.size());
      pk.reset();
      stmt up;
      up.prepare(p_->db, "UPDATE meta SET value = ? WHERE key = 'pseudonym_key'");
      up.bind_blob(value.data(), value.size());
      if (int rc = up.step(); rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "rekeying"));
    }
  }
  const auto check = next->key_check();
  stmt m;
  m.prepare(p_->db, "UPDATE meta SET value = ? WHERE key = 'key_check'");
  m.bind_blob(check.data(), check.size());
  if (int rc = m.step(); rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "rekeying"));
  {
    audit_event e;
    e.action = "rekey";
    e.detail_json = "{\"subjects\":" + std::to_string(subject_bis.size()) + "}";
    if (auto st = p_->append_audit(e); !st) return fail(st);
  }
  {
    // Score results are sealed to their row: open and seal anew.
    stmt s, u;
    s.prepare(p_->db, "SELECT id, nonce, sealed FROM scores");
    std::vector<std::pair<int64_t, std::string>> all;
    std::string plain;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      if (!open_sealed(p_->k->payload, s.blob(2), s.blob(1), score_aad(s.integer(0)), plain))
        return fail({errc::corrupt, "store: a score failed authentication"});
      all.emplace_back(s.integer(0), plain);
    }
    if (rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "rekeying"));
    s.reset();
    u.prepare(p_->db, "UPDATE scores SET nonce = ?, sealed = ? WHERE id = ?");
    std::string nonce3;
    for (const auto &[id, text] : all) {
      const std::string sealed = seal(next->payload, text, score_aad(id), nonce3);
      u.reset().bind_blob(nonce3.data(), nonce3.size()).bind_blob(sealed.data(), sealed.size()).bind(id);
      if (int urc = u.step(); urc != SQLITE_DONE) return fail(db_error(p_->db, urc, "rekeying"));
    }
  }
  if (auto st = p_->exec("COMMIT", "rekeying"); !st) return fail(st);
  std::swap(p_->k, next);
  p_->master = new_key;
  return status::ok();
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
  auto scalar = [&](const char *sql) -> int64_t {
    stmt q;
    q.prepare(p_->db, sql);
    return q.step() == SQLITE_ROW ? q.integer(0) : -1;
  };
  std::string out = "{\"schema_version\":" + std::to_string(scalar("PRAGMA user_version")) +
                    ",\"records\":" + std::to_string(records) + ",\"current\":" + std::to_string(current) +
                    ",\"history\":" + std::to_string(records - current - withdrawn - repaired) +
                    ",\"withdrawn\":" + std::to_string(withdrawn) + ",\"repaired\":" + std::to_string(repaired) +
                    ",\"subjects\":" + std::to_string(scalar("SELECT count(*) FROM subjects")) +
                    ",\"facts\":" + std::to_string(scalar("SELECT count(*) FROM facts")) +
                    ",\"batches\":" + std::to_string(scalar("SELECT count(*) FROM batches WHERE finished_at IS NOT NULL")) +
                    ",\"page_count\":" + std::to_string(scalar("PRAGMA page_count")) +
                    ",\"page_size\":" + std::to_string(scalar("PRAGMA page_size")) + ",\"per_type\":" + per_type + "}";
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

// ---------------------------------------------------------------- consent support

status store::trust_key(const trusted_key &k) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  stmt s;
  s.prepare(p_->db,
            "INSERT INTO trusted_keys (kid, public_key, issuer, added_at, retired_from, use) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (kid) DO UPDATE SET issuer = excluded.issuer, retired_from = excluded.retired_from, "
            "use = excluded.use");
  if (k.use != "consent" && k.use != "model" && k.use != "audit")
    return {errc::invalid_arg, "store: a key's use is \"consent\", \"model\" or \"audit\""};
  s.bind(k.kid).bind(k.public_paserk).bind(k.issuer).bind(now_utc());
  if (k.retired_from) s.bind(*k.retired_from);
  else s.bind_blob(nullptr, 0);
  s.bind(k.use);
  audit_event e;
  e.action = "key";
  e.detail_json = "{\"op\":\"trust\",\"kid\":";
  json::append_quoted(e.detail_json, k.kid);
  e.detail_json += ",\"use\":";
  json::append_quoted(e.detail_json, k.use);
  e.detail_json += "}";
  return p_->audited(e, "trusting a key", [&]() -> status {
    if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "trusting a key");
    return status::ok();
  });
}

status store::retire_key(std::string_view kid, int64_t from) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  stmt s;
  s.prepare(p_->db, "UPDATE trusted_keys SET retired_from = ? WHERE kid = ?");
  s.bind(from).bind(kid);
  audit_event e;
  e.action = "key";
  e.detail_json = "{\"op\":\"retire\",\"kid\":";
  json::append_quoted(e.detail_json, kid);
  e.detail_json += ",\"from\":\"" + format_rfc3339(from) + "\"}";
  return p_->audited(e, "retiring a key", [&]() -> status {
    if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "retiring a key");
    if (sqlite3_changes(p_->db) == 0) return {errc::not_found, "store: no trusted key with that kid"};
    return status::ok();
  });
}

result<std::optional<store::trusted_key>> store::find_key(std::string_view kid) {
  std::lock_guard lock(p_->mu);
  stmt s;
  s.prepare(p_->db, "SELECT kid, public_key, issuer, retired_from, use FROM trusted_keys WHERE kid = ?");
  s.bind(kid);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<trusted_key>();
  if (rc != SQLITE_ROW) return db_error(p_->db, rc, "finding a key");
  trusted_key k{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::nullopt, std::string(s.text(4))};
  if (!s.is_null(3)) k.retired_from = s.integer(3);
  return std::optional<trusted_key>(std::move(k));
}

result<std::string> store::keys() {
  std::lock_guard lock(p_->mu);
  stmt s;
  s.prepare(p_->db, "SELECT kid, public_key, issuer, retired_from, added_at, use FROM trusted_keys ORDER BY added_at, kid");
  std::string out = "[";
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (out.size() > 1) out += ',';
    out += "{\"kid\":";
    json::append_quoted(out, s.text(0));
    out += ",\"public\":";
    json::append_quoted(out, s.text(1));
    out += ",\"issuer\":";
    json::append_quoted(out, s.text(2));
    out += ",\"added_at\":";
    json::append_quoted(out, s.text(4));
    out += ",\"use\":";
    json::append_quoted(out, s.text(5));
    if (!s.is_null(3)) out += ",\"retired_from\":\"" + format_rfc3339(s.integer(3)) + "\"";
    out += '}';
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "listing keys");
  return out + "]";
}

namespace {
std::string grant_text(std::string_view subject, std::string_view audience) {
  std::string t(subject);
  t += '\0';
  t += audience;
  return t;
}
}  // namespace

status store::revoke_token(std::string_view jti, int64_t at) {
  if (jti.empty()) return {errc::invalid_arg, "store: revoke needs a jti"};
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  audit_event e;
  e.action = "revoke";
  e.jti = std::string(jti);
  return p_->audited(e, "revoking", [&] { return p_->insert_revocation(p_->k->blind('j', jti), "token", at); });
}

status store::revoke_grant(std::string_view subject, std::string_view audience, int64_t at) {
  if (subject.empty() || audience.empty()) return {errc::invalid_arg, "store: revoke needs a subject and an audience"};
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  audit_event e;
  e.action = "revoke";
  e.subject = std::string(subject);
  e.audience = std::string(audience);
  return p_->audited(e, "revoking", [&] { return p_->insert_revocation(p_->k->blind('g', grant_text(subject, audience)), "grant", at); });
}

store::revocation_ids store::revocation_ids_for(std::string_view jti, std::string_view subject, std::string_view audience) {
  revocation_ids ids;
  ids.token = p_->k->blind('j', jti);
  ids.grant = p_->k->blind('g', grant_text(subject, audience));
  return ids;
}

result<bool> store::is_revoked(std::string_view jti, std::string_view subject, std::string_view audience,
                               int64_t issued_at) {
  return is_revoked(revocation_ids_for(jti, subject, audience), issued_at);
}

result<bool> store::is_revoked(const revocation_ids &ids, int64_t issued_at) {
  std::lock_guard lock(p_->mu);
  // Revocations made through this handle are in the sets at once; those of
  // other connections are noticed by PRAGMA data_version, asked at most
  // every 50 ms (it costs a read transaction).
  const auto now = std::chrono::steady_clock::now();
  int64_t version = p_->revocations_version;
  if (version < 0 || now - p_->revocations_checked >= std::chrono::milliseconds(50)) {
    stmt &v = p_->data_version;
    if (!v.get() && v.prepare(p_->db, "PRAGMA data_version") != SQLITE_OK)
      return db_error(p_->db, SQLITE_ERROR, "checking revocations");
    v.reset();
    if (v.step() != SQLITE_ROW) return db_error(p_->db, SQLITE_ERROR, "checking revocations");
    version = v.integer(0);
    v.reset();
    p_->revocations_checked = now;
  }
  if (version != p_->revocations_version) {
    stmt s;
    s.prepare(p_->db, "SELECT key_bi, kind, revoked_at FROM revocations");
    p_->revoked_tokens.clear();
    p_->revoked_grants.clear();
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      (s.text(1) == "token" ? p_->revoked_tokens : p_->revoked_grants)[std::string(s.blob(0))] = s.integer(2);
    if (rc != SQLITE_DONE) return db_error(p_->db, rc, "loading revocations");
    p_->revocations_version = version;
  }
  if (!p_->revoked_tokens.empty() &&
      p_->revoked_tokens.count(std::string(reinterpret_cast<const char *>(ids.token.data()), ids.token.size())))
    return true;
  if (p_->revoked_grants.empty()) return false;
  auto it = p_->revoked_grants.find(std::string(reinterpret_cast<const char *>(ids.grant.data()), ids.grant.size()));
  return it != p_->revoked_grants.end() && issued_at <= it->second;
}

status store::log_release(std::string_view jti, int64_t records, int64_t at, std::optional<int64_t> expires_at) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return status::ok();  // a read-only handle releases without logging
  stmt s;
  s.prepare(p_->db, "INSERT INTO releases (jti, released_at, expires_at, records) VALUES (?, ?, ?, ?)");
  s.bind(jti).bind(at);
  if (expires_at) s.bind(*expires_at);
  else s.bind_blob(nullptr, 0);
  s.bind(records);
  if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "logging a release");
  return status::ok();
}

result<int64_t> store::purge_releases(int64_t now) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return status(errc::read_only, "store: opened read-only");
  stmt s;
  s.prepare(p_->db, "DELETE FROM releases WHERE expires_at IS NOT NULL AND expires_at <= ?");
  s.bind(now);
  if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "purging releases");
  return static_cast<int64_t>(sqlite3_changes(p_->db));
}

result<std::array<unsigned char, 32>> store::pseudonym_key() {
  std::lock_guard lock(p_->mu);
  static const std::string aad = "xyd-pseudonym-key-v1";
  stmt s;
  s.prepare(p_->db, "SELECT value FROM meta WHERE key = 'pseudonym_key'");
  std::array<unsigned char, 32> key{};
  std::string plain;
  if (s.step() == SQLITE_ROW) {
    const std::string_view v = s.blob(0);
    const size_t n = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    if (v.size() < n || !open_sealed(p_->k->payload, v.substr(n), v.substr(0, n), aad, plain) || plain.size() != key.size())
      return status(errc::corrupt, "store: the pseudonym key failed authentication");
    std::memcpy(key.data(), plain.data(), key.size());
    sodium_memzero(plain.data(), plain.size());
    return key;
  }
  if (p_->read_only) return status(errc::read_only, "store: no pseudonym key yet; open the store for writing once");
  randombytes_buf(key.data(), key.size());
  std::string nonce;
  const std::string sealed = seal(p_->k->payload, std::string_view(reinterpret_cast<const char *>(key.data()), key.size()), aad, nonce);
  stmt ins;
  ins.prepare(p_->db, "INSERT INTO meta (key, value) VALUES ('pseudonym_key', ?)");
  const std::string value = nonce + sealed;
  ins.bind_blob(value.data(), value.size());
  if (int rc = ins.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "storing the pseudonym key");
  return key;
}

// ---------------------------------------------------------------- scoring support

status store::put_model(const stored_model &m) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  if (auto st = p_->exec("BEGIN IMMEDIATE", "adding a model"); !st) return st;
  auto fail = [&](status st) {
    (void)p_->exec("ROLLBACK", "rollback");
    return st;
  };
  stmt q;
  q.prepare(p_->db, "SELECT model_hash FROM models WHERE model_hash = ? OR (id = ? AND version = ?)");
  q.bind(m.model_hash).bind(m.id).bind(m.version);
  int rc = q.step();
  if (rc == SQLITE_ROW) {
    const bool same = q.text(0) == m.model_hash;
    q.reset();
    (void)p_->exec("ROLLBACK", "rollback");
    if (same) return status::ok();
    return {errc::exists, "store: model " + m.id + " version " + m.version + " exists with another content"};
  }
  if (rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "adding a model"));
  q.reset();
  stmt ins;
  ins.prepare(p_->db,
              "INSERT INTO models (model_hash, id, version, format, content, signed_by, signature, added_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(m.model_hash).bind(m.id).bind(m.version).bind(m.format).bind(m.content);
  if (m.signed_by.empty()) ins.bind_blob(nullptr, 0).bind_blob(nullptr, 0);
  else ins.bind(m.signed_by).bind(m.signature);
  ins.bind(now_utc());
  if (rc = ins.step(); rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "adding a model"));
  audit_event e;
  e.action = "model";
  e.detail_json = "{\"id\":";
  json::append_quoted(e.detail_json, m.id);
  e.detail_json += ",\"version\":";
  json::append_quoted(e.detail_json, m.version);
  e.detail_json += ",\"model_hash\":\"" + m.model_hash + "\",\"signed\":" + (m.signed_by.empty() ? "false" : "true") + "}";
  if (auto st = p_->append_audit(e); !st) return fail(st);
  return p_->exec("COMMIT", "adding a model");
}

result<std::optional<store::stored_model>> store::get_model(std::string_view id, std::string_view version) {
  std::lock_guard lock(p_->mu);
  stmt s;
  if (version.empty()) {
    s.prepare(p_->db, "SELECT id, version, model_hash, format, content, signed_by, added_at, signature FROM models "
                      "WHERE id = ? ORDER BY seq DESC LIMIT 1");
    s.bind(id);
  } else {
    s.prepare(p_->db, "SELECT id, version, model_hash, format, content, signed_by, added_at, signature FROM models "
                      "WHERE id = ? AND version = ?");
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
  s.prepare(p_->db, "SELECT id, version, model_hash, format, signed_by, added_at FROM models ORDER BY seq");
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
  stmt s;
  s.prepare(p_->db, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  const std::string k = "setting." + std::string(key);
  s.bind(k).bind(value);
  if (int rc = s.step(); rc != SQLITE_DONE) return db_error(p_->db, rc, "changing a setting");
  return status::ok();
}

result<std::optional<std::string>> store::setting(std::string_view key) {
  std::lock_guard lock(p_->mu);
  stmt s;
  s.prepare(p_->db, "SELECT value FROM meta WHERE key = ?");
  const std::string k = "setting." + std::string(key);
  s.bind(k);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return db_error(p_->db, rc, "reading a setting");
  return std::optional<std::string>(std::string(s.text(0)));
}

status store::put_scores(const std::vector<score_row> &rows) {
  std::lock_guard lock(p_->mu);
  if (p_->read_only) return {errc::read_only, "store: opened read-only"};
  if (rows.empty()) return status::ok();
  if (auto st = p_->exec("BEGIN IMMEDIATE", "keeping scores"); !st) return st;
  auto fail = [&](status st) {
    (void)p_->exec("ROLLBACK", "rollback");
    return st;
  };
  stmt next, ins, subj;
  next.prepare(p_->db, "SELECT coalesce(max(id), 0) + 1 FROM scores");
  if (int rc = next.step(); rc != SQLITE_ROW) return fail(db_error(p_->db, rc, "keeping scores"));
  int64_t id = next.integer(0);
  next.reset();
  ins.prepare(p_->db, "INSERT INTO scores (id, subject_id, model_hash, scored_at, nonce, sealed) VALUES (?, ?, ?, ?, ?, ?)");
  const std::string at = now_utc();
  std::string nonce;
  for (const auto &r : rows) {
    auto sid = p_->find_subject(p_->k->blind('s', r.subject));
    if (!sid) return fail(sid.error());
    if (!*sid) return fail({errc::not_found, "store: a scored subject is not in the store"});
    const std::string sealed = seal(p_->k->payload, r.result_json, score_aad(id), nonce);
    ins.reset().bind(id).bind(*sid).bind(r.model_hash).bind(at).bind_blob(nonce.data(), nonce.size())
        .bind_blob(sealed.data(), sealed.size());
    if (int rc = ins.step(); rc != SQLITE_DONE) return fail(db_error(p_->db, rc, "keeping scores"));
    ++id;
  }
  audit_event e;
  e.action = "score";
  if (rows.size() == 1) e.subject = rows[0].subject;
  e.detail_json = "{\"subjects\":" + std::to_string(rows.size()) + ",\"model_hash\":\"" + rows[0].model_hash + "\"}";
  if (auto st = p_->append_audit(e); !st) return fail(st);
  return p_->exec("COMMIT", "keeping scores");
}

result<std::string> store::scores(std::string_view subject, std::string_view model_hash) {
  std::lock_guard lock(p_->mu);
  auto sid = p_->find_subject(p_->k->blind('s', subject));
  if (!sid) return sid.error();
  if (!*sid) return std::string("[]");
  stmt s;
  if (model_hash.empty()) {
    s.prepare(p_->db, "SELECT id, scored_at, nonce, sealed FROM scores WHERE subject_id = ? ORDER BY id DESC");
    s.bind(*sid);
  } else {
    s.prepare(p_->db,
              "SELECT id, scored_at, nonce, sealed FROM scores WHERE subject_id = ? AND model_hash = ? ORDER BY id DESC");
    s.bind(*sid).bind(model_hash);
  }
  std::string out = "[", plain;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (!open_sealed(p_->k->payload, s.blob(3), s.blob(2), score_aad(s.integer(0)), plain))
      return status(errc::corrupt, "store: a score failed authentication");
    if (plain.size() < 2 || plain.front() != '{') return status(errc::corrupt, "store: bad score");
    if (out.size() > 1) out += ',';
    out += "{\"scored_at\":";
    json::append_quoted(out, s.text(1));
    out += ',';
    out.append(plain, 1, std::string::npos);
  }
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "reading scores");
  return out + "]";
}

result<std::unique_ptr<store>> store::open_reader(bool writable) {
  store_options o;
  o.flags = writable ? 0 : store_flags::read_only;
  return open(p_->path, p_->master, o);
}

const std::string &store::path() const noexcept { return p_->path; }

// ---------------------------------------------------------------- audit log

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
  auto target = p_->audit_db();
  if (!target) return target.error();
  stmt s;
  s.prepare(*target, "INSERT INTO audit_checkpoints (seq, token, added_at) VALUES (?, ?, ?)");
  s.bind(seq).bind(token).bind(now_utc());
  if (int rc = s.step(); rc != SQLITE_DONE) return db_error(*target, rc, "adding an audit checkpoint");
  return status::ok();
}

result<std::vector<std::pair<int64_t, std::string>>> store::checkpoints() {
  std::lock_guard lock(p_->mu);
  stmt s;
  s.prepare(p_->db, "SELECT seq, token FROM audit_checkpoints ORDER BY id");
  std::vector<std::pair<int64_t, std::string>> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.emplace_back(s.integer(0), std::string(s.text(1)));
  if (rc != SQLITE_DONE) return db_error(p_->db, rc, "reading audit checkpoints");
  return out;
}

}  // namespace xyd
