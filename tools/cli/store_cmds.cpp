// The xyd CLI: store commands — init, ingest, records (the own view),
// release (to a bank), subjects, repair, purge, stats, rekey. Each goes
// through xyd::session and prints the JSON the session returns.
// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

#include "common.hpp"
#include "xyd/json.hpp"

namespace xyd::cli {

namespace {

// ---------------------------------------------------------------- init

void add_init(CLI::App &app, context &ctx) {
  auto o = std::make_shared<store_args>();
  auto *c = app.add_subcommand("init", "create an empty store (refuses an existing path)");
  add_store_args(c, *o);
  on_run(c, ctx, o, [](const store_args &a) {
    if (file_exists(a.db)) return say(a.db + ": exists already; init creates a new store only");
    auto s = open_session(a, access::create);
    if (!s) return exit_usage;
    std::string out = "{\"created\":";
    json::append_quoted(out, a.db);
    std::cout << out << "}\n";
    return exit_ok;
  });
}

// ---------------------------------------------------------------- ingest

struct ingest_opts {
  store_args store;
  std::string file;
  bool skip_invalid = false, create = false;
};

// Progress on a terminal only, for files big enough to wait for.
void add_progress(ingest::options &opt, const std::string &file) {
  struct stat sb {};
  const bool is_file = file != "-" && ::stat(file.c_str(), &sb) == 0;
  const uint64_t total = is_file ? static_cast<uint64_t>(sb.st_size) : 0;
  if (!::isatty(STDERR_FILENO) || (is_file && total <= (8u << 20))) return;
  const auto t0 = std::chrono::steady_clock::now();
  opt.progress = [t0, total](uint64_t bytes, uint64_t records) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double rate = secs > 0 ? static_cast<double>(records) / secs : 0.0;
    char line[160];
    if (total)
      std::snprintf(line, sizeof line, "\rxyd: %llu records, %.0f records/s, %.1f%% of the file",
                    static_cast<unsigned long long>(records), rate, 100.0 * static_cast<double>(bytes) / static_cast<double>(total));
    else
      std::snprintf(line, sizeof line, "\rxyd: %llu records, %.0f records/s", static_cast<unsigned long long>(records), rate);
    std::cerr << line << std::flush;
  };
}

int run_ingest(const ingest_opts &o) {
  if (o.file != "-" && !file_exists(o.file)) return say("cannot open " + o.file + ": no such file");
  auto s = open_session(o.store, o.create ? access::create : access::write);
  if (!s) return exit_usage;
  ingest::options opt;
  opt.skip_invalid = o.skip_invalid;
  add_progress(opt, o.file);
  const bool progress = static_cast<bool>(opt.progress);
  ingest::summary sum;
  status st;
  if (o.file == "-") {
    opt.source_name = "stdin";
    st = s->ingest(std::cin, opt, sum);
  } else {
    st = s->ingest_file(o.file, opt, sum);
  }
  if (progress) std::cerr << "\n";
  if (st || st.code() == errc::validation) std::cout << sum.to_json() << "\n";
  if (!st) return say(o.file + ": " + st.message(), st.code() == errc::validation ? exit_data : exit_usage);
  return sum.total.rejected ? exit_data : exit_ok;
}

void add_ingest(CLI::App &app, context &ctx) {
  auto o = std::make_shared<ingest_opts>();
  auto *c = app.add_subcommand("ingest", "ingest a JSON Lines feed (atomic: all or nothing); prints the summary");
  add_store_args(c, o->store);
  c->add_option("FILE", o->file, "the feed ('-' reads stdin)")->required();
  c->add_flag("--create", o->create, "create the store when DB does not exist");
  c->add_flag("--skip-invalid", o->skip_invalid, "store the valid lines, list the rejected ones");
  on_run(c, ctx, o, run_ingest);
}

// ---------------------------------------------------------------- records and release

struct query_opts {
  record_query q;
};

void add_query_options(CLI::App *c, record_query &q) {
  c->add_option("SUBJECT", q.subject, "the subject (USCC or resident id number)")->required();
  c->add_option("--type", q.item_type, "one item type only");
  c->add_option("--category", q.category, "one category only (1-99)")->check(CLI::Range(1, 99));
  c->add_flag("--history", q.history, "superseded and withdrawn records too");
}

struct records_opts {
  store_args store;
  record_query q;
};

void add_records(CLI::App &app, context &ctx) {
  auto o = std::make_shared<records_opts>();
  auto *c = app.add_subcommand("records", "the institution's own view of a subject's records (unmasked, JSON)");
  add_store_args(c, o->store);
  add_query_options(c, o->q);
  c->footer("A release to a bank (consent, masking) is `xyd release`.");
  on_run(c, ctx, o, [](const records_opts &x) {
    auto s = open_session(x.store, access::read_only);
    if (!s) return exit_usage;
    return print_json(s->own_records(x.q));
  });
}

struct release_opts {
  store_args store;
  release_request r;
  secret_arg token{token_kind, {}, {}};
  std::string policy;
};

int run_release(release_opts o) {
  if (!store_exists(o.store)) return exit_usage;
  if (!read_secret(o.token, false, o.r.token)) return exit_usage;
  if (!o.r.token.empty() && o.r.purpose.empty()) return say("release: a token needs --purpose");
  auto s = open_session(o.store, access::write);  // releases are logged
  if (!s) return exit_usage;
  if (!load_policy(o.policy, s->cat(), o.r.policy) || !check_role(o.r.policy, o.r.role)) return exit_usage;
  return print_json(s->release(o.r));
}

void add_release(CLI::App &app, context &ctx) {
  auto o = std::make_shared<release_opts>();
  auto *c = app.add_subcommand("release", "release a subject's records to a bank: consented data as is, the rest masked "
                                          "for the role; logged");
  add_store_args(c, o->store);
  add_query_options(c, o->r.query);
  c->add_option("--audience", o->r.audience, "the institution the records are released to")->required();
  c->add_option("--purpose", o->r.purpose, "the purpose (pre_loan, approval, post_loan, …)");
  add_secret(c, o->token, "the subject's consent token");
  c->add_option("--role", o->r.role, "the masking view (default external)");
  c->add_option("--policy", o->policy, "a masking policy file");
  on_run(c, ctx, o, run_release);
}

// ---------------------------------------------------------------- subjects, stats

void add_read(CLI::App &app, context &ctx, const char *name, const char *help,
              result<std::string> (session::*call)()) {
  auto o = std::make_shared<store_args>();
  auto *c = app.add_subcommand(name, help);
  add_store_args(c, *o);
  on_run(c, ctx, o, [call](const store_args &a) {
    auto s = open_session(a, access::read_only);
    if (!s) return exit_usage;
    return print_json(((*s).*call)());
  });
}

// ---------------------------------------------------------------- repair

struct repair_opts {
  store_args store;
  repair_request r;
  bool withdraw = false, repair = false;
};

int run_repair(repair_opts o) {
  if (o.withdraw) o.r.action = "withdraw";
  if (o.repair) o.r.action = "repair";
  if (o.r.date.empty()) o.r.date = format_date(today_cn());
  auto s = open_session(o.store, access::write);
  if (!s) return exit_usage;
  if (auto st = s->repair(o.r); !st) return fail(st);
  // The session answers with a status only: the CLI prints the new state.
  std::cout << "{\"id\":" << o.r.id << ",\"state\":\"" << (o.r.action == "withdraw" ? "withdrawn" : "repaired") << "\"}\n";
  return exit_ok;
}

void add_repair(CLI::App &app, context &ctx) {
  auto o = std::make_shared<repair_opts>();
  o->r.action = "repair";
  auto *c = app.add_subcommand("repair", "credit repair (信用修复, the default) or withdrawal (撤销) of one record");
  add_store_args(c, o->store);
  c->add_option("--id", o->r.id, "the record's id")->required()->check(CLI::NonNegativeNumber);
  c->add_option("--reason", o->r.reason, "why")->required();
  c->add_option("--operator", o->r.operator_name, "who decided")->required();
  c->add_option("--date", o->r.date, "the decision's date YYYY-MM-DD (default today)");
  auto *w = c->add_flag("--withdraw", o->withdraw, "withdraw the record");
  auto *r = c->add_flag("--repair", o->repair, "mark the record repaired (the default)");
  auto *a = c->add_option("--action", o->r.action, "withdraw or repair")->check(CLI::IsMember({"withdraw", "repair"}));
  w->excludes(r);
  a->excludes(w)->excludes(r);
  on_run(c, ctx, o, run_repair);
}

// ---------------------------------------------------------------- purge, rekey

struct purge_opts {
  store_args store;
  std::string before;
};

void add_purge(CLI::App &app, context &ctx) {
  auto o = std::make_shared<purge_opts>();
  auto *c = app.add_subcommand("purge", "retention: delete records older than the cut-off and expired releases");
  add_store_args(c, o->store);
  c->add_option("--before", o->before, "the cut-off YYYY-MM-DD")->required();
  on_run(c, ctx, o, [](const purge_opts &x) {
    auto s = open_session(x.store, access::write);
    if (!s) return exit_usage;
    return print_json(s->purge(x.before));
  });
}

struct rekey_opts {
  store_args store;
  std::string new_key_file;
};

int run_rekey(const rekey_opts &o) {
  if (!store_exists(o.store)) return exit_usage;
  auto next = master_key::from_file(o.new_key_file);
  if (!next) return say(next.error().message());
  auto s = open_session(o.store, access::write);
  if (!s) return exit_usage;
  if (auto st = s->rekey(*next); !st) return say(st.message());
  // The session answers with a status only: a sentence on stderr, nothing on stdout.
  std::cerr << "xyd: re-encrypted " << o.store.db << " under the new key; the old key no longer opens it\n";
  return exit_ok;
}

void add_rekey(CLI::App &app, context &ctx) {
  auto o = std::make_shared<rekey_opts>();
  auto *c = app.add_subcommand("rekey", "re-encrypt everything under a new master key");
  add_store_args(c, o->store);
  c->add_option("--new-key-file,--new-key", o->new_key_file, "the new key file (xyd keygen)")->required();
  on_run(c, ctx, o, run_rekey);
}

}  // namespace

void add_store_cmds(CLI::App &app, context &ctx) {
  add_init(app, ctx);
  add_ingest(app, ctx);
  add_records(app, ctx);
  add_release(app, ctx);
  add_read(app, ctx, "subjects", "every subject of the store (JSON array)", &session::subjects);
  add_repair(app, ctx);
  add_purge(app, ctx);
  add_read(app, ctx, "stats", "counts as JSON", &session::stats);
  add_rekey(app, ctx);
}

}  // namespace xyd::cli
