// A PASERK key string: parsed as each kind, its id computed, and a key that
// parses writes back to the same text.
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "xyd.h"
#include "xyd/paseto.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  const std::string text(fuzz::text(data, size));
  if (auto k = paseto::parse_public(text); k && paseto::paserk(*k) != text) std::abort();
  if (auto k = paseto::parse_local(text); k && paseto::paserk(*k) != text) std::abort();
  if (auto k = paseto::parse_secret(text); k && paseto::paserk_secret(*k) != text) std::abort();
  char *id = nullptr;
  (void)xyd_paserk_id(text.c_str(), &id);
  xyd_free(id);
  return 0;
}
