// SPDX-License-Identifier: Apache-2.0
#include "xyd/json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

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

static_assert(padding == simdjson::SIMDJSON_PADDING, "json::padding is simdjson's");

result<value> parse_view(std::string_view text) {
  return parse_padded(text, simdjson::padded_string_view(text.data(), text.size(), text.size() + padding));
}

// find_member walks the object's text itself: simdjson's on-demand API
// indexes the whole text first (stage 1), which for one or two lookups in a
// record's few hundred bytes costs more than the walk (measured: more than
// decrypting the record). Skipped values are delimited, not validated.
namespace {

// Word-at-a-time tests (the has-zero and has-less bit tricks, exact):
// does any of the eight bytes equal `c`, or is any below 0x20?
constexpr uint64_t ones8 = 0x0101010101010101ULL, highs8 = 0x8080808080808080ULL;
constexpr uint64_t has_byte(uint64_t w, unsigned char c) {
  const uint64_t x = w ^ (ones8 * c);
  return (x - ones8) & ~x & highs8;
}
constexpr uint64_t has_control(uint64_t w) { return (w - ones8 * 0x20) & ~w & highs8; }
inline uint64_t load8(const char *p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

struct scanner {
  std::string_view t;
  size_t i = 0;

  bool at_end() const { return i >= t.size(); }
  void ws() {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  }
  // At an opening quote: moves past the closing one; `escaped` says whether
  // the contents hold an escape.
  bool string(std::string_view &contents, bool &escaped) {
    if (at_end() || t[i] != '"') return false;
    const size_t begin = ++i;
    escaped = false;
    while (i < t.size()) {
      // Eight bytes at a time past bytes that are plain text.
      while (i + 8 <= t.size()) {
        const uint64_t w = load8(t.data() + i);
        if (has_byte(w, '"') | has_byte(w, '\\') | has_control(w)) break;
        i += 8;
      }
      if (i >= t.size()) break;
      const char c = t[i];
      if (c == '"') {
        contents = t.substr(begin, i - begin);
        ++i;
        return true;
      }
      if (c == '\\') {
        escaped = true;
        i += 2;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      ++i;
    }
    return false;
  }
  // Past one value of any kind.
  bool skip_value() {
    if (at_end()) return false;
    const char c = t[i];
    if (c == '"') {
      std::string_view s;
      bool e;
      return string(s, e);
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (i < t.size()) {
        // Eight bytes at a time past bytes that are not structure.
        while (i + 8 <= t.size()) {
          const uint64_t w = load8(t.data() + i);
          if (has_byte(w, '"') | has_byte(w, '{') | has_byte(w, '}') | has_byte(w, '[') | has_byte(w, ']')) break;
          i += 8;
        }
        if (i >= t.size()) break;
        const char d = t[i];
        if (d == '"') {
          std::string_view s;
          bool e;
          if (!string(s, e)) return false;
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        else if (d == '}' || d == ']') {
          if (--depth == 0) {
            ++i;
            return true;
          }
        }
        ++i;
      }
      return false;
    }
    const size_t begin = i;
    while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\t' && t[i] != '\n' &&
           t[i] != '\r')
      ++i;
    return i > begin;
  }
};

// A string's contents with its escapes resolved (simdjson's unescaping).
bool unescape(std::string_view raw, std::string &out) {
  std::string quoted;
  quoted.reserve(raw.size() + 2 + simdjson::SIMDJSON_PADDING);
  quoted += '"';
  quoted += raw;
  quoted += '"';
  thread_local od::parser parser;
  od::document doc;
  std::string_view s;
  if (parser.iterate(simdjson::padded_string_view(quoted.data(), quoted.size(), quoted.capacity())).get(doc) ||
      doc.get_string().get(s))
    return false;
  out.assign(s);
  return true;
}

}  // namespace

std::optional<member> find_member(std::string_view object_text, std::string_view key) {
  scanner sc{object_text};
  sc.ws();
  if (sc.at_end() || object_text[sc.i] != '{') return std::nullopt;
  ++sc.i;
  thread_local std::string unescaped_key, unescaped_value;
  for (;;) {
    sc.ws();
    if (sc.at_end() || object_text[sc.i] == '}') return std::nullopt;
    std::string_view k;
    bool escaped;
    if (!sc.string(k, escaped)) return std::nullopt;
    bool match = k == key;
    if (escaped) match = unescape(k, unescaped_key) && unescaped_key == key;
    sc.ws();
    if (sc.at_end() || object_text[sc.i] != ':') return std::nullopt;
    ++sc.i;
    sc.ws();
    const size_t begin = sc.i;
    if (!sc.skip_value()) return std::nullopt;
    if (!match) {
      const std::string_view raw = object_text.substr(begin, sc.i - begin);
      const char c0 = raw.front();
      if (c0 != '"' && c0 != '{' && c0 != '[' && raw != "true" && raw != "false" && raw != "null" && !is_json_number(raw))
        return std::nullopt;
    } else {
      const std::string_view raw = object_text.substr(begin, sc.i - begin);
      member m;
      switch (raw.front()) {
        case '"': {
          std::string_view contents = raw.substr(1, raw.size() - 2);
          if (contents.find('\\') != std::string_view::npos) {
            if (!unescape(contents, unescaped_value)) return std::nullopt;
            contents = unescaped_value;
          }
          m.type = kind::string;
          m.text = contents;
          return m;
        }
        case '{': m.type = kind::object; m.text = raw; return m;
        case '[': m.type = kind::array; m.text = raw; return m;
        case 't': if (raw != "true") return std::nullopt; m.type = kind::boolean; m.boolean = true; return m;
        case 'f': if (raw != "false") return std::nullopt; m.type = kind::boolean; return m;
        case 'n': if (raw != "null") return std::nullopt; m.type = kind::null; return m;
        default:
          if (!is_json_number(raw)) return std::nullopt;
          m.type = kind::number;
          m.text = raw;
          return m;
      }
    }
    sc.ws();
    if (sc.at_end()) return std::nullopt;
    if (object_text[sc.i] == ',') {
      ++sc.i;
      continue;
    }
    return std::nullopt;  // '}' (not found) or malformed
  }
}

std::optional<std::vector<std::string_view>> array_items(std::string_view array_text) {
  scanner sc{array_text};
  sc.ws();
  if (sc.at_end() || array_text[sc.i] != '[') return std::nullopt;
  ++sc.i;
  std::vector<std::string_view> items;
  sc.ws();
  if (!sc.at_end() && array_text[sc.i] == ']') return items;
  for (;;) {
    sc.ws();
    const size_t begin = sc.i;
    if (!sc.skip_value()) return std::nullopt;
    items.push_back(array_text.substr(begin, sc.i - begin));
    sc.ws();
    if (sc.at_end()) return std::nullopt;
    if (array_text[sc.i] == ']') return items;
    if (array_text[sc.i] != ',') return std::nullopt;
    ++sc.i;
  }
}

result<value> to_value(const member &m) {
  switch (m.type) {
    case kind::null: return value::null();
    case kind::boolean: return value::of_bool(m.boolean);
    case kind::number: return value::of_number(std::string(m.text));
    case kind::string: return value::of_string(std::string(m.text));
    case kind::array:
    case kind::object: return parse(m.text);
  }
  return value::null();
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
  // Eight bytes at a time while none needs an escape (byte < 0x20, '"' or
  // '\\'): exact word tests (has-less and has-zero bit tricks).
  size_t i = 0;
  for (;;) {
    for (; i + 8 <= s.size(); i += 8) {
      const uint64_t w = load8(s.data() + i);
      if (has_byte(w, '"') | has_byte(w, '\\') | has_control(w)) break;
    }
    const size_t stop = std::min(s.size(), i + 8);
    if (i >= s.size()) break;
    for (; i < stop; ++i) {
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

std::optional<std::string> duplicate_key(const value &v) {
  if (v.is(kind::object)) {
    for (size_t i = 0; i < v.members.size(); ++i) {
      for (size_t j = 0; j < i; ++j)  // objects in signed texts are small
        if (v.members[j].first == v.members[i].first) return v.members[i].first;
      if (auto d = duplicate_key(v.members[i].second)) return d;
    }
  } else if (v.is(kind::array)) {
    for (const auto &item : v.items)
      if (auto d = duplicate_key(item)) return d;
  }
  return std::nullopt;
}

}  // namespace xyd::json
