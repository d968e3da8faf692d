// Internal to lib/store: the state of a store handle, shared by the files of
// lib/store (schema, records, rekey, keyring, models, audit_log). Not installed.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "sealing.hpp"
#include "sqlite.hpp"
#include "xyd/store.hpp"

namespace xyd {

namespace store_detail {
/// libsodium initialised (once per process).
bool sodium_ready();
/// Who audit entries name by default: $XYD_ACTOR, $USER, $LOGNAME, "unknown".
std::string default_actor();
/// Now, UTC, as YYYY-MM-DDTHH:MM:SSZ.
std::string now_utc();
}  // namespace store_detail

struct store::impl {
  // Declared first, destroyed last: the statements below finalise before the
  // connection closes (sqlite3_close_v2 would cope either way).
  struct connection {
    sqlite3 *db = nullptr;
    ~connection() { sqlite3_close_v2(db); }
  } conn;
  sqlite3 *&db = conn.db;
  std::unique_ptr<store_detail::key_set> k;
  master_key master;  // for open_reader(); wiped with the handle
  std::shared_ptr<const catalog> cat;  // store_options::cat
  std::string actor = store_detail::default_actor();
  // A read-only handle appends to the audit log through a connection of its own.
  struct connection_owner {
    sqlite3 *db = nullptr;
    ~connection_owner() { sqlite3_close_v2(db); }
  } audit_writer;
  int busy_ms = 30000;
  std::mutex mu;
  bool read_only = false;
  std::string path;
  store_detail::stmt subj_find, subj_ins, fact_find, fact_ins, ins, existing, upd, cur, uncur, batch_ins, batch_done;
  // current / current by type / history / history by type; each in query
  // order and in rowid order (record_query_stmt)
  store_detail::stmt record_queries[8];
  store_detail::stmt rows_by_id, read_begin, read_commit;  // the second step of a query in rowid order
  std::string aad;  // a row's associated data, built in place (decrypt_row)
  store_detail::stmt release_ins;        // prepared on first use (writable handles only)
  // Revocations in memory, reloaded when PRAGMA data_version says another
  // connection committed.
  std::unordered_map<std::string, int64_t> revoked_tokens, revoked_grants;
  int64_t revocations_version = -1;
  int64_t keyring_changes = -1;  // keyring_changes.n when the revocations were loaded
  store_detail::stmt keyring_changes_q;
  // Moves whenever the keyring may have changed (docs/consent.md): a key
  // trusted or retired through this handle, a rekey, any commit by another
  // connection. Verifiers drop their caches when it moves.
  uint64_t keyring_generation = 0;
  /// Notices other connections' commits (PRAGMA data_version, asked at most
  /// every 50 ms: it costs a read transaction) and reloads the revocations.
  status poll_changes();
  std::chrono::steady_clock::time_point revocations_checked{};
  store_detail::stmt data_version;

  // Statements of the audit append, prepared once per connection.
  struct audit_statements {
    store_detail::stmt last, insert, checkpoint;
    store_detail::tx_statements tx;
    sqlite3 *on = nullptr;
  } audit_main, audit_side;

  status exec(const char *sql, const char *what) { return store_detail::exec(db, sql, what); }

  // ---- schema.cpp: opening, creating, migrating
  result<int64_t> user_version();
  result<bool> has_table(const char *name);
  status migrate(int64_t from, int64_t to);
  status backfill_subjects();
  /// Is this an xyd store (false), a new file (true), or something else (an error)?
  result<bool> inspect();
  status configure(const store_options &opt);
  status create_schema();
  result<bool> create_store();
  status check_key_and_upgrade();
  status reseal_scores(int to);  // schema 8's keyed step (to 2), and schema 10's (to 3)
  status reseal_records_v2();    // schema 9's
  /// The store's key salt (meta 'kdf_salt'): k made from master and it.
  status load_salt();
  status use_salt(std::string_view salt);
  /// The schema version bound to the key (meta 'schema_mac', schema 9 on).
  status write_schema_mac(const store_detail::key_set &keys, int64_t version);
  status check_schema_mac(int64_t version);
  /// The store's key check against this handle's key: errc::key when the
  /// store was rekeyed through another handle or process since this one
  /// opened it. `always`: read it now (a write transaction, under the write
  /// lock); otherwise only when another connection committed since the last
  /// look (PRAGMA data_version), which reads call first.
  status check_key_current(bool always);
  store_detail::stmt key_check_q, key_data_version;
  int64_t key_checked_version = -1;
  std::array<unsigned char, 32> own_key_check{};  // k->key_check(), kept with k

  // ---- store.cpp: shared by the record paths
  /// The id of a subject, or 0 when the store has never seen it.
  result<int64_t> find_subject(const store_detail::bi_t &sbi);
  result<int64_t> add_subject(const store_detail::bi_t &sbi, std::string_view subject);
  status prepare_statements();
  /// A record is active without a repair note, or withdrawn or repaired
  /// with one (the state is authenticated with the payload, the note with
  /// the state): errc::corrupt naming the record otherwise.
  static status check_state_note(int64_t id, std::string_view state, bool has_note);
  status decrypt_row(int64_t id, std::string_view type, const store_detail::bi_t &sbi, std::string_view as_of,
                     int64_t version, std::string_view state, std::string_view nonce, std::string_view payload,
                     std::string &plain);
  /// The prepared record query of this shape (prepared on first use). In
  /// query order (item type, as_of descending, id), or in rowid order: the
  /// ids from the index first, then the rows in ascending id, so that the
  /// rows of one feed, stored side by side, are read by stepping from one
  /// to the next instead of a search from the root of the table each.
  result<store_detail::stmt *> record_query_stmt(const record_query &q, bool by_rowid);

  // ---- records.cpp: the record queries
  struct query_row;
  /// One pass over a query's rows, each payload authenticated, then the
  /// query's audit entry; `each(const query_row &)` returns a status.
  template <class F>
  status scan_rows(const record_query &q, bool by_rowid, F &&each);
  /// The repair note sealed beside a row, as JSON text.
  status open_repair(const query_row &r, std::string &note);

  // ---- keyring.cpp
  status insert_release(const store::release_log &r);

  // ---- rekey.cpp: each part re-made under `next`, inside the caller's transaction
  // subject id -> (old, new) blind index
  using subject_bi_map = std::unordered_map<int64_t, std::pair<store_detail::bi_t, store_detail::bi_t>>;
  status rekey_subjects(const store_detail::key_set &next, subject_bi_map &subject_bis);
  status rekey_records(const store_detail::key_set &next, const subject_bi_map &subject_bis);
  status rekey_meta(const store_detail::key_set &next);
  status rekey_scores(const store_detail::key_set &next, const subject_bi_map &subject_bis);

  // ---- keyring.cpp
  /// `value` is what is revoked (the jti, or grant_text(subject, audience)),
  /// kept sealed so that rekey can compute its index under a new key.
  status insert_revocation(const store_detail::bi_t &key, const char *kind, int64_t at, std::string_view value);
  /// The revocation set's keyed digest (meta 'revocations_mac', schema 10):
  /// every row's index, kind and time, in index order, under `keys`; so
  /// that a row deleted or changed in the file is noticed when the set is
  /// loaded. Written by every change of the set, inside its transaction.
  status write_revocations_mac(const store_detail::key_set &keys);
  /// The revocation set read and checked under this handle's key (each seal
  /// and the keyed digest); errc::corrupt when it fails. `out` may be null.
  struct revocation_set {
    std::unordered_map<std::string, int64_t> tokens, grants;
  };
  status load_revocations(revocation_set *out);
  // ---- rekey.cpp
  status rekey_revocations(const store_detail::key_set &next);

  // ---- audit_log.cpp
  /// The connection audit entries go through (the mutex held).
  result<sqlite3 *> audit_db();
  /// Appends one entry; inside the open transaction of `db` if there is one.
  /// A checkpoint of it is added in the same transaction when `sign` is
  /// given (into *made), or when the automatic checkpoints ask for one.
  status append_audit(const audit_event &e, const store::checkpoint_signer *sign = nullptr,
                      store::checkpoint_made *made = nullptr);
  int64_t auto_every = 0;
  store::checkpoint_signer auto_sign;

  /// Runs `action` and appends `e` in one write transaction: both commit, or
  /// neither. `e` is read after `action` ran, so that `action` may fill in
  /// its detail.
  template <class F>
  status audited(const audit_event &e, const char *what, F &&action) {
    store_detail::write_tx tx(db);
    if (auto st = tx.begin(what); !st) return st;
    if (auto st = check_key_current(true); !st) return st;
    if (status st = action(); !st) return st;
    if (auto st = append_audit(e); !st) return st;
    return tx.commit(what);
  }
};

}  // namespace xyd
