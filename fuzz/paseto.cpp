// A token: v4.public verification, v4.local decryption and the footer, in
// C++ and through the C ABI. The keys are fixed; the input is the token.
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "xyd.h"
#include "xyd/paseto.hpp"

namespace {
struct keys {
  xyd::paseto::secret_key sk;
  xyd::paseto::public_key pk;
  xyd::paseto::local_key lk;
  std::string pub, local;
  keys() {
    unsigned char seed[32] = {1, 2, 3};
    sk = xyd::paseto::secret_key_from_seed(seed);
    pk = xyd::paseto::public_key_of(sk);
    lk = xyd::paseto::generate_local_key();
    pub = xyd::paseto::paserk(pk);
    local = xyd::paseto::paserk(lk);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  static const keys k;
  const std::string token(fuzz::text(data, size));
  (void)paseto::verify(k.pk, token);
  (void)paseto::verify(k.pk, token, "implicit");
  (void)paseto::decrypt(k.lk, token);
  (void)paseto::footer_of(token);
  char *m = nullptr, *f = nullptr;
  if (xyd_paseto_verify(k.pub.c_str(), token.c_str(), nullptr, &m, &f) == XYD_OK && (!m || !f)) std::abort();
  xyd_free(m);
  xyd_free(f);
  m = f = nullptr;
  (void)xyd_paseto_decrypt(k.local.c_str(), token.c_str(), nullptr, &m, &f);
  xyd_free(m);
  xyd_free(f);
  f = nullptr;
  (void)xyd_paseto_footer(token.c_str(), &f);
  xyd_free(f);
  // What the input says, signed, must verify to the same bytes.
  const std::string signed_token = paseto::sign(k.sk, token, token);
  auto back = paseto::verify(k.pk, signed_token);
  if (!back || back->message != token || back->footer != token) std::abort();
  return 0;
}
