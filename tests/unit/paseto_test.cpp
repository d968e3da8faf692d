// The official PASETO v4 / PASERK k4 vectors (tests/data/paseto, from
// paseto-standard/test-vectors), and strictness.
// SPDX-License-Identifier: Apache-2.0
#include <sodium.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "xyd/json.hpp"
#include "xyd/paseto.hpp"

using namespace xyd;

namespace {

json::value load(const char *name) {
  std::ifstream in(std::string(XYD_TEST_DATA) + "/paseto/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = json::parse(ss.str());
  REQUIRE(doc);
  return *doc;
}

std::string hex(const json::value *p) {
  if (!p) return {};
  const json::value &v = *p;
  std::string out(v.text.size() / 2, '\0');
  size_t len = 0;
  REQUIRE(sodium_hex2bin(reinterpret_cast<unsigned char *>(out.data()), out.size(), v.text.data(), v.text.size(), nullptr,
                         &len, nullptr) == 0);
  out.resize(len);
  return out;
}

const std::string &str(const json::value &t, const char *k) {
  static const std::string none;
  const json::value *v = t.find(k);
  return v ? v->text : none;
}
bool fails(const json::value &t) { return t.find("expect-fail")->boolean; }

template <class K>
K key_from(const std::string &bytes) {
  K k;
  REQUIRE(bytes.size() == k.bytes.size());
  std::memcpy(k.bytes.data(), bytes.data(), bytes.size());
  return k;
}

}  // namespace

TEST_CASE("PASETO v4 official vectors", "[paseto]") {
  const auto doc = load("v4.json");
  int checked = 0;
  for (const auto &t : doc.find("tests")->items) {
    const std::string name = str(t, "name");
    INFO(name);
    const std::string token = str(t, "token");
    const std::string implicit = str(t, "implicit-assertion");
    const bool is_local = t.find("nonce") && t.find("key") && !t.find("public-key");
    if (is_local) {
      const auto k = key_from<paseto::local_key>(hex(t.find("key")));
      auto opened = paseto::decrypt(k, token, implicit);
      if (fails(t)) {
        CHECK_FALSE(opened);
      } else {
        REQUIRE(opened);
        CHECK(opened->message == str(t, "payload"));
        CHECK(opened->footer == str(t, "footer"));
        const std::string nonce = hex(t.find("nonce"));
        CHECK(paseto::encrypt(k, str(t, "payload"), str(t, "footer"), implicit,
                              reinterpret_cast<const unsigned char *>(nonce.data())) == token);
      }
    } else {
      const auto pk = key_from<paseto::public_key>(hex(t.find("public-key")));
      auto opened = paseto::verify(pk, token, implicit);
      if (fails(t)) {
        CHECK_FALSE(opened);
      } else {
        REQUIRE(opened);
        CHECK(opened->message == str(t, "payload"));
        CHECK(opened->footer == str(t, "footer"));
        const auto sk = key_from<paseto::secret_key>(hex(t.find("secret-key")));
        CHECK(paseto::sign(sk, str(t, "payload"), str(t, "footer"), implicit) == token);
        const std::string seed = hex(t.find("secret-key-seed"));
        CHECK(paseto::secret_key_from_seed(reinterpret_cast<const unsigned char *>(seed.data())).bytes == sk.bytes);
      }
    }
    ++checked;
  }
  CHECK(checked == 17);
}

TEST_CASE("PASERK k4 official vectors", "[paseto]") {
  const auto local_doc = load("k4.local.json");
  const auto public_doc = load("k4.public.json");
  const auto secret_doc = load("k4.secret.json");
  const auto lid_doc = load("k4.lid.json");
  const auto pid_doc = load("k4.pid.json");
  const auto sid_doc = load("k4.sid.json");
  for (const auto &t : local_doc.find("tests")->items) {
    INFO(str(t, "name"));
    if (fails(t)) {
      CHECK_FALSE(paseto::parse_local(str(t, "paserk")));
    } else {
      const auto k = key_from<paseto::local_key>(hex(t.find("key")));
      CHECK(paseto::paserk(k) == str(t, "paserk"));
      CHECK(paseto::parse_local(str(t, "paserk"))->bytes == k.bytes);
    }
  }
  for (const auto &t : public_doc.find("tests")->items) {
    INFO(str(t, "name"));
    if (fails(t)) {
      CHECK(hex(t.find("key")).size() != 32);  // not an Ed25519 key: cannot be serialised as k4
    } else {
      const auto k = key_from<paseto::public_key>(hex(t.find("key")));
      CHECK(paseto::paserk(k) == str(t, "paserk"));
      CHECK(paseto::parse_public(str(t, "paserk"))->bytes == k.bytes);
    }
  }
  for (const auto &t : secret_doc.find("tests")->items) {
    INFO(str(t, "name"));
    if (fails(t)) {
      // Short keys and keys that are not Ed25519 (PEM, other curves) are refused.
      const std::string raw = hex(t.find("key"));
      if (raw.size() == 64) {
        const std::string fake = "k4.secret." + paseto::base64url(raw);
        CHECK_FALSE(paseto::parse_secret(fake));
      } else {
        CHECK(raw.size() != 64);
      }
    } else {
      const auto k = key_from<paseto::secret_key>(hex(t.find("key")));
      CHECK(paseto::paserk_secret(k) == str(t, "paserk"));
      CHECK(paseto::parse_secret(str(t, "paserk"))->bytes == k.bytes);
      CHECK(paseto::public_key_of(k).bytes == key_from<paseto::public_key>(hex(t.find("public-key"))).bytes);
    }
  }
  for (const auto &t : lid_doc.find("tests")->items) {
    INFO(str(t, "name"));
    if (fails(t)) CHECK(hex(t.find("key")).size() != 32);
    else CHECK(paseto::lid(key_from<paseto::local_key>(hex(t.find("key")))) == str(t, "paserk"));
  }
  for (const auto &t : pid_doc.find("tests")->items) {
    INFO(str(t, "name"));
    if (fails(t)) CHECK(hex(t.find("key")).size() != 32);
    else CHECK(paseto::pid(key_from<paseto::public_key>(hex(t.find("key")))) == str(t, "paserk"));
  }
  for (const auto &t : sid_doc.find("tests")->items) {
    INFO(str(t, "name"));
    if (fails(t)) CHECK(hex(t.find("key")).size() != 64);
    else CHECK(paseto::sid(key_from<paseto::secret_key>(hex(t.find("key")))) == str(t, "paserk"));
  }
}

TEST_CASE("PASETO strict parsing and single-byte changes", "[paseto]") {
  paseto::secret_key sk;
  paseto::public_key pk;
  paseto::generate_key_pair(sk, pk);
  const std::string token = paseto::sign(sk, R"({"sub":"x"})", R"({"kid":"k"})", "bank-1");
  REQUIRE(paseto::verify(pk, token, "bank-1"));
  CHECK(paseto::verify(pk, token, "bank-2").error().message() == "bad signature");
  CHECK(paseto::verify(pk, token + ".x").error().message().rfind("malformed token", 0) == 0);
  CHECK(paseto::verify(pk, token + "=").error().message().rfind("malformed token", 0) == 0);
  CHECK(paseto::verify(pk, "v4.public." + token.substr(10, token.find('.', 10) - 10) + ".").error().message().rfind("malformed", 0) == 0);
  CHECK(paseto::verify(pk, "v3" + token.substr(2)).error().message().rfind("wrong version", 0) == 0);
  CHECK(paseto::verify(pk, "v4.local" + token.substr(9)).error().message().rfind("wrong version", 0) == 0);
  // Every single-character change of the token is refused.
  size_t refused = 0, tried = 0;
  for (size_t i = 0; i < token.size(); ++i)
    for (char c : {'A', 'z', '-', '_', '.', '='}) {
      if (token[i] == c) continue;
      std::string bad = token;
      bad[i] = c;
      ++tried;
      refused += !paseto::verify(pk, bad, "bank-1");
    }
  CHECK(refused == tried);
  const auto lk = paseto::generate_local_key();
  const std::string local = paseto::encrypt(lk, "secret claims", "f", "i");
  REQUIRE(paseto::decrypt(lk, local, "i")->message == "secret claims");
  for (size_t i = 0; i < local.size(); ++i) {
    std::string bad = local;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    CHECK_FALSE(paseto::decrypt(lk, bad, "i"));
  }
  CHECK(*paseto::footer_of(token) == R"({"kid":"k"})");
}

#include "xyd.h"

TEST_CASE("paseto: a message or footer holding NUL is refused through the C ABI, never cut short", "[paseto]") {
  paseto::secret_key sk;
  paseto::public_key pk;
  paseto::generate_key_pair(sk, pk);
  const std::string pub = paseto::paserk(pk);
  const std::string with_nul("{\"a\":1}\0{\"admin\":true}", 22);
  for (int part = 0; part < 2; ++part) {
    const std::string token = part == 0 ? paseto::sign(sk, with_nul, "{\"kid\":\"x\"}") : paseto::sign(sk, "{\"a\":1}", with_nul);
    // The C++ API keeps every byte …
    auto opened = paseto::verify(pk, token);
    REQUIRE(opened);
    CHECK((part == 0 ? opened->message : opened->footer) == with_nul);
    // … the C ABI, whose strings end at a NUL, refuses.
    char *message = nullptr, *footer = nullptr;
    CHECK(xyd_paseto_verify(pub.c_str(), token.c_str(), nullptr, &message, &footer) == XYD_EVALIDATION);
    CHECK(message == nullptr);
    CHECK(footer == nullptr);
    CHECK(std::string(xyd_errmsg()).find(part == 0 ? "message holds a NUL" : "footer holds a NUL") != std::string::npos);
    if (part == 1) {
      CHECK(xyd_paseto_footer(token.c_str(), &footer) == XYD_EVALIDATION);
      CHECK(footer == nullptr);
    }
  }
  const paseto::local_key lk = paseto::generate_local_key();
  const std::string local = paseto::encrypt(lk, with_nul);
  char *message = nullptr;
  CHECK(xyd_paseto_decrypt(paseto::paserk(lk).c_str(), local.c_str(), nullptr, &message, nullptr) == XYD_EVALIDATION);
  CHECK(message == nullptr);
}

// Found by fuzz/paserk.cpp: libsodium's base64 decoder maps every byte above
// 0x7f to a digit, so one key or token had several spellings (a key whose
// id differs from the id of the key it parses to; a token that verifies
// under another text). A last digit with its unused bits set is checked too
// (libsodium refuses it).
TEST_CASE("paseto: a byte outside base64url or a non-canonical last digit is refused (fuzz finding)", "[paseto]") {
  paseto::secret_key sk;
  paseto::public_key pk;
  paseto::generate_key_pair(sk, pk);
  const std::string pub = paseto::paserk(pk);
  REQUIRE(pub.size() == 10 + 43);
  // 32 bytes end in a digit carrying 4 bits: its other 2 bits must be 0.
  for (int extra = 1; extra < 4; ++extra) {
    static const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string other = pub;
    other.back() = digits[digits.find(pub.back()) + extra];
    auto k = paseto::parse_public(other);
    if (k) CHECK(paseto::paserk(*k) == other);  // a different key, never the same one spelt twice
  }
  for (unsigned char c : {0x80, 0xb4, 0xc3, 0xff, 0x00, 0x20, 0x2b, 0x2f, 0x3d}) {
    for (size_t at : {size_t(12), pub.size() - 1}) {
      std::string bad = pub;
      bad[at] = char(c);
      auto k = paseto::parse_public(bad);
      CHECK_FALSE(k);
      if (!k) CHECK(k.error().message() == "malformed key: wrong length or encoding");
    }
  }
  const std::string token = paseto::sign(sk, R"({"sub":"x"})", R"({"kid":"k"})");
  std::string bad = token;
  bad[20] = char(0xb4);
  auto v = paseto::verify(pk, bad);
  CHECK_FALSE(v);
  if (!v) CHECK(v.error().message().rfind("malformed token", 0) == 0);
  for (size_t i = 0; i < 256; ++i) {
    if (std::isalnum(int(i)) || i == '-' || i == '_') continue;
    std::string t = token;
    t[30] = char(i);
    CHECK_FALSE(paseto::verify(pk, t));
  }
}
