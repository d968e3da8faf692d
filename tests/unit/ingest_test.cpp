// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <sstream>

#include "xyd/ingest.hpp"

using namespace xyd;

TEST_CASE("lines: blank lines skipped, CRLF stripped, numbering kept", "[ingest]") {
  std::istringstream in("a\r\n\n  \nb\nc");
  std::vector<std::pair<size_t, std::string>> seen;
  REQUIRE(ingest::for_each_line(in, [&](size_t n, std::string_view l) {
    seen.emplace_back(n, std::string(l));
    return true;
  }));
  CHECK(seen == std::vector<std::pair<size_t, std::string>>{{1, "a"}, {4, "b"}, {5, "c"}});
}

TEST_CASE("lines: a leading UTF-8 byte-order mark is ignored", "[ingest]") {
  std::istringstream in("\xEF\xBB\xBF{\"a\":1}\r\n{\"b\":2}\n");
  std::vector<std::string> seen;
  REQUIRE(ingest::for_each_line(in, [&](size_t, std::string_view l) {
    seen.emplace_back(l);
    return true;
  }));
  CHECK(seen == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
}

TEST_CASE("feed validation counts and locates problems", "[ingest]") {
  std::istringstream in(
      "{\"type\":\"agri.large_grower\",\"subject\":\"11010519491231002X\",\"as_of\":\"2024-06-30\",\"source\":\"t\",\"data\":{}}\n"
      "{broken\n"
      "{\"type\":\"agri.large_grower\",\"subject\":\"11010519491231002X\",\"as_of\":\"2024-06-30\",\"source\":\"t\",\"data\":{\"x\":1}}\n");
  ingest::validation_report report;
  REQUIRE(ingest::validate_feed(national_catalog(), in, report));
  CHECK(report.records == 3);
  CHECK(report.valid == 1);
  CHECK(report.invalid == 2);
  REQUIRE(report.problems.size() == 2);
  CHECK(report.problems[0].line == 2);
  CHECK(report.problems[0].what.code == "syntax");
  CHECK(report.problems[1].line == 3);
  CHECK(report.problems[1].what.path == "$.data.x");
  CHECK(report.per_type.at("agri.large_grower") == 1);
}
