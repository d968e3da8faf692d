// xyd C++ API: a small JSON document model over simdjson.
//
// Numbers keep their exact source text, so money and rates never pass
// through a double. Objects keep member order (and duplicates, which the
// catalog layer reports). Writing is compact, UTF-8, RFC 8259.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xyd/core.hpp"

namespace xyd::json {

enum class kind { null, boolean, number, string, array, object };
const char *kind_name(kind k) noexcept;

struct value {
  kind type = kind::null;
  bool boolean = false;
  std::string text;  ///< string contents, or a number's exact source text
  std::vector<value> items;
  std::vector<std::pair<std::string, value>> members;

  static value null() { return {}; }
  static value of_bool(bool b) { value v; v.type = kind::boolean; v.boolean = b; return v; }
  static value of_string(std::string s) { value v; v.type = kind::string; v.text = std::move(s); return v; }
  static value of_number(std::string s) { value v; v.type = kind::number; v.text = std::move(s); return v; }
  static value of_int(int64_t n) { return of_number(std::to_string(n)); }
  static value array() { value v; v.type = kind::array; return v; }
  static value object() { value v; v.type = kind::object; return v; }

  bool is(kind k) const noexcept { return type == k; }
  /// First member named `key`, or nullptr (objects only).
  const value *find(std::string_view key) const noexcept;
  value *find(std::string_view key) noexcept;
  /// Appends a member (objects) and returns it.
  value &add(std::string key, value v);
  value &push(value v);
};

/// Parses one JSON document; trailing non-space data is an error. Errors say
/// what is wrong and at which byte offset.
result<value> parse(std::string_view text);
/// The same on a buffer the caller owns: grows its capacity by simdjson's
/// padding instead of copying the text (for payloads decrypted into a
/// reusable buffer). The buffer's contents are unchanged.
result<value> parse_in(std::string &buffer);

/// Compact serialisation.
std::string dump(const value &v);
void dump_to(std::string &out, const value &v);
/// Appends `s` as a quoted JSON string.
void append_quoted(std::string &out, std::string_view s);

/// Path helpers for error reports: "$.data.uscc", "$.data.list[3]".
std::string path_member(std::string_view base, std::string_view key);
std::string path_index(std::string_view base, size_t index);

}  // namespace xyd::json
