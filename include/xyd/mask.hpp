// xyd C++ API: masking (脱敏) operators and policies per role (the masking
// view: loan_officer, external, regulator, or a policy's own).
// docs/masking.md documents the operators, the built-in policy and why.
// Every operator works on Unicode code points, never splits a UTF-8
// sequence, and is deterministic. Thread-safe.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "xyd/catalog.hpp"
#include "xyd/json.hpp"
#include "xyd/record.hpp"

namespace xyd::mask {

enum class op_kind {
  keep,        ///< the value as is
  keep_ends,   ///< keep the first N and last M code points, mask the rest
  mask_ends,   ///< mask the first N and last M code points, keep the rest
  redact,      ///< null
  replace,     ///< a constant
  pseudonym,   ///< keyed BLAKE2b of the value (institution key): "PSN-" + 24 hex
  date,        ///< generalise a date to its year or year-month
  amount,      ///< generalise an amount to a band: "10000-100000", ">=100000000"
  address,     ///< generalise an address to province, city or district
  truncate,    ///< the first N code points
  surname,     ///< keep the surname of a Chinese name (compound surnames and middle-dot names understood)
};

struct op {
  op_kind kind = op_kind::keep;
  int first = 0, last = 0, length = 0;
  std::string mask_char = "*";
  std::string value;                   ///< replace
  std::string level;                   ///< date: year|month; address: province|city|district
  std::vector<decimal> bands;          ///< amount, ascending
  std::string to_json() const;
};

/// Reads one operator: {"op": "keep_ends", "first": 6, "last": 4}, … Errors
/// name `path` and the member.
result<op> parse_op(const json::value &v, const std::string &path);

/// The built-in roles.
inline constexpr const char *builtin_roles[] = {"loan_officer", "external", "regulator"};

/// A policy: role -> (personal-data class, or "item_type.field") -> op.
class policy {
 public:
  /// {"name"?: "…", "roles": {"external": {"person_name": {"op": …}, "tax.arrears.arrears_amount": {…}}}}
  /// ("audiences" is read as "roles", as 0.1 wrote it). Roles and keys not
  /// given fall back to the built-in policy.
  static result<policy> from_json(std::string_view json, const catalog &cat);
  static result<policy> from_json(const json::value &doc, const catalog &cat);
  static const policy &builtin();
  bool has_role(std::string_view role) const;
  /// The rule for a field: the policy's "type.field", then its class rule,
  /// then the built-in class rule of the role, then of "external".
  const op &rule_for(std::string_view role, std::string_view type, std::string_view field, pd_class cls) const;
  std::string to_json() const;

 private:
  std::string name_;
  std::map<std::string, std::map<std::string, op, std::less<>>, std::less<>> rules_;
};

struct context {
  const policy *pol = &policy::builtin();
  std::string role = "external";
  std::optional<std::array<unsigned char, 32>> pseudonym_key;  ///< the institution's key
};

/// One string value through one operator; nullopt means null (redacted).
/// errc::invalid_arg when a pseudonym is asked for without a key.
result<std::optional<std::string>> apply(const op &o, std::string_view value, const context &ctx);

/// Masks a record {"type","subject",…,"data"} in place for ctx's role:
/// every field by its rule, structured fields leaf by leaf, and the subject
/// when it is a person (a resident id number). Fields of item types in
/// `covered` (a consent covers them for this request) are left as they are.
status mask_record(json::value &record, const catalog &cat, const context &ctx,
                   const std::set<std::string> *covered = nullptr);

/// The same on a typed record: the subject (a person's id number; a
/// redacted subject becomes empty) and every field of its data.
status mask_record(record &r, const catalog &cat, const context &ctx);

/// Number of Unicode code points; positions in code points (helpers shared
/// with the tests).
std::vector<std::string_view> code_points(std::string_view utf8);

}  // namespace xyd::mask
