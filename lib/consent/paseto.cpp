// PASETO v4 and PASERK k4 on libsodium.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/paseto.hpp"

#include <sodium.h>

#include <cstring>
#include <vector>

namespace xyd::paseto {

template <size_t N, class Tag>
key_bytes<N, Tag>::~key_bytes() {
  sodium_memzero(bytes.data(), bytes.size());
}
template struct key_bytes<32, local_tag>;
template struct key_bytes<32, public_tag>;
template struct key_bytes<64, secret_tag>;

namespace {

bool ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

const unsigned char *u8(std::string_view s) { return reinterpret_cast<const unsigned char *>(s.data()); }

status malformed(const char *why) { return {errc::validation, std::string("malformed token: ") + why}; }

struct parts {
  std::string_view version, purpose, payload, footer;
  bool has_footer = false;
};

// "v4.public.<payload>[.<footer>]", nothing else.
result<parts> split(std::string_view token) {
  parts p;
  size_t dots[3], n = 0;
  for (size_t i = 0; i < token.size(); ++i)
    if (token[i] == '.') {
      if (n == 3) return malformed("too many segments");
      dots[n++] = i;
    }
  if (n < 2) return malformed("too few segments");
  p.version = token.substr(0, dots[0]);
  p.purpose = token.substr(dots[0] + 1, dots[1] - dots[0] - 1);
  if (n == 2) {
    p.payload = token.substr(dots[1] + 1);
  } else {
    p.payload = token.substr(dots[1] + 1, dots[2] - dots[1] - 1);
    p.footer = token.substr(dots[2] + 1);
    p.has_footer = true;
    if (p.footer.empty()) return malformed("empty footer segment");
  }
  return p;
}

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) {
    if (i == 7) n &= 0x7FFFFFFFFFFFFFFFULL;  // the spec clears the top bit
    s[static_cast<size_t>(i)] = static_cast<char>(n & 0xFF);
    n >>= 8;
  }
  return s;
}

std::string with_footer(std::string token, std::string_view footer) {
  if (!footer.empty()) {
    token += '.';
    token += base64url(footer);
  }
  return token;
}

struct decoded {
  std::string body, footer;
};

// Splits, checks the header, decodes payload and footer (strictly).
result<decoded> decode(std::string_view token, std::string_view purpose, size_t min_body, const char *too_short) {
  auto p = split(token);
  if (!p) return p.error();
  if (p->version != "v4" || p->purpose != purpose)
    return status(errc::validation, "wrong version or purpose: expected v4." + std::string(purpose));
  auto body = unbase64url(p->payload);
  if (!body) return body.error();
  if (body->size() < min_body) return malformed(too_short);
  decoded d{std::move(*body), {}};
  if (p->has_footer) {
    auto f = unbase64url(p->footer);
    if (!f) return f.error();
    d.footer = std::move(*f);
  }
  return d;
}

constexpr std::string_view public_header = "v4.public.";
constexpr std::string_view local_header = "v4.local.";

}  // namespace

std::string base64url(std::string_view bytes) {
  const size_t len = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, u8(bytes), bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(len - 1);  // the terminating NUL
  return out;
}

result<std::string> unbase64url(std::string_view text) {
  // libsodium's decoder takes every byte above 0x7f for a digit, so one token
  // or key would have several spellings: only the 64 digits pass.
  for (const char c : text)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return status(errc::validation, "malformed token: not unpadded base64url");
  std::string out(text.size() * 3 / 4 + 3, '\0');
  size_t len = 0;
  const char *end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char *>(out.data()), out.size(), text.data(), text.size(), nullptr, &len,
                        &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return status(errc::validation, "malformed token: not unpadded base64url");
  out.resize(len);
  return out;
}

std::string pae(std::initializer_list<std::string_view> pieces) {
  std::string out = le64(pieces.size());
  for (auto p : pieces) {
    out += le64(p.size());
    out += p;
  }
  return out;
}

local_key generate_local_key() {
  if (!ready()) std::abort();
  local_key k;
  crypto_aead_xchacha20poly1305_ietf_keygen(k.bytes.data());
  return k;
}

void generate_key_pair(secret_key &sk, public_key &pk) {
  if (!ready()) std::abort();
  crypto_sign_keypair(pk.bytes.data(), sk.bytes.data());
}

secret_key secret_key_from_seed(const unsigned char seed[32]) {
  if (!ready()) std::abort();
  secret_key sk;
  unsigned char pk[32];
  crypto_sign_seed_keypair(pk, sk.bytes.data(), seed);
  return sk;
}

public_key public_key_of(const secret_key &sk) {
  public_key pk;
  crypto_sign_ed25519_sk_to_pk(pk.bytes.data(), sk.bytes.data());
  return pk;
}

// ---------------------------------------------------------------- v4.public

std::string sign(const secret_key &sk, std::string_view message, std::string_view footer, std::string_view implicit) {
  if (!ready()) std::abort();
  const std::string m2 = pae({public_header, message, footer, implicit});
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, u8(m2), m2.size(), sk.bytes.data());
  std::string body(message);
  body.append(reinterpret_cast<const char *>(sig), sizeof sig);
  return with_footer(std::string(public_header) + base64url(body), footer);
}

result<opened> verify(const public_key &pk, std::string_view token, std::string_view implicit) {
  if (!ready()) return status(errc::internal, "libsodium failed to initialise");
  auto d = decode(token, "public", crypto_sign_BYTES, "payload shorter than a signature");
  if (!d) return d.error();
  const std::string_view message(d->body.data(), d->body.size() - crypto_sign_BYTES);
  const std::string m2 = pae({public_header, message, d->footer, implicit});
  if (crypto_sign_verify_detached(u8(d->body) + message.size(), u8(m2), m2.size(), pk.bytes.data()) != 0)
    return status(errc::validation, "bad signature");
  return opened{std::string(message), std::move(d->footer)};
}

// ---------------------------------------------------------------- v4.local

namespace {
struct local_keys {
  unsigned char ek[32], n2[24], ak[32];
  ~local_keys() { sodium_memzero(this, sizeof *this); }
};

void derive(const local_key &k, const unsigned char n[32], local_keys &out) {
  static constexpr std::string_view enc = "paseto-encryption-key", auth = "paseto-auth-key-for-aead";
  unsigned char tmp[56];
  std::string msg(enc);
  msg.append(reinterpret_cast<const char *>(n), 32);
  crypto_generichash(tmp, sizeof tmp, u8(msg), msg.size(), k.bytes.data(), k.bytes.size());
  std::memcpy(out.ek, tmp, 32);
  std::memcpy(out.n2, tmp + 32, 24);
  sodium_memzero(tmp, sizeof tmp);
  msg.assign(auth);
  msg.append(reinterpret_cast<const char *>(n), 32);
  crypto_generichash(out.ak, sizeof out.ak, u8(msg), msg.size(), k.bytes.data(), k.bytes.size());
}
}  // namespace

std::string encrypt(const local_key &k, std::string_view message, std::string_view footer, std::string_view implicit,
                    const unsigned char *nonce) {
  if (!ready()) std::abort();
  unsigned char n[32];
  if (nonce) std::memcpy(n, nonce, 32);
  else randombytes_buf(n, sizeof n);
  local_keys lk;
  derive(k, n, lk);
  std::string c(message.size(), '\0');
  crypto_stream_xchacha20_xor(reinterpret_cast<unsigned char *>(c.data()), u8(message), message.size(), lk.n2, lk.ek);
  const std::string pre = pae({local_header, std::string_view(reinterpret_cast<const char *>(n), 32), c, footer, implicit});
  unsigned char t[32];
  crypto_generichash(t, sizeof t, u8(pre), pre.size(), lk.ak, sizeof lk.ak);
  std::string body(reinterpret_cast<const char *>(n), 32);
  body += c;
  body.append(reinterpret_cast<const char *>(t), sizeof t);
  return with_footer(std::string(local_header) + base64url(body), footer);
}

result<opened> decrypt(const local_key &k, std::string_view token, std::string_view implicit) {
  if (!ready()) return status(errc::internal, "libsodium failed to initialise");
  auto d = decode(token, "local", 64, "payload shorter than nonce and tag");
  if (!d) return d.error();
  const std::string *body = &d->body;
  std::string footer = std::move(d->footer);
  const unsigned char *n = u8(*body);
  const std::string_view c(body->data() + 32, body->size() - 64);
  const unsigned char *t = u8(*body) + body->size() - 32;
  local_keys lk;
  derive(k, n, lk);
  const std::string pre = pae({local_header, std::string_view(body->data(), 32), c, footer, implicit});
  unsigned char t2[32];
  crypto_generichash(t2, sizeof t2, u8(pre), pre.size(), lk.ak, sizeof lk.ak);
  if (sodium_memcmp(t, t2, 32) != 0) return status(errc::validation, "bad authentication tag");
  std::string m(c.size(), '\0');
  crypto_stream_xchacha20_xor(reinterpret_cast<unsigned char *>(m.data()), u8(c), c.size(), lk.n2, lk.ek);
  return opened{std::move(m), std::move(footer)};
}

result<std::string> footer_of(std::string_view token) {
  auto p = split(token);
  if (!p) return p.error();
  if (!p->has_footer) return std::string();
  return unbase64url(p->footer);
}

// ---------------------------------------------------------------- PASERK

namespace {
template <class K>
result<K> parse_paserk(std::string_view text, std::string_view header) {
  constexpr size_t N = sizeof(K::bytes);
  if (text.substr(0, header.size()) != header)
    return status(errc::validation, "malformed key: expected a " + std::string(header.substr(0, header.size() - 1)) + " PASERK");
  auto raw = unbase64url(text.substr(header.size()));
  if (!raw || raw->size() != N) {
    if (raw) sodium_memzero(raw->data(), raw->size());
    return status(errc::validation, "malformed key: wrong length or encoding");
  }
  K k;
  std::memcpy(k.bytes.data(), raw->data(), N);
  sodium_memzero(raw->data(), raw->size());
  return k;
}

std::string key_id(std::string_view header, const std::string &serialised) {
  std::string msg(header);
  msg += serialised;
  unsigned char d[33];
  crypto_generichash(d, sizeof d, u8(msg), msg.size(), nullptr, 0);
  return std::string(header) + base64url(std::string_view(reinterpret_cast<const char *>(d), sizeof d));
}

template <class K>
std::string serialise(std::string_view header, const K &k) {
  return std::string(header) + base64url(std::string_view(reinterpret_cast<const char *>(k.bytes.data()), k.bytes.size()));
}
}  // namespace

std::string paserk(const local_key &k) { return serialise("k4.local.", k); }
std::string paserk(const public_key &k) { return serialise("k4.public.", k); }
std::string paserk_secret(const secret_key &k) { return serialise("k4.secret.", k); }
result<local_key> parse_local(std::string_view text) { return parse_paserk<local_key>(text, "k4.local."); }
result<public_key> parse_public(std::string_view text) { return parse_paserk<public_key>(text, "k4.public."); }

result<secret_key> parse_secret(std::string_view text) {
  auto k = parse_paserk<secret_key>(text, "k4.secret.");
  if (!k) return k;
  const secret_key again = secret_key_from_seed(k->bytes.data());
  if (sodium_memcmp(again.bytes.data(), k->bytes.data(), 64) != 0)
    return status(errc::validation, "malformed key: the public half does not belong to the seed");
  return k;
}

std::string lid(const local_key &k) { return key_id("k4.lid.", paserk(k)); }
std::string pid(const public_key &k) { return key_id("k4.pid.", paserk(k)); }
std::string sid(const secret_key &k) { return key_id("k4.sid.", paserk_secret(k)); }

}  // namespace xyd::paseto
