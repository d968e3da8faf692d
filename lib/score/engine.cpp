// The scorecard engine: predicates in three-valued logic, knock-outs, points,
// reason codes; binding JSON features; the JSON result.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include "internal.hpp"

namespace xyd::score {

namespace detail {

namespace {
bool numeric(const input &in) noexcept { return in.type == input::kind::number; }

tri compare(const predicate &p, const input &in) noexcept {
  using op = predicate::op;
  if (in.type == input::kind::missing || in.type == input::kind::invalid) return tri::u;
  if (numeric(in)) {
    switch (p.kind) {
      case op::eq: return in.number == p.number ? tri::t : tri::f;
      case op::ne: return in.number != p.number ? tri::t : tri::f;
      case op::lt: return in.number < p.number ? tri::t : tri::f;
      case op::le: return in.number <= p.number ? tri::t : tri::f;
      case op::gt: return in.number > p.number ? tri::t : tri::f;
      case op::ge: return in.number >= p.number ? tri::t : tri::f;
      default: return tri::u;
    }
  }
  const bool same = in.category >= 0 && in.category == p.category;
  if (p.kind == op::eq) return same ? tri::t : tri::f;
  if (p.kind == op::ne) return same ? tri::f : tri::t;
  return tri::u;
}
}  // namespace

tri eval(const predicate &p, const input *in) noexcept {
  using op = predicate::op;
  switch (p.kind) {
    case op::always: return tri::t;
    case op::never: return tri::f;
    case op::is_missing: return in[p.field].type == input::kind::missing ? tri::t : tri::f;
    case op::not_missing: return in[p.field].type == input::kind::missing ? tri::f : tri::t;
    case op::in:
    case op::not_in: {
      const input &v = in[p.field];
      if (v.type == input::kind::missing || v.type == input::kind::invalid) return tri::u;
      bool found = false;
      if (numeric(v)) found = std::find(p.numbers.begin(), p.numbers.end(), v.number) != p.numbers.end();
      else found = v.category >= 0 && std::find(p.categories.begin(), p.categories.end(), v.category) != p.categories.end();
      return (found == (p.kind == op::in)) ? tri::t : tri::f;
    }
    case op::all: {
      tri r = tri::t;
      for (const auto &c : p.children) {
        const tri x = eval(c, in);
        if (x == tri::f) return tri::f;
        if (x == tri::u) r = tri::u;
      }
      return r;
    }
    case op::any: {
      tri r = tri::f;
      for (const auto &c : p.children) {
        const tri x = eval(c, in);
        if (x == tri::t) return tri::t;
        if (x == tri::u) r = tri::u;
      }
      return r;
    }
    case op::one: {
      bool odd = false;
      for (const auto &c : p.children) {
        const tri x = eval(c, in);
        if (x == tri::u) return tri::u;
        odd ^= x == tri::t;
      }
      return odd ? tri::t : tri::f;
    }
    case op::surrogate: {
      for (const auto &c : p.children) {
        const tri x = eval(c, in);
        if (x != tri::u) return x;
      }
      return tri::u;
    }
    default: return compare(p, in[p.field]);
  }
}

}  // namespace detail

using detail::tri;

status evaluate(const model &m, const input *inputs, size_t count, outcome &out, workspace &ws) {
  if (count != m.fields.size())
    return {errc::invalid_arg, "score: " + std::to_string(count) + " inputs for a model of " +
                                   std::to_string(m.fields.size()) + " fields"};
  for (size_t i = 0; i < count; ++i)
    if (inputs[i].type == input::kind::invalid)
      return {errc::validation, "score: the value of \"" + m.fields[i].name + "\" is invalid for the model"};
  out.knockout = -1;
  out.fired.clear();
  out.reasons.clear();
  out.attribute.clear();
  out.grade = -1;
  for (size_t k = 0; k < m.knockouts.size(); ++k)
    if (detail::eval(m.knockouts[k].when, inputs) == tri::t) out.fired.push_back(static_cast<int32_t>(k));
  if (!out.fired.empty()) {
    out.knockout = out.fired.front();
    out.score = m.knockouts[static_cast<size_t>(out.knockout)].score;
    for (int32_t k : out.fired) {
      const int32_t code = m.knockouts[static_cast<size_t>(k)].reason;
      bool dup = false;
      for (const auto &r : out.reasons) dup |= r.code == code;
      if (!dup) out.reasons.push_back({code, 0});
    }
  } else {
    const size_t codes = m.reason_codes.size();
    ws.points.assign(codes, 0);
    ws.seen.assign(codes, 0);
    fixed total = m.initial_score;
    for (size_t ci = 0; ci < m.characteristics.size(); ++ci) {
      const characteristic &c = m.characteristics[ci];
      int32_t chosen = -1;
      for (size_t a = 0; a < c.attributes.size(); ++a)
        if (detail::eval(c.attributes[a].when, inputs) == tri::t) {
          chosen = static_cast<int32_t>(a);
          break;
        }
      if (chosen < 0)
        return {errc::validation, "score: no attribute of characteristic \"" + c.name + "\" matches the input"};
      out.attribute.push_back(chosen);
      const attribute &a = c.attributes[static_cast<size_t>(chosen)];
      total += a.partial_score;
      if (m.use_reason_codes && a.reason >= 0) {
        const fixed &base = c.baseline_score ? *c.baseline_score : *m.baseline_score;
        const fixed diff = m.reason_algorithm == model::algorithm::points_below ? fixed(base - a.partial_score)
                                                                                : fixed(a.partial_score - base);
        ws.points[static_cast<size_t>(a.reason)] += diff;
        ws.seen[static_cast<size_t>(a.reason)] = 1;
      }
    }
    out.score = total;
    if (m.use_reason_codes) {
      // Codes with a negative sum do not explain the score; the rest ranked
      // by points, ties in order of first appearance in the model.
      ws.order.clear();
      for (size_t i = 0; i < codes; ++i)
        if (ws.seen[i] && ws.points[i] >= 0) ws.order.push_back(static_cast<int32_t>(i));
      std::stable_sort(ws.order.begin(), ws.order.end(),
                       [&](int32_t a, int32_t b) { return ws.points[static_cast<size_t>(a)] > ws.points[static_cast<size_t>(b)]; });
      for (int32_t i : ws.order) out.reasons.push_back({i, ws.points[static_cast<size_t>(i)]});
    }
  }
  for (size_t g = 0; g < m.grades.size(); ++g)
    if (!m.grades[g].min || out.score >= *m.grades[g].min) {
      out.grade = static_cast<int32_t>(g);
      break;
    }
  return status::ok();
}

// ---------------------------------------------------------------- binding

status bind(const model &m, const json::value &features, std::vector<input> &out) {
  if (!features.is(json::kind::object)) return {errc::validation, "features: must be a JSON object of name -> value"};
  out.assign(m.fields.size(), input{});
  std::vector<uint8_t> given(m.fields.size(), 0);
  for (const auto &[key, v] : features.members) {
    const int32_t fi = m.field_index(key);
    const std::string where = "features: $." + key;
    if (fi < 0) {
      if (is_feature(key) || key == "as_of" || key == "subject" ||
          std::find(m.other_fields.begin(), m.other_fields.end(), key) != m.other_fields.end())
        continue;
      return {errc::validation, where + " is not a field of model " + m.id + " nor a feature of the catalog"};
    }
    if (given[static_cast<size_t>(fi)]) return {errc::validation, where + " is given twice"};
    given[static_cast<size_t>(fi)] = 1;
    const field &f = m.fields[static_cast<size_t>(fi)];
    input &in = out[static_cast<size_t>(fi)];
    if (v.is(json::kind::null)) continue;
    std::string text;
    if (v.is(json::kind::string) || v.is(json::kind::number)) text = v.text;
    else if (v.is(json::kind::boolean)) text = v.boolean ? "true" : "false";
    else return {errc::validation, where + " must be a number, a string, a boolean or null"};
    if (std::find(f.missing_values.begin(), f.missing_values.end(), text) != f.missing_values.end()) continue;
    bool valid = true;
    if (f.type == field::kind::number || f.type == field::kind::integer) {
      if (v.is(json::kind::boolean)) return {errc::validation, where + " must be a number (field is " +
                                                                   (f.type == field::kind::integer ? "integer" : "number") + ")"};
      auto n = parse_fixed(text);
      if (!n) return {errc::validation, where + " " + n.error().message() + " (a number is expected)"};
      if (f.type == field::kind::integer && *n % fixed_from_int(1) != 0)
        return {errc::validation, where + " must be an integer"};
      in.type = input::kind::number;
      in.number = *n;
      if (!f.intervals.empty()) {
        valid = false;
        for (const auto &iv : f.intervals) {
          if (iv.lo && (in.number < *iv.lo || (in.number == *iv.lo && !iv.lo_closed))) continue;
          if (iv.hi && (in.number > *iv.hi || (in.number == *iv.hi && !iv.hi_closed))) continue;
          valid = true;
          break;
        }
      }
    } else {
      if (f.type == field::kind::boolean && text != "true" && text != "false")
        return {errc::validation, where + " must be true or false"};
      in.type = input::kind::category;
      in.category = m.category_id(fi, text);
      valid = f.values.empty() || std::find(f.values.begin(), f.values.end(), text) != f.values.end();
    }
    if (!valid) {
      switch (f.on_invalid) {
        case field::invalid::return_invalid:
          return {errc::validation, where + " is not a valid value of the field (" +
                                        (f.values.empty() ? std::string("outside its intervals") : "not one of its values") + ")"};
        case field::invalid::as_missing: in = input{}; break;
        case field::invalid::as_is: break;
      }
    }
  }
  // Missing values replaced where the model says so.
  for (size_t i = 0; i < m.fields.size(); ++i) {
    const field &f = m.fields[i];
    if (out[i].type != input::kind::missing || !f.missing_replacement) continue;
    if (f.type == field::kind::number || f.type == field::kind::integer) {
      out[i].type = input::kind::number;
      out[i].number = *parse_fixed(*f.missing_replacement);
    } else {
      out[i].type = input::kind::category;
      out[i].category = m.category_id(static_cast<int32_t>(i), *f.missing_replacement);
    }
  }
  return status::ok();
}

result<std::vector<input>> bind(const model &m, std::string_view features_json) {
  auto doc = json::parse(features_json);
  if (!doc) return status(errc::parse, "features: " + doc.error().message());
  std::vector<input> out;
  if (auto st = score::bind(m, *doc, out); !st) return st;
  return out;
}

// ---------------------------------------------------------------- output

json::value to_value(const model &m, const outcome &o, size_t top) {
  using json::value;
  if (top == 0) top = m.max_reason_codes;
  const size_t n = top == 0 ? o.reasons.size() : std::min(top, o.reasons.size());
  value out = value::object();
  out.members.reserve(12);
  out.add("model", value::of_string(m.id));
  out.add("version", value::of_string(m.version));
  out.add("model_hash", value::of_string(m.hash_hex()));
  out.add("score", value::of_number(format_fixed(o.score)));
  out.add("grade", o.grade >= 0 ? value::of_string(m.grades[static_cast<size_t>(o.grade)].name) : value::null());
  out.add("knockout", o.knockout >= 0 ? value::of_string(m.knockouts[static_cast<size_t>(o.knockout)].id) : value::null());
  value codes = value::array(), reasons = value::array(), chars = value::array();
  for (size_t i = 0; i < n; ++i) {
    const std::string &code = m.reason_codes[static_cast<size_t>(o.reasons[i].code)];
    codes.push(value::of_string(code));
    value r = value::object();
    r.add("code", value::of_string(code));
    if (o.knockout >= 0) r.add("knockout", value::of_bool(true));
    else r.add("points", value::of_number(format_fixed(o.reasons[i].points)));
    if (auto it = m.reason_texts.find(code); it != m.reason_texts.end()) {
      r.add("zh", value::of_string(it->second.zh));
      r.add("en", value::of_string(it->second.en));
    }
    reasons.push(std::move(r));
  }
  chars.items.reserve(o.attribute.size());
  for (size_t i = 0; i < o.attribute.size(); ++i) {
    const characteristic &c = m.characteristics[i];
    const attribute &a = c.attributes[static_cast<size_t>(o.attribute[i])];
    value x = value::object();
    x.add("name", value::of_string(c.name));
    x.add("attribute", value::of_int(o.attribute[i]));
    if (!a.label.empty()) x.add("label", value::of_string(a.label));
    x.add("partial_score", value::of_number(format_fixed(a.partial_score)));
    chars.push(std::move(x));
  }
  out.add("reason_codes", std::move(codes));
  out.add("reasons", std::move(reasons));
  out.add("characteristics", std::move(chars));
  return out;
}

// The hot path of batch scoring writes the outcome directly (a test checks
// it is byte for byte json::dump(to_value(…))).
std::string to_json(const model &m, const outcome &o, size_t top) {
  if (top == 0) top = m.max_reason_codes;
  const size_t n = top == 0 ? o.reasons.size() : std::min(top, o.reasons.size());
  std::string out = "{\"model\":";
  json::append_quoted(out, m.id);
  out += ",\"version\":";
  json::append_quoted(out, m.version);
  out += ",\"model_hash\":\"" + m.hash_hex() + "\",\"score\":" + format_fixed(o.score) + ",\"grade\":";
  if (o.grade >= 0) json::append_quoted(out, m.grades[static_cast<size_t>(o.grade)].name);
  else out += "null";
  out += ",\"knockout\":";
  if (o.knockout >= 0) json::append_quoted(out, m.knockouts[static_cast<size_t>(o.knockout)].id);
  else out += "null";
  out += ",\"reason_codes\":[";
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    json::append_quoted(out, m.reason_codes[static_cast<size_t>(o.reasons[i].code)]);
  }
  out += "],\"reasons\":[";
  for (size_t i = 0; i < n; ++i) {
    const std::string &code = m.reason_codes[static_cast<size_t>(o.reasons[i].code)];
    out += i ? ",{\"code\":" : "{\"code\":";
    json::append_quoted(out, code);
    if (o.knockout >= 0) out += ",\"knockout\":true";
    else out += ",\"points\":" + format_fixed(o.reasons[i].points);
    if (auto it = m.reason_texts.find(code); it != m.reason_texts.end()) {
      out += ",\"zh\":";
      json::append_quoted(out, it->second.zh);
      out += ",\"en\":";
      json::append_quoted(out, it->second.en);
    }
    out += '}';
  }
  out += "],\"characteristics\":[";
  for (size_t i = 0; i < o.attribute.size(); ++i) {
    const characteristic &c = m.characteristics[i];
    const attribute &a = c.attributes[static_cast<size_t>(o.attribute[i])];
    out += i ? ",{\"name\":" : "{\"name\":";
    json::append_quoted(out, c.name);
    out += ",\"attribute\":" + std::to_string(o.attribute[i]);
    if (!a.label.empty()) {
      out += ",\"label\":";
      json::append_quoted(out, a.label);
    }
    out += ",\"partial_score\":" + format_fixed(a.partial_score) + "}";
  }
  out += "]}";
  return out;
}

result<std::string> score_json(const model &m, std::string_view features_json) {
  auto inputs = score::bind(m, features_json);
  if (!inputs) return inputs.error();
  outcome o;
  workspace ws;
  if (auto st = evaluate(m, inputs->data(), inputs->size(), o, ws); !st) return st;
  return to_json(m, o);
}

}  // namespace xyd::score
