// A store of generated subjects for the benchmarks, built once under /tmp
// and reused by later runs (the bench_score and bench_report stores are one).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "../tools/gen.hpp"
#include "xyd/ingest.hpp"
#include "xyd/store.hpp"

namespace xyd::bench {

inline std::unique_ptr<store> open_or_build(uint64_t subjects, bool &built, int months = 24) {
  const std::string dir = "/tmp/xyd-bench-" + std::to_string(subjects) + "-" + std::to_string(months) + "m";
  std::filesystem::create_directories(dir);
  const std::string key_path = dir + "/key", db = dir + "/store.db";
  built = false;
  if (!std::filesystem::exists(key_path) || !std::filesystem::exists(db)) {
    std::filesystem::remove(db);
    std::filesystem::remove(key_path);
    if (auto st = master_key::generate().write_file(key_path); !st) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return nullptr;
    }
    built = true;
  }
  auto key = master_key::from_file(key_path);
  auto s = store::open(db, *key);
  if (!s) {
    std::fprintf(stderr, "%s\n", s.error().message().c_str());
    return nullptr;
  }
  if (built) {
    std::fprintf(stderr, "building a store of %llu subjects in %s (once; %d months of history)…\n", static_cast<unsigned long long>(subjects),
                 dir.c_str(), months);
    gen::options opt;
    opt.subjects = subjects;
    opt.seed = 17;
    opt.risky_percent = 20;
    opt.months = months;
    std::string feed;
    gen::generate(opt, [&](std::string_view c) { feed.append(c); });
    // In batches of about 64 MiB, as monthly feeds arrive in parts.
    for (size_t begin = 0; begin < feed.size();) {
      size_t end = std::min(feed.size(), begin + (64u << 20));
      while (end < feed.size() && feed[end - 1] != '\n') ++end;
      ingest::summary sum;
      if (auto st = ingest::ingest_buffer(**s, std::string_view(feed).substr(begin, end - begin), {}, sum); !st) {
        std::fprintf(stderr, "%s\n", st.message().c_str());
        return nullptr;
      }
      begin = end;
    }
  }
  return std::move(*s);
}


}  // namespace xyd::bench
