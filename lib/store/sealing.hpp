// Internal to lib/store: the store's keys, blind indexes and sealed values
// (XChaCha20-Poly1305, each bound to its row by its associated data).
// docs/storage.md documents the keys and the formats; none may change.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "xyd/catalog.hpp"
#include "xyd/store.hpp"

struct ZSTD_CCtx_s;  // zstd.h

namespace xyd::store_detail {

constexpr size_t bi_bytes = 16;  // blind indexes and content hashes: 128 bits
using bi_t = std::array<unsigned char, bi_bytes>;

/// The subkeys of a master key (crypto_kdf, context "xydstore"): payloads,
/// blind indexes, the key check. Held in locked, guarded memory of their own
/// (sodium_malloc), wiped when destroyed.
struct key_set {
  static constexpr size_t payload_bytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
  static constexpr size_t index_bytes = crypto_generichash_KEYBYTES;
  static constexpr size_t check_bytes = 32;
  unsigned char *const payload;
  unsigned char *const index;
  unsigned char *const check;
  /// From the master key and the store's salt (meta 'kdf_salt', 16 random
  /// bytes made with the store or at its last rekey): the subkeys come from
  /// BLAKE2b-256(key = master, "xyd-store-root-v2" ‖ salt), so that one
  /// master key gives unrelated subkeys in two stores. No salt: from the
  /// master key itself (stores made before, until they are rekeyed).
  explicit key_set(const master_key &m, std::string_view salt = {});
  static constexpr size_t salt_bytes = 16;
  ~key_set();
  key_set(const key_set &) = delete;
  key_set &operator=(const key_set &) = delete;

  /// Keyed BLAKE2b-128 of a domain byte and the text.
  bi_t blind(char domain, std::string_view text) const;
  /// What the store keeps to recognise its key ("xyd store key check v1").
  std::array<unsigned char, 32> key_check() const;
};

/// A blind index read back from a blob (zero-padded when short).
bi_t to_bi(std::string_view blob);
std::string to_hex(const bi_t &b);

// Associated data binding a payload to its row (schema 9): the record id,
// item type, subject and date, the row's version (1 when stored, one more
// at each update or repair) and its state, so that a state set back in the
// file, or a payload written back from before an update, fails.
std::string row_aad(int64_t id, std::string_view type, const bi_t &subject_bi, std::string_view as_of,
                    int64_t version, std::string_view state);
/// The same, into `aad` (its capacity kept: the read path builds one per row).
void row_aad(std::string &aad, int64_t id, std::string_view type, const bi_t &subject_bi, std::string_view as_of,
             int64_t version, std::string_view state);
/// Before schema 9: id, type, subject and date (read by the upgrades only).
std::string row_aad_v1(int64_t id, std::string_view type, const bi_t &subject_bi, std::string_view as_of);
std::string subject_aad(const bi_t &sbi);
/// A repair note: its record's id and state (schema 9; a record is repaired
/// or withdrawn once, so the note never changes).
std::string repair_aad(int64_t id, std::string_view state);
std::string repair_aad_v1(int64_t id);
/// A kept score: its id (never handed out twice), its subject's blind
/// index, its model's hash and when it was scored, so that a score row
/// pointed at another subject (schema 8), relabelled as another model's or
/// given another time (schema 10) fails.
std::string score_aad(int64_t id, const bi_t &subject_bi, std::string_view model_hash, std::string_view scored_at);
/// Schemas 8 and 9: id and subject (read once, by the upgrade).
std::string score_aad_v2(int64_t id, const bi_t &subject_bi);
/// Before schema 8: the id alone (read once, by the upgrade).
std::string score_aad_v1(int64_t id);
/// What a grant revocation's blind index ('g') is computed over.
inline std::string grant_text(std::string_view subject, std::string_view audience) {
  std::string t(subject);
  t += '\0';
  t += audience;
  return t;
}
/// What a revocation revokes (the jti, or subject NUL audience), sealed
/// beside its blind index, bound to its kind ("token" or "grant"), that
/// index and its time: a sealed value copied to another row, or a lowered
/// time, fails at the next rekey.
std::string revocation_aad(std::string_view kind, const bi_t &key_bi, int64_t revoked_at);
/// The pseudonym key, kept in meta as nonce ‖ sealed.
inline constexpr std::string_view pseudonym_aad = "xyd-pseudonym-key-v1";

/// Kept score results are JSON text compressed (one zstd frame, its size in
/// the header) before they are sealed: a result repeats its model's names
/// and reasons, and compressed it is about a third of the text, a third of
/// what a batch writes. Rows written before are plain JSON ('{' where the
/// frame's magic number is): `unpack_score` reads either.
class score_packer {
 public:
  score_packer();
  ~score_packer();
  score_packer(const score_packer &) = delete;
  score_packer &operator=(const score_packer &) = delete;
  /// `json` compressed into `out`; false when zstd fails (out of memory).
  bool pack(std::string_view json, std::string &out);

 private:
  ::ZSTD_CCtx_s *cctx_;
};
/// The JSON text of an opened score value, in place; false when it is
/// neither JSON nor an intact frame of at most 16 MiB.
bool unpack_score(std::string &plain, std::string &scratch);

/// A random nonce (crypto_aead_xchacha20poly1305_ietf_NPUBBYTES bytes).
void random_nonce(unsigned char *out);
/// Seals `plain` under `key` with a fresh random nonce, returned in `nonce_out`.
std::string seal(const unsigned char *key, std::string_view plain, std::string_view aad, std::string &nonce_out);
/// The same, into `out` (its capacity kept, for a loop of seals).
void seal_into(const unsigned char *key, std::string_view plain, std::string_view aad, std::string &nonce_out,
               std::string &out);
/// Opens a sealed value into `plain`; false when it fails authentication.
bool open_sealed(const unsigned char *key, std::string_view sealed, std::string_view nonce, std::string_view aad,
                 std::string &plain);

// The natural key's canonical text: type, subject, then each key field's
// canonical JSON (null when absent).
std::string natural_key_text(const item_type &t, std::string_view subject, const json::value &data);

}  // namespace xyd::store_detail
