// Data verification (数据核验): match / no match / no data for claims about
// verification item types, never the record.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <map>

#include "xyd/report.hpp"
#include "xyd/score.hpp"

namespace xyd::report {

namespace {

using json::value;

struct condition {
  std::string field, op;
  value claimed;  // normalised as the catalog normalises the field
  const field_def *def = nullptr;
};

std::string folded(std::string_view s) {
  std::string out = fold_fullwidth(s);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  size_t i = 0;
  while (i < out.size() && out[i] == ' ') ++i;
  return out.substr(i);
}

bool numeric(field_type t) {
  return t == field_type::money || t == field_type::rate || t == field_type::quantity || t == field_type::integer;
}

// True, false, or nullopt when the record lacks the field.
std::optional<bool> holds(const condition &c, const value &data) {
  const value *actual = data.find(c.field);
  if (!actual || actual->is(json::kind::null)) return std::nullopt;
  const field_type t = c.def->type;
  int cmp = 0;
  if (numeric(t)) {
    auto a = score::parse_fixed(actual->text), b = score::parse_fixed(c.claimed.text);
    if (!a || !b) return false;
    cmp = *a < *b ? -1 : *a > *b ? 1 : 0;
  } else if (t == field_type::boolean) {
    if (!actual->is(json::kind::boolean) || !c.claimed.is(json::kind::boolean)) return false;
    cmp = actual->boolean == c.claimed.boolean ? 0 : 1;
  } else {
    const std::string a = folded(actual->text), b = folded(c.claimed.text);
    if (c.op == "contains") return a.find(b) != std::string::npos;
    cmp = a < b ? -1 : a > b ? 1 : 0;
  }
  if (c.op == "eq") return cmp == 0;
  if (c.op == "ne") return cmp != 0;
  if (c.op == "lt") return cmp < 0;
  if (c.op == "le") return cmp <= 0;
  if (c.op == "gt") return cmp > 0;
  return cmp >= 0;  // ge
}

struct claim {
  std::string id;
  const item_type *type;
  std::vector<condition> conditions;
};

// Every claim parsed first: a bad claim refuses the request, naming it.
result<std::vector<claim>> parse_claims(const catalog &cat_, const value &claims_value) {
  const catalog *cat = &cat_;
  const value *claims = &claims_value;
  std::vector<claim> parsed;
  for (size_t i = 0; i < claims->items.size(); ++i) {
    const value &c = claims->items[i];
    const std::string path = json::path_index("$", i);
    auto bad = [&](const std::string &where, const std::string &why) {
      return status(errc::invalid_arg, "verify: claims" + where + ": " + why);
    };
    if (!c.is(json::kind::object)) return bad(path, "a claim is an object");
    claim out;
    const value *id = c.find("id");
    out.id = id && id->is(json::kind::string) ? id->text : std::to_string(i + 1);
    const value *type = c.find("item_type");
    if (!type || !type->is(json::kind::string)) return bad(path + ".item_type", "is required");
    out.type = cat->find(type->text);
    if (!out.type) return bad(path + ".item_type", "\"" + type->text + "\" is not an item type of the catalog");
    if (out.type->chan != channel::verification)
      return bad(path + ".item_type", type->text + " is not a verification item type (its data is released, not verified)");
    std::vector<const value *> conds;
    if (const value *list = c.find("conditions")) {
      if (!list->is(json::kind::array) || list->items.empty()) return bad(path + ".conditions", "must be a non-empty array");
      for (const auto &x : list->items) conds.push_back(&x);
    } else {
      conds.push_back(&c);
    }
    for (size_t k = 0; k < conds.size(); ++k) {
      const value &x = *conds[k];
      const std::string cp = c.find("conditions") ? json::path_index(path + ".conditions", k) : path;
      condition cond;
      const value *field = x.find("field");
      const value *val = x.find("value");
      const value *op = x.find("op");
      if (!field || !field->is(json::kind::string)) return bad(cp + ".field", "is required");
      cond.def = out.type->field(field->text);
      if (!cond.def) return bad(cp + ".field", "\"" + field->text + "\" is not a field of " + out.type->id);
      if (!val || val->is(json::kind::null) || val->is(json::kind::array) || val->is(json::kind::object))
        return bad(cp + ".value", "must be a string, a number or a boolean");
      cond.field = field->text;
      cond.op = op && op->is(json::kind::string) ? op->text : "eq";
      static const char *ops[] = {"eq", "ne", "lt", "le", "gt", "ge", "contains"};
      if (std::find(std::begin(ops), std::end(ops), cond.op) == std::end(ops))
        return bad(cp + ".op", "must be eq, ne, lt, le, gt, ge or contains");
      const bool ordered = cond.op != "eq" && cond.op != "ne" && cond.op != "contains";
      const bool orderable = numeric(cond.def->type) || cond.def->type == field_type::date || cond.def->type == field_type::month;
      if (ordered && !orderable) return bad(cp + ".op", cond.op + " needs a number or a date; " + cond.field + " is not one");
      if (cond.op == "contains" && (numeric(cond.def->type) || cond.def->type == field_type::boolean))
        return bad(cp + ".op", "contains is for text");
      // The claimed value, normalised as ingest normalises the field.
      value rec = value::object();
      rec.add("type", value::of_string(out.type->id));
      value data = value::object();
      data.add(cond.field, *val);
      rec.add("data", std::move(data));
      normalize_record_in_place(*cat, rec);
      cond.claimed = *rec.find("data")->find(cond.field);
      if (numeric(cond.def->type) && !score::parse_fixed(cond.claimed.text))
        return bad(cp + ".value", "must be a number for " + cond.field);
      if (cond.def->type == field_type::boolean && !cond.claimed.is(json::kind::boolean))
        return bad(cp + ".value", "must be true or false for " + cond.field);
      out.conditions.push_back(std::move(cond));
    }
    parsed.push_back(std::move(out));
  }
  return parsed;

}

}  // namespace

result<std::string> check_claims(store &s, const catalog &cat_, consent::verifier &v, const claims_request &r) {
  if (r.subject.empty() || r.audience.empty() || r.purpose.empty())
    return status(errc::invalid_arg, "verify: subject, audience and purpose are required");
  const catalog *cat = &cat_;
  const value *claims = &r.claims;
  if (!claims->is(json::kind::array) || claims->items.empty())
    return status(errc::invalid_arg, "verify: claims must be a non-empty JSON array");

  auto claims_parsed = parse_claims(*cat, *claims);
  if (!claims_parsed) return claims_parsed.error();
  const std::vector<claim> &parsed = *claims_parsed;
  std::vector<std::string> types;
  for (const auto &c : parsed)
    if (std::find(types.begin(), types.end(), c.type->id) == types.end()) types.push_back(c.type->id);

  audit_event e(audit_action::check_claims);
  e.subject = r.subject;
  e.audience = r.audience;
  e.purpose = r.purpose;
  e.item_types = types;
  auto refuse = [&](const std::string &reason, const std::string &detail) -> result<std::string> {
    e.outcome = audit_outcome::refused;
    e.reason = reason;
    if (auto st = s.audit(e); !st) return st;
    return status(errc::consent, "consent refused: " + reason + ": " + detail);
  };
  // A consent in mode "verify" for this subject, bank and purpose, whose
  // scope covers every item type asked about.
  if (r.token.empty()) return refuse("no_consent", "data verification needs a consent token with mode \"verify\"");
  const auto d = v.check({r.token, r.subject, r.audience, r.purpose, r.at});
  if (!d.ok()) return refuse(consent::reason_id(d.refused), d.detail);
  e.jti = d.granted->jti;
  if (d.granted->mode != "verify") return refuse("wrong_mode", "the consent grants \"" + d.granted->mode + "\", not \"verify\"");
  for (const auto &t : types)
    if (!d.granted->item_types.count(t)) return refuse("out_of_scope", t + " is not in the consent's scope");

  size_t counts[3] = {0, 0, 0};  // match, no_match, no_data
  value answers = value::array();
  std::map<std::string, std::vector<stored_record>> read;  // each item type's current records, read once
  for (const auto &c : parsed) {
    auto found = read.find(c.type->id);
    if (found == read.end()) {
      record_query q;
      q.subject = r.subject;
      q.item_type = c.type->id;
      q.audit = false;  // logged once, as "verify"
      auto recs = s.read(q);
      if (!recs) return recs.error();
      found = read.emplace(c.type->id, std::move(*recs)).first;
    }
    const std::vector<stored_record> &recs = found->second;
    const char *answer = "no_data";
    if (!recs.empty()) {
      answer = "no_match";
      for (const auto &rec : recs) {
        const value *data = &rec.data;
        bool all = true;
        for (const auto &cond : c.conditions) {
          auto h = holds(cond, *data);
          if (!h || !*h) {
            all = false;
            break;
          }
        }
        if (all) {
          answer = "match";
          break;
        }
      }
    }
    ++counts[answer[0] == 'm' ? 0 : answer[3] == 'm' ? 1 : 2];
    value a = value::object();
    a.add("id", value::of_string(c.id));
    a.add("item_type", value::of_string(c.type->id));
    a.add("answer", value::of_string(answer));
    answers.push(std::move(a));
  }
  e.with("claims", parsed.size()).with("match", counts[0]).with("no_match", counts[1]).with("no_data", counts[2]);
  if (auto st = s.audit(e); !st) return st;
  value out = value::object();
  out.add("subject", value::of_string(r.subject));
  out.add("jti", value::of_string(d.granted->jti));
  out.add("answers", std::move(answers));
  return json::dump(out);
}

}  // namespace xyd::report
