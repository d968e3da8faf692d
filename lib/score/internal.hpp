// Internal to lib/score: shared between the loaders and the engine.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "xyd/score.hpp"

namespace xyd::score::detail {

/// Builds and checks a model from its xyd-scorecard/1 JSON tree; `format`
/// is recorded as the model's source format ("json", "pmml").
result<std::shared_ptr<const model>> build(const json::value &doc, std::string_view format);

/// Three-valued predicate logic (PMML): false, true, unknown.
enum class tri : uint8_t { f = 0, t = 1, u = 2 };
tri eval(const predicate &p, const input *in) noexcept;

}  // namespace xyd::score::detail
