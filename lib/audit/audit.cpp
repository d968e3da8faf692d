// The audit log: verification of the hash chain and its signed checkpoints,
// export for the regulator, usage statistics.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/audit.hpp"

#include <map>

namespace xyd::audit {

namespace {

std::string hex(std::string_view bytes) { return to_hex(bytes); }

/// A positive decimal count (a checkpoint's seq), or nullopt.
std::optional<int64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

std::string verdict::to_json() const {
  auto flag = [](bool b) { return b ? "true" : "false"; };
  std::string out = std::string("{\"ok\":") + flag(ok) + ",\"entries\":" + std::to_string(entries) +
                    ",\"checkpoints\":" + std::to_string(checkpoints) + ",\"keys\":\"" + keys +
                    "\",\"tamper_evident\":" + flag(tamper_evident) + ",\"evident_to\":" + std::to_string(evident_to) +
                    ",\"checkpointed_to\":" + std::to_string(checkpointed_to) +
                    ",\"anchors\":" + std::to_string(anchors) + ",\"anchored_to\":" + std::to_string(anchored_to) +
                    ",\"unanchored\":" + std::to_string(unanchored);
  if (!ok) {
    out += ",\"first_bad\":" + std::to_string(first_bad) + ",\"problem\":";
    json::append_quoted(out, problem);
  }
  return out + "}";
}

namespace {

/// A key checkpoints may be signed with, and from when it may not.
struct signer {
  paseto::public_key key;
  std::optional<int64_t> retired_from;
};

/// A checkpoint token's signed claims.
struct signed_head {
  int64_t seq = 0, at = 0;
  std::string hash_hex;
  bool retired = false;  ///< signed by a key retired before `at`
};

/// Verifies `token` under one of `keys`: the claims, or a sentence saying
/// why not. A token signed by a key only after its retirement is returned
/// with `retired` set.
std::optional<signed_head> open_checkpoint(const std::vector<signer> &keys, std::string_view token, std::string &why) {
  for (const auto &k : keys) {
    auto o = paseto::verify(k.key, token);
    if (!o) continue;
    auto claims = json::parse(o->message);
    if (!claims || !claims->is(json::kind::object) || json::duplicate_key(*claims)) {
      why = "is malformed (its claims are not one JSON object)";
      return std::nullopt;
    }
    const json::value *seq = claims->find("seq"), *hash = claims->find("hash"), *at = claims->find("at");
    signed_head h;
    std::optional<int64_t> when = at && at->is(json::kind::string) ? parse_rfc3339(at->text) : std::nullopt;
    const std::optional<int64_t> n = seq && seq->is(json::kind::number) ? parse_count(seq->text) : std::nullopt;
    if (!n || *n < 1 || !hash ||
        !hash->is(json::kind::string) || hash->text.size() != 64 || !when) {
      why = "is malformed (claims seq, hash, at)";
      return std::nullopt;
    }
    h.seq = *n;
    h.hash_hex = hash->text;
    h.at = *when;
    h.retired = k.retired_from && h.at >= *k.retired_from;
    return h;
  }
  why = keys.empty() ? "is not signed by any key (none given or trusted for \"audit\")"
                     : "is not signed by the institution's key";
  return std::nullopt;
}

}  // namespace

result<verdict> verify(store &s, const std::vector<paseto::public_key> &keys) {
  verify_options o;
  o.keys = keys;
  return verify(s, o);
}

result<verdict> verify(store &s, const verify_options &o) {
  verdict v;
  std::vector<std::string> hashes;  // computed, by seq - 1
  std::string prev(32, '\0');
  auto bad = [&](int64_t seq, std::string why) {
    if (v.ok) {
      v.ok = false;
      v.first_bad = seq;
      v.problem = std::move(why);
    }
  };
  int64_t expected = 1;
  std::vector<int64_t> checkpoint_entries;  // seqs of the entries that record a checkpoint
  auto st = s.for_each_audit([&](const store::audit_row &row) {
    ++v.entries;
    if (row.seq != expected) {
      bad(expected, row.seq > expected
                        ? "entry " + std::to_string(expected) + " is missing (deleted); the next one is " + std::to_string(row.seq)
                        : "entry " + std::to_string(row.seq) + " is out of order");
      return false;
    }
    // The entry as read from the file (an entry point: the file is not
    // trusted): one JSON object whose seq is its place.
    auto doc = json::parse(row.entry);
    const json::value *seq = doc && doc->is(json::kind::object) ? doc->find("seq") : nullptr;
    if (!seq || seq->text != std::to_string(row.seq)) {
      bad(row.seq, "entry " + std::to_string(row.seq) + " is not the entry written at this place (moved, inserted or rewritten)");
      return false;
    }
    if (const json::value *action = doc->find("action"); action && action->text == "checkpoint")
      checkpoint_entries.push_back(row.seq);
    const auto h = audit_chain_hash(prev, row.entry);
    const std::string computed(reinterpret_cast<const char *>(h.data()), h.size());
    if (computed != row.hash) {
      bad(row.seq, "entry " + std::to_string(row.seq) +
                       " does not match its hash (changed, or the entries before it were changed, inserted or reordered)");
      return false;
    }
    hashes.push_back(computed);
    prev = computed;
    ++expected;
    return true;
  });
  if (!st) return st;

  // The keys: the institution's, given; or the store's own (never tamper
  // evidence: the keyring is in the file an insider rewrites).
  std::vector<signer> keys;
  v.keys = o.keys.empty() ? "store" : "given";
  for (const auto &k : o.keys) keys.push_back({k, std::nullopt});
  if (o.keys.empty()) {
    auto all = s.trusted_keys();
    if (!all) return all.error();
    for (const auto &k : *all)
      if (k.use == "audit")
        if (auto pk = paseto::parse_public(k.public_paserk)) keys.push_back({*pk, k.retired_from});
  }
  const auto length = static_cast<int64_t>(hashes.size());
  // One checkpoint or anchor against the chain: false after bad().
  auto on_chain = [&](const std::string &which, const signed_head &h) {
    if (h.retired) {
      bad(h.seq, which + " is signed (at " + format_rfc3339(h.at) + ") by a key retired before then");
      return false;
    }
    if (h.seq > length) {
      // The chain ends before the checkpoint: entries were cut off (or the
      // chain broke earlier, reported above).
      bad(length + 1, which + ": the log ends at entry " + std::to_string(length) + "; later entries were deleted");
      return false;
    }
    if (hex(hashes[static_cast<size_t>(h.seq - 1)]) != h.hash_hex) {
      bad(1, which + " does not match the chain: the log was rewritten up to entry " + std::to_string(h.seq));
      return false;
    }
    return true;
  };

  // The store's checkpoints: each signed, each on the chain.
  auto cps = s.checkpoints();
  if (!cps) return cps.error();
  v.checkpoints = static_cast<int64_t>(cps->size());
  int64_t vouched = 0;  // checkpoints and anchors that verified
  for (size_t i = 0; i < cps->size() && v.ok; ++i) {
    const auto &[seq, token] = (*cps)[i];
    const std::string which = "checkpoint " + std::to_string(i + 1) + " (at entry " + std::to_string(seq) + ")";
    std::string why;
    auto h = open_checkpoint(keys, token, why);
    if (!h) {
      bad(seq, which + " " + why);
      break;
    }
    if (h->seq != seq) {
      bad(seq, which + " is malformed (its token is for entry " + std::to_string(h->seq) + ")");
      break;
    }
    if (!on_chain(which, *h)) break;
    v.checkpointed_to = std::max(v.checkpointed_to, h->seq);
    ++vouched;
  }

  // Each checkpoint entry in the log is signed by a checkpoint at it (or,
  // in logs of 0.1, which signed the head after appending, after it): a
  // heuristic that catches checkpoints deleted while their entries stay (a
  // rewrite of the tail can remove the entries too: docs/audit.md).
  if (v.ok && !checkpoint_entries.empty()) {
    int64_t last_checkpoint = 0;
    for (const auto &cp : *cps) last_checkpoint = std::max(last_checkpoint, cp.first);
    for (const int64_t seq : checkpoint_entries)
      if (seq > last_checkpoint) {
        bad(seq, "entry " + std::to_string(seq) +
                     " records a checkpoint that has no checkpoint at or after it in the store (deleted, or never "
                     "completed; a new checkpoint covers it)");
        break;
      }
  }

  // The anchors, from outside the store: the chain must reach each.
  for (size_t i = 0; i < o.anchors.size() && v.ok; ++i) {
    const std::string which = "anchor " + std::to_string(i + 1);
    std::string why;
    auto h = open_checkpoint(keys, o.anchors[i], why);
    if (!h) {
      bad(0, which + " " + why);
      break;
    }
    if (!on_chain(which + " (at entry " + std::to_string(h->seq) + ")", *h)) break;
    v.anchored_to = std::max(v.anchored_to, h->seq);
    ++v.anchors;
    ++vouched;
  }
  v.unanchored = v.entries - v.anchored_to;

  if (v.ok && !o.keys.empty() && vouched == 0)
    bad(v.entries ? 1 : 0, "no checkpoint or anchor signed by the given key: the chain alone proves nothing (it can be "
                           "recomputed by whoever can write the file)");
  if (v.ok && o.require_anchored && v.unanchored > 0)
    bad(v.anchored_to + 1, std::to_string(v.unanchored) + " entries after the last anchor (entry " +
                               std::to_string(v.anchored_to) + ") are not anchored");
  v.tamper_evident = v.ok && !o.keys.empty() && vouched > 0;
  if (v.tamper_evident) v.evident_to = std::max(v.checkpointed_to, v.anchored_to);
  return v;
}

std::string checkpoint_token(const paseto::secret_key &sk, int64_t seq, std::string_view hash, int64_t at) {
  const std::string kid = paseto::pid(paseto::public_key_of(sk));
  const std::string claims =
      "{\"seq\":" + std::to_string(seq) + ",\"hash\":\"" + hex(hash) + "\",\"at\":\"" + format_rfc3339(at) + "\"}";
  return paseto::sign(sk, claims, "{\"kid\":\"" + kid + "\"}");
}

result<std::string> checkpoint(store &s, const paseto::secret_key &sk) {
  const std::string kid = paseto::pid(paseto::public_key_of(sk));
  audit_event e(audit_action::checkpoint);
  e.with("kid", kid);
  const int64_t at = now_unix();
  auto made = s.checkpoint(e, [&](int64_t seq, std::string_view hash) { return checkpoint_token(sk, seq, hash, at); });
  if (!made) return made.error();
  return "{\"seq\":" + std::to_string(made->seq) + ",\"hash\":\"" + hex(made->hash) + "\",\"token\":\"" + made->token + "\"}";
}

result<std::vector<std::string>> parse_anchors(std::string_view text) {
  std::vector<std::string> out;
  size_t line = 0;
  while (!text.empty()) {
    ++line;
    const size_t nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
    if (l.empty() || l.front() == '#') continue;
    if (l.front() == '{') {
      auto doc = json::parse(l);
      const json::value *t = doc && doc->is(json::kind::object) ? doc->find("token") : nullptr;
      if (!t || !t->is(json::kind::string))
        return status(errc::parse, "anchor line " + std::to_string(line) + ": a JSON line must hold \"token\"");
      out.push_back(t->text);
    } else if (l.rfind("v4.public.", 0) == 0) {
      out.emplace_back(l);
    } else {
      return status(errc::parse, "anchor line " + std::to_string(line) + ": not a checkpoint token (v4.public.…)");
    }
  }
  return out;
}

status export_jsonl(store &s, const std::function<void(const std::string &)> &each) {
  return s.for_each_audit([&](const store::audit_row &row) {
    each("{\"entry\":" + row.entry + ",\"hash\":\"" + hex(row.hash) + "\"}");
    return true;
  });
}

result<std::string> stats(store &s) {
  std::map<std::string, std::map<std::string, std::map<std::string, int64_t>>> released;
  std::map<std::string, std::map<std::string, int64_t>> refused;
  std::map<std::string, int64_t> actions;
  auto st = s.for_each_audit([&](const store::audit_row &row) {
    auto doc = json::parse(row.entry);
    if (!doc) return true;
    const json::value *at = doc->find("at"), *action = doc->find("action"), *outcome = doc->find("outcome");
    if (!at || !action || !outcome) return true;
    // Entries are read as typed actions and outcomes (0.1's "verify" is check_claims).
    const auto a = parse_audit_action(action->text);
    const auto o = parse_audit_outcome(outcome->text);
    ++actions[a ? audit_action_id(*a) : "unknown"];
    const std::string month = at->text.substr(0, 7);
    if (a && o == audit_outcome::ok && audit_bank_facing(*a)) {
      const json::value *purpose = doc->find("purpose");
      const std::string p = purpose && purpose->is(json::kind::string) ? purpose->text : "(none)";
      if (const json::value *types = doc->find("item_types"))
        for (const auto &t : types->items) ++released[month][p][t.text];
    } else if (o == audit_outcome::refused) {
      const json::value *reason = doc->find("reason");
      ++refused[month][reason && reason->is(json::kind::string) ? reason->text : "(none)"];
    }
    return true;
  });
  if (!st) return st;
  json::value out = json::value::object();
  json::value rel = json::value::object(), ref = json::value::object(), act = json::value::object();
  for (const auto &[month, purposes] : released) {
    json::value m = json::value::object();
    for (const auto &[purpose, types] : purposes) {
      json::value p = json::value::object();
      for (const auto &[type, n] : types) p.add(type, json::value::of_int(n));
      m.add(purpose, std::move(p));
    }
    rel.add(month, std::move(m));
  }
  for (const auto &[month, reasons] : refused) {
    json::value m = json::value::object();
    for (const auto &[reason, n] : reasons) m.add(reason, json::value::of_int(n));
    ref.add(month, std::move(m));
  }
  for (const auto &[a, n] : actions) act.add(a, json::value::of_int(n));
  out.add("released", std::move(rel));
  out.add("refused", std::move(ref));
  out.add("actions", std::move(act));
  return json::dump(out);
}

}  // namespace xyd::audit
