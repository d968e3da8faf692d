// The xyd CLI: stateless commands — catalog, check, validate, gen, keygen,
// mask. None of them opens a store.
// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "../gen.hpp"
#include "common.hpp"
#include "xyd/catalog.hpp"
#include "xyd/ingest.hpp"
#include "xyd/json.hpp"
#include "xyd/mask.hpp"
#include "xyd/store.hpp"

namespace xyd::cli {

namespace {

// ---------------------------------------------------------------- catalog

struct catalog_opts {
  bool json = false, markdown = false;
};

int run_catalog(const catalog_opts &o) {
  auto cat = current_catalog();
  if (o.json) {
    std::cout << cat->to_json() << "\n";
    return exit_ok;
  }
  if (o.markdown) {
    std::cout << cat->to_markdown();
    return exit_ok;
  }
  std::cout << "catalog " << cat->version();
  for (const auto &e : cat->extensions()) std::cout << " + " << e;
  std::cout << ": " << cat->categories().size() << " categories, " << cat->item_types().size() << " item types\n";
  for (const auto &c : cat->categories()) {
    std::cout << "\n" << c.number << ". " << c.zh << " (" << c.en << ")\n";
    for (const auto &t : cat->item_types())
      if (t.category == c.number)
        std::cout << "   " << t.id << std::string(t.id.size() < 28 ? 28 - t.id.size() : 1, ' ') << channel_id(t.chan)
                  << (t.consent_required() ? " [consent]" : "") << "  " << t.zh << ", " << t.fields.size() << " fields\n";
  }
  return exit_ok;
}

void add_catalog(CLI::App &app, context &ctx) {
  auto o = std::make_shared<catalog_opts>();
  auto *c = app.add_subcommand("catalog", "the catalog in force (17 categories, 37 item types)");
  auto *j = c->add_flag("--json", o->json, "as JSON");
  auto *m = c->add_flag("--markdown", o->markdown, "as Markdown (docs/catalog.md)");
  j->excludes(m);
  on_run(c, ctx, o, run_catalog);
}

// ---------------------------------------------------------------- check

struct check_opts {
  std::string code;
};

void add_check(CLI::App &app, context &ctx) {
  auto *g = app.add_subcommand("check", "validate one identifier (exit 0 valid, 1 invalid: the reason on stderr)");
  g->require_subcommand(1);
  for (const char *kind : {"uscc", "rid"}) {
    const bool uscc = std::string(kind) == "uscc";
    auto o = std::make_shared<check_opts>();
    auto *c = g->add_subcommand(kind, uscc ? "a unified social credit identifier (统一社会信用代码)"
                                           : "a resident identity number (居民身份证号码)");
    c->add_option("CODE", o->code, "the identifier")->required();
    on_run(c, ctx, o, [uscc](const check_opts &x) {
      const status st = uscc ? check_uscc(x.code) : check_rid(x.code);
      if (st) {
        std::cout << "valid\n";
        return exit_ok;
      }
      std::cerr << "invalid: " << st.message() << "\n";  // the reason, never the code itself
      return exit_data;
    });
  }
}

// ---------------------------------------------------------------- validate

struct validate_opts {
  std::string path;
  bool json = false;
};

int run_validate(const validate_opts &o) {
  std::ifstream file;
  std::istream *in = &std::cin;
  if (o.path != "-") {
    file.open(o.path, std::ios::binary);
    if (!file) return say("cannot open " + o.path + ": " + std::strerror(errno));
    in = &file;
  }
  ingest::validation_report report;
  // Text output streams each problem as found; JSON keeps the first 1000.
  auto print = [&](const ingest::line_problem &p) {
    std::cout << o.path << ":" << p.line << ": " << p.what.path << ": " << p.what.message << " [" << p.what.code << "]\n";
  };
  auto st = o.json ? ingest::validate_feed(*current_catalog(), *in, report, 1000)
                   : ingest::validate_feed(*current_catalog(), *in, report, 0, print);
  if (!st) return say(o.path + ": " + st.message());
  if (o.json) std::cout << report.to_json() << "\n";
  else std::cout << report.records << " records: " << report.valid << " valid, " << report.invalid << " invalid\n";
  return report.invalid ? exit_data : exit_ok;
}

void add_validate(CLI::App &app, context &ctx) {
  auto o = std::make_shared<validate_opts>();
  auto *c = app.add_subcommand("validate", "validate a JSON Lines feed: every problem with its line and JSON path");
  c->add_option("FILE", o->path, "the feed ('-' reads stdin)")->required();
  c->add_flag("--json", o->json, "a report object instead of one line per problem");
  on_run(c, ctx, o, run_validate);
}

// ---------------------------------------------------------------- gen

struct gen_opts {
  gen::options g;
  std::string out, as_of;
};

int run_gen(gen_opts o) {
  if (!o.as_of.empty()) {
    auto d = parse_date(o.as_of);
    if (!d) return say("--as-of takes a date YYYY-MM-DD");
    o.g.as_of = *d;
  }
  FILE *out = stdout;
  if (!o.out.empty() && o.out != "-") {
    out = std::fopen(o.out.c_str(), "wb");
    if (!out) return say("cannot write " + o.out + ": " + std::strerror(errno));
  }
  bool write_failed = false;
  gen::generate(o.g, [&](std::string_view chunk) {
    if (std::fwrite(chunk.data(), 1, chunk.size(), out) != chunk.size()) write_failed = true;
  });
  if (std::fflush(out) != 0) write_failed = true;
  if (out != stdout && std::fclose(out) != 0) write_failed = true;
  if (write_failed) return say("writing " + (o.out.empty() ? std::string("stdout") : o.out) + " failed");
  return exit_ok;
}

void add_gen(CLI::App &app, context &ctx) {
  auto o = std::make_shared<gen_opts>();
  auto *c = app.add_subcommand("gen", "a deterministic synthetic feed covering every item type");
  c->add_option("--subjects", o->g.subjects, "how many subjects")->required()->check(CLI::Range(uint64_t{0}, uint64_t{100000000}));
  c->add_option("--seed", o->g.seed, "the seed (same seed, same bytes)");
  c->add_option("--out", o->out, "the output file (default: stdout)");
  c->add_option("--risky", o->g.risky_percent, "percent of subjects with adverse records (default 15)")->check(CLI::Range(0, 100));
  c->add_option("--as-of", o->as_of, "the feed's date YYYY-MM-DD (default 2024-06-30)");
  c->add_option("--months", o->g.months, "monthly snapshots per monthly item (1-24, default 24)")->check(CLI::Range(1, 24));
  on_run(c, ctx, o, run_gen);
}

// ---------------------------------------------------------------- keygen

struct keygen_opts {
  std::string out;
};

void add_keygen(CLI::App &app, context &ctx) {
  auto o = std::make_shared<keygen_opts>();
  auto *c = app.add_subcommand("keygen", "write a new master key file (mode 0600; refuses to overwrite)");
  c->add_option("--out", o->out, "the key file")->required();
  on_run(c, ctx, o, [](const keygen_opts &x) {
    if (auto st = master_key::generate().write_file(x.out); !st) return say(st.message());
    std::cerr << "xyd: wrote a new master key to " << x.out
              << " (mode 0600); keep it safe: without it the store cannot be read\n";
    return exit_ok;
  });
}

// ---------------------------------------------------------------- mask

struct mask_opts {
  std::string role, policy, pseudonym_key_file;
};

int run_mask(const mask_opts &o) {
  auto cat = current_catalog();
  mask::context ctx;
  std::optional<mask::policy> pol;
  if (!load_policy(o.policy, *cat, pol)) return exit_usage;
  if (!check_role(pol, o.role)) return exit_usage;
  if (pol) ctx.pol = &*pol;
  ctx.role = o.role;
  if (!o.pseudonym_key_file.empty()) {
    auto k = master_key::from_file(o.pseudonym_key_file);
    if (!k) return say(k.error().message());
    std::array<unsigned char, 32> bytes;
    std::memcpy(bytes.data(), k->data(), 32);
    ctx.pseudonym_key = bytes;
  }
  size_t bad = 0;
  std::string out;
  auto st = ingest::for_each_line(std::cin, [&](size_t line, std::string_view text) {
    auto doc = json::parse(text);
    status m = doc ? mask::mask_record(*doc, *cat, ctx) : doc.error();
    if (!m) {
      // A record that cannot be masked is not written: nothing leaves unmasked.
      std::cerr << "xyd: line " << line << ": " << m.message() << "\n";
      ++bad;
      return m.code() != errc::invalid_arg;
    }
    out.clear();
    json::dump_to(out, *doc);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    return true;
  });
  std::fflush(stdout);
  if (!st) return say(st.message());
  return bad ? exit_data : exit_ok;
}

void add_mask(CLI::App &app, context &ctx) {
  auto o = std::make_shared<mask_opts>();
  auto *c = app.add_subcommand("mask", "mask JSON Lines records from stdin to stdout for a role (docs/masking.md)");
  c->add_option("--role", o->role, "the masking view: loan_officer, external, regulator, or the policy's")->required();
  c->add_option("--policy", o->policy, "a masking policy file (default: the built-in policy)");
  c->add_option("--pseudonym-key-file", o->pseudonym_key_file, "the key for pseudonyms (a master key file)");
  on_run(c, ctx, o, run_mask);
}

}  // namespace

void add_catalog_cmds(CLI::App &app, context &ctx) {
  add_catalog(app, ctx);
  add_check(app, ctx);
  add_validate(app, ctx);
  add_gen(app, ctx);
  add_keygen(app, ctx);
  add_mask(app, ctx);
}

}  // namespace xyd::cli
