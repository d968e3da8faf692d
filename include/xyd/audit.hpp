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

struct verdict {
  bool ok = true;
  int64_t entries = 0, checkpoints = 0;
  int64_t first_bad = 0;   ///< the seq of the first bad entry (0: none)
  std::string problem;     ///< what is wrong with it
  /// {"ok","entries","checkpoints","first_bad"?,"problem"?}
  std::string to_json() const;
};

/// Recomputes the chain from the first entry and checks every checkpoint's
/// signature and hash. Checkpoints are verified with `keys`; when empty,
/// with the keys the store trusts for "audit" (weaker: whoever can rewrite
/// the file can rewrite its keyring too — give the institution's public key).
result<verdict> verify(store &s, const std::vector<paseto::public_key> &keys = {});

/// Signs the chain's head: a v4.public token over {"seq","hash","at"} with
/// footer {"kid"}, kept in the store. Returns {"seq","hash"}.
result<std::string> checkpoint(store &s, const paseto::secret_key &sk);

/// One JSON line per entry for the regulator: {"entry":{…},"hash":"hex"}, the
/// entry as hashed (byte for byte), in seq order.
status export_jsonl(store &s, const std::function<void(const std::string &line)> &each);

/// Usage feedback: released item types per month and purpose, and refusals
/// per month and reason: {"released":{"YYYY-MM":{"purpose":{"item_type":n}}},
/// "refused":{"YYYY-MM":{"reason":n}},"actions":{"action":n}}.
result<std::string> stats(store &s);

}  // namespace xyd::audit
