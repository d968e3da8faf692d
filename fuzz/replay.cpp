// Runs a harness over files, without libFuzzer: the seed corpus and every
// input that once crashed (fuzz/regressions/) are replayed by the ordinary
// test suite with any compiler. A harness aborts when an invariant fails;
// sanitizers, when the build has them, catch the rest.
//
//   xyd_fuzz_replay_<name> FILE_OR_DIR...
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {
bool run(const std::filesystem::path &file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
    return false;
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // A copy of exactly `size` bytes, as libFuzzer gives: reading past it is
  // a bug the sanitizers see.
  std::vector<uint8_t> exact(bytes.begin(), bytes.end());
  (void)LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
  return true;
}
}  // namespace

int main(int argc, char **argv) {
  size_t count = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg = argv[i];
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto &e : std::filesystem::recursive_directory_iterator(arg))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto &f : files) ok &= run(f), ++count;
    } else if (std::filesystem::exists(arg, ec)) {
      ok &= run(arg), ++count;
    }
  }
  std::printf("replay: %zu inputs, no invariant failed\n", count);
  return ok ? 0 : 1;
}
