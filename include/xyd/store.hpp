// xyd C++ API: the encrypted embedded store and idempotent ingest.
//
// One SQLite file (WAL). Every record's payload is sealed with
// XChaCha20-Poly1305 under a subkey of the 32-byte master key, its associated
// data binding it to its row; subjects and natural keys are found through
// keyed BLAKE2b blind indexes, so the file holds no plaintext identifier or
// personal value. docs/storage.md documents the schema, keys and guarantees.
//
// Thread safety: a store may be used from several threads; its calls are
// serialised on the handle. Several processes may open the same file: writes
// take the database's write lock (BEGIN IMMEDIATE) and wait up to the busy
// timeout for it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xyd/audit_event.hpp"
#include "xyd/catalog.hpp"
#include "xyd/record.hpp"

namespace xyd {

constexpr size_t master_key_bytes = 32;

/// A 32-byte master key, held in locked memory of its own (libsodium's
/// guarded allocation: not swapped, not in core dumps, guard pages around
/// it) and wiped when destroyed. Never printed. Throws std::bad_alloc when
/// no such memory can be had.
class master_key {
 public:
  master_key();
  explicit master_key(const unsigned char *bytes);
  master_key(const master_key &other);
  master_key &operator=(const master_key &other);
  ~master_key();
  const unsigned char *data() const noexcept { return bytes_; }

  /// A new random key (libsodium's CSPRNG).
  static master_key generate();
  /// Reads a key file: 64 hexadecimal characters (an optional trailing
  /// newline), as `xyd keygen` writes, or exactly 32 raw bytes. Read into
  /// locked memory and wiped: no copy stays in a stream buffer.
  static result<master_key> from_file(const std::string &path);
  /// Writes a new key file with mode 0600; refuses to overwrite, and refuses
  /// a weak key.
  status write_file(const std::string &path) const;

  /// Why this key is weak, or nullptr: every byte the same (all zero, say),
  /// or every byte printable ASCII (a passphrase typed where 32 random bytes
  /// belong). A store is never created or rekeyed under a weak key.
  const char *weakness() const noexcept;

 private:
  unsigned char *bytes_;
};

namespace store_flags {
constexpr unsigned create = 1;     ///< create the file when missing
constexpr unsigned read_only = 2;  ///< open for reading only
}  // namespace store_flags

struct store_options {
  unsigned flags = store_flags::create;
  int busy_timeout_ms = 30000;
  int64_t max_pages = 0;          ///< when > 0, caps the file (PRAGMA max_page_count)
  /// The catalog the store's records are read against (category filters,
  /// ingest); empty: the catalog in force when it is opened.
  std::shared_ptr<const catalog> cat;
};

struct record_query {
  std::string subject;
  std::string item_type;     ///< empty: all
  int category = 0;          ///< 0: all
  bool history = false;      ///< include superseded and withdrawn records
  bool audit = true;         ///< log the query in the audit log (internal reads set false)
};

struct repair_request {
  int64_t id = 0;
  std::string action;        ///< "withdraw" (撤销) or "repair" (信用修复)
  std::string reason, date, operator_name;
};

class store {
 public:
  ~store();
  store(const store &) = delete;
  store &operator=(const store &) = delete;

  static result<std::unique_ptr<store>> open(const std::string &path, const master_key &key,
                                             const store_options &options = {});

  /// A write transaction that stores normalised, validated records (the
  /// ingest module feeds it). Holds the handle's lock and the database's
  /// write lock until commit or destruction; destruction without commit rolls
  /// everything back.
  class batch {
   public:
    enum class outcome { inserted, updated, unchanged };
    ~batch();
    batch(batch &&) noexcept;
    batch &operator=(batch &&) = delete;
    /// Stores one record (normalised and valid for `type`).
    result<outcome> put(const item_type &type, const json::value &record);
    /// The batch's counts, for its audit entry (never a value).
    struct counts {
      uint64_t records = 0, inserted = 0, updated = 0, unchanged = 0, rejected = 0;
      std::vector<std::string> item_types;
    };
    /// Commits, recording `summary_json` with the batch and `c` in its
    /// audit entry. errc::io (disk full, read-only) leaves the store as it was.
    status commit(const std::string &summary_json, const counts &c);
    int64_t id() const noexcept;

   private:
    friend class store;
    struct state;
    explicit batch(std::unique_ptr<state> s);
    std::unique_ptr<state> s_;
  };

  /// Starts a batch (BEGIN IMMEDIATE, waiting up to the busy timeout).
  result<batch> begin_batch(const std::string &source_name);

  /// A subject's records, typed: ordered by item type, newest as_of first
  /// within each, each payload decrypted and read once. Logged in the audit
  /// log as a record query unless `q.audit` is false (internal reads).
  result<std::vector<stored_record>> read(const record_query &q);
  /// The same rows as read(), their payloads authenticated but left as
  /// text until a field is asked for (json::find_member), no repair notes:
  /// for computing (features, series), where most fields are never read.
  /// Logged as read() is.
  result<record_set> read_set(const record_query &q);
  /// The own-view records query as a direct writer (a hot path: the payload
  /// text is spliced, not parsed), a JSON array newest first within each type:
  /// {"id","type","subject","as_of","source","data","state","current",
  ///  "repair"?:{"action","reason","date","operator"}}.
  result<std::string> records(const record_query &q);
  /// Every subject, sorted, as a JSON array of strings. Logged in the audit
  /// log ("subjects") unless `audit` is false (internal use: a batch score).
  result<std::string> subjects(bool audit = true);
  /// The same, typed (sorted).
  result<std::vector<std::string>> subject_list(bool audit = true);
  status repair(const repair_request &r);
  /// Deletes records whose as_of is before `before` (YYYY-MM-DD); JSON summary.
  result<std::string> purge(std::string_view before);
  /// Re-encrypts everything under `new_key` in one transaction.
  status rekey(const master_key &new_key);
  /// Counts as JSON: records, current, withdrawn, repaired, subjects,
  /// per item type, schema version, batches.
  result<std::string> stats();
  /// PRAGMA integrity_check: "ok" or the problems.
  result<std::string> integrity_check();

  // ---- consent support (docs/consent.md): keyring, revocation, releases

  struct trusted_key {
    std::string kid, public_paserk, issuer;
    std::optional<int64_t> retired_from;  ///< Unix seconds
    std::string use = "consent";          ///< "consent" (issuers), "model" (model signers) or "audit"
    std::string added_at = {};            ///< RFC 3339, set by the store
  };
  /// Trusts a k4.public key (by its k4.pid); `retired_from` retires it.
  status trust_key(const trusted_key &k);
  status retire_key(std::string_view kid, int64_t from);
  /// The key with this kid; nullopt when the store does not trust it.
  result<std::optional<trusted_key>> find_key(std::string_view kid);
  /// Every trusted key as JSON: [{"kid","public","issuer","added_at","use","retired_from"?}].
  result<std::string> keys();
  /// The same, typed.
  result<std::vector<trusted_key>> trusted_keys();
  /// Revokes one consent (by jti), or every consent of `subject` to
  /// `audience` issued at or before `at`. Persisted.
  status revoke_token(std::string_view jti, int64_t at);
  status revoke_grant(std::string_view subject, std::string_view audience, int64_t at);
  /// O(1) (hash sets in memory, reloaded when another connection commits).
  result<bool> is_revoked(std::string_view jti, std::string_view subject, std::string_view audience, int64_t issued_at);
  /// The same with the blind indexes computed once (for a cache of checks).
  struct revocation_ids {
    std::array<unsigned char, 16> token{}, grant{};
  };
  revocation_ids revocation_ids_for(std::string_view jti, std::string_view subject, std::string_view audience);
  result<bool> is_revoked(const revocation_ids &ids, int64_t issued_at);
  /// A counter that moves whenever the keyring may have changed: a key
  /// trusted or retired through this handle, a rekey, or a commit by another
  /// connection (noticed within 50 ms). consent::verifier drops its cache
  /// when it moves, so retirement applies to tokens it checked before.
  uint64_t keyring_generation();
  /// A release made under a consent, as the releases table keeps it.
  struct release_log {
    std::string jti;
    int64_t records = 0, at = 0;
    std::optional<int64_t> expires_at;  ///< from the consent's data_life
  };
  /// Records a release made under a consent; `expires_at` from its data_life.
  status log_release(std::string_view jti, int64_t records, int64_t at, std::optional<int64_t> expires_at);
  /// Appends `e` and logs the release `r` in one write transaction: both, or
  /// neither (a read-only handle appends the entry only, as log_release does).
  status audit(const audit_event &e, const release_log &r);
  /// Deletes logged releases whose data life has passed; how many.
  result<int64_t> purge_releases(int64_t now);

  /// The institution's pseudonym key (for masking): random, made on first
  /// use, kept sealed in the store, carried over by rekey.
  result<std::array<unsigned char, 32>> pseudonym_key();

  // ---- scoring support (docs/scoring.md): models, settings, score results

  struct stored_model {
    std::string id, version, model_hash, format, content, signed_by, added_at;
    std::string signature;  ///< the signing token (v4.public), when signed
  };
  /// Keeps a model. The same hash again is a no-op (ok); another content
  /// under the same id and version is errc::exists.
  status put_model(const stored_model &m);
  /// The model with this id and version (empty: the newest added), or nullopt.
  result<std::optional<stored_model>> get_model(std::string_view id, std::string_view version = {});
  /// Every model as JSON: [{"id","version","model_hash","format","signed_by","added_at"}].
  result<std::string> models();
  /// Store settings kept in the store ("require_signed_models": "1"/"0").
  status set_setting(std::string_view key, std::string_view value);
  result<std::optional<std::string>> setting(std::string_view key);

  struct score_row {
    std::string subject, model_hash, result_json;
  };
  /// Keeps score results (sealed, with their model hash) in one transaction.
  status put_scores(const std::vector<score_row> &rows);
  /// The same for `count` rows of one model given one at a time, as they are
  /// produced: `next(row)` fills the next row. An error from `next` (or fewer
  /// rows than `count`) rolls everything back. The handle is busy until the
  /// last row; other handles (open_reader) read meanwhile.
  status put_scores(size_t count, std::string_view model_hash, const std::function<status(score_row &)> &next);
  /// A subject's kept score results, newest first, as a JSON array of the
  /// results (each with "scored_at"); `model_hash` empty: every model.
  result<std::string> scores(std::string_view subject, std::string_view model_hash = {});

  /// Another connection to the same file under the same key (read-only
  /// unless `writable`): for work spread over threads.
  result<std::unique_ptr<store>> open_reader(bool writable = false);
  const std::string &path() const noexcept;
  /// The catalog this handle was opened with (store_options::cat).
  const catalog &cat() const noexcept;

  // ---- the audit log (docs/audit.md): append-only, hash-chained

  using audit_event = xyd::audit_event;  ///< typed: xyd/audit_event.hpp

  /// Appends an entry: {"seq","at","actor","action","outcome","subject",
  /// "item_types","jti","audience","purpose","reason","detail"}, hash =
  /// BLAKE2b-256("xyd-audit-v1" ‖ previous hash ‖ entry). Inside this
  /// handle's open write transaction when there is one. A read-only handle
  /// appends through a connection of its own (the log is the store's
  /// bookkeeping); when the file cannot be written, errc::read_only.
  status audit(const audit_event &e);
  /// Who the entries name as actor (default: $XYD_ACTOR, $USER, "unknown").
  void set_actor(std::string actor);
  struct audit_row {
    int64_t seq;
    std::string entry;
    std::string hash;  ///< 32 bytes
  };
  /// Every entry in seq order; `fn` returns false to stop.
  status for_each_audit(const std::function<bool(const audit_row &)> &fn);
  /// Signed checkpoints (v4.public tokens over {"seq","hash"}).
  status add_checkpoint(int64_t seq, std::string_view token);
  result<std::vector<std::pair<int64_t, std::string>>> checkpoints();
  /// Signs the chain's head: (seq, 32-byte hash) -> a checkpoint token
  /// (xyd::audit::checkpoint_token). Called with the handle's lock held: it
  /// must not call back into the store.
  using checkpoint_signer = std::function<std::string(int64_t seq, std::string_view hash)>;
  struct checkpoint_made {
    int64_t seq = 0;
    std::string hash;   ///< 32 bytes
    std::string token;
  };
  /// Appends `e` and, in the same transaction, a checkpoint of the entry
  /// just appended, signed by `sign`: no other entry can come between.
  result<checkpoint_made> checkpoint(const audit_event &e, const checkpoint_signer &sign);
  /// Automatic checkpoints (docs/audit.md): every entry whose seq is a
  /// multiple of `every` is signed by `sign` as it is appended, in its
  /// transaction. `every` 0 or `sign` empty: none (the default).
  void set_auto_checkpoint(int64_t every, checkpoint_signer sign);

  static constexpr int schema_version = 10;

 private:
  struct impl;
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

/// The audit chain: BLAKE2b-256("xyd-audit-v1" ‖ previous hash (32 bytes;
/// zeros before the first entry) ‖ entry text).
std::array<unsigned char, 32> audit_chain_hash(std::string_view previous, std::string_view entry);

}  // namespace xyd
