// The xyd CLI: credit reports (信用报告) and data verification (数据核验,
// check-claims), through xyd::session (docs/report.md).
// SPDX-License-Identifier: Apache-2.0
#include <fstream>
#include <iostream>

#include "common.hpp"
#include "xyd/json.hpp"

namespace xyd::cli {

namespace {

struct report_opts {
  store_args store;
  report_request r;
  secret_arg token{token_kind, {}, {}};
  std::string policy, html;
};

int run_report(report_opts o) {
  if (!store_exists(o.store)) return exit_usage;
  if (!read_secret(o.token, false, o.r.token)) return exit_usage;
  auto s = open_session(o.store, access::write);  // releases and the audit log are written
  if (!s) return exit_usage;
  if (!load_policy(o.policy, s->cat(), o.r.policy) || !check_role(o.r.policy, o.r.role)) return exit_usage;
  if (o.html.empty()) return print_json(s->report(o.r));
  // The page and the JSON from the same report (report_html's json_out is
  // what report() returns).
  std::string json_text;
  auto html = s->report_html(o.r, &json_text);
  if (!html) return fail(html.error());
  std::ofstream f(o.html, std::ios::binary);
  if (!(f << *html)) return say("cannot write " + o.html);
  std::cout << json_text << "\n";
  return exit_ok;
}

void add_report(CLI::App &app, context &ctx) {
  auto o = std::make_shared<report_opts>();
  auto *c = app.add_subcommand("report", "a credit report (JSON on stdout); without a token the consent-gated sections "
                                         "are omitted with their reason");
  add_store_args(c, o->store);
  c->add_option("--subject", o->r.subject, "the subject")->required();
  c->add_option("--audience", o->r.audience, "the institution the report is for")->required();
  c->add_option("--purpose", o->r.purpose, "the purpose (pre_loan, approval, post_loan, …)")->required();
  add_secret(c, o->token, "the subject's consent token");
  c->add_option("--role", o->r.role, "the masking view (default external)");
  c->add_option("--policy", o->policy, "a masking policy file");
  c->add_option("--model", o->r.model, "the scorecard: id or id@version (default xyd-public-2024)");
  c->add_option("--html", o->html, "also write the report as a self-contained HTML page");
  on_run(c, ctx, o, run_report);
}

struct claims_opts {
  store_args store;
  claims_check_request r;
  secret_arg token{token_kind, {}, {}};
  std::string claims_file;
};

int run_check_claims(claims_opts o) {
  if (!store_exists(o.store)) return exit_usage;
  if (!read_secret(o.token, true, o.r.token)) return exit_usage;
  std::string claims;
  if (!read_file(o.claims_file, claims)) return say("--claims: cannot read " + o.claims_file);
  auto cj = json::parse(claims);
  if (!cj) return say(o.claims_file + ": " + cj.error().message(), exit_data);
  o.r.claims = std::move(*cj);
  auto s = open_session(o.store, access::write);  // logged
  if (!s) return exit_usage;
  return print_json(s->check_claims(o.r));
}

void add_check_claims(CLI::App &app, context &ctx) {
  auto o = std::make_shared<claims_opts>();
  auto *c = app.add_subcommand("check-claims", "data verification (数据核验): match / no_match / no_data per claim, "
                                               "never the record (a consent with mode verify)");
  add_store_args(c, o->store);
  c->add_option("--subject", o->r.subject, "the subject")->required();
  c->add_option("--audience", o->r.audience, "the institution asking")->required();
  c->add_option("--purpose", o->r.purpose, "the purpose")->required();
  add_secret(c, o->token, "the subject's consent token (mode verify)");
  c->add_option("--claims", o->claims_file, "the claims: a JSON array (docs/report.md; '-' reads stdin)")->required();
  on_run(c, ctx, o, run_check_claims);
}

}  // namespace

void add_report_cmds(CLI::App &app, context &ctx) {
  add_report(app, ctx);
  add_check_claims(app, ctx);
}

}  // namespace xyd::cli
