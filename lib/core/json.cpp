// SPDX-License-Identifier: Apache-2.0
#include "xyd/json.hpp"

#include <simdjson.h>

namespace xyd::json {

namespace od = simdjson::ondemand;

const char *kind_name(kind k) noexcept {
  switch (k) {
    case kind::null: return "null";
    case kind::boolean: return "boolean";
    case kind::number: return "number";
    case kind::string: return "string";
    case kind::array: return "array";
    case kind::object: return "object";
  }
  return "?";
}

const value *value::find(std::string_view key) const noexcept {
  for (const auto &m : members)
    if (m.first == key) return &m.second;
  return nullptr;
}

value *value::find(std::string_view key) noexcept {
  for (auto &m : members)
    if (m.first == key) return &m.second;
  return nullptr;
}

value &value::add(std::string key, value v) {
  members.emplace_back(std::move(key), std::move(v));
  return members.back().second;
}

value &value::push(value v) {
  items.push_back(std::move(v));
  return items.back();
}

namespace {

// RFC 8259 number grammar, checked on simdjson's raw token.
bool is_json_number(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size()) return false;
  if (t[i] == '0') {
    ++i;
  } else if (t[i] >= '1' && t[i] <= '9') {
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    const size_t s = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == s) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    const size_t s = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == s) return false;
  }
  return i == t.size();
}

std::string_view trim_token(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r'))
    t.remove_suffix(1);
  return t;
}

constexpr int max_depth = 64;

struct builder {
  const char *base = nullptr;
  std::string error;
  size_t error_offset = 0;

  template <class V>
  bool fail(V &v, const std::string &what) {
    error = what;
    auto loc = v.current_location();
    error_offset = loc.error() ? 0 : static_cast<size_t>(loc.value_unsafe() - base);
    return false;
  }

  template <class V>
  bool build(V &&src, value &out, int depth, od::document &doc) {
    if (depth > max_depth) return fail(doc, "nesting deeper than " + std::to_string(max_depth));
    od::json_type t;
    if (auto e = src.type().get(t)) return fail(doc, simdjson::error_message(e));
    switch (t) {
      case od::json_type::null: {
        bool is_null = false;
        if (src.is_null().get(is_null) || !is_null) return fail(doc, "invalid literal");
        out.type = kind::null;
        return true;
      }
      case od::json_type::boolean: {
        bool b;
        if (auto e = src.get_bool().get(b)) return fail(doc, simdjson::error_message(e));
        out.type = kind::boolean;
        out.boolean = b;
        return true;
      }
      case od::json_type::number: {
        std::string_view raw = trim_token(src.raw_json_token());
        if (!is_json_number(raw)) return fail(doc, "invalid number");
        out.type = kind::number;
        out.text.assign(raw);
        return true;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = src.get_string().get(s)) return fail(doc, simdjson::error_message(e));
        out.type = kind::string;
        out.text.assign(s);
        return true;
      }
      case od::json_type::array: {
        od::array arr;
        if (auto e = src.get_array().get(arr)) return fail(doc, simdjson::error_message(e));
        out.type = kind::array;
        size_t count = 0;
        if (!arr.count_elements().get(count)) out.items.reserve(count);  // one allocation, no moves
        for (auto element : arr) {
          od::value v;
          if (auto e = element.get(v)) return fail(doc, simdjson::error_message(e));
          if (!build(v, out.items.emplace_back(), depth + 1, doc)) return false;
        }
        return true;
      }
      case od::json_type::object: {
        od::object obj;
        if (auto e = src.get_object().get(obj)) return fail(doc, simdjson::error_message(e));
        out.type = kind::object;
        size_t count = 0;
        if (!obj.count_fields().get(count)) out.members.reserve(count);
        for (auto field : obj) {
          std::string_view key;
          if (auto e = field.unescaped_key().get(key)) return fail(doc, simdjson::error_message(e));
          od::value v;
          if (auto e = field.value().get(v)) return fail(doc, simdjson::error_message(e));
          auto &member = out.members.emplace_back(std::string(key), value());
          if (!build(v, member.second, depth + 1, doc)) return false;
        }
        return true;
      }
    }
    return fail(doc, "unexpected JSON type");
  }
};

}  // namespace

namespace {
result<value> parse_padded(std::string_view text, simdjson::padded_string_view padded);
}  // namespace

result<value> parse(std::string_view text) {
  simdjson::padded_string copy(text);
  return parse_padded(text, copy);
}

result<value> parse_in(std::string &buffer) {
  const size_t len = buffer.size();
  if (buffer.capacity() < len + simdjson::SIMDJSON_PADDING) buffer.reserve(len + simdjson::SIMDJSON_PADDING);
  return parse_padded(buffer, simdjson::padded_string_view(buffer.data(), len, buffer.capacity()));
}

namespace {
result<value> parse_padded(std::string_view text, simdjson::padded_string_view padded) {
  thread_local od::parser parser;
  od::document doc;
  builder b;
  b.base = padded.data();
  if (auto e = parser.iterate(padded).get(doc)) return {errc::parse, std::string("malformed JSON: ") + simdjson::error_message(e)};
  value out;
  // Scalars at the top level must be read through the document itself.
  od::json_type t;
  if (auto e = doc.type().get(t)) return {errc::parse, std::string("malformed JSON: ") + simdjson::error_message(e)};
  if (t == od::json_type::number) {
    // A number document is its whole (trimmed) text; simdjson does not
    // advance past a raw token, so check the text itself.
    std::string_view whole = trim_token(text);
    while (!whole.empty() && (whole.front() == ' ' || whole.front() == '\t' || whole.front() == '\n' || whole.front() == '\r'))
      whole.remove_prefix(1);
    if (!is_json_number(whole)) return {errc::parse, "malformed JSON at byte 0: invalid number"};
    return value::of_number(std::string(whole));
  }
  bool ok;
  if (t == od::json_type::array || t == od::json_type::object) {
    od::value root;
    if (auto e = doc.get_value().get(root)) return {errc::parse, std::string("malformed JSON: ") + simdjson::error_message(e)};
    ok = b.build(root, out, 0, doc);
  } else {
    ok = b.build(doc, out, 0, doc);
  }
  if (!ok) return {errc::parse, "malformed JSON at byte " + std::to_string(b.error_offset) + ": " + b.error};
  // At the end of the document current_location() reports OUT_OF_BOUNDS.
  if (auto loc = doc.current_location(); !loc.error()) {
    const size_t off = static_cast<size_t>(loc.value_unsafe() - padded.data());
    return {errc::parse, "malformed JSON at byte " + std::to_string(off) + ": trailing data after the document"};
  }
  return out;
}
}  // namespace

void append_quoted(std::string &out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // runs of bytes that need no escape are appended whole
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void dump_to(std::string &out, const value &v) {
  switch (v.type) {
    case kind::null: out += "null"; break;
    case kind::boolean: out += v.boolean ? "true" : "false"; break;
    case kind::number: out += v.text; break;
    case kind::string: append_quoted(out, v.text); break;
    case kind::array:
      out += '[';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ',';
        dump_to(out, v.items[i]);
      }
      out += ']';
      break;
    case kind::object:
      out += '{';
      for (size_t i = 0; i < v.members.size(); ++i) {
        if (i) out += ',';
        append_quoted(out, v.members[i].first);
        out += ':';
        dump_to(out, v.members[i].second);
      }
      out += '}';
      break;
  }
}

std::string dump(const value &v) {
  std::string s;
  dump_to(s, v);
  return s;
}

static bool is_identifier(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return !(k[0] >= '0' && k[0] <= '9');
}

std::string path_member(std::string_view base, std::string_view key) {
  std::string p(base);
  if (is_identifier(key)) {
    p += '.';
    p += key;
  } else {
    p += '[';
    append_quoted(p, key);
    p += ']';
  }
  return p;
}

std::string path_index(std::string_view base, size_t index) {
  std::string p(base);
  p += '[';
  p += std::to_string(index);
  p += ']';
  return p;
}

}  // namespace xyd::json
