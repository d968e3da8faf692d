// The encrypted embedded store: SQLite (WAL) + libsodium. The only module
// that speaks SQL. docs/storage.md documents the schema and the guarantees.
//
// lib/store, by responsibility:
//   sqlite.*     the SQLite helpers (statements, errors, write transactions)
//   sealing.*    subkeys, blind indexes, sealed values and their associated data
//   impl.hpp     the state of a handle, shared by the files below
//   store.cpp    master keys, the handle, helpers shared by the record paths
//   schema.cpp   the migrations; opening, creating, upgrading a store
//   records.cpp  batches, queries, subjects, repair, purge, stats
//   rekey.cpp    re-encryption under a new master key
//   keyring.cpp  trusted keys, revocations, releases, the pseudonym key
//   models.cpp   models, settings, score results
//   audit_log.cpp the hash-chained audit log and its checkpoints
// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>

#include "impl.hpp"

namespace xyd {

using namespace store_detail;

namespace store_detail {

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
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

}  // namespace store_detail

// ---------------------------------------------------------------- keys

namespace {

/// Locked, guarded memory for a key (sodium_malloc); zeroed.
unsigned char *key_memory(size_t n) {
  if (!sodium_ready()) throw std::bad_alloc();
  void *p = sodium_malloc(n);
  if (!p) throw std::bad_alloc();
  sodium_memzero(p, n);
  return static_cast<unsigned char *>(p);
}

}  // namespace

master_key::master_key() : bytes_(key_memory(master_key_bytes)) {}
master_key::master_key(const unsigned char *bytes) : master_key() { std::memcpy(bytes_, bytes, master_key_bytes); }
master_key::master_key(const master_key &other) : master_key() { std::memcpy(bytes_, other.bytes_, master_key_bytes); }
master_key &master_key::operator=(const master_key &other) {
  if (this != &other) std::memcpy(bytes_, other.bytes_, master_key_bytes);
  return *this;
}
master_key::~master_key() { sodium_free(bytes_); }  // wipes, unlocks and unmaps

const char *master_key::weakness() const noexcept {
  bool same = true, printable = true;
  for (size_t i = 0; i < master_key_bytes; ++i) {
    same = same && bytes_[i] == bytes_[0];
    printable = printable && bytes_[i] >= 0x20 && bytes_[i] < 0x7f;
  }
  if (same) return "every byte of the key is the same (an all-zero key, say)";
  if (printable) return "the key is 32 printable characters (a passphrase, not 32 random bytes)";
  return nullptr;
}

master_key master_key::generate() {
  if (!sodium_ready()) std::abort();
  master_key k;
  do randombytes_buf(k.bytes_, master_key_bytes);
  while (k.weakness());  // never, but a generated key is never a weak one
  return k;
}

result<master_key> master_key::from_file(const std::string &path) {
  // Read with read(2) into locked memory: no stream buffer keeps a copy.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {errc::io, "cannot read key file " + path + ": " + std::strerror(errno)};
  constexpr size_t cap = 2 * master_key_bytes + 4;
  unsigned char *text = key_memory(cap + 1);
  size_t len = 0;
  int err = 0;
  for (;;) {
    const ssize_t n = ::read(fd, text + len, cap + 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    len += static_cast<size_t>(n);
    if (len > cap) break;
  }
  ::close(fd);
  auto done = [&](result<master_key> r) {
    sodium_free(text);
    return r;
  };
  if (err) return done(status(errc::io, "cannot read key file " + path + ": " + std::strerror(err)));
  master_key k;
  if (len == master_key_bytes) {
    std::memcpy(k.bytes_, text, master_key_bytes);
    return done(k);
  }
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) --len;
  size_t bin_len = 0;
  if (len != 2 * master_key_bytes ||
      sodium_hex2bin(k.bytes_, master_key_bytes, reinterpret_cast<const char *>(text), len, nullptr, &bin_len, nullptr) != 0 ||
      bin_len != master_key_bytes)
    return done(status(errc::key, "key file " + path + " holds neither 64 hexadecimal characters nor 32 raw bytes"));
  return done(k);
}

status master_key::write_file(const std::string &path) const {
  if (const char *why = weakness()) return {errc::key, std::string("refusing to write a weak key: ") + why};
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return {errno == EEXIST ? errc::exists : errc::io, "cannot create key file " + path + ": " + std::strerror(errno)};
  char hex[2 * master_key_bytes + 2];
  sodium_bin2hex(hex, sizeof hex, bytes_, master_key_bytes);
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

// ---------------------------------------------------------------- the handle

store::store(std::unique_ptr<impl> p) : p_(std::move(p)) {}
store::~store() = default;

result<std::unique_ptr<store>> store::open_reader(bool writable) {
  store_options o;
  o.flags = writable ? 0 : store_flags::read_only;
  o.cat = p_->cat;
  master_key key;
  {
    std::lock_guard lock(p_->mu);  // a rekey through this handle swaps it
    key = p_->master;
  }
  return open(p_->path, key, o);
}

const std::string &store::path() const noexcept { return p_->path; }
const catalog &store::cat() const noexcept { return *p_->cat; }

// ---------------------------------------------------------------- shared by the record paths

result<int64_t> store::impl::find_subject(const bi_t &sbi) {
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

result<int64_t> store::impl::add_subject(const bi_t &sbi, std::string_view subject) {
  std::string nonce;
  const std::string sealed = seal(k->payload, subject, subject_aad(sbi), nonce);
  subj_ins.reset().bind(sbi).bind_blob(nonce.data(), nonce.size()).bind_blob(sealed.data(), sealed.size());
  if (int rc = subj_ins.step(); rc != SQLITE_DONE) return db_error(db, rc, "storing a subject");
  return sqlite3_last_insert_rowid(db);
}

status store::impl::prepare_statements() {
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
      {&existing, "SELECT id, content_hash, batch_id, version, state, nonce, payload, repair IS NULL FROM records "
                  "WHERE fact_id = ? AND as_of = ?"},
      {&upd, "UPDATE records SET content_hash = ?, nonce = ?, payload = ?, batch_id = ?, version = ? WHERE id = ?"},
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

status store::impl::check_state_note(int64_t id, std::string_view state, bool has_note) {
  if ((state == "active") != has_note) return status::ok();
  return status(errc::corrupt, "store: record " + std::to_string(id) + " is " + std::string(state) +
                                   (has_note ? " with a repair note" : " without its repair note") + " (tampered with)");
}

status store::impl::decrypt_row(int64_t id, std::string_view type, const bi_t &sbi, std::string_view as_of,
                                int64_t version, std::string_view state, std::string_view nonce,
                                std::string_view payload, std::string &plain) {
  row_aad(aad, id, type, sbi, as_of, version, state);
  if (!open_sealed(k->payload, payload, nonce, aad, plain))
    return {errc::corrupt, "store: record " + std::to_string(id) +
                               " failed authentication (tampered with: its payload, state or version changed, or it "
                               "was moved between rows, or damaged)"};
  return status::ok();
}

// Four shapes of query, each in two forms, prepared once per handle: the
// rows in query order, or (by_rowid) the ids alone in query order, whose
// rows are then read in ascending id by rows_by_id.
result<stmt *> store::impl::record_query_stmt(const record_query &q, bool by_rowid) {
  stmt &s = record_queries[(by_rowid ? 4 : 0) + (q.history ? 2 : 0) + (q.item_type.empty() ? 0 : 1)];
  if (!s.get()) {
    // The index holds subject, type, as_of and the id (and is_current, by
    // its partial index): the ids alone are read from it.
    std::string sql = by_rowid ? "SELECT id FROM records WHERE subject_id = ?"
                               : "SELECT id, item_type, as_of, is_current, nonce, payload, state, repair_nonce, repair, version "
                                 "FROM records WHERE subject_id = ?";
    // is_current and state are not authenticated: is_current picks rows
    // through the index, and a row is current only while no row of its fact
    // is newer (as_of is authenticated); the state is checked on each row
    // after its payload, which binds it, is opened.
    if (!q.history)
      sql += " AND is_current = 1 AND NOT EXISTS (SELECT 1 FROM records newer WHERE newer.fact_id = records.fact_id "
             "AND newer.as_of > records.as_of)";
    if (!q.item_type.empty()) sql += " AND item_type = ?";
    sql += " ORDER BY item_type, as_of DESC, id";
    if (int rc = s.prepare(db, sql.c_str()); rc != SQLITE_OK) return db_error(db, rc, "querying records");
  }
  if (by_rowid && !rows_by_id.get())
    if (int rc = rows_by_id.prepare(db,
                                    "SELECT id, item_type, as_of, is_current, nonce, payload, state, repair_nonce, repair, version "
                                    "FROM records WHERE id BETWEEN ? AND ? ORDER BY id");
        rc != SQLITE_OK)
      return db_error(db, rc, "querying records");
  return &s;
}

}  // namespace xyd
