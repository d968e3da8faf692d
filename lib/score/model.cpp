// Scorecard models: the xyd-scorecard/1 JSON format, PDO scaling, the checks
// made at load (every value of each characteristic's fields matches an
// attribute), the canonical form and its hash.
// SPDX-License-Identifier: Apache-2.0
#include <sodium.h>

#include <algorithm>
#include <boost/multiprecision/cpp_dec_float.hpp>
#include <set>

#include "internal.hpp"

namespace xyd::score {

namespace {

using detail::tri;
using decimal50 = boost::multiprecision::cpp_dec_float_50;

const char *kind_id(field::kind k) {
  switch (k) {
    case field::kind::number: return "number";
    case field::kind::integer: return "integer";
    case field::kind::category: return "category";
    case field::kind::boolean: return "boolean";
  }
  return "number";
}

const char *invalid_id(field::invalid v) {
  switch (v) {
    case field::invalid::return_invalid: return "return_invalid";
    case field::invalid::as_missing: return "as_missing";
    case field::invalid::as_is: return "as_is";
  }
  return "return_invalid";
}

const char *op_id(predicate::op o) {
  using op = predicate::op;
  switch (o) {
    case op::eq: return "eq";
    case op::ne: return "ne";
    case op::lt: return "lt";
    case op::le: return "le";
    case op::gt: return "gt";
    case op::ge: return "ge";
    case op::in: return "in";
    case op::not_in: return "not_in";
    case op::all: return "and";
    case op::any: return "or";
    case op::one: return "xor";
    case op::surrogate: return "surrogate";
    default: return "";
  }
}

bool is_numeric(const field &f) { return f.type == field::kind::number || f.type == field::kind::integer; }

bool is_integral(const fixed &v) {
  static const fixed one = fixed_from_int(1);
  return v % one == 0;
}

/// The text of a scalar JSON value (a number's exact text, true/false).
std::optional<std::string> scalar_text(const json::value &v) {
  switch (v.type) {
    case json::kind::string:
    case json::kind::number: return v.text;
    case json::kind::boolean: return std::string(v.boolean ? "true" : "false");
    default: return std::nullopt;
  }
}

struct builder {
  model &m;
  status fail(const std::string &path, const std::string &why) { return {errc::validation, "model: " + path + ": " + why}; }

  result<fixed> number_at(const json::value &v, const std::string &path) {
    if (!v.is(json::kind::number) && !v.is(json::kind::string)) return fail(path, "must be a number");
    auto n = parse_fixed(v.text);
    if (!n) return fail(path, n.error().message());
    return *n;
  }

  int32_t intern(field &f, const std::string &text) {
    auto it = std::find(f.dictionary.begin(), f.dictionary.end(), text);
    if (it != f.dictionary.end()) return static_cast<int32_t>(it - f.dictionary.begin());
    f.dictionary.push_back(text);
    return static_cast<int32_t>(f.dictionary.size() - 1);
  }

  // A value compared with field `fi`: a number for numeric fields, an id in
  // the field's dictionary otherwise.
  status value_for(int32_t fi, const json::value &v, const std::string &path, fixed &number, int32_t &category) {
    field &f = m.fields[static_cast<size_t>(fi)];
    if (is_numeric(f)) {
      auto n = number_at(v, path);
      if (!n) return n.error();
      number = *n;
      return status::ok();
    }
    auto text = scalar_text(v);
    if (!text) return fail(path, "must be a string, a number or a boolean");
    if (f.type == field::kind::boolean && *text != "true" && *text != "false")
      return fail(path, "must be true or false (field \"" + f.name + "\" is boolean)");
    category = intern(f, *text);
    return status::ok();
  }

  result<int32_t> field_ref(const json::value &p, int32_t inherited, const std::string &path) {
    const json::value *f = p.find("field");
    if (!f) {
      if (inherited < 0) return fail(path, "names no field (give \"field\" here or on the characteristic)");
      return inherited;
    }
    if (!f->is(json::kind::string)) return fail(path + ".field", "must be a string");
    const int32_t i = m.field_index(f->text);
    if (i < 0) return fail(path + ".field", "\"" + f->text + "\" is not a field of the model");
    return i;
  }

  status range(const std::string &text, int32_t fi, predicate &out, const std::string &path) {
    if (!is_numeric(m.fields[static_cast<size_t>(fi)])) return fail(path, "a range needs a numeric field");
    if (text.size() < 3 || (text.front() != '[' && text.front() != '(') || (text.back() != ']' && text.back() != ')'))
      return fail(path, "a range is written \"[a,b)\", \"(a,b]\", \"[a,inf)\", \"(-inf,b]\"");
    const size_t comma = text.find(',');
    if (comma == std::string::npos) return fail(path, "a range needs a comma");
    auto trim = [](std::string s) {
      while (!s.empty() && s.front() == ' ') s.erase(0, 1);
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s;
    };
    const std::string lo = trim(text.substr(1, comma - 1)), hi = trim(text.substr(comma + 1, text.size() - comma - 2));
    out.kind = predicate::op::all;
    out.children.clear();
    std::optional<fixed> lo_v, hi_v;
    if (lo != "-inf" && lo != "") {
      auto v = parse_fixed(lo);
      if (!v) return fail(path, "lower end " + v.error().message());
      lo_v = *v;
      predicate c;
      c.kind = text.front() == '[' ? predicate::op::ge : predicate::op::gt;
      c.field = fi;
      c.number = *v;
      out.children.push_back(std::move(c));
    } else if (text.front() == '[') {
      return fail(path, "an infinite end is open: \"(-inf,\"");
    }
    if (hi != "inf" && hi != "+inf" && hi != "") {
      auto v = parse_fixed(hi);
      if (!v) return fail(path, "upper end " + v.error().message());
      hi_v = *v;
      predicate c;
      c.kind = text.back() == ']' ? predicate::op::le : predicate::op::lt;
      c.field = fi;
      c.number = *v;
      out.children.push_back(std::move(c));
    } else if (text.back() == ']') {
      return fail(path, "an infinite end is open: \",inf)\"");
    }
    if (lo_v && hi_v && (*lo_v > *hi_v || (*lo_v == *hi_v && (text.front() == '(' || text.back() == ')'))))
      return fail(path, "the range is empty");
    if (out.children.empty()) {
      // (-inf, inf): any value that is not missing.
      out.kind = predicate::op::not_missing;
      out.field = fi;
    }
    return status::ok();
  }

  result<predicate> pred(const json::value &p, int32_t inherited, const std::string &path) {
    predicate out;
    if (p.is(json::kind::boolean)) {
      out.kind = p.boolean ? predicate::op::always : predicate::op::never;
      return out;
    }
    if (!p.is(json::kind::object)) return fail(path, "a predicate is true, false or an object");
    static const std::pair<const char *, predicate::op> compounds[] = {
        {"and", predicate::op::all}, {"or", predicate::op::any}, {"xor", predicate::op::one}, {"surrogate", predicate::op::surrogate}};
    for (const auto &[name, kind] : compounds) {
      if (const json::value *list = p.find(name)) {
        if (!list->is(json::kind::array) || list->items.empty()) return fail(path + "." + name, "must be a non-empty array");
        out.kind = kind;
        const json::value *fld = p.find("field");
        int32_t inner = inherited;
        if (fld) {
          auto fi = field_ref(p, inherited, path);
          if (!fi) return fi.error();
          inner = *fi;
        }
        for (size_t i = 0; i < list->items.size(); ++i) {
          auto c = pred(list->items[i], inner, json::path_index(path + "." + name, i));
          if (!c) return c.error();
          out.children.push_back(std::move(*c));
        }
        return out;
      }
    }
    auto fi = field_ref(p, inherited, path);
    if (!fi) return fi.error();
    out.field = *fi;
    if (const json::value *mv = p.find("missing")) {
      if (!mv->is(json::kind::boolean)) return fail(path + ".missing", "must be true or false");
      out.kind = mv->boolean ? predicate::op::is_missing : predicate::op::not_missing;
      return out;
    }
    if (const json::value *r = p.find("range")) {
      if (!r->is(json::kind::string)) return fail(path + ".range", "must be a string such as \"[0,10)\"");
      if (auto st = range(r->text, *fi, out, path + ".range"); !st) return st;
      return out;
    }
    for (const char *name : {"in", "not_in"}) {
      if (const json::value *list = p.find(name)) {
        if (!list->is(json::kind::array) || list->items.empty()) return fail(path + "." + name, "must be a non-empty array");
        out.kind = std::string_view(name) == "in" ? predicate::op::in : predicate::op::not_in;
        for (size_t i = 0; i < list->items.size(); ++i) {
          fixed n = 0;
          int32_t c = -1;
          if (auto st = value_for(*fi, list->items[i], json::path_index(path + "." + name, i), n, c); !st) return st;
          if (is_numeric(m.fields[static_cast<size_t>(*fi)])) out.numbers.push_back(n);
          else out.categories.push_back(c);
        }
        return out;
      }
    }
    if (const json::value *o = p.find("op")) {
      static const std::pair<const char *, predicate::op> ops[] = {
          {"eq", predicate::op::eq}, {"ne", predicate::op::ne}, {"lt", predicate::op::lt},
          {"le", predicate::op::le}, {"gt", predicate::op::gt}, {"ge", predicate::op::ge}};
      if (!o->is(json::kind::string)) return fail(path + ".op", "must be a string");
      bool known = false;
      for (const auto &[name, kind] : ops)
        if (o->text == name) {
          out.kind = kind;
          known = true;
        }
      if (!known) return fail(path + ".op", "\"" + o->text + "\" is not one of eq, ne, lt, le, gt, ge");
      const json::value *v = p.find("value");
      if (!v) return fail(path, "needs a \"value\"");
      if (!is_numeric(m.fields[static_cast<size_t>(*fi)]) && out.kind != predicate::op::eq && out.kind != predicate::op::ne)
        return fail(path + ".op", "ordering comparisons need a numeric field; \"" + m.fields[static_cast<size_t>(*fi)].name +
                                      "\" is " + kind_id(m.fields[static_cast<size_t>(*fi)].type));
      if (auto st = value_for(*fi, *v, path + ".value", out.number, out.category); !st) return st;
      return out;
    }
    return fail(path, "a predicate needs one of missing, range, in, not_in, op, and, or, xor, surrogate");
  }
};

// ---------------------------------------------------------------- canonical JSON

void put_number(std::string &out, const fixed &v) { out += format_fixed(v); }

void put_pred(std::string &out, const model &m, const predicate &p) {
  using op = predicate::op;
  auto put_field = [&] {
    out += "{\"field\":";
    json::append_quoted(out, m.fields[static_cast<size_t>(p.field)].name);
  };
  auto put_value = [&](const fixed &n, int32_t c) {
    const field &f = m.fields[static_cast<size_t>(p.field)];
    if (is_numeric(f)) put_number(out, n);
    else json::append_quoted(out, f.dictionary[static_cast<size_t>(c)]);
  };
  switch (p.kind) {
    case op::always: out += "true"; return;
    case op::never: out += "false"; return;
    case op::is_missing:
    case op::not_missing:
      put_field();
      out += p.kind == op::is_missing ? ",\"missing\":true}" : ",\"missing\":false}";
      return;
    case op::in:
    case op::not_in: {
      put_field();
      out += ",\"";
      out += op_id(p.kind);
      out += "\":[";
      const size_t n = is_numeric(m.fields[static_cast<size_t>(p.field)]) ? p.numbers.size() : p.categories.size();
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        put_value(i < p.numbers.size() ? p.numbers[i] : fixed(0), i < p.categories.size() ? p.categories[i] : -1);
      }
      out += "]}";
      return;
    }
    case op::all:
    case op::any:
    case op::one:
    case op::surrogate:
      out += "{\"";
      out += op_id(p.kind);
      out += "\":[";
      for (size_t i = 0; i < p.children.size(); ++i) {
        if (i) out += ',';
        put_pred(out, m, p.children[i]);
      }
      out += "]}";
      return;
    default:
      put_field();
      out += ",\"op\":\"";
      out += op_id(p.kind);
      out += "\",\"value\":";
      put_value(p.number, p.category);
      out += '}';
  }
}

void put_opt_text(std::string &out, const char *key, const std::optional<std::string> &v) {
  if (!v) return;
  out += ",\"";
  out += key;
  out += "\":";
  json::append_quoted(out, *v);
}

// ---------------------------------------------------------------- coverage

void collect_fields(const predicate &p, std::set<int32_t> &out) {
  if (p.field >= 0) out.insert(p.field);
  for (const auto &c : p.children) collect_fields(c, out);
}

void collect_numbers(const predicate &p, int32_t f, std::vector<fixed> &out) {
  if (p.field == f) {
    using op = predicate::op;
    if (p.kind >= op::eq && p.kind <= op::ge) out.push_back(p.number);
    for (const auto &n : p.numbers) out.push_back(n);
  }
  for (const auto &c : p.children) collect_numbers(c, f, out);
}

bool in_intervals(const field &f, const fixed &v) {
  if (f.intervals.empty()) return true;
  for (const auto &iv : f.intervals) {
    if (iv.lo && (v < *iv.lo || (v == *iv.lo && !iv.lo_closed))) continue;
    if (iv.hi && (v > *iv.hi || (v == *iv.hi && !iv.hi_closed))) continue;
    return true;
  }
  return false;
}

// The values a field can take, one per class of values that every
// predicate of the characteristic treats alike, as the engine will see them
// after binding (invalid values mapped by the field's treatment).
std::vector<input> representatives(const model &m, const characteristic &c, int32_t fi) {
  const field &f = m.fields[static_cast<size_t>(fi)];
  std::vector<input> out;
  input missing;
  if (f.missing_replacement) {
    // A missing input becomes the replacement value.
    if (is_numeric(f)) {
      auto v = parse_fixed(*f.missing_replacement);
      if (v) {
        missing.type = input::kind::number;
        missing.number = *v;
      }
    } else {
      missing.type = input::kind::category;
      missing.category = m.category_id(fi, *f.missing_replacement);
    }
  }
  out.push_back(missing);
  auto add_valid_or_mapped = [&](input v, bool valid) {
    if (valid) out.push_back(v);
    else if (f.on_invalid == field::invalid::as_is) out.push_back(v);
    // as_missing: the missing representative stands for it;
    // return_invalid: scoring refuses it, nothing to match.
  };
  if (is_numeric(f)) {
    std::vector<fixed> b;
    for (const auto &a : c.attributes) collect_numbers(a.when, fi, b);
    for (const auto &iv : f.intervals) {
      if (iv.lo) b.push_back(*iv.lo);
      if (iv.hi) b.push_back(*iv.hi);
    }
    std::sort(b.begin(), b.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
    const bool integer = f.type == field::kind::integer;
    static const fixed one = fixed_from_int(1);
    auto floor_int = [&](const fixed &v) {
      fixed q = v / one;
      if (v < 0 && q * one != v) q -= 1;
      return q * one;
    };
    std::vector<fixed> cand;
    if (b.empty()) cand.push_back(0);
    else {
      cand.push_back(integer ? fixed(floor_int(b.front()) - (is_integral(b.front()) ? one : fixed(0))) : fixed(b.front() - one));
      for (size_t i = 0; i < b.size(); ++i) {
        if (!integer || is_integral(b[i])) cand.push_back(b[i]);
        if (i + 1 < b.size()) {
          if (integer) {
            const fixed next = floor_int(b[i]) + one;
            if (next < b[i + 1]) cand.push_back(next);
          } else if (b[i + 1] - b[i] >= 2) {
            cand.push_back(b[i] + (b[i + 1] - b[i]) / 2);
          }
        }
      }
      cand.push_back(integer ? fixed(floor_int(b.back()) + one) : fixed(b.back() + one));
    }
    for (const auto &v : cand) {
      input in;
      in.type = input::kind::number;
      in.number = v;
      add_valid_or_mapped(in, in_intervals(f, v));
    }
  } else {
    for (size_t i = 0; i < f.dictionary.size(); ++i) {
      if (std::find(f.missing_values.begin(), f.missing_values.end(), f.dictionary[i]) != f.missing_values.end()) continue;
      input in;
      in.type = input::kind::category;
      in.category = static_cast<int32_t>(i);
      const bool valid = f.values.empty() ||
                         std::find(f.values.begin(), f.values.end(), f.dictionary[i]) != f.values.end();
      add_valid_or_mapped(in, valid);
    }
    if (f.type != field::kind::boolean) {
      input other;
      other.type = input::kind::category;
      other.category = -1;
      add_valid_or_mapped(other, f.values.empty());
    }
  }
  return out;
}

std::string describe(const model &m, int32_t fi, const input &in) {
  const field &f = m.fields[static_cast<size_t>(fi)];
  std::string s = f.name + " = ";
  if (in.type == input::kind::missing) return s + "missing";
  if (in.type == input::kind::number) return s + format_fixed(in.number);
  if (in.category < 0) return s + "a value the model does not name";
  return s + "\"" + f.dictionary[static_cast<size_t>(in.category)] + "\"";
}

status check_coverage(const model &m) {
  std::vector<input> inputs(m.fields.size());
  for (size_t ci = 0; ci < m.characteristics.size(); ++ci) {
    const characteristic &c = m.characteristics[ci];
    std::set<int32_t> used;
    for (const auto &a : c.attributes) collect_fields(a.when, used);
    std::vector<int32_t> fields(used.begin(), used.end());
    std::vector<std::vector<input>> reps;
    size_t combinations = 1;
    for (int32_t f : fields) {
      reps.push_back(representatives(m, c, f));
      combinations *= reps.back().size();
      if (combinations > 1000000)
        return {errc::validation, "model: characteristic \"" + c.name + "\": too many combinations of fields to check"};
    }
    std::vector<size_t> at(fields.size(), 0);
    for (size_t n = 0; n < combinations; ++n) {
      size_t k = n;
      for (size_t i = 0; i < fields.size(); ++i) {
        at[i] = k % reps[i].size();
        k /= reps[i].size();
        inputs[static_cast<size_t>(fields[i])] = reps[i][at[i]];
      }
      bool matched = false;
      for (const auto &a : c.attributes)
        if (detail::eval(a.when, inputs.data()) == tri::t) {
          matched = true;
          break;
        }
      if (!matched) {
        std::string when;
        for (size_t i = 0; i < fields.size(); ++i)
          when += (i ? " and " : "") + describe(m, fields[i], reps[i][at[i]]);
        if (fields.empty()) when = "any input";
        return {errc::validation,
                "model: characteristic \"" + c.name + "\" (#" + std::to_string(ci + 1) + "): no attribute matches " + when};
      }
    }
    for (int32_t f : fields) inputs[static_cast<size_t>(f)] = input{};
  }
  return status::ok();
}

// ---------------------------------------------------------------- scaling

fixed round_to(const decimal50 &x, int decimals) {
  decimal50 y = x;
  for (int i = 0; i < decimals; ++i) y *= 10;
  decimal50 fl = floor(y);
  const decimal50 diff = y - fl;
  // fl is a whole number; Boost's conversion of 0 to an integer negates
  // ilogb(0) == INT_MIN (undefined behaviour), so 0 is taken apart.
  boost::multiprecision::cpp_int r = fl == 0 ? boost::multiprecision::cpp_int(0) : fl.convert_to<boost::multiprecision::cpp_int>();
  if (diff > decimal50("0.5")) r += 1;
  else if (diff == decimal50("0.5") && (r & 1) != 0) r += 1;
  fixed out = fixed(r);
  for (int i = decimals; i < fixed_scale; ++i) out *= 10;
  return out;
}

bool is_number_text(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  if (!digits()) return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    if (!digits()) return false;
  }
  return i == t.size() && t.size() <= 80;
}

// Scaling inputs may carry more digits than scores (weights from a fitted
// model): they are read at 50 significant digits.
result<decimal50> dec50(const json::value *v, const std::string &path, bool positive) {
  if (!v || (!v->is(json::kind::number) && !v->is(json::kind::string)) || !is_number_text(v->text))
    return status(errc::validation, "model: " + path + ": must be a number");
  const decimal50 d(v->text);
  if (abs(d) >= decimal50("1e24")) return status(errc::validation, "model: " + path + ": is too large (the limit is 10^24)");
  if (positive && d <= 0) return status(errc::validation, "model: " + path + ": must be greater than 0");
  return d;
}

}  // namespace

int32_t model::field_index(std::string_view name) const noexcept {
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return static_cast<int32_t>(i);
  return -1;
}

int32_t model::category_id(int32_t f, std::string_view text) const noexcept {
  const auto &d = fields[static_cast<size_t>(f)].dictionary;
  for (size_t i = 0; i < d.size(); ++i)
    if (d[i] == text) return static_cast<int32_t>(i);
  return -1;
}

std::string model::hash_hex() const { return to_hex(std::string_view(reinterpret_cast<const char *>(hash.data()), hash.size())); }

std::string model::canonical_json() const {
  std::string out = "{\"format\":\"xyd-scorecard/1\",\"id\":";
  json::append_quoted(out, id);
  out += ",\"version\":";
  json::append_quoted(out, version);
  if (!description.empty()) {
    out += ",\"description\":";
    json::append_quoted(out, description);
  }
  out += ",\"fields\":[";
  for (size_t i = 0; i < fields.size(); ++i) {
    const field &f = fields[i];
    out += i ? ",{\"name\":" : "{\"name\":";
    json::append_quoted(out, f.name);
    out += ",\"type\":\"";
    out += kind_id(f.type);
    out += '"';
    auto list = [&](const char *key, const std::vector<std::string> &v) {
      if (v.empty()) return;
      out += ",\"";
      out += key;
      out += "\":[";
      for (size_t k = 0; k < v.size(); ++k) {
        if (k) out += ',';
        json::append_quoted(out, v[k]);
      }
      out += ']';
    };
    list("values", f.values);
    list("missing_values", f.missing_values);
    if (!f.intervals.empty()) {
      out += ",\"intervals\":[";
      for (size_t k = 0; k < f.intervals.size(); ++k) {
        const auto &iv = f.intervals[k];
        std::string t;
        if (iv.lo) {
          t += iv.lo_closed ? '[' : '(';
          t += format_fixed(*iv.lo);
        } else {
          t += "(-inf";
        }
        t += ',';
        if (iv.hi) {
          t += format_fixed(*iv.hi);
          t += iv.hi_closed ? ']' : ')';
        } else {
          t += "inf)";
        }
        if (k) out += ',';
        json::append_quoted(out, t);
      }
      out += ']';
    }
    out += ",\"invalid\":\"";
    out += invalid_id(f.on_invalid);
    out += '"';
    put_opt_text(out, "missing_replacement", f.missing_replacement);
    out += '}';
  }
  out += ']';
  if (!other_fields.empty()) {
    out += ",\"other_fields\":[";
    for (size_t i = 0; i < other_fields.size(); ++i) {
      if (i) out += ',';
      json::append_quoted(out, other_fields[i]);
    }
    out += ']';
  }
  out += ",\"initial_score\":";
  put_number(out, initial_score);
  out += ",\"use_reason_codes\":";
  out += use_reason_codes ? "true" : "false";
  out += ",\"reason_code_algorithm\":\"";
  out += reason_algorithm == algorithm::points_below ? "points_below" : "points_above";
  out += "\",\"baseline_method\":";
  json::append_quoted(out, baseline_method);
  if (baseline_score) {
    out += ",\"baseline_score\":";
    put_number(out, *baseline_score);
  }
  out += ",\"max_reason_codes\":" + std::to_string(max_reason_codes);
  out += ",\"knockouts\":[";
  for (size_t i = 0; i < knockouts.size(); ++i) {
    const knockout &k = knockouts[i];
    out += i ? ",{\"id\":" : "{\"id\":";
    json::append_quoted(out, k.id);
    out += ",\"when\":";
    put_pred(out, *this, k.when);
    out += ",\"reason_code\":";
    json::append_quoted(out, k.reason_code);
    out += ",\"score\":";
    put_number(out, k.score);
    out += '}';
  }
  out += "],\"characteristics\":[";
  for (size_t i = 0; i < characteristics.size(); ++i) {
    const characteristic &c = characteristics[i];
    out += i ? ",{\"name\":" : "{\"name\":";
    json::append_quoted(out, c.name);
    put_opt_text(out, "reason_code", c.reason_code);
    if (c.baseline_score) {
      out += ",\"baseline_score\":";
      put_number(out, *c.baseline_score);
    }
    out += ",\"attributes\":[";
    for (size_t k = 0; k < c.attributes.size(); ++k) {
      const attribute &a = c.attributes[k];
      out += k ? ",{\"when\":" : "{\"when\":";
      put_pred(out, *this, a.when);
      out += ",\"partial_score\":";
      put_number(out, a.partial_score);
      put_opt_text(out, "reason_code", a.reason_code);
      if (!a.label.empty()) {
        out += ",\"label\":";
        json::append_quoted(out, a.label);
      }
      out += '}';
    }
    out += "]}";
  }
  out += "],\"grades\":[";
  for (size_t i = 0; i < grades.size(); ++i) {
    const grade &g = grades[i];
    out += i ? ",{\"grade\":" : "{\"grade\":";
    json::append_quoted(out, g.name);
    if (g.min) {
      out += ",\"min\":";
      put_number(out, *g.min);
    }
    if (!g.zh.empty()) {
      out += ",\"zh\":";
      json::append_quoted(out, g.zh);
    }
    if (!g.en.empty()) {
      out += ",\"en\":";
      json::append_quoted(out, g.en);
    }
    out += '}';
  }
  out += "],\"reason_codes\":{";
  bool first = true;
  for (const auto &[code, t] : reason_texts) {
    if (!first) out += ',';
    first = false;
    json::append_quoted(out, code);
    out += ":{\"zh\":";
    json::append_quoted(out, t.zh);
    out += ",\"en\":";
    json::append_quoted(out, t.en);
    out += '}';
  }
  out += "}}";
  return out;
}

namespace detail {

result<std::shared_ptr<const model>> build(const json::value &doc, std::string_view format) {
  auto mp = std::make_shared<model>();
  model &m = *mp;
  m.source_format = std::string(format);
  builder b{m};
  auto fail = [&](const std::string &path, const std::string &why) { return b.fail(path, why); };
  if (!doc.is(json::kind::object)) return fail("$", "a model is a JSON object");
  static const std::set<std::string> known = {"format", "id", "version", "description", "fields", "initial_score",
                                              "use_reason_codes", "reason_code_algorithm", "baseline_score",
                                              "baseline_method", "max_reason_codes", "scaling", "knockouts",
                                              "characteristics", "grades", "reason_codes", "other_fields"};
  for (const auto &[k, v] : doc.members)
    if (!known.count(k)) return fail("$." + k, "is not a member of an xyd-scorecard/1 model");
  if (const json::value *f = doc.find("format"); f && (!f->is(json::kind::string) || f->text != "xyd-scorecard/1"))
    return fail("$.format", "must be \"xyd-scorecard/1\"");
  auto text = [&](const char *key, bool required, std::string &out) -> status {
    const json::value *v = doc.find(key);
    if (!v) return required ? fail(std::string("$.") + key, "is required") : status::ok();
    if (!v->is(json::kind::string) || (required && v->text.empty()))
      return fail(std::string("$.") + key, "must be a non-empty string");
    out = v->text;
    return status::ok();
  };
  if (auto st = text("id", true, m.id); !st) return st;
  if (auto st = text("version", true, m.version); !st) return st;
  if (auto st = text("description", false, m.description); !st) return st;

  // Fields.
  const json::value *fields = doc.find("fields");
  if (!fields || !fields->is(json::kind::array) || fields->items.empty()) return fail("$.fields", "must be a non-empty array");
  for (size_t i = 0; i < fields->items.size(); ++i) {
    const json::value &fv = fields->items[i];
    const std::string path = json::path_index("$.fields", i);
    if (!fv.is(json::kind::object)) return fail(path, "must be an object");
    field f;
    const json::value *name = fv.find("name");
    if (!name || !name->is(json::kind::string) || name->text.empty()) return fail(path + ".name", "must be a non-empty string");
    f.name = name->text;
    if (m.field_index(f.name) >= 0) return fail(path + ".name", "\"" + f.name + "\" is defined twice");
    const json::value *type = fv.find("type");
    const std::string t = type && type->is(json::kind::string) ? type->text : "";
    if (t == "number") f.type = field::kind::number;
    else if (t == "integer") f.type = field::kind::integer;
    else if (t == "category") f.type = field::kind::category;
    else if (t == "boolean") f.type = field::kind::boolean;
    else return fail(path + ".type", "must be number, integer, category or boolean");
    for (const char *key : {"values", "missing_values"}) {
      if (const json::value *list = fv.find(key)) {
        if (!list->is(json::kind::array)) return fail(path + "." + key, "must be an array");
        for (size_t k = 0; k < list->items.size(); ++k) {
          auto s = scalar_text(list->items[k]);
          if (!s) return fail(json::path_index(path + "." + key, k), "must be a string or a number");
          (std::string_view(key) == "values" ? f.values : f.missing_values).push_back(*s);
        }
      }
    }
    if (!f.values.empty() && is_numeric(f)) return fail(path + ".values", "only categories list values (numbers use intervals)");
    if (const json::value *iv = fv.find("intervals")) {
      if (!is_numeric(f)) return fail(path + ".intervals", "only numeric fields have intervals");
      if (!iv->is(json::kind::array)) return fail(path + ".intervals", "must be an array");
      for (size_t k = 0; k < iv->items.size(); ++k) {
        if (!iv->items[k].is(json::kind::string)) return fail(json::path_index(path + ".intervals", k), "must be a string such as \"[0,inf)\"");
        predicate r;
        m.fields.push_back(f);  // range() checks the field's type
        status st = b.range(iv->items[k].text, static_cast<int32_t>(m.fields.size() - 1), r, json::path_index(path + ".intervals", k));
        m.fields.pop_back();
        if (!st) return st;
        field::interval out;
        for (const auto &c : r.children) {
          if (c.kind == predicate::op::ge || c.kind == predicate::op::gt) {
            out.lo = c.number;
            out.lo_closed = c.kind == predicate::op::ge;
          } else {
            out.hi = c.number;
            out.hi_closed = c.kind == predicate::op::le;
          }
        }
        f.intervals.push_back(out);
      }
    }
    if (const json::value *inv = fv.find("invalid")) {
      const std::string v = inv->is(json::kind::string) ? inv->text : "";
      if (v == "return_invalid") f.on_invalid = field::invalid::return_invalid;
      else if (v == "as_missing") f.on_invalid = field::invalid::as_missing;
      else if (v == "as_is") f.on_invalid = field::invalid::as_is;
      else return fail(path + ".invalid", "must be return_invalid, as_missing or as_is");
    }
    if (const json::value *r = fv.find("missing_replacement")) {
      auto s = scalar_text(*r);
      if (!s) return fail(path + ".missing_replacement", "must be a string or a number");
      if (is_numeric(f)) {
        if (auto n = parse_fixed(*s); !n) return fail(path + ".missing_replacement", n.error().message());
      }
      f.missing_replacement = *s;
    }
    if (f.type == field::kind::boolean) f.dictionary = {"false", "true"};
    for (const auto &v : f.values) b.intern(f, v);
    if (f.missing_replacement && !is_numeric(f)) b.intern(f, *f.missing_replacement);
    m.fields.push_back(std::move(f));
  }

  if (const json::value *of = doc.find("other_fields")) {
    if (!of->is(json::kind::array)) return fail("$.other_fields", "must be an array of names");
    for (size_t i = 0; i < of->items.size(); ++i) {
      if (!of->items[i].is(json::kind::string)) return fail(json::path_index("$.other_fields", i), "must be a string");
      if (m.field_index(of->items[i].text) >= 0)
        return fail(json::path_index("$.other_fields", i), "\"" + of->items[i].text + "\" is an input field");
      m.other_fields.push_back(of->items[i].text);
    }
  }

  // Header numbers and switches.
  if (const json::value *v = doc.find("initial_score")) {
    auto n = b.number_at(*v, "$.initial_score");
    if (!n) return n.error();
    m.initial_score = *n;
  }
  if (const json::value *v = doc.find("use_reason_codes")) {
    if (!v->is(json::kind::boolean)) return fail("$.use_reason_codes", "must be true or false");
    m.use_reason_codes = v->boolean;
  }
  if (const json::value *v = doc.find("reason_code_algorithm")) {
    if (v->is(json::kind::string) && v->text == "points_below") m.reason_algorithm = model::algorithm::points_below;
    else if (v->is(json::kind::string) && v->text == "points_above") m.reason_algorithm = model::algorithm::points_above;
    else return fail("$.reason_code_algorithm", "must be points_below or points_above");
  }
  if (const json::value *v = doc.find("baseline_score")) {
    auto n = b.number_at(*v, "$.baseline_score");
    if (!n) return n.error();
    m.baseline_score = *n;
  }
  if (const json::value *v = doc.find("baseline_method")) {
    static const std::set<std::string> methods = {"max", "min", "mean", "neutral", "other"};
    if (!v->is(json::kind::string) || !methods.count(v->text)) return fail("$.baseline_method", "must be max, min, mean, neutral or other");
    m.baseline_method = v->text;
  }
  if (const json::value *v = doc.find("max_reason_codes")) {
    auto n = v->is(json::kind::number) ? parse_fixed(v->text) : result<fixed>(errc::validation, "");
    if (!n || *n < 0 || !is_integral(*n) || *n > fixed_from_int(1000)) return fail("$.max_reason_codes", "must be an integer 0..1000");
    m.max_reason_codes = static_cast<size_t>(*n / fixed_from_int(1));
  }

  // Scaling: factor = pdo / ln 2, offset = base_score - factor * ln(base_odds).
  const json::value *scaling = doc.find("scaling");
  decimal50 factor = 0;
  int decimals = 0;
  if (scaling) {
    if (!scaling->is(json::kind::object)) return fail("$.scaling", "must be an object");
    for (const auto &[k, v] : scaling->members)
      if (k != "base_score" && k != "base_odds" && k != "pdo" && k != "intercept" && k != "decimals")
        return fail("$.scaling." + k, "is not a member of scaling (base_score, base_odds, pdo, intercept, decimals)");
    auto base_score = dec50(scaling->find("base_score"), "$.scaling.base_score", false);
    if (!base_score) return base_score.error();
    auto base_odds = dec50(scaling->find("base_odds"), "$.scaling.base_odds", true);
    if (!base_odds) return base_odds.error();
    auto pdo = dec50(scaling->find("pdo"), "$.scaling.pdo", true);
    if (!pdo) return pdo.error();
    decimal50 intercept = 0;
    if (const json::value *v = scaling->find("intercept")) {
      auto n = dec50(v, "$.scaling.intercept", false);
      if (!n) return n.error();
      intercept = *n;
    }
    if (const json::value *v = scaling->find("decimals")) {
      auto n = v->is(json::kind::number) ? parse_fixed(v->text) : result<fixed>(errc::validation, "");
      if (!n || *n < 0 || *n > fixed_from_int(6) || !is_integral(*n)) return fail("$.scaling.decimals", "must be an integer 0..6");
      decimals = static_cast<int>(*n / fixed_from_int(1));
    }
    if (doc.find("initial_score")) return fail("$.initial_score", "comes from scaling when the model has one; leave it out");
    factor = *pdo / log(decimal50(2));
    const decimal50 offset = *base_score - factor * log(*base_odds);
    m.initial_score = round_to(offset + factor * intercept, decimals);
  }

  // Characteristics.
  const json::value *chars = doc.find("characteristics");
  if (!chars || !chars->is(json::kind::array) || chars->items.empty())
    return fail("$.characteristics", "must be a non-empty array");
  for (size_t i = 0; i < chars->items.size(); ++i) {
    const json::value &cv = chars->items[i];
    const std::string path = json::path_index("$.characteristics", i);
    if (!cv.is(json::kind::object)) return fail(path, "must be an object");
    characteristic c;
    const json::value *name = cv.find("name");
    if (!name || !name->is(json::kind::string) || name->text.empty()) return fail(path + ".name", "must be a non-empty string");
    c.name = name->text;
    for (const auto &other : m.characteristics)
      if (other.name == c.name) return fail(path + ".name", "\"" + c.name + "\" is used twice");
    int32_t fi = -1;
    if (cv.find("field")) {
      auto f = b.field_ref(cv, -1, path);
      if (!f) return f.error();
      fi = *f;
    }
    if (const json::value *rc = cv.find("reason_code")) {
      if (!rc->is(json::kind::string) || rc->text.empty()) return fail(path + ".reason_code", "must be a non-empty string");
      c.reason_code = rc->text;
    }
    if (const json::value *v = cv.find("baseline_score")) {
      auto n = b.number_at(*v, path + ".baseline_score");
      if (!n) return n.error();
      c.baseline_score = *n;
    }
    decimal50 coefficient = 1;
    if (const json::value *v = cv.find("coefficient")) {
      if (!scaling) return fail(path + ".coefficient", "needs \"scaling\" on the model");
      auto n = dec50(v, path + ".coefficient", false);
      if (!n) return n.error();
      coefficient = *n;
    }
    const json::value *attrs = cv.find("attributes");
    if (!attrs || !attrs->is(json::kind::array) || attrs->items.empty()) return fail(path + ".attributes", "must be a non-empty array");
    for (size_t k = 0; k < attrs->items.size(); ++k) {
      const json::value &av = attrs->items[k];
      const std::string ap = json::path_index(path + ".attributes", k);
      if (!av.is(json::kind::object)) return fail(ap, "must be an object");
      attribute a;
      const json::value *when = av.find("when");
      if (!when) return fail(ap + ".when", "is required (a predicate)");
      auto p = b.pred(*when, fi, ap + ".when");
      if (!p) return p.error();
      a.when = std::move(*p);
      const json::value *ps = av.find("partial_score");
      const json::value *w = av.find("weight");
      if (ps && w) return fail(ap, "has both partial_score and weight");
      if (w) {
        if (!scaling) return fail(ap + ".weight", "needs \"scaling\" on the model");
        auto n = dec50(w, ap + ".weight", false);
        if (!n) return n.error();
        a.partial_score = round_to(factor * coefficient * *n, decimals);
      } else if (ps) {
        auto n = b.number_at(*ps, ap + ".partial_score");
        if (!n) return n.error();
        a.partial_score = *n;
      } else {
        return fail(ap, "needs a partial_score (or a weight with scaling)");
      }
      if (const json::value *rc = av.find("reason_code")) {
        if (!rc->is(json::kind::string) || rc->text.empty()) return fail(ap + ".reason_code", "must be a non-empty string");
        a.reason_code = rc->text;
      }
      if (const json::value *l = av.find("label")) {
        if (!l->is(json::kind::string)) return fail(ap + ".label", "must be a string");
        a.label = l->text;
      }
      if (m.use_reason_codes && !a.reason_code && !c.reason_code)
        return fail(ap, "has no reason code (give one here or on characteristic \"" + c.name + "\")");
      c.attributes.push_back(std::move(a));
    }
    if (m.use_reason_codes && !c.baseline_score && !m.baseline_score) {
      // Baselines from the method, where it defines one.
      if (m.baseline_method == "max" || m.baseline_method == "min") {
        fixed v = c.attributes.front().partial_score;
        for (const auto &a : c.attributes)
          v = m.baseline_method == "max" ? std::max(v, a.partial_score) : std::min(v, a.partial_score);
        c.baseline_score = v;
      } else if (m.baseline_method == "neutral") {
        c.baseline_score = fixed(0);
      } else {
        return fail(path, "characteristic \"" + c.name + "\" needs a baseline_score (or one on the model) to rank reason codes");
      }
    }
    m.characteristics.push_back(std::move(c));
  }

  // Knock-outs.
  if (const json::value *kos = doc.find("knockouts")) {
    if (!kos->is(json::kind::array)) return fail("$.knockouts", "must be an array");
    for (size_t i = 0; i < kos->items.size(); ++i) {
      const json::value &kv = kos->items[i];
      const std::string path = json::path_index("$.knockouts", i);
      if (!kv.is(json::kind::object)) return fail(path, "must be an object");
      knockout k;
      const json::value *id = kv.find("id");
      const json::value *rc = kv.find("reason_code");
      const json::value *when = kv.find("when");
      const json::value *score = kv.find("score");
      if (!id || !id->is(json::kind::string) || id->text.empty()) return fail(path + ".id", "must be a non-empty string");
      if (!rc || !rc->is(json::kind::string) || rc->text.empty()) return fail(path + ".reason_code", "must be a non-empty string");
      if (!when) return fail(path + ".when", "is required (a predicate)");
      if (!score) return fail(path + ".score", "is required (the score given when the rule fires)");
      k.id = id->text;
      k.reason_code = rc->text;
      auto p = b.pred(*when, -1, path + ".when");
      if (!p) return p.error();
      k.when = std::move(*p);
      auto n = b.number_at(*score, path + ".score");
      if (!n) return n.error();
      k.score = *n;
      m.knockouts.push_back(std::move(k));
    }
  }

  // Grades: descending minimums, the last without one.
  if (const json::value *gs = doc.find("grades")) {
    if (!gs->is(json::kind::array)) return fail("$.grades", "must be an array");
    for (size_t i = 0; i < gs->items.size(); ++i) {
      const json::value &gv = gs->items[i];
      const std::string path = json::path_index("$.grades", i);
      if (!gv.is(json::kind::object)) return fail(path, "must be an object");
      grade g;
      const json::value *name = gv.find("grade");
      if (!name || !name->is(json::kind::string) || name->text.empty()) return fail(path + ".grade", "must be a non-empty string");
      g.name = name->text;
      if (const json::value *v = gv.find("min")) {
        auto n = b.number_at(*v, path + ".min");
        if (!n) return n.error();
        g.min = *n;
      }
      for (const char *key : {"zh", "en"})
        if (const json::value *v = gv.find(key)) {
          if (!v->is(json::kind::string)) return fail(path + "." + key, "must be a string");
          (std::string_view(key) == "zh" ? g.zh : g.en) = v->text;
        }
      const bool last = i + 1 == gs->items.size();
      if (last && g.min) return fail(path, "the last grade takes every lower score: leave out its min");
      if (!last && !g.min) return fail(path + ".min", "is required on every grade but the last");
      if (i > 0 && g.min && !(*g.min < *m.grades.back().min)) return fail(path + ".min", "grades go from the highest minimum down");
      m.grades.push_back(std::move(g));
    }
  }

  // Reason texts.
  if (const json::value *rt = doc.find("reason_codes")) {
    if (!rt->is(json::kind::object)) return fail("$.reason_codes", "must be an object of code -> {zh, en}");
    for (const auto &[code, v] : rt->members) {
      const json::value *zh = v.find("zh");
      const json::value *en = v.find("en");
      if (!v.is(json::kind::object) || !zh || !en || !zh->is(json::kind::string) || !en->is(json::kind::string))
        return fail("$.reason_codes." + code, "must be {\"zh\": …, \"en\": …}");
      m.reason_texts[code] = {zh->text, en->text};
    }
  }

  // Reason codes by first appearance: characteristics, then knock-outs.
  auto code_index = [&](const std::string &code) {
    auto it = std::find(m.reason_codes.begin(), m.reason_codes.end(), code);
    if (it != m.reason_codes.end()) return static_cast<int32_t>(it - m.reason_codes.begin());
    m.reason_codes.push_back(code);
    return static_cast<int32_t>(m.reason_codes.size() - 1);
  };
  for (auto &c : m.characteristics)
    for (auto &a : c.attributes) {
      const auto &code = a.reason_code ? a.reason_code : c.reason_code;
      if (code) a.reason = code_index(*code);
    }
  for (auto &k : m.knockouts) k.reason = code_index(k.reason_code);

  if (auto st = check_coverage(m); !st) return st;

  const std::string canon = m.canonical_json();
  crypto_generichash(m.hash.data(), m.hash.size(), reinterpret_cast<const unsigned char *>(canon.data()), canon.size(),
                     nullptr, 0);
  return std::shared_ptr<const model>(std::move(mp));
}

}  // namespace detail

result<std::shared_ptr<const model>> from_json(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc) return status(errc::parse, "model: " + doc.error().message());
  return detail::build(*doc, "json");
}

result<std::shared_ptr<const model>> load(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  if (text.substr(i, 3) == "\xEF\xBB\xBF") i += 3;
  if (i < text.size() && text[i] == '<') return from_pmml(text);
  return from_json(text);
}

}  // namespace xyd::score
