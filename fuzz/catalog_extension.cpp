// A provincial list: added to the national catalog (never to the
// process-wide one); an extended catalog writes back to a catalog that
// parses, and validates a record.
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <string>

#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  const std::string_view text = fuzz::text(data, size);
  (void)catalog::from_json(text);
  auto ext = national_catalog().extended_with(text);
  if (!ext) return 0;
  if (!catalog::from_json(ext->to_json())) std::abort();
  (void)validate_record_json(*ext, fuzz::sample_record);
  (void)ext->to_markdown();
  return 0;
}
