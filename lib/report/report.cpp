// Credit reports: what a bank may see of a subject, by category, with the
// score, the 24-month series, freshness and the reasons for what is left out.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/report.hpp"

#include <sodium.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "xyd.h"
#include "xyd/score.hpp"

namespace xyd::report {

namespace {

using json::value;

// Item types refreshed once a year; the others monthly (docs/report.md).
bool annual(std::string_view type) { return type == "tax.financials" || type == "env.carbon"; }

std::string random_id() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  return to_hex(std::string_view(reinterpret_cast<const char *>(b), sizeof b));
}

int month_index(const civil_date &d) { return d.year * 12 + d.month - 1; }

std::string month_text(int index) {
  civil_date d{index / 12, index % 12 + 1, 1};
  return format_month(d);
}

}  // namespace

namespace {

/// The score, from the data this request may see (docs/report.md),
/// computed before the released records are masked; null without records.
result<value> score_value(store &s, const catalog &cat, const request &r, const record_set &all,
                          const consent::decision *granted) {
  if (all.empty()) return value::null();
  auto m = r.scorecard ? result<std::shared_ptr<const score::model>>(r.scorecard) : score::find_model(s, r.model);
  if (!m) return m.error();
  const json::value features = score::features_from_records(all.records(), std::nullopt, [&](const record_ref &rec) {
    const item_type *t = cat.find(rec.type);
    return t && consent::releasable(*t, granted);
  });
  std::vector<score::input> inputs;
  if (auto st = score::bind(**m, features, inputs); !st) return st;
  score::outcome out;
  score::workspace ws;
  if (auto st = score::evaluate(**m, inputs.data(), inputs.size(), out, ws); !st) return st;
  value score_v = score::to_value(**m, out);
  if (out.grade >= 0) {
    score_v.add("grade_zh", value::of_string((*m)->grades[static_cast<size_t>(out.grade)].zh));
    score_v.add("grade_en", value::of_string((*m)->grades[static_cast<size_t>(out.grade)].en));
  }
  score_v.add("basis", value::of_string(granted ? "released_data_with_consent" : "released_data_without_consent"));
  return score_v;
}

using type_set = std::set<std::string, std::less<>>;

/// The 24-month series, where their item types are in the report.
result<std::vector<series>> series_value(const record_set &all, const type_set &included, const std::string &newest) {
  std::vector<series> out;
  const auto ref = parse_date(newest);
  if (ref && included.count("social.medical")) {
    for (const auto &rec : all) {
      if (rec.type != "social.medical" || !rec.current) continue;
      auto hc = json::find_member(rec.data, "monthly_headcount_24m");
      auto items = hc && hc->type == json::kind::array ? json::array_items(hc->text) : std::nullopt;
      if (items) {
        series &sr = out.emplace_back(series{"medical_headcount", "医保参保人数(近24个月)", "medical insurance headcount, 24 months", {}});
        sr.points.reserve(items->size());
        for (std::string_view p : *items) {
          auto month = json::find_member(p, "month");
          if (!month) continue;
          // The month's text (a string's contents, else as written).
          std::string m(month->type == json::kind::string || month->type == json::kind::number ? month->text : "");
          auto val = json::find_member(p, "value");
          if (!val) continue;
          auto v = json::to_value(*val);
          if (!v) return v.error();
          sr.points.emplace_back(std::move(m), std::move(*v));
        }
      }
      break;
    }
  }
  if (ref && (included.count("utility.water") || included.count("utility.electricity") || included.count("utility.gas"))) {
    const int last = month_index(*ref);
    int64_t in_arrears[24] = {};
    for (const auto &rec : all) {
      const std::string_view type = rec.type;
      if (type.rfind("utility.", 0) != 0 || !included.count(type)) continue;
      if (rec.state != record_state::active) continue;
      auto date = parse_date(rec.as_of);
      if (!date) continue;
      const int m = month_index(*date);
      if (m > last || m <= last - 24) continue;
      auto arrears = json::find_member(rec.data, "arrears_amount");
      if (!arrears) continue;
      auto amount = score::parse_fixed(arrears->text);
      if (amount && *amount > 0) ++in_arrears[m - (last - 23)];
    }
    series &sr = out.emplace_back(series{"utility_arrears", "水电气欠费账户数(近24个月)", "utility accounts in arrears, 24 months", {}});
    sr.points.reserve(24);
    for (int i = 0; i < 24; ++i) sr.points.emplace_back(month_text(last - 23 + i), value::of_int(in_arrears[i]));
  }
  return out;
}

/// Why an item type is left out of the report; null: it is in.
struct omission_rule {
  const consent::decision *granted;
  const std::map<std::string, std::string, std::less<>> &latest;
  const char *operator()(const item_type &t) const {
    if (t.chan == channel::verification) return "verification_only";
    if (t.consent_required() && !granted) return "no_consent";
    if (!consent::releasable(t, granted)) return "out_of_scope";
    if (!latest.count(t.id)) return "no_data";
    return nullptr;
  }
};

/// One section per category in catalog order, the released records moved
/// into their item types.
std::vector<section> sections_of(const catalog &cat, const omission_rule &omission,
                                 const std::map<std::string, std::string, std::less<>> &latest,
                                 const std::vector<std::string_view> &types, std::vector<shown_record> &released,
                                 int64_t today_days) {
  std::vector<section> out;
  out.reserve(cat.categories().size());
  size_t next = 0;  // released records come grouped by item type (the query's order)
  std::map<std::string_view, std::pair<size_t, size_t>> by_type;
  while (next < released.size()) {
    size_t end = next;
    while (end < released.size() && types[end] == types[next]) ++end;
    by_type.emplace(types[next], std::make_pair(next, end));
    next = end;
  }
  for (const auto &c : cat.categories()) {
    section &sec = out.emplace_back();
    sec.cat = &c;
    bool any_reason[4] = {};  // in the order the section's reason is chosen
    static const char *const order[] = {"no_consent", "out_of_scope", "verification_only", "no_data"};
    size_t shown = 0;
    for (const auto &t : cat.item_types()) {
      if (t.category != c.number) continue;
      item_entry &it = sec.items.emplace_back();
      it.type = &t;
      it.omitted = omission(t);
      if (it.omitted) {
        for (int i = 0; i < 4; ++i)
          if (std::string_view(it.omitted) == order[i]) any_reason[i] = true;
        continue;
      }
      ++shown;
      it.as_of = latest.find(t.id)->second;
      auto date = parse_date(it.as_of);
      it.age_days = date ? today_days - days_from_civil(*date) : 0;
      it.stale = it.age_days > (annual(t.id) ? 400 : 92);
      if (auto range = by_type.find(t.id); range != by_type.end()) {
        it.records.reserve(range->second.second - range->second.first);
        for (size_t i = range->second.first; i < range->second.second; ++i) it.records.push_back(std::move(released[i]));
      }
    }
    const bool any = any_reason[0] || any_reason[1] || any_reason[2] || any_reason[3];
    sec.status = shown == 0 ? "omitted" : any ? "partial" : "included";
    if (shown == 0) {
      // The section's reason: the first of these its item types give (the
      // most actionable for the bank).
      sec.omitted = "no_data";
      for (int i = 0; i < 4; ++i)
        if (any_reason[i]) {
          sec.omitted = order[i];
          break;
        }
    }
  }
  return out;
}

}  // namespace

result<document> build_document(store &s, const catalog &cat_, consent::verifier &v, const request &r) {
  if (r.subject.empty() || r.audience.empty() || r.purpose.empty())
    return status(errc::invalid_arg, "report: subject, audience and purpose are required");
  const catalog *cat = &cat_;
  const int64_t at = r.at ? r.at : now_unix();
  audit_event e(audit_action::report);
  e.subject = r.subject;
  e.audience = r.audience;
  e.purpose = r.purpose;

  std::optional<consent::decision> d;
  if (!r.token.empty()) {
    d = v.check({r.token, r.subject, r.audience, r.purpose, at});
    if (!d->ok()) {
      e.outcome = audit_outcome::refused;
      e.reason = consent::reason_id(d->refused);
      if (auto st = s.audit(e); !st) return st;
      return status(errc::consent, std::string("consent refused: ") + consent::reason_id(d->refused) + ": " + d->detail);
    }
    e.jti = d->granted->jti;
  }
  const consent::decision *granted = d ? &*d : nullptr;

  // Everything of the subject, for the series, the freshness and the score
  // (internal: the report is logged once, as "report"). Read once; a
  // payload is parsed only when its record is released.
  record_query all_q;
  all_q.subject = r.subject;
  all_q.history = true;
  all_q.audit = false;
  auto all_read = s.read_set(all_q);
  if (!all_read) return all_read.error();
  const record_set &all = *all_read;

  document doc;
  auto score_v = score_value(s, *cat, r, all, granted);
  if (!score_v) return score_v.error();
  doc.score = std::move(*score_v);

  // Latest as_of per item type among current, active records.
  std::map<std::string, std::string, std::less<>> latest;
  std::string newest;
  for (const auto &rec : all) {
    if (rec.state != record_state::active) continue;
    if (rec.current) {
      auto it = latest.find(rec.type);
      if (it == latest.end()) it = latest.emplace(std::string(rec.type), std::string()).first;
      if (rec.as_of > it->second) it->second = rec.as_of;
    }
    if (rec.as_of > newest) newest = rec.as_of;
  }

  const omission_rule omission{granted, latest};
  type_set included;
  for (const auto &t : cat->item_types())
    if (!omission(t)) included.insert(t.id);
  auto series = series_value(all, included, newest);
  if (!series) return series.error();
  doc.series = std::move(*series);

  // What this request may see, masked unless a consent covers it: the
  // current, active records of the read above (same order as a query of
  // current records) — everything that needs them unmasked is computed
  // above. Only these payloads are parsed.
  // Records a consent covers go out as they are stored, never parsed; the
  // others are parsed and masked.
  std::vector<stored_record> masked;
  std::vector<shown_record> released;
  std::vector<std::string_view> types;  // of the released records
  released.reserve(all.size());
  for (const auto &rec : all) {
    if (!rec.current || rec.state != record_state::active || !included.count(rec.type)) continue;
    shown_record &out = released.emplace_back();
    types.push_back(rec.type);
    out.id = rec.id;
    out.as_of = rec.as_of;
    out.state = rec.state;
    const item_type *t = cat->find(rec.type);
    if (granted && t->consent_required()) {
      out.consent_jti = granted->granted->jti;
      out.stored_data = rec.data;
      continue;
    }
    auto typed = all.to_record(rec);
    if (!typed) return typed.error();
    masked.push_back(std::move(*typed));
  }
  std::optional<store::release_log> release_log;
  if (auto st = consent::release_records(s, *cat, masked, granted, at, r.masking, nullptr, &release_log); !st) return st;
  if (release_log) release_log->records = static_cast<int64_t>(released.size());
  for (size_t i = 0, m = 0; i < released.size(); ++i)
    if (released[i].consent_jti.empty()) released[i].data = std::move(masked[m++].data);

  const civil_date today = civil_from_days((at + 8 * 3600) / 86400);  // China Standard Time
  doc.sections = sections_of(*cat, omission, latest, types, released, days_from_civil(today));

  header &h = doc.header;
  h.report_id = random_id();
  h.subject = r.subject;
  h.generated_at = format_rfc3339(at);
  h.data_as_of = newest;
  h.audience = r.audience;
  h.purpose = r.purpose;
  h.role = r.masking.role;
  if (granted) h.consent_jti = granted->granted->jti;
  h.catalog_version = cat->version();
  h.library_version = XYD_VERSION_STRING;

  size_t omitted = 0;
  for (const auto &sec : doc.sections)
    for (const auto &it : sec.items) omitted += it.omitted != nullptr;
  e.item_types.assign(included.begin(), included.end());
  e.with("report_id", h.report_id).with("omitted", omitted);
  // The release and the report's entry commit together.
  if (auto st = release_log ? s.audit(e, *release_log) : s.audit(e); !st) return st;
  return doc;
}

result<json::value> build(store &s, const catalog &cat, consent::verifier &v, const request &r) {
  auto doc = build_document(s, cat, v, r);
  if (!doc) return doc.error();
  return to_value(std::move(*doc));
}

}  // namespace xyd::report
