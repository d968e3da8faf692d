// The xyd command-line tool, on CLI11. Thin: every command that touches a
// store is a call of xyd::session (the door the C ABI uses too), every
// other one a module function. The commands live in one file per group
// (common.hpp lists them); this file holds the application, the global
// options, `demo` (which runs build/xyd-demo) and the exit statuses.
// Exit status: 0 ok, 1 invalid data / refused consent / broken audit chain,
// 2 usage or I/O error.
// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <climits>
#include <cstring>
#include <iostream>
#include <regex>
#include <string>
#include <unistd.h>
#include <vector>

#include "common.hpp"
#include "xyd.h"
#include "xyd/catalog.hpp"

namespace {

using namespace xyd::cli;

// Error messages never carry a token, a key or an id number, even when the
// user put one where an option name was expected.
std::string redact(std::string text) {
  static const std::regex secret(R"((v4\.public\.|k4\.secret\.|k4\.public\.|k4\.local\.)[A-Za-z0-9_\-.]*)");
  static const std::regex id_number(R"(\b[0-9]{17}[0-9Xx]\b|\b[0-9]{15}\b)");
  text = std::regex_replace(text, secret, "$1…");
  return std::regex_replace(text, id_number, "<id number>");
}

std::string failure(const CLI::App *app, const CLI::Error &e) {
  return "xyd: " + redact(CLI::FailureMessage::simple(app, e));
}

// ---------------------------------------------------------------- demo

struct demo_opts {
  std::string html;
  bool html_given = false;
  std::vector<std::string> extensions;
};

// The demo is its own program, examples/demo.cpp, built beside xyd.
int run_demo(const demo_opts &o) {
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return say("cannot find the running xyd (/proc/self/exe)");
  std::string dir(self, static_cast<size_t>(n));
  dir.erase(dir.rfind('/') + 1);
  const std::string demo = dir + "xyd-demo";
  std::vector<std::string> args = {demo};
  for (const auto &e : o.extensions) args.insert(args.end(), {"--extension", e});
  if (o.html_given) args.insert(args.end(), {"--html", o.html});
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  ::execv(demo.c_str(), argv.data());
  return say("cannot run " + demo + ": " + std::strerror(errno) + " (cmake --build build --target xyd-demo builds it)");
}

void add_demo(CLI::App &app, context &ctx, const std::vector<std::string> &extensions) {
  auto o = std::make_shared<demo_opts>();
  auto *c = app.add_subcommand("demo", "the whole flow on a small data set (runs xyd-demo): generate, validate, ingest, "
                                       "consent, masking, scores, reports, verification, the audit chain");
  auto *h = c->add_option("--html", o->html, "where the demo report goes (default xyd-demo-report.html)");
  c->callback([&ctx, o, h, &extensions] {
    o->html_given = h->count() > 0;
    o->extensions = extensions;
    ctx.run = [o] { return run_demo(*o); };
  });
}

// ---------------------------------------------------------------- the application

constexpr const char *footer =
    "Store commands take the store DB first and the master key from --key-file FILE or $XYD_KEY_FILE; only "
    "`init` and `ingest --create` create a store. Tokens and keys: --token T / --token-file F, --secret KEY / "
    "--secret-file F, --public KEY / --public-file F ('-' reads stdin). Each command's options: xyd COMMAND --help.\n"
    "Exit status: 0 ok, 1 invalid data / refused consent / broken audit chain, 2 usage or I/O error.";

int print_version() {
  std::cout << "xyd " << xyd_version_string() << " (catalog " << xyd::current_catalog()->version() << ")\n";
  return exit_ok;
}

int load_extensions(const std::vector<std::string> &files) {
  for (const auto &f : files) {
    std::string text;
    if (!read_file(f, text)) return say("cannot read " + f);
    if (auto st = xyd::load_extension(text); !st) return say(f + ": " + st.message());
  }
  return exit_ok;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"xyd: the credit-information core (信易贷) — catalog, feeds, encrypted store, consent, masking, scoring, "
               "reports, audit log.",
               "xyd"};
  app.fallthrough();  // --extension anywhere on the line: subcommands inherit this
  app.failure_message(failure);
  app.require_subcommand(0, 1);
  app.footer(footer);
  std::vector<std::string> extensions;
  app.add_option("--extension", extensions, "load a provincial catalog extension first (repeatable, anywhere)")
      ->allow_extra_args(false);
  bool version = false;
  app.add_flag("--version", version, "print the library and catalog versions");

  context ctx;
  add_catalog_cmds(app, ctx);
  add_store_cmds(app, ctx);
  add_consent_cmds(app, ctx);
  add_score_cmds(app, ctx);
  add_report_cmds(app, ctx);
  add_audit_cmds(app, ctx);
  add_demo(app, ctx, extensions);
  app.add_subcommand("version", "print the library and catalog versions")->callback([&ctx] { ctx.run = print_version; });
  app.add_subcommand("help", "this list")->callback([&ctx, &app] {
    ctx.run = [&app] {
      std::cout << app.help();
      return exit_ok;
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  if (int rc = load_extensions(extensions)) return rc;
  if (version && !ctx.run) return print_version();
  if (!ctx.run) {
    std::cerr << app.help() << "\nxyd: no command\n";
    return exit_usage;
  }
  return ctx.run();
}
