// The xyd CLI: the audit log (docs/audit.md) — verify, checkpoint, export,
// stats, through xyd::session. The actor is $XYD_ACTOR or $USER.
// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <unistd.h>

#include "common.hpp"
#include "xyd/audit.hpp"
#include "xyd/json.hpp"
#include "xyd/paseto.hpp"

namespace xyd::cli {

namespace {

struct audit_opts {
  store_args store;
  secret_arg key{public_key_kind, {}, {}};
  std::vector<std::string> anchor_files;
  bool require_anchored = false;
  std::string anchor_out;
};

int run_verify(const audit_opts &o) {
  if (!store_exists(o.store)) return exit_usage;
  std::string text;
  if (!read_secret(o.key, false, text)) return exit_usage;
  audit::verify_options vo;
  vo.require_anchored = o.require_anchored;
  if (!text.empty()) {
    auto pk = paseto::parse_public(text);
    if (!pk) return say("--public: " + pk.error().message());
    vo.keys.push_back(*pk);
  }
  for (const auto &f : o.anchor_files) {
    std::string lines;
    if (!read_file(f, lines)) return say("--anchor: cannot read " + f);
    auto a = audit::parse_anchors(lines);
    if (!a) return say("--anchor " + f + ": " + a.error().message());
    vo.anchors.insert(vo.anchors.end(), a->begin(), a->end());
  }
  if ((!vo.anchors.empty() || vo.require_anchored) && vo.keys.empty())
    return say("--anchor and --require-anchored need the institution's key (--public or --public-file)");
  auto s = open_session(o.store, access::read_only);
  if (!s) return exit_usage;
  auto v = s->audit_verify(vo);
  if (!v) return fail(v.error());
  std::cout << v->to_json() << "\n";
  if (!v->ok) return say("audit log broken at entry " + std::to_string(v->first_bad) + ": " + v->problem, exit_data);
  if (v->keys == "store")
    say("warning: checkpoints checked with the store's own keyring only, which whoever can write the file can "
        "rewrite: not tamper evidence (give the institution's key: --public-file)");
  return exit_ok;
}

int run_checkpoint(const audit_opts &o) {
  if (!store_exists(o.store)) return exit_usage;
  std::string text;
  const wipe_on_exit wipe{text};
  if (!read_secret(o.key, true, text)) return exit_usage;
  auto sk = paseto::parse_secret(text);
  if (!sk) return say("--secret: " + sk.error().message());
  auto s = open_session(o.store, access::write);
  if (!s) return exit_usage;
  auto made = s->audit_checkpoint(*sk);
  if (!made) return fail(made.error());
  if (!o.anchor_out.empty()) {
    // Appended, one token a line; made 0600 when new.
    const int fd = ::open(o.anchor_out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const std::string token = std::string(json::find_member(*made, "token")->text) + "\n";
    if (fd < 0 || ::write(fd, token.data(), token.size()) != static_cast<ssize_t>(token.size()) || ::fsync(fd) != 0) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      std::cout << *made << "\n";
      return say("--anchor-out " + o.anchor_out + ": " + why + " (the checkpoint is in the store; file its token)");
    }
    ::close(fd);
  }
  std::cout << *made << "\n";
  return exit_ok;
}

}  // namespace

void add_audit_cmds(CLI::App &app, context &ctx) {
  auto *g = app.add_subcommand("audit", "the audit log: a hash chain of every action (docs/audit.md)");
  g->require_subcommand(1);

  auto v = std::make_shared<audit_opts>();
  auto *c = g->add_subcommand("verify", "check the hash chain and the signed checkpoints; exit 1 naming the first bad entry");
  add_store_args(c, v->store);
  add_secret(c, v->key, "the institution's public key, to check the checkpoints' signatures");
  c->add_option("--anchor", v->anchor_files,
                "a file of checkpoint tokens kept outside the store (xyd audit checkpoint --anchor-out); repeatable")
      ->check(CLI::ExistingFile);
  c->add_flag("--require-anchored", v->require_anchored, "fail when entries follow the last anchor");
  on_run(c, ctx, v, run_verify);

  auto k = std::make_shared<audit_opts>();
  k->key.kind = secret_key_kind;
  c = g->add_subcommand("checkpoint", "sign the chain's head with the institution's key");
  add_store_args(c, k->store);
  add_secret(c, k->key, "the institution's secret key");
  c->add_option("--anchor-out", k->anchor_out, "append the checkpoint's token to this file (the anchor to keep elsewhere)");
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
