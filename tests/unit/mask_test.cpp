// Masking: properties over random UTF-8, names, ids, places, amounts, policies.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <random>

#include "xyd/mask.hpp"

using namespace xyd;
using mask::op;
using mask::op_kind;

namespace {

std::string run(const op &o, std::string_view v, const mask::context &ctx = {}) {
  auto r = mask::apply(o, v, ctx);
  REQUIRE(r);
  return r->value_or("<null>");
}

op make(op_kind k, int first = 0, int last = 0, int length = 0, const char *level = "") {
  op o;
  o.kind = k;
  o.first = first;
  o.last = last;
  o.length = length;
  o.level = level;
  return o;
}

// Random valid UTF-8 with 1- to 4-byte code points (no surrogates).
std::string random_utf8(std::mt19937_64 &rng, size_t max_cps) {
  std::string s;
  const size_t n = rng() % (max_cps + 1);
  for (size_t i = 0; i < n; ++i) {
    uint32_t cp;
    switch (rng() % 4) {
      case 0: cp = 0x20 + rng() % 0x5F; break;
      case 1: cp = 0x80 + rng() % 0x780; break;
      case 2: cp = 0x4E00 + rng() % 0x5000; break;
      default: cp = 0x10000 + rng() % 0xFFFFF; break;
    }
    if (cp < 0x80) s += static_cast<char>(cp);
    else if (cp < 0x800) s += static_cast<char>(0xC0 | (cp >> 6)), s += static_cast<char>(0x80 | (cp & 0x3F));
    else if (cp < 0x10000)
      s += static_cast<char>(0xE0 | (cp >> 12)), s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
          s += static_cast<char>(0x80 | (cp & 0x3F));
    else
      s += static_cast<char>(0xF0 | (cp >> 18)), s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
          s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

}  // namespace

TEST_CASE("mask: properties over random UTF-8", "[mask]") {
  std::mt19937_64 rng(42);
  const op ops[] = {make(op_kind::keep_ends, 2, 3), make(op_kind::mask_ends, 1, 2), make(op_kind::truncate, 0, 0, 5),
                    make(op_kind::surname), make(op_kind::address, 0, 0, 0, "district"), make(op_kind::keep_ends, 6, 4)};
  for (int i = 0; i < 20000; ++i) {
    const std::string s = random_utf8(rng, 30);
    const size_t n = utf8_length(s);
    for (const auto &o : ops) {
      const std::string out = run(o, s);
      INFO(s);
      REQUIRE(is_valid_utf8(out));
      CHECK(run(o, s) == out);  // deterministic
      switch (o.kind) {
        case op_kind::keep_ends:
        case op_kind::mask_ends:
        case op_kind::surname: CHECK(utf8_length(out) == n); break;
        case op_kind::truncate: CHECK(utf8_length(out) == std::min<size_t>(n, 5)); break;
        default: break;
      }
      if (o.kind == op_kind::keep_ends && n > 0 && n <= static_cast<size_t>(o.first + o.last))
        CHECK(out == std::string(n, '*'));  // too short: nothing kept
    }
  }
}

TEST_CASE("mask: names keep only the surname", "[mask]") {
  const op s = make(op_kind::surname);
  CHECK(run(s, "王伟") == "王*");
  CHECK(run(s, "王") == "*");
  CHECK(run(s, "张晓明") == "张**");
  CHECK(run(s, "欧阳娜娜") == "欧阳**");
  CHECK(run(s, "司马光") == "司马*");
  CHECK(run(s, "上官婉儿") == "上官**");
  CHECK(run(s, "诸葛亮") == "诸葛*");
  CHECK(run(s, "欧阳") == "欧*");  // too short for a compound surname plus a name
  CHECK(run(s, "阿卜杜拉·买买提") == "****·买买提");
  CHECK(run(s, "约翰·亚当·史密斯") == "**·**·史密斯");
  CHECK(run(s, "热依拉・艾买提") == "***・艾买提");  // katakana middle dot
  CHECK(run(s, "𠀀𠀁𠀂") == "𠀀**");                // outside the BMP
  CHECK(run(s, "") == "");
}

TEST_CASE("mask: ids, phones, places, dates, amounts", "[mask]") {
  CHECK(run(make(op_kind::keep_ends, 6, 4), "11010519491231002X") == "110105********002X");
  CHECK(run(make(op_kind::keep_ends, 3, 4), "13812345678") == "138****5678");
  CHECK(run(make(op_kind::mask_ends, 1, 1), "福州市") == "*州*");
  CHECK(run(make(op_kind::truncate, 0, 0, 3), "福建省福州市") == "福建省");
  const op district = make(op_kind::address, 0, 0, 0, "district"), city = make(op_kind::address, 0, 0, 0, "city"),
           province = make(op_kind::address, 0, 0, 0, "province");
  CHECK(run(district, "广东省广州市天河区中山路12号") == "广东省广州市天河区");
  CHECK(run(city, "广东省广州市天河区中山路12号") == "广东省广州市");
  CHECK(run(province, "广东省广州市天河区中山路12号") == "广东省");
  CHECK(run(district, "北京市朝阳区建设路1号") == "北京市朝阳区");
  CHECK(run(city, "北京市朝阳区建设路1号") == "北京市");
  CHECK(run(district, "新疆维吾尔自治区乌鲁木齐市天山区人民路5号") == "新疆维吾尔自治区乌鲁木齐市天山区");
  CHECK(run(district, "浙江省金华市东阳市人民路8号") == "浙江省金华市东阳市");
  CHECK(run(district, "云南省大理白族自治州大理市人民路1号") == "云南省大理白族自治州大理市");
  CHECK(run(district, "某处无名路") == "***");
  CHECK(run(make(op_kind::date, 0, 0, 0, "year"), "1949-12-31") == "1949");
  CHECK(run(make(op_kind::date, 0, 0, 0, "month"), "1949-12-31") == "1949-12");
  CHECK(run(make(op_kind::date, 0, 0, 0, "month"), "soon") == "<null>");
  op amount = make(op_kind::amount);
  amount.bands = {{0, 0}, {10000, 0}, {100000, 0}};
  CHECK(run(amount, "1234.50") == "0-10000");
  CHECK(run(amount, "10000.00") == "10000-100000");
  CHECK(run(amount, "100000") == ">=100000");
  CHECK(run(amount, "-5") == "<0");
  CHECK(run(amount, "n/a") == "<null>");
  CHECK(run(make(op_kind::redact), "x") == "<null>");
}

TEST_CASE("mask: keyed pseudonyms", "[mask]") {
  const op p = make(op_kind::pseudonym);
  mask::context a, b;
  a.pseudonym_key = std::array<unsigned char, 32>{1};
  b.pseudonym_key = std::array<unsigned char, 32>{2};
  const std::string pa = run(p, "11010519491231002X", a);
  CHECK(pa.rfind("PSN-", 0) == 0);
  CHECK(pa.size() == 28);
  CHECK(run(p, "11010519491231002X", a) == pa);   // stable inside one bank
  CHECK(run(p, "11010519491231002X", b) != pa);   // not linkable across banks
  CHECK(run(p, "440524188001010014", a) != pa);
  CHECK_FALSE(mask::apply(p, "x", mask::context{}));  // never an unkeyed hash
}

TEST_CASE("mask: policies and records", "[mask]") {
  const auto &cat = national_catalog();
  auto bad = mask::policy::from_json(R"({"audiences":{"external":{"person_name":{"op":"keep_ends","first":-1}}}})", cat);
  CHECK(bad.error().message().find("$.audiences.external.person_name.first") != std::string::npos);
  CHECK(mask::policy::from_json(R"({"audiences":{"external":{"no_such_class":{"op":"keep"}}}})", cat).error().message().find(
            "no_such_class") != std::string::npos);
  CHECK_FALSE(mask::policy::from_json(R"({"audiences":{"external":{"marital.nope":{"op":"keep"}}}})", cat));
  CHECK_FALSE(mask::policy::from_json(R"({"audiences":{"external":{"person_name":{"op":"surname","x":1}}}})", cat));
  auto p = mask::policy::from_json(
      R"({"name":"bank-x","audiences":{"external":{"marital.rep_name":{"op":"replace","value":"某某"}},"auditor":{"person_id":{"op":"redact"}}}})",
      cat);
  REQUIRE(p);
  CHECK(p->has_role("auditor"));
  CHECK_FALSE(p->has_role("nobody"));

  auto rec = json::parse(R"({"type":"marital","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t",
     "data":{"rep_name":"欧阳娜娜","rep_id":"11010519491231002X","marital_status":"married"}})");
  mask::context ctx;
  ctx.pol = &*p;
  json::value r1 = *rec;
  REQUIRE(mask::mask_record(r1, cat, ctx));
  CHECK(r1.find("data")->find("rep_name")->text == "某某");        // item_type.field rule
  CHECK(r1.find("data")->find("rep_id")->text == "110105********002X");  // built-in class rule
  CHECK(r1.find("data")->find("marital_status")->is(json::kind::null));
  CHECK(r1.find("subject")->text == "91350100M000100Y43");         // an enterprise is no person
  ctx.role = "auditor";
  json::value r2 = *rec;
  REQUIRE(mask::mask_record(r2, cat, ctx));
  CHECK(r2.find("data")->find("rep_id")->is(json::kind::null));
  CHECK(r2.find("data")->find("rep_name")->text == "欧阳**");  // falls back to external
  ctx.role = "nobody";
  json::value r3 = *rec;
  CHECK(mask::mask_record(r3, cat, ctx).code() == errc::not_found);
  // A farmer's record: the subject is a person.
  auto farm = json::parse(R"({"type":"agri.basic","subject":"11010519491231002X","as_of":"2024-06-30","source":"t",
     "data":{"owner_name":"阿卜杜拉·买买提","id_type":"resident_id","id_no":"11010519491231002X"}})");
  mask::context ext;
  REQUIRE(mask::mask_record(*farm, cat, ext));
  CHECK(farm->find("subject")->text == "110105********002X");
  CHECK(farm->find("data")->find("owner_name")->text == "****·买买提");
  // Covered item types pass as they are.
  auto again = json::parse(R"({"type":"legal_rep","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t",
     "data":{"enterprise_name":"x","uscc":"91350100M000100Y43","rep_name":"张三"}})");
  const std::set<std::string> covered{"legal_rep"};
  REQUIRE(mask::mask_record(*again, cat, ext, &covered));
  CHECK(again->find("data")->find("rep_name")->text == "张三");
}
