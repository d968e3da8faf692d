// Masking operators and policies.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/mask.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace xyd::mask {

std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (i + n > s.size()) n = s.size() - i;
    out.emplace_back(s.data() + i, n);
    i += n;
  }
  return out;
}

namespace {

// Bytes of the UTF-8 sequence that starts with c (1 for stray bytes).
inline size_t seq_len(unsigned char c) {
  return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
}

// Byte offset of code point number `n` (or the end).
inline size_t offset_of(std::string_view s, size_t n) {
  size_t i = 0;
  while (n-- && i < s.size()) i += seq_len(static_cast<unsigned char>(s[i]));
  return std::min(i, s.size());
}

const char *kind_name(op_kind k) {
  switch (k) {
    case op_kind::keep: return "keep";
    case op_kind::keep_ends: return "keep_ends";
    case op_kind::mask_ends: return "mask_ends";
    case op_kind::redact: return "redact";
    case op_kind::replace: return "replace";
    case op_kind::pseudonym: return "pseudonym";
    case op_kind::date: return "date";
    case op_kind::amount: return "amount";
    case op_kind::address: return "address";
    case op_kind::truncate: return "truncate";
    case op_kind::surname: return "surname";
  }
  return "?";
}

constexpr std::string_view compound_surnames[] = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "司徒", "司空", "夏侯", "令狐", "慕容", "长孙",
    "宇文", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "闻人", "澹台", "公冶", "宗政", "濮阳", "太史",
    "申屠", "仲孙", "钟离", "赫连", "万俟", "拓跋", "东郭", "第五", "谷梁", "左丘", "梁丘", "公羊", "羊舌", "微生"};

bool is_middle_dot(std::string_view cp) {
  return cp == "\xC2\xB7" /* U+00B7 */ || cp == "\xE3\x83\xBB" /* U+30FB */ || cp == "\xE2\x80\xA2" /* U+2022 */ ||
         cp == "\xE2\x80\xA7" /* U+2027 */ || cp == "\xEF\xBC\x8E" /* U+FF0E */ || cp == "." || cp == "\xE2\x80\xA4";
}

std::string repeat(const std::string &s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string surname_only(std::string_view value, const std::string &mask) {
  // Middle-dot names (阿卜杜拉·买买提, 约翰·史密斯): the last part is the
  // family (or father's) name and stays; the others are masked.
  bool dotted = false;
  for (size_t i = 0; i < value.size(); i += seq_len(static_cast<unsigned char>(value[i])))
    if (is_middle_dot(value.substr(i, seq_len(static_cast<unsigned char>(value[i]))))) dotted = true;
  if (dotted) {
    const auto cps = code_points(value);
    size_t last_dot = 0;
    for (size_t i = 0; i < cps.size(); ++i)
      if (is_middle_dot(cps[i])) last_dot = i;
    if (last_dot + 1 == cps.size()) return repeat(mask, cps.size());  // a trailing dot: mask everything
    std::string out;
    for (size_t i = 0; i < cps.size(); ++i) out += i < last_dot && !is_middle_dot(cps[i]) ? mask : std::string(cps[i]);
    return out;
  }
  const size_t n = utf8_length(value);
  if (n == 0) return {};
  size_t keep = 1;
  if (n >= 3)  // 欧阳娜: a compound surname needs a given name after it
    for (auto c : compound_surnames)
      if (value.starts_with(c)) keep = 2;
  if (n <= keep) return repeat(mask, n);
  const size_t cut = offset_of(value, keep);
  std::string out;
  out.reserve(cut + mask.size() * (n - keep));
  out.append(value.substr(0, cut));
  for (size_t i = keep; i < n; ++i) out += mask;
  return out;
}

// Province, city, district markers of Chinese addresses.
constexpr std::string_view municipalities[] = {"北京市", "上海市", "天津市", "重庆市"};

// The end (bytes) of the earliest of `markers` found from byte `from`, or
// npos. UTF-8 is self-synchronising: a whole marker never matches inside
// another character.
size_t find_after(std::string_view s, size_t from, std::initializer_list<std::string_view> markers) {
  size_t best = std::string_view::npos, end = std::string_view::npos;
  for (auto m : markers) {
    const size_t at = s.find(m, from);
    if (at != std::string_view::npos && at < best) {
      best = at;
      end = at + m.size();
    }
  }
  return end;
}

size_t cps_between(std::string_view s, size_t from, size_t to) { return utf8_length(s.substr(from, to - from)); }

std::string generalise_address(std::string_view value, const std::string &level) {
  constexpr size_t npos = std::string_view::npos;
  size_t province = npos;
  bool municipality = false;
  for (auto m : municipalities)
    if (value.starts_with(m)) {
      province = m.size();
      municipality = true;
    }
  if (!municipality) {
    province = find_after(value, 0, {"特别行政区", "自治区", "省"});
    if (province != npos && cps_between(value, 0, province) > 10) province = npos;  // not a province name
  }
  const size_t from = province == npos ? 0 : province;
  // A city ends at the first of these markers, tried in this order ("州"
  // alone is part of too many names: 广州, 杭州).
  size_t city = municipality ? province : npos;
  if (!municipality)
    for (std::string_view marker : {"市", "自治州", "地区", "盟"}) {
      const size_t end = find_after(value, from, {marker});
      if (end != npos && cps_between(value, from, end) <= 12) {
        city = end;
        break;
      }
    }
  const size_t from2 = city == npos ? from : city;
  size_t district = find_after(value, from2, {"区", "县", "旗", "市"});
  if (district != npos && cps_between(value, from2, district) > 8) district = npos;
  size_t cut = npos;
  if (level == "district") cut = district != npos ? district : city != npos ? city : province;
  else if (level == "city") cut = city != npos ? city : province;
  else cut = province != npos ? province : city;
  if (cut == npos || cut == 0) return "***";  // nothing recognisable: reveal nothing
  return std::string(value.substr(0, cut));
}

std::optional<std::string> amount_band(std::string_view value, const std::vector<decimal> &bands) {
  std::string text(value);
  auto d = parse_decimal(text, 4);
  if (!d) return std::nullopt;
  if (d->units < 0) return std::string("<0");
  for (size_t i = 0; i + 1 < bands.size(); ++i) {
    const auto lo = *bands[i].rescaled(4), hi = *bands[i + 1].rescaled(4);
    if (d->units >= lo.units && d->units < hi.units) return bands[i].to_minimal_string() + "-" + bands[i + 1].to_minimal_string();
  }
  if (!bands.empty() && d->units < bands.front().rescaled(4)->units) return "<" + bands.front().to_minimal_string();
  return ">=" + bands.back().to_minimal_string();
}

std::vector<decimal> default_bands() {
  std::vector<decimal> b;
  for (int64_t v : {0LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL}) b.push_back({v, 0});
  return b;
}

}  // namespace

std::string op::to_json() const {
  std::string s = "{\"op\":\"";
  s += kind_name(kind);
  s += '"';
  if (kind == op_kind::keep_ends || kind == op_kind::mask_ends)
    s += ",\"first\":" + std::to_string(first) + ",\"last\":" + std::to_string(last);
  if (kind == op_kind::keep_ends || kind == op_kind::mask_ends || kind == op_kind::surname) {
    s += ",\"char\":";
    json::append_quoted(s, mask_char);
  }
  if (kind == op_kind::replace) {
    s += ",\"value\":";
    json::append_quoted(s, value);
  }
  if (kind == op_kind::date || kind == op_kind::address) s += ",\"to\":\"" + level + "\"";
  if (kind == op_kind::truncate) s += ",\"length\":" + std::to_string(length);
  if (kind == op_kind::amount) {
    s += ",\"bands\":[";
    for (size_t i = 0; i < bands.size(); ++i) s += (i ? "," : "") + bands[i].to_minimal_string();
    s += ']';
  }
  return s + "}";
}

result<op> parse_op(const json::value &v, const std::string &path) {
  auto fail = [&](const std::string &member, const std::string &why) {
    return result<op>(errc::validation, "mask policy: " + json::path_member(path, member) + ": " + why);
  };
  if (!v.is(json::kind::object)) return result<op>(errc::validation, "mask policy: " + path + ": an operator is a JSON object");
  const json::value *name = v.find("op");
  if (!name || !name->is(json::kind::string)) return fail("op", "required (keep, keep_ends, mask_ends, redact, replace, pseudonym, date, amount, address, truncate, surname)");
  op o;
  bool known = false;
  for (op_kind k : {op_kind::keep, op_kind::keep_ends, op_kind::mask_ends, op_kind::redact, op_kind::replace, op_kind::pseudonym,
                    op_kind::date, op_kind::amount, op_kind::address, op_kind::truncate, op_kind::surname})
    if (name->text == kind_name(k)) {
      o.kind = k;
      known = true;
    }
  if (!known) return fail("op", "unknown operator \"" + name->text + "\"");
  auto count = [&](const char *member, int &out, bool required) -> status {
    const json::value *n = v.find(member);
    if (!n) return required ? status(errc::validation, "mask policy: " + json::path_member(path, member) + ": required") : status::ok();
    auto d = n->is(json::kind::number) ? parse_decimal(n->text, 0) : result<decimal>(errc::validation, "");
    if (!d || d->units < 0 || d->units > 1000)
      return {errc::validation, "mask policy: " + json::path_member(path, member) + ": a count 0..1000"};
    out = static_cast<int>(d->units);
    return status::ok();
  };
  std::vector<std::string> allowed = {"op"};
  switch (o.kind) {
    case op_kind::keep_ends:
    case op_kind::mask_ends:
      if (auto st = count("first", o.first, false); !st) return st;
      if (auto st = count("last", o.last, false); !st) return st;
      allowed.insert(allowed.end(), {"first", "last", "char"});
      break;
    case op_kind::surname:
      allowed.push_back("char");
      break;
    case op_kind::replace: {
      const json::value *r = v.find("value");
      if (!r || !r->is(json::kind::string)) return fail("value", "a string is required");
      o.value = r->text;
      allowed.push_back("value");
      break;
    }
    case op_kind::date:
    case op_kind::address: {
      const json::value *to = v.find("to");
      const bool date = o.kind == op_kind::date;
      if (!to || !to->is(json::kind::string) ||
          (date ? (to->text != "year" && to->text != "month")
                : (to->text != "province" && to->text != "city" && to->text != "district")))
        return fail("to", date ? "\"year\" or \"month\"" : "\"province\", \"city\" or \"district\"");
      o.level = to->text;
      allowed.push_back("to");
      break;
    }
    case op_kind::truncate:
      if (auto st = count("length", o.length, true); !st) return st;
      allowed.push_back("length");
      break;
    case op_kind::amount: {
      const json::value *b = v.find("bands");
      if (!b) {
        o.bands = default_bands();
      } else {
        if (!b->is(json::kind::array) || b->items.size() < 2) return fail("bands", "an ascending array of at least two amounts");
        for (const auto &x : b->items) {
          auto d = (x.is(json::kind::number) || x.is(json::kind::string)) ? parse_decimal(x.text, 4) : result<decimal>(errc::validation, "");
          if (!d || (!o.bands.empty() && o.bands.back().units >= d->units)) return fail("bands", "an ascending array of amounts");
          o.bands.push_back(*d);  // scale 4
        }
      }
      allowed.push_back("bands");
      break;
    }
    default:
      break;
  }
  if (const json::value *c = v.find("char")) {
    if (!c->is(json::kind::string) || code_points(c->text).size() != 1 || !is_valid_utf8(c->text))
      return fail("char", "one character");
    o.mask_char = c->text;
  }
  for (const auto &[k, unused] : v.members) {
    (void)unused;
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) return fail(k, "not a member of this operator");
  }
  return o;
}

result<std::optional<std::string>> apply(const op &o, std::string_view value, const context &ctx) {
  using out_t = std::optional<std::string>;
  switch (o.kind) {
    case op_kind::keep: return out_t(std::string(value));
    case op_kind::redact: return out_t();
    case op_kind::replace: return out_t(o.value);
    case op_kind::keep_ends: {
      const size_t n = utf8_length(value);
      const size_t first = static_cast<size_t>(o.first), last = static_cast<size_t>(o.last);
      // Too short to keep both ends and mask anything: mask it all.
      if (first + last >= n) return out_t(repeat(o.mask_char, n));
      const size_t head = offset_of(value, first), tail = offset_of(value, n - last);
      std::string out;
      out.reserve(head + (n - first - last) * o.mask_char.size() + (value.size() - tail));
      out.append(value.substr(0, head));
      for (size_t i = first; i < n - last; ++i) out += o.mask_char;
      out.append(value.substr(tail));
      return out_t(std::move(out));
    }
    case op_kind::mask_ends: {
      const size_t n = utf8_length(value);
      const size_t first = std::min<size_t>(static_cast<size_t>(o.first), n);
      const size_t last = std::min<size_t>(static_cast<size_t>(o.last), n - first);
      const size_t head = offset_of(value, first), tail = offset_of(value, n - last);
      std::string out;
      for (size_t i = 0; i < first; ++i) out += o.mask_char;
      out.append(value.substr(head, tail - head));
      for (size_t i = 0; i < last; ++i) out += o.mask_char;
      return out_t(std::move(out));
    }
    case op_kind::truncate: return out_t(std::string(value.substr(0, offset_of(value, static_cast<size_t>(o.length)))));
    case op_kind::surname: return out_t(surname_only(value, o.mask_char));
    case op_kind::address: return out_t(generalise_address(value, o.level));
    case op_kind::date: {
      auto d = parse_date(value);
      if (!d) {
        if (auto m = parse_month(value); m && o.level == "year") return out_t(std::to_string(m->year));
        return out_t();
      }
      return out_t(o.level == "year" ? std::to_string(d->year) : format_month(*d));
    }
    case op_kind::amount: {
      auto band = amount_band(value, o.bands.empty() ? default_bands() : o.bands);
      return band ? out_t(*band) : out_t();
    }
    case op_kind::pseudonym: {
      if (!ctx.pseudonym_key)
        return result<out_t>(errc::invalid_arg, "mask: a pseudonym needs the institution's pseudonym key");
      unsigned char h[12];
      crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char *>(value.data()), value.size(),
                         ctx.pseudonym_key->data(), ctx.pseudonym_key->size());
      char hex[sizeof h * 2 + 1];
      sodium_bin2hex(hex, sizeof hex, h, sizeof h);
      return out_t("PSN-" + std::string(hex));
    }
  }
  return out_t();
}

// ---------------------------------------------------------------- policies

namespace {
op make(op_kind k, int first = 0, int last = 0, const char *level = "") {
  op o;
  o.kind = k;
  o.first = first;
  o.last = last;
  o.level = level;
  if (k == op_kind::amount) o.bands = default_bands();
  return o;
}

const std::pair<const char *, pd_class> class_names[] = {
    {"public", pd_class::public_}, {"person_name", pd_class::person_name}, {"person_id", pd_class::person_id},
    {"phone", pd_class::phone}, {"address", pd_class::address}, {"marital_status", pd_class::marital_status},
    {"commercial_secret", pd_class::commercial_secret}};
}  // namespace

const policy &policy::builtin() {
  static const policy p = [] {
    policy b;
    b.name_ = "xyd-default";
    // external: anyone without consent. Nothing more than the surname, the
    // first 6 and last 4 characters of an id (never the birth date), 3 + 4
    // digits of a phone, the district of an address.
    auto &ext = b.rules_["external"];
    ext["public"] = make(op_kind::keep);
    ext["person_name"] = make(op_kind::surname);
    ext["person_id"] = make(op_kind::keep_ends, 6, 4);
    ext["phone"] = make(op_kind::keep_ends, 3, 4);
    ext["address"] = make(op_kind::address, 0, 0, "district");
    ext["marital_status"] = make(op_kind::redact);
    ext["commercial_secret"] = make(op_kind::amount);
    // loan_officer: the bank's own staff, for fields no consent covers: the
    // same limits; amounts in bands.
    b.rules_["loan_officer"] = ext;
    // regulator: links records of one person without learning who
    // (pseudonyms, keyed per institution), coarser places.
    auto &reg = b.rules_["regulator"];
    reg = ext;
    reg["person_id"] = make(op_kind::pseudonym);
    reg["address"] = make(op_kind::address, 0, 0, "city");
    return b;
  }();
  return p;
}

bool policy::has_role(std::string_view role) const {
  return rules_.count(role) || builtin().rules_.count(role);
}

const op &policy::rule_for(std::string_view role, std::string_view type, std::string_view field, pd_class cls) const {
  const char *cname = "public";
  for (const auto &[n, c] : class_names)
    if (c == cls) cname = n;
  if (auto a = rules_.find(role); a != rules_.end()) {
    std::string key(type);
    key += '.';
    key += field;
    if (auto r = a->second.find(key); r != a->second.end()) return r->second;
    if (auto r = a->second.find(std::string_view(cname)); r != a->second.end()) return r->second;
  }
  const auto &b = builtin().rules_;
  auto a = b.find(role);
  if (a == b.end()) a = b.find(std::string_view("external"));
  return a->second.find(std::string_view(cname))->second;
}

result<policy> policy::from_json(std::string_view text, const catalog &cat) {
  auto doc = json::parse(text);
  if (!doc) return status(errc::parse, "mask policy: " + doc.error().message());
  return from_json(*doc, cat);
}

result<policy> policy::from_json(const json::value &doc, const catalog &cat) {
  if (!doc.is(json::kind::object)) return status(errc::validation, "mask policy: $: must be a JSON object");
  policy p;
  const json::value *roles = nullptr;
  std::string roles_key;
  for (const auto &[k, v] : doc.members) {
    if (k == "name") {
      if (!v.is(json::kind::string)) return status(errc::validation, "mask policy: $.name: must be a string");
      p.name_ = v.text;
    } else if ((k == "roles" || k == "audiences") && !roles) {
      roles = &v;
      roles_key = k;
    } else {
      return status(errc::validation, "mask policy: " + json::path_member("$", k) + ": unknown member");
    }
  }
  if (!roles || !roles->is(json::kind::object)) return status(errc::validation, "mask policy: $.roles: required object");
  for (const auto &[name, rules] : roles->members) {
    const std::string apath = json::path_member("$." + roles_key, name);
    if (name.empty() || !rules.is(json::kind::object))
      return status(errc::validation, "mask policy: " + apath + ": an object of rules");
    auto &out = p.rules_[name];
    for (const auto &[key, rule] : rules.members) {
      const std::string rpath = json::path_member(apath, key);
      bool is_class = false;
      for (const auto &[n, c] : class_names) is_class |= key == n;
      if (!is_class) {
        const auto dot = key.rfind('.');
        const item_type *t = dot == std::string::npos ? nullptr : cat.find(std::string_view(key).substr(0, dot));
        if (!t || !t->field(std::string_view(key).substr(dot + 1)))
          return status(errc::validation, "mask policy: " + rpath + ": neither a personal-data class nor item_type.field");
      }
      auto o = parse_op(rule, rpath);
      if (!o) return o.error();
      out[key] = *o;
    }
  }
  return p;
}

std::string policy::to_json() const {
  std::string s = "{\"name\":";
  json::append_quoted(s, name_);
  s += ",\"roles\":{";
  bool first_a = true;
  for (const auto &[a, rules] : rules_) {
    s += first_a ? "" : ",";
    first_a = false;
    json::append_quoted(s, a);
    s += ":{";
    bool first = true;
    for (const auto &[k, o] : rules) {
      s += first ? "" : ",";
      first = false;
      json::append_quoted(s, k);
      s += ':' + o.to_json();
    }
    s += '}';
  }
  return s + "}}";
}

// ---------------------------------------------------------------- records

namespace {

status mask_value(const op &o, json::value &v, const context &ctx) {
  if (o.kind == op_kind::keep || v.is(json::kind::null)) return status::ok();
  switch (v.type) {
    case json::kind::string:
    case json::kind::number: {
      auto r = apply(o, v.text, ctx);
      if (!r) return r.error();
      if (*r) v = json::value::of_string(std::move(**r));
      else v = json::value::null();
      return status::ok();
    }
    case json::kind::boolean:
      if (o.kind != op_kind::keep) v = json::value::null();
      return status::ok();
    case json::kind::array:
      // Lists and series: leaf by leaf; months and dates of a series stay.
      for (auto &e : v.items)
        if (auto st = mask_value(o, e, ctx); !st) return st;
      return status::ok();
    case json::kind::object:
      for (auto &[k, e] : v.members) {
        if (k == "month" || k == "date" || k == "period_start" || k == "period_end") continue;
        if (auto st = mask_value(o, e, ctx); !st) return st;
      }
      return status::ok();
    default:
      return status::ok();
  }
}

}  // namespace

namespace {

// An identifier is an enterprise's (public) only when it is a valid USCC and
// not a valid resident id number: some 18-digit numbers are both, and then
// it is treated as a person's.
bool is_enterprise(const std::string &id) { return check_uscc(id) && !check_rid(id); }

status mask_parts(const item_type &t, json::value *subject, json::value *data, const context &ctx) {
  // The subject: a person's id number is masked like any person_id.
  if (subject && subject->is(json::kind::string) && !is_enterprise(subject->text))
    if (auto st = mask_value(ctx.pol->rule_for(ctx.role, t.id, "subject", pd_class::person_id), *subject, ctx); !st)
      return st;
  if (!data || !data->is(json::kind::object)) return status::ok();
  for (auto &[key, v] : data->members) {
    const field_def *f = t.field(key);
    // Unknown fields (not in the catalog) reveal nothing.
    if (!f) {
      v = json::value::null();
      continue;
    }
    // Identifiers of enterprises are public even in person_id fields.
    if (f->pd == pd_class::person_id && v.is(json::kind::string) && is_enterprise(v.text)) continue;
    if (auto st = mask_value(ctx.pol->rule_for(ctx.role, t.id, key, f->pd), v, ctx); !st) return st;
  }
  return status::ok();
}

}  // namespace

status mask_record(json::value &record, const catalog &cat, const context &ctx, const std::set<std::string> *covered) {
  if (!record.is(json::kind::object)) return {errc::validation, "mask: a record must be a JSON object"};
  if (!ctx.pol->has_role(ctx.role)) return {errc::not_found, "mask: unknown role \"" + ctx.role + "\""};
  const json::value *type = record.find("type");
  const item_type *t = type && type->is(json::kind::string) ? cat.find(type->text) : nullptr;
  if (!t) return {errc::validation, "mask: unknown item type"};
  if (covered && covered->count(t->id)) return status::ok();
  return mask_parts(*t, record.find("subject"), record.find("data"), ctx);
}

status mask_record(record &r, const catalog &cat, const context &ctx) {
  if (!ctx.pol->has_role(ctx.role)) return {errc::not_found, "mask: unknown role \"" + ctx.role + "\""};
  const item_type *t = cat.find(r.type);
  if (!t) return {errc::validation, "mask: unknown item type"};
  json::value subject = json::value::of_string(std::move(r.subject));
  auto st = mask_parts(*t, &subject, &r.data, ctx);
  r.subject = subject.is(json::kind::string) ? std::move(subject.text) : std::string();
  return st;
}

}  // namespace xyd::mask
