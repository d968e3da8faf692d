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

using detail::is_numeric;

using detail::is_integral;

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
                                      "\" is " + detail::kind_id(m.fields[static_cast<size_t>(*fi)].type));
      if (auto st = value_for(*fi, *v, path + ".value", out.number, out.category); !st) return st;
      return out;
    }
    return fail(path, "a predicate needs one of missing, range, in, not_in, op, and, or, xor, surrogate");
  }
};

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

namespace {

// The parts of a model, in the order build reads them; each names the
// JSON path of what it refuses.
status build_fields(const json::value &doc, model &m, builder &b) {
  auto fail = [&](const std::string &path, const std::string &why) { return b.fail(path, why); };
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

  return status::ok();
}

status build_header(const json::value &doc, model &m, builder &b, decimal50 &factor, int &decimals) {
  auto fail = [&](const std::string &path, const std::string &why) { return b.fail(path, why); };
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

  return status::ok();
}

status build_characteristics(const json::value &doc, model &m, builder &b, const decimal50 &factor, int decimals) {
  auto fail = [&](const std::string &path, const std::string &why) { return b.fail(path, why); };
  const json::value *scaling = doc.find("scaling");  // coefficients and weights need it
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

  return status::ok();
}

status build_knockouts_and_grades(const json::value &doc, model &m, builder &b) {
  auto fail = [&](const std::string &path, const std::string &why) { return b.fail(path, why); };
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

  return status::ok();
}

}  // namespace

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

  if (auto st = build_fields(doc, m, b); !st) return st;
  decimal50 factor = 0;
  int decimals = 0;
  if (auto st = build_header(doc, m, b, factor, decimals); !st) return st;
  if (auto st = build_characteristics(doc, m, b, factor, decimals); !st) return st;
  if (auto st = build_knockouts_and_grades(doc, m, b); !st) return st;

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

  if (auto st = detail::check_coverage(m); !st) return st;

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
