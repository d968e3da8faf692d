// The catalog: parsing (national list and provincial extensions), the
// process-wide registry, and its JSON and Markdown renderings.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>

#include "xyd/catalog.hpp"

namespace xyd {

extern const char national_catalog_json[];  // generated from cn-2024.json

const char *channel_id(channel c) noexcept {
  switch (c) {
    case channel::national_api: return "national_api";
    case channel::national_physical: return "national_physical";
    case channel::local_physical: return "local_physical";
    case channel::verification: return "verification";
  }
  return "?";
}

bool channel_needs_consent(channel c) noexcept {
  return c == channel::national_api || c == channel::verification;
}

namespace {
constexpr std::pair<field_type, const char *> field_type_names[] = {
    {field_type::text, "text"},
    {field_type::uscc, "uscc"},
    {field_type::rid, "rid"},
    {field_type::party_id, "party_id"},
    {field_type::date, "date"},
    {field_type::month, "month"},
    {field_type::money, "money"},
    {field_type::integer, "integer"},
    {field_type::rate, "rate"},
    {field_type::quantity, "quantity"},
    {field_type::boolean, "boolean"},
    {field_type::enumeration, "enum"},
    {field_type::url, "url"},
    {field_type::list, "list"},
    {field_type::monthly_series, "monthly_series"},
    {field_type::table, "table"},
    {field_type::financial_statement, "financial_statement"},
};
constexpr std::pair<pd_class, const char *> pd_class_names[] = {
    {pd_class::public_, "public"},
    {pd_class::person_name, "person_name"},
    {pd_class::person_id, "person_id"},
    {pd_class::phone, "phone"},
    {pd_class::address, "address"},
    {pd_class::marital_status, "marital_status"},
    {pd_class::commercial_secret, "commercial_secret"},
};
constexpr const char *units[] = {"m2", "kVA", "t", "mu"};
constexpr const char *statements[] = {"balance_sheet", "income_statement"};
constexpr const char *rules[] = {"not_after", "same_length", "id_by_type", "one_of"};
constexpr const char *kinds[] = {"snapshot", "event", "state"};

bool is_scalar(field_type t) {
  return t != field_type::list && t != field_type::monthly_series && t != field_type::table &&
         t != field_type::financial_statement;
}
}  // namespace

const char *field_type_id(field_type t) noexcept {
  for (const auto &[v, n] : field_type_names)
    if (v == t) return n;
  return "?";
}

const char *pd_class_id(pd_class c) noexcept {
  for (const auto &[v, n] : pd_class_names)
    if (v == c) return n;
  return "?";
}

const field_def *item_type::field(std::string_view key) const noexcept {
  for (const auto &f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

const item_type *catalog::find(std::string_view id) const noexcept {
  auto it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : &item_types_[it->second];
}

const category *catalog::find_category(int number) const noexcept {
  for (const auto &c : categories_)
    if (c.number == number) return &c;
  return nullptr;
}

void catalog::reindex() {
  index_.clear();
  for (size_t i = 0; i < item_types_.size(); ++i) index_.emplace(item_types_[i].id, i);
}

// ---------------------------------------------------------------- parsing

struct catalog_parser {
  using value = json::value;
  std::string error;
  std::string version;
  const catalog *base = nullptr;  // for extensions: enums and categories already known
  std::unordered_map<std::string, std::vector<enum_value>> enums;

  bool fail(const std::string &path, const std::string &what) {
    if (error.empty()) error = path + ": " + what;
    return false;
  }

  bool get_string(const value &obj, const std::string &path, std::string_view key, std::string &out,
                  bool required = true) {
    const value *v = obj.find(key);
    if (!v) return required ? fail(path, "missing \"" + std::string(key) + "\"") : true;
    if (!v->is(json::kind::string) || v->text.empty())
      return fail(json::path_member(path, key), "must be a non-empty string");
    out = v->text;
    return true;
  }

  static bool is_id(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
    return s.front() != '.' && s.back() != '.';
  }

  bool parse_enums(const value &doc) {
    const value *e = doc.find("enums");
    if (!e) return true;
    if (!e->is(json::kind::object)) return fail("$.enums", "must be an object");
    for (const auto &[name, list] : e->members) {
      const std::string path = json::path_member("$.enums", name);
      if (!list.is(json::kind::array) || list.items.empty()) return fail(path, "must be a non-empty array");
      std::vector<enum_value> values;
      for (size_t i = 0; i < list.items.size(); ++i) {
        const std::string p = json::path_index(path, i);
        if (!list.items[i].is(json::kind::object)) return fail(p, "must be an object");
        enum_value ev;
        if (!get_string(list.items[i], p, "code", ev.code) || !get_string(list.items[i], p, "zh", ev.zh)) return false;
        values.push_back(ev);
      }
      enums[name] = std::move(values);
    }
    return true;
  }

  // Members a document may have; anything else is a typo worth refusing.
  bool only_known(const value &v, const std::string &path, std::initializer_list<std::string_view> known) {
    for (const auto &m : v.members)
      if (std::find(known.begin(), known.end(), m.first) == known.end())
        return fail(json::path_member(path, m.first), "unknown member");
    return true;
  }

  bool parse_field(const value &v, const std::string &path, field_def &f, bool in_table) {
    if (!v.is(json::kind::object)) return fail(path, "must be an object");
    if (!only_known(v, path, {"key", "zh", "type", "required", "class", "unit", "values", "of", "columns", "statement", "min", "max"}))
      return false;
    std::string type;
    if (!get_string(v, path, "key", f.key) || !get_string(v, path, "zh", f.zh) || !get_string(v, path, "type", type))
      return false;
    if (!is_id(f.key) || f.key.find('.') != std::string::npos)
      return fail(json::path_member(path, "key"), "must be snake_case letters, digits and _");
    bool known = false;
    for (const auto &[t, n] : field_type_names)
      if (type == n) {
        f.type = t;
        known = true;
      }
    if (!known) return fail(json::path_member(path, "type"), "unknown field type \"" + type + "\"");
    if (in_table && !is_scalar(f.type)) return fail(json::path_member(path, "type"), "table columns must be scalar");
    if (const value *r = v.find("required")) {
      if (!r->is(json::kind::boolean)) return fail(json::path_member(path, "required"), "must be true or false");
      f.required = r->boolean;
    }
    std::string cls = "public";
    if (!get_string(v, path, "class", cls, false)) return false;
    known = false;
    for (const auto &[c, n] : pd_class_names)
      if (cls == n) {
        f.pd = c;
        known = true;
      }
    if (!known) return fail(json::path_member(path, "class"), "unknown personal-data class \"" + cls + "\"");
    for (const char *bound : {"min", "max"}) {
      if (const value *b = v.find(bound)) {
        auto d = b->is(json::kind::number) ? parse_decimal(b->text, 0) : result<decimal>(errc::validation, "");
        if (f.type != field_type::integer || !d)
          return fail(json::path_member(path, bound), "only integer fields take an integer bound");
        (std::string_view(bound) == "min" ? f.min : f.max) = d->units;
      }
    }
    switch (f.type) {
      case field_type::quantity: {
        if (!get_string(v, path, "unit", f.unit)) return false;
        if (std::find_if(std::begin(units), std::end(units), [&](const char *u) { return f.unit == u; }) == std::end(units))
          return fail(json::path_member(path, "unit"), "unknown unit \"" + f.unit + "\" (m2, kVA, t, mu)");
        break;
      }
      case field_type::enumeration: {
        const value *vals = v.find("values");
        if (!vals) return fail(path, "an enum field needs \"values\"");
        if (vals->is(json::kind::string)) {
          f.enum_name = vals->text;
          auto it = enums.find(f.enum_name);
          if (it == enums.end()) return fail(json::path_member(path, "values"), "unknown enum \"" + f.enum_name + "\"");
          f.values = it->second;
        } else if (vals->is(json::kind::array) && !vals->items.empty()) {
          for (size_t i = 0; i < vals->items.size(); ++i) {
            const std::string p = json::path_index(json::path_member(path, "values"), i);
            enum_value ev;
            if (!vals->items[i].is(json::kind::object)) return fail(p, "must be an object");
            if (!get_string(vals->items[i], p, "code", ev.code) || !get_string(vals->items[i], p, "zh", ev.zh)) return false;
            f.values.push_back(ev);
          }
        } else {
          return fail(json::path_member(path, "values"), "must name an enum or list {code, zh} objects");
        }
        break;
      }
      case field_type::list:
      case field_type::monthly_series: {
        std::string of;
        if (!get_string(v, path, "of", of)) return false;
        known = false;
        for (const auto &[t, n] : field_type_names)
          if (of == n && is_scalar(t) && t != field_type::enumeration && t != field_type::quantity) {
            f.of = t;
            known = true;
          }
        if (!known) return fail(json::path_member(path, "of"), "must be a scalar field type (not enum or quantity)");
        break;
      }
      case field_type::table: {
        const value *cols = v.find("columns");
        if (!cols || !cols->is(json::kind::array) || cols->items.empty())
          return fail(path, "a table field needs a non-empty \"columns\" array");
        std::set<std::string> seen;
        for (size_t i = 0; i < cols->items.size(); ++i) {
          field_def col;
          const std::string p = json::path_index(json::path_member(path, "columns"), i);
          if (!parse_field(cols->items[i], p, col, true)) return false;
          if (!seen.insert(col.key).second) return fail(p, "duplicate column \"" + col.key + "\"");
          f.columns.push_back(std::move(col));
        }
        break;
      }
      case field_type::financial_statement: {
        if (!get_string(v, path, "statement", f.statement)) return false;
        if (std::find_if(std::begin(statements), std::end(statements), [&](const char *s) { return f.statement == s; }) ==
            std::end(statements))
          return fail(json::path_member(path, "statement"), "must be balance_sheet or income_statement");
        break;
      }
      default:
        break;
    }
    return true;
  }

  bool parse_item_type(const value &v, const std::string &path, item_type &t,
                       const std::set<int> &category_numbers) {
    if (!v.is(json::kind::object)) return fail(path, "must be an object");
    // consent_required and origin appear in xyd_catalog_json output; they are
    // accepted so that output loads again, and derived, never trusted.
    if (!only_known(v, path, {"id", "category", "zh", "en", "channel", "subjects", "subject_field", "kind", "fields",
                              "natural_key", "rules", "consent_required", "origin"}))
      return false;
    std::string chan, kind = "state";
    if (!get_string(v, path, "id", t.id) || !get_string(v, path, "zh", t.zh) || !get_string(v, path, "en", t.en) ||
        !get_string(v, path, "channel", chan) || !get_string(v, path, "kind", kind, false))
      return false;
    if (!is_id(t.id)) return fail(json::path_member(path, "id"), "must be lower-case letters, digits, _ and .");
    t.origin = version;
    const value *cat = v.find("category");
    auto number = cat && cat->is(json::kind::number) ? parse_decimal(cat->text, 0) : result<decimal>(errc::validation, "");
    if (!number || !category_numbers.count(static_cast<int>(number->units)))
      return fail(json::path_member(path, "category"), "must be the number of a known category");
    t.category = static_cast<int>(number->units);
    bool known = false;
    for (channel c : {channel::national_api, channel::national_physical, channel::local_physical, channel::verification})
      if (chan == channel_id(c)) {
        t.chan = c;
        known = true;
      }
    if (!known)
      return fail(json::path_member(path, "channel"),
                  "unknown channel \"" + chan + "\" (national_api, national_physical, local_physical, verification)");
    if (std::find_if(std::begin(kinds), std::end(kinds), [&](const char *k) { return kind == k; }) == std::end(kinds))
      return fail(json::path_member(path, "kind"), "must be snapshot, event or state");
    t.kind = kind;
    const value *subjects = v.find("subjects");
    if (!subjects || !subjects->is(json::kind::array) || subjects->items.empty())
      return fail(path, "\"subjects\" must list \"uscc\" and/or \"rid\"");
    for (const auto &s : subjects->items) {
      if (!s.is(json::kind::string) || (s.text != "uscc" && s.text != "rid"))
        return fail(json::path_member(path, "subjects"), "entries must be \"uscc\" or \"rid\"");
      t.subjects.push_back(s.text);
    }
    const value *fields = v.find("fields");
    if (!fields || !fields->is(json::kind::array)) return fail(path, "\"fields\" must be an array");
    for (size_t i = 0; i < fields->items.size(); ++i) {
      field_def f;
      const std::string p = json::path_index(json::path_member(path, "fields"), i);
      if (!parse_field(fields->items[i], p, f, false)) return false;
      if (t.field(f.key)) return fail(p, "duplicate field \"" + f.key + "\"");
      t.fields.push_back(std::move(f));
    }
    if (!get_string(v, path, "subject_field", t.subject_field, false)) return false;
    if (!t.subject_field.empty()) {
      const field_def *f = t.field(t.subject_field);
      if (!f || (f->type != field_type::uscc && f->type != field_type::rid && f->type != field_type::party_id))
        return fail(json::path_member(path, "subject_field"), "must name a uscc, rid or party_id field");
    }
    const value *nk = v.find("natural_key");
    if (!nk || !nk->is(json::kind::array)) return fail(path, "\"natural_key\" must be an array of field keys");
    for (const auto &k : nk->items) {
      const field_def *f = k.is(json::kind::string) ? t.field(k.text) : nullptr;
      if (!f || !is_scalar(f->type))
        return fail(json::path_member(path, "natural_key"), "entries must name scalar fields of this item type");
      t.natural_key.push_back(k.text);
    }
    if (const value *rs = v.find("rules")) {
      if (!rs->is(json::kind::array)) return fail(json::path_member(path, "rules"), "must be an array");
      for (size_t i = 0; i < rs->items.size(); ++i) {
        const std::string p = json::path_index(json::path_member(path, "rules"), i);
        rule_def r;
        if (!rs->items[i].is(json::kind::object)) return fail(p, "must be an object");
        if (!get_string(rs->items[i], p, "rule", r.rule) || !get_string(rs->items[i], p, "field", r.field) ||
            !get_string(rs->items[i], p, "other", r.other))
          return false;
        if (std::find_if(std::begin(rules), std::end(rules), [&](const char *n) { return r.rule == n; }) == std::end(rules))
          return fail(json::path_member(p, "rule"), "unknown rule \"" + r.rule + "\"");
        if (!t.field(r.field) || !t.field(r.other)) return fail(p, "rule names a field this item type does not have");
        t.rules.push_back(r);
      }
    }
    return true;
  }

  bool parse(const value &doc, catalog &out, bool is_extension) {
    if (!doc.is(json::kind::object)) return fail("$", "a catalog must be a JSON object");
    for (const auto &[key, unused] : doc.members) {
      (void)unused;
      if (key != "version" && key != "source" && key != "categories" && key != "item_types" && key != "enums" &&
          key != "extensions")
        return fail(json::path_member("$", key), "unknown member");
    }
    if (!get_string(doc, "$", "version", version)) return false;
    if (base) {
      if (version == base->version() ||
          std::find(base->extensions().begin(), base->extensions().end(), version) != base->extensions().end())
        return fail("$.version", "a catalog \"" + version + "\" is loaded already");
    }
    if (!parse_enums(doc)) return false;
    std::set<int> numbers;
    std::set<std::string> category_ids;
    if (base)
      for (const auto &c : base->categories()) {
        numbers.insert(c.number);
        category_ids.insert(c.id);
      }
    if (const value *cats = doc.find("categories")) {
      if (!cats->is(json::kind::array)) return fail("$.categories", "must be an array");
      for (size_t i = 0; i < cats->items.size(); ++i) {
        const std::string p = json::path_index("$.categories", i);
        const value &c = cats->items[i];
        category cat;
        if (!c.is(json::kind::object)) return fail(p, "must be an object");
        if (!only_known(c, p, {"number", "id", "zh", "en", "origin", "item_types"})) return false;
        const value *num = c.find("number");
        auto n = num && num->is(json::kind::number) ? parse_decimal(num->text, 0) : result<decimal>(errc::validation, "");
        if (!n || n->units < 1 || n->units > 999) return fail(json::path_member(p, "number"), "must be an integer 1..999");
        cat.number = static_cast<int>(n->units);
        if (!get_string(c, p, "id", cat.id) || !get_string(c, p, "zh", cat.zh) || !get_string(c, p, "en", cat.en))
          return false;
        if (!numbers.insert(cat.number).second)
          return fail(json::path_member(p, "number"), "category " + std::to_string(cat.number) + " is defined already");
        if (!category_ids.insert(cat.id).second)
          return fail(json::path_member(p, "id"), "category \"" + cat.id + "\" is defined already");
        cat.origin = version;
        out.categories_.push_back(cat);
      }
    } else if (!is_extension) {
      return fail("$", "missing \"categories\"");
    }
    const value *types = doc.find("item_types");
    if (!types || !types->is(json::kind::array)) return fail("$", "\"item_types\" must be an array");
    if (is_extension && types->items.empty()) return fail("$.item_types", "an extension must add item types");
    std::set<std::string> ids;
    for (size_t i = 0; i < types->items.size(); ++i) {
      item_type t;
      const std::string p = json::path_index("$.item_types", i);
      if (!parse_item_type(types->items[i], p, t, numbers)) return false;
      if ((base && base->find(t.id)) || !ids.insert(t.id).second)
        return fail(json::path_member(p, "id"), "item type \"" + t.id + "\" is defined already" +
                                                    (base && base->find(t.id) ? " (by " + base->find(t.id)->origin + ")" : ""));
      out.item_types_.push_back(std::move(t));
    }
    return true;
  }
};

result<catalog> catalog::from_json(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc) return status(errc::parse, "catalog: " + doc.error().message());
  catalog out;
  catalog_parser p;
  if (!p.parse(*doc, out, false)) return status(errc::validation, "catalog: " + p.error);
  out.version_ = p.version;
  out.reindex();
  return out;
}

result<catalog> catalog::extended_with(std::string_view text) const {
  auto doc = json::parse(text);
  if (!doc) return status(errc::parse, "catalog extension: " + doc.error().message());
  catalog ext;
  catalog_parser p;
  p.base = this;
  // National enums are visible to extensions.
  for (const auto &t : item_types_)
    for (const auto &f : t.fields)
      if (!f.enum_name.empty()) p.enums[f.enum_name] = f.values;
  if (!p.parse(*doc, ext, true)) {
    const bool redefinition = p.error.find("defined already") != std::string::npos ||
                              p.error.find("loaded already") != std::string::npos;
    return status(redefinition ? errc::exists : errc::validation, "catalog extension: " + p.error);
  }
  catalog out = *this;
  out.extensions_.push_back(p.version);
  for (auto &c : ext.categories_) out.categories_.push_back(std::move(c));
  std::stable_sort(out.categories_.begin(), out.categories_.end(),
                   [](const category &a, const category &b) { return a.number < b.number; });
  for (auto &t : ext.item_types_) out.item_types_.push_back(std::move(t));
  out.reindex();
  return out;
}

// ---------------------------------------------------------------- registry

const catalog &national_catalog() {
  static const catalog national = [] {
    auto c = catalog::from_json(national_catalog_json);
    if (!c) std::abort();  // the compiled-in data is checked by the build's tests
    return std::move(c).value();
  }();
  return national;
}

namespace {
std::mutex registry_mutex;
std::shared_ptr<const catalog> &registry_slot() {
  static std::shared_ptr<const catalog> slot = std::make_shared<const catalog>(national_catalog());
  return slot;
}
}  // namespace

std::shared_ptr<const catalog> current_catalog() {
  std::lock_guard lock(registry_mutex);
  return registry_slot();
}

status load_extension(std::string_view json) {
  std::lock_guard lock(registry_mutex);
  auto next = registry_slot()->extended_with(json);
  if (!next) return next.error();
  registry_slot() = std::make_shared<const catalog>(std::move(next).value());
  return status::ok();
}

// ---------------------------------------------------------------- rendering

namespace {

json::value field_to_json(const field_def &f) {
  auto v = json::value::object();
  v.add("key", json::value::of_string(f.key));
  v.add("zh", json::value::of_string(f.zh));
  v.add("type", json::value::of_string(field_type_id(f.type)));
  v.add("required", json::value::of_bool(f.required));
  v.add("class", json::value::of_string(pd_class_id(f.pd)));
  if (!f.unit.empty()) v.add("unit", json::value::of_string(f.unit));
  if (f.type == field_type::enumeration) {
    auto vals = json::value::array();
    for (const auto &e : f.values) {
      auto o = json::value::object();
      o.add("code", json::value::of_string(e.code));
      o.add("zh", json::value::of_string(e.zh));
      vals.push(std::move(o));
    }
    v.add("values", std::move(vals));
  }
  if (f.type == field_type::list || f.type == field_type::monthly_series)
    v.add("of", json::value::of_string(field_type_id(f.of)));
  if (f.type == field_type::table) {
    auto cols = json::value::array();
    for (const auto &c : f.columns) cols.push(field_to_json(c));
    v.add("columns", std::move(cols));
  }
  if (!f.statement.empty()) v.add("statement", json::value::of_string(f.statement));
  if (f.min) v.add("min", json::value::of_int(*f.min));
  if (f.max) v.add("max", json::value::of_int(*f.max));
  return v;
}

json::value strings(const std::vector<std::string> &list) {
  auto a = json::value::array();
  for (const auto &s : list) a.push(json::value::of_string(s));
  return a;
}

}  // namespace

std::string catalog::to_json() const {
  auto root = json::value::object();
  root.add("version", json::value::of_string(version_));
  root.add("extensions", strings(extensions_));
  auto cats = json::value::array();
  for (const auto &c : categories_) {
    auto o = json::value::object();
    o.add("number", json::value::of_int(c.number));
    o.add("id", json::value::of_string(c.id));
    o.add("zh", json::value::of_string(c.zh));
    o.add("en", json::value::of_string(c.en));
    o.add("origin", json::value::of_string(c.origin.empty() ? version_ : c.origin));
    std::vector<std::string> ids;
    for (const auto &t : item_types_)
      if (t.category == c.number) ids.push_back(t.id);
    o.add("item_types", strings(ids));
    cats.push(std::move(o));
  }
  root.add("categories", std::move(cats));
  auto types = json::value::array();
  for (const auto &t : item_types_) {
    auto o = json::value::object();
    o.add("id", json::value::of_string(t.id));
    o.add("category", json::value::of_int(t.category));
    o.add("zh", json::value::of_string(t.zh));
    o.add("en", json::value::of_string(t.en));
    o.add("channel", json::value::of_string(channel_id(t.chan)));
    o.add("consent_required", json::value::of_bool(t.consent_required()));
    o.add("kind", json::value::of_string(t.kind));
    o.add("subjects", strings(t.subjects));
    if (!t.subject_field.empty()) o.add("subject_field", json::value::of_string(t.subject_field));
    auto fields = json::value::array();
    for (const auto &f : t.fields) fields.push(field_to_json(f));
    o.add("fields", std::move(fields));
    o.add("natural_key", strings(t.natural_key));
    if (!t.rules.empty()) {
      auto rs = json::value::array();
      for (const auto &r : t.rules) {
        auto ro = json::value::object();
        ro.add("rule", json::value::of_string(r.rule));
        ro.add("field", json::value::of_string(r.field));
        ro.add("other", json::value::of_string(r.other));
        rs.push(std::move(ro));
      }
      o.add("rules", std::move(rs));
    }
    o.add("origin", json::value::of_string(t.origin));
    types.push(std::move(o));
  }
  root.add("item_types", std::move(types));
  return json::dump(root);
}

std::string catalog::to_markdown() const {
  std::string md;
  md += "# Catalog reference (" + version_ + ")\n\n";
  md += "Generated by `xyd catalog --markdown` from the catalog compiled into the library\n"
        "(`lib/catalog/cn-2024.json`); do not edit by hand. Source: the annex\n"
        "信用信息归集共享清单 of 国办发〔2024〕15号.\n\n";
  md += std::to_string(categories_.size()) + " categories, " + std::to_string(item_types_.size()) +
        " item types. Channels: `national_api` and `verification` need the subject's consent;\n"
        "`verification` data is only ever answered as match / no match.\n\n";
  md += "| # | category | item type | zh | channel | consent | subjects | natural key |\n";
  md += "|---|---|---|---|---|---|---|---|\n";
  for (const auto &c : categories_)
    for (const auto &t : item_types_)
      if (t.category == c.number) {
        std::string nk;
        for (const auto &k : t.natural_key) nk += (nk.empty() ? "" : ", ") + k;
        std::string subj;
        for (const auto &s : t.subjects) subj += (subj.empty() ? "" : ", ") + s;
        md += "| " + std::to_string(c.number) + " | " + c.zh + " " + c.en + " | `" + t.id + "` | " + t.zh + " | " +
              channel_id(t.chan) + " | " + (t.consent_required() ? "yes" : "no") + " | " + subj + " | " +
              (nk.empty() ? "(subject)" : "subject, " + nk) + " |\n";
      }
  for (const auto &c : categories_) {
    md += "\n## " + std::to_string(c.number) + ". " + c.zh + " — " + c.en + "\n";
    for (const auto &t : item_types_) {
      if (t.category != c.number) continue;
      md += "\n### `" + t.id + "` " + t.zh + " (" + t.en + ")\n\n";
      md += "Channel `" + std::string(channel_id(t.chan)) + "`" + (t.consent_required() ? " (consent needed)" : "") +
            "; kind `" + t.kind + "`";
      if (!t.subject_field.empty()) md += "; `data." + t.subject_field + "` must equal the record's subject";
      md += ".\n\n";
      if (t.fields.empty()) {
        md += "No fields: the original lists none; a record says the subject is on the list, with its source and date.\n";
        continue;
      }
      md += "| key | zh | type | required | class |\n|---|---|---|---|---|\n";
      for (const auto &f : t.fields) {
        std::string type = field_type_id(f.type);
        if (!f.unit.empty()) type += " (" + f.unit + ")";
        if (f.type == field_type::list || f.type == field_type::monthly_series)
          type += " of " + std::string(field_type_id(f.of));
        if (f.type == field_type::enumeration) {
          type += ": ";
          for (size_t i = 0; i < f.values.size(); ++i) type += (i ? ", " : "") + f.values[i].code;
        }
        if (f.type == field_type::table) {
          type += ": ";
          for (size_t i = 0; i < f.columns.size(); ++i)
            type += (i ? ", " : "") + f.columns[i].key + " " + field_type_id(f.columns[i].type);
        }
        if (!f.statement.empty()) type += " (" + f.statement + ")";
        if (f.min) type += ", min " + std::to_string(*f.min);
        if (f.max) type += ", max " + std::to_string(*f.max);
        md += "| `" + f.key + "` | " + f.zh + " | " + type + " | " + (f.required ? "yes" : "no") + " | " +
              pd_class_id(f.pd) + " |\n";
      }
      for (const auto &r : t.rules) md += "\nRule `" + r.rule + "`: `" + r.field + "`, `" + r.other + "`.\n";
    }
  }
  return md;
}

}  // namespace xyd
