// The xyd CLI: shared helpers (common.hpp).
// SPDX-License-Identifier: Apache-2.0
#include "common.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <sys/stat.h>

namespace xyd::cli {

int say(const std::string &why, int rc) {
  std::cerr << "xyd: " << why << "\n";
  return rc;
}

int exit_code(const status &st) {
  switch (st.code()) {
    case errc::ok: return exit_ok;
    case errc::validation:
    case errc::parse:
    case errc::not_found:
    case errc::exists:
    case errc::consent: return exit_data;
    default: return exit_usage;  // invalid_arg, io, key, corrupt, busy, full, read_only, nomem, internal
  }
}

int fail(const status &st) { return say(st.message(), exit_code(st)); }

int print_json(const result<std::string> &r) {
  if (!r) return fail(r.error());
  std::cout << *r << "\n";
  return exit_ok;
}

bool read_file(const std::string &path, std::string &out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return !std::cin.bad();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool file_exists(const std::string &path) {
  struct stat sb {};
  return ::stat(path.c_str(), &sb) == 0;
}

namespace {
bool from_file(const std::string &option, const std::string &path, bool echo_path, std::string &out);
}  // namespace

// ---------------------------------------------------------------- stores

void add_store_args(CLI::App *cmd, store_args &a) {
  cmd->add_option("DB", a.db, "the store (an SQLite file)")->required();
  cmd->add_option("--key-file", a.key_file, "the master key file (default: $XYD_KEY_FILE)");
}

bool store_exists(const store_args &a) {
  if (file_exists(a.db)) return true;
  say(a.db + ": no such store (xyd init " + a.db + " or xyd ingest " + a.db + " FILE --create makes one)");
  return false;
}

std::unique_ptr<session> open_session(const store_args &a, access mode) {
  if (mode != access::create && !store_exists(a)) return nullptr;
  std::string key_file = a.key_file;
  if (key_file.empty())
    if (const char *env = std::getenv("XYD_KEY_FILE")) key_file = env;
  if (key_file.empty()) {
    say("a key is required: --key-file FILE or XYD_KEY_FILE");
    return nullptr;
  }
  warn_if_readable(key_file, "the key file");
  auto key = master_key::from_file(key_file);
  if (!key) {
    say(key.error().message());
    return nullptr;
  }
  if (const char *weak = key->weakness())
    say("warning: the key in " + key_file + " is weak: " + weak +
        (mode == access::create ? "" : "; rekey the store under a key from xyd keygen (xyd rekey)"));
  session_options so;
  so.store.flags = mode == access::create ? store_flags::create : mode == access::read_only ? store_flags::read_only : 0;
  auto s = session::open(a.db, *key, so);
  if (!s) {
    say(s.error().message());
    return nullptr;
  }
  if (!auto_checkpoints(**s)) return nullptr;  // read-only sessions append entries too
  return std::move(s).value();
}

bool auto_checkpoints(session &s) {
  const char *file = std::getenv("XYD_AUDIT_SECRET_FILE");
  if (!file || !*file) return true;
  int64_t every = audit::default_checkpoint_every;
  if (const char *n = std::getenv("XYD_CHECKPOINT_EVERY"); n && *n) {
    char *end = nullptr;
    const long long v = std::strtoll(n, &end, 10);
    if (*end || v < 0) {
      say("XYD_CHECKPOINT_EVERY: expected a count of entries (0: none)");
      return false;
    }
    every = v;
  }
  std::string text;
  const wipe_on_exit wipe{text};
  if (!from_file("XYD_AUDIT_SECRET_FILE", file, true, text)) return false;
  warn_if_readable(file, "XYD_AUDIT_SECRET_FILE");
  auto sk = paseto::parse_secret(text);
  if (!sk) {
    say("XYD_AUDIT_SECRET_FILE: " + sk.error().message());
    return false;
  }
  s.audit_auto_checkpoint(*sk, every);
  return true;
}

void warn_if_readable(const std::string &path, const std::string &what) {
  struct stat sb {};
  if (path == "-" || ::stat(path.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) return;
  if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(sb.st_mode & 07777));
    say(std::string("warning: ") + what + " " + path + " can be read by other users (mode " + mode + "); chmod 600 " + path);
  }
}

// ---------------------------------------------------------------- secrets

void add_secret(CLI::App *cmd, secret_arg &s, const std::string &help) {
  const std::string name = s.kind.name;
  const bool secret = std::string_view(s.kind.prefix) == "k4.secret.";
  auto *text = cmd->add_option("--" + name, s.text,
                               help + (secret ? ": a file holding it (never the key itself: the process list shows it)"
                                              : ": the text itself (" + std::string(s.kind.prefix) + "…) or a file holding it"));
  auto *file = cmd->add_option("--" + name + "-file", s.file, help + ": a file holding it ('-' reads stdin)");
  text->excludes(file);
}

namespace {

void trim(std::string &t) {
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) t.pop_back();
  size_t i = 0;
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
  t.erase(0, i);
}

bool from_file(const std::string &option, const std::string &path, bool echo_path, std::string &out) {
  // A key or token given where a path belongs is never repeated.
  if (path.rfind("k4.", 0) == 0 || path.rfind("v4.", 0) == 0) echo_path = false;
  if (path != "-" && !file_exists(path)) {
    // The value may be a mistyped secret: name the option, never the value.
    say(option + ": no such file" + (echo_path ? " " + path : std::string()));
    return false;
  }
  if (!read_file(path, out)) {
    say(option + ": cannot read " + (echo_path ? path : std::string("the file")) + ": " + std::strerror(errno));
    return false;
  }
  trim(out);
  if (out.empty()) {
    say(option + ": the file is empty");
    return false;
  }
  return true;
}

}  // namespace

wipe_on_exit::~wipe_on_exit() {
  text.resize(text.capacity());  // what trimming left past the end, too
  sodium_memzero(text.data(), text.size());
}

bool read_secret(const secret_arg &s, bool required, std::string &out) {
  const std::string name = std::string("--") + s.kind.name;
  out.clear();
  if (!s.file.empty()) {
    if (std::string_view(s.kind.prefix) == "k4.secret.") warn_if_readable(s.file, name + "-file");
    return from_file(name + "-file", s.file, true, out);
  }
  if (s.text.empty()) {
    if (!required) return true;
    say(name + " or " + name + "-file is required (" + s.kind.what + ")");
    return false;
  }
  if (s.text.rfind("k4.secret.", 0) == 0) {
    say(name + ": a secret key on the command line can be read by every local user (the process list); give it in "
               "a file (" + name + "-file FILE, mode 0600) or on standard input (" + name + "-file -)");
    return false;
  }
  if (s.text.rfind(s.kind.prefix, 0) == 0) {
    out = s.text;
    trim(out);
    return true;
  }
  if (s.text.rfind("k4.", 0) == 0 || s.text.rfind("v4.", 0) == 0) {
    say(name + ": expected " + s.kind.what + " (" + s.kind.prefix + "…)");
    return false;
  }
  return from_file(name, s.text, false, out);
}

// ---------------------------------------------------------------- shared arguments

bool load_policy(const std::string &file, const catalog &cat, std::optional<mask::policy> &out) {
  if (file.empty()) return true;
  std::string text;
  if (!read_file(file, text)) {
    say("--policy: cannot read " + file);
    return false;
  }
  auto p = mask::policy::from_json(text, cat);
  if (!p) {
    say(file + ": " + p.error().message());
    return false;
  }
  out = std::move(*p);
  return true;
}

bool check_role(const std::optional<mask::policy> &pol, const std::string &role) {
  const mask::policy &p = pol ? *pol : mask::policy::builtin();
  if (p.has_role(role)) return true;
  say("--role: unknown role '" + role + "' (loan_officer, external, regulator, or the policy's)");
  return false;
}

bool parse_as_of(const std::string &text, const char *option, std::optional<civil_date> &out) {
  out.reset();
  if (text.empty()) return true;
  out = parse_date(text);
  if (out) return true;
  say(std::string(option) + " takes a date YYYY-MM-DD");
  return false;
}

}  // namespace xyd::cli
