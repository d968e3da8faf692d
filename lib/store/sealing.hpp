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

namespace xyd::store_detail {

constexpr size_t bi_bytes = 16;  // blind indexes and content hashes: 128 bits
using bi_t = std::array<unsigned char, bi_bytes>;

/// The subkeys of a master key (crypto_kdf, context "xydstore"): payloads,
/// blind indexes, the key check. Wiped when destroyed.
struct key_set {
  unsigned char payload[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  unsigned char index[crypto_generichash_KEYBYTES];
  unsigned char check[32];
  explicit key_set(const master_key &m);
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

// Associated data binding a payload to its row: the record id (stable for
// the life of the store), item type, subject and date.
std::string row_aad(int64_t id, std::string_view type, const bi_t &subject_bi, std::string_view as_of);
std::string subject_aad(const bi_t &sbi);
std::string repair_aad(int64_t id);
std::string score_aad(int64_t id);
/// The pseudonym key, kept in meta as nonce ‖ sealed.
inline constexpr std::string_view pseudonym_aad = "xyd-pseudonym-key-v1";

/// A random nonce (crypto_aead_xchacha20poly1305_ietf_NPUBBYTES bytes).
void random_nonce(unsigned char *out);
/// Seals `plain` under `key` with a fresh random nonce, returned in `nonce_out`.
std::string seal(const unsigned char *key, std::string_view plain, std::string_view aad, std::string &nonce_out);
/// Opens a sealed value into `plain`; false when it fails authentication.
bool open_sealed(const unsigned char *key, std::string_view sealed, std::string_view nonce, std::string_view aad,
                 std::string &plain);

// The natural key's canonical text: type, subject, then each key field's
// canonical JSON (null when absent).
std::string natural_key_text(const item_type &t, std::string_view subject, const json::value &data);

}  // namespace xyd::store_detail
