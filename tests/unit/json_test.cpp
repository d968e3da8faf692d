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

TEST_CASE("find_member reads one member of an object's text without a tree", "[json]") {
  const std::string text =
      R"({"a":"x\"y\\z","long":"一二三四五六七八九十 and more than eight bytes","n":-12.50e1,"t":true,"f":false,"z":null,)"
      R"("o":{"k":[1,{"a":"}]"}],"s":"{"},"arr":[ "]", {"x":[]} ],"esc\u0061ped":7, "ws" : "spaced" })";
  auto get = [&](const char *key) { return json::find_member(text, key); };
  REQUIRE(get("a"));
  CHECK(get("a")->type == json::kind::string);
  CHECK(get("a")->text == "x\"y\\z");
  CHECK(get("long")->text == "一二三四五六七八九十 and more than eight bytes");
  CHECK(get("n")->type == json::kind::number);
  CHECK(get("n")->text == "-12.50e1");
  CHECK(get("t")->type == json::kind::boolean);
  CHECK(get("t")->boolean);
  CHECK(get("f")->type == json::kind::boolean);
  CHECK_FALSE(get("f")->boolean);
  CHECK(get("z")->type == json::kind::null);
  CHECK(get("o")->type == json::kind::object);
  CHECK(get("o")->text == R"({"k":[1,{"a":"}]"}],"s":"{"})");
  CHECK(get("arr")->type == json::kind::array);
  CHECK(get("arr")->text == R"([ "]", {"x":[]} ])");
  CHECK(get("escaped")->text == "7");
  CHECK(get("ws")->text == "spaced");
  CHECK_FALSE(get("k"));  // nested members are not top-level members
  CHECK_FALSE(get("missing"));
  // Every member agrees with the tree.
  auto tree = json::parse(text);
  REQUIRE(tree);
  for (const auto &[k, v] : tree->members) {
    INFO(k);
    auto m = get(k.c_str());
    REQUIRE(m);
    CHECK(m->type == v.type);
    if (v.is(json::kind::string) || v.is(json::kind::number)) CHECK(m->text == v.text);
    if (v.is(json::kind::object) || v.is(json::kind::array)) CHECK(json::dump(*json::parse(m->text)) == json::dump(v));
  }
  // Not an object, or broken before the member: nothing, never a read past the end.
  for (const char *bad : {"", "[]", "{", R"({"a")", R"({"a":)", R"({"a":"x)", R"({"a" 1,"b":2})", R"({"a":[1,"b":2})",
                          R"({"a":01x,"b":2})", "{\"a\":\"\x01\",\"b\":2}", R"({"q":"unterminated\)"}) {
    INFO(bad);
    CHECK_FALSE(json::find_member(bad, "b"));
  }
  CHECK_FALSE(json::find_member(R"({"a":1})", "b"));
}

TEST_CASE("array_items gives each item's text", "[json]") {
  auto items = json::array_items(R"( [ 1, "a,]", {"k":[2,3]}, [], true ,null] )");
  REQUIRE(items);
  REQUIRE(items->size() == 6);
  CHECK((*items)[0] == "1");
  CHECK((*items)[1] == "\"a,]\"");
  CHECK((*items)[2] == R"({"k":[2,3]})");
  CHECK((*items)[3] == "[]");
  CHECK((*items)[5] == "null");
  CHECK(json::array_items("[]")->empty());
  for (const char *bad : {"", "{}", "[", "[1,", "[1 2]", "[\"x]"}) {
    INFO(bad);
    CHECK_FALSE(json::array_items(bad));
  }
  auto m = json::find_member(R"({"v":{"a":[1,"b"]}})", "v");
  REQUIRE(m);
  CHECK(json::dump(*json::to_value(*m)) == R"({"a":[1,"b"]})");
}
