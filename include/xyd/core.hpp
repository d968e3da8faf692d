// xyd C++ API: core types (status, result, dates, exact decimals).
//
// Expected failures are values, never exceptions (design.md). Every function
// here is thread-safe and allocation-light; none of them logs anything.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace xyd {

/// Error codes. The numeric values are the C ABI's XYD_* codes and are never
/// renumbered: new codes are appended.
enum class errc : int {
  ok = 0,
  error = -1,          ///< unspecified failure
  invalid_arg = -2,    ///< caller misuse: NULL where a value is needed, bad flag
  validation = -3,     ///< a value broke a rule of the catalog or a standard
  parse = -4,          ///< malformed input (JSON syntax, truncated data)
  nomem = -5,          ///< out of memory
  io = -6,             ///< file could not be read or written
  not_found = -7,      ///< the named thing does not exist
  exists = -8,         ///< the named thing exists already (redefinition)
  internal = -9,       ///< a bug in xyd: please report it
  key = -10,           ///< wrong key: the store was created under another master key
  corrupt = -11,       ///< stored data failed authentication or the file is damaged
  busy = -12,          ///< the database stayed locked past the busy timeout
  full = -13,          ///< disk full, or the store's size cap reached
  read_only = -14,     ///< the store (or its file) is read-only
  consent = -15,       ///< refused: no valid consent covers the request
};

/// Static English text for a code; never NULL-like, never freed.
const char *errc_name(errc code) noexcept;

/// Outcome of an operation: ok, or a code with a message for a human. The
/// message never holds a secret, a key, a token or an unmasked id number.
class [[nodiscard]] status {
 public:
  status() = default;
  status(errc code, std::string message) : code_(code), message_(std::move(message)) {}
  static status ok() { return {}; }

  bool is_ok() const noexcept { return code_ == errc::ok; }
  explicit operator bool() const noexcept { return is_ok(); }
  errc code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }

 private:
  errc code_ = errc::ok;
  std::string message_;
};

/// A value or the status that explains why there is none.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  result(status failure) : v_(std::move(failure)) {}  // NOLINT
  result(errc code, std::string message) : v_(status(code, std::move(message))) {}

  bool is_ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return is_ok(); }
  T &value() & { return std::get<0>(v_); }
  const T &value() const & { return std::get<0>(v_); }
  T &&value() && { return std::get<0>(std::move(v_)); }
  T *operator->() { return &std::get<0>(v_); }
  const T *operator->() const { return &std::get<0>(v_); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  /// The failure; for a successful result, an ok status.
  status error() const { return is_ok() ? status::ok() : std::get<1>(v_); }

 private:
  std::variant<T, status> v_;
};

// ---------------------------------------------------------------- dates

/// A proleptic-Gregorian calendar date.
struct civil_date {
  int year = 0, month = 0, day = 0;
  friend bool operator==(const civil_date &, const civil_date &) = default;
  friend auto operator<=>(const civil_date &, const civil_date &) = default;
};

bool is_leap_year(int year) noexcept;
int days_in_month(int year, int month) noexcept;
/// True for a real date with year 1..9999.
bool is_valid_date(const civil_date &d) noexcept;
/// Days since 1970-01-01 (negative before).
int64_t days_from_civil(const civil_date &d) noexcept;
civil_date civil_from_days(int64_t days) noexcept;
/// Today's date in China Standard Time (UTC+8), the reference for "not in
/// the future" rules. XYD_TODAY=YYYY-MM-DD in the environment overrides it,
/// so that tests and reproducible runs can pin the clock.
civil_date today_cn();

/// Strict ISO dates: "YYYY-MM-DD" (10 characters) and months "YYYY-MM".
std::optional<civil_date> parse_date(std::string_view text) noexcept;
std::optional<civil_date> parse_month(std::string_view text) noexcept;  ///< day = 1
std::string format_date(const civil_date &d);
std::string format_month(const civil_date &d);

/// RFC 3339 date-times ("2024-07-01T09:30:00+08:00", "…Z", fractions
/// ignored) to Unix seconds; nullopt when malformed.
std::optional<int64_t> parse_rfc3339(std::string_view text) noexcept;
/// Unix seconds to "YYYY-MM-DDThh:mm:ssZ".
std::string format_rfc3339(int64_t unix_seconds);
/// Now in Unix seconds (XYD_NOW=<RFC 3339> in the environment pins it, for
/// tests and reproducible runs).
int64_t now_unix();

// ---------------------------------------------------------------- decimals

/// An exact decimal: units * 10^-scale. Parsed from text, never via double.
struct decimal {
  int64_t units = 0;
  int scale = 0;
  /// Canonical text: exactly `scale` fraction digits ("12.50", "-3", "0.125").
  std::string to_string() const;
  /// Shortest text: trailing fraction zeros dropped ("12.5", "3").
  std::string to_minimal_string() const;
  /// This value at a larger scale (exact); nullopt on overflow.
  std::optional<decimal> rescaled(int new_scale) const;
};

/// Parses a JSON-number-like decimal ("-12.34", "1e3" is refused) with at
/// most `max_scale` fraction digits. The result has scale == max_scale.
/// Errors name the rule that failed (too many decimals, not a number, range).
result<decimal> parse_decimal(std::string_view text, int max_scale);

// ---------------------------------------------------------------- text

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view s) noexcept;
/// Number of Unicode code points in well-formed UTF-8.
size_t utf8_length(std::string_view s) noexcept;
/// Full-width ASCII (U+FF01..U+FF5E) to its half-width form and the
/// ideographic space U+3000 to ' '; every other byte unchanged.
std::string fold_fullwidth(std::string_view s);
/// Lower-case hexadecimal of bytes.
std::string to_hex(std::string_view bytes);

}  // namespace xyd
