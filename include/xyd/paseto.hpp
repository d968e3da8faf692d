// xyd C++ API: PASETO version 4 (v4.local, v4.public) and PASERK k4 keys,
// on libsodium. https://github.com/paseto-standard/paseto-spec
//
// Parsing is strict: only unpadded base64url, the exact header, no trailing
// data; the footer is returned untrusted by footer_of() and authenticated by
// verify()/decrypt(). Errors are errc::validation with a message beginning
// with a stable reason: "malformed token", "wrong version or purpose",
// "bad signature", "bad authentication tag", "malformed key". Messages never
// contain a key or a token. Every function is thread-safe.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "xyd/core.hpp"

namespace xyd::paseto {

/// Key material, wiped when destroyed. The tag keeps the kinds apart.
template <size_t N, class Tag>
struct key_bytes {
  std::array<unsigned char, N> bytes{};
  key_bytes() = default;
  key_bytes(const key_bytes &) = default;
  key_bytes &operator=(const key_bytes &) = default;
  ~key_bytes();
};
struct local_tag;
struct public_tag;
struct secret_tag;
using local_key = key_bytes<32, local_tag>;    ///< v4.local symmetric key
using public_key = key_bytes<32, public_tag>;  ///< Ed25519 public key
using secret_key = key_bytes<64, secret_tag>;  ///< Ed25519 secret key (seed || public key)

local_key generate_local_key();
/// A new Ed25519 key pair.
void generate_key_pair(secret_key &sk, public_key &pk);
secret_key secret_key_from_seed(const unsigned char seed[32]);
public_key public_key_of(const secret_key &sk);

/// v4.public: signs message (with footer and implicit assertion) -> token.
std::string sign(const secret_key &sk, std::string_view message, std::string_view footer = {},
                 std::string_view implicit = {});
struct opened {
  std::string message, footer;
};
/// Verifies a v4.public token; the message and footer when the signature holds.
result<opened> verify(const public_key &pk, std::string_view token, std::string_view implicit = {});

/// v4.local: encrypts. `nonce` (32 bytes) is for known-answer tests only;
/// nullptr draws a random one, as it must be in use.
std::string encrypt(const local_key &k, std::string_view message, std::string_view footer = {},
                    std::string_view implicit = {}, const unsigned char *nonce = nullptr);
result<opened> decrypt(const local_key &k, std::string_view token, std::string_view implicit = {});

/// The footer of a token, decoded but NOT authenticated: use it only to find
/// the key (kid) before verification.
result<std::string> footer_of(std::string_view token);

// ---------------------------------------------------------------- PASERK k4

std::string paserk(const local_key &k);       ///< k4.local.…
std::string paserk(const public_key &k);      ///< k4.public.…
std::string paserk_secret(const secret_key &k);  ///< k4.secret.…
result<local_key> parse_local(std::string_view paserk);
result<public_key> parse_public(std::string_view paserk);
/// Refuses a secret key whose public half does not match its seed.
result<secret_key> parse_secret(std::string_view paserk);
std::string lid(const local_key &k);          ///< k4.lid.… (key id)
std::string pid(const public_key &k);         ///< k4.pid.…
std::string sid(const secret_key &k);         ///< k4.sid.…

/// Pre-authentication encoding (PAE) of the specification.
std::string pae(std::initializer_list<std::string_view> pieces);
/// Unpadded base64url, strict decoding (no padding, no stray bits).
std::string base64url(std::string_view bytes);
result<std::string> unbase64url(std::string_view text);

}  // namespace xyd::paseto
