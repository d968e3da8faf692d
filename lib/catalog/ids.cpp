// Identifier validators: USCC (GB 32100-2015) and resident identity numbers
// (GB 11643-1999). Messages name the position and the rule, never the code.
// SPDX-License-Identifier: Apache-2.0
#include <cstring>

#include "xyd/catalog.hpp"

namespace xyd {

namespace {

constexpr std::string_view uscc_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

int uscc_value(char c) noexcept {
  const auto pos = uscc_alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// GB 32100-2015 Annex A (with amendment XG1-2016): registration authority
// (position 1) and the entity types it registers (position 2).
struct authority {
  char code;
  const char *types;
  const char *name;
};
constexpr authority authorities[] = {
    {'1', "1239", "机构编制"},  {'2', "19", "外交"},     {'3', "123459", "司法行政"},
    {'4', "19", "文化"},        {'5', "1239", "民政"},   {'6', "129", "旅游"},
    {'7', "129", "宗教"},       {'8', "19", "工会"},     {'9', "123", "市场监督管理（工商）"},
    {'A', "19", "中央军委改革和编制办公室"},             {'N', "1239", "农业"},
    {'Y', "1", "其他"},
};

std::string position(size_t index) { return "position " + std::to_string(index + 1); }

// GB/T 2260 provinces, plus 81/82/83 of the residence permits for residents
// of Hong Kong, Macao and Taiwan (GB 11643 numbering).
bool known_province(int code) noexcept {
  switch (code) {
    case 11: case 12: case 13: case 14: case 15:
    case 21: case 22: case 23:
    case 31: case 32: case 33: case 34: case 35: case 36: case 37:
    case 41: case 42: case 43: case 44: case 45: case 46:
    case 50: case 51: case 52: case 53: case 54:
    case 61: case 62: case 63: case 64: case 65:
    case 71: case 81: case 82: case 83:
      return true;
    default:
      return false;
  }
}

}  // namespace

char uscc_check_char(std::string_view first17) noexcept {
  if (first17.size() < 17) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    const int v = uscc_value(first17[i]);
    if (v < 0) return '\0';
    sum += v * uscc_weights[i];
  }
  return uscc_alphabet[(31 - sum % 31) % 31];
}

status check_uscc(std::string_view code) {
  if (code.size() != 18)
    return {errc::validation, "USCC must be 18 characters, got " + std::to_string(code.size())};
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (uscc_value(c) < 0) {
      std::string why = "USCC character at " + position(i) + " is not allowed";
      if (c >= 'a' && c <= 'z') why += " (lower case; codes are upper case)";
      else if (c == 'I' || c == 'O' || c == 'S' || c == 'V' || c == 'Z') why += " (I, O, S, V and Z are not used)";
      else if (static_cast<unsigned char>(c) >= 0x80) why += " (not ASCII; full-width characters are not folded)";
      return {errc::validation, why + "; allowed: 0-9 A-H J-N P-R T U W-Y"};
    }
  }
  const authority *auth = nullptr;
  for (const auto &a : authorities)
    if (a.code == code[0]) auth = &a;
  if (!auth) return {errc::validation, "USCC registration-authority code at position 1 is unknown (GB 32100-2015)"};
  if (!std::strchr(auth->types, code[1]))
    return {errc::validation, std::string("USCC entity type at position 2 is not one registered by authority '") +
                                  auth->code + "' (" + auth->name + "); allowed: " + auth->types};
  for (size_t i = 2; i < 8; ++i)
    if (code[i] < '0' || code[i] > '9')
      return {errc::validation, "USCC character at " + position(i) + " must be a digit (administrative division code)"};
  const char expected = uscc_check_char(code);
  if (code[17] != expected)
    return {errc::validation, std::string("USCC check character at position 18 is wrong: expected '") + expected + "'"};
  return status::ok();
}

char rid_check_char(std::string_view first17) noexcept {
  static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  if (first17.size() < 17) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    const char c = first17[i];
    if (c < '0' || c > '9') return '\0';
    sum += (c - '0') * weights[i];
  }
  const int check = (12 - sum % 11) % 11;
  return check == 10 ? 'X' : static_cast<char>('0' + check);
}

status check_rid(std::string_view code, const civil_date &today) {
  if (code.size() != 18)
    return {errc::validation, "resident id number must be 18 characters, got " + std::to_string(code.size())};
  for (size_t i = 0; i < 17; ++i)
    if (code[i] < '0' || code[i] > '9')
      return {errc::validation, "resident id number character at " + position(i) + " must be a digit"};
  const char last = code[17];
  if (!((last >= '0' && last <= '9') || last == 'X'))
    return {errc::validation, std::string("resident id number character at position 18 must be a digit or 'X'") +
                                  (last == 'x' ? " (upper case X)" : "")};
  const int province = (code[0] - '0') * 10 + (code[1] - '0');
  if (!known_province(province))
    return {errc::validation, "resident id number has an unknown province code at positions 1-2 (GB/T 2260)"};
  auto num = [&](size_t from, size_t len) {
    int n = 0;
    for (size_t i = from; i < from + len; ++i) n = n * 10 + (code[i] - '0');
    return n;
  };
  const civil_date birth{num(6, 4), num(10, 2), num(12, 2)};
  if (!is_valid_date(birth))
    return {errc::validation, "resident id number has an impossible birth date at positions 7-14"};
  if (birth > today) return {errc::validation, "resident id number has a birth date in the future at positions 7-14"};
  const char expected = rid_check_char(code);
  if (last != expected)
    return {errc::validation, std::string("resident id number check character at position 18 is wrong: expected '") +
                                  expected + "'"};
  return status::ok();
}

namespace {

// Folds full width; drops white space and hyphens; upper-cases.
std::string normalize_code(std::string_view in) {
  std::string out;
  for (char c : fold_fullwidth(in)) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-') continue;
    out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  }
  return out;
}

}  // namespace

std::string normalize_uscc(std::string_view text) { return normalize_code(text); }
std::string normalize_rid(std::string_view text) { return normalize_code(text); }

}  // namespace xyd
