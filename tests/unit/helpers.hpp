// Helpers shared by the unit tests.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <unistd.h>

#include <filesystem>
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

/// A fresh directory under /tmp, removed with everything in it.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/xyd-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string operator/(const char *name) const { return (path / name).string(); }
};

}  // namespace xyd::test
