// Typed audit events: stable ids, and the one encoder of an entry's text.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/audit_event.hpp"

#include "xyd/json.hpp"

namespace xyd {

const char *audit_action_id(audit_action a) noexcept {
  switch (a) {
    case audit_action::ingest: return "ingest";
    case audit_action::subjects: return "subjects";
    case audit_action::records: return "records";
    case audit_action::release: return "release";
    case audit_action::report: return "report";
    case audit_action::check_claims: return "check_claims";
    case audit_action::withdraw: return "withdraw";
    case audit_action::repair: return "repair";
    case audit_action::purge: return "purge";
    case audit_action::rekey: return "rekey";
    case audit_action::key: return "key";
    case audit_action::revoke: return "revoke";
    case audit_action::model: return "model";
    case audit_action::score: return "score";
    case audit_action::checkpoint: return "checkpoint";
    case audit_action::scores: return "scores";
  }
  return "unknown";
}

std::optional<audit_action> parse_audit_action(std::string_view id) noexcept {
  for (audit_action a : audit_actions)
    if (id == audit_action_id(a)) return a;
  if (id == "verify") return audit_action::check_claims;  // as 0.1 wrote it
  return std::nullopt;
}

const char *audit_outcome_id(audit_outcome o) noexcept {
  switch (o) {
    case audit_outcome::ok: return "ok";
    case audit_outcome::refused: return "refused";
    case audit_outcome::error: return "error";
  }
  return "error";
}

std::optional<audit_outcome> parse_audit_outcome(std::string_view id) noexcept {
  for (audit_outcome o : {audit_outcome::ok, audit_outcome::refused, audit_outcome::error})
    if (id == audit_outcome_id(o)) return o;
  return std::nullopt;
}

bool audit_bank_facing(audit_action a) noexcept {
  return a == audit_action::release || a == audit_action::report || a == audit_action::check_claims;
}

namespace {
void optional_text(std::string &out, const char *key, const std::string &v) {
  out += ",\"";
  out += key;
  out += "\":";
  if (v.empty()) out += "null";
  else json::append_quoted(out, v);
}
}  // namespace

std::string encode_audit_entry(int64_t seq, std::string_view at, std::string_view actor, const audit_event &e,
                               std::string_view subject_hex) {
  std::string entry = "{\"seq\":" + std::to_string(seq) + ",\"at\":";
  json::append_quoted(entry, at);
  entry += ",\"actor\":";
  json::append_quoted(entry, actor);
  entry += ",\"action\":\"";
  entry += audit_action_id(e.action);
  entry += "\",\"outcome\":\"";
  entry += audit_outcome_id(e.outcome);
  entry += "\",\"subject\":";
  if (subject_hex.empty()) entry += "null";
  else json::append_quoted(entry, subject_hex);
  entry += ",\"item_types\":[";
  for (size_t i = 0; i < e.item_types.size(); ++i) {
    if (i) entry += ',';
    json::append_quoted(entry, e.item_types[i]);
  }
  entry += ']';
  optional_text(entry, "jti", e.jti);
  optional_text(entry, "audience", e.audience);
  optional_text(entry, "purpose", e.purpose);
  optional_text(entry, "reason", e.reason);
  entry += ",\"detail\":";
  if (e.detail.empty()) {
    entry += "null";
  } else {
    entry += '{';
    for (size_t i = 0; i < e.detail.size(); ++i) {
      if (i) entry += ',';
      json::append_quoted(entry, e.detail[i].first);
      entry += ':';
      const auto &v = e.detail[i].second;
      switch (v.type) {
        case audit_event::detail_value::kind::integer: entry += std::to_string(v.integer); break;
        case audit_event::detail_value::kind::boolean: entry += v.boolean ? "true" : "false"; break;
        case audit_event::detail_value::kind::text: json::append_quoted(entry, v.text); break;
      }
    }
    entry += '}';
  }
  entry += '}';
  return entry;
}

}  // namespace xyd
