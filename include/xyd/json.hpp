// xyd C++ API: a small JSON document model over simdjson.
//
// Numbers keep their exact source text, so money and rates never pass
// through a double. Objects keep member order (and duplicates, which the
// catalog layer reports). Writing is compact, UTF-8, RFC 8259.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
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

  // Special members and factories are defined after the class, where a
  // value is complete: clang with libstdc++ otherwise instantiates the
  // vectors' destructors while pair<string, value> is still incomplete.
  value() noexcept;
  ~value();
  value(const value &);
  value(value &&) noexcept;
  value &operator=(const value &);
  value &operator=(value &&) noexcept;

  static value null();
  static value of_bool(bool b);
  static value of_string(std::string s);
  static value of_number(std::string s);
  static value of_int(int64_t n);
  static value array();
  static value object();

  bool is(kind k) const noexcept { return type == k; }
  /// First member named `key`, or nullptr (objects only).
  const value *find(std::string_view key) const noexcept;
  value *find(std::string_view key) noexcept;
  /// Appends a member (objects) and returns it.
  value &add(std::string key, value v);
  value &push(value v);
};

inline value::value() noexcept = default;
inline value::~value() = default;
inline value::value(const value &) = default;
inline value::value(value &&) noexcept = default;
inline value &value::operator=(const value &) = default;
inline value &value::operator=(value &&) noexcept = default;

inline value value::null() { return {}; }
inline value value::of_bool(bool b) { value v; v.type = kind::boolean; v.boolean = b; return v; }
inline value value::of_string(std::string s) { value v; v.type = kind::string; v.text = std::move(s); return v; }
inline value value::of_number(std::string s) { value v; v.type = kind::number; v.text = std::move(s); return v; }
inline value value::of_int(int64_t n) { return of_number(std::to_string(n)); }
inline value value::array() { value v; v.type = kind::array; return v; }
inline value value::object() { value v; v.type = kind::object; return v; }

/// Parses one JSON document; trailing non-space data is an error. Errors say
/// what is wrong and at which byte offset.
result<value> parse(std::string_view text);
/// The same on a buffer the caller owns: grows its capacity by simdjson's
/// padding instead of copying the text (for payloads decrypted into a
/// reusable buffer). The buffer's contents are unchanged.
result<value> parse_in(std::string &buffer);

/// Readable bytes simdjson needs after a text it reads in place.
inline constexpr size_t padding = 64;

/// Parses a text that lies in a buffer with at least `padding` readable
/// bytes after it (a record set's payloads), without copying it.
result<value> parse_view(std::string_view text);

/// A member of an object's JSON text, looked up without building a tree.
struct member {
  kind type = kind::null;
  bool boolean = false;
  /// A string's contents (unescaped), a number's source text, or an array's
  /// or object's JSON text, pointing into the object's text — except a
  /// string with escapes, whose contents are valid until the thread's next
  /// find_member.
  std::string_view text;
};
/// The first top-level member `key` of the object `object_text`, found by
/// walking the text (the objects and arrays before it are delimited, not
/// validated: for text the library wrote, such as a stored payload);
/// nullopt when there is none, or when the text is not an object up to
/// that member.
std::optional<member> find_member(std::string_view object_text, std::string_view key);

/// The items of an array's JSON text, each as its text, found as
/// find_member finds members; nullopt when the text is not an array.
std::optional<std::vector<std::string_view>> array_items(std::string_view array_text);

/// A member as a value (an object or array member parsed, in place).
result<value> to_value(const member &m);

/// Compact serialisation.
std::string dump(const value &v);
void dump_to(std::string &out, const value &v);
/// Appends `s` as a quoted JSON string.
void append_quoted(std::string &out, std::string_view s);

/// Path helpers for error reports: "$.data.uscc", "$.data.list[3]".
std::string path_member(std::string_view base, std::string_view key);
std::string path_index(std::string_view base, size_t index);

/// The first name that appears twice in one object of `v` (at any depth),
/// or nullopt. Parsers disagree on which of two such members counts (xyd's
/// find() reads the first, others the last), so signed texts (consent
/// claims, token footers) with one are refused.
std::optional<std::string> duplicate_key(const value &v);

}  // namespace xyd::json
