// xyd C++ API: the credit-information catalog, identifier validators and
// record validation.
//
// The national list of 国办发〔2024〕15号 (17 categories, 37 item types) is
// data compiled into the library; provincial lists with the same schema are
// added at run time. docs/catalog.md is generated from this data.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xyd/core.hpp"
#include "xyd/json.hpp"

namespace xyd {

// ---------------------------------------------------------------- identifiers

/// USCC (统一社会信用代码) per GB 32100-2015: 18 characters from
/// 0-9 A-H J-N P-R T U W-Y; position 1 a registration-authority code and
/// position 2 an entity type of that authority (Annex table); positions 3-8
/// digits (the registering administrative division); position 18 the check
/// character (weights 3^i mod 31). Strict: no trimming, no case folding.
/// The message never repeats the code.
status check_uscc(std::string_view code);

/// Resident identity number (居民身份证号码) per GB 11643-1999: 17 digits and
/// a check character (ISO 7064 MOD 11-2, 'X' for 10, upper case only), a
/// province code of GB/T 2260 (or 81/82/83 of the residence permits), and a
/// real birth date not after `today`.
status check_rid(std::string_view code, const civil_date &today);
inline status check_rid(std::string_view code) { return check_rid(code, today_cn()); }

/// Normalisers for input typed by people: trims white space, maps full-width
/// ASCII to half-width, drops inner spaces and hyphens, upper-cases. They do
/// not validate: call check_* on the result.
std::string normalize_uscc(std::string_view text);
std::string normalize_rid(std::string_view text);

/// The USCC check character for the first 17 characters, or '\0' when one of
/// them is outside the code alphabet.
char uscc_check_char(std::string_view first17) noexcept;
/// The RID check character for the first 17 digits, or '\0'.
char rid_check_char(std::string_view first17) noexcept;

// ---------------------------------------------------------------- catalog

enum class channel { national_api, national_physical, local_physical, verification };
const char *channel_id(channel c) noexcept;
/// Whether the subject's authorisation is needed before a bank sees data.
bool channel_needs_consent(channel c) noexcept;

enum class field_type {
  text, uscc, rid, party_id, date, month, money, integer, rate, quantity, boolean, enumeration,
  url, list, monthly_series, table, financial_statement
};
const char *field_type_id(field_type t) noexcept;

enum class pd_class { public_, person_name, person_id, phone, address, marital_status, commercial_secret };
const char *pd_class_id(pd_class c) noexcept;

struct enum_value {
  std::string code, zh;
};

struct field_def {
  std::string key, zh;
  field_type type = field_type::text;
  bool required = true;
  pd_class pd = pd_class::public_;
  std::string unit;                    ///< quantity: "m2", "kVA", "t", "mu"
  std::string enum_name;               ///< enumeration: name in catalog.enums
  std::vector<enum_value> values;      ///< enumeration: allowed codes
  field_type of = field_type::text;    ///< list / monthly_series element type
  std::vector<field_def> columns;      ///< table columns
  std::string statement;               ///< financial_statement kind
  std::optional<int64_t> min, max;     ///< integer bounds
};

struct rule_def {
  std::string rule;   ///< not_after, same_length, id_by_type, one_of
  std::string field, other;
};

struct item_type {
  std::string id, zh, en;
  int category = 0;
  channel chan = channel::national_api;
  std::vector<std::string> subjects;   ///< "uscc", "rid"
  std::string subject_field;           ///< data field that must equal the subject
  std::string kind;                    ///< snapshot, event, state
  std::vector<field_def> fields;
  std::vector<std::string> natural_key;
  std::vector<rule_def> rules;
  std::string origin;                  ///< catalog version that defined it

  const field_def *field(std::string_view key) const noexcept;
  bool consent_required() const noexcept { return channel_needs_consent(chan); }
};

struct category {
  int number = 0;
  std::string id, zh, en;
  std::string origin;
};

/// An immutable catalog: the national list plus any loaded extensions.
class catalog {
 public:
  const std::string &version() const noexcept { return version_; }
  const std::vector<std::string> &extensions() const noexcept { return extensions_; }
  const std::vector<category> &categories() const noexcept { return categories_; }
  const std::vector<item_type> &item_types() const noexcept { return item_types_; }
  const item_type *find(std::string_view id) const noexcept;
  const category *find_category(int number) const noexcept;

  /// Parses a catalog document (the national one or an extension).
  static result<catalog> from_json(std::string_view json);
  /// A new catalog with `extension`'s categories and item types added. An
  /// item type or category whose id exists already is refused (errc::exists).
  result<catalog> extended_with(std::string_view extension_json) const;

  /// The whole catalog as JSON (the C ABI's xyd_catalog_json).
  std::string to_json() const;
  /// docs/catalog.md.
  std::string to_markdown() const;

 private:
  std::string version_;
  std::vector<std::string> extensions_;
  std::vector<category> categories_;
  std::vector<item_type> item_types_;
  std::unordered_map<std::string, size_t> index_;
  void reindex();
  friend struct catalog_parser;
};

/// The process-wide catalog in force: the national list plus the extensions
/// loaded so far. Thread-safe; the pointer stays valid while held.
std::shared_ptr<const catalog> current_catalog();
/// Adds a provincial list to the process-wide catalog. Thread-safe.
status load_extension(std::string_view json);
/// The compiled-in national list (CN-2024), whatever extensions are loaded.
const catalog &national_catalog();

// ---------------------------------------------------------------- records

struct problem {
  std::string path;     ///< JSONPath into the record: "$.data.uscc"
  std::string code;     ///< syntax, wrong_type, missing, unknown, invalid, mismatch
  std::string message;  ///< for people; never repeats an id number
};

/// Every problem of one record, not just the first (empty when valid).
/// `record` is `{"type","subject","as_of","source","data"}` (design.md).
std::vector<problem> validate_record(const catalog &cat, const json::value &record, const civil_date &today);
std::vector<problem> validate_record(const catalog &cat, const json::value &record);
/// Parses then validates; a syntax error is one problem at path "$".
std::vector<problem> validate_record_json(const catalog &cat, std::string_view json);

/// The record with every value in canonical form: trimmed text, full-width
/// digits and letters folded, ids upper-cased, money "1234.50", rates and
/// quantities minimal, booleans from 是/否, enum labels to codes. Normalising
/// a valid record returns it unchanged; the result still needs validation.
json::value normalize_record(const catalog &cat, const json::value &record);
/// The same, rewriting `record` itself (no copy: the ingest path).
void normalize_record_in_place(const catalog &cat, json::value &record);

/// `[{"path":…,"code":…,"message":…}, …]`
std::string problems_to_json(const std::vector<problem> &problems);

}  // namespace xyd
