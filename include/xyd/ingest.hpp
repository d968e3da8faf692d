// xyd C++ API: reading JSON Lines feeds.
//
// A feed is UTF-8 JSON Lines: one record per line, blank lines ignored, LF or
// CRLF endings. Lines are read in bounded memory whatever the file size.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "xyd/catalog.hpp"

namespace xyd::ingest {

/// Calls `fn(line_number, line)` for every non-blank line (1-based numbers,
/// CR stripped). Stops early when fn returns false. errc::io when the stream
/// fails other than at its end.
status for_each_line(std::istream &in, const std::function<bool(size_t, std::string_view)> &fn);

struct line_problem {
  size_t line = 0;
  problem what;
};

/// Outcome of validating a feed.
struct validation_report {
  size_t records = 0, valid = 0, invalid = 0;
  std::map<std::string, size_t> per_type;  ///< valid records per item type
  std::vector<line_problem> problems;      ///< at most max_problems kept
  size_t problems_total = 0;
  std::string to_json() const;
};

/// Validates every line of a feed against `cat`; `max_problems` bounds the
/// problems kept in the report (all are counted). `on_problem`, when given,
/// sees every problem as it is found, so a caller can stream them out of a
/// feed of any size in bounded memory.
status validate_feed(const catalog &cat, std::istream &in, validation_report &report, size_t max_problems = 1000,
                     const std::function<void(const line_problem &)> &on_problem = nullptr);

}  // namespace xyd::ingest
