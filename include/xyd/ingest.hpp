// xyd C++ API: reading JSON Lines feeds.
//
// A feed is UTF-8 JSON Lines: one record per line, blank lines ignored, LF or
// CRLF endings, a leading byte-order mark ignored. Lines are read in bounded memory whatever the file size.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "xyd/catalog.hpp"
#include "xyd/store.hpp"

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

/// Appends `[{"line","path","code","message"}, …]`.
void append_line_problems(std::string &out, const std::vector<line_problem> &problems);

/// Validates every line of a feed against `cat`; `max_problems` bounds the
/// problems kept in the report (all are counted). `on_problem`, when given,
/// sees every problem as it is found, so a caller can stream them out of a
/// feed of any size in bounded memory.
status validate_feed(const catalog &cat, std::istream &in, validation_report &report, size_t max_problems = 1000,
                     const std::function<void(const line_problem &)> &on_problem = nullptr);

/// Outcome of one ingest batch.
struct summary {
  struct counts {
    uint64_t inserted = 0, updated = 0, unchanged = 0, rejected = 0;
  };
  int64_t batch_id = 0;
  bool committed = false;
  uint64_t records = 0;  ///< non-blank lines read
  counts total;
  std::map<std::string, counts> per_type;
  std::vector<line_problem> rejections;  ///< the first 1000 problems of rejected lines
  /// {"batch","committed","changed","records","inserted","updated","unchanged",
  ///  "rejected","per_type":{type:{…}},"rejections":[{"line","path","code","message"}]}
  std::string to_json() const;
};

struct options {
  bool skip_invalid = false;  ///< store the valid records, report the others
  std::string source_name;    ///< recorded with the batch
  /// Called about every 16,384 records with (bytes read, records read).
  std::function<void(uint64_t, uint64_t)> progress;
};

/// Ingests a JSON Lines feed into `st` as one transaction: each record is
/// parsed, normalised, validated against the catalog in force and upserted
/// (idempotent per item type, natural key and as_of). Atomic by default: the
/// first invalid record aborts the batch, the store is exactly as before, and
/// the error says "line N: $.path: reason"; with skip_invalid the valid
/// records are stored and every rejected one is in `out.rejections`. `out`
/// is filled in either case.
status ingest(store &st, std::istream &in, const options &opt, summary &out);
status ingest_buffer(store &st, std::string_view buffer, const options &opt, summary &out);
status ingest_file(store &st, const std::string &path, const options &opt, summary &out);

}  // namespace xyd::ingest
