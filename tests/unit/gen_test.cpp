// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "helpers.hpp"
#include "xyd/ingest.hpp"

using namespace xyd;

using test::generate_feed;

TEST_CASE("gen: deterministic per seed", "[gen]") {
  CHECK(generate_feed(50, 3) == generate_feed(50, 3));
  CHECK(generate_feed(50, 3) != generate_feed(50, 4));
  // A prefix of subjects is stable when more subjects are asked for.
  const std::string small = generate_feed(20, 3), big = generate_feed(40, 3);
  CHECK(big.compare(0, small.size(), small) == 0);
}

TEST_CASE("gen: every record valid, every item type present, subjects unique", "[gen]") {
  std::istringstream in(generate_feed(400, 11));
  ingest::validation_report report;
  REQUIRE(ingest::validate_feed(national_catalog(), in, report));
  INFO(report.to_json().substr(0, 2000));
  CHECK(report.invalid == 0);
  CHECK(report.per_type.size() == 37);
  std::istringstream again(generate_feed(400, 11));
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
