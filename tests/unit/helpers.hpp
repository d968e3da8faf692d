// Helpers shared by the unit tests.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "../../tools/gen.hpp"

namespace xyd::test {

/// `xyd gen --subjects N --seed S` into memory.
inline std::string generate_feed(uint64_t subjects, uint64_t seed) {
  gen::options opt;
  opt.subjects = subjects;
  opt.seed = seed;
  std::string out;
  gen::generate(opt, [&](std::string_view chunk) { out.append(chunk); });
  return out;
}

/// A fresh directory under /tmp, removed with everything in it.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/xyd-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string operator/(const char *name) const { return (path / name).string(); }
};

/// The store's file opened with plain SQLite, as someone with write access
/// to it would (the tampering tests): one number from a query, or a
/// statement run.
struct raw_db {
  sqlite3 *db = nullptr;
  explicit raw_db(const std::string &path) {
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
      sqlite3_close(db);
      db = nullptr;
    }
  }
  ~raw_db() { sqlite3_close(db); }
  raw_db(const raw_db &) = delete;
  raw_db &operator=(const raw_db &) = delete;
  /// The first column of the first row; nullopt on an error or no row.
  std::optional<int64_t> scalar(const char *sql) const {
    sqlite3_stmt *q = nullptr;
    std::optional<int64_t> v;
    if (db && sqlite3_prepare_v2(db, sql, -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
      v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
  }
  bool exec(const std::string &sql) const { return db && sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }
};

}  // namespace xyd::test
