// The xyd CLI: what every command file shares — the command context, exit
// statuses, opening a session, reading secrets, printing results.
//
// Every command that touches a store goes through xyd::session (the door the
// C ABI uses too); stateless commands call the module functions.
// Exit status: 0 ok, 1 invalid data / refused consent / broken audit chain,
// 2 usage or I/O error.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "xyd/core.hpp"
#include "xyd/mask.hpp"
#include "xyd/session.hpp"

namespace xyd::cli {

constexpr int exit_ok = 0, exit_data = 1, exit_usage = 2;

/// What the parse selected: the command's action, run once the command line
/// is parsed (and the catalog extensions are loaded).
struct context {
  std::function<int()> run;
};

/// Registers the action a subcommand runs when it is selected. `opts` is the
/// command's option struct, kept alive by the callback.
template <class Opts, class F>
void on_run(CLI::App *cmd, context &ctx, std::shared_ptr<Opts> opts, F body) {
  cmd->callback([&ctx, opts, body] { ctx.run = [opts, body] { return body(*opts); }; });
}

// ---------------------------------------------------------------- messages

/// "xyd: <why>" on stderr; returns `rc`.
int say(const std::string &why, int rc = exit_usage);
/// The exit status for an error: 1 for bad data, refused consent, a missing
/// or already marked thing; 2 for usage, key and I/O errors.
int exit_code(const status &st);
/// Prints the error on stderr; its exit status.
int fail(const status &st);
/// The session's JSON answer on stdout (one line), or the error.
int print_json(const result<std::string> &r);

// ---------------------------------------------------------------- files

/// Reads a whole file ("-": stdin).
bool read_file(const std::string &path, std::string &out);
bool file_exists(const std::string &path);

// ---------------------------------------------------------------- stores

struct store_args {
  std::string db, key_file;
};

/// Adds the DB positional (required) and --key-file.
void add_store_args(CLI::App *cmd, store_args &a);

enum class access { write, read_only, create };

/// Opens a session on the store at a.db with the key from --key-file or
/// $XYD_KEY_FILE. Unless `create`, a path that names no file is an error
/// (exit 2, naming the path) and nothing is created. Null after saying why.
std::unique_ptr<session> open_session(const store_args &a, access mode);
/// Automatic audit checkpoints for a writing session when
/// $XYD_AUDIT_SECRET_FILE names the institution's k4.secret key (every
/// $XYD_CHECKPOINT_EVERY entries, default 1000); false after saying why.
bool auto_checkpoints(session &s);
/// A warning on stderr when a key or secret file can be read by group or
/// others (the file is still used).
void warn_if_readable(const std::string &path, const std::string &what);
/// The existence check alone, for commands that read other arguments first.
bool store_exists(const store_args &a);

// ---------------------------------------------------------------- secrets

/// A token or key given inline (--token T), or by file (--token-file F, "-"
/// for stdin). An inline value is taken as text only with the kind's prefix;
/// any other value is a file path, and a path naming no file is an error
/// that never echoes the value.
struct secret_kind {
  const char *name;    ///< "token": the options --token and --token-file
  const char *prefix;  ///< "v4.public."
  const char *what;    ///< "consent token"
};
inline constexpr secret_kind token_kind{"token", "v4.public.", "the consent token"};
inline constexpr secret_kind signature_kind{"signature", "v4.public.", "the model's signature token"};
inline constexpr secret_kind secret_key_kind{"secret", "k4.secret.", "the secret key (PASERK)"};
inline constexpr secret_kind public_key_kind{"public", "k4.public.", "the public key (PASERK)"};

struct secret_arg {
  secret_kind kind;
  std::string text, file;
  bool given() const { return !text.empty() || !file.empty(); }
};

/// Adds --NAME and --NAME-file (mutually exclusive).
void add_secret(CLI::App *cmd, secret_arg &s, const std::string &help);
/// The token or key text; false after saying why (exit 2). Not given and
/// not `required`: true with `out` empty. A secret key (k4.secret.) is
/// taken from a file or stdin only: on the command line every local user
/// reads it (/proc/PID/cmdline).
bool read_secret(const secret_arg &s, bool required, std::string &out);
/// Wipes a string holding a secret when it goes out of scope.
struct wipe_on_exit {
  std::string &text;
  ~wipe_on_exit();
};

// ---------------------------------------------------------------- shared arguments

/// A masking policy file (none when empty); false after saying why.
bool load_policy(const std::string &file, const catalog &cat, std::optional<mask::policy> &out);
/// The role must be one of the policy's (the built-in one when none): exit 2.
bool check_role(const std::optional<mask::policy> &pol, const std::string &role);
/// YYYY-MM-DD, or empty; false after saying why.
bool parse_as_of(const std::string &text, const char *option, std::optional<civil_date> &out);

// ---------------------------------------------------------------- the command groups

void add_catalog_cmds(CLI::App &app, context &ctx);  // catalog, check, validate, gen, keygen, mask
void add_store_cmds(CLI::App &app, context &ctx);    // init, ingest, records, release, subjects, repair, purge, stats, rekey
void add_consent_cmds(CLI::App &app, context &ctx);  // consent keygen|issue|verify|trust|retire|keys|revoke|check
void add_score_cmds(CLI::App &app, context &ctx);    // score, features, model …
void add_report_cmds(CLI::App &app, context &ctx);   // report, check-claims
void add_audit_cmds(CLI::App &app, context &ctx);    // audit verify|checkpoint|export|stats

}  // namespace xyd::cli
