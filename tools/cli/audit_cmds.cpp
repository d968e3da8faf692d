// The xyd CLI: the audit log (docs/audit.md) — verify, checkpoint, export,
// stats, through xyd::session. The actor is $XYD_ACTOR or $USER.
// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include "common.hpp"
#include "xyd/paseto.hpp"

namespace xyd::cli {

namespace {

struct audit_opts {
  store_args store;
  secret_arg key{public_key_kind, {}, {}};
};

int run_verify(const audit_opts &o) {
  if (!store_exists(o.store)) return exit_usage;
  std::string text;
  if (!read_secret(o.key, false, text)) return exit_usage;
  std::vector<paseto::public_key> keys;
  if (!text.empty()) {
    auto pk = paseto::parse_public(text);
    if (!pk) return say("--public: " + pk.error().message());
    keys.push_back(*pk);
  }
  auto s = open_session(o.store, access::read_only);
  if (!s) return exit_usage;
  auto v = s->audit_verify(keys);
  if (!v) return fail(v.error());
  std::cout << v->to_json() << "\n";
  if (!v->ok) return say("audit log broken at entry " + std::to_string(v->first_bad) + ": " + v->problem, exit_data);
  return exit_ok;
}

int run_checkpoint(const audit_opts &o) {
  if (!store_exists(o.store)) return exit_usage;
  std::string text;
  if (!read_secret(o.key, true, text)) return exit_usage;
  auto sk = paseto::parse_secret(text);
  if (!sk) return say("--secret: " + sk.error().message());
  auto s = open_session(o.store, access::write);
  if (!s) return exit_usage;
  return print_json(s->audit_checkpoint(*sk));
}

}  // namespace

void add_audit_cmds(CLI::App &app, context &ctx) {
  auto *g = app.add_subcommand("audit", "the audit log: a hash chain of every action (docs/audit.md)");
  g->require_subcommand(1);

  auto v = std::make_shared<audit_opts>();
  auto *c = g->add_subcommand("verify", "check the hash chain and the signed checkpoints; exit 1 naming the first bad entry");
  add_store_args(c, v->store);
  add_secret(c, v->key, "the institution's public key, to check the checkpoints' signatures");
  on_run(c, ctx, v, run_verify);

  auto k = std::make_shared<audit_opts>();
  k->key.kind = secret_key_kind;
  c = g->add_subcommand("checkpoint", "sign the chain's head with the institution's key");
  add_store_args(c, k->store);
  add_secret(c, k->key, "the institution's secret key");
  on_run(c, ctx, k, run_checkpoint);

  auto e = std::make_shared<audit_opts>();
  c = g->add_subcommand("export", "the log as JSON Lines for the regulator");
  add_store_args(c, e->store);
  on_run(c, ctx, e, [](const audit_opts &x) {
    auto s = open_session(x.store, access::read_only);
    if (!s) return exit_usage;
    const status st = s->audit_export([](const std::string &line) { std::cout << line << "\n"; });
    return st ? exit_ok : fail(st);
  });

  auto t = std::make_shared<audit_opts>();
  c = g->add_subcommand("stats", "released item types per month and purpose; refusals (JSON)");
  add_store_args(c, t->store);
  on_run(c, ctx, t, [](const audit_opts &x) {
    auto s = open_session(x.store, access::read_only);
    if (!s) return exit_usage;
    return print_json(s->audit_stats());
  });
}

}  // namespace xyd::cli
