// xyd C++ API: the tamper-evident audit log (docs/audit.md).
//
// The store appends an entry for every ingest batch, record query, release,
// report, verification, refusal, repair, purge, rekey, keyring change, model
// and score; each entry's hash covers the previous hash, so a changed,
// deleted, inserted or reordered entry breaks the chain. Signed checkpoints
// (Ed25519, the institution's key) catch a chain rewritten from scratch.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "xyd/paseto.hpp"
#include "xyd/store.hpp"

namespace xyd::audit {

/// Automatic checkpoints, when a signing key is set (session::
/// audit_auto_checkpoint, xyd_store_set_audit_signer, $XYD_AUDIT_SECRET_FILE):
/// every this many entries by default.
inline constexpr int64_t default_checkpoint_every = 1000;

/// What audit verification checks against (docs/audit.md, "Anchors").
struct verify_options {
  /// The institution's public keys, given from outside the store. Empty: the
  /// keys the store's own keyring trusts for "audit" — whoever can rewrite
  /// the file can rewrite its keyring, so such a verdict is never
  /// tamper_evident.
  std::vector<paseto::public_key> keys;
  /// Checkpoint tokens kept outside the store (`xyd audit checkpoint
  /// --anchor-out`): each must verify and sit on the chain; the chain must
  /// reach the latest.
  std::vector<std::string> anchors;
  /// Entries after the last anchor make the verdict fail.
  bool require_anchored = false;
};

struct verdict {
  bool ok = true;
  int64_t entries = 0, checkpoints = 0;
  /// Where the checkpoint keys came from: "given" (the institution's) or
  /// "store" (the store's keyring only).
  std::string keys = "store";
  /// ok, checked with given keys, and at least one checkpoint or anchor
  /// signed by them vouches for the chain: for entries 1 to evident_to.
  /// Entries after evident_to can be cut off or rewritten without a trace.
  bool tamper_evident = false;
  int64_t evident_to = 0;  ///< the last entry a given key's checkpoint or anchor covers (0: none)
  int64_t checkpointed_to = 0;  ///< the last entry a verified checkpoint of the store covers
  int64_t anchors = 0;          ///< anchors checked
  int64_t anchored_to = 0;      ///< the last entry an anchor covers (0: none)
  int64_t unanchored = 0;       ///< entries after it
  int64_t first_bad = 0;        ///< the seq of the first bad entry (0: none)
  std::string problem;          ///< what is wrong with it
  /// {"ok","entries","checkpoints","keys","tamper_evident","evident_to","checkpointed_to",
  ///  "anchors","anchored_to","unanchored","first_bad"?,"problem"?}
  std::string to_json() const;
};

/// Recomputes the chain from the first entry and checks every checkpoint's
/// signature and hash, then every anchor's. A store key verifies only
/// checkpoints made before its retirement. With keys given, a log that no
/// checkpoint or anchor signed by them vouches for fails.
result<verdict> verify(store &s, const verify_options &o);
result<verdict> verify(store &s, const std::vector<paseto::public_key> &keys = {});

/// Signs the chain's head: a v4.public token over {"seq","hash","at"} with
/// footer {"kid"}, kept in the store. Returns {"seq","hash","token"}: the
/// token is the anchor to file outside the store.
result<std::string> checkpoint(store &s, const paseto::secret_key &sk);

/// The claims of a checkpoint token signed at `at` over (seq, hash): the one
/// writer, for checkpoint() and the store's automatic checkpoints.
std::string checkpoint_token(const paseto::secret_key &sk, int64_t seq, std::string_view hash, int64_t at);

/// Anchors from a file's text: one checkpoint token per line, or the JSON
/// line `xyd audit checkpoint` prints; blank lines and lines starting with
/// '#' are skipped. errc::parse naming the line otherwise.
result<std::vector<std::string>> parse_anchors(std::string_view text);

/// One JSON line per entry for the regulator: {"entry":{…},"hash":"hex"}, the
/// entry as hashed (byte for byte), in seq order.
status export_jsonl(store &s, const std::function<void(const std::string &line)> &each);

/// Usage feedback: released item types per month and purpose, and refusals
/// per month and reason: {"released":{"YYYY-MM":{"purpose":{"item_type":n}}},
/// "refused":{"YYYY-MM":{"reason":n}},"actions":{"action":n}}.
result<std::string> stats(store &s);

}  // namespace xyd::audit
