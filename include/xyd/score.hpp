// xyd C++ API: credit scoring — features from records, scorecard models with
// reason codes, exact and reproducible scores.
//
// A model has the semantics of the PMML 4.4 Scorecard element
// (characteristics, attributes with predicates, partial scores, reason codes
// per attribute or characteristic, baseline scores, pointsBelow /
// pointsAbove, initial score), plus knock-out rules decided before points,
// PDO / odds scaling to build a card from log-odds weights, and grades.
// Every number is an exact decimal (a 128-bit integer of 10^-12 units,
// Boost.Multiprecision): the same model and inputs give the same bits on any
// platform. docs/scoring.md gives the model format, the rounding and the
// feature catalog.
//
// Thread safety: a loaded model is immutable and may be shared by threads;
// an evaluation workspace (score::workspace) belongs to one thread.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/multiprecision/cpp_int.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "xyd/core.hpp"
#include "xyd/json.hpp"
#include "xyd/paseto.hpp"
#include "xyd/store.hpp"

namespace xyd::score {

// ---------------------------------------------------------------- exact numbers

/// Exact decimal: units of 10^-12 in a signed 128-bit integer.
using fixed = boost::multiprecision::int128_t;
constexpr int fixed_scale = 12;
/// Inputs and model numbers must lie strictly within ±10^24.
constexpr int fixed_max_integer_digits = 24;

/// Parses a JSON-style number ("-12.5", "1e3", "0.000001") exactly; more
/// than 12 significant fraction digits or a magnitude of 10^24 or more is
/// an error naming the rule.
result<fixed> parse_fixed(std::string_view text);
/// Shortest exact text: "612", "-3.5", "0.000001".
std::string format_fixed(const fixed &v);
fixed fixed_from_int(int64_t n);

// ---------------------------------------------------------------- models

/// A model's input field (PMML DataField + MiningField).
struct field {
  enum class kind : uint8_t { number, integer, category, boolean };
  enum class invalid : uint8_t { return_invalid, as_missing, as_is };
  std::string name;
  kind type = kind::number;
  std::vector<std::string> values;   ///< categories: the valid values (empty: any)
  std::vector<std::string> missing_values;  ///< inputs that mean "missing" (PMML property="missing")
  struct interval {
    std::optional<fixed> lo, hi;
    bool lo_closed = true, hi_closed = true;
  };
  std::vector<interval> intervals;   ///< numbers: the valid ranges (empty: any)
  invalid on_invalid = invalid::return_invalid;
  std::optional<std::string> missing_replacement;  ///< PMML missingValueReplacement
  // Category dictionary: every value named by `values` or a predicate, by id.
  std::vector<std::string> dictionary;
};

/// One bound input value. Categories carry the id of their text in the
/// field's dictionary (-1: a text the model never names).
struct input {
  enum class kind : uint8_t { missing, number, category, invalid };
  kind type = kind::missing;
  fixed number = 0;
  int32_t category = -1;
};

struct predicate {
  enum class op : uint8_t {
    always, never, is_missing, not_missing, eq, ne, lt, le, gt, ge, in, not_in, all, any, one, surrogate
  };
  op kind = op::always;
  int32_t field = -1;            ///< index into model::fields
  fixed number = 0;              ///< comparison value (numeric fields)
  int32_t category = -1;         ///< comparison value (categories)
  std::vector<fixed> numbers;    ///< in / not_in (numeric fields)
  std::vector<int32_t> categories;  ///< in / not_in (categories)
  std::vector<predicate> children;  ///< all (and), any (or), one (xor), surrogate
};

struct attribute {
  predicate when;
  fixed partial_score = 0;
  std::optional<std::string> reason_code;  ///< overrides the characteristic's
  std::string label;                       ///< for people (the bin, "[0, 3)")
  int32_t reason = -1;                     ///< index into model::reason_codes (resolved)
};

struct characteristic {
  std::string name;
  std::optional<std::string> reason_code;
  std::optional<fixed> baseline_score;
  std::vector<attribute> attributes;
};

struct knockout {
  std::string id;
  predicate when;
  std::string reason_code;
  fixed score = 0;
  int32_t reason = -1;
};

struct grade {
  std::string name;
  std::optional<fixed> min;  ///< score >= min; the last grade has none
  std::string zh, en;
};

struct reason_text {
  std::string zh, en;
};

/// A scorecard. Load with from_json / from_pmml / load (either); the loaders
/// check everything, including that every possible value of each
/// characteristic's fields matches an attribute.
struct model {
  std::string id, version, description;
  std::vector<field> fields;
  std::vector<characteristic> characteristics;
  std::vector<knockout> knockouts;
  std::vector<grade> grades;
  fixed initial_score = 0;
  bool use_reason_codes = true;
  enum class algorithm : uint8_t { points_below, points_above } reason_algorithm = algorithm::points_below;
  std::optional<fixed> baseline_score;
  std::string baseline_method = "other";  ///< informational, as PMML's
  size_t max_reason_codes = 0;            ///< 0: all
  std::vector<std::string> reason_codes;  ///< every code, in order of first appearance
  std::vector<std::string> other_fields;  ///< names that are not inputs (a PMML target): ignored in features
  std::map<std::string, reason_text> reason_texts;
  std::string source_format;              ///< "json" or "pmml"
  std::array<unsigned char, 32> hash{};   ///< BLAKE2b-256 of canonical_json()

  /// The index of a field, or -1.
  int32_t field_index(std::string_view name) const noexcept;
  /// The canonical JSON form (xyd-scorecard/1): what the hash covers and
  /// what the store keeps.
  std::string canonical_json() const;
  std::string hash_hex() const;
  /// The id of a category text in field `f` (-1 when the model never names it).
  int32_t category_id(int32_t f, std::string_view text) const noexcept;
};

/// Loads an xyd-scorecard/1 JSON model. With "scaling" the partial scores
/// are built from log-odds weights (docs/scoring.md gives the rounding).
result<std::shared_ptr<const model>> from_json(std::string_view text);
/// Loads a PMML 4.x document whose first model is a Scorecard.
result<std::shared_ptr<const model>> from_pmml(std::string_view text);
/// JSON or PMML, by content.
result<std::shared_ptr<const model>> load(std::string_view text);
/// The built-in model xyd-public-2024 (docs/scoring.md).
std::shared_ptr<const model> default_model();
/// The JSON text of the built-in model.
std::string_view default_model_json();

// ---------------------------------------------------------------- scoring

/// The outcome of one evaluation. Vectors are reused across evaluations.
struct outcome {
  fixed score = 0;
  int32_t grade = -1;             ///< index into model::grades, -1 when the model has none
  int32_t knockout = -1;          ///< index of the first knock-out that fired
  std::vector<int32_t> fired;     ///< every knock-out that fired, in model order
  std::vector<int32_t> attribute; ///< per characteristic: the matched attribute
  struct reason {
    int32_t code;                 ///< index into model::reason_codes
    fixed points;                 ///< summed difference from the baselines
  };
  std::vector<reason> reasons;    ///< ranked: points descending, ties by first appearance
};

/// Scratch space for evaluations (one per thread).
struct workspace {
  std::vector<fixed> points;
  std::vector<uint8_t> seen;
  std::vector<int32_t> order;
};

/// Evaluates a model on bound inputs (inputs[i] is fields[i]). Allocation-free
/// once `out` and `ws` have grown. errc::validation when an input is invalid
/// for its field under "return invalid" (the field named).
status evaluate(const model &m, const input *inputs, size_t count, outcome &out, workspace &ws);

/// Binds a JSON object of feature values to the model's fields: a missing
/// key or null is a missing value; numbers may be JSON numbers or decimal
/// strings; categories strings (numbers and booleans as their text).
/// Unknown keys are refused unless they are features of the feature catalog
/// (so that a full feature set can be scored by a smaller model); "as_of"
/// and "subject" are metadata and ignored. Errors name the key.
status bind(const model &m, const json::value &features, std::vector<input> &out);
result<std::vector<input>> bind(const model &m, std::string_view features_json);

/// The outcome as JSON: {"model","version","model_hash","score","grade",
/// "knockout","reason_codes":[codes ranked],"reasons":[{"code","points",
/// "zh","en"}],"characteristics":[{"name","attribute","partial_score"}]}.
/// `top` limits the reason codes (0: the model's limit, or all).
std::string to_json(const model &m, const outcome &o, size_t top = 0);
/// The same as a value, to embed in a report (to_json is its direct
/// writer, for batch scoring; the two give the same bytes).
json::value to_value(const model &m, const outcome &o, size_t top = 0);

/// Convenience: bind, evaluate and format.
result<std::string> score_json(const model &m, std::string_view features_json);

// ---------------------------------------------------------------- features

/// One feature of the catalog (docs/scoring.md defines each).
struct feature_def {
  const char *name;
  field::kind type;
  const char *zh;
  const char *en;
};
/// The feature catalog, in a fixed order.
const std::vector<feature_def> &feature_catalog();
bool is_feature(std::string_view name) noexcept;

/// Features of one subject computed from its records (current and history,
/// as store::records gives them with history) as of a reference date (the
/// latest as_of of the records when absent). A JSON object: every feature of
/// the catalog, null when missing. Missing is not zero: docs/scoring.md says
/// which features are 0 and which are missing when there is no data.
result<std::string> features_from_records(std::string_view records_json, std::optional<civil_date> as_of = {});
result<json::value> features_from_records(const json::value &records, std::optional<civil_date> as_of = {});
/// The same on stored records (store::read with history): active records
/// only, and of those the ones `counts` accepts (all when empty) — a report
/// scores on what its request may see.
json::value features_from_records(std::span<const stored_record> records, std::optional<civil_date> as_of = {},
                                  const std::function<bool(const stored_record &)> &counts = {});
/// The same on a record set (store::read_set with history): only the
/// fields a feature needs are looked up in each payload's text.
json::value features_from_records(std::span<const record_ref> records, std::optional<civil_date> as_of = {},
                                  const std::function<bool(const record_ref &)> &counts = {});

// ---------------------------------------------------------------- models in a store

/// Signs a model: a v4.public token over {"model","version","model_hash"}
/// with footer {"kid": k4.pid}.
std::string sign_model(const model &m, const paseto::secret_key &sk);

/// Adds a model to the store (id, version, content hash, content). With
/// `signature`, it must verify with a key the store trusts for "model";
/// a store that requires signed models refuses a model without one.
/// Re-adding the same content is a no-op; another content under the same
/// id and version is errc::exists.
status add_model(store &s, const model &m, std::optional<std::string_view> signature = {});
/// A model kept in the store: by id (the newest version) or "id@version".
/// The built-in default model is always available.
result<std::shared_ptr<const model>> find_model(store &s, std::string_view ref);

struct batch_options {
  std::string model = "xyd-public-2024";  ///< a reference for find_model
  unsigned threads = 0;                    ///< 0: every core
  std::optional<civil_date> as_of;
  bool write_back = true;                  ///< keep each result in the store
};

/// Scores one subject from the store (features, then the model); the result
/// is kept with the model hash when `write_back`. JSON as to_json, plus
/// "subject" and "as_of".
result<std::string> score_subject(store &s, std::string_view subject, const batch_options &o = {});

/// Scores every subject of the store over `threads` reading connections;
/// `each` receives each result line in subject order. Results are written
/// back in one transaction. Returns a summary JSON {"subjects","model",
/// "model_hash","grades":{…},"seconds"}.
result<std::string> score_all(store &s, const batch_options &o,
                              const std::function<void(const std::string &line)> &each = {});

}  // namespace xyd::score
