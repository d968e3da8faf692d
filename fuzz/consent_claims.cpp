// Consent claims: parsed against the catalog; claims that parse are issued
// as a token and verified back to the same decision.
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "xyd/consent.hpp"
#include "xyd/paseto.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  static const paseto::secret_key sk = [] {
    unsigned char seed[32] = {9};
    return paseto::secret_key_from_seed(seed);
  }();
  const std::string_view text = fuzz::text(data, size);
  const catalog &cat = national_catalog();
  auto c = consent::parse_claims(text, cat);
  if (!c) return 0;
  auto token = consent::issue(sk, text, cat);
  if (!token) return 0;
  // What issue() signed, verification accepts (or refuses only for time),
  // and reads back as the same consent.
  const int64_t at = c->nbf > 0 ? c->nbf : c->exp - 1;
  const auto d = consent::verifier::verify_with(paseto::public_key_of(sk), *token, at, cat);
  if (!d.ok()) {
    if (d.refused != consent::reason::expired && d.refused != consent::reason::not_yet_valid) std::abort();
    return 0;
  }
  const consent::claims &g = *d.granted;
  if (g.sub != c->sub || g.aud != c->aud || g.exp != c->exp || g.mode != c->mode || g.item_types != c->item_types ||
      g.purposes != c->purposes || g.data_life_days != c->data_life_days)
    std::abort();
  return 0;
}
