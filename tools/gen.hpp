// The synthetic-data generator behind `xyd gen`: deterministic JSON Lines
// feeds covering all 37 item types of CN-2024.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "xyd/core.hpp"

namespace xyd::gen {

struct options {
  uint64_t subjects = 100;
  uint64_t seed = 1;
  int risky_percent = 15;           ///< share of subjects with adverse records
  int farmer_percent = 20;          ///< share of subjects that are farmers (RID)
  civil_date as_of{2024, 6, 30};    ///< the last month-end of the monthly snapshots
  int months = 24;                  ///< monthly snapshots per monthly item (1..24)
};

/// Generates the feed; `sink` receives chunks of JSON Lines text (whole
/// lines, in order). The same options give byte-identical output on every
/// platform: integer arithmetic and an explicit PRNG only.
/// Returns the number of records written.
uint64_t generate(const options &opt, const std::function<void(std::string_view)> &sink);

}  // namespace xyd::gen
