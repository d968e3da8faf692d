// lib/score: exact numbers, models (JSON, PMML, scaling, checks at load),
// the engine (knock-outs, reason codes), features, models and scores in a store.
// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <sodium.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../lib/store/sealing.hpp"
#include "helpers.hpp"
#include "legacy.hpp"
#include "xyd/ingest.hpp"
#include "xyd/score.hpp"

using namespace xyd;
using namespace xyd::score;

namespace {

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string data(const std::string &name) { return read_file(std::string(XYD_TEST_DATA) + "/score/" + name); }

json::value parsed(const std::string &text) {
  auto v = json::parse(text);
  REQUIRE(v);
  return *v;
}

json::value run(const model &m, const std::string &features) {
  auto r = score_json(m, features);
  INFO(r.error().message());
  REQUIRE(r);
  return parsed(*r);
}

std::vector<std::string> codes(const json::value &result) {
  std::vector<std::string> out;
  for (const auto &v : result.find("reason_codes")->items) out.push_back(v.text);
  return out;
}

// A small card in the JSON format with every kind of predicate.
const char *small_card = R"J({
  "format": "xyd-scorecard/1", "id": "small", "version": "1",
  "fields": [
    {"name": "n", "type": "integer", "intervals": ["[0,inf)"]},
    {"name": "rate", "type": "number"},
    {"name": "kind", "type": "category", "values": ["a", "b", "c"], "invalid": "as_missing"},
    {"name": "flag", "type": "boolean"}
  ],
  "initial_score": "100.5",
  "baseline_method": "max",
  "knockouts": [{"id": "ko", "when": {"field": "flag", "op": "eq", "value": true}, "reason_code": "K1", "score": 0}],
  "characteristics": [
    {"name": "count", "field": "n", "reason_code": "C1", "attributes": [
      {"when": {"missing": true}, "partial_score": "-1"},
      {"when": {"range": "[0,2)"}, "partial_score": "10", "label": "0-1"},
      {"when": {"range": "[2,inf)"}, "partial_score": "2.25", "reason_code": "C1H"}]},
    {"name": "rate", "field": "rate", "reason_code": "C2", "attributes": [
      {"when": {"or": [{"missing": true}, {"op": "lt", "value": "-0.5"}]}, "partial_score": "0"},
      {"when": {"and": [{"op": "ge", "value": "-0.5"}, {"op": "le", "value": "1e1"}]}, "partial_score": "5"},
      {"when": {"op": "gt", "value": 10}, "partial_score": "7"}]},
    {"name": "kind", "field": "kind", "reason_code": "C3", "attributes": [
      {"when": {"in": ["a", "b"]}, "partial_score": "3"},
      {"when": true, "partial_score": "0.125"}]}
  ],
  "grades": [{"grade": "A", "min": 115}, {"grade": "B"}],
  "reason_codes": {"C1": {"zh": "数量少", "en": "few"}}
})J";

}  // namespace

TEST_CASE("score: exact decimals parse and print without loss", "[score]") {
  CHECK(format_fixed(*parse_fixed("12.50")) == "12.5");
  CHECK(format_fixed(*parse_fixed("-0.000000000001")) == "-0.000000000001");
  CHECK(format_fixed(*parse_fixed("1e3")) == "1000");
  CHECK(format_fixed(*parse_fixed("1.5E-3")) == "0.0015");
  CHECK(format_fixed(*parse_fixed("0.1000000000000000")) == "0.1");
  CHECK(format_fixed(*parse_fixed("-0")) == "0");
  CHECK(format_fixed(*parse_fixed("999999999999999999999999.999999999999")) == "999999999999999999999999.999999999999");
  CHECK(*parse_fixed("0.1") + *parse_fixed("0.2") == *parse_fixed("0.3"));
  CHECK_FALSE(parse_fixed("0.0000000000001"));
  CHECK_FALSE(parse_fixed("1e24"));
  CHECK_FALSE(parse_fixed("abc"));
  CHECK_FALSE(parse_fixed("1e"));
  CHECK_FALSE(parse_fixed("--1"));
  CHECK_FALSE(parse_fixed(""));
  CHECK(parse_fixed("0.0000000000001").error().message().find("12 decimal places") != std::string::npos);
  CHECK_FALSE(parse_fixed("35010219780331261X"));
  CHECK(parse_fixed("35010219780331261X").error().message().find("3501") == std::string::npos);
}

TEST_CASE("score: a JSON card scores with ranked reason codes", "[score]") {
  auto m = from_json(small_card);
  INFO(m.error().message());
  REQUIRE(m);
  // n=1 -> 10 (best), rate 0.5 -> 5 (baseline 7), kind c -> 0.125 (baseline 3)
  auto r = run(**m, R"J({"n": 1, "rate": "0.5", "kind": "c"})J");
  CHECK(r.find("score")->text == "115.625");
  CHECK(r.find("grade")->text == "A");
  CHECK(codes(r) == std::vector<std::string>{"C3", "C2", "C1"});
  CHECK(r.find("reasons")->items[0].find("points")->text == "2.875");
  CHECK(r.find("reasons")->items[2].find("points")->text == "0");
  CHECK(r.find("reasons")->items[2].find("zh")->text == "数量少");
  // attribute-level code, missing values, an unknown category as missing
  r = run(**m, R"J({"n": 7, "kind": "zzz"})J");
  CHECK(r.find("score")->text == "102.875");  // 100.5 + 2.25 + 0 (rate missing) + 0.125 (kind missing: true)
  CHECK(r.find("grade")->text == "B");
  CHECK(codes(r) == std::vector<std::string>{"C1H", "C2", "C3"});
  // knock-out decided before points
  r = run(**m, R"J({"n": 1, "flag": true})J");
  CHECK(r.find("knockout")->text == "ko");
  CHECK(r.find("score")->text == "0");
  CHECK(codes(r) == std::vector<std::string>{"K1"});
  CHECK(r.find("characteristics")->items.empty());
}

TEST_CASE("score: bad features are refused with the key named", "[score]") {
  auto m = from_json(small_card);
  REQUIRE(m);
  auto bad = [&](const char *features, const char *needle) {
    auto r = score_json(**m, features);
    REQUIRE_FALSE(r);
    INFO(r.error().message());
    CHECK(r.error().message().find(needle) != std::string::npos);
  };
  bad(R"J({"n": 1.5})J", "$.n must be an integer");
  bad(R"J({"n": -1})J", "$.n is not a valid value");
  bad(R"J({"rate": "x"})J", "$.rate is not a number");
  bad(R"J({"rate": "11010519491231002X"})J", "$.rate is not a number");
  CHECK(score_json(**m, R"J({"rate": "11010519491231002X"})J").error().message().find("1101") == std::string::npos);
  bad(R"J({"flag": "maybe"})J", "$.flag must be true or false");
  bad(R"J({"nn": 1})J", "$.nn is not a field");
  bad(R"J({"n": [1]})J", "$.n must be a number");
  bad(R"J([1])J", "JSON object");
  bad(R"J({"n": 1)J", "features");
  // features of the catalog that the model does not use are fine
  CHECK(score_json(**m, R"J({"n": 1, "tax_arrears_unpaid": 3, "as_of": "2024-06-30"})J"));
}

TEST_CASE("score: models where a value matches no attribute are refused at load", "[score]") {
  json::value doc = parsed(small_card);
  auto with_attrs = [&](const char *ch, const char *attrs) {
    json::value d = doc;
    for (auto &c : d.find("characteristics")->items)
      if (c.find("name")->text == ch) *c.find("attributes") = parsed(attrs);
    return from_json(json::dump(d));
  };
  auto refused = [](const result<std::shared_ptr<const model>> &r, const char *needle) {
    REQUIRE_FALSE(r);
    INFO(r.error().message());
    CHECK(r.error().message().find(needle) != std::string::npos);
  };
  // a gap between ranges
  refused(with_attrs("rate", R"J([{"when": {"missing": true}, "partial_score": 0},
      {"when": {"range": "(-inf,0)"}, "partial_score": 1}, {"when": {"range": "(0,inf)"}, "partial_score": 2}])J"),
          "characteristic \"rate\" (#2): no attribute matches rate = 0");
  // missing not handled
  refused(with_attrs("rate", R"J([{"when": {"range": "(-inf,inf)"}, "partial_score": 1}])J"), "rate = missing");
  // an integer gap: [0,2) and [3,inf) leave 2
  refused(with_attrs("count", R"J([{"when": {"missing": true}, "partial_score": 0},
      {"when": {"range": "[0,2)"}, "partial_score": 1}, {"when": {"range": "[3,inf)"}, "partial_score": 2}])J"),
          "n = 2");
  // but (1,2) holds no integer, so [0,1] + [2,inf) covers an integer field
  CHECK(with_attrs("count", R"J([{"when": {"missing": true}, "partial_score": 0},
      {"when": {"range": "[0,1]"}, "partial_score": 1}, {"when": {"range": "[2,inf)"}, "partial_score": 2}])J"));
  // a category value left out
  refused(with_attrs("kind", R"J([{"when": {"missing": true}, "partial_score": 0}, {"when": {"in": ["a", "b"]}, "partial_score": 1}])J"),
          "kind = \"c\"");
  // other faults, each named
  refused(from_json(R"J({"id": "x", "version": "1", "fields": [{"name": "a", "type": "number"}],
      "characteristics": [{"name": "c", "field": "a", "attributes": [{"when": true, "partial_score": 1}]}]})J"),
          "no reason code");
  refused(from_json(R"J({"id": "x", "version": "1", "fields": [{"name": "a", "type": "number"}], "use_reason_codes": false,
      "characteristics": [{"name": "c", "field": "b", "attributes": [{"when": true, "partial_score": 1}]}]})J"),
          "\"b\" is not a field");
  refused(from_json(R"J({"id": "x", "version": "1", "fields": [{"name": "a", "type": "category"}], "use_reason_codes": false,
      "characteristics": [{"name": "c", "field": "a", "attributes": [{"when": {"op": "lt", "value": 1}, "partial_score": 1}]}]})J"),
          "ordering comparisons need a numeric field");
  refused(from_json(R"J({"id": "x", "version": "1", "fields": [{"name": "a", "type": "number"}], "use_reason_codes": false,
      "characteristics": [{"name": "c", "field": "a", "attributes": [{"when": true, "partial_score": 1}]}],
      "grades": [{"grade": "A", "min": 1}]})J"),
          "last grade");
  refused(from_json(R"J({"id": "x"})J"), "$.version");
  refused(from_json(R"J({"id": "x", "version": "1", "extra": 1})J"), "$.extra");
}

TEST_CASE("score: PDO scaling builds the card from log-odds weights", "[score]") {
  // factor = 20 / ln 2 = 28.8539..., offset = 600 - factor * ln 50 = 487.123...
  auto m = from_json(R"J({"id": "pdo", "version": "1", "fields": [{"name": "x", "type": "number"}],
    "scaling": {"base_score": 600, "base_odds": 50, "pdo": 20, "decimals": 2},
    "baseline_method": "max",
    "characteristics": [{"name": "x", "field": "x", "reason_code": "X", "coefficient": "2", "attributes": [
      {"when": {"missing": true}, "weight": "0"},
      {"when": {"range": "(-inf,0)"}, "weight": "-0.5"},
      {"when": {"range": "[0,inf)"}, "weight": "0.25"}]}]})J");
  INFO(m.error().message());
  REQUIRE(m);
  CHECK(format_fixed((*m)->initial_score) == "487.12");
  CHECK(format_fixed((*m)->characteristics[0].attributes[1].partial_score) == "-28.85");
  CHECK(format_fixed((*m)->characteristics[0].attributes[2].partial_score) == "14.43");
  CHECK(format_fixed(*(*m)->characteristics[0].baseline_score) == "14.43");
  // doubling the odds adds pdo points: weight ln 2 with coefficient 1
  auto d = from_json(R"J({"id": "pdo2", "version": "1", "fields": [{"name": "x", "type": "number"}],
    "scaling": {"base_score": 600, "base_odds": 50, "pdo": 20, "intercept": "3.912023005428146", "decimals": 6},
    "use_reason_codes": false,
    "characteristics": [{"name": "x", "field": "x", "attributes": [
      {"when": {"missing": true}, "weight": "0.693147180559945309417232121458"}, {"when": true, "weight": 0}]}]})J");
  REQUIRE(d);
  CHECK(format_fixed((*d)->initial_score) == "600");
  CHECK(format_fixed((*d)->characteristics[0].attributes[0].partial_score) == "20");
}

TEST_CASE("score: the canonical form reloads to the same hash", "[score]") {
  auto m = default_model();
  REQUIRE(m);
  CHECK(m->id == "xyd-public-2024");
  auto again = from_json(m->canonical_json());
  INFO(again.error().message());
  REQUIRE(again);
  CHECK((*again)->hash_hex() == m->hash_hex());
  CHECK((*again)->canonical_json() == m->canonical_json());
  CHECK(m->hash_hex().size() == 64);
}

TEST_CASE("score: PMML scorecard with reason codes, points below", "[score][pmml]") {
  auto m = from_pmml(data("sample-scorecard.pmml"));
  INFO(m.error().message());
  REQUIRE(m);
  CHECK((*m)->id == "SampleScorecard");
  CHECK((*m)->version == "4.4-sample");
  CHECK((*m)->max_reason_codes == 3);
  // engineering 3, age 25 -> 0, income 1500 -> 5: 8; below the baselines
  // 19-3 = 16 (RC1), 18-0 = 18 (RC2), 10-5 = 5 (RC3)
  auto r = run(**m, R"J({"department": "engineering", "age": 25, "income": 1500})J");
  CHECK(r.find("score")->text == "8");
  CHECK(codes(r) == std::vector<std::string>{"RC2", "RC1", "RC3"});
  // the PMML target field may come along with the inputs
  CHECK(score_json(**m, R"J({"department": "engineering", "age": 25, "income": 1500, "overallScore": 3})J"));
  CHECK(std::find((*m)->other_fields.begin(), (*m)->other_fields.end(), "overallScore") != (*m)->other_fields.end());
  // unknown department -> missing (-9); income missing -> its own code RC3M
  r = run(**m, R"J({"department": "sales", "age": 45})J");
  CHECK(r.find("score")->text == "12");  // -9 + 18 + 3
  CHECK(codes(r) == std::vector<std::string>{"RC1", "RC3M", "RC2"});  // 28, 7, 0
  // "NA" is declared missing; a quoted set value
  r = run(**m, R"J({"department": "NA", "age": 45, "income": 3000})J");
  CHECK(r.find("score")->text == "6");
  r = run(**m, R"J({"department": "human resources", "age": 30, "income": 1000})J");
  CHECK(r.find("score")->text == "44");  // 6 + 12 + 26
  CHECK(codes(r) == std::vector<std::string>{"RC1", "RC2"});  // 13, 6; RC3 is -16
}

TEST_CASE("score: PMML scorecard with reason codes, points above", "[score][pmml]") {
  auto m = from_pmml(data("sample-scorecard-above.pmml"));
  REQUIRE(m);
  // marketing 19, age 45 -> 18, income 500 -> 26: 63; above the baselines
  // 0 (RC1), 0 (RC2), 16 (RC3): ties keep the model's order
  auto r = run(**m, R"J({"department": "marketing", "age": 45, "income": 500})J");
  CHECK(r.find("score")->text == "63");
  CHECK(codes(r) == std::vector<std::string>{"RC3", "RC1", "RC2"});
  // below every baseline: no code explains a high score
  r = run(**m, R"J({"department": "engineering", "age": 25, "income": 1500})J");
  CHECK(codes(r).empty());
}

TEST_CASE("score: PMML faults are refused with their place", "[score][pmml]") {
  auto incomplete = from_pmml(data("incomplete-scorecard.pmml"));
  REQUIRE_FALSE(incomplete);
  CHECK(incomplete.error().message().find("characteristic \"departmentScore\"") != std::string::npos);
  auto bad = [](const std::string &text, const char *needle) {
    auto r = from_pmml(text);
    REQUIRE_FALSE(r);
    INFO(r.error().message());
    CHECK(r.error().message().find(needle) != std::string::npos);
  };
  const std::string good = data("sample-scorecard.pmml");
  bad(good.substr(0, good.size() / 2), "pmml:");
  bad("<PMML version=\"4.4\"><DataDictionary/><TreeModel/></PMML>", "not a Scorecard");
  std::string s = good;
  s.replace(s.find("operator=\"lessOrEqual\""), 22, "operator=\"smallerThan\"");
  bad(s, "smallerThan");
  s = good;
  s.replace(s.find("value=\"29\""), 10, "value=\"2x\"");
  bad(s, "Attribute[3]");
  s = good;
  s.replace(s.find("<Array n=\"2\""), 12, "<Array n=\"3\"");
  bad(s, "n=\"3\"");
}

TEST_CASE("score: results are identical for a model loaded from JSON and PMML", "[score][pmml]") {
  auto p = from_pmml(data("sample-scorecard.pmml"));
  REQUIRE(p);
  auto j = from_json((*p)->canonical_json());
  REQUIRE(j);
  CHECK((*j)->hash_hex() == (*p)->hash_hex());
  for (const char *f : {R"J({"department": "engineering", "age": 25, "income": 1500})J", R"J({"age": 17})J", R"J({})J"})
    CHECK(*score_json(**j, f) == *score_json(**p, f));
}

TEST_CASE("score: evaluation does not allocate once warm and is repeatable", "[score]") {
  auto m = default_model();
  auto inputs = score::bind(*m, R"J({"tax_arrears_unpaid": 1, "months_since_tax_arrears": 3, "pension_normal_payments_6m": 6})J");
  REQUIRE(inputs);
  outcome a, b;
  workspace ws;
  REQUIRE(evaluate(*m, inputs->data(), inputs->size(), a, ws));
  REQUIRE(evaluate(*m, inputs->data(), inputs->size(), b, ws));
  CHECK(a.score == b.score);
  CHECK(to_json(*m, a) == to_json(*m, b));
  const auto cap = b.reasons.capacity();
  for (int i = 0; i < 100; ++i) REQUIRE(evaluate(*m, inputs->data(), inputs->size(), b, ws));
  CHECK(b.reasons.capacity() == cap);
  CHECK_FALSE(evaluate(*m, inputs->data(), 3, b, ws));
}

TEST_CASE("score: features from records, missing is not zero", "[score][features]") {
  const char *records = R"J([
    {"type": "tax.arrears", "as_of": "2024-06-30", "current": true, "state": "active",
     "data": {"arrears_amount": "1200.50", "tax_type": "增值税", "period_start": "2024-02-01", "period_end": "2024-02-29"}},
    {"type": "tax.arrears", "as_of": "2024-06-30", "current": true, "state": "active",
     "data": {"arrears_amount": "300", "period_start": "2021-01-01", "period_end": "2021-01-31", "paid_date": "2021-03-01"}},
    {"type": "tax.arrears", "as_of": "2024-06-30", "current": true, "state": "withdrawn",
     "data": {"arrears_amount": "99999", "period_start": "2024-03-01", "period_end": "2024-03-31"}},
    {"type": "utility.water", "as_of": "2024-05-31", "current": false, "state": "active", "data": {"arrears_amount": "10.00"}},
    {"type": "utility.water", "as_of": "2024-06-30", "current": true, "state": "active", "data": {"arrears_amount": "0.00"}},
    {"type": "qual.medical", "as_of": "2024-06-30", "current": true, "state": "active", "data": {"valid_until": "2024-12-31"}},
    {"type": "judicial.dishonest_debtor", "as_of": "2024-06-30", "current": true, "state": "active",
     "data": {"case_no": "x", "revoked_date": "2024-01-10"}}
  ])J";
  auto f = features_from_records(std::string_view(records));
  INFO(f.error().message());
  REQUIRE(f);
  auto v = parsed(*f);
  CHECK(v.find("as_of")->text == "2024-06-30");
  CHECK(v.find("tax_arrears_count_24m")->text == "1");
  CHECK(v.find("tax_arrears_amount_24m")->text == "1200.5");
  CHECK(v.find("tax_arrears_unpaid")->text == "1");
  CHECK(v.find("months_since_tax_arrears")->text == "4");
  CHECK(v.find("utility_arrears_months_24m")->text == "1");
  CHECK(v.find("utility_arrears_amount")->text == "0");
  CHECK(v.find("electricity_breaches_24m")->is(json::kind::null));  // no electricity data
  CHECK(v.find("pension_normal_payments_6m")->is(json::kind::null));  // no pension data
  CHECK(v.find("qualifications_valid")->text == "1");
  CHECK(v.find("qualification_days_to_expiry")->text == "184");
  CHECK(v.find("dishonest_debtor_active")->boolean == false);
  CHECK(v.find("dishonest_debtor_revoked_24m")->text == "1");
  CHECK(v.find("innovation_badges")->text == "0");            // lists: absent is none
  CHECK(v.find("agri_subsidy_amount")->is(json::kind::null)); // not a farm
  for (const auto &d : feature_catalog()) CHECK(v.find(d.name));
  // a reference date before the data: the later records do not exist yet
  auto early = features_from_records(std::string_view(records), civil_date{2024, 1, 31});
  REQUIRE(early);
  CHECK(parsed(*early).find("utility_arrears_months_24m")->is(json::kind::null));
  // the default model scores the feature set as it comes
  CHECK(score_json(*default_model(), *f));
}

TEST_CASE("score: models and scores in a store, signed models", "[score][store]") {
  xyd::test::temp_dir dir;
  const std::string path = dir / "s.db";
  auto key = master_key::generate();
  auto s = store::open(path, key);
  REQUIRE(s);
  auto feed = xyd::test::generate_feed(30, 5);
  ingest::summary summary;
  REQUIRE(ingest::ingest_buffer(**s, feed, {}, summary));

  // the built-in model is always there
  auto m = find_model(**s, "xyd-public-2024");
  REQUIRE(m);
  CHECK((*m)->hash_hex() == default_model()->hash_hex());

  auto subjects = parsed(*(*s)->subjects());
  const std::string first = subjects.items[0].text;
  auto one = score_subject(**s, first);
  INFO(one.error().message());
  REQUIRE(one);
  auto r = parsed(*one);
  CHECK(r.find("subject")->text == first);
  CHECK(r.find("model_hash")->text == default_model()->hash_hex());
  auto kept = parsed(*(*s)->scores(first));
  REQUIRE(kept.items.size() == 1);
  CHECK(kept.items[0].find("score")->text == r.find("score")->text);

  // every subject, on two threads and on one: the same lines
  std::vector<std::string> two, single;
  batch_options o;
  o.threads = 2;
  auto sum = score_all(**s, o, [&](const std::string &l) { two.push_back(l); });
  INFO(sum.error().message());
  REQUIRE(sum);
  o.threads = 1;
  o.write_back = false;
  REQUIRE(score_all(**s, o, [&](const std::string &l) { single.push_back(l); }));
  CHECK(two == single);
  CHECK(two.size() == subjects.items.size());
  CHECK(parsed(*sum).find("subjects")->text == std::to_string(subjects.items.size()));
  CHECK(parsed(*(*s)->scores(first)).items.size() == 2);

  // models: added, found by id and version, the same content again is fine
  auto pmml = from_pmml(data("sample-scorecard.pmml"));
  REQUIRE(pmml);
  REQUIRE(add_model(**s, **pmml));
  REQUIRE(add_model(**s, **pmml));
  auto found = find_model(**s, "SampleScorecard@4.4-sample");
  REQUIRE(found);
  CHECK((*found)->hash_hex() == (*pmml)->hash_hex());
  CHECK_FALSE(find_model(**s, "nothing"));
  // a model whose fields are not features cannot score from the store
  batch_options po;
  po.model = "SampleScorecard";
  CHECK(score_subject(**s, first, po).error().message().find("not a feature") != std::string::npos);

  // signed models: require them; unsigned and wrongly signed are refused
  REQUIRE((*s)->set_setting("require_signed_models", "1"));
  auto card = from_json(small_card);
  REQUIRE(card);
  CHECK(add_model(**s, **card).message().find("requires models signed") != std::string::npos);
  CHECK(find_model(**s, "SampleScorecard").error().message().find("not signed") != std::string::npos);
  paseto::secret_key sk;
  paseto::public_key pk;
  paseto::generate_key_pair(sk, pk);
  const std::string sig = sign_model(**card, sk);
  CHECK(add_model(**s, **card, sig).message().find("not trusted") != std::string::npos);
  REQUIRE((*s)->trust_key({paseto::pid(pk), paseto::paserk(pk), "risk team", std::nullopt, "consent"}));
  CHECK(add_model(**s, **card, sig).message().find("trusted for consents") != std::string::npos);
  REQUIRE((*s)->trust_key({paseto::pid(pk), paseto::paserk(pk), "risk team", std::nullopt, "model"}));
  CHECK(add_model(**s, **pmml, sig).message().find("signs another model") != std::string::npos);
  REQUIRE(add_model(**s, **card, sig));
  CHECK(find_model(**s, "small"));
  // the built-in model stays available
  CHECK(find_model(**s, "xyd-public-2024"));

  // rekey carries the sealed scores over
  auto key2 = master_key::generate();
  REQUIRE((*s)->rekey(key2));
  CHECK(parsed(*(*s)->scores(first)).items.size() == 2);
  s->reset();
  auto again = store::open(path, key2);
  REQUIRE(again);
  CHECK(parsed(*(*again)->scores(first)).items.size() == 2);
  // the consent verifier does not accept a key trusted for models
  CHECK(parsed(*(*again)->keys()).items[0].find("use")->text == "model");
}

TEST_CASE("score: mutated models and features are refused or scored, never a crash", "[score]") {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const std::string sources[] = {data("sample-scorecard.pmml"), default_model()->canonical_json(), small_card};
  const char alphabet[] = "{}[]<>\"=:,./-+0123456789eE aZ\\\n";
  size_t loaded = 0, refused = 0;
  for (const auto &src : sources) {
    for (int i = 0; i < 700; ++i) {
      std::string s = src;
      const int edits = 1 + static_cast<int>(next() % 3);
      for (int e = 0; e < edits; ++e) {
        const size_t at = next() % s.size();
        switch (next() % 3) {
          case 0: s[at] = alphabet[next() % (sizeof alphabet - 1)]; break;
          case 1: s.erase(at, 1 + next() % 8); break;
          default: s.insert(at, 1, alphabet[next() % (sizeof alphabet - 1)]);
        }
      }
      auto m = load(s);
      if (!m) {
        ++refused;
        CHECK_FALSE(m.error().message().empty());
        continue;
      }
      ++loaded;
      // whatever loads scores every input it accepts
      for (const char *f : {"{}", R"J({"age": 30, "income": 1e3, "department": "engineering"})J",
                            R"J({"n": 0, "rate": -1, "kind": "a", "flag": false})J", R"J({"tax_arrears_unpaid": 2})J"}) {
        auto r = score_json(**m, f);
        if (r) CHECK(parsed(*r).find("score"));
      }
    }
  }
  CHECK(refused > 0);
  CHECK(loaded > 0);
}

TEST_CASE("score: the direct writer and the value give the same bytes", "[score]") {
  auto m = default_model();
  for (const char *f : {R"J({"tax_arrears_unpaid": 1, "months_since_tax_arrears": 3, "pension_normal_payments_6m": 6})J",
                        R"J({"dishonest_debtor_active": true})J", R"J({})J"}) {
    auto inputs = score::bind(*m, f);
    REQUIRE(inputs);
    outcome o;
    workspace ws;
    REQUIRE(evaluate(*m, inputs->data(), inputs->size(), o, ws));
    CHECK(to_json(*m, o) == json::dump(to_value(*m, o)));
    CHECK(to_json(*m, o, 2) == json::dump(to_value(*m, o, 2)));
  }
}

// A batch keeps its results compressed (a third of what it wrote before);
// rows kept before compression read as they were; a value that is neither
// JSON nor an intact frame is an error naming the row, never a crash.
TEST_CASE("score: kept scores are compressed at rest, older rows still read", "[score][store]") {
  xyd::test::temp_dir dir;
  const std::string path = dir / "s.db";
  auto key = master_key::generate();
  auto s = store::open(path, key);
  REQUIRE(s);
  ingest::summary summary;
  REQUIRE(ingest::ingest_buffer(**s, xyd::test::generate_feed(40, 9), {}, summary));
  std::vector<std::string> lines;
  batch_options o;
  o.threads = 2;
  REQUIRE(score_all(**s, o, [&](const std::string &l) { lines.push_back(l); }));
  REQUIRE(lines.size() == 40);
  size_t text = 0;
  for (const auto &l : lines) text += l.size();
  // Each kept result is its line, with scored_at in front.
  for (const auto &l : lines) {
    const json::value line = parsed(l);
    auto kept = parsed(*(*s)->scores(line.find("subject")->text));
    REQUIRE(kept.items.size() == 1);
    json::value k = kept.items[0];
    REQUIRE(k.find("scored_at"));
    k.members.erase(k.members.begin());
    CHECK(json::dump(k) == json::dump(line));
  }
  xyd::test::raw_db raw(path);
  sqlite3 *db = raw.db;
  REQUIRE(db);
  const auto sealed_sum = raw.scalar("SELECT sum(length(sealed)) FROM scores");
  REQUIRE(sealed_sum);
  const int64_t sealed = *sealed_sum;
  INFO("sealed " << sealed << " bytes of " << text << " bytes of results");
  CHECK(sealed * 2 < static_cast<int64_t>(text));

  // A row as 0.1 kept it (the JSON sealed as it is), and one whose value is
  // no frame: the first reads, the second is refused by its id.
  const std::string subject = parsed(lines[0]).find("subject")->text;
  store_detail::key_set keys(key, xyd::test::salt_of(path));
  auto first_text = [&](const char *sql) {
    sqlite3_stmt *q = nullptr;
    std::string v;
    if (sqlite3_prepare_v2(db, sql, -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
      v = reinterpret_cast<const char *>(sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return v;
  };
  const std::string model_hash = first_text("SELECT model_hash FROM scores ORDER BY id LIMIT 1");
  const std::string scored_at = first_text("SELECT scored_at FROM scores ORDER BY id LIMIT 1");
  auto put = [&](int64_t id, const std::string &plain) {
    std::string nonce;
    const std::string box = store_detail::seal(
        keys.payload, plain, store_detail::score_aad(id, keys.blind('s', subject), model_hash, scored_at), nonce);
    sqlite3_stmt *q = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "INSERT INTO scores (id, subject_id, model_hash, scored_at, nonce, sealed) "
                               "SELECT ?, subject_id, model_hash, scored_at, ?, ? FROM scores ORDER BY id LIMIT 1",
                               -1, &q, nullptr) == SQLITE_OK);
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_blob(q, 2, nonce.data(), static_cast<int>(nonce.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 3, box.data(), static_cast<int>(box.size()), SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(q) == SQLITE_DONE);
    sqlite3_finalize(q);
  };
  put(1000, lines[0]);
  auto kept = (*s)->scores(subject);
  INFO(kept.error().message());
  REQUIRE(kept);
  CHECK(parsed(*kept).items.size() == 2);
  put(1001, std::string("\x28\xb5\x2f\xfd", 4) + "not a frame");
  auto bad = (*s)->scores(subject);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == errc::corrupt);
  CHECK(bad.error().message().find("kept score 1001") != std::string::npos);
}

// Finding 6 of the integrity review (scores can move between subjects): a
// kept score's associated data covered only its id, so a score row pointed
// at another subject read as that subject's score; purge left a purged
// subject's scores behind; and ids were max(id) + 1, handed out again after
// the newest row was deleted.
TEST_CASE("score: scores can move between subjects: a moved score fails, purge deletes them, ids never come back", "[score][store]") {
  xyd::test::temp_dir dir;
  const std::string path = dir / "s.db";
  auto key = master_key::generate();
  auto s = store::open(path, key);
  REQUIRE(s);
  ingest::summary summary;
  REQUIRE(ingest::ingest_buffer(**s, xyd::test::generate_feed(3, 21), {}, summary));
  auto subjects = (*s)->subject_list(false);
  REQUIRE(subjects);
  const std::string a = (*subjects)[0], b = (*subjects)[1];
  REQUIRE(score_subject(**s, a));
  REQUIRE(score_subject(**s, b));
  xyd::test::raw_db raw(path);
  REQUIRE(raw.db);
  auto scalar = [&](const char *sql) {
    auto v = raw.scalar(sql);
    REQUIRE(v);
    return *v;
  };
  auto exec = [&](const std::string &sql) { REQUIRE(raw.exec(sql)); };
  // a's score (the first row) pointed at b: b's scores do not authenticate.
  const std::string a_id = std::to_string(scalar("SELECT subject_id FROM scores WHERE id = 1"));
  exec("UPDATE scores SET subject_id = (SELECT subject_id FROM scores WHERE id = 2) WHERE id = 1");
  auto moved = (*s)->scores(b);
  REQUIRE_FALSE(moved);
  CHECK(moved.error().code() == errc::corrupt);
  exec("UPDATE scores SET subject_id = " + a_id + " WHERE id = 1");
  REQUIRE((*s)->scores(a));  // back in its place, it reads again
  // The newest row deleted: the next score does not take its id again.
  const int64_t newest = scalar("SELECT max(id) FROM scores");
  exec("DELETE FROM scores WHERE id = (SELECT max(id) FROM scores)");
  REQUIRE(score_subject(**s, b));
  CHECK(scalar("SELECT max(id) FROM scores") > newest);
  // Every record purged: no score of theirs is left.
  REQUIRE((*s)->purge("2100-01-01"));
  CHECK(scalar("SELECT count(*) FROM scores") == 0);
}

// A schema-7 store's scores (sealed to their id alone) are sealed to their
// subject by the upgrade, and read as before.
TEST_CASE("score: a schema-7 store's kept scores are upgraded and read", "[score][store]") {
  xyd::test::temp_dir dir;
  const std::string path = dir / "s.db";
  auto key = master_key::generate();
  std::string subject, before;
  {
    auto s = store::open(path, key);
    REQUIRE(s);
    ingest::summary summary;
    REQUIRE(ingest::ingest_buffer(**s, xyd::test::generate_feed(2, 22), {}, summary));
    subject = (*(*s)->subject_list(false))[0];
    REQUIRE(score_subject(**s, subject));
    before = *(*s)->scores(subject);
  }
  REQUIRE(xyd::test::to_schema_8(path, key));
  store_detail::key_set keys(key, xyd::test::salt_of(path));
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt *q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT id, nonce, sealed FROM scores", -1, &q, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  const int64_t id = sqlite3_column_int64(q, 0);
  const std::string nonce(static_cast<const char *>(sqlite3_column_blob(q, 1)), static_cast<size_t>(sqlite3_column_bytes(q, 1)));
  const std::string box(static_cast<const char *>(sqlite3_column_blob(q, 2)), static_cast<size_t>(sqlite3_column_bytes(q, 2)));
  sqlite3_finalize(q);
  std::string plain, nonce1;
  // to_schema_8 left it as schemas 8 and 9 sealed it
  REQUIRE(store_detail::open_sealed(keys.payload, box, nonce, store_detail::score_aad_v2(id, keys.blind('s', subject)), plain));
  const std::string v1 = store_detail::seal(keys.payload, plain, store_detail::score_aad_v1(id), nonce1);
  REQUIRE(sqlite3_prepare_v2(db, "UPDATE scores SET nonce = ?, sealed = ? WHERE id = ?", -1, &q, nullptr) == SQLITE_OK);
  sqlite3_bind_blob(q, 1, nonce1.data(), static_cast<int>(nonce1.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(q, 2, v1.data(), static_cast<int>(v1.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(q, 3, id);
  REQUIRE(sqlite3_step(q) == SQLITE_DONE);
  sqlite3_finalize(q);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 7", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto s = store::open(path, key);
  REQUIRE(s);
  auto after = (*s)->scores(subject);
  INFO(after.error().message());
  REQUIRE(after);
  CHECK(*after == before);
}

TEST_CASE("score: PMML CompoundPredicate nesting is unbounded: 10k levels are refused, 32 load", "[score][pmml]") {
  const std::string good = data("sample-scorecard.pmml");
  const std::string leaf = "<SimplePredicate field=\"department\" operator=\"equal\" value=\"marketing\"/>";
  const size_t at = good.find(leaf);
  REQUIRE(at != std::string::npos);
  auto nested = [&](int levels) {
    std::string p = leaf;
    for (int i = 0; i < levels; ++i)
      p = "<CompoundPredicate booleanOperator=\"or\">" + p + leaf + "</CompoundPredicate>";
    std::string s = good;
    s.replace(at, leaf.size(), p);
    return s;
  };
  auto deep = from_pmml(nested(10000));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().message().find("deeper than 32") != std::string::npos);
  CHECK(from_pmml(nested(31)));  // with its leaf: 32 levels
  CHECK_FALSE(from_pmml(nested(32)));
}

// Review of issue 12: a kept score's model_hash and scored_at columns were
// not authenticated, so a score could be relabelled as another model's (and
// found by a query for that model) or given another time, undetected.
TEST_CASE("score: a kept score's model or time changed in the file is refused", "[score][store]") {
  xyd::test::temp_dir dir;
  const std::string path = dir / "s.db";
  auto key = master_key::generate();
  auto s = store::open(path, key);
  REQUIRE(s);
  ingest::summary summary;
  REQUIRE(ingest::ingest_buffer(**s, xyd::test::generate_feed(2, 22), {}, summary));
  auto subjects = (*s)->subject_list(false);
  REQUIRE(subjects);
  const std::string a = (*subjects)[0];
  REQUIRE(score_subject(**s, a));
  REQUIRE((*s)->scores(a));
  const char *tamper = nullptr;
  SECTION("model relabelled") { tamper = "UPDATE scores SET model_hash = 'sha256:' || hex(randomblob(32))"; }
  SECTION("time changed") { tamper = "UPDATE scores SET scored_at = '2020-01-01T00:00:00Z'"; }
  {
    xyd::test::raw_db raw(path);
    REQUIRE(raw.exec(tamper));
  }
  INFO(tamper);
  auto read = (*s)->scores(a);
  REQUIRE_FALSE(read);
  CHECK(read.error().code() == errc::corrupt);
}
