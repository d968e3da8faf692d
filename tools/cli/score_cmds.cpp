// The xyd CLI: scoring (docs/scoring.md) — score (a features file, or the
// store's subjects through xyd::session), features, and the model commands.
// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include "common.hpp"
#include "xyd/json.hpp"
#include "xyd/paseto.hpp"
#include "xyd/score.hpp"

namespace xyd::cli {

namespace {

// A model from a file (JSON or PMML), or the built-in one by its id.
result<std::shared_ptr<const score::model>> model_from_arg(const std::string &arg) {
  std::string text;
  if (!arg.empty() && arg != "-" && read_file(arg, text)) return score::load(text);
  auto builtin = score::default_model();
  if (arg.empty() || arg == builtin->id) return builtin;
  return status(errc::io, "cannot read model file " + arg);
}

// ---------------------------------------------------------------- score

struct score_opts {
  store_args store;
  std::string model, features, as_of, subject;
  bool all = false, no_write = false;
  unsigned threads = 0;
};

int score_features(const score_opts &o) {
  if (o.features.empty()) return say("score: give DB (--subject S | --all), or --features FILE");
  if (!o.subject.empty() || o.all || !o.as_of.empty() || o.threads || o.no_write)
    return say("score --features: --subject, --all, --as-of, --threads and --no-write need a store (score DB …)");
  auto m = model_from_arg(o.model);
  if (!m) return fail(m.error());
  std::string features;
  if (!read_file(o.features, features)) return say("cannot read " + o.features);
  auto r = score::score_json(**m, features);
  if (!r) return fail(r.error());
  std::cout << *r << "\n";
  return exit_ok;
}

int score_store(const score_opts &o) {
  if (!o.features.empty()) return say("score DB: --features scores a file without a store");
  if (o.all == !o.subject.empty()) return say("score DB: give --subject S or --all");
  score_request r;
  r.subject = o.subject;
  r.all = o.all;
  if (!o.model.empty()) r.options.model = o.model;
  r.options.threads = o.threads;
  r.options.write_back = !o.no_write;
  if (!parse_as_of(o.as_of, "--as-of", r.options.as_of)) return exit_usage;
  auto s = open_session(o.store, o.no_write ? access::read_only : access::write);
  if (!s) return exit_usage;
  if (!o.all) return print_json(s->score(r));
  // Every subject: one JSON line each as it is scored (the session's `each`),
  // the summary on stderr.
  auto answer = s->score(r, [](const std::string &line) { std::cout << line << "\n"; });
  if (!answer) return fail(answer.error());
  auto doc = json::parse(*answer);
  if (doc && doc->find("summary")) std::cerr << "xyd: scored " << json::dump(*doc->find("summary")) << "\n";
  return exit_ok;
}

void add_score(CLI::App &app, context &ctx) {
  auto o = std::make_shared<score_opts>();
  auto *c = app.add_subcommand("score", "score a features file (no store), or the store's subjects: one JSON line each");
  c->add_option("DB", o->store.db, "the store; without it, --features FILE is scored");
  c->add_option("--key-file", o->store.key_file, "the master key file (default: $XYD_KEY_FILE)");
  c->add_option("--model", o->model,
                "without DB: a JSON or PMML file, or xyd-public-2024 (the default); with DB: id or id@version in the store");
  c->add_option("--features", o->features, "a JSON object of feature values ('-' reads stdin)");
  c->add_option("--subject", o->subject, "one subject");
  c->add_flag("--all", o->all, "every subject of the store");
  c->add_option("--as-of", o->as_of, "the reference date YYYY-MM-DD (default: the newest record's)");
  c->add_option("--threads", o->threads, "1-256 (default: every core)")->check(CLI::Range(1u, 256u));
  c->add_flag("--no-write", o->no_write, "do not keep the results in the store (opens it read-only)");
  on_run(c, ctx, o, [](const score_opts &x) { return x.store.db.empty() ? score_features(x) : score_store(x); });
}

// ---------------------------------------------------------------- features

struct features_opts {
  store_args store;
  std::string subject, as_of;
};

void add_features(CLI::App &app, context &ctx) {
  auto o = std::make_shared<features_opts>();
  auto *c = app.add_subcommand("features", "a subject's features from the store (the feature catalog)");
  add_store_args(c, o->store);
  c->add_option("--subject", o->subject, "the subject")->required();
  c->add_option("--as-of", o->as_of, "the reference date YYYY-MM-DD");
  on_run(c, ctx, o, [](const features_opts &x) {
    std::optional<civil_date> as_of;
    if (!store_exists(x.store) || !parse_as_of(x.as_of, "--as-of", as_of)) return exit_usage;
    auto s = open_session(x.store, access::read_only);
    if (!s) return exit_usage;
    return print_json(s->features(x.subject, as_of));
  });
}

// ---------------------------------------------------------------- scores

void add_scores(CLI::App &app, context &ctx) {
  auto o = std::make_shared<features_opts>();
  auto *c = app.add_subcommand("scores", "a subject's scores kept in the store (JSON array, with each model hash)");
  add_store_args(c, o->store);
  c->add_option("--subject", o->subject, "the subject")->required();
  on_run(c, ctx, o, [](const features_opts &x) {
    auto s = open_session(x.store, access::read_only);
    if (!s) return exit_usage;
    return print_json(s->scores(x.subject));
  });
}

// ---------------------------------------------------------------- model, stateless

std::string model_info(const score::model &x) {
  std::string out = "{\"id\":";
  json::append_quoted(out, x.id);
  out += ",\"version\":";
  json::append_quoted(out, x.version);
  out += ",\"format\":\"" + x.source_format + "\",\"model_hash\":\"" + x.hash_hex() +
         "\",\"fields\":" + std::to_string(x.fields.size()) +
         ",\"characteristics\":" + std::to_string(x.characteristics.size()) +
         ",\"knockouts\":" + std::to_string(x.knockouts.size()) + ",\"reason_codes\":" + std::to_string(x.reason_codes.size()) +
         ",\"grades\":" + std::to_string(x.grades.size()) + "}";
  return out;
}

struct model_opts {
  store_args store;
  std::string model;
  secret_arg secret{secret_key_kind, {}, {}};
  secret_arg signature{signature_kind, {}, {}};
  std::string on_off;
};

void add_model_stateless(CLI::App *g, context &ctx) {
  for (const char *name : {"check", "canonical"}) {
    const bool canonical = std::string(name) == "canonical";
    auto o = std::make_shared<model_opts>();
    auto *c = g->add_subcommand(name, canonical ? "a model's canonical JSON (what its hash and signature cover)"
                                                : "load and check a model; a summary as JSON");
    c->add_option("MODEL", o->model, "a JSON or PMML file, or xyd-public-2024")->required();
    on_run(c, ctx, o, [canonical](const model_opts &x) {
      auto m = model_from_arg(x.model);
      if (!m) return fail(m.error());
      std::cout << (canonical ? (*m)->canonical_json() : model_info(**m)) << "\n";
      return exit_ok;
    });
  }
  auto o = std::make_shared<model_opts>();
  auto *c = g->add_subcommand("sign", "a signature token for a model (for stores that require signed models)");
  c->add_option("MODEL", o->model, "a JSON or PMML file")->required();
  add_secret(c, o->secret, "the signing secret key");
  on_run(c, ctx, o, [](const model_opts &x) {
    std::string secret;
    const wipe_on_exit wipe{secret};
    if (!read_secret(x.secret, true, secret)) return exit_usage;
    auto m = model_from_arg(x.model);
    if (!m) return fail(m.error());
    auto sk = paseto::parse_secret(secret);
    if (!sk) return say("--secret: " + sk.error().message());
    std::cout << score::sign_model(**m, *sk) << "\n";
    return exit_ok;
  });
  auto d = std::make_shared<model_opts>();
  c = g->add_subcommand("default", "the default scorecard xyd-public-2024 (JSON)");
  on_run(c, ctx, d, [](const model_opts &) {
    std::cout << score::default_model_json();
    return exit_ok;
  });
}

// ---------------------------------------------------------------- model, on a store

int run_model_add(const model_opts &o) {
  if (!store_exists(o.store)) return exit_usage;
  std::string signature;
  if (!read_secret(o.signature, false, signature)) return exit_usage;
  auto m = model_from_arg(o.model);
  if (!m) return fail(m.error());
  auto s = open_session(o.store, access::write);
  if (!s) return exit_usage;
  const status st = s->add_model(**m, signature.empty() ? std::nullopt : std::optional<std::string_view>(signature));
  if (!st) return fail(st);
  // The session answers with a status only: the CLI prints the model's identity.
  std::string out = "{\"id\":";
  json::append_quoted(out, (*m)->id);
  out += ",\"version\":";
  json::append_quoted(out, (*m)->version);
  std::cout << out << ",\"model_hash\":\"" << (*m)->hash_hex() << "\"}\n";
  return exit_ok;
}

void add_model_store(CLI::App *g, context &ctx) {
  auto a = std::make_shared<model_opts>();
  auto *c = g->add_subcommand("add", "keep a model in the store (then score DB --model id or id@version)");
  add_store_args(c, a->store);
  c->add_option("MODEL", a->model, "a JSON or PMML file")->required();
  add_secret(c, a->signature, "the model's signature (xyd model sign)");
  on_run(c, ctx, a, run_model_add);

  auto l = std::make_shared<model_opts>();
  c = g->add_subcommand("list", "the store's models (JSON)");
  add_store_args(c, l->store);
  on_run(c, ctx, l, [](const model_opts &x) {
    auto s = open_session(x.store, access::read_only);
    if (!s) return exit_usage;
    return print_json(s->models());
  });

  auto r = std::make_shared<model_opts>();
  c = g->add_subcommand("require-signed", "on: the store takes only models signed with a trusted key");
  add_store_args(c, r->store);
  c->add_option("SETTING", r->on_off, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  on_run(c, ctx, r, [](const model_opts &x) {
    auto s = open_session(x.store, access::write);
    if (!s) return exit_usage;
    const status st = s->require_signed_models(x.on_off == "on");
    return st ? exit_ok : fail(st);  // a status only: nothing on stdout
  });
}

}  // namespace

void add_score_cmds(CLI::App &app, context &ctx) {
  add_score(app, ctx);
  add_features(app, ctx);
  add_scores(app, ctx);
  auto *g = app.add_subcommand("model", "scorecard models: check, canonical, sign, default; add, list, require-signed on a store");
  g->require_subcommand(1);
  add_model_stateless(g, ctx);
  add_model_store(g, ctx);
}

}  // namespace xyd::cli
