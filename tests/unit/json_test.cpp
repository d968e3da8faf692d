// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "xyd/json.hpp"

using namespace xyd;

TEST_CASE("numbers keep their source text", "[json]") {
  auto v = json::parse(R"({"a": 0.30000000000000004, "b": 12345678901234567890123, "c": -1.5e-3})");
  REQUIRE(v);
  CHECK(v->find("a")->text == "0.30000000000000004");
  CHECK(v->find("b")->text == "12345678901234567890123");
  CHECK(v->find("c")->text == "-1.5e-3");
}

TEST_CASE("round trip keeps order, duplicates and escapes", "[json]") {
  const std::string text = R"({"z":1,"a":[true,false,null,"x\"\\\n\u0001"],"z":{"k":"欧阳"}})";
  auto v = json::parse(text);
  REQUIRE(v);
  CHECK(v->members.size() == 3);
  CHECK(json::dump(*v) == text);
  CHECK(json::parse(json::dump(*v))->members[1].second.items[3].text == "x\"\\\n\x01");
}

TEST_CASE("top-level scalars parse", "[json]") {
  CHECK(json::parse("42")->text == "42");
  CHECK(json::parse("\"s\"")->text == "s");
  CHECK(json::parse("true")->boolean);
  CHECK(json::parse("null")->is(json::kind::null));
}

TEST_CASE("malformed JSON is refused with a position", "[json]") {
  for (const char *bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "[1] [2]", "01", "1.", "-", "tru",
                          "{\"a\" 1}", "\"\xff\"", "[1e]", "{\"a\":1,}"}) {
    INFO(bad);
    auto r = json::parse(bad);
    CHECK_FALSE(r);
    CHECK(r.error().code() == errc::parse);
  }
  auto r = json::parse("{\"a\":1} x");
  CHECK(r.error().message().find("trailing data") != std::string::npos);
}

TEST_CASE("deep nesting is bounded", "[json]") {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  CHECK_FALSE(json::parse(deep));
  std::string ok(50, '[');
  ok += std::string(50, ']');
  CHECK(json::parse(ok));
}

TEST_CASE("paths", "[json]") {
  CHECK(json::path_member("$", "data") == "$.data");
  CHECK(json::path_member("$.data", "a b") == "$.data[\"a b\"]");
  CHECK(json::path_index("$.x", 3) == "$.x[3]");
}
