// Consent tokens: every refusal reason, caching, release rules.
// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "xyd/consent.hpp"
#include "xyd/ingest.hpp"

using namespace xyd;
namespace fs = std::filesystem;

namespace {

const char *subject = "91350100M000100Y43";
const int64_t t0 = *parse_rfc3339("2024-07-01T00:00:00+08:00");

struct fixture {
  std::string dir;
  std::unique_ptr<store> s;
  paseto::secret_key sk;
  paseto::public_key pk;
  fixture() {
    char tmpl[] = "/tmp/xyd-consent-test-XXXXXX";
    dir = mkdtemp(tmpl);
    auto opened = store::open(dir + "/s.db", master_key::generate());
    REQUIRE(opened);
    s = std::move(opened).value();
    paseto::generate_key_pair(sk, pk);
    REQUIRE(s->trust_key({paseto::pid(pk), paseto::paserk(pk), "platform", std::nullopt}));
    const std::string feed =
        std::string(R"({"type":"legal_rep","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t","data":{"enterprise_name":"示例","uscc":"91350100M000100Y43","rep_name":"欧阳娜娜"}})") +
        "\n" +
        R"({"type":"tax.deferral","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t","data":{"enterprise_name":"示例","uscc":"91350100M000100Y43","deferred_item":"增值税","deferred_amount":"100.00"}})" +
        "\n" +
        R"({"type":"medins.designated","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t","data":{"enterprise_name":"示例","uscc":"91350100M000100Y43","designated":true}})" +
        "\n" +
        R"({"type":"utility.gas","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"t","data":{"enterprise_name":"示例","uscc":"91350100M000100Y43","opened_date":"2010-01-01","address":"福州市鼓楼区中山路1号","prepaid_amount":"0.00","arrears_amount":"0.00","one_meter_per_household":true}})" +
        "\n";
    ingest::summary sum;
    REQUIRE(ingest::ingest_buffer(*s, feed, {}, sum));
  }
  ~fixture() {
    s.reset();
    fs::remove_all(dir);
  }
  std::string token(const std::string &extra = "", const std::string &scope = R"(["legal_rep"])") {
    std::string claims = R"({"iss":"platform","sub":"91350100M000100Y43","aud":"bank-1","iat":"2024-07-01T00:00:00+08:00",)"
                         R"("exp":"2024-12-31T00:00:00+08:00","purpose":["pre_loan"],"scope":)" +
                         scope + extra + "}";
    auto t = consent::issue(sk, claims, national_catalog());
    INFO(t.error().message());
    REQUIRE(t);
    return *t;
  }
  consent::decision check(const std::string &tok, const char *aud = "bank-1", const char *purpose = "pre_loan",
                          int64_t at = t0 + 3600, const char *sub = subject) {
    consent::verifier v(*s);
    return v.check({tok, sub, aud, purpose, at});
  }
};

}  // namespace

TEST_CASE("consent: a valid token is granted with its scope", "[consent]") {
  fixture f;
  auto d = f.check(f.token(R"(,"data_life":"P30D")", R"(["legal_rep", 3])"));
  REQUIRE(d.ok());
  CHECK(d.granted->item_types.count("legal_rep"));
  CHECK(d.granted->item_types.count("tax.arrears"));  // category 3 expanded
  CHECK(*d.granted->data_life_days == 30);
  CHECK(d.to_json().find("\"granted\":true") != std::string::npos);
}

TEST_CASE("consent: every refusal reason", "[consent]") {
  fixture f;
  const std::string tok = f.token();
  CHECK(f.check(tok, "bank-2").refused == consent::reason::wrong_audience);
  CHECK(f.check(tok, "bank-1", "post_loan").refused == consent::reason::purpose_not_allowed);
  CHECK(f.check(tok, "bank-1", "pre_loan", t0 - 10).refused == consent::reason::not_yet_valid);
  CHECK(f.check(tok, "bank-1", "pre_loan", *parse_rfc3339("2025-01-01T00:00:00Z")).refused == consent::reason::expired);
  CHECK(f.check(tok, "bank-1", "pre_loan", t0 + 10, "914403001922038216").refused == consent::reason::wrong_subject);
  CHECK(f.check("not a token").refused == consent::reason::malformed);
  // Signed by a key the store does not trust.
  paseto::secret_key other;
  paseto::public_key other_pk;
  paseto::generate_key_pair(other, other_pk);
  auto foreign = consent::issue(other, R"({"iss":"x","sub":"91350100M000100Y43","aud":"bank-1","exp":"2030-01-01T00:00:00Z","scope":["legal_rep"],"purpose":"pre_loan"})",
                                national_catalog());
  CHECK(f.check(*foreign).refused == consent::reason::unknown_key);
  // A trusted kid in the footer, but the signature is another key's.
  const auto opened = paseto::verify(f.pk, tok);
  REQUIRE(opened);
  const std::string forged = paseto::sign(other, opened->message, opened->footer);
  CHECK(f.check(forged).refused == consent::reason::bad_signature);
  // Claims that break the schema, though signed.
  const std::string bad_claims = paseto::sign(f.sk, R"({"sub":"x"})", opened->footer);
  CHECK(f.check(bad_claims).refused == consent::reason::malformed);
  // Retired key.
  REQUIRE(f.s->retire_key(paseto::pid(f.pk), t0 + 1800));
  CHECK(f.check(tok, "bank-1", "pre_loan", t0 + 3600).refused == consent::reason::retired_key);
  CHECK(f.check(tok, "bank-1", "pre_loan", t0 + 60).ok());
}

TEST_CASE("consent: revocation by jti and by subject and audience", "[consent]") {
  fixture f;
  const std::string a = f.token(), b = f.token();
  consent::verifier v(*f.s);
  REQUIRE(v.check({a, subject, "bank-1", "pre_loan", t0 + 10}).ok());  // cached now
  REQUIRE(f.s->revoke_token(v.check({a, subject, "bank-1", "pre_loan", t0 + 10}).granted->jti, t0 + 20));
  CHECK(v.check({a, subject, "bank-1", "pre_loan", t0 + 30}).refused == consent::reason::revoked);
  CHECK(v.check({b, subject, "bank-1", "pre_loan", t0 + 30}).ok());
  REQUIRE(f.s->revoke_grant(subject, "bank-1", t0 + 40));
  CHECK(v.check({b, subject, "bank-1", "pre_loan", t0 + 50}).refused == consent::reason::revoked);
  // A consent issued after the grant's revocation is valid again.
  auto fresh = consent::issue(
      f.sk,
      R"({"iss":"platform","sub":"91350100M000100Y43","aud":"bank-1","iat":"2024-07-02T00:00:00+08:00","exp":"2024-12-31T00:00:00+08:00","purpose":"pre_loan","scope":["legal_rep"]})",
      national_catalog());
  CHECK(v.check({*fresh, subject, "bank-1", "pre_loan", t0 + 86400 + 10}).ok());
}

TEST_CASE("consent: any single-byte change is refused", "[consent]") {
  fixture f;
  const std::string tok = f.token();
  consent::verifier v(*f.s);
  REQUIRE(v.check({tok, subject, "bank-1", "pre_loan", t0 + 10}).ok());
  for (size_t i = 0; i < tok.size(); ++i) {
    std::string bad = tok;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    INFO(i);
    CHECK_FALSE(v.check({bad, subject, "bank-1", "pre_loan", t0 + 10}).ok());
  }
}

TEST_CASE("consent: what a release holds", "[consent]") {
  fixture f;
  const auto &cat = *current_catalog();
  record_query q;
  q.subject = subject;
  auto without = *consent::release(*f.s, cat, q, nullptr);
  REQUIRE(without.size() == 1);  // only utility.gas: local_physical
  CHECK(without[0].type == "utility.gas");
  auto d = f.check(f.token(R"(,"data_life":30)", R"(["legal_rep", "tax"])"));
  REQUIRE(d.ok());
  auto with = *consent::release(*f.s, cat, q, &d, t0 + 10);
  std::set<std::string> types;
  for (const auto &r : with) {
    types.insert(r.type);
    if (r.type != "utility.gas") CHECK(r.consent_jti == d.granted->jti);
  }
  CHECK(types == std::set<std::string>{"legal_rep", "tax.deferral", "utility.gas"});  // never medins.designated
  q.item_type = "medins.designated";
  CHECK(consent::release(*f.s, cat, q, &d).error().code() == errc::consent);
  q.item_type = "legal_rep";
  CHECK(consent::release(*f.s, cat, q, nullptr).error().message().find("out_of_scope") != std::string::npos);
  CHECK(*f.s->purge_releases(t0 + 10 + 31 * 86400) == 1);
}

TEST_CASE("consent: claims schema", "[consent]") {
  const auto &cat = national_catalog();
  const std::string ok = R"({"iss":"p","sub":"91350100M000100Y43","aud":"b","jti":"j","iat":"2024-07-01T00:00:00Z","exp":"2024-08-01T00:00:00Z","scope":["legal_rep"],"purpose":"pre_loan"})";
  CHECK(consent::parse_claims(ok, cat));
  auto with = [&](const std::string &from, const std::string &to) {
    std::string s = ok;
    s.replace(s.find(from), from.size(), to);
    return consent::parse_claims(s, cat);
  };
  CHECK_FALSE(with(R"("sub":"91350100M000100Y43")", R"("sub":"91350100M000100Y44")"));
  CHECK_FALSE(with(R"("scope":["legal_rep"])", R"("scope":[])"));
  CHECK_FALSE(with(R"("scope":["legal_rep"])", R"("scope":["nope"])"));
  CHECK_FALSE(with(R"("exp":"2024-08-01T00:00:00Z")", R"("exp":"2024-06-01T00:00:00Z")"));
  CHECK_FALSE(with(R"("purpose":"pre_loan")", R"("purpose":"Pre Loan")"));
  CHECK_FALSE(with(R"("iat":"2024-07-01T00:00:00Z")", R"("iat":"2024-07-01")"));
  CHECK(with(R"("scope":["legal_rep"])", R"("scope":["social",16]])").error().code() == errc::validation);
  CHECK(with(R"("scope":["legal_rep"])", R"("scope":["social",16])")->item_types.count("utility.gas"));
  CHECK(with(R"("scope":["legal_rep"])", R"("scope":"tax")")->item_types.count("tax.arrears"));
  CHECK(*with(R"("purpose":"pre_loan")", R"("purpose":"pre_loan","data_life":"P6M")")->data_life_days == 180);
  CHECK(*with(R"("purpose":"pre_loan")", R"("purpose":"pre_loan","data_life":"P1Y")")->data_life_days == 365);
  CHECK_FALSE(with(R"("purpose":"pre_loan")", R"("purpose":"pre_loan","data_life":"P1H")"));
  // Without iat the consent counts from nbf.
  auto no_iat = with(R"("iat":"2024-07-01T00:00:00Z",)", R"("nbf":"2024-07-02T00:00:00Z",)");
  REQUIRE(no_iat);
  CHECK(no_iat->iat == no_iat->nbf);
}

// 0.1: the verifier's cache was emptied after a keyring change only by the C
// shim, so a C++ caller that retired (or re-trusted) a key kept accepting
// tokens it had checked before. The store now tells the verifier that its
// keyring changed, whoever changed it.
TEST_CASE("consent: a C++ caller's verifier forgets cached tokens when a key is retired", "[consent]") {
  fixture f;
  const std::string tok = f.token();
  consent::verifier v(*f.s);
  REQUIRE(v.check({tok, subject, "bank-1", "pre_loan", t0 + 3600}).ok());  // cached now
  REQUIRE(f.s->retire_key(paseto::pid(f.pk), t0 + 1800));
  CHECK(v.check({tok, subject, "bank-1", "pre_loan", t0 + 3600}).refused == consent::reason::retired_key);
  // …and when another connection to the same file retires it.
  fixture g;
  const std::string tok2 = g.token();
  consent::verifier w(*g.s);
  REQUIRE(w.check({tok2, subject, "bank-1", "pre_loan", t0 + 3600}).ok());
  auto other = g.s->open_reader(true);
  REQUIRE(other);
  REQUIRE((*other)->retire_key(paseto::pid(g.pk), t0 + 1800));
  usleep(60 * 1000);  // past the 50 ms in which a handle trusts what it last read
  CHECK(w.check({tok2, subject, "bank-1", "pre_loan", t0 + 3600}).refused == consent::reason::retired_key);
}

TEST_CASE("consent: another connection's commit that leaves the keyring alone keeps a verifier's cache", "[consent]") {
  // Found by interleaving two processes' reports on one store: every audit
  // append of the other made this handle reload its revocations and drop
  // its verified tokens, so each report verified its token's signature again.
  fixture f;
  auto other = f.s->open_reader(true);
  REQUIRE(other);
  const uint64_t before = f.s->keyring_generation();
  // Writes that are not the keyring: an ingest, audit entries, a release.
  ingest::summary sum;
  REQUIRE(ingest::ingest_buffer(**other,
                                std::string(R"({"type":"legal_rep","subject":"91350100M000100Y43","as_of":"2024-07-31","source":"t","data":{"enterprise_name":"示例","uscc":"91350100M000100Y43","rep_name":"欧阳娜娜"}})") + "\n",
                                {}, sum));
  REQUIRE((*other)->audit(audit_event(audit_action::records)));
  REQUIRE((*other)->log_release("jti-1", 2, t0, std::nullopt));
  usleep(60 * 1000);  // past the 50 ms in which a handle trusts what it last read
  CHECK(f.s->keyring_generation() == before);
  // A change to the keyring by the other connection does move it: a key
  // trusted, a consent revoked.
  paseto::secret_key sk2;
  paseto::public_key pk2;
  paseto::generate_key_pair(sk2, pk2);
  REQUIRE((*other)->trust_key({paseto::pid(pk2), paseto::paserk(pk2), "platform-2", std::nullopt}));
  usleep(60 * 1000);
  const uint64_t after_trust = f.s->keyring_generation();
  CHECK(after_trust != before);
  REQUIRE((*other)->revoke_token("jti-2", t0));
  usleep(60 * 1000);
  CHECK(f.s->keyring_generation() != after_trust);
}

// Finding 9 of the integrity review, in part (duplicate members in claims and
// footers): xyd read the first of two members with the same name, other
// PASETO implementations the last, so one token meant two things (a second
// "sub" or "aud" another parser would honour). Both are refused.
TEST_CASE("consent: duplicate members in claims and footers are refused", "[consent]") {
  fixture f;
  const std::string twice =
      R"({"iss":"platform","sub":"91350100M000100Y43","aud":"bank-1","aud":"bank-2","iat":"2024-07-01T00:00:00+08:00",)"
      R"("exp":"2024-12-31T00:00:00+08:00","purpose":["pre_loan"],"scope":["legal_rep"]})";
  auto parsed = consent::parse_claims(twice, national_catalog());
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().message().find("duplicate member \"aud\"") != std::string::npos);
  // Nested too: a condition object of the scope with a member twice.
  auto nested = consent::parse_claims(
      R"({"iss":"platform","sub":"91350100M000100Y43","aud":"bank-1","iat":"2024-07-01T00:00:00+08:00","exp":"2024-12-31T00:00:00+08:00","purpose":["pre_loan"],"scope":["legal_rep"],"x":{"a":1,"a":2}})",
      national_catalog());
  REQUIRE_FALSE(nested);
  CHECK(nested.error().message().find("duplicate member \"a\"") != std::string::npos);
  // A token signed with both (the signature holds): refused as malformed.
  const std::string good = f.token();
  const std::string claims =
      R"({"iss":"platform","sub":"91350100M000100Y43","aud":"bank-1","iat":"2024-07-01T00:00:00+08:00","exp":"2024-12-31T00:00:00+08:00","purpose":["pre_loan"],"scope":["legal_rep"]})";
  const std::string kid = paseto::pid(f.pk);
  const std::string two_kids = paseto::sign(f.sk, claims, "{\"kid\":\"" + kid + "\",\"kid\":\"k4.pid.other\"}");
  CHECK(f.check(good).granted);
  auto d = f.check(two_kids);
  CHECK_FALSE(d.granted);
  CHECK(d.refused == consent::reason::malformed);
  CHECK(d.detail.find("duplicate member \"kid\"") != std::string::npos);
  const std::string signed_twice = paseto::sign(f.sk, twice, "{\"kid\":\"" + kid + "\"}");
  auto d2 = f.check(signed_twice);
  CHECK_FALSE(d2.granted);
  CHECK(d2.refused == consent::reason::malformed);
}
