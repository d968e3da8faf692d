// Reports: the typed document written directly and as a tree.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "xyd/ingest.hpp"
#include "xyd/report.hpp"

using namespace xyd;

TEST_CASE("report: the direct writer and the tree give the same bytes", "[report]") {
  test::temp_dir d;
  auto opened = store::open(d / "s.db", master_key::generate());
  REQUIRE(opened);
  store &s = **opened;
  ingest::summary sum;
  REQUIRE(ingest::ingest_buffer(s, test::generate_feed(40, 11), {}, sum));
  paseto::secret_key sk;
  paseto::public_key pk;
  paseto::generate_key_pair(sk, pk);
  REQUIRE(s.trust_key({paseto::pid(pk), paseto::paserk(pk), "platform", std::nullopt}));
  consent::verifier v(s);
  auto subjects = s.subject_list(false);
  REQUIRE(subjects);
  size_t records = 0, points = 0, omitted = 0, consented = 0;
  for (const auto &subject : *subjects) {
    const std::string claims = R"({"iss":"platform","sub":")" + subject +
                               R"(","aud":"bank-1","exp":"2099-01-01T00:00:00Z","scope":["tax","legal_rep","shareholder","social","utility"],"purpose":["approval"]})";
    auto token = consent::issue(sk, claims, national_catalog());
    REQUIRE(token);
    for (bool with_token : {false, true}) {
      report::request r;
      r.subject = subject;
      r.audience = "bank-1";
      r.purpose = "approval";
      if (with_token) r.token = *token;
      r.masking.role = "loan_officer";
      auto doc = report::build_document(s, national_catalog(), v, r);
      INFO(subject << (with_token ? " with consent" : " without consent"));
      REQUIRE(doc);
      report::document copy = *doc;
      const std::string direct = report::to_json(*doc);
      auto tree = report::to_value(std::move(copy));
      REQUIRE(tree);
      CHECK(direct == json::dump(*tree));
      for (const auto &sec : doc->sections)
        for (const auto &it : sec.items) {
          records += it.records.size();
          omitted += it.omitted != nullptr;
          for (const auto &rec : it.records) consented += !rec.consent_jti.empty();
        }
      for (const auto &sr : doc->series) points += sr.points.size();
    }
  }
  // The documents compared hold records (masked and consented), series and omissions.
  CHECK(records > 100);
  CHECK(consented > 10);
  CHECK(points > 24);
  CHECK(omitted > 10);
}

// Finding 9 of the integrity review (xyd_report_html crashes on report JSON
// that lacks members it expects): the renderer read members without checking
// them (UBSan: member access within null pointer). Every member it reads is
// checked: a malformed report is errc::parse naming the member, never a crash.
TEST_CASE("report: xyd_report_html crashes on report JSON that lacks members: refused, naming them", "[report]") {
  const char *cases[][2] = {
      {R"({"header":{},"sections":[{}]})", "$.sections[0].status"},
      {R"({"header":{},"sections":[{"status":"included"}]})", "$.sections[0].item_types"},
      {R"({"header":{},"sections":[{"status":"included","item_types":[{}]}]})", "$.sections[0].item_types[0].status"},
      {R"({"header":{},"sections":[{"status":"included","item_types":[{"status":"included"}]}]})",
       "$.sections[0].item_types[0].records"},
      {R"({"header":{},"sections":[{"status":"included","item_types":[{"status":"included","records":[1]}]}]})",
       "$.sections[0].item_types[0].records[0]"},
      {R"({"header":{},"sections":[7]})", "$.sections[0]"},
      {R"({"header":{},"sections":{}})", "$.sections"},
      {R"({"header":[],"sections":[]})", "$.header"},
      {R"({"header":{},"sections":[{"status":3}]})", "$.sections[0].status"},
  };
  for (const auto &c : cases) {
    INFO(c[0]);
    auto html = report::render_html(std::string_view(c[0]), national_catalog());
    REQUIRE_FALSE(html);
    CHECK(html.error().code() == errc::parse);
    CHECK(html.error().message().find(c[1]) != std::string::npos);
  }
  // What it does read, it renders.
  auto ok = report::render_html(std::string_view(R"({"header":{},"sections":[{"status":"omitted"},{"status":"included","item_types":[{"status":"omitted"},{"status":"included","records":[{"data":{"a":1}}]}]}]})"),
                                national_catalog());
  INFO(ok.error().message());
  CHECK(ok);
}
