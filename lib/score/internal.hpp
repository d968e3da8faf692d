// Internal to lib/score: shared between the loaders and the engine.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "xyd/score.hpp"

namespace xyd::score::detail {

/// Builds and checks a model from its xyd-scorecard/1 JSON tree; `format`
/// is recorded as the model's source format ("json", "pmml").
result<std::shared_ptr<const model>> build(const json::value &doc, std::string_view format);

/// Number or integer.
inline bool is_numeric(const field &f) { return f.type == field::kind::number || f.type == field::kind::integer; }

/// A whole number.
inline bool is_integral(const fixed &v) { return v % fixed_from_int(1) == 0; }

/// Every value of each characteristic's fields matches an attribute
/// (model_coverage.cpp); the error names the first value that does not.
status check_coverage(const model &m);

/// A field kind's id in the xyd-scorecard/1 format.
const char *kind_id(field::kind k) noexcept;

/// Three-valued predicate logic (PMML): false, true, unknown.
enum class tri : uint8_t { f = 0, t = 1, u = 2 };
tri eval(const predicate &p, const input *in) noexcept;

}  // namespace xyd::score::detail
