// SPDX-License-Identifier: Apache-2.0
#include "xyd/core.hpp"

#include <chrono>
#include <cstdlib>
#include <limits>

namespace xyd {

const char *errc_name(errc code) noexcept {
  switch (code) {
    case errc::ok: return "ok";
    case errc::error: return "error";
    case errc::invalid_arg: return "invalid argument";
    case errc::validation: return "validation failed";
    case errc::parse: return "malformed input";
    case errc::nomem: return "out of memory";
    case errc::io: return "input/output error";
    case errc::not_found: return "not found";
    case errc::exists: return "already exists";
    case errc::internal: return "internal error";
    case errc::key: return "wrong key";
    case errc::corrupt: return "data corrupt or tampered with";
    case errc::busy: return "database busy";
    case errc::full: return "disk or store full";
    case errc::read_only: return "read-only";
    case errc::consent: return "consent refused";
  }
  return "unknown error code";
}

// ---------------------------------------------------------------- dates

bool is_leap_year(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) noexcept {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

bool is_valid_date(const civil_date &d) noexcept {
  return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= days_in_month(d.year, d.month);
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t days_from_civil(const civil_date &d) noexcept {
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (d.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

civil_date civil_from_days(int64_t z) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  return {y, m, d};
}

civil_date today_cn() {
  if (const char *pinned = std::getenv("XYD_TODAY")) {
    if (auto d = parse_date(pinned)) return *d;
  }
  using namespace std::chrono;
  const auto secs = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  return civil_from_days((secs + 8 * 3600) / 86400);
}

static bool all_digits(std::string_view s) noexcept {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

static int to_int(std::string_view s) noexcept {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

std::optional<civil_date> parse_date(std::string_view t) noexcept {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  if (!all_digits(t.substr(0, 4)) || !all_digits(t.substr(5, 2)) || !all_digits(t.substr(8, 2)))
    return std::nullopt;
  civil_date d{to_int(t.substr(0, 4)), to_int(t.substr(5, 2)), to_int(t.substr(8, 2))};
  if (!is_valid_date(d)) return std::nullopt;
  return d;
}

std::optional<civil_date> parse_month(std::string_view t) noexcept {
  if (t.size() != 7 || t[4] != '-') return std::nullopt;
  if (!all_digits(t.substr(0, 4)) || !all_digits(t.substr(5, 2))) return std::nullopt;
  civil_date d{to_int(t.substr(0, 4)), to_int(t.substr(5, 2)), 1};
  if (!is_valid_date(d)) return std::nullopt;
  return d;
}

static void append_padded(std::string &out, int n, int width) {
  std::string digits = std::to_string(n);
  if (static_cast<int>(digits.size()) < width) out.append(width - digits.size(), '0');
  out += digits;
}

std::string format_date(const civil_date &d) {
  std::string s;
  s.reserve(10);
  append_padded(s, d.year, 4);
  s += '-';
  append_padded(s, d.month, 2);
  s += '-';
  append_padded(s, d.day, 2);
  return s;
}

std::string format_month(const civil_date &d) {
  std::string s;
  append_padded(s, d.year, 4);
  s += '-';
  append_padded(s, d.month, 2);
  return s;
}

std::optional<int64_t> parse_rfc3339(std::string_view t) noexcept {
  if (t.size() < 20 || t[10] != 'T' || t[13] != ':' || t[16] != ':') return std::nullopt;
  auto d = parse_date(t.substr(0, 10));
  if (!d) return std::nullopt;
  auto two = [&](size_t i) -> int {
    if (t[i] < '0' || t[i] > '9' || t[i + 1] < '0' || t[i + 1] > '9') return -1;
    return (t[i] - '0') * 10 + (t[i + 1] - '0');
  };
  const int hh = two(11), mm = two(14), ss = two(17);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return std::nullopt;
  size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    const int oh = two(i + 1), om = two(i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset = (t[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  return days_from_civil(*d) * 86400 + hh * 3600 + mm * 60 + ss - offset;
}

std::string format_rfc3339(int64_t s) {
  int64_t days = s / 86400, rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::string out = format_date(civil_from_days(days)) + "T";
  auto two = [&](int64_t v) {
    out += static_cast<char>('0' + v / 10);
    out += static_cast<char>('0' + v % 10);
  };
  two(rem / 3600);
  out += ':';
  two(rem / 60 % 60);
  out += ':';
  two(rem % 60);
  out += 'Z';
  return out;
}

int64_t now_unix() {
  if (const char *pinned = std::getenv("XYD_NOW")) {
    if (auto t = parse_rfc3339(pinned)) return *t;
  }
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------- decimals

static constexpr int64_t pow10_table[] = {1,
                                          10,
                                          100,
                                          1000,
                                          10000,
                                          100000,
                                          1000000,
                                          10000000,
                                          100000000,
                                          1000000000,
                                          10000000000,
                                          100000000000,
                                          1000000000000,
                                          10000000000000,
                                          100000000000000,
                                          1000000000000000,
                                          10000000000000000,
                                          100000000000000000,
                                          1000000000000000000};

std::string decimal::to_string() const {
  const bool negative = units < 0;
  // Work in unsigned to allow INT64_MIN.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  std::string digits = std::to_string(magnitude);
  if (scale > 0) {
    if (static_cast<int>(digits.size()) <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, 1, '.');
  }
  return negative ? "-" + digits : digits;
}

std::string decimal::to_minimal_string() const {
  std::string s = to_string();
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::optional<decimal> decimal::rescaled(int new_scale) const {
  if (new_scale < scale || new_scale > 18) return std::nullopt;
  const int64_t factor = pow10_table[new_scale - scale];
  int64_t out = 0;
  if (__builtin_mul_overflow(units, factor, &out)) return std::nullopt;
  return decimal{out, new_scale};
}

result<decimal> parse_decimal(std::string_view t, int max_scale) {
  if (max_scale < 0 || max_scale > 18) return {errc::invalid_arg, "scale out of range"};
  size_t i = 0;
  bool negative = false;
  if (i < t.size() && t[i] == '-') {
    negative = true;
    ++i;
  }
  const size_t int_start = i;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  const size_t int_len = i - int_start;
  if (int_len == 0) return {errc::validation, "not a decimal number"};
  if (int_len > 1 && t[int_start] == '0') return {errc::validation, "leading zeros are not allowed"};
  size_t frac_start = i, frac_len = 0;
  if (i < t.size() && t[i] == '.') {
    frac_start = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    frac_len = i - frac_start;
    if (frac_len == 0) return {errc::validation, "a decimal point must be followed by digits"};
  }
  if (i != t.size()) {
    if (t[i] == 'e' || t[i] == 'E') return {errc::validation, "exponent notation is not allowed"};
    return {errc::validation, "not a decimal number"};
  }
  // Trailing zeros beyond max_scale are harmless ("1.500" at scale 2).
  size_t significant_frac = frac_len;
  while (significant_frac > 0 && t[frac_start + significant_frac - 1] == '0') --significant_frac;
  if (static_cast<int>(significant_frac) > max_scale)
    return {errc::validation, "at most " + std::to_string(max_scale) + " decimal places are allowed"};
  uint64_t acc = 0;
  const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  auto push_digit = [&](char c) {
    if (acc > (limit - static_cast<uint64_t>(c - '0')) / 10) return false;
    acc = acc * 10 + static_cast<uint64_t>(c - '0');
    return true;
  };
  for (size_t k = 0; k < int_len; ++k)
    if (!push_digit(t[int_start + k])) return {errc::validation, "number out of range"};
  for (int k = 0; k < max_scale; ++k) {
    const char c = static_cast<size_t>(k) < significant_frac ? t[frac_start + k] : '0';
    if (!push_digit(c)) return {errc::validation, "number out of range"};
  }
  const int64_t units = static_cast<int64_t>(acc);
  return decimal{negative ? -units : units, max_scale};
}

// ---------------------------------------------------------------- UTF-8

bool is_valid_utf8(std::string_view s) noexcept {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  const auto *end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int k = 1; k <= n; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

size_t utf8_length(std::string_view s) noexcept {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string fold_fullwidth(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    if ((c == 0xEF || c == 0xE3) && i + 2 < in.size()) {
      const uint32_t cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(in[i + 1]) & 0x3F) << 6) |
                          (static_cast<unsigned char>(in[i + 2]) & 0x3F);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        out += static_cast<char>(cp - 0xFF01 + 0x21);
        i += 3;
        continue;
      }
      if (cp == 0x3000) {
        out += ' ';
        i += 3;
        continue;
      }
    }
    out += in[i++];
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace xyd
