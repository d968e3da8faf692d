// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "xyd/catalog.hpp"

using namespace xyd;

namespace {
const civil_date today{2024, 7, 1};

std::vector<std::string> paths_of(const std::string &json) {
  auto doc = json::parse(json);
  REQUIRE(doc);
  std::vector<std::string> paths;
  for (const auto &p : validate_record(national_catalog(), *doc, today)) paths.push_back(p.path);
  return paths;
}

std::string utility(const std::string &data_tail) {
  return R"({"type":"utility.electricity","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t","data":{)"
         R"("enterprise_name":"示例","uscc":"91350100M000100Y43","address":"福建省福州市鼓楼区中山路1号",)"
         R"("running_capacity_kva":80,"contract_capacity_kva":{"value":"100","unit":"kVA"},"first_supply_date":"2010-01-01",)"
         R"("account_status":"正常","arrears_amount":"0.00")" +
         data_tail + "}}";
}
}  // namespace

TEST_CASE("a valid record has no problems", "[record]") {
  CHECK(paths_of(utility(R"(,"breaches_24m":0)")).empty());
}

TEST_CASE("types of every kind are checked", "[record]") {
  CHECK(paths_of(utility(R"(,"breaches_24m":-1)")) == std::vector<std::string>{"$.data.breaches_24m"});
  CHECK(paths_of(utility(R"(,"breaches_24m":1.0)")) == std::vector<std::string>{"$.data.breaches_24m"});
  CHECK(paths_of(utility(R"(,"breaches_24m":"2")")) == std::vector<std::string>{"$.data.breaches_24m"});
  CHECK(paths_of(utility(R"(,"breaches_24m":null)")) == std::vector<std::string>{"$.data.breaches_24m"});
  std::string wrong_unit = utility(R"(,"breaches_24m":0)");
  wrong_unit.replace(wrong_unit.find("\"kVA\""), 5, "\"kW\"");
  CHECK(paths_of(wrong_unit) == std::vector<std::string>{"$.data.contract_capacity_kva.unit"});
}

TEST_CASE("subject kinds follow the item type", "[record]") {
  const char *farmer_as_enterprise =
      R"({"type":"legal_rep","subject":"11010519491231002X","as_of":"2024-06-30","source":"t","data":{"enterprise_name":"x","uscc":"91350100M000100Y43","rep_name":"张三"}})";
  CHECK(paths_of(farmer_as_enterprise) == std::vector<std::string>{"$.subject"});
  const char *farm =
      R"({"type":"agri.basic","subject":"11010519491231002X","as_of":"2024-06-30","source":"t","data":{"owner_name":"张三","id_type":"resident_id","id_no":"110105194912310021"}})";
  CHECK(paths_of(farm) == std::vector<std::string>{"$.data.id_no"});
  const char *large_grower = R"({"type":"agri.large_grower","subject":"11010519491231002X","as_of":"2024-06-30","source":"t","data":{}})";
  CHECK(paths_of(large_grower).empty());
}

TEST_CASE("one_of and url rules", "[record]") {
  const std::string edu =
      R"({"type":"qual.education","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t","data":{"enterprise_name":"x","uscc":"91350100M000100Y43","authority":"教育局","valid_until":"2026-08-31"}})";
  CHECK(paths_of(edu) == std::vector<std::string>{"$.data.school_license_no"});
  const std::string trade =
      R"({"type":"public_trade","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t","data":{"enterprise_name":"x","uscc":"91350100M000100Y43","trade_type":"工程建设","project_name":"p","project_amount":"1.00","ownership":"国有","url":"ftp://x","announced_date":"2024-01-01"}})";
  CHECK(paths_of(trade) == std::vector<std::string>{"$.data.url"});
}

TEST_CASE("normalisation is idempotent", "[record]") {
  auto doc = json::parse(utility(R"(,"breaches_24m":"3")"));
  REQUIRE(doc);
  auto once = normalize_record(national_catalog(), *doc);
  auto twice = normalize_record(national_catalog(), once);
  CHECK(json::dump(once) == json::dump(twice));
  CHECK(validate_record(national_catalog(), once, today).empty());
  CHECK(once.find("data")->find("contract_capacity_kva")->text == "100");
}

// Found by fuzz/ingest_line.cpp: trimming took ASCII spaces, then U+3000,
// once each, so "   　   3" kept the ASCII spaces that the U+3000 had
// hidden, and normalising again changed the record (a feed normalised
// before ingest would then read as an update of itself).
TEST_CASE("normalisation is idempotent: ASCII and ideographic spaces mixed at either end (fuzz finding)", "[record]") {
  for (const char *padded : {"   \xE3\x80\x80   3", "3 \xE3\x80\x80 \xE3\x80\x80 ", "\xE3\x80\x80  \xE3\x80\x80" "3\xE3\x80\x80 "}) {
    const std::string line = std::string(R"({"type":")") + padded + R"("})";
    auto doc = json::parse(line);
    REQUIRE(doc);
    auto once = normalize_record(national_catalog(), *doc);
    auto twice = normalize_record(national_catalog(), once);
    CHECK(json::dump(once) == json::dump(twice));
    CHECK(once.find("type")->text == "3");
  }
  auto doc = json::parse(utility(R"(,"breaches_24m":"  \u3000 3 \u3000")"));
  REQUIRE(doc);
  auto once = normalize_record(national_catalog(), *doc);
  CHECK(json::dump(normalize_record(national_catalog(), once)) == json::dump(once));
}
