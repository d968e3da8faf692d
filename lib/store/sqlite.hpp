// Internal to lib/store: the SQLite helpers (prepared statements, error
// mapping, write transactions). Only lib/store speaks SQL.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "xyd/core.hpp"

namespace xyd::store_detail {

/// SQLite's result code as an xyd error code.
errc map_sqlite(int rc);

/// "store: <what>: <SQLite's message>", coded by map_sqlite.
status db_error(sqlite3 *db, int rc, const std::string &what);

/// Runs SQL text (one or several statements); errors read "store: <what>: <message>".
status exec(sqlite3 *db, const char *sql, const char *what);

// A prepared statement, reset on every use.
class stmt {
 public:
  stmt() = default;
  stmt(const stmt &) = delete;
  stmt &operator=(const stmt &) = delete;
  ~stmt() { sqlite3_finalize(s_); }
  /// SQLITE_OK, or the error: a statement that failed to prepare must not be
  /// stepped (a null statement steps as SQLITE_MISUSE), so every caller checks.
  [[nodiscard]] int prepare(sqlite3 *db, const char *sql) {
    sqlite3_finalize(s_);
    s_ = nullptr;
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr);
  }
  /// The same, the failure as db_error(db, rc, what).
  [[nodiscard]] status prepare(sqlite3 *db, const char *sql, const char *what) {
    if (int rc = prepare(db, sql); rc != SQLITE_OK) return db_error(db, rc, what);
    return status::ok();
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
  /// A NULL pointer binds SQL NULL.
  stmt &bind_blob(const void *p, size_t n) {
    sqlite3_bind_blob(s_, ++col_, p, static_cast<int>(n), SQLITE_TRANSIENT);
    return *this;
  }
  template <size_t N>
  stmt &bind(const std::array<unsigned char, N> &b) {
    return bind_blob(b.data(), b.size());
  }
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

/// BEGIN IMMEDIATE, COMMIT and ROLLBACK prepared once, for a connection that
/// begins transactions often (the audit append).
struct tx_statements {
  stmt begin, commit, rollback;
  [[nodiscard]] status prepare(sqlite3 *db, const char *what);
};

/// A write transaction: begin() takes the database's write lock (BEGIN
/// IMMEDIATE, waiting up to the busy timeout); commit() ends it; destroyed
/// while still open (never begun, or commit failed or never called), it
/// rolls back. Errors read "store: <what>: <SQLite's message>".
class write_tx {
 public:
  /// `prepared`, when given, outlives the transaction.
  explicit write_tx(sqlite3 *db, tx_statements *prepared = nullptr) : db_(db), prepared_(prepared) {}
  write_tx(const write_tx &) = delete;
  write_tx &operator=(const write_tx &) = delete;
  ~write_tx() { rollback(); }

  [[nodiscard]] status begin(const char *what);
  /// On failure the transaction stays open, and the destructor rolls it back.
  [[nodiscard]] status commit(const char *what);
  /// Rolls back now when open (errors ignored: there is nothing left to undo).
  void rollback();
  bool active() const noexcept { return active_; }

 private:
  status run(stmt *prepared, const char *sql, const char *what);
  sqlite3 *db_;
  tx_statements *prepared_;
  bool active_ = false;
};

/// One snapshot for several statements of a read: BEGIN (deferred) when the
/// connection is in autocommit, COMMIT at end() or when destroyed; inside a
/// transaction already open, nothing (that one holds the snapshot). The two
/// statements are the caller's, prepared on first use and kept.
class read_tx {
 public:
  read_tx(sqlite3 *db, stmt &begin, stmt &commit) : db_(db), begin_(begin), commit_(commit) {}
  read_tx(const read_tx &) = delete;
  read_tx &operator=(const read_tx &) = delete;
  ~read_tx() { (void)end(); }
  [[nodiscard]] status begin(const char *what);
  [[nodiscard]] status end();

 private:
  sqlite3 *db_;
  stmt &begin_, &commit_;
  bool active_ = false;
};

}  // namespace xyd::store_detail
