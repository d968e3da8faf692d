// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "../../tools/gen.hpp"
#include "xyd/ingest.hpp"

using namespace xyd;

namespace {
std::string generate(uint64_t subjects, uint64_t seed) {
  gen::options opt;
  opt.subjects = subjects;
  opt.seed = seed;
  std::string out;
  gen::generate(opt, [&](std::string_view chunk) { out.append(chunk); });
  return out;
}
}  // namespace

TEST_CASE("gen: deterministic per seed", "[gen]") {
  CHECK(generate(50, 3) == generate(50, 3));
  CHECK(generate(50, 3) != generate(50, 4));
  // A prefix of subjects is stable when more subjects are asked for.
  const std::string small = generate(20, 3), big = generate(40, 3);
  CHECK(big.compare(0, small.size(), small) == 0);
}

TEST_CASE("gen: every record valid, every item type present, subjects unique", "[gen]") {
  std::istringstream in(generate(400, 11));
  ingest::validation_report report;
  REQUIRE(ingest::validate_feed(national_catalog(), in, report));
  INFO(report.to_json().substr(0, 2000));
  CHECK(report.invalid == 0);
  CHECK(report.per_type.size() == 37);
  std::istringstream again(generate(400, 11));
  std::set<std::string> legal_rep_subjects;
  size_t legal_reps = 0;
  (void)ingest::for_each_line(again, [&](size_t, std::string_view line) {
    auto doc = json::parse(line);
    if (doc->find("type")->text == "legal_rep") {
      ++legal_reps;
      legal_rep_subjects.insert(doc->find("subject")->text);
    }
    return true;
  });
  CHECK(legal_reps == legal_rep_subjects.size());
}
