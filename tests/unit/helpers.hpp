// Helpers shared by the unit tests.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "../../tools/gen.hpp"

namespace xyd::test {

/// `xyd gen --subjects N --seed S` into memory.
inline std::string generate_feed(uint64_t subjects, uint64_t seed) {
  gen::options opt;
  opt.subjects = subjects;
  opt.seed = seed;
  std::string out;
  gen::generate(opt, [&](std::string_view chunk) { out.append(chunk); });
  return out;
}

}  // namespace xyd::test
