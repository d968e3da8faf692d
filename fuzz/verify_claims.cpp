// Data-verification claims (数据核验) against a store holding records of a
// subject, under a consent in mode "verify": each claim answered match,
// no_match or no_data, or the request refused naming the claim.
// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "../tools/gen.hpp"
#include "common.hpp"
#include "xyd/consent.hpp"
#include "xyd/ingest.hpp"
#include "xyd/paseto.hpp"
#include "xyd/report.hpp"
#include "xyd/store.hpp"

namespace {

constexpr const char *subject = "91350100M000100Y43";

struct fixture {
  std::string dir, token;
  std::unique_ptr<xyd::store> s;
  std::unique_ptr<xyd::consent::verifier> v;
  size_t runs = 0;

  fixture() { make(); }
  ~fixture() { std::filesystem::remove_all(dir); }

  // A fresh store (also every 4,096 runs: each check appends an audit entry).
  void make() {
    using namespace xyd;
    v.reset();
    s.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
    char tmpl[] = "/tmp/xyd-fuzz-verify-XXXXXX";
    if (!mkdtemp(tmpl)) std::abort();
    dir = tmpl;
    auto opened = store::open(dir + "/s.db", master_key::generate());
    if (!opened) std::abort();
    s = std::move(*opened);
    std::string feed =
        std::string(R"({"type":"tech.innovation","subject":")") + subject +
        R"(","as_of":"2024-06-30","source":"f","data":{"enterprise_name":"福州示例有限公司","uscc":")" + subject +
        R"(","little_giant":false,"srdi_sme":true,"innovative_sme":false,"high_tech":false,"tech_sme":true}})" "\n";
    gen::options g;
    g.subjects = 3;
    g.seed = 5;
    gen::generate(g, [&](std::string_view chunk) { feed.append(chunk); });
    ingest::options o;
    o.skip_invalid = true;
    ingest::summary sum;
    if (!ingest::ingest_buffer(*s, feed, o, sum)) std::abort();
    unsigned char seed[32] = {4};
    const auto sk = paseto::secret_key_from_seed(seed);
    const auto pk = paseto::public_key_of(sk);
    if (!s->trust_key({paseto::pid(pk), paseto::paserk(pk), "platform", std::nullopt})) std::abort();
    std::string scope;
    for (int c = 1; c <= 17; ++c) {
      if (c > 1) scope += ',';
      scope += std::to_string(c);
    }
    std::string claims = R"({"iss":"p","sub":")";
    claims += subject;
    claims += R"(","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":[)";
    claims += scope;
    claims += R"(],"purpose":"pre_loan","mode":"verify"})";
    auto t = consent::issue(sk, claims, national_catalog());
    if (!t) std::abort();
    token = *t;
    v = std::make_unique<consent::verifier>(*s);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  static fixture f;
  if (++f.runs % 4096 == 0) f.make();
  auto claims = json::parse(fuzz::text(data, size));
  if (!claims) return 0;
  report::claims_request r;
  r.subject = subject;
  r.audience = "bank-001";
  r.purpose = "pre_loan";
  r.token = f.token;
  r.claims = std::move(*claims);
  auto answer = report::check_claims(*f.s, national_catalog(), *f.v, r);
  if (answer && answer->find("\"answers\"") == std::string::npos) std::abort();
  return 0;
}
