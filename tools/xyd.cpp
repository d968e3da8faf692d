// The xyd command-line tool. Thin: every command is a library call.
// Exit status: 0 success, 1 the data was bad (invalid code, invalid
// records), 2 usage or I/O error.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "gen.hpp"
#include "xyd.h"
#include "xyd/audit.hpp"
#include "xyd/catalog.hpp"
#include "xyd/consent.hpp"
#include "xyd/ingest.hpp"
#include "xyd/mask.hpp"
#include "xyd/report.hpp"
#include "xyd/score.hpp"
#include "xyd/store.hpp"

#include <chrono>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr const char *usage_text =
    "usage: xyd <command> [options]\n"
    "\n"
    "commands:\n"
    "  --version                     print the library version\n"
    "  catalog [--json|--markdown]   the catalog in force (17 categories, 37 item types)\n"
    "  check uscc CODE               validate a unified social credit identifier\n"
    "  check rid CODE                validate a resident identity number\n"
    "  validate FILE.jsonl [--json]  validate a JSON Lines feed ('-' reads stdin)\n"
    "  gen --subjects N --seed S [--out FILE] [--risky PCT] [--as-of YYYY-MM-DD] [--months 1-24]\n"
    "                                deterministic synthetic feed for all item types\n"
    "  demo [--html FILE]            the whole flow on a small data set: generate, validate, ingest, consent,\n"
    "                                masking, scores, reports (HTML to FILE, default xyd-demo-report.html),\n"
    "                                verification, the audit chain\n"
    "\n"
    "store commands (the key from --key-file FILE or $XYD_KEY_FILE):\n"
    "  keygen --out FILE             write a new master key file (mode 0600)\n"
    "  ingest DB FILE [--skip-invalid]   ingest a JSON Lines feed ('-' reads stdin); prints the summary\n"
    "  records DB SUBJECT [--type T] [--category N] [--history]\n"
    "  subjects DB                   every subject of the store\n"
    "  repair DB --id N --reason R --operator O [--date D] [--withdraw|--repair]\n"
    "  purge DB --before YYYY-MM-DD  delete records older than the cut-off\n"
    "  stats DB                      counts as JSON\n"
    "  rekey DB --new-key-file FILE  re-encrypt everything under a new key\n"
    "  records DB SUBJECT --audience BANK [--purpose P --token T] [--role R] [--policy FILE]\n"
    "                                release to a bank: consented data as is, the rest masked for role R\n"
    "  mask --audience A [--policy FILE] [--pseudonym-key-file F]\n"
    "                                mask JSON Lines records from stdin to stdout (loan_officer, external, regulator)\n"
    "\n"
    "consent commands (KEY: a PASERK string or a file holding one; docs/consent.md):\n"
    "  consent keygen --out PREFIX   write PREFIX.secret and PREFIX.public (PASERK)\n"
    "  consent issue --secret KEY --claims FILE     print a signed consent token\n"
    "  consent verify --public KEY --token TOKEN    print the claims, or exit 1 naming the failed check\n"
    "  consent trust DB --public KEY [--issuer NAME] [--retired-from T]\n"
    "  consent retire DB --kid KID --from T         a trusted key is used for nothing from T on\n"
    "  consent keys DB                              the keyring\n"
    "  consent revoke DB --jti JTI | --subject S --audience BANK\n"
    "  consent check DB --token T --subject S --audience BANK --purpose P\n"
    "  consent trust DB --public KEY --use model    trust a key to sign scorecard models\n"
    "\n"
    "scoring commands (docs/scoring.md; MODEL: a JSON or PMML file, or xyd-public-2024):\n"
    "  score --model MODEL --features FILE          score a JSON object of feature values ('-' reads stdin)\n"
    "  score DB --subject S | --all [--model REF] [--as-of D] [--threads N] [--no-write]\n"
    "                                one JSON line per subject; results kept in the store unless --no-write\n"
    "  features DB --subject S [--as-of D]          the subject's features (the feature catalog)\n"
    "  model check|canonical MODEL                  load and check a model; its canonical JSON\n"
    "  model sign MODEL --secret KEY                a signature token for the model\n"
    "  model add DB MODEL [--signature TOKEN]       keep a model in the store (REF: id or id@version)\n"
    "  model list DB | model require-signed DB on|off | model default\n"
    "\n"
    "reports and verification (docs/report.md):\n"
    "  report DB --subject S --audience BANK --purpose P [--token T] [--role R] [--policy FILE] [--html FILE]\n"
    "                                a credit report (JSON on stdout); without a token the consent-gated\n"
    "                                sections are omitted with their reason\n"
    "  verify DB --subject S --audience BANK --purpose P --token T --claims FILE\n"
    "                                match / no_match / no_data per claim (a consent with mode verify)\n"
    "\n"
    "audit commands (docs/audit.md; the actor is $XYD_ACTOR or $USER):\n"
    "  audit verify DB [--public KEY]   check the hash chain and the signed checkpoints;\n"
    "                                exit 0 intact, 1 naming the first bad entry\n"
    "  audit checkpoint DB --secret KEY sign the chain's head with the institution's key\n"
    "  audit export DB                  the log as JSON Lines for the regulator\n"
    "  audit stats DB                   released item types per month and purpose; refusals\n"
    "\n"
    "options for every command:\n"
    "  --extension FILE              load a provincial catalog extension first (repeatable)\n"
    "\n"
    "exit status: 0 ok, 1 invalid data, 2 usage or I/O error\n";

int usage(const std::string &why) {
  std::cerr << "xyd: " << why << "\n\n" << usage_text;
  return 2;
}

bool read_file(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool parse_uint(const std::string &s, uint64_t &out) {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

int cmd_catalog(const std::vector<std::string> &args) {
  auto cat = xyd::current_catalog();
  if (args.empty()) {
    std::cout << "catalog " << cat->version();
    for (const auto &e : cat->extensions()) std::cout << " + " << e;
    std::cout << ": " << cat->categories().size() << " categories, " << cat->item_types().size() << " item types\n";
    for (const auto &c : cat->categories()) {
      std::cout << "\n" << c.number << ". " << c.zh << " (" << c.en << ")\n";
      for (const auto &t : cat->item_types())
        if (t.category == c.number)
          std::cout << "   " << t.id << std::string(t.id.size() < 28 ? 28 - t.id.size() : 1, ' ') << xyd::channel_id(t.chan)
                    << (t.consent_required() ? " [consent]" : "") << "  " << t.zh << ", " << t.fields.size() << " fields\n";
    }
    return 0;
  }
  if (args.size() == 1 && args[0] == "--json") {
    std::cout << cat->to_json() << "\n";
    return 0;
  }
  if (args.size() == 1 && args[0] == "--markdown") {
    std::cout << cat->to_markdown();
    return 0;
  }
  return usage("catalog takes --json or --markdown");
}

int cmd_check(const std::vector<std::string> &args) {
  if (args.size() != 2 || (args[0] != "uscc" && args[0] != "rid")) return usage("check uscc CODE | check rid CODE");
  const int rc = args[0] == "uscc" ? xyd_validate_uscc(args[1].c_str()) : xyd_validate_rid(args[1].c_str());
  if (rc == XYD_OK) {
    std::cout << "valid\n";
    return 0;
  }
  std::cerr << "invalid: " << xyd_errmsg() << "\n";
  return 1;
}

int cmd_validate(const std::vector<std::string> &args) {
  std::string path;
  bool as_json = false;
  for (const auto &a : args) {
    if (a == "--json") as_json = true;
    else if (path.empty()) path = a;
    else return usage("validate takes one file");
  }
  if (path.empty()) return usage("validate needs a file (or - for stdin)");
  std::ifstream file;
  std::istream *in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      std::cerr << "xyd: cannot open " << path << ": " << std::strerror(errno) << "\n";
      return 2;
    }
    in = &file;
  }
  xyd::ingest::validation_report report;
  // Text output streams each problem as found; JSON keeps the first 1000.
  auto print = [&](const xyd::ingest::line_problem &p) {
    std::cout << path << ":" << p.line << ": " << p.what.path << ": " << p.what.message << " [" << p.what.code << "]\n";
  };
  auto st = as_json ? xyd::ingest::validate_feed(*xyd::current_catalog(), *in, report, 1000)
                    : xyd::ingest::validate_feed(*xyd::current_catalog(), *in, report, 0, print);
  if (!st) {
    std::cerr << "xyd: " << path << ": " << st.message() << "\n";
    return 2;
  }
  if (as_json) std::cout << report.to_json() << "\n";
  else std::cout << report.records << " records: " << report.valid << " valid, " << report.invalid << " invalid\n";
  return report.invalid ? 1 : 0;
}

int cmd_gen(const std::vector<std::string> &args) {
  xyd::gen::options opt;
  std::string out_path;
  bool have_subjects = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    auto next = [&]() -> const std::string * { return i + 1 < args.size() ? &args[++i] : nullptr; };
    const std::string *v = nullptr;
    uint64_t n = 0;
    if (a == "--subjects" && (v = next()) && parse_uint(*v, n) && n <= 100000000) {
      opt.subjects = n;
      have_subjects = true;
    } else if (a == "--seed" && (v = next()) && parse_uint(*v, n)) {
      opt.seed = n;
    } else if (a == "--risky" && (v = next()) && parse_uint(*v, n) && n <= 100) {
      opt.risky_percent = static_cast<int>(n);
    } else if (a == "--months" && (v = next()) && parse_uint(*v, n) && n >= 1 && n <= 24) {
      opt.months = static_cast<int>(n);
    } else if (a == "--out" && (v = next())) {
      out_path = *v;
    } else if (a == "--as-of" && (v = next()) && xyd::parse_date(*v)) {
      opt.as_of = *xyd::parse_date(*v);
    } else {
      return usage("gen: bad or incomplete option " + a);
    }
  }
  if (!have_subjects) return usage("gen needs --subjects N");
  FILE *out = stdout;
  if (!out_path.empty() && out_path != "-") {
    out = std::fopen(out_path.c_str(), "wb");
    if (!out) {
      std::cerr << "xyd: cannot write " << out_path << ": " << std::strerror(errno) << "\n";
      return 2;
    }
  }
  bool write_failed = false;
  xyd::gen::generate(opt, [&](std::string_view chunk) {
    if (std::fwrite(chunk.data(), 1, chunk.size(), out) != chunk.size()) write_failed = true;
  });
  if (std::fflush(out) != 0) write_failed = true;
  if (out != stdout && std::fclose(out) != 0) write_failed = true;
  if (write_failed) {
    std::cerr << "xyd: writing " << (out_path.empty() ? "stdout" : out_path) << " failed\n";
    return 2;
  }
  return 0;
}


// ---------------------------------------------------------------- store commands

struct store_args {
  std::string db;
  std::vector<std::string> rest;
  std::string key_file;
};

// Splits "DB [args…] --key-file F" (the key file may also come from $XYD_KEY_FILE).
bool split_store_args(const std::vector<std::string> &args, store_args &out, std::string &why) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--key-file") {
      if (i + 1 >= args.size()) {
        why = "--key-file needs a file";
        return false;
      }
      out.key_file = args[++i];
    } else if (out.db.empty()) {
      out.db = args[i];
    } else {
      out.rest.push_back(args[i]);
    }
  }
  if (out.key_file.empty())
    if (const char *env = std::getenv("XYD_KEY_FILE")) out.key_file = env;
  if (out.db.empty()) why = "a database path is required";
  else if (out.key_file.empty()) why = "a key is required: --key-file FILE or XYD_KEY_FILE";
  return why.empty();
}

std::unique_ptr<xyd::store> open_store(const store_args &a, bool create, bool read_only = false) {
  auto key = xyd::master_key::from_file(a.key_file);
  if (!key) {
    std::cerr << "xyd: " << key.error().message() << "\n";
    return nullptr;
  }
  xyd::store_options opt;
  opt.flags = (create ? xyd::store_flags::create : 0) | (read_only ? xyd::store_flags::read_only : 0);
  auto st = xyd::store::open(a.db, *key, opt);
  if (!st) {
    std::cerr << "xyd: " << st.error().message() << "\n";
    return nullptr;
  }
  return std::move(st).value();
}

// Prints a JSON answer, or the error; the exit status.
int print_result(const xyd::result<std::string> &r) {
  if (!r) {
    std::cerr << "xyd: " << r.error().message() << "\n";
    return 2;
  }
  std::cout << *r << "\n";
  return 0;
}

int cmd_keygen(const std::vector<std::string> &args) {
  if (args.size() != 2 || args[0] != "--out") return usage("keygen --out FILE");
  if (auto st = xyd::master_key::generate().write_file(args[1]); !st) {
    std::cerr << "xyd: " << st.message() << "\n";
    return 2;
  }
  std::cerr << "xyd: wrote a new master key to " << args[1] << " (mode 0600); keep it safe: without it the store cannot be read\n";
  return 0;
}

int cmd_ingest(const std::vector<std::string> &args) {
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why)) return usage("ingest: " + why);
  bool skip = false;
  std::string file;
  for (const auto &r : a.rest) {
    if (r == "--skip-invalid") skip = true;
    else if (file.empty()) file = r;
    else return usage("ingest DB FILE [--skip-invalid]");
  }
  if (file.empty()) return usage("ingest DB FILE [--skip-invalid]");
  auto store = open_store(a, true);
  if (!store) return 2;
  xyd::ingest::options opt;
  opt.skip_invalid = skip;
  // Progress on a terminal only, for files big enough to wait for.
  struct stat sb{};
  const bool is_file = file != "-" && ::stat(file.c_str(), &sb) == 0;
  const uint64_t total = is_file ? static_cast<uint64_t>(sb.st_size) : 0;
  const auto t0 = std::chrono::steady_clock::now();
  bool shown = false;
  if (::isatty(STDERR_FILENO) && (total > (8u << 20) || !is_file)) {
    opt.progress = [&](uint64_t bytes, uint64_t records) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char line[160];
      if (total)
        std::snprintf(line, sizeof line, "\rxyd: %llu records, %.0f records/s, %.1f%% of the file",
                      static_cast<unsigned long long>(records), secs > 0 ? records / secs : 0.0, 100.0 * bytes / total);
      else
        std::snprintf(line, sizeof line, "\rxyd: %llu records, %.0f records/s", static_cast<unsigned long long>(records),
                      secs > 0 ? records / secs : 0.0);
      std::cerr << line << std::flush;
      shown = true;
    };
  }
  xyd::ingest::summary sum;
  xyd::status st;
  if (file == "-") {
    opt.source_name = "stdin";
    st = xyd::ingest::ingest(*store, std::cin, opt, sum);
  } else {
    st = xyd::ingest::ingest_file(*store, file, opt, sum);
  }
  if (shown) std::cerr << "\n";
  if (st || st.code() == xyd::errc::validation) std::cout << sum.to_json() << "\n";
  if (!st) {
    std::cerr << "xyd: " << file << ": " << st.message() << "\n";
    return st.code() == xyd::errc::validation ? 1 : 2;
  }
  return sum.total.rejected ? 1 : 0;
}

// Reads a masking policy file (none when `file` is empty); false after
// saying why on stderr.
bool load_policy(const std::string &file, std::optional<xyd::mask::policy> &out) {
  if (file.empty()) return true;
  std::string text;
  if (!read_file(file, text)) {
    std::cerr << "xyd: cannot read " << file << "\n";
    return false;
  }
  auto p = xyd::mask::policy::from_json(text, *xyd::current_catalog());
  if (!p) {
    std::cerr << "xyd: " << file << ": " << p.error().message() << "\n";
    return false;
  }
  out = std::move(*p);
  return true;
}

// A PASERK or a token given on the command line, or a file holding one.
std::string inline_or_file(const std::string &arg) {
  if (arg.rfind("k4.", 0) == 0 || arg.rfind("v4.", 0) == 0) return arg;
  std::string text;
  if (!read_file(arg, text)) return arg;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

int cmd_records(const std::vector<std::string> &args) {
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why)) return usage("records: " + why);
  xyd::record_query q;
  std::string audience, purpose, token, role = "external", policy_file;
  for (size_t i = 0; i < a.rest.size(); ++i) {
    const std::string &r = a.rest[i];
    uint64_t n = 0;
    if (r == "--audience" && i + 1 < a.rest.size()) audience = a.rest[++i];
    else if (r == "--purpose" && i + 1 < a.rest.size()) purpose = a.rest[++i];
    else if (r == "--token" && i + 1 < a.rest.size()) token = inline_or_file(a.rest[++i]);
    else if (r == "--role" && i + 1 < a.rest.size()) role = a.rest[++i];
    else if (r == "--policy" && i + 1 < a.rest.size()) policy_file = a.rest[++i];
    else if (r == "--history") q.history = true;
    else if (r == "--type" && i + 1 < a.rest.size()) q.item_type = a.rest[++i];
    else if (r == "--category" && i + 1 < a.rest.size() && parse_uint(a.rest[i + 1], n)) q.category = static_cast<int>(n), ++i;
    else if (q.subject.empty()) q.subject = r;
    else return usage("records DB SUBJECT [--type T] [--category N] [--history]");
  }
  if (q.subject.empty()) return usage("records DB SUBJECT");
  if (audience.empty() && (!token.empty() || !purpose.empty())) return usage("records: --token and --purpose need --audience");
  if (!token.empty() && purpose.empty()) return usage("records: --token needs --purpose");
  auto store = open_store(a, false, audience.empty());
  if (!store) return 2;
  if (audience.empty()) return print_result(store->records(q));
  xyd::consent::release_request req{q, audience, purpose, token, 0, {}};
  std::optional<xyd::mask::policy> pol;
  if (!load_policy(policy_file, pol)) return 2;
  if (pol) req.masking.pol = &*pol;
  req.masking.role = role;
  if (!req.masking.pol->has_role(role)) return usage("records: unknown role '" + role + "' (loan_officer, external, regulator)");
  xyd::consent::verifier v(*store);
  auto served = xyd::consent::serve(*store, *xyd::current_catalog(), v, req);
  xyd::result<std::string> r = served ? xyd::result<std::string>(std::string()) : xyd::result<std::string>(served.error());
  if (served) xyd::append_records_json(*r, served->data(), served->size(), xyd::record_shape::released);
  if (!r && r.error().code() == xyd::errc::consent) {
    std::cerr << "xyd: " << r.error().message() << "\n";
    return 1;
  }
  return print_result(r);
}

int cmd_subjects(const std::vector<std::string> &args) {
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why) || !a.rest.empty()) return usage("subjects DB");
  auto store = open_store(a, false, true);
  if (!store) return 2;
  return print_result(store->subjects());
}

int cmd_repair(const std::vector<std::string> &args) {
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why)) return usage("repair: " + why);
  xyd::repair_request r;
  r.action = "repair";
  r.date = xyd::format_date(xyd::today_cn());
  for (size_t i = 0; i < a.rest.size(); ++i) {
    const std::string &o = a.rest[i];
    uint64_t n = 0;
    auto next = [&]() -> const std::string * { return i + 1 < a.rest.size() ? &a.rest[++i] : nullptr; };
    const std::string *v = nullptr;
    if (o == "--withdraw") r.action = "withdraw";
    else if (o == "--repair") r.action = "repair";
    else if (o == "--action" && (v = next()) && (*v == "withdraw" || *v == "repair")) r.action = *v;
    else if (o == "--id" && (v = next()) && parse_uint(*v, n)) r.id = static_cast<int64_t>(n);
    else if (o == "--reason" && (v = next())) r.reason = *v;
    else if (o == "--operator" && (v = next())) r.operator_name = *v;
    else if (o == "--date" && (v = next())) r.date = *v;
    else return usage("repair DB --id N --reason R --operator O [--date D] [--withdraw|--repair]");
  }
  auto store = open_store(a, false);
  if (!store) return 2;
  if (auto st = store->repair(r); !st) {
    std::cerr << "xyd: " << st.message() << "\n";
    return st.code() == xyd::errc::invalid_arg ? 2 : 1;
  }
  std::cout << "{\"id\":" << r.id << ",\"state\":\"" << (r.action == "withdraw" ? "withdrawn" : "repaired") << "\"}\n";
  return 0;
}

int cmd_purge(const std::vector<std::string> &args) {
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why)) return usage("purge: " + why);
  if (a.rest.size() != 2 || a.rest[0] != "--before") return usage("purge DB --before YYYY-MM-DD");
  auto store = open_store(a, false);
  if (!store) return 2;
  return print_result(store->purge(a.rest[1]));
}

int cmd_stats(const std::vector<std::string> &args) {
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why) || !a.rest.empty()) return usage("stats DB");
  auto store = open_store(a, false, true);
  if (!store) return 2;
  return print_result(store->stats());
}

int cmd_rekey(const std::vector<std::string> &args) {
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why)) return usage("rekey: " + why);
  if (a.rest.size() != 2 || (a.rest[0] != "--new-key-file" && a.rest[0] != "--new-key"))
    return usage("rekey DB --new-key-file FILE");
  auto next = xyd::master_key::from_file(a.rest[1]);
  if (!next) {
    std::cerr << "xyd: " << next.error().message() << "\n";
    return 2;
  }
  auto store = open_store(a, false);
  if (!store) return 2;
  if (auto st = store->rekey(*next); !st) {
    std::cerr << "xyd: " << st.message() << "\n";
    return 2;
  }
  std::cerr << "xyd: re-encrypted " << a.db << " under the new key; the old key no longer opens it\n";
  return 0;
}

int cmd_consent(const std::vector<std::string> &args) {
  if (args.empty()) return usage("consent keygen|issue|verify|trust|retire|keys|revoke|check");
  const std::string sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  auto option = [&](const char *name) -> std::string {
    for (size_t i = 0; i + 1 < rest.size(); ++i)
      if (rest[i] == name) return rest[i + 1];
    return {};
  };
  if (sub == "keygen") {
    const std::string prefix = option("--out");
    if (prefix.empty()) return usage("consent keygen --out PREFIX");
    xyd::paseto::secret_key sk;
    xyd::paseto::public_key pk;
    xyd::paseto::generate_key_pair(sk, pk);
    const std::string secret = xyd::paseto::paserk_secret(sk) + "\n";
    const int fd = ::open((prefix + ".secret").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, secret.data(), secret.size()) != static_cast<ssize_t>(secret.size())) {
      std::cerr << "xyd: cannot create " << prefix << ".secret: " << std::strerror(errno) << "\n";
      if (fd >= 0) ::close(fd);
      return 2;
    }
    ::close(fd);
    std::ofstream(prefix + ".public") << xyd::paseto::paserk(pk) << "\n";
    std::cerr << "xyd: wrote " << prefix << ".secret (mode 0600) and " << prefix << ".public; key id "
              << xyd::paseto::pid(pk) << "\n";
    return 0;
  }
  if (sub == "issue") {
    const std::string secret = inline_or_file(option("--secret")), claims_file = option("--claims");
    if (secret.empty() || claims_file.empty()) return usage("consent issue --secret KEY --claims FILE");
    std::string claims;
    if (!read_file(claims_file, claims)) {
      std::cerr << "xyd: cannot read " << claims_file << "\n";
      return 2;
    }
    auto sk = xyd::paseto::parse_secret(secret);
    if (!sk) {
      std::cerr << "xyd: --secret: " << sk.error().message() << "\n";
      return 2;
    }
    auto token = xyd::consent::issue(*sk, claims, *xyd::current_catalog());
    if (!token) {
      std::cerr << "xyd: " << token.error().message() << "\n";
      return 1;
    }
    std::cout << *token << "\n";
    return 0;
  }
  if (sub == "verify") {
    const std::string pub = inline_or_file(option("--public")), token = inline_or_file(option("--token"));
    if (pub.empty() || token.empty()) return usage("consent verify --public KEY --token TOKEN");
    auto pk = xyd::paseto::parse_public(pub);
    if (!pk) {
      std::cerr << "xyd: --public: " << pk.error().message() << "\n";
      return 2;
    }
    const auto d = xyd::consent::verifier::verify_with(*pk, token, 0);
    if (!d.ok()) {
      std::cerr << "xyd: consent refused: " << xyd::consent::reason_id(d.refused) << ": " << d.detail << "\n";
      return 1;
    }
    std::cout << d.granted->json << "\n";
    return 0;
  }
  // The rest work on a store.
  store_args a;
  std::string why;
  if (!split_store_args(rest, a, why)) return usage("consent " + sub + ": " + why);
  auto opt = [&](const char *name) -> std::string {
    for (size_t i = 0; i + 1 < a.rest.size(); ++i)
      if (a.rest[i] == name) return a.rest[i + 1];
    return {};
  };
  auto store = open_store(a, sub != "keys" && sub != "check", sub == "keys" || sub == "check");
  if (!store) return 2;
  auto done = [](const xyd::status &st) {
    if (st) return 0;
    std::cerr << "xyd: " << st.message() << "\n";
    return st.code() == xyd::errc::invalid_arg ? 2 : 1;
  };
  if (sub == "trust") {
    // The key by --public, or as the one positional argument.
    std::string key_arg = opt("--public");
    if (key_arg.empty())
      for (size_t i = 0; i < a.rest.size(); ++i) {
        if (a.rest[i].rfind("--", 0) == 0) {
          ++i;
          continue;
        }
        key_arg = a.rest[i];
      }
    auto pk = xyd::paseto::parse_public(inline_or_file(key_arg));
    if (!pk) return usage("consent trust DB --public KEY [--issuer NAME] [--retired-from T] [--use consent|model]");
    xyd::store::trusted_key k{xyd::paseto::pid(*pk), xyd::paseto::paserk(*pk), opt("--issuer"), std::nullopt,
                              opt("--use").empty() ? "consent" : opt("--use")};
    if (!opt("--retired-from").empty()) {
      k.retired_from = xyd::parse_rfc3339(opt("--retired-from"));
      if (!k.retired_from) return usage("--retired-from takes an RFC 3339 date-time");
    }
    const int rc = done(store->trust_key(k));
    if (!rc) std::cout << "{\"kid\":\"" << k.kid << "\"}\n";
    return rc;
  }
  if (sub == "retire") {
    auto from = xyd::parse_rfc3339(opt("--from"));
    if (opt("--kid").empty() || !from) return usage("consent retire DB --kid KID --from RFC3339");
    return done(store->retire_key(opt("--kid"), *from));
  }
  if (sub == "keys") return print_result(store->keys());
  if (sub == "revoke") {
    if (!opt("--jti").empty()) return done(store->revoke_token(opt("--jti"), xyd::now_unix()));
    if (!opt("--subject").empty() && !opt("--audience").empty())
      return done(store->revoke_grant(opt("--subject"), opt("--audience"), xyd::now_unix()));
    return usage("consent revoke DB --jti JTI | --subject S --audience BANK");
  }
  if (sub == "check") {
    xyd::consent::request r{inline_or_file(opt("--token")), opt("--subject"), opt("--audience"), opt("--purpose"), 0};
    if (r.token.empty() || r.subject.empty() || r.audience.empty() || r.purpose.empty())
      return usage("consent check DB --token T --subject S --audience BANK --purpose P");
    xyd::consent::verifier v(*store);
    const auto d = v.check(r);
    std::cout << d.to_json() << "\n";
    if (!d.ok()) std::cerr << "xyd: consent refused: " << xyd::consent::reason_id(d.refused) << ": " << d.detail << "\n";
    return d.ok() ? 0 : 1;
  }
  return usage("unknown consent command '" + sub + "'");
}

// ---------------------------------------------------------------- scoring

// A model from a file (JSON or PMML), or the built-in one by its id.
xyd::result<std::shared_ptr<const xyd::score::model>> model_from_arg(const std::string &arg) {
  std::string text;
  if (read_file(arg, text)) return xyd::score::load(text);
  auto builtin = xyd::score::default_model();
  if (arg.empty() || arg == builtin->id) return builtin;
  return xyd::status(xyd::errc::io, "cannot read model file " + arg);
}

int fail_with(const xyd::status &st) {
  std::cerr << "xyd: " << st.message() << "\n";
  return st.code() == xyd::errc::io || st.code() == xyd::errc::invalid_arg ? 2 : 1;
}

std::optional<xyd::civil_date> as_of_option(const std::string &text, bool &ok) {
  ok = true;
  if (text.empty()) return std::nullopt;
  auto d = xyd::parse_date(text);
  ok = d.has_value();
  return d;
}

int cmd_score(const std::vector<std::string> &args) {
  const bool no_store = args.empty() || args[0].rfind("--", 0) == 0;
  if (no_store) {
    std::string model_arg, features_arg;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--model" && i + 1 < args.size()) model_arg = args[++i];
      else if (args[i] == "--features" && i + 1 < args.size()) features_arg = args[++i];
      else return usage("score --model MODEL --features FILE: unexpected '" + args[i] + "'");
    }
    if (features_arg.empty()) return usage("score --model MODEL --features FILE");
    auto m = model_from_arg(model_arg);
    if (!m) return fail_with(m.error());
    std::string features;
    if (features_arg == "-") {
      std::ostringstream ss;
      ss << std::cin.rdbuf();
      features = ss.str();
    } else if (!read_file(features_arg, features)) {
      std::cerr << "xyd: cannot read " << features_arg << "\n";
      return 2;
    }
    auto r = xyd::score::score_json(**m, features);
    if (!r) return fail_with(r.error());
    std::cout << *r << "\n";
    return 0;
  }
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why)) return usage("score: " + why);
  xyd::score::batch_options o;
  std::string subject, threads;
  bool all = false, ok = true;
  for (size_t i = 0; i < a.rest.size(); ++i) {
    const std::string &x = a.rest[i];
    const bool has = i + 1 < a.rest.size();
    if (x == "--subject" && has) subject = a.rest[++i];
    else if (x == "--all") all = true;
    else if (x == "--model" && has) o.model = a.rest[++i];
    else if (x == "--as-of" && has) o.as_of = as_of_option(a.rest[++i], ok);
    else if (x == "--threads" && has) threads = a.rest[++i];
    else if (x == "--no-write") o.write_back = false;
    else return usage("score DB --subject S | --all: unexpected '" + x + "'");
  }
  if (!ok) return usage("--as-of takes YYYY-MM-DD");
  if (!threads.empty()) {
    uint64_t n = 0;
    if (!parse_uint(threads, n) || n == 0 || n > 256) return usage("--threads takes 1..256");
    o.threads = static_cast<unsigned>(n);
  }
  if (all == !subject.empty()) return usage("score DB --subject S | --all");
  auto store = open_store(a, false, !o.write_back);
  if (!store) return 2;
  if (!all) {
    auto r = xyd::score::score_subject(*store, subject, o);
    if (!r) return fail_with(r.error());
    std::cout << *r << "\n";
    return 0;
  }
  auto summary = xyd::score::score_all(*store, o, [](const std::string &line) { std::cout << line << "\n"; });
  if (!summary) return fail_with(summary.error());
  std::cerr << "xyd: scored " << *summary << "\n";
  return 0;
}

int cmd_features(const std::vector<std::string> &args) {
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why)) return usage("features: " + why);
  std::string subject;
  std::optional<xyd::civil_date> as_of;
  bool ok = true;
  for (size_t i = 0; i < a.rest.size(); ++i) {
    if (a.rest[i] == "--subject" && i + 1 < a.rest.size()) subject = a.rest[++i];
    else if (a.rest[i] == "--as-of" && i + 1 < a.rest.size()) as_of = as_of_option(a.rest[++i], ok);
    else return usage("features DB --subject S [--as-of D]");
  }
  if (subject.empty() || !ok) return usage("features DB --subject S [--as-of D]");
  auto store = open_store(a, false, true);
  if (!store) return 2;
  xyd::record_query q;
  q.subject = subject;
  q.history = true;
  auto records = store->records(q);
  if (!records) return fail_with(records.error());
  if (*records == "[]") return fail_with({xyd::errc::not_found, "the store holds no records of this subject"});
  return print_result(xyd::score::features_from_records(*records, as_of));
}

int cmd_model(const std::vector<std::string> &args) {
  if (args.empty()) return usage("model check|canonical|sign|add|list|require-signed|default");
  const std::string sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "default") {
    std::cout << xyd::score::default_model_json();
    return 0;
  }
  if (sub == "check" || sub == "canonical" || sub == "sign") {
    if (rest.empty()) return usage("model " + sub + " MODEL");
    auto m = model_from_arg(rest[0]);
    if (!m) return fail_with(m.error());
    if (sub == "canonical") {
      std::cout << (*m)->canonical_json() << "\n";
      return 0;
    }
    if (sub == "sign") {
      if (rest.size() != 3 || rest[1] != "--secret") return usage("model sign MODEL --secret KEY");
      auto sk = xyd::paseto::parse_secret(inline_or_file(rest[2]));
      if (!sk) return usage("--secret: " + sk.error().message());
      std::cout << xyd::score::sign_model(**m, *sk) << "\n";
      return 0;
    }
    const auto &x = **m;
    std::string out = "{\"id\":";
    xyd::json::append_quoted(out, x.id);
    out += ",\"version\":";
    xyd::json::append_quoted(out, x.version);
    out += ",\"format\":\"" + x.source_format + "\",\"model_hash\":\"" + x.hash_hex() +
           "\",\"fields\":" + std::to_string(x.fields.size()) +
           ",\"characteristics\":" + std::to_string(x.characteristics.size()) +
           ",\"knockouts\":" + std::to_string(x.knockouts.size()) + ",\"reason_codes\":" + std::to_string(x.reason_codes.size()) +
           ",\"grades\":" + std::to_string(x.grades.size()) + "}";
    std::cout << out << "\n";
    return 0;
  }
  store_args a;
  std::string why;
  if (!split_store_args(rest, a, why)) return usage("model " + sub + ": " + why);
  auto store = open_store(a, false, sub == "list");
  if (!store) return 2;
  if (sub == "list") return print_result(store->models());
  if (sub == "require-signed") {
    if (a.rest.size() != 1 || (a.rest[0] != "on" && a.rest[0] != "off")) return usage("model require-signed DB on|off");
    const xyd::status st = store->set_setting("require_signed_models", a.rest[0] == "on" ? "1" : "0");
    return st ? 0 : fail_with(st);
  }
  if (sub == "add") {
    if (a.rest.empty()) return usage("model add DB MODEL [--signature TOKEN]");
    std::string signature;
    for (size_t i = 1; i < a.rest.size(); ++i) {
      if (a.rest[i] == "--signature" && i + 1 < a.rest.size()) signature = inline_or_file(a.rest[++i]);
      else return usage("model add DB MODEL [--signature TOKEN]");
    }
    auto m = model_from_arg(a.rest[0]);
    if (!m) return fail_with(m.error());
    const xyd::status st = xyd::score::add_model(*store, **m, signature.empty() ? std::nullopt : std::optional<std::string_view>(signature));
    if (!st) return fail_with(st);
    std::cout << "{\"id\":\"" << (*m)->id << "\",\"version\":\"" << (*m)->version << "\",\"model_hash\":\"" << (*m)->hash_hex()
              << "\"}\n";
    return 0;
  }
  return usage("unknown model command '" + sub + "'");
}

int cmd_report(const std::vector<std::string> &args, bool verification) {
  const char *use = verification ? "verify DB --subject S --audience BANK --purpose P --token T --claims FILE"
                                 : "report DB --subject S --audience BANK --purpose P [--token T] [--role R] [--policy FILE] [--html FILE]";
  store_args a;
  std::string why;
  if (!split_store_args(args, a, why)) return usage(std::string(verification ? "verify: " : "report: ") + why);
  std::map<std::string, std::string> o;
  for (size_t i = 0; i < a.rest.size(); ++i) {
    static const std::set<std::string> known = {"--subject", "--audience", "--purpose", "--token", "--role", "--policy", "--html", "--claims"};
    if (!known.count(a.rest[i]) || i + 1 >= a.rest.size()) return usage(use);
    o[a.rest[i]] = a.rest[i + 1];
    ++i;
  }
  if (o["--subject"].empty() || o["--audience"].empty() || o["--purpose"].empty()) return usage(use);
  auto store = open_store(a, false);  // releases and the audit log are written
  if (!store) return 2;
  xyd::consent::verifier v(*store);
  if (verification) {
    std::string claims;
    if (o["--claims"].empty() || o["--token"].empty()) return usage(use);
    if (!read_file(o["--claims"], claims)) {
      std::cerr << "xyd: cannot read " << o["--claims"] << "\n";
      return 2;
    }
    auto cj = xyd::json::parse(claims);
    if (!cj) return fail_with(cj.error());
    auto r = xyd::report::check_claims(*store, *xyd::current_catalog(), v, {o["--subject"], o["--audience"], o["--purpose"], inline_or_file(o["--token"]), 0, std::move(*cj)});
    if (!r) return fail_with(r.error());
    std::cout << *r << "\n";
    return 0;
  }
  xyd::report::request req;
  req.subject = o["--subject"];
  req.audience = o["--audience"];
  req.purpose = o["--purpose"];
  if (!o["--token"].empty()) req.token = inline_or_file(o["--token"]);
  std::optional<xyd::mask::policy> pol;
  if (!load_policy(o["--policy"], pol)) return 2;
  if (pol) req.masking.pol = &*pol;
  if (!o["--role"].empty()) req.masking.role = o["--role"];
  if (!req.masking.pol->has_role(req.masking.role)) return usage("report: unknown role '" + req.masking.role + "'");
  auto rv = xyd::report::build(*store, *xyd::current_catalog(), v, req);
  if (!rv) return fail_with(rv.error());
  xyd::result<std::string> r = xyd::json::dump(*rv);
  if (!o["--html"].empty()) {
    auto html = xyd::report::render_html(*rv, *xyd::current_catalog());
    if (!html) return fail_with(html.error());
    std::ofstream f(o["--html"], std::ios::binary);
    if (!(f << *html)) {
      std::cerr << "xyd: cannot write " << o["--html"] << "\n";
      return 2;
    }
  }
  std::cout << *r << "\n";
  return 0;
}

int cmd_audit(const std::vector<std::string> &args) {
  if (args.empty()) return usage("audit verify|checkpoint|export|stats DB");
  const std::string sub = args[0];
  store_args a;
  std::string why;
  if (!split_store_args(std::vector<std::string>(args.begin() + 1, args.end()), a, why)) return usage("audit " + sub + ": " + why);
  auto opt = [&](const char *name) -> std::string {
    for (size_t i = 0; i + 1 < a.rest.size(); ++i)
      if (a.rest[i] == name) return a.rest[i + 1];
    return {};
  };
  auto store = open_store(a, false, sub != "checkpoint");
  if (!store) return 2;
  if (sub == "verify") {
    std::vector<xyd::paseto::public_key> keys;
    if (!opt("--public").empty()) {
      auto pk = xyd::paseto::parse_public(inline_or_file(opt("--public")));
      if (!pk) return usage("audit verify: --public: " + pk.error().message());
      keys.push_back(*pk);
    }
    auto v = xyd::audit::verify(*store, keys);
    if (!v) return fail_with(v.error());
    std::cout << v->to_json() << "\n";
    if (!v->ok) {
      std::cerr << "xyd: audit log broken at entry " << v->first_bad << ": " << v->problem << "\n";
      return 1;
    }
    return 0;
  }
  if (sub == "checkpoint") {
    auto sk = xyd::paseto::parse_secret(inline_or_file(opt("--secret")));
    if (!sk) return usage("audit checkpoint DB --secret KEY");
    return print_result(xyd::audit::checkpoint(*store, *sk));
  }
  if (sub == "export") {
    const xyd::status st = xyd::audit::export_jsonl(*store, [](const std::string &line) { std::cout << line << "\n"; });
    return st ? 0 : fail_with(st);
  }
  if (sub == "stats") return print_result(xyd::audit::stats(*store));
  return usage("unknown audit command '" + sub + "'");
}

int cmd_mask(const std::vector<std::string> &args) {
  std::string audience, policy_file, key_file;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--audience" && i + 1 < args.size()) audience = args[++i];
    else if (args[i] == "--policy" && i + 1 < args.size()) policy_file = args[++i];
    else if (args[i] == "--pseudonym-key-file" && i + 1 < args.size()) key_file = args[++i];
    else return usage("mask --audience A [--policy FILE] [--pseudonym-key-file F]");
  }
  if (audience.empty()) return usage("mask needs --audience (loan_officer, external, regulator)");
  xyd::mask::context ctx;
  std::optional<xyd::mask::policy> pol;
  if (!load_policy(policy_file, pol)) return 2;
  if (pol) ctx.pol = &*pol;
  ctx.role = audience;
  if (!ctx.pol->has_role(audience)) return usage("mask: unknown audience '" + audience + "'");
  if (!key_file.empty()) {
    auto k = xyd::master_key::from_file(key_file);
    if (!k) {
      std::cerr << "xyd: " << k.error().message() << "\n";
      return 2;
    }
    std::array<unsigned char, 32> bytes;
    std::memcpy(bytes.data(), k->data(), 32);
    ctx.pseudonym_key = bytes;
  }
  auto cat = xyd::current_catalog();
  size_t bad = 0;
  std::string out;
  auto st = xyd::ingest::for_each_line(std::cin, [&](size_t line, std::string_view text) {
    auto doc = xyd::json::parse(text);
    xyd::status m = doc ? xyd::mask::mask_record(*doc, *cat, ctx) : doc.error();
    if (!m) {
      // A record that cannot be masked is not written: nothing leaves unmasked.
      std::cerr << "xyd: line " << line << ": " << m.message() << "\n";
      ++bad;
      return m.code() != xyd::errc::invalid_arg;
    }
    out.clear();
    xyd::json::dump_to(out, *doc);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    return true;
  });
  std::fflush(stdout);
  if (!st) {
    std::cerr << "xyd: " << st.message() << "\n";
    return 2;
  }
  return bad ? 1 : 0;
}

int cmd_demo(const std::string &html_path) {
  auto cat = xyd::current_catalog();
  std::cout << "xyd " << xyd_version_string() << " demo — catalog " << cat->version() << ": "
            << cat->categories().size() << " categories, " << cat->item_types().size() << " item types\n\n";
  xyd::gen::options opt;
  opt.subjects = 300;
  opt.seed = 2024;
  std::string feed;
  const auto n = xyd::gen::generate(opt, [&](std::string_view chunk) { feed.append(chunk); });
  std::cout << "1. Generated a synthetic monthly feed: " << opt.subjects << " subjects (seed " << opt.seed << "), " << n
            << " records, " << feed.size() / 1024 << " KiB of JSON Lines.\n";

  std::istringstream in(feed);
  xyd::ingest::validation_report report;
  if (auto st = xyd::ingest::validate_feed(*cat, in, report); !st) {
    std::cerr << "xyd: " << st.message() << "\n";
    return 2;
  }
  std::cout << "2. Validated every record against the catalog: " << report.valid << " valid, " << report.invalid
            << " invalid.\n";

  // Subjects per item type.
  std::map<std::string, std::set<std::string>> subjects;
  std::istringstream again(feed);
  (void)xyd::ingest::for_each_line(again, [&](size_t, std::string_view line) {
    auto doc = xyd::json::parse(line);
    if (doc) subjects[doc->find("type")->text].insert(doc->find("subject")->text);
    return true;
  });
  std::cout << "\n3. What the feed holds, per category (records / subjects):\n";
  for (const auto &c : cat->categories()) {
    std::cout << "\n  " << c.number << ". " << c.zh << " " << c.en << "\n";
    for (const auto &t : cat->item_types()) {
      if (t.category != c.number) continue;
      const auto it = report.per_type.find(t.id);
      const size_t records = it == report.per_type.end() ? 0 : it->second;
      std::cout << "     " << t.id << std::string(t.id.size() < 28 ? 28 - t.id.size() : 1, ' ') << records << " / "
                << subjects[t.id].size() << "   " << xyd::channel_id(t.chan)
                << (t.consent_required() ? " (consent needed)" : "") << "\n";
    }
  }

  std::cout << "\n4. A bad record gets every problem with its JSON path:\n";
  const char *bad = R"({"type":"tax.arrears","subject":"91350100M000100Y4X","as_of":"2024-02-30","source":"demo",)"
                    R"("data":{"enterprise_name":"示例","uscc":"91350100M000100Y43","arrears_amount":"12.345","tax_type":"增值税",)"
                    R"("period_start":"2024-03-01","period_end":"2024-01-31","colour":"red"}})";
  for (const auto &p : xyd::validate_record_json(*cat, bad)) std::cout << "     " << p.path << ": " << p.message << "\n";

  // 5. Into an encrypted embedded store, twice: the second run changes nothing.
  char dir[] = "/tmp/xyd-demo-XXXXXX";
  if (!::mkdtemp(dir)) {
    std::cerr << "xyd: cannot make a temporary folder\n";
    return 2;
  }
  const std::string db = std::string(dir) + "/demo.db";
  int rc = report.invalid ? 1 : 0;
  {
    auto opened = xyd::store::open(db, xyd::master_key::generate());
    if (!opened) {
      std::cerr << "xyd: " << opened.error().message() << "\n";
      return 2;
    }
    auto &store = **opened;
    xyd::ingest::summary first, second;
    const auto t0 = std::chrono::steady_clock::now();
    auto st = xyd::ingest::ingest_buffer(store, feed, {}, first);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (st) st = xyd::ingest::ingest_buffer(store, feed, {}, second);
    if (!st) {
      std::cerr << "xyd: " << st.message() << "\n";
      rc = 2;
    } else {
      auto stats = xyd::json::parse(*store.stats());
      std::cout << "\n5. Ingested into an encrypted store (XChaCha20-Poly1305, blind indexes) in " << static_cast<int>(secs * 1000)
                << " ms: " << first.total.inserted << " records inserted; " << stats->find("current")->text << " current, "
                << stats->find("history")->text << " kept as history, " << stats->find("subjects")->text << " subjects.\n"
                << "   The same feed again: " << second.total.unchanged << " unchanged, " << second.total.inserted + second.total.updated
                << " changed.\n";
      // One subject with a dishonest-debtor entry, before and after credit repair.
      std::string subject;
      std::istringstream scan(feed);
      (void)xyd::ingest::for_each_line(scan, [&](size_t, std::string_view line) {
        if (line.find("\"judicial.dishonest_debtor\"") == std::string_view::npos) return true;
        subject = xyd::json::parse(line)->find("subject")->text;
        return false;
      });
      if (!subject.empty()) {
        xyd::record_query q;
        q.subject = subject;
        q.item_type = "judicial.dishonest_debtor";
        auto before = xyd::json::parse(*store.records(q));
        const int64_t id = std::stoll(before->items.at(0).find("id")->text);
        (void)store.repair({id, "repair", "已履行生效法律文书确定的义务", "2024-07-01", "demo"});
        auto after = xyd::json::parse(*store.records(q));
        std::cout << "   Credit repair (信用修复): a subject's dishonest-debtor entry (record " << id << ") marked repaired; its current "
                  << "entries go from " << before->items.size() << " to " << after->items.size()
                  << ", the record stays in its history with the reason.\n";
      }
      // 6. Consent: what a bank gets with and without the subject's authorisation.
      std::string enterprise;
      const auto subjects = xyd::json::parse(*store.subjects());
      for (const auto &v : subjects->items)
        if (v.text[0] == '9') {
          enterprise = v.text;
          break;
        }
      xyd::paseto::secret_key platform;
      xyd::paseto::public_key platform_public;
      xyd::paseto::generate_key_pair(platform, platform_public);
      (void)store.trust_key({xyd::paseto::pid(platform_public), xyd::paseto::paserk(platform_public), "national-platform", {}});
      const std::string claims = R"({"iss":"national-platform","sub":")" + enterprise +
                                 R"(","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":["tax","legal_rep","social"],)"
                                 R"("purpose":["pre_loan","approval"],"data_life":"P90D"})";
      auto token = xyd::consent::issue(platform, claims, *cat);
      xyd::consent::verifier verifier(store);
      xyd::record_query q;
      q.subject = enterprise;
      auto types_of = [&](const xyd::result<std::vector<xyd::stored_record>> &r) {
        std::set<std::string> types;
        if (r)
          for (const auto &v : *r) types.insert(v.type);
        std::string list;
        for (const auto &t : types) list += (list.empty() ? "" : ", ") + t;
        return list.empty() ? std::string("(none)") : list;
      };
      std::cout << "\n6. Consent (经信息主体授权) as a PASETO v4.public token signed by the platform, checked against the store's keyring:\n"
                << "   without consent, bank-001 gets: " << types_of(xyd::consent::serve(store, *cat, verifier, {q, "bank-001", "pre_loan", "", 0, {}})) << "\n";
      const auto granted = verifier.check({*token, enterprise, "bank-001", "pre_loan", 0});
      std::cout << "   with a consent for tax, legal_rep and social insurance, for pre-loan investigation: "
                << types_of(xyd::consent::serve(store, *cat, verifier, {q, "bank-001", "pre_loan", *token, 0, {}})) << "\n";
      // Refusals go through the same door as releases, and are logged.
      auto refusal = [&](const char *aud, const char *purpose, const std::string &type) {
        xyd::record_query rq = q;
        rq.item_type = type;
        auto r = xyd::consent::serve(store, *cat, verifier, {rq, aud, purpose, *token, 0, {}});
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
      (void)store.revoke_token(granted.granted->jti, xyd::now_unix());
      std::cout << "   after the subject revokes it: refused (" << refusal("bank-001", "pre_loan", "") << ")\n";

      // 7. One record as each audience sees it.
      const char *record = R"({"type":"shareholder","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"demo",)"
                           R"("data":{"enterprise_name":"福州示例有限公司","uscc":"91350100M000100Y43","holder_name":"欧阳娜娜",)"
                           R"("holder_id":"11010519491231002X","contribution_date":"2015-03-01"}})";
      std::cout << "\n7. Masking (脱敏): the same shareholder record as each audience sees it without consent:\n";
      xyd::mask::context ctx;
      if (auto k = store.pseudonym_key()) ctx.pseudonym_key = *k;
      for (const char *aud : {"loan_officer", "external", "regulator"}) {
        auto doc = xyd::json::parse(record);
        ctx.role = aud;
        (void)xyd::mask::mask_record(*doc, *cat, ctx);
        std::cout << "   " << aud << std::string(13 - std::strlen(aud), ' ') << xyd::json::dump(*doc->find("data")) << "\n";
      }

      // 8. Scores: every subject with the default model, over all cores.
      std::vector<std::string> lines;
      xyd::score::batch_options so;
      auto summary = xyd::score::score_all(store, so, [&](const std::string &l) { lines.push_back(l); });
      if (!summary) {
        std::cerr << "xyd: " << summary.error().message() << "\n";
        rc = 2;
      } else {
        auto model = xyd::score::default_model();
        std::map<std::string, int> grades, first_reason;
        std::vector<long long> scores;
        int knocked_out = 0;
        std::string example;
        for (const auto &l : lines) {
          auto r = xyd::json::parse(l);
          ++grades[r->find("grade")->text];
          scores.push_back(std::stoll(r->find("score")->text));
          if (!r->find("knockout")->is(xyd::json::kind::null)) ++knocked_out;
          const auto &codes = r->find("reason_codes")->items;
          if (!codes.empty()) ++first_reason[codes[0].text];
          if (example.empty() && r->find("subject")->text == enterprise) example = l;
        }
        std::sort(scores.begin(), scores.end());
        auto pct = [&](double p) { return scores[static_cast<size_t>(p * (scores.size() - 1))]; };
        auto s = xyd::json::parse(*summary);
        std::cout << "\n8. Public credit evaluation (公共信用综合评价) with the default scorecard " << model->id << " "
                  << model->version << " (exact decimals; docs/scoring.md): " << lines.size() << " subjects in "
                  << s->find("seconds")->text << " s on " << s->find("threads")->text << " threads, kept in the store.\n"
                  << "   score: min " << scores.front() << ", p10 " << pct(0.1) << ", median " << pct(0.5) << ", p90 " << pct(0.9)
                  << ", max " << scores.back() << "; " << knocked_out << " knocked out (dishonest-debtor or customs list)\n";
        for (const auto &g : model->grades) {
          const int n = grades[g.name];
          const int bar = static_cast<int>(60.0 * n / static_cast<double>(lines.size()) + 0.5);
          std::cout << "   " << g.name << " " << g.zh << std::string(6 - std::min<size_t>(6, 2 * xyd::utf8_length(g.zh)), ' ')
                    << (g.min ? ">= " + xyd::score::format_fixed(*g.min) : std::string("below ")) << "  " << std::string(static_cast<size_t>(bar), '#')
                    << " " << n << "\n";
        }
        std::vector<std::pair<int, std::string>> top;
        for (const auto &[code, n] : first_reason) top.emplace_back(-n, code);
        std::sort(top.begin(), top.end());
        std::cout << "   most frequent first reason:";
        for (size_t i = 0; i < top.size() && i < 4; ++i) {
          auto it = model->reason_texts.find(top[i].second);
          std::cout << (i ? "; " : " ") << top[i].second << " " << (it != model->reason_texts.end() ? it->second.zh : "") << " ("
                    << -top[i].first << ")";
        }
        std::cout << "\n";
        if (!example.empty()) {
          auto r = xyd::json::parse(example);
          std::cout << "   the consenting enterprise: score " << r->find("score")->text << ", grade " << r->find("grade")->text
                    << ", reasons:";
          for (const auto &reason : r->find("reasons")->items)
            std::cout << " " << reason.find("code")->text << " " << reason.find("zh")->text << " (-"
                      << (reason.find("points") ? reason.find("points")->text : std::string("knock-out")) << ")";
          std::cout << "\n";
        }
      }

      // 9. Credit reports: with and without the subject's consent; one as HTML.
      const std::string report_claims = R"({"iss":"national-platform","sub":")" + enterprise +
                                        R"(","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":["tax","legal_rep","social"],)"
                                        R"("purpose":["approval"]})";
      auto report_token = xyd::consent::issue(platform, report_claims, *cat);
      xyd::report::request req;
      req.subject = enterprise;
      req.audience = "bank-001";
      req.purpose = "approval";
      req.masking.role = "loan_officer";
      auto without = xyd::report::build(store, *cat, verifier, req);
      req.token = *report_token;
      auto with = xyd::report::build(store, *cat, verifier, req);
      if (!with || !without) {
        std::cerr << "xyd: " << (with ? without.error() : with.error()).message() << "\n";
        rc = 2;
      } else {
        auto summarise = [](const xyd::json::value &report) {
          const xyd::json::value *r = &report;
          std::map<std::string, int> status, reasons;
          for (const auto &sec : r->find("sections")->items) ++status[sec.find("status")->text];
          for (const auto &o : r->find("omitted")->items) ++reasons[o.find("reason")->text];
          std::string out = std::to_string(status["included"]) + " sections included, " + std::to_string(status["partial"]) +
                            " partly, " + std::to_string(status["omitted"]) + " omitted; omitted item types:";
          for (const auto &[reason, n] : reasons) out += " " + reason + " " + std::to_string(n);
          const xyd::json::value *sc = r->find("score");
          if (sc && sc->is(xyd::json::kind::object))
            out += "; score " + sc->find("score")->text + " (" + sc->find("grade")->text + ")";
          return out;
        };
        std::cout << "\n9. Credit report (信用报告) on the enterprise for bank-001, purpose approval, as a loan officer sees it:\n"
                  << "   without consent: " << summarise(*without) << "\n"
                  << "   with consent:    " << summarise(*with) << "\n";
        auto html = xyd::report::render_html(*with, *cat);
        std::ofstream out(html_path, std::ios::binary);
        if (html && (out << *html)) std::cout << "   the report as HTML (Chinese, self-contained): " << html_path << "\n";
        else std::cerr << "xyd: cannot write " << html_path << "\n";
      }

      // 10. Data verification (数据核验): claims answered, never the record.
      std::string owner, certificate, area;
      std::istringstream scan_property(feed);
      (void)xyd::ingest::for_each_line(scan_property, [&](size_t, std::string_view line) {
        if (line.find("\"property.owner\"") == std::string_view::npos) return true;
        auto doc = xyd::json::parse(line);
        owner = doc->find("subject")->text;
        certificate = doc->find("data")->find("certificate_no")->text;
        area = doc->find("data")->find("area_m2")->text;
        return false;
      });
      if (!owner.empty()) {
        const std::string vclaims = R"({"iss":"national-platform","sub":")" + owner +
                                    R"(","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":["property","marital"],)"
                                    R"("purpose":["approval"],"mode":"verify"})";
        auto vtoken = xyd::consent::issue(platform, vclaims, *cat);
        std::string fullwidth;  // the certificate number as a clerk might type it: full-width brackets
        for (size_t i = 0; i < certificate.size(); ++i) {
          if (certificate[i] == '(') fullwidth += "\xEF\xBC\x88";
          else if (certificate[i] == ')') fullwidth += "\xEF\xBC\x89";
          else fullwidth += certificate[i];
        }
        xyd::json::value claims = xyd::json::value::array();
        auto claim = [&](const char *id, const char *field, const char *op, const std::string &v) {
          xyd::json::value c = xyd::json::value::object();
          c.add("id", xyd::json::value::of_string(id));
          c.add("item_type", xyd::json::value::of_string(std::string(field) == "marital_status" ? "marital" : "property.owner"));
          c.add("field", xyd::json::value::of_string(field));
          c.add("op", xyd::json::value::of_string(op));
          c.add("value", xyd::json::value::of_string(v));
          claims.push(std::move(c));
        };
        claim("certificate", "certificate_no", "eq", fullwidth);
        claim("area at least 50", "area_m2", "ge", "50");
        claim("area at least 10000", "area_m2", "ge", "10000");
        claim("married", "marital_status", "eq", "已婚");
        auto answers = xyd::report::check_claims(store, *cat, verifier, {owner, "bank-001", "approval", *vtoken, 0, claims});
        std::cout << "\n10. Data verification (数据核验) for a property owner (area " << area << " m2), consent mode verify:";
        if (answers) {
          const auto parsed = xyd::json::parse(*answers);
          for (const auto &a : parsed->find("answers")->items)
            std::cout << "\n    " << a.find("id")->text << ": " << a.find("answer")->text;
          std::cout << "\n    (the certificate number was claimed with full-width brackets; the record itself never leaves)\n";
        } else {
          std::cout << " " << answers.error().message() << "\n";
        }
      }

      // 11. The audit log: every step above is an entry of a hash chain.
      xyd::paseto::secret_key institution;
      xyd::paseto::public_key institution_public;
      xyd::paseto::generate_key_pair(institution, institution_public);
      auto cp = xyd::audit::checkpoint(store, institution);
      auto verdict = xyd::audit::verify(store, {institution_public});
      auto usage_stats = xyd::audit::stats(store);
      if (cp && verdict && usage_stats) {
        std::cout << "\n11. Audit log (全生命周期闭环): " << verdict->entries << " entries, hash chain "
                  << (verdict->ok ? "intact" : "BROKEN") << ", " << verdict->checkpoints
                  << " checkpoint signed with the institution's key; entries by action:";
        const auto by_action = xyd::json::parse(*usage_stats);
        for (const auto &[action, n] : by_action->find("actions")->members) std::cout << " " << action << " " << n.text;
        std::cout << "\n";
        if (!verdict->ok) rc = 1;
      }
    }
  }
  for (const char *suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  ::rmdir(dir);
  std::cout << "\nNext: xyd keygen --out k && xyd gen --subjects 1000 --seed 1 --out feed.jsonl && "
               "xyd ingest store.db feed.jsonl --key-file k && xyd score store.db --all --key-file k\n"
               "      xyd report store.db --subject S --audience BANK --purpose pre_loan [--token T] --html report.html --key-file k\n";
  return rc;
}

}  // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Global option: --extension FILE (repeatable), anywhere on the line.
  for (size_t i = 0; i < args.size();) {
    if (args[i] != "--extension") {
      ++i;
      continue;
    }
    if (i + 1 >= args.size()) return usage("--extension needs a file");
    std::string text;
    if (!read_file(args[i + 1], text)) {
      std::cerr << "xyd: cannot read " << args[i + 1] << "\n";
      return 2;
    }
    if (xyd_catalog_load_extension(text.c_str()) != XYD_OK) {
      std::cerr << "xyd: " << args[i + 1] << ": " << xyd_errmsg() << "\n";
      return 2;
    }
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
  }
  if (args.empty()) return usage("no command");
  const std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--version" || cmd == "version") {
    std::cout << "xyd " << xyd_version_string() << " (catalog " << xyd::current_catalog()->version() << ")\n";
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << usage_text;
    return 0;
  }
  if (cmd == "catalog") return cmd_catalog(rest);
  if (cmd == "check") return cmd_check(rest);
  if (cmd == "validate") return cmd_validate(rest);
  if (cmd == "gen") return cmd_gen(rest);
  if (cmd == "demo") {
    if (rest.empty()) return cmd_demo("xyd-demo-report.html");
    if (rest.size() == 2 && rest[0] == "--html") return cmd_demo(rest[1]);
    return usage("demo [--html FILE]");
  }
  if (cmd == "keygen") return cmd_keygen(rest);
  if (cmd == "ingest") return cmd_ingest(rest);
  if (cmd == "records") return cmd_records(rest);
  if (cmd == "subjects") return cmd_subjects(rest);
  if (cmd == "repair") return cmd_repair(rest);
  if (cmd == "purge") return cmd_purge(rest);
  if (cmd == "stats") return cmd_stats(rest);
  if (cmd == "rekey") return cmd_rekey(rest);
  if (cmd == "consent") return cmd_consent(rest);
  if (cmd == "mask") return cmd_mask(rest);
  if (cmd == "score") return cmd_score(rest);
  if (cmd == "features") return cmd_features(rest);
  if (cmd == "model") return cmd_model(rest);
  if (cmd == "audit") return cmd_audit(rest);
  if (cmd == "report") return cmd_report(rest, false);
  if (cmd == "verify") return cmd_report(rest, true);
  return usage("unknown command '" + cmd + "'");
}
