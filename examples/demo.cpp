// xyd-demo: the whole flow on a small data set, on the public C++ API —
// generate, validate, ingest into an encrypted store, credit repair,
// consent, masking, scores, reports, data verification, the audit chain.
// Everything that touches the store goes through xyd::session, as the C ABI
// and the CLI do. `xyd demo [--html FILE]` runs this program.
//
//   build/xyd-demo [--html FILE] [--extension FILE]...
//
// The synthetic feed comes from the generator the CLI shares (tools/gen.hpp).
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

#include "gen.hpp"
#include "xyd.h"  // XYD_VERSION_STRING
#include "xyd/catalog.hpp"
#include "xyd/consent.hpp"
#include "xyd/ingest.hpp"
#include "xyd/json.hpp"
#include "xyd/mask.hpp"
#include "xyd/paseto.hpp"
#include "xyd/score.hpp"
#include "xyd/session.hpp"

namespace {

using xyd::json::value;

// One subject of the feed with a record of `type` (the first), and a field of it.
std::string first_with(const std::string &feed, const std::string &type, const char *field = nullptr,
                       std::string *field_value = nullptr, const char *field2 = nullptr, std::string *value2 = nullptr) {
  std::string subject;
  std::istringstream in(feed);
  const std::string needle = "\"" + type + "\"";
  (void)xyd::ingest::for_each_line(in, [&](size_t, std::string_view line) {
    if (line.find(needle) == std::string_view::npos) return true;
    auto doc = xyd::json::parse(line);
    subject = doc->find("subject")->text;
    if (field) *field_value = doc->find("data")->find(field)->text;
    if (field2) *value2 = doc->find("data")->find(field2)->text;
    return false;
  });
  return subject;
}

// ---------------------------------------------------------------- 1-4: the feed

struct feed_info {
  std::string text;
  xyd::ingest::validation_report report;
};

bool generate_and_validate(const xyd::catalog &cat, feed_info &f) {
  xyd::gen::options opt;
  opt.subjects = 300;
  opt.seed = 2024;
  const auto n = xyd::gen::generate(opt, [&](std::string_view chunk) { f.text.append(chunk); });
  std::cout << "1. Generated a synthetic monthly feed: " << opt.subjects << " subjects (seed " << opt.seed << "), " << n
            << " records, " << f.text.size() / 1024 << " KiB of JSON Lines.\n";
  std::istringstream in(f.text);
  if (auto st = xyd::ingest::validate_feed(cat, in, f.report); !st) {
    std::cerr << "xyd-demo: " << st.message() << "\n";
    return false;
  }
  std::cout << "2. Validated every record against the catalog: " << f.report.valid << " valid, " << f.report.invalid
            << " invalid.\n";
  return true;
}

void per_category(const xyd::catalog &cat, const feed_info &f) {
  std::map<std::string, std::set<std::string>> subjects;
  std::istringstream again(f.text);
  (void)xyd::ingest::for_each_line(again, [&](size_t, std::string_view line) {
    auto doc = xyd::json::parse(line);
    if (doc) subjects[doc->find("type")->text].insert(doc->find("subject")->text);
    return true;
  });
  std::cout << "\n3. What the feed holds, per category (records / subjects):\n";
  for (const auto &c : cat.categories()) {
    std::cout << "\n  " << c.number << ". " << c.zh << " " << c.en << "\n";
    for (const auto &t : cat.item_types()) {
      if (t.category != c.number) continue;
      const auto it = f.report.per_type.find(t.id);
      const size_t records = it == f.report.per_type.end() ? 0 : it->second;
      std::cout << "     " << t.id << std::string(t.id.size() < 28 ? 28 - t.id.size() : 1, ' ') << records << " / "
                << subjects[t.id].size() << "   " << xyd::channel_id(t.chan)
                << (t.consent_required() ? " (consent needed)" : "") << "\n";
    }
  }
  std::cout << "\n4. A bad record gets every problem with its JSON path:\n";
  const char *bad = R"({"type":"tax.arrears","subject":"91350100M000100Y4X","as_of":"2024-02-30","source":"demo",)"
                    R"("data":{"enterprise_name":"示例","uscc":"91350100M000100Y43","arrears_amount":"12.345","tax_type":"增值税",)"
                    R"("period_start":"2024-03-01","period_end":"2024-01-31","colour":"red"}})";
  for (const auto &p : xyd::validate_record_json(cat, bad)) std::cout << "     " << p.path << ": " << p.message << "\n";
}

// ---------------------------------------------------------------- 5: the store

bool ingest_and_repair(xyd::session &s, const std::string &feed) {
  xyd::ingest::summary first, second;
  const auto t0 = std::chrono::steady_clock::now();
  auto st = s.ingest_buffer(feed, {}, first);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (st) st = s.ingest_buffer(feed, {}, second);
  if (!st) {
    std::cerr << "xyd-demo: " << st.message() << "\n";
    return false;
  }
  auto stats = xyd::json::parse(*s.stats());
  std::cout << "\n5. Ingested into an encrypted store (XChaCha20-Poly1305, blind indexes) in " << static_cast<int>(secs * 1000)
            << " ms: " << first.total.inserted << " records inserted; " << stats->find("current")->text << " current, "
            << stats->find("history")->text << " kept as history, " << stats->find("subjects")->text << " subjects.\n"
            << "   The same feed again: " << second.total.unchanged << " unchanged, " << second.total.inserted + second.total.updated
            << " changed.\n";
  // One subject with a dishonest-debtor entry, before and after credit repair.
  const std::string subject = first_with(feed, "judicial.dishonest_debtor");
  if (subject.empty()) return true;
  xyd::record_query q;
  q.subject = subject;
  q.item_type = "judicial.dishonest_debtor";
  auto before = xyd::json::parse(*s.own_records(q));
  const int64_t id = std::stoll(before->items.at(0).find("id")->text);
  (void)s.repair({id, "repair", "已履行生效法律文书确定的义务", "2024-07-01", "demo"});
  auto after = xyd::json::parse(*s.own_records(q));
  std::cout << "   Credit repair (信用修复): a subject's dishonest-debtor entry (record " << id << ") marked repaired; its current "
            << "entries go from " << before->items.size() << " to " << after->items.size()
            << ", the record stays in its history with the reason.\n";
  return true;
}

// ---------------------------------------------------------------- 6: consent

std::string types_of(const xyd::result<std::string> &released) {
  std::set<std::string> types;
  if (released) {
    const auto doc = xyd::json::parse(*released);
    for (const auto &v : doc->items) types.insert(v.find("type")->text);
  }
  std::string list;
  for (const auto &t : types) list += (list.empty() ? "" : ", ") + t;
  return list.empty() ? std::string("(none)") : list;
}

xyd::release_request release_of(const std::string &subject, const char *aud, const char *purpose, const std::string &token,
                                const std::string &type = "") {
  xyd::release_request r;
  r.query.subject = subject;
  r.query.item_type = type;
  r.audience = aud;
  r.purpose = purpose;
  r.token = token;
  return r;
}

void consent_steps(xyd::session &s, const std::string &enterprise, const xyd::paseto::secret_key &platform) {
  const std::string claims = R"({"iss":"national-platform","sub":")" + enterprise +
                             R"(","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":["tax","legal_rep","social"],)"
                             R"("purpose":["pre_loan","approval"],"data_life":"P90D"})";
  auto token = xyd::consent::issue(platform, claims, s.cat());
  std::cout << "\n6. Consent (经信息主体授权) as a PASETO v4.public token signed by the platform, checked against the store's keyring:\n"
            << "   without consent, bank-001 gets: " << types_of(s.release(release_of(enterprise, "bank-001", "pre_loan", ""))) << "\n";
  const auto granted = s.check_consent({*token, enterprise, "bank-001", "pre_loan", 0});
  std::cout << "   with a consent for tax, legal_rep and social insurance, for pre-loan investigation: "
            << types_of(s.release(release_of(enterprise, "bank-001", "pre_loan", *token))) << "\n";
  // Refusals go through the same door as releases, and are logged.
  auto refusal = [&](const char *aud, const char *purpose, const std::string &type) {
    auto r = s.release(release_of(enterprise, aud, purpose, *token, type));
    if (r) return std::string("not refused?");
    const std::string m = r.error().message();  // "consent refused: <reason>: <detail>"
    const size_t a = m.find(": ") + 2;
    return m.substr(a, m.find(':', a) - a);
  };
  for (const auto &[aud, purpose, label] : {std::tuple<const char *, const char *, const char *>{"bank-001", "post_loan", "for post-loan management"},
                                            {"bank-002", "pre_loan", "by another bank"}})
    std::cout << "   the same token " << label << ": refused (" << refusal(aud, purpose, "") << ")\n";
  std::cout << "   raw marital-status data, even with consent: refused (" << refusal("bank-001", "pre_loan", "marital")
            << ": verification only)\n";
  if (granted.ok()) (void)s.revoke({granted.granted->jti, "", "", 0});
  std::cout << "   after the subject revokes it: refused (" << refusal("bank-001", "pre_loan", "") << ")\n";
}

// ---------------------------------------------------------------- 7: masking

void masking_step(const xyd::catalog &cat) {
  const char *record = R"({"type":"shareholder","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"demo",)"
                       R"("data":{"enterprise_name":"福州示例有限公司","uscc":"91350100M000100Y43","holder_name":"欧阳娜娜",)"
                       R"("holder_id":"11010519491231002X","contribution_date":"2015-03-01"}})";
  std::cout << "\n7. Masking (脱敏): the same shareholder record as each role sees it without consent:\n";
  xyd::mask::context ctx;
  std::array<unsigned char, 32> pseudonym_key;  // the institution's key; a fresh one for the demo
  const auto key = xyd::master_key::generate();
  std::memcpy(pseudonym_key.data(), key.data(), pseudonym_key.size());
  ctx.pseudonym_key = pseudonym_key;
  for (const char *role : {"loan_officer", "external", "regulator"}) {
    auto doc = xyd::json::parse(record);
    ctx.role = role;
    (void)xyd::mask::mask_record(*doc, cat, ctx);
    std::cout << "   " << role << std::string(13 - std::strlen(role), ' ') << xyd::json::dump(*doc->find("data")) << "\n";
  }
}

// ---------------------------------------------------------------- 8: scores

struct score_stats {
  std::map<std::string, int> grades, first_reason;
  std::vector<long long> scores;
  int knocked_out = 0;
  std::string example;
};

score_stats collect(const std::vector<std::string> &lines, const std::string &enterprise) {
  score_stats st;
  for (const auto &l : lines) {
    auto r = xyd::json::parse(l);
    ++st.grades[r->find("grade")->text];
    st.scores.push_back(std::stoll(r->find("score")->text));
    if (!r->find("knockout")->is(xyd::json::kind::null)) ++st.knocked_out;
    const auto &codes = r->find("reason_codes")->items;
    if (!codes.empty()) ++st.first_reason[codes[0].text];
    if (st.example.empty() && r->find("subject")->text == enterprise) st.example = l;
  }
  std::sort(st.scores.begin(), st.scores.end());
  return st;
}

void print_reasons(const score_stats &st, const xyd::score::model &model) {
  std::vector<std::pair<int, std::string>> top;
  for (const auto &[code, n] : st.first_reason) top.emplace_back(-n, code);
  std::sort(top.begin(), top.end());
  std::cout << "   most frequent first reason:";
  for (size_t i = 0; i < top.size() && i < 4; ++i) {
    auto it = model.reason_texts.find(top[i].second);
    std::cout << (i ? "; " : " ") << top[i].second << " " << (it != model.reason_texts.end() ? it->second.zh : "") << " ("
              << -top[i].first << ")";
  }
  std::cout << "\n";
  if (st.example.empty()) return;
  auto r = xyd::json::parse(st.example);
  std::cout << "   the consenting enterprise: score " << r->find("score")->text << ", grade " << r->find("grade")->text
            << ", reasons:";
  for (const auto &reason : r->find("reasons")->items)
    std::cout << " " << reason.find("code")->text << " " << reason.find("zh")->text << " (-"
              << (reason.find("points") ? reason.find("points")->text : std::string("knock-out")) << ")";
  std::cout << "\n";
}

bool scores_step(xyd::session &s, const std::string &enterprise) {
  std::vector<std::string> lines;
  xyd::score_request req;
  req.all = true;
  auto answer = s.score(req, [&](const std::string &l) { lines.push_back(l); });
  if (!answer || lines.empty()) {
    std::cerr << "xyd-demo: " << (answer ? std::string("no subjects scored") : answer.error().message()) << "\n";
    return false;
  }
  const auto model = xyd::score::default_model();
  const score_stats st = collect(lines, enterprise);
  auto pct = [&](double p) { return st.scores[static_cast<size_t>(p * static_cast<double>(st.scores.size() - 1))]; };
  auto doc = xyd::json::parse(*answer);
  const value &summary = *doc->find("summary");
  std::cout << "\n8. Public credit evaluation (公共信用综合评价) with the default scorecard " << model->id << " "
            << model->version << " (exact decimals; docs/scoring.md): " << lines.size() << " subjects in "
            << summary.find("seconds")->text << " s on " << summary.find("threads")->text << " threads, kept in the store.\n"
            << "   score: min " << st.scores.front() << ", p10 " << pct(0.1) << ", median " << pct(0.5) << ", p90 " << pct(0.9)
            << ", max " << st.scores.back() << "; " << st.knocked_out << " knocked out (dishonest-debtor or customs list)\n";
  for (const auto &g : model->grades) {
    const int n = st.grades.count(g.name) ? st.grades.at(g.name) : 0;
    const int bar = static_cast<int>(60.0 * n / static_cast<double>(lines.size()) + 0.5);
    std::cout << "   " << g.name << " " << g.zh << std::string(6 - std::min<size_t>(6, 2 * xyd::utf8_length(g.zh)), ' ')
              << (g.min ? ">= " + xyd::score::format_fixed(*g.min) : std::string("below ")) << "  "
              << std::string(static_cast<size_t>(bar), '#') << " " << n << "\n";
  }
  print_reasons(st, *model);
  return true;
}

// ---------------------------------------------------------------- 9: reports

std::string summarise(const value &r) {
  std::map<std::string, int> status, reasons;
  for (const auto &sec : r.find("sections")->items) ++status[sec.find("status")->text];
  for (const auto &o : r.find("omitted")->items) ++reasons[o.find("reason")->text];
  std::string out = std::to_string(status["included"]) + " sections included, " + std::to_string(status["partial"]) +
                    " partly, " + std::to_string(status["omitted"]) + " omitted; omitted item types:";
  for (const auto &[reason, n] : reasons) out += " " + reason + " " + std::to_string(n);
  const value *sc = r.find("score");
  if (sc && sc->is(xyd::json::kind::object)) out += "; score " + sc->find("score")->text + " (" + sc->find("grade")->text + ")";
  return out;
}

bool reports_step(xyd::session &s, const std::string &enterprise, const xyd::paseto::secret_key &platform,
                  const std::string &html_path) {
  const std::string claims = R"({"iss":"national-platform","sub":")" + enterprise +
                             R"(","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":["tax","legal_rep","social"],)"
                             R"("purpose":["approval"]})";
  auto token = xyd::consent::issue(platform, claims, s.cat());
  xyd::report_request req;
  req.subject = enterprise;
  req.audience = "bank-001";
  req.purpose = "approval";
  req.role = "loan_officer";
  auto without = s.report(req);
  req.token = token ? *token : std::string();
  std::string with;
  auto html = s.report_html(req, &with);  // the page and its JSON from one report
  if (!without || !html) {
    std::cerr << "xyd-demo: " << (html ? without.error() : html.error()).message() << "\n";
    return false;
  }
  std::cout << "\n9. Credit report (信用报告) on the enterprise for bank-001, purpose approval, as a loan officer sees it:\n"
            << "   without consent: " << summarise(*xyd::json::parse(*without)) << "\n"
            << "   with consent:    " << summarise(*xyd::json::parse(with)) << "\n";
  std::ofstream out(html_path, std::ios::binary);
  if (out << *html) std::cout << "   the report as HTML (Chinese, self-contained): " << html_path << "\n";
  else std::cerr << "xyd-demo: cannot write " << html_path << "\n";
  return true;
}

// ---------------------------------------------------------------- 10: data verification

value claim(const char *id, const char *field, const char *op, const std::string &v) {
  value c = value::object();
  c.add("id", value::of_string(id));
  c.add("item_type", value::of_string(std::string(field) == "marital_status" ? "marital" : "property.owner"));
  c.add("field", value::of_string(field));
  c.add("op", value::of_string(op));
  c.add("value", value::of_string(v));
  return c;
}

void verification_step(xyd::session &s, const std::string &feed, const xyd::paseto::secret_key &platform) {
  std::string certificate, area;
  const std::string owner = first_with(feed, "property.owner", "certificate_no", &certificate, "area_m2", &area);
  if (owner.empty()) return;
  const std::string vclaims = R"({"iss":"national-platform","sub":")" + owner +
                              R"(","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":["property","marital"],)"
                              R"("purpose":["approval"],"mode":"verify"})";
  auto vtoken = xyd::consent::issue(platform, vclaims, s.cat());
  std::string fullwidth;  // the certificate number as a clerk might type it: full-width brackets
  for (char c : certificate) {
    if (c == '(') fullwidth += "\xEF\xBC\x88";
    else if (c == ')') fullwidth += "\xEF\xBC\x89";
    else fullwidth += c;
  }
  xyd::claims_check_request req;
  req.subject = owner;
  req.audience = "bank-001";
  req.purpose = "approval";
  req.token = vtoken ? *vtoken : std::string();
  req.claims = value::array();
  req.claims.push(claim("certificate", "certificate_no", "eq", fullwidth));
  req.claims.push(claim("area at least 50", "area_m2", "ge", "50"));
  req.claims.push(claim("area at least 10000", "area_m2", "ge", "10000"));
  req.claims.push(claim("married", "marital_status", "eq", "已婚"));
  auto answers = s.check_claims(req);
  std::cout << "\n10. Data verification (数据核验) for a property owner (area " << area << " m2), consent mode verify:";
  if (!answers) {
    std::cout << " " << answers.error().message() << "\n";
    return;
  }
  const auto parsed = xyd::json::parse(*answers);
  for (const auto &a : parsed->find("answers")->items)
    std::cout << "\n    " << a.find("id")->text << ": " << a.find("answer")->text;
  std::cout << "\n    (the certificate number was claimed with full-width brackets; the record itself never leaves)\n";
}

// ---------------------------------------------------------------- 11: the audit log

int audit_step(xyd::session &s) {
  xyd::paseto::secret_key institution;
  xyd::paseto::public_key institution_public;
  xyd::paseto::generate_key_pair(institution, institution_public);
  auto cp = s.audit_checkpoint(institution);
  auto verdict = s.audit_verify({institution_public});
  auto usage_stats = s.audit_stats();
  if (!cp || !verdict || !usage_stats) {
    std::cerr << "xyd-demo: the audit log could not be checked\n";
    return 2;
  }
  std::cout << "\n11. Audit log (全生命周期闭环): " << verdict->entries << " entries, hash chain "
            << (verdict->ok ? "intact" : "BROKEN") << ", " << verdict->checkpoints
            << " checkpoint signed with the institution's key; entries by action:";
  const auto by_action = xyd::json::parse(*usage_stats);
  for (const auto &[action, n] : by_action->find("actions")->members) std::cout << " " << action << " " << n.text;
  std::cout << "\n";
  return verdict->ok ? 0 : 1;
}

// ---------------------------------------------------------------- the walk-through

// Steps 5 to 11, on a session over a fresh store.
int store_steps(xyd::session &s, const std::string &feed, const std::string &html_path) {
  if (!ingest_and_repair(s, feed)) return 2;
  std::string enterprise;
  const auto subjects = xyd::json::parse(*s.subjects());
  for (const auto &v : subjects->items)
    if (v.text[0] == '9') {
      enterprise = v.text;
      break;
    }
  xyd::paseto::secret_key platform;
  xyd::paseto::public_key platform_public;
  xyd::paseto::generate_key_pair(platform, platform_public);
  xyd::trust_request trust;
  trust.public_paserk = xyd::paseto::paserk(platform_public);
  trust.issuer = "national-platform";
  if (auto kid = s.trust_key(trust); !kid) {
    std::cerr << "xyd-demo: " << kid.error().message() << "\n";
    return 2;
  }
  consent_steps(s, enterprise, platform);
  masking_step(s.cat());
  int rc = scores_step(s, enterprise) ? 0 : 2;
  if (!reports_step(s, enterprise, platform, html_path)) rc = 2;
  verification_step(s, feed, platform);
  const int audit = audit_step(s);
  return rc ? rc : audit;
}

int usage() {
  std::cerr << "usage: xyd-demo [--html FILE] [--extension FILE]...\n";
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  std::string html_path = "xyd-demo-report.html";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--html" || a == "--extension") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (a == "--html") {
        html_path = v;
        continue;
      }
      std::ifstream in(v, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (auto st = in ? xyd::load_extension(text.str()) : xyd::status(xyd::errc::io, "cannot read " + v); !st) {
        std::cerr << "xyd-demo: " << v << ": " << st.message() << "\n";
        return 2;
      }
    } else if (a == "--help" || a == "-h") {
      std::cout << "usage: xyd-demo [--html FILE] [--extension FILE]...\n"
                   "The whole flow on a small data set; the HTML report goes to FILE (default xyd-demo-report.html).\n";
      return 0;
    } else {
      return usage();
    }
  }
  auto cat = xyd::current_catalog();
  std::cout << "xyd " << XYD_VERSION_STRING << " demo — catalog " << cat->version() << ": " << cat->categories().size()
            << " categories, " << cat->item_types().size() << " item types\n\n";
  feed_info feed;
  if (!generate_and_validate(*cat, feed)) return 2;
  per_category(*cat, feed);

  // 5-11: into an encrypted store in a temporary folder, removed at the end.
  char dir[] = "/tmp/xyd-demo-XXXXXX";
  if (!::mkdtemp(dir)) {
    std::cerr << "xyd-demo: cannot make a temporary folder\n";
    return 2;
  }
  const std::string db = std::string(dir) + "/demo.db";
  int rc = feed.report.invalid ? 1 : 0;
  {
    xyd::session_options so;
    so.store.flags = xyd::store_flags::create;
    auto s = xyd::session::open(db, xyd::master_key::generate(), so);
    if (!s) {
      std::cerr << "xyd-demo: " << s.error().message() << "\n";
      rc = 2;
    } else if (int r = store_steps(**s, feed.text, html_path)) {
      rc = r;
    }
  }
  for (const char *suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  ::rmdir(dir);
  std::cout << "\nNext: xyd keygen --out k && xyd gen --subjects 1000 --seed 1 --out feed.jsonl && "
               "xyd ingest store.db feed.jsonl --create --key-file k && xyd score store.db --all --key-file k\n"
               "      xyd report store.db --subject S --audience BANK --purpose pre_loan [--token-file T] --html report.html --key-file k\n";
  return rc;
}
