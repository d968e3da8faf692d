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

using record_list = std::vector<stored_record>;

/// The score, from the data this request may see (docs/report.md),
/// computed before the released records are masked; null without records.
result<value> score_value(store &s, const catalog &cat, const request &r, const record_list &all,
                          const consent::decision *granted) {
  if (all.empty()) return value::null();
  auto m = r.scorecard ? result<std::shared_ptr<const score::model>>(r.scorecard) : score::find_model(s, r.model);
  if (!m) return m.error();
  const json::value features = score::features_from_records(all, std::nullopt, [&](const stored_record &rec) {
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
value series_value(const record_list &all, const type_set &included, const std::string &newest) {
  value series = value::object();
  const auto ref = parse_date(newest);
  if (ref && included.count("social.medical")) {
    for (const auto &rec : all) {
      if (rec.type != "social.medical" || !rec.current) continue;
      if (const value *hc = rec.data.find("monthly_headcount_24m"); hc && hc->is(json::kind::array)) {
        value points = value::array();
        for (const auto &p : hc->items) {
          const value *m = p.find("month"), *val = p.find("value");
          if (!m || !val) continue;
          value pt = value::object();
          pt.add("month", value::of_string(m->text));
          pt.add("value", *val);
          points.push(std::move(pt));
        }
        value sr = value::object();
        sr.add("zh", value::of_string("医保参保人数(近24个月)"));
        sr.add("en", value::of_string("medical insurance headcount, 24 months"));
        sr.add("points", std::move(points));
        series.add("medical_headcount", std::move(sr));
      }
      break;
    }
  }
  if (ref && (included.count("utility.water") || included.count("utility.electricity") || included.count("utility.gas"))) {
    const int last = month_index(*ref);
    std::map<int, int64_t> in_arrears;
    for (int m = last - 23; m <= last; ++m) in_arrears[m] = 0;
    for (const auto &rec : all) {
      const std::string &type = rec.type;
      if (!included.count(type) || type.rfind("utility.", 0) != 0) continue;
      if (rec.state != record_state::active) continue;
      auto date = parse_date(rec.as_of);
      const value *arrears = rec.data.find("arrears_amount");
      if (!date || !arrears) continue;
      auto amount = score::parse_fixed(arrears->text);
      const int m = month_index(*date);
      if (amount && *amount > 0 && in_arrears.count(m)) ++in_arrears[m];
    }
    value points = value::array();
    for (const auto &[m, n] : in_arrears) {
      value pt = value::object();
      pt.add("month", value::of_string(month_text(m)));
      pt.add("value", value::of_int(n));
      points.push(std::move(pt));
    }
    value sr = value::object();
    sr.add("zh", value::of_string("水电气欠费账户数(近24个月)"));
    sr.add("en", value::of_string("utility accounts in arrears, 24 months"));
    sr.add("points", std::move(points));
    series.add("utility_arrears", std::move(sr));
  }

  return series;
}

/// What the sections need to know of the request and its records.
struct section_inputs {
  const catalog &cat;
  const std::function<const char *(const item_type &)> &omission;
  std::map<std::string, std::string, std::less<>> &latest;
  std::map<std::string_view, std::vector<stored_record *>> &by_type;
  int64_t today_days;
};

/// One section per category in catalog order, with the freshness and the
/// omitted item types; the released records are moved into it.
void sections_value(const section_inputs &in, value &sections, value &omitted, value &freshness) {
  const catalog *cat = &in.cat;
  auto &latest = in.latest;
  auto &by_type = in.by_type;
  const int64_t today_days = in.today_days;
  const auto &omission = in.omission;
  for (const auto &c : cat->categories()) {
    value section = value::object();
    section.add("category", value::of_int(c.number));
    section.add("id", value::of_string(c.id));
    section.add("zh", value::of_string(c.zh));
    section.add("en", value::of_string(c.en));
    value types = value::array();
    std::set<std::string> reasons;
    size_t shown = 0;
    for (const auto &t : cat->item_types()) {
      if (t.category != c.number) continue;
      value item = value::object();
      item.add("item_type", value::of_string(t.id));
      item.add("zh", value::of_string(t.zh));
      item.add("en", value::of_string(t.en));
      item.add("channel", value::of_string(channel_id(t.chan)));
      const std::string reason = omission(t);
      if (!reason.empty()) {
        item.add("status", value::of_string("omitted"));
        item.add("reason", value::of_string(reason));
        value o = value::object();
        o.add("item_type", value::of_string(t.id));
        o.add("reason", value::of_string(reason));
        omitted.push(std::move(o));
        reasons.insert(reason);
      } else {
        ++shown;
        const std::string &as_of = latest[t.id];
        auto date = parse_date(as_of);
        const int64_t age = date ? today_days - days_from_civil(*date) : 0;
        const bool stale = age > (annual(t.id) ? 400 : 92);
        item.add("status", value::of_string("included"));
        item.add("as_of", value::of_string(as_of));
        item.add("stale", value::of_bool(stale));
        value fr = value::object();
        fr.add("item_type", value::of_string(t.id));
        fr.add("as_of", value::of_string(as_of));
        fr.add("age_days", value::of_int(age));
        fr.add("stale", value::of_bool(stale));
        freshness.push(std::move(fr));
        value recs = value::array();
        for (stored_record *rec : by_type[t.id]) {
          value one = value::object();
          one.add("id", value::of_int(rec->id));
          one.add("as_of", value::of_string(std::move(rec->as_of)));
          one.add("state", value::of_string(record_state_id(rec->state)));
          if (!rec->consent_jti.empty()) one.add("consent_jti", value::of_string(std::move(rec->consent_jti)));
          one.add("data", std::move(rec->data));
          recs.push(std::move(one));
        }
        item.add("records", std::move(recs));
      }
      types.push(std::move(item));
    }
    section.add("status", value::of_string(shown == 0 ? "omitted" : reasons.empty() ? "included" : "partial"));
    if (shown == 0) {
      // The section's reason: the one its item types share, else the first
      // in this order (the most actionable for the bank).
      std::string why = "no_data";
      for (const char *x : {"no_consent", "out_of_scope", "verification_only", "no_data"})
        if (reasons.count(x)) {
          why = x;
          break;
        }
      section.add("omitted_reason", value::of_string(why));
    }
    section.add("item_types", std::move(types));
    sections.push(std::move(section));
  }

}

}  // namespace

result<json::value> build(store &s, const catalog &cat_, consent::verifier &v, const request &r) {
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
  // (internal: the report is logged once, as "report"). Read once, typed.
  record_query all_q;
  all_q.subject = r.subject;
  all_q.history = true;
  all_q.audit = false;
  auto all_read = s.read(all_q);
  if (!all_read) return all_read.error();
  const std::vector<stored_record> &all = *all_read;

  auto score_v = score_value(s, *cat, r, all, granted);
  if (!score_v) return score_v.error();

  // Latest as_of per item type among current, active records.
  std::map<std::string, std::string, std::less<>> latest;
  std::string newest;
  for (const auto &rec : all) {
    if (rec.state != record_state::active) continue;
    if (rec.current) {
      std::string &l = latest[rec.type];
      if (rec.as_of > l) l = rec.as_of;
    }
    if (rec.as_of > newest) newest = rec.as_of;
  }

  // Why an item type is left out of the report (empty: it is in).
  const std::function<const char *(const item_type &)> omission = [&](const item_type &t) -> const char * {
    if (t.chan == channel::verification) return "verification_only";
    if (t.consent_required() && !granted) return "no_consent";
    if (!consent::releasable(t, granted)) return "out_of_scope";
    if (!latest.count(t.id)) return "no_data";
    return "";
  };
  std::set<std::string, std::less<>> included;
  for (const auto &t : cat->item_types())
    if (!*omission(t)) included.insert(t.id);


  value series = series_value(all, included, newest);

  // What this request may see, masked unless a consent covers it: the
  // current, active records of the read above (same order as a query of
  // current records), moved out of it — everything that needs them unmasked
  // is computed above.
  std::vector<stored_record> released;
  for (auto &rec : all_read.value())
    if (rec.current && rec.state == record_state::active) released.push_back(std::move(rec));
  std::optional<store::release_log> release_log;
  if (auto st = consent::release_records(s, *cat, released, granted, at, r.masking, nullptr, &release_log); !st) return st;
  std::map<std::string_view, std::vector<stored_record *>> by_type;
  for (auto &rec : released) by_type[rec.type].push_back(&rec);

  const civil_date today = civil_from_days((at + 8 * 3600) / 86400);  // China Standard Time
  const int64_t today_days = days_from_civil(today);

  value report = value::object();
  value header = value::object();
  const std::string report_id = random_id();
  header.add("report_id", value::of_string(report_id));
  header.add("subject", value::of_string(r.subject));
  header.add("generated_at", value::of_string(format_rfc3339(at)));
  header.add("data_as_of", newest.empty() ? value::null() : value::of_string(newest));
  header.add("audience", value::of_string(r.audience));
  header.add("purpose", value::of_string(r.purpose));
  header.add("role", value::of_string(r.masking.role));
  header.add("consent_jti", granted ? value::of_string(granted->granted->jti) : value::null());
  header.add("catalog_version", value::of_string(cat->version()));
  header.add("library_version", value::of_string(XYD_VERSION_STRING));
  report.add("header", std::move(header));

  value sections = value::array(), omitted = value::array(), freshness = value::array();
  sections_value({*cat, omission, latest, by_type, today_days}, sections, omitted, freshness);

  report.add("score", std::move(*score_v));
  report.add("sections", std::move(sections));
  report.add("series", std::move(series));
  report.add("freshness", std::move(freshness));
  report.add("omitted", std::move(omitted));

  e.item_types.assign(included.begin(), included.end());
  e.with("report_id", report_id).with("omitted", report.find("omitted")->items.size());
  // The release and the report's entry commit together.
  if (auto st = release_log ? s.audit(e, *release_log) : s.audit(e); !st) return st;
  return report;
}

}  // namespace xyd::report
