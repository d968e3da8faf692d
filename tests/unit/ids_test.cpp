// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "xyd/catalog.hpp"

using namespace xyd;

namespace {
bool says(const status &st, const char *what) { return st.message().find(what) != std::string::npos; }
}  // namespace

TEST_CASE("USCC: valid codes", "[ids]") {
  for (const char *code : {"91350100M000100Y43", "914403001922038216", "9144030071526726XG", "91110108551385082Q"}) {
    INFO(code);
    CHECK(check_uscc(code));
  }
}

TEST_CASE("USCC: each rule names its reason", "[ids]") {
  CHECK(says(check_uscc("9135010"), "18 characters, got 7"));
  CHECK(says(check_uscc("91350100M000100Y433"), "got 19"));
  CHECK(says(check_uscc("91350100M00O100Y43"), "position 12"));
  CHECK(says(check_uscc("91350100m000100Y43"), "lower case"));
  CHECK(says(check_uscc("B1350100M000100Y43"), "registration-authority"));
  CHECK(says(check_uscc("94350100M000100Y43"), "entity type at position 2"));
  CHECK(says(check_uscc("913501A0M000100Y43"), "position 7 must be a digit"));
  CHECK(says(check_uscc("91350100M000100Y44"), "expected '3'"));
  CHECK(check_uscc("91350100M000100Y44").code() == errc::validation);
}

TEST_CASE("USCC: strict, but normalise on request", "[ids]") {
  CHECK_FALSE(check_uscc(" 91350100M000100Y43"));
  CHECK(normalize_uscc(" ９１３５０１００ｍ０００１００ｙ４３　") == "91350100M000100Y43");
  CHECK(normalize_uscc("9135-0100 m000100y43") == "91350100M000100Y43");
}

TEST_CASE("RID: valid numbers and every rule", "[ids]") {
  const civil_date today{2024, 6, 30};
  CHECK(check_rid("11010519491231002X", today));
  CHECK(check_rid("440524188001010014", today));
  CHECK(says(check_rid("1101051949123100", today), "18 characters"));
  CHECK(says(check_rid("11010519491231002x", today), "upper case X"));
  CHECK(says(check_rid("1101051949123A002X", today), "position 14"));
  CHECK(says(check_rid("990105194912310021", today), "province"));
  CHECK(says(check_rid("110105194902300021", today), "impossible birth date"));
  CHECK(says(check_rid("110105202407010021", today), "future"));
  CHECK(says(check_rid("110105194912310021", today), "expected 'X'"));
  // Leap days.
  std::string leap = "11010520000229001";
  leap += rid_check_char(leap);
  CHECK(check_rid(leap, today));
  std::string not_leap = "11010519000229001";
  not_leap += rid_check_char(not_leap);
  CHECK(says(check_rid(not_leap, today), "impossible"));
}

TEST_CASE("messages never contain the code", "[ids]") {
  for (const char *code : {"91350100M000100Y44", "110105194912310021", "990105194912310021"}) {
    CHECK(check_uscc(code).message().find(code) == std::string::npos);
    CHECK(check_rid(code).message().find(code) == std::string::npos);
  }
}
