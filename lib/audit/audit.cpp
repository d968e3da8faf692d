// The audit log: verification of the hash chain and its signed checkpoints,
// export for the regulator, usage statistics.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/audit.hpp"

#include <map>

namespace xyd::audit {

namespace {

std::string hex(std::string_view bytes) { return to_hex(bytes); }

}  // namespace

std::string verdict::to_json() const {
  std::string out = std::string("{\"ok\":") + (ok ? "true" : "false") + ",\"entries\":" + std::to_string(entries) +
                    ",\"checkpoints\":" + std::to_string(checkpoints);
  if (!ok) {
    out += ",\"first_bad\":" + std::to_string(first_bad) + ",\"problem\":";
    json::append_quoted(out, problem);
  }
  return out + "}";
}

result<verdict> verify(store &s, const std::vector<paseto::public_key> &given) {
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
  auto st = s.for_each_audit([&](const store::audit_row &row) {
    ++v.entries;
    if (row.seq != expected) {
      bad(expected, row.seq > expected
                        ? "entry " + std::to_string(expected) + " is missing (deleted); the next one is " + std::to_string(row.seq)
                        : "entry " + std::to_string(row.seq) + " is out of order");
      return false;
    }
    auto doc = json::parse(row.entry);
    const json::value *seq = doc ? doc->find("seq") : nullptr;
    if (!doc || !seq || seq->text != std::to_string(row.seq)) {
      bad(row.seq, "entry " + std::to_string(row.seq) + " is not the entry written at this place (moved, inserted or rewritten)");
      return false;
    }
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

  // Checkpoints: signed by the institution; each must sit on the chain.
  std::vector<paseto::public_key> keys = given;
  if (keys.empty()) {
    auto all = s.keys();
    if (!all) return all.error();
    auto doc = json::parse(*all);
    if (doc)
      for (const auto &k : doc->items) {
        const json::value *use = k.find("use");
        const json::value *pub = k.find("public");
        if (use && use->text == "audit" && pub && !k.find("retired_from"))
          if (auto pk = paseto::parse_public(pub->text)) keys.push_back(*pk);
      }
  }
  auto cps = s.checkpoints();
  if (!cps) return cps.error();
  v.checkpoints = static_cast<int64_t>(cps->size());
  for (size_t i = 0; i < cps->size() && v.ok; ++i) {
    const auto &[seq, token] = (*cps)[i];
    const std::string which = "checkpoint " + std::to_string(i + 1) + " (at entry " + std::to_string(seq) + ")";
    std::optional<paseto::opened> opened;
    for (const auto &k : keys)
      if (auto o = paseto::verify(k, token)) {
        opened = *o;
        break;
      }
    if (!opened) {
      bad(seq, which + " is not signed by " + (keys.empty() ? std::string("any key (none given or trusted for \"audit\")") : "the institution's key"));
      break;
    }
    auto claims = json::parse(opened->message);
    const json::value *cseq = claims ? claims->find("seq") : nullptr;
    const json::value *chash = claims ? claims->find("hash") : nullptr;
    if (!cseq || !chash || cseq->text != std::to_string(seq)) {
      bad(seq, which + " is malformed");
      break;
    }
    if (seq < 1 || seq > static_cast<int64_t>(hashes.size())) {
      // The chain ends before the checkpoint: entries were cut off (or the
      // chain broke earlier, reported above).
      bad(static_cast<int64_t>(hashes.size()) + 1,
          which + ": the log ends at entry " + std::to_string(hashes.size()) + "; later entries were deleted");
      break;
    }
    if (hex(hashes[static_cast<size_t>(seq - 1)]) != chash->text) {
      bad(1, which + " does not match the chain: the log was rewritten up to entry " + std::to_string(seq));
      break;
    }
  }
  return v;
}

result<std::string> checkpoint(store &s, const paseto::secret_key &sk) {
  const std::string kid = paseto::pid(paseto::public_key_of(sk));
  audit_event e(audit_action::checkpoint);
  e.with("kid", kid);
  if (auto st = s.audit(e); !st) return st;
  int64_t seq = 0;
  std::string hash;
  if (auto st = s.for_each_audit([&](const store::audit_row &row) {
        seq = row.seq;
        hash = row.hash;
        return true;
      });
      !st)
    return st;
  const std::string claims = "{\"seq\":" + std::to_string(seq) + ",\"hash\":\"" + hex(hash) + "\",\"at\":\"" +
                             format_rfc3339(now_unix()) + "\"}";
  const std::string token = paseto::sign(sk, claims, "{\"kid\":\"" + kid + "\"}");
  if (auto st = s.add_checkpoint(seq, token); !st) return st;
  return "{\"seq\":" + std::to_string(seq) + ",\"hash\":\"" + hex(hash) + "\"}";
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
