// Record validation (every problem, with its JSON path) and normalisation.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <set>

#include "xyd/catalog.hpp"

namespace xyd {

namespace {

using json::kind;
using json::value;

constexpr size_t max_text_chars = 4000;
constexpr size_t max_url_chars = 2048;

const char *balance_sheet_lines[] = {"total_assets", "total_liabilities", "owners_equity"};
const char *income_statement_lines[] = {"revenue", "net_profit"};

bool is_snake(std::string_view k) {
  if (k.empty() || k.size() > 64) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool is_space_byte(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Leading or trailing ASCII space or U+3000.
bool has_outer_space(std::string_view s) {
  if (s.empty()) return false;
  if (is_space_byte(s.front()) || is_space_byte(s.back())) return true;
  return s.starts_with("\xE3\x80\x80") || s.ends_with("\xE3\x80\x80");
}

// A JSON path built only when a problem is reported: validating a clean
// record allocates nothing for paths.
struct jpath {
  const jpath *parent = nullptr;
  std::string_view key;
  size_t index = std::string_view::npos;
  jpath(const char *full) : key(full) {}  // NOLINT: a literal is a whole path
  jpath(const jpath &p, std::string_view k) : parent(&p), key(k) {}
  jpath(const jpath &p, size_t i) : parent(&p), index(i) {}
  std::string str() const {
    if (!parent) return std::string(key);
    return index != std::string_view::npos ? json::path_index(parent->str(), index) : json::path_member(parent->str(), key);
  }
};

struct validator {
  validator(const catalog &c, const civil_date &d) : cat(c), today(d) {}
  const jpath root{"$"};
  const jpath data_root{"$.data"};
  const catalog &cat;
  civil_date today;
  std::vector<problem> out;

  void add(const jpath &path, const char *code, std::string message) {
    out.push_back({path.str(), code, std::move(message)});
  }

  bool expect(const value &v, kind k, const jpath &path) {
    if (v.is(k)) return true;
    add(path, "wrong_type", std::string("expected ") + json::kind_name(k) + ", got " + json::kind_name(v.type));
    return false;
  }

  // Number or string holding a decimal; returns the text or nullptr.
  const std::string *decimal_text(const value &v, const jpath &path) {
    if (v.is(kind::number) || v.is(kind::string)) return &v.text;
    add(path, "wrong_type", std::string("expected a decimal number (JSON number or string), got ") + json::kind_name(v.type));
    return nullptr;
  }

  void check_duplicates(const value &obj, const jpath &path) {
    const auto &m = obj.members;
    for (size_t i = 1; i < m.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (m[i].first == m[j].first) {
          add(jpath(path, m[i].first), "invalid", "member appears more than once");
          break;
        }
  }

  void check_party(const std::string &s, const jpath &path, const char *what) {
    const bool looks_rid = s.size() == 18 && std::all_of(s.begin(), s.begin() + 17, [](char c) { return c >= '0' && c <= '9'; });
    if (looks_rid && check_rid(s, today)) return;
    if (check_uscc(s)) return;
    status st = looks_rid ? check_rid(s, today) : check_uscc(s);
    add(path, "invalid", std::string(what) + " is neither a valid USCC nor a valid resident id number: " + st.message());
  }

  void scalar(const field_def &f, field_type type, const value &v, const jpath &path) {
    switch (type) {
      case field_type::text: {
        if (!expect(v, kind::string, path)) return;
        if (v.text.empty()) return add(path, "invalid", "must not be empty");
        if (has_outer_space(v.text)) return add(path, "invalid", "has leading or trailing white space");
        if (utf8_length(v.text) > max_text_chars)
          return add(path, "invalid", "longer than " + std::to_string(max_text_chars) + " characters");
        for (unsigned char c : v.text)
          if (c < 0x20 && c != '\n' && c != '\t') return add(path, "invalid", "contains a control character");
        return;
      }
      case field_type::uscc: {
        if (!expect(v, kind::string, path)) return;
        if (auto st = check_uscc(v.text); !st) add(path, "invalid", st.message());
        return;
      }
      case field_type::rid: {
        if (!expect(v, kind::string, path)) return;
        if (auto st = check_rid(v.text, today); !st) add(path, "invalid", st.message());
        return;
      }
      case field_type::party_id: {
        if (!expect(v, kind::string, path)) return;
        check_party(v.text, path, "value");
        return;
      }
      case field_type::date: {
        if (!expect(v, kind::string, path)) return;
        if (!parse_date(v.text)) add(path, "invalid", "not a real date in the form YYYY-MM-DD");
        return;
      }
      case field_type::month: {
        if (!expect(v, kind::string, path)) return;
        if (!parse_month(v.text)) add(path, "invalid", "not a month in the form YYYY-MM");
        return;
      }
      case field_type::money: {
        const std::string *t = decimal_text(v, path);
        if (!t) return;
        auto d = parse_decimal(*t, 2);
        if (!d) return add(path, "invalid", "money (CNY): " + d.error().message());
        if (d->units < 0) add(path, "invalid", "money must not be negative");
        return;
      }
      case field_type::integer: {
        if (!expect(v, kind::number, path)) return;
        auto d = parse_decimal(v.text, 0);
        if (!d || v.text.find_first_of(".eE") != std::string::npos)
          return add(path, "invalid", "must be a whole number without fraction or exponent");
        if (f.min && d->units < *f.min) add(path, "invalid", "must be at least " + std::to_string(*f.min));
        if (f.max && d->units > *f.max) add(path, "invalid", "must be at most " + std::to_string(*f.max));
        return;
      }
      case field_type::rate: {
        const std::string *t = decimal_text(v, path);
        if (!t) return;
        auto d = parse_decimal(*t, 4);
        if (!d) return add(path, "invalid", "rate (percent): " + d.error().message());
        if (d->units < -100 * 10000) add(path, "invalid", "a rate of change cannot fall below -100 percent");
        return;
      }
      case field_type::quantity: {
        const value *val = &v;
        const jpath value_path(path, "value");
        const jpath *vpath = &path;
        if (v.is(kind::object)) {
          const value *u = v.find("unit");
          val = v.find("value");
          for (const auto &m : v.members)
            if (m.first != "unit" && m.first != "value")
              add(jpath(path, m.first), "unknown", "a quantity has only \"value\" and \"unit\"");
          if (!u || !u->is(kind::string) || u->text != f.unit)
            add(jpath(path, "unit"), "invalid", "unit must be \"" + f.unit + "\"");
          if (!val) return add(jpath(path, "value"), "missing", "required");
          vpath = &value_path;
        }
        const std::string *t = decimal_text(*val, *vpath);
        if (!t) return;
        auto d = parse_decimal(*t, 4);
        if (!d) return add(*vpath, "invalid", "quantity in " + f.unit + ": " + d.error().message());
        if (d->units < 0) add(*vpath, "invalid", "a quantity must not be negative");
        return;
      }
      case field_type::boolean:
        expect(v, kind::boolean, path);
        return;
      case field_type::enumeration: {
        if (!expect(v, kind::string, path)) return;
        for (const auto &e : f.values)
          if (e.code == v.text) return;
        std::string allowed;
        for (const auto &e : f.values) allowed += (allowed.empty() ? "" : ", ") + e.code;
        add(path, "invalid", "not one of: " + allowed);
        return;
      }
      case field_type::url: {
        if (!expect(v, kind::string, path)) return;
        const std::string &s = v.text;
        const size_t scheme = s.starts_with("https://") ? 8 : s.starts_with("http://") ? 7 : 0;
        if (!scheme) return add(path, "invalid", "a URL must start with http:// or https://");
        if (s.size() == scheme || s[scheme] == '/') return add(path, "invalid", "a URL needs a host");
        if (s.size() > max_url_chars) return add(path, "invalid", "URL longer than 2048 characters");
        for (unsigned char c : s)
          if (c <= 0x20 || c == 0x7F) return add(path, "invalid", "a URL must not contain spaces or control characters");
        return;
      }
      default:
        add(path, "internal", "not a scalar type");
    }
  }

  void financial_statement(const field_def &f, const value &v, const jpath &path) {
    if (!expect(v, kind::object, path)) return;
    check_duplicates(v, path);
    const bool income = f.statement == "income_statement";
    const value *pe = v.find("period_end");
    if (!pe) add(jpath(path, "period_end"), "missing", "required");
    else if (!pe->is(kind::string) || !parse_date(pe->text))
      add(jpath(path, "period_end"), "invalid", "not a real date in the form YYYY-MM-DD");
    const value *ps = v.find("period_start");
    if (income && !ps) add(jpath(path, "period_start"), "missing", "required for an income statement");
    if (ps && (!ps->is(kind::string) || !parse_date(ps->text)))
      add(jpath(path, "period_start"), "invalid", "not a real date in the form YYYY-MM-DD");
    const value *items = v.find("items");
    for (const auto &m : v.members)
      if (m.first != "period_end" && m.first != "period_start" && m.first != "items")
        add(jpath(path, m.first), "unknown", "a statement has period_start, period_end and items");
    const jpath ipath(path, "items");
    if (!items) return add(ipath, "missing", "required");
    if (!expect(*items, kind::object, ipath)) return;
    check_duplicates(*items, ipath);
    for (const char *line : income ? std::vector<const char *>(std::begin(income_statement_lines), std::end(income_statement_lines))
                                   : std::vector<const char *>(std::begin(balance_sheet_lines), std::end(balance_sheet_lines)))
      if (!items->find(line)) add(jpath(ipath, line), "missing", "required line item");
    std::optional<int64_t> assets, liabilities, equity;
    for (const auto &[key, amount] : items->members) {
      const jpath p(ipath, key);
      if (!is_snake(key)) add(p, "invalid", "line-item keys are snake_case");
      const std::string *t = decimal_text(amount, p);
      if (!t) continue;
      auto d = parse_decimal(*t, 2);
      if (!d) {
        add(p, "invalid", "money (CNY): " + d.error().message());
        continue;
      }
      if (key == "total_assets") assets = d->units;
      if (key == "total_liabilities") liabilities = d->units;
      if (key == "owners_equity") equity = d->units;
    }
    if (assets && liabilities && equity && *assets != *liabilities + *equity)
      add(ipath, "mismatch", "total_assets must equal total_liabilities + owners_equity");
  }

  void field(const field_def &f, const value &v, const jpath &path) {
    switch (f.type) {
      case field_type::list: {
        if (!expect(v, kind::array, path)) return;
        for (size_t i = 0; i < v.items.size(); ++i) scalar(f, f.of, v.items[i], jpath(path, i));
        return;
      }
      case field_type::monthly_series: {
        if (!expect(v, kind::array, path)) return;
        std::vector<std::string_view> months;
        for (size_t i = 0; i < v.items.size(); ++i) {
          const jpath p(path, i);
          const value &e = v.items[i];
          if (!expect(e, kind::object, p)) continue;
          const value *m = e.find("month");
          const value *val = e.find("value");
          for (const auto &mm : e.members)
            if (mm.first != "month" && mm.first != "value")
              add(jpath(p, mm.first), "unknown", "a series entry has only \"month\" and \"value\"");
          if (!m) add(jpath(p, "month"), "missing", "required");
          else if (!m->is(kind::string) || !parse_month(m->text))
            add(jpath(p, "month"), "invalid", "not a month in the form YYYY-MM");
          else if (std::find(months.begin(), months.end(), m->text) != months.end())
            add(jpath(p, "month"), "invalid", "month appears more than once in the series");
          else
            months.push_back(m->text);
          if (!val) add(jpath(p, "value"), "missing", "required");
          else scalar(f, f.of, *val, jpath(p, "value"));
        }
        return;
      }
      case field_type::table: {
        if (!expect(v, kind::array, path)) return;
        for (size_t i = 0; i < v.items.size(); ++i) {
          const jpath p(path, i);
          const value &row = v.items[i];
          if (!expect(row, kind::object, p)) continue;
          check_duplicates(row, p);
          for (const auto &col : f.columns) {
            const value *c = row.find(col.key);
            if (!c || c->is(kind::null)) {
              if (col.required) add(jpath(p, col.key), "missing", "required");
              continue;
            }
            scalar(col, col.type, *c, jpath(p, col.key));
          }
          for (const auto &m : row.members)
            if (!std::any_of(f.columns.begin(), f.columns.end(), [&](const field_def &c) { return c.key == m.first; }))
              add(jpath(p, m.first), "unknown", "not a column of this table");
        }
        return;
      }
      case field_type::financial_statement:
        financial_statement(f, v, path);
        return;
      default:
        scalar(f, f.type, v, path);
    }
  }

  void rules(const item_type &t, const value &data) {
    for (const auto &r : t.rules) {
      const value *a = data.find(r.field);
      const value *b = data.find(r.other);
      const bool has_a = a && !a->is(kind::null), has_b = b && !b->is(kind::null);
      const jpath pa(data_root, r.field);
      if (r.rule == "not_after") {
        if (!has_a || !has_b || !a->is(kind::string) || !b->is(kind::string)) continue;
        auto da = parse_date(a->text), db = parse_date(b->text);
        if (da && db && *da > *db) add(pa, "mismatch", "must not be after " + r.other);
      } else if (r.rule == "same_length") {
        if (has_a && has_b && a->is(kind::array) && b->is(kind::array) && a->items.size() != b->items.size())
          add(pa, "mismatch", "must have as many entries as " + r.other + " (one per payment)");
      } else if (r.rule == "one_of") {
        if (!has_a && !has_b) add(pa, "missing", "either " + r.field + " or " + r.other + " is required");
      } else if (r.rule == "id_by_type") {
        if (!has_a || !has_b || !a->is(kind::string) || !b->is(kind::string)) continue;
        if (b->text == "resident_id") {
          if (auto st = check_rid(a->text, today); !st) add(pa, "invalid", st.message());
        } else if (b->text == "uscc") {
          if (auto st = check_uscc(a->text); !st) add(pa, "invalid", st.message());
        }
      }
    }
  }

  void record(const value &rec) {
    if (!rec.is(kind::object)) {
      add("$", "wrong_type", std::string("a record must be a JSON object, got ") + json::kind_name(rec.type));
      return;
    }
    check_duplicates(rec, "$");
    for (const auto &m : rec.members)
      if (m.first != "type" && m.first != "subject" && m.first != "as_of" && m.first != "source" && m.first != "data")
        add(jpath(root, m.first), "unknown", "not a record member (type, subject, as_of, source, data)");

    const item_type *t = nullptr;
    const value *type = rec.find("type");
    if (!type) add("$.type", "missing", "required");
    else if (expect(*type, kind::string, "$.type")) {
      t = cat.find(type->text);
      if (!t) add("$.type", "unknown", "unknown item type (catalog " + cat.version() + ")");
    }

    const value *subject = rec.find("subject");
    bool subject_ok = false;
    if (!subject) add("$.subject", "missing", "required");
    else if (expect(*subject, kind::string, "$.subject")) {
      const size_t before = out.size();
      const bool allow_uscc = !t || std::count(t->subjects.begin(), t->subjects.end(), "uscc");
      const bool allow_rid = !t || std::count(t->subjects.begin(), t->subjects.end(), "rid");
      if (allow_uscc && allow_rid) check_party(subject->text, "$.subject", "subject");
      else if (allow_uscc) {
        if (auto st = check_uscc(subject->text); !st) add("$.subject", "invalid", "subject must be a USCC: " + st.message());
      } else if (auto st = check_rid(subject->text, today); !st) {
        add("$.subject", "invalid", "subject must be a resident id number: " + st.message());
      }
      subject_ok = out.size() == before;
    }

    const value *as_of = rec.find("as_of");
    if (!as_of) add("$.as_of", "missing", "required");
    else if (expect(*as_of, kind::string, "$.as_of")) {
      auto d = parse_date(as_of->text);
      if (!d) add("$.as_of", "invalid", "not a real date in the form YYYY-MM-DD");
      else if (*d > today) add("$.as_of", "invalid", "is in the future (today is " + format_date(today) + ", China time)");
    }

    const value *source = rec.find("source");
    if (!source) add("$.source", "missing", "required");
    else if (expect(*source, kind::string, "$.source") && (source->text.empty() || has_outer_space(source->text)))
      add("$.source", "invalid", "must be a non-empty trimmed string");

    const value *data = rec.find("data");
    if (!data) {
      add("$.data", "missing", "required");
      return;
    }
    if (!expect(*data, kind::object, "$.data") || !t) return;
    check_duplicates(*data, "$.data");
    for (const auto &f : t->fields) {
      const value *v = data->find(f.key);
      const jpath p(data_root, f.key);
      if (!v || v->is(kind::null)) {
        if (f.required) add(p, "missing", "required by " + t->id);
        continue;
      }
      field(f, *v, p);
    }
    for (const auto &m : data->members)
      if (!t->field(m.first)) add(jpath(data_root, m.first), "unknown", "not a field of " + t->id);
    rules(*t, *data);
    if (!t->subject_field.empty() && subject_ok) {
      const value *sf = data->find(t->subject_field);
      if (sf && sf->is(kind::string) && sf->text != subject->text)
        add(jpath(data_root, t->subject_field), "mismatch", "must equal the record's subject");
    }
  }
};

}  // namespace

std::vector<problem> validate_record(const catalog &cat, const json::value &record, const civil_date &today) {
  validator v(cat, today);
  v.record(record);
  return std::move(v.out);
}

std::vector<problem> validate_record(const catalog &cat, const json::value &record) {
  return validate_record(cat, record, today_cn());
}

std::vector<problem> validate_record_json(const catalog &cat, std::string_view text) {
  auto doc = json::parse(text);
  if (!doc) return {problem{"$", "syntax", doc.error().message()}};
  return validate_record(cat, *doc);
}

std::string problems_to_json(const std::vector<problem> &problems) {
  std::string s = "[";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) s += ',';
    s += "{\"path\":";
    json::append_quoted(s, problems[i].path);
    s += ",\"code\":";
    json::append_quoted(s, problems[i].code);
    s += ",\"message\":";
    json::append_quoted(s, problems[i].message);
    s += '}';
  }
  s += ']';
  return s;
}

// ---------------------------------------------------------------- normalise

namespace {

// ASCII spaces and U+3000 in any mix, at either end (taking each kind once
// left what the other hid, and normalising twice changed the record).
std::string trim(std::string_view s) {
  for (;;) {
    if (!s.empty() && is_space_byte(s.front())) s.remove_prefix(1);
    else if (s.starts_with("\xE3\x80\x80")) s.remove_prefix(3);
    else break;
  }
  for (;;) {
    if (!s.empty() && is_space_byte(s.back())) s.remove_suffix(1);
    else if (s.ends_with("\xE3\x80\x80")) s.remove_suffix(3);
    else break;
  }
  return std::string(s);
}

// "2024/6/3", "2024.06.03", "20240603", "2024年6月3日" -> "2024-06-03".
std::string normalize_date_text(std::string_view in, bool month_only) {
  std::string s = trim(fold_fullwidth(in));
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < s.size();) {
    if (s[i] >= '0' && s[i] <= '9') {
      cur += s[i++];
      continue;
    }
    if (!cur.empty()) parts.push_back(cur), cur.clear();
    if (s[i] == '-' || s[i] == '/' || s[i] == '.') ++i;
    else if (s.compare(i, 3, "年") == 0 || s.compare(i, 3, "月") == 0 || s.compare(i, 3, "日") == 0) i += 3;
    else return s;  // leave anything else for validation to report
  }
  if (!cur.empty()) parts.push_back(cur);
  if (parts.size() == 1 && parts[0].size() == (month_only ? 6u : 8u)) {
    const std::string p = parts[0];
    parts = {p.substr(0, 4), p.substr(4, 2)};
    if (!month_only) parts.push_back(p.substr(6, 2));
  }
  if (parts.size() != (month_only ? 2u : 3u) || parts[0].size() != 4) return s;
  std::string r = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i].size() > 2) return s;
    r += '-';
    r += parts[i].size() == 1 ? "0" + parts[i] : parts[i];
  }
  return r;
}

// Strips currency marks and thousands separators; returns canonical text
// at `scale`, or the folded input when it is not a decimal.
std::string normalize_decimal_text(std::string_view in, int scale, bool minimal) {
  std::string s = trim(fold_fullwidth(in));
  std::string cleaned;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == ',' || s[i] == ' ' || s[i] == '%') {
      ++i;
    } else if (s.compare(i, 2, "\xC2\xA5") == 0) {  // ¥
      i += 2;
    } else if (s.compare(i, 3, "元") == 0) {
      i += 3;
    } else {
      cleaned += s[i++];
    }
  }
  if (cleaned.starts_with('+')) cleaned.erase(0, 1);
  auto d = parse_decimal(cleaned, scale);
  if (!d) return s;
  return minimal ? d->to_minimal_string() : d->to_string();
}

// Canonical already? These checks keep normalisation allocation-free for the
// common case of a clean feed.
bool is_canonical_code(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

// "-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?" with at most max_scale decimals, or,
// when fixed, exactly `fixed` decimals.
bool is_canonical_decimal(std::string_view s, int max_scale, bool fixed) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == start || (s[start] == '0' && i - start > 1)) return false;
  if (i == s.size()) return !fixed || max_scale == 0;
  if (s[i] != '.') return false;
  const size_t frac = ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  const size_t n = i - frac;
  if (i != s.size() || n == 0) return false;
  if (fixed) return static_cast<int>(n) == max_scale;
  return static_cast<int>(n) <= max_scale && s.back() != '0';
}

void set_string(value &v, std::string s) {
  v.type = kind::string;
  v.text = std::move(s);
}

void normalize_scalar(const field_def &f, field_type type, value &v) {
  switch (type) {
    case field_type::text:
    case field_type::url:
      if (v.is(kind::string) && has_outer_space(v.text)) v.text = trim(v.text);
      return;
    case field_type::uscc:
    case field_type::rid:
    case field_type::party_id:
      if (v.is(kind::string) && !is_canonical_code(v.text)) v.text = normalize_uscc(v.text);
      return;
    case field_type::date:
      if (v.is(kind::string) && !parse_date(v.text)) v.text = normalize_date_text(v.text, false);
      return;
    case field_type::month:
      if (v.is(kind::string) && !parse_month(v.text)) v.text = normalize_date_text(v.text, true);
      return;
    case field_type::money:
      if ((v.is(kind::string) && !is_canonical_decimal(v.text, 2, true)) || v.is(kind::number))
        set_string(v, normalize_decimal_text(v.text, 2, false));
      return;
    case field_type::rate:
      if ((v.is(kind::string) && !is_canonical_decimal(v.text, 4, false)) || v.is(kind::number))
        set_string(v, normalize_decimal_text(v.text, 4, true));
      return;
    case field_type::quantity: {
      if (v.is(kind::object)) {
        const value *u = v.find("unit");
        value *inner = v.find("value");
        if (!u || !u->is(kind::string) || !inner) return;
        std::string unit = trim(fold_fullwidth(u->text));
        static const std::pair<const char *, const char *> aliases[] = {
            {"m²", "m2"}, {"㎡", "m2"}, {"平方米", "m2"}, {"kva", "kVA"}, {"KVA", "kVA"}, {"千伏安", "kVA"},
            {"吨", "t"},  {"tonnes", "t"}, {"亩", "mu"}};
        for (const auto &[alias, canon] : aliases)
          if (unit == alias) unit = canon;
        if (unit != f.unit) return;  // validation reports the wrong unit
        value moved = std::move(*inner);
        v = std::move(moved);
      }
      if ((v.is(kind::string) && !is_canonical_decimal(v.text, 4, false)) || v.is(kind::number))
        set_string(v, normalize_decimal_text(v.text, 4, true));
      return;
    }
    case field_type::integer:
      if (v.is(kind::string)) {
        std::string s = normalize_decimal_text(v.text, 0, true);
        if (parse_decimal(s, 0)) v = value::of_number(std::move(s));
      }
      return;
    case field_type::boolean:
      if (v.is(kind::string)) {
        const std::string s = trim(fold_fullwidth(v.text));
        if (s == "是" || s == "true" || s == "TRUE" || s == "Y" || s == "y" || s == "1") v = value::of_bool(true);
        else if (s == "否" || s == "false" || s == "FALSE" || s == "N" || s == "n" || s == "0") v = value::of_bool(false);
      } else if (v.is(kind::number) && (v.text == "0" || v.text == "1")) {
        v = value::of_bool(v.text == "1");
      }
      return;
    case field_type::enumeration:
      if (v.is(kind::string)) {
        for (const auto &e : f.values)
          if (v.text == e.code) return;
        const std::string s = trim(v.text);
        for (const auto &e : f.values)
          if (s == e.zh || s == e.code) {
            v.text = e.code;
            return;
          }
        v.text = s;
      }
      return;
    default:
      return;
  }
}

// Each member of each object of an array through fn(key, value); anything
// else is left for validation to report.
template <class F>
void normalize_rows(value &v, F &&fn) {
  if (!v.is(kind::array)) return;
  for (auto &e : v.items)
    if (e.is(kind::object))
      for (auto &[k, x] : e.members) fn(k, x);
}

void normalize_field(const field_def &f, value &v) {
  switch (f.type) {
    case field_type::list:
      if (v.is(kind::array))
        for (auto &e : v.items) normalize_scalar(f, f.of, e);
      return;
    case field_type::monthly_series:
      normalize_rows(v, [&](const std::string &k, value &x) {
        if (k == "month") normalize_scalar(f, field_type::month, x);
        else if (k == "value") normalize_scalar(f, f.of, x);
      });
      return;
    case field_type::table:
      normalize_rows(v, [&](const std::string &k, value &x) {
        auto col = std::find_if(f.columns.begin(), f.columns.end(), [&](const field_def &c) { return c.key == k; });
        if (col != f.columns.end()) normalize_scalar(*col, col->type, x);
      });
      return;
    case field_type::financial_statement: {
      if (!v.is(kind::object)) return;
      for (auto &[k, x] : v.members) {
        if (k == "items" && x.is(kind::object)) {
          for (auto &[line, amount] : x.members)
            if ((amount.is(kind::string) && !is_canonical_decimal(amount.text, 2, true)) || amount.is(kind::number))
              set_string(amount, normalize_decimal_text(amount.text, 2, false));
        } else if ((k == "period_end" || k == "period_start") && x.is(kind::string) && !parse_date(x.text)) {
          x.text = normalize_date_text(x.text, false);
        }
      }
      return;
    }
    default:
      normalize_scalar(f, f.type, v);
  }
}

}  // namespace

void normalize_record_in_place(const catalog &cat, json::value &record) {
  if (!record.is(kind::object)) return;
  value *type = record.find("type");
  if (type && type->is(kind::string) && has_outer_space(type->text)) type->text = trim(type->text);
  const item_type *t = type && type->is(kind::string) ? cat.find(type->text) : nullptr;
  for (auto &[k, v] : record.members) {
    if (!v.is(kind::string) && k != "data") continue;
    if (k == "source") {
      if (has_outer_space(v.text)) v.text = trim(v.text);
    } else if (k == "subject") {
      if (!is_canonical_code(v.text)) v.text = normalize_uscc(v.text);
    } else if (k == "as_of") {
      if (!parse_date(v.text)) v.text = normalize_date_text(v.text, false);
    } else if (k == "data" && t && v.is(kind::object)) {
      for (auto &[fk, fv] : v.members) {
        const field_def *f = t->field(fk);
        if (f && !fv.is(kind::null)) normalize_field(*f, fv);
      }
    }
  }
}

json::value normalize_record(const catalog &cat, const json::value &record) {
  json::value out = record;
  normalize_record_in_place(cat, out);
  return out;
}

}  // namespace xyd
