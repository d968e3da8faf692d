// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <atomic>
#include <set>
#include <thread>

#include "xyd/catalog.hpp"

using namespace xyd;

TEST_CASE("the national catalog: 17 categories, 37 item types", "[catalog]") {
  const catalog &c = national_catalog();
  CHECK(c.version() == "CN-2024");
  CHECK(c.categories().size() == 17);
  CHECK(c.item_types().size() == 37);
  std::set<int> used;
  for (const auto &t : c.item_types()) {
    used.insert(t.category);
    CHECK(c.find(t.id) == &t);
    for (const auto &k : t.natural_key) CHECK(t.field(k));
  }
  CHECK(used.size() == 17);
}

TEST_CASE("channels and consent", "[catalog]") {
  const catalog &c = national_catalog();
  CHECK(c.find("legal_rep")->chan == channel::national_api);
  CHECK(c.find("legal_rep")->consent_required());
  CHECK(c.find("judicial.dishonest_debtor")->chan == channel::national_physical);
  CHECK_FALSE(c.find("judicial.dishonest_debtor")->consent_required());
  CHECK(c.find("social.medical")->chan == channel::local_physical);
  CHECK(c.find("marital")->chan == channel::verification);
  CHECK(c.find("marital")->consent_required());
  CHECK(c.find("qual.transport")->chan == channel::national_api);
  int per_channel[4] = {};
  for (const auto &t : c.item_types()) ++per_channel[static_cast<int>(t.chan)];
  CHECK(per_channel[0] == 11);  // national_api
  CHECK(per_channel[1] == 7);   // national_physical
  CHECK(per_channel[2] == 10);  // local_physical
  CHECK(per_channel[3] == 9);   // verification
}

TEST_CASE("catalog JSON round-trips through the parser", "[catalog]") {
  auto again = catalog::from_json(national_catalog().to_json());
  REQUIRE(again);
  CHECK(again->to_json() == national_catalog().to_json());
}

TEST_CASE("extensions add, never redefine", "[catalog]") {
  const char *ext = R"({"version":"HN-2025","item_types":[{"id":"hn.rubber","category":11,"zh":"橡胶种植","en":"Rubber",
    "channel":"local_physical","subjects":["rid"],"fields":[{"key":"area","zh":"面积","type":"quantity","unit":"mu"}],"natural_key":[]}]})";
  auto bigger = national_catalog().extended_with(ext);
  REQUIRE(bigger);
  CHECK(bigger->item_types().size() == 38);
  CHECK(bigger->find("hn.rubber")->origin == "HN-2025");
  CHECK(bigger->extensions() == std::vector<std::string>{"HN-2025"});
  CHECK(national_catalog().item_types().size() == 37);
  auto twice = bigger->extended_with(ext);
  CHECK(twice.error().code() == errc::exists);
  std::string redefine = ext;
  redefine.replace(redefine.find("HN-2025"), 7, "HN-2026");
  redefine.replace(redefine.find("hn.rubber"), 9, "agri.basic");
  auto r = national_catalog().extended_with(redefine);
  CHECK(r.error().code() == errc::exists);
  CHECK(r.error().message().find("agri.basic") != std::string::npos);
  CHECK(r.error().message().find("CN-2024") != std::string::npos);
}

TEST_CASE("unknown members are refused, naming the path", "[catalog]") {
  auto r = national_catalog().extended_with(R"({"version":"X-1","item_types":[{"id":"x.y","category":1,"zh":"x","en":"x",
    "channel":"local_physical","subjects":["uscc"],"fields":[{"key":"a","zh":"a","type":"text","requird":false}],"natural_key":[]}]})");
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("$.item_types[0].fields[0].requird") != std::string::npos);
  auto s = national_catalog().extended_with(R"({"version":"X-2","item_types":[{"id":"x.y","category":1,"zh":"x","en":"x",
    "channel":"local_physical","subjects":["uscc"],"fields":[],"natural_key":[],"chanel":"x"}]})");
  REQUIRE_FALSE(s);
  CHECK(s.error().message().find("$.item_types[0].chanel") != std::string::npos);
}

TEST_CASE("markdown names every item type", "[catalog]") {
  const std::string md = national_catalog().to_markdown();
  for (const auto &t : national_catalog().item_types()) CHECK(md.find("`" + t.id + "`") != std::string::npos);
}

TEST_CASE("the process-wide catalog: concurrent readers see a whole catalog", "[catalog]") {
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i)
    readers.emplace_back([&] {
      while (!stop) {
        auto c = current_catalog();
        // Every extension below adds exactly one item type.
        if (c->item_types().size() != 37 + c->extensions().size()) ++torn;
      }
    });
  for (int i = 0; i < 50; ++i) {
    const std::string id = "tt.t" + std::to_string(i);
    REQUIRE(load_extension(R"({"version":"TT-)" + std::to_string(i) + R"(","item_types":[{"id":")" + id +
                           R"(","category":16,"zh":"x","en":"x","channel":"local_physical","subjects":["uscc"],"fields":[],"natural_key":[]}]})"));
  }
  stop = true;
  for (auto &t : readers) t.join();
  CHECK(torn == 0);
  CHECK(current_catalog()->find("tt.t49"));
  CHECK(national_catalog().item_types().size() == 37);
}
