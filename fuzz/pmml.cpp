// A scorecard document: PMML (pugixml) or the JSON model format; a model
// that loads scores an empty and a full feature set exactly.
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "xyd/score.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  const std::string_view text = fuzz::text(data, size);
  for (auto loaded : {score::from_pmml(text), score::load(text)}) {
    if (!loaded) continue;
    const score::model &m = **loaded;
    (void)score::score_json(m, "{}");
    (void)score::score_json(m, R"({"department":"engineering","age":29,"income":1000,"x":null})");
  }
  return 0;
}
