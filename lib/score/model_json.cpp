// Scorecard models written in their canonical form (xyd-scorecard/1 JSON,
// the form the content hash is taken over).
// SPDX-License-Identifier: Apache-2.0
#include "internal.hpp"

namespace xyd::score {

namespace detail {

const char *kind_id(field::kind k) noexcept {
  switch (k) {
    case field::kind::number: return "number";
    case field::kind::integer: return "integer";
    case field::kind::category: return "category";
    case field::kind::boolean: return "boolean";
  }
  return "number";
}

}  // namespace detail

namespace {

using detail::is_numeric;
using detail::kind_id;

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

void put_fields(std::string &out, const model &m) {
  out += ",\"fields\":[";
  for (size_t i = 0; i < m.fields.size(); ++i) {
    const field &f = m.fields[i];
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
}

}  // namespace

std::string model::canonical_json() const {
  std::string out = "{\"format\":\"xyd-scorecard/1\",\"id\":";
  json::append_quoted(out, id);
  out += ",\"version\":";
  json::append_quoted(out, version);
  if (!description.empty()) {
    out += ",\"description\":";
    json::append_quoted(out, description);
  }
  put_fields(out, *this);
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

}  // namespace xyd::score
