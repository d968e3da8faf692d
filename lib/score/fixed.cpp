// Exact decimals for scoring: 10^-12 units in a 128-bit integer.
// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <string>

#include "xyd/score.hpp"

namespace xyd::score {

namespace {
fixed pow10(int n) {
  fixed p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}
}  // namespace

fixed fixed_from_int(int64_t n) {
  static const fixed one = pow10(fixed_scale);
  return fixed(n) * one;
}

result<fixed> parse_fixed(std::string_view text) {
  // Messages never repeat the value: it may be a secret or an id number
  // given in the wrong place. Callers say where it was.
  auto bad = [](const char *why) { return result<fixed>(errc::validation, why); };
  if (text.empty()) return bad("is not a number (empty)");
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  // Digits before and after the point; an optional exponent.
  std::string digits;
  int point = -1;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') digits += c;
    else if (c == '.' && point < 0) point = static_cast<int>(digits.size());
    else break;
  }
  if (digits.empty()) return bad("is not a number");
  int exponent = 0;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return bad("is not a number");
    ++i;
    bool eneg = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) eneg = text[i++] == '-';
    if (i == text.size()) return bad("is not a number (empty exponent)");
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return bad("is not a number");
      if (exponent > 1000) return bad("is out of range");
      exponent = exponent * 10 + (text[i] - '0');
    }
    if (eneg) exponent = -exponent;
  }
  if (point < 0) point = static_cast<int>(digits.size());
  // value = digits * 10^(exponent - (digits.size() - point)); in units of
  // 10^-12 the shift is that plus 12.
  int shift = exponent - (static_cast<int>(digits.size()) - point) + fixed_scale;
  // Drop leading zeros (they change nothing) and trailing zeros (moving them
  // into the shift), so that "0.100000000000000" is fine.
  size_t lead = 0;
  while (lead + 1 < digits.size() && digits[lead] == '0') ++lead;
  digits.erase(0, lead);
  while (digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++shift;
  }
  if (digits == "0") return fixed(0);
  if (shift < 0) return bad("has more than 12 decimal places");
  const int integer_digits = static_cast<int>(digits.size()) + shift - fixed_scale;
  if (integer_digits > fixed_max_integer_digits) return bad("is too large (the limit is 10^24)");
  fixed v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  v *= pow10(shift);
  return negative ? fixed(-v) : v;
}

std::string format_fixed(const fixed &value) {
  const bool negative = value < 0;
  fixed v = negative ? fixed(-value) : value;
  // Decimal digits, 18 at a time (no detour through iostreams).
  std::string digits;
  static const fixed chunk = pow10(18);
  char buf[24];
  do {
    const auto part = (v % chunk).convert_to<unsigned long long>();
    v /= chunk;
    snprintf(buf, sizeof buf, v == 0 ? "%llu" : "%018llu", part);
    digits.insert(0, buf);
  } while (v != 0);
  if (digits.size() <= static_cast<size_t>(fixed_scale)) digits.insert(0, fixed_scale + 1 - digits.size(), '0');
  std::string integer = digits.substr(0, digits.size() - fixed_scale);
  std::string fraction = digits.substr(digits.size() - fixed_scale);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string out = negative ? "-" : "";
  out += integer;
  if (!fraction.empty()) {
    out += '.';
    out += fraction;
  }
  return out;
}

}  // namespace xyd::score
