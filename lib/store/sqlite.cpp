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

}  // namespace xyd::store_detail
