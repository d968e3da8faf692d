// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "xyd/core.hpp"

using namespace xyd;

TEST_CASE("civil dates round-trip through day numbers", "[core]") {
  for (int64_t d = -800000; d <= 800000; d += 997) CHECK(days_from_civil(civil_from_days(d)) == d);
  CHECK(days_from_civil({1970, 1, 1}) == 0);
  CHECK(days_from_civil({2000, 3, 1}) - days_from_civil({2000, 2, 28}) == 2);
  CHECK(days_from_civil({1900, 3, 1}) - days_from_civil({1900, 2, 28}) == 1);
}

TEST_CASE("strict date and month parsing", "[core]") {
  CHECK(parse_date("2024-02-29"));
  CHECK_FALSE(parse_date("2023-02-29"));
  CHECK_FALSE(parse_date("2024-2-29"));
  CHECK_FALSE(parse_date("2024-02-29 "));
  CHECK_FALSE(parse_date("0000-01-01"));
  CHECK_FALSE(parse_date("2024-00-10"));
  CHECK(parse_month("2024-12"));
  CHECK_FALSE(parse_month("2024-13"));
  CHECK(format_date({7, 3, 9}) == "0007-03-09");
  CHECK(format_month({2024, 6, 1}) == "2024-06");
}

TEST_CASE("exact decimals never pass through a double", "[core]") {
  auto d = parse_decimal("0.1", 2);
  REQUIRE(d);
  CHECK(d->units == 10);
  CHECK(d->to_string() == "0.10");
  CHECK(parse_decimal("1.500", 2)->units == 150);
  CHECK(parse_decimal("-12.34", 2)->units == -1234);
  CHECK(parse_decimal("92233720368547758.07", 2)->units == INT64_MAX);
  CHECK_FALSE(parse_decimal("92233720368547758.08", 2));
  CHECK_FALSE(parse_decimal("1.001", 2));
  CHECK(parse_decimal("1.001", 2).error().message().find("2 decimal places") != std::string::npos);
  CHECK_FALSE(parse_decimal("1e3", 2));
  CHECK_FALSE(parse_decimal("01", 2));
  CHECK_FALSE(parse_decimal(".5", 2));
  CHECK_FALSE(parse_decimal("5.", 2));
  CHECK_FALSE(parse_decimal("", 2));
  CHECK_FALSE(parse_decimal("+1", 2));
  CHECK(decimal{-5, 3}.to_string() == "-0.005");
  CHECK(decimal{1250000, 4}.to_minimal_string() == "125");
  CHECK(decimal{-1250, 4}.to_minimal_string() == "-0.125");
  CHECK(decimal{0, 4}.to_minimal_string() == "0");
  CHECK(decimal{INT64_MIN, 2}.to_string() == "-92233720368547758.08");
  CHECK(decimal{5, 1}.rescaled(3)->units == 500);
  CHECK_FALSE(decimal{INT64_MAX, 0}.rescaled(1));
}

TEST_CASE("UTF-8 validation", "[core]") {
  CHECK(is_valid_utf8("欧阳娜娜·𠀀"));
  CHECK(utf8_length("欧阳娜娜·𠀀") == 6);
  CHECK_FALSE(is_valid_utf8("\xC0\x80"));          // overlong NUL
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xE6\xAC"));          // truncated
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}
