// Scorecard models: the check made at load that every value of each
// characteristic's fields matches an attribute (coverage).
// SPDX-License-Identifier: Apache-2.0
#include <set>

#include "internal.hpp"

namespace xyd::score {

namespace {

using detail::is_integral;
using detail::is_numeric;
using detail::tri;

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

}  // namespace

namespace detail {

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

}  // namespace detail

}  // namespace xyd::score
