// A masking policy: parsed against the catalog; a policy that parses masks
// a record for each of its roles and writes back to a policy that parses.
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "xyd/mask.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  const catalog &cat = national_catalog();
  auto p = mask::policy::from_json(fuzz::text(data, size), cat);
  if (!p) return 0;
  if (!mask::policy::from_json(p->to_json(), cat)) std::abort();
  auto doc = json::parse(fuzz::sample_record);
  if (!doc) std::abort();
  for (const char *role : {"loan_officer", "external", "regulator", "auditor"}) {
    if (!p->has_role(role)) continue;
    json::value r = *doc;
    mask::context ctx;
    ctx.pol = &*p;
    ctx.role = role;
    ctx.pseudonym_key = std::array<unsigned char, 32>{1};
    (void)mask::mask_record(r, cat, ctx);
  }
  return 0;
}
