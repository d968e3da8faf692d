// Stores written by an older xyd, made from a current one (the upgrade
// tests): white-box, through lib/store's sealing.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sqlite3.h>

#include <string>
#include <tuple>
#include <vector>

#include "../../lib/store/sealing.hpp"

namespace xyd::test {

/// The store's key salt (meta 'kdf_salt'), empty when it has none.
inline std::string salt_of(const std::string &path) {
  sqlite3 *db = nullptr;
  std::string salt;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt *q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'kdf_salt'", -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
      salt.assign(static_cast<const char *>(sqlite3_column_blob(q, 0)), static_cast<size_t>(sqlite3_column_bytes(q, 0)));
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return salt;
}

/// Takes a current store back to schema 8: every payload and repair note
/// sealed as before schema 9 (no version, no state in the associated data),
/// no version column, no keyed schema version, no keyed revocation set,
/// kept scores sealed to their id and subject only.
/// False on any failure.
inline bool to_schema_8(const std::string &path, const master_key &key) {
  const std::string salt = salt_of(path);
  store_detail::key_set keys(key, salt);
  sqlite3 *db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  struct row {
    int64_t id;
    std::string nonce, payload, repair_nonce, repair;
    bool has_repair;
  };
  std::vector<row> rows;
  sqlite3_stmt *q = nullptr;
  auto blob = [&](int i) {
    return std::string(static_cast<const char *>(sqlite3_column_blob(q, i)), static_cast<size_t>(sqlite3_column_bytes(q, i)));
  };
  auto text = [&](int i) { return std::string(reinterpret_cast<const char *>(sqlite3_column_text(q, i))); };
  bool ok = sqlite3_prepare_v2(db,
                               "SELECT r.id, r.item_type, j.subject_bi, r.as_of, r.version, r.state, r.nonce, r.payload, "
                               "r.repair_nonce, r.repair FROM records r JOIN subjects j USING (subject_id)",
                               -1, &q, nullptr) == SQLITE_OK;
  while (ok && sqlite3_step(q) == SQLITE_ROW) {
    const int64_t id = sqlite3_column_int64(q, 0);
    const auto sbi = store_detail::to_bi(blob(2));
    std::string plain, note;
    row r{id, {}, {}, {}, {}, sqlite3_column_type(q, 9) != SQLITE_NULL};
    ok = store_detail::open_sealed(keys.payload, blob(7), blob(6),
                                   store_detail::row_aad(id, text(1), sbi, text(3), sqlite3_column_int64(q, 4), text(5)), plain);
    r.payload = store_detail::seal(keys.payload, plain, store_detail::row_aad_v1(id, text(1), sbi, text(3)), r.nonce);
    if (ok && r.has_repair) {
      ok = store_detail::open_sealed(keys.payload, blob(9), blob(8), store_detail::repair_aad(id, text(5)), note);
      r.repair = store_detail::seal(keys.payload, note, store_detail::repair_aad_v1(id), r.repair_nonce);
    }
    rows.push_back(std::move(r));
  }
  sqlite3_finalize(q);
  ok = ok && sqlite3_prepare_v2(db, "UPDATE records SET nonce = ?, payload = ?, repair_nonce = ?, repair = ? WHERE id = ?", -1,
                                &q, nullptr) == SQLITE_OK;
  for (const auto &r : rows) {
    if (!ok) break;
    sqlite3_reset(q);
    sqlite3_bind_blob(q, 1, r.nonce.data(), static_cast<int>(r.nonce.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 2, r.payload.data(), static_cast<int>(r.payload.size()), SQLITE_TRANSIENT);
    if (r.has_repair) {
      sqlite3_bind_blob(q, 3, r.repair_nonce.data(), static_cast<int>(r.repair_nonce.size()), SQLITE_TRANSIENT);
      sqlite3_bind_blob(q, 4, r.repair.data(), static_cast<int>(r.repair.size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(q, 3);
      sqlite3_bind_null(q, 4);
    }
    sqlite3_bind_int64(q, 5, r.id);
    ok = sqlite3_step(q) == SQLITE_DONE;
  }
  sqlite3_finalize(q);
  // Kept scores as schemas 8 and 9 sealed them (id and subject only).
  std::vector<std::tuple<int64_t, std::string, std::string>> scores;  // id, nonce, sealed
  ok = ok && sqlite3_prepare_v2(db,
                                "SELECT c.id, j.subject_bi, c.model_hash, c.scored_at, c.nonce, c.sealed FROM scores c "
                                "JOIN subjects j USING (subject_id)",
                                -1, &q, nullptr) == SQLITE_OK;
  while (ok && sqlite3_step(q) == SQLITE_ROW) {
    const int64_t id = sqlite3_column_int64(q, 0);
    const auto sbi = store_detail::to_bi(blob(1));
    std::string plain, nonce;
    ok = store_detail::open_sealed(keys.payload, blob(5), blob(4), store_detail::score_aad(id, sbi, text(2), text(3)), plain);
    const std::string box = store_detail::seal(keys.payload, plain, store_detail::score_aad_v2(id, sbi), nonce);
    scores.emplace_back(id, nonce, box);
  }
  sqlite3_finalize(q);
  q = nullptr;
  for (const auto &[id, nonce, box] : scores) {
    ok = ok && sqlite3_prepare_v2(db, "UPDATE scores SET nonce = ?, sealed = ? WHERE id = ?", -1, &q, nullptr) == SQLITE_OK;
    if (!ok) break;
    sqlite3_bind_blob(q, 1, nonce.data(), static_cast<int>(nonce.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 2, box.data(), static_cast<int>(box.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 3, id);
    ok = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    q = nullptr;
  }
  ok = ok && sqlite3_exec(db, "ALTER TABLE records DROP COLUMN version; DELETE FROM meta WHERE key IN ('schema_mac', "
                          "'revocations_mac'); PRAGMA user_version = 8", nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

}  // namespace xyd::test
