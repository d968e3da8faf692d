// Internal to lib/store: the SQLite helpers (prepared statements, error
// mapping). Only lib/store speaks SQL.
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

}  // namespace xyd::store_detail
