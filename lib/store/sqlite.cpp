// The SQLite helpers of the store.
// SPDX-License-Identifier: Apache-2.0
#include "sqlite.hpp"

namespace xyd::store_detail {

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

status exec(sqlite3 *db, const char *sql, const char *what) {
  char *err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return status::ok();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return {map_sqlite(rc), std::string("store: ") + what + ": " + msg};
}

status tx_statements::prepare(sqlite3 *db, const char *what) {
  if (auto st = begin.prepare(db, "BEGIN IMMEDIATE", what); !st) return st;
  if (auto st = commit.prepare(db, "COMMIT", what); !st) return st;
  return rollback.prepare(db, "ROLLBACK", what);
}

status write_tx::run(stmt *prepared, const char *sql, const char *what) {
  if (!prepared) return exec(db_, sql, what);
  const int rc = prepared->reset().step();
  prepared->reset();
  if (rc == SQLITE_DONE) return status::ok();
  return db_error(db_, rc, what);
}

status write_tx::begin(const char *what) {
  if (active_) return {errc::internal, std::string("store: ") + what + ": a transaction is open already"};
  if (auto st = run(prepared_ ? &prepared_->begin : nullptr, "BEGIN IMMEDIATE", what); !st) return st;
  active_ = true;
  return status::ok();
}

status write_tx::commit(const char *what) {
  if (!active_) return {errc::internal, std::string("store: ") + what + ": no transaction to commit"};
  if (auto st = run(prepared_ ? &prepared_->commit : nullptr, "COMMIT", what); !st) return st;
  active_ = false;
  return status::ok();
}

void write_tx::rollback() {
  if (!active_) return;
  active_ = false;
  (void)run(prepared_ ? &prepared_->rollback : nullptr, "ROLLBACK", "rollback");
}

status read_tx::begin(const char *what) {
  if (active_ || !sqlite3_get_autocommit(db_)) return status::ok();
  if (!begin_.get())
    if (int rc = begin_.prepare(db_, "BEGIN"); rc != SQLITE_OK) return db_error(db_, rc, what);
  const int rc = begin_.reset().step();
  begin_.reset();
  if (rc != SQLITE_DONE) return db_error(db_, rc, what);
  active_ = true;
  return status::ok();
}

status read_tx::end() {
  if (!active_) return status::ok();
  active_ = false;
  if (!commit_.get())
    if (int rc = commit_.prepare(db_, "COMMIT"); rc != SQLITE_OK) return db_error(db_, rc, "ending a read");
  const int rc = commit_.reset().step();
  commit_.reset();
  return rc == SQLITE_DONE ? status::ok() : db_error(db_, rc, "ending a read");
}

}  // namespace xyd::store_detail
