// SPDX-License-Identifier: Apache-2.0
#include <string>

#include "xyd/ingest.hpp"

namespace xyd::ingest {

status for_each_line(std::istream &in, const std::function<bool(size_t, std::string_view)> &fn) {
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view view(line);
    if (number == 1 && view.starts_with("\xEF\xBB\xBF")) view.remove_prefix(3);  // a UTF-8 byte-order mark
    if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
    if (view.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (!fn(number, view)) return status::ok();
  }
  if (in.bad()) return {errc::io, "read error after line " + std::to_string(number)};
  return status::ok();
}

status validate_feed(const catalog &cat, std::istream &in, validation_report &report, size_t max_problems,
                     const std::function<void(const line_problem &)> &on_problem) {
  const civil_date today = today_cn();
  return for_each_line(in, [&](size_t number, std::string_view line) {
    ++report.records;
    std::vector<problem> problems;
    auto doc = json::parse(line);
    if (!doc) {
      problems.push_back({"$", "syntax", doc.error().message()});
    } else {
      problems = validate_record(cat, *doc, today);
    }
    if (problems.empty()) {
      ++report.valid;
      ++report.per_type[doc->find("type")->text];
    } else {
      ++report.invalid;
    }
    for (auto &p : problems) {
      ++report.problems_total;
      line_problem lp{number, std::move(p)};
      if (on_problem) on_problem(lp);
      if (report.problems.size() < max_problems) report.problems.push_back(std::move(lp));
    }
    return true;
  });
}

std::string validation_report::to_json() const {
  std::string s = "{\"records\":" + std::to_string(records) + ",\"valid\":" + std::to_string(valid) +
                  ",\"invalid\":" + std::to_string(invalid) + ",\"per_type\":{";
  bool first = true;
  for (const auto &[type, n] : per_type) {
    if (!first) s += ',';
    first = false;
    json::append_quoted(s, type);
    s += ':' + std::to_string(n);
  }
  s += "},\"problems_total\":" + std::to_string(problems_total) + ",\"problems\":";
  append_line_problems(s, problems);
  s += '}';
  return s;
}

void append_line_problems(std::string &s, const std::vector<line_problem> &problems) {
  s += '[';
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) s += ',';
    s += "{\"line\":" + std::to_string(problems[i].line) + ",\"path\":";
    json::append_quoted(s, problems[i].what.path);
    s += ",\"code\":";
    json::append_quoted(s, problems[i].what.code);
    s += ",\"message\":";
    json::append_quoted(s, problems[i].what.message);
    s += '}';
  }
  s += ']';
}

}  // namespace xyd::ingest
