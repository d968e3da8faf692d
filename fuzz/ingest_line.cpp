// One line of a feed: validated against the catalog and normalised, through
// the C++ API and the C ABI (as a bank's loader calls it).
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "xyd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  const std::string line(fuzz::text(data, size));
  const catalog &cat = national_catalog();
  const auto problems = validate_record_json(cat, line);
  (void)problems_to_json(problems);
  if (auto doc = json::parse(line); doc && doc->is(json::kind::object)) {
    json::value n = normalize_record(cat, *doc);
    // Normalising is idempotent.
    if (json::dump(normalize_record(cat, n)) != json::dump(n)) std::abort();
  }
  char *out = nullptr;
  const int rc = xyd_validate_record(line.c_str(), &out);
  xyd_free(out);
  // The C ABI reads up to a NUL; on a line without one it agrees with C++.
  if (line.find('\0') == std::string::npos && (rc == XYD_OK) != problems.empty()) std::abort();
  out = nullptr;
  (void)xyd_normalize_record(line.c_str(), &out);
  xyd_free(out);
  return 0;
}
