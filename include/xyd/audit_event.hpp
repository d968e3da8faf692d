// xyd C++ API: typed audit events, and the one encoder of an audit entry.
//
// Every operation that reads personal data or changes state writes one
// event (docs/audit.md). The action and outcome are enums with stable ids —
// the text the log holds, never renumbered or renamed once written — and
// the details are typed members (counts, ids, flags; never a value of a
// record). encode_audit_entry() is the only place an entry's text is made.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xyd {

enum class audit_action {
  ingest,        ///< an ingest batch (committed, or refused after its rollback)
  subjects,      ///< listing a store's subjects
  records,       ///< the institution's own view of a subject's records
  release,       ///< a release to a bank (xyd_store_release)
  report,        ///< a credit report
  check_claims,  ///< data verification (数据核验); "verify" in logs written by 0.1
  withdraw,      ///< a record withdrawn (撤销)
  repair,        ///< a record credit-repaired (信用修复)
  purge,         ///< records deleted by retention, expired releases
  rekey,         ///< the store re-encrypted under a new master key
  key,           ///< the keyring: a key trusted or retired
  revoke,        ///< a consent revoked
  model,         ///< a scorecard model kept in the store
  score,         ///< scores computed (kept or not)
  checkpoint,    ///< a signed checkpoint of the chain
  scores,        ///< a subject's kept scores read (since 0.2)
};
inline constexpr audit_action audit_actions[] = {
    audit_action::ingest,   audit_action::subjects, audit_action::records, audit_action::release,
    audit_action::report,   audit_action::check_claims, audit_action::withdraw, audit_action::repair,
    audit_action::purge,    audit_action::rekey,    audit_action::key,     audit_action::revoke,
    audit_action::model,    audit_action::score,    audit_action::checkpoint, audit_action::scores};

enum class audit_outcome { ok, refused, error };

/// The id the log holds ("release", "check_claims", …).
const char *audit_action_id(audit_action a) noexcept;
/// The action of a logged id (0.1's "verify" is check_claims).
std::optional<audit_action> parse_audit_action(std::string_view id) noexcept;
const char *audit_outcome_id(audit_outcome o) noexcept;
std::optional<audit_outcome> parse_audit_outcome(std::string_view id) noexcept;
/// Whether the action answers a bank (release, report, check_claims): what
/// usage statistics count.
bool audit_bank_facing(audit_action a) noexcept;

struct audit_event {
  /// One member of the detail: a count, a flag or an id (never a record's value).
  struct detail_value {
    enum class kind { integer, boolean, text } type = kind::integer;
    int64_t integer = 0;
    bool boolean = false;
    std::string text;
  };

  audit_action action = audit_action::records;
  audit_outcome outcome = audit_outcome::ok;
  std::string subject;        ///< plain; logged as its blind index, never as is
  std::string subject_index;  ///< or the blind index (hex) itself
  std::vector<std::string> item_types;
  std::string jti, audience, purpose, reason;
  /// The entry's "detail" object, member by member, in order.
  std::vector<std::pair<const char *, detail_value>> detail;

  audit_event() = default;
  explicit audit_event(audit_action a) : action(a) {}
  audit_event &with(const char *key, int64_t v) { return add(key, {detail_value::kind::integer, v, false, {}}); }
  audit_event &with(const char *key, uint64_t v) { return with(key, static_cast<int64_t>(v)); }
  audit_event &with(const char *key, int v) { return with(key, static_cast<int64_t>(v)); }
  audit_event &with(const char *key, bool v) { return add(key, {detail_value::kind::boolean, 0, v, {}}); }
  audit_event &with(const char *key, std::string v) { return add(key, {detail_value::kind::text, 0, false, std::move(v)}); }
  audit_event &with(const char *key, const char *v) { return with(key, std::string(v)); }

 private:
  audit_event &add(const char *key, detail_value v) {
    detail.emplace_back(key, std::move(v));
    return *this;
  }
};

/// The entry's text: {"seq","at","actor","action","outcome","subject",
/// "item_types","jti","audience","purpose","reason","detail"}, where
/// `subject_hex` is the subject's blind index in hex (empty: null).
std::string encode_audit_entry(int64_t seq, std::string_view at, std::string_view actor, const audit_event &e,
                               std::string_view subject_hex);

}  // namespace xyd
