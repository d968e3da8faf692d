// Report JSON given by a caller, rendered to HTML through the C ABI (the
// loan officer's page): never a crash, an error naming the JSON path.
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "xyd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(xyd::fuzz::text(data, size));
  char *html = nullptr;
  const int rc = xyd_report_html(text.c_str(), &html);
  if ((rc == XYD_OK) != (html != nullptr)) std::abort();
  xyd_free(html);
  return 0;
}
