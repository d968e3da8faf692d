// The feature catalog: features computed from a subject's records (current
// and history) as of a reference date. docs/scoring.md defines each one.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <set>
#include <type_traits>

#include "internal.hpp"

namespace xyd::score {

namespace {
using K = field::kind;
const std::vector<feature_def> catalog_list = {
    {"tax_arrears_count_24m", K::integer, "近24个月欠税记录数", "tax arrears records, last 24 months"},
    {"tax_arrears_amount_24m", K::number, "近24个月欠税金额合计(元)", "tax arrears total, last 24 months (CNY)"},
    {"tax_arrears_unpaid", K::integer, "未缴清的欠税记录数", "tax arrears not paid by the reference date"},
    {"months_since_tax_arrears", K::integer, "距最近一次欠税的月数", "months since the last tax arrears"},
    {"tax_deferred_amount", K::number, "延期缴纳税款金额(元)", "deferred tax (CNY)"},
    {"dishonest_debtor_active", K::boolean, "是否为失信被执行人", "an active dishonest-debtor entry"},
    {"dishonest_debtor_revoked_24m", K::integer, "近24个月移出失信名单次数", "dishonest-debtor entries revoked, last 24 months"},
    {"customs_duty_paid_12m", K::number, "近12个月海关缴税金额(元)", "customs duty paid, last 12 months (CNY)"},
    {"customs_dishonest", K::boolean, "是否为海关失信企业", "on the customs dishonest list"},
    {"carbon_tonnes", K::number, "上年度二氧化碳排放量(吨)", "CO2 emitted last year (tonnes)"},
    {"eia_credit_status", K::category, "环评信用状态", "environmental impact assessment credit status"},
    {"eia_dishonesty_points", K::integer, "环评失信记分", "environmental impact assessment dishonesty points"},
    {"pension_normal_payments_6m", K::integer, "近6个月养老保险正常缴费月数", "pension insurance normal payments, last 6 months"},
    {"pension_headcount_change_6m", K::number, "近6个月参保人数变化率(%)", "pension headcount change, 6 months (%)"},
    {"medical_arrears_24m", K::number, "近24个月医保欠费金额(元)", "medical insurance arrears, last 24 months (CNY)"},
    {"medical_contribution_change_3m", K::number, "近3个月医保缴费变化率(%)", "medical insurance contribution change, 3 months (%)"},
    {"medical_headcount_change_3m", K::number, "近3个月医保参保人数变化率(%)", "medical insurance headcount change, 3 months (%)"},
    {"utility_arrears_months_24m", K::integer, "近24个月水电气欠费月数", "months with utility arrears, last 24 months"},
    {"utility_arrears_amount", K::number, "当前水电气欠费金额(元)", "current utility arrears (CNY)"},
    {"electricity_breaches_24m", K::integer, "近24个月违约用电次数", "electricity contract breaches, last 24 months"},
    {"qualifications_valid", K::integer, "有效资质数", "valid qualifications"},
    {"construction_grade", K::category, "建筑业资质最高等级", "best construction qualification grade"},
    {"qualification_days_to_expiry", K::integer, "资质最近到期天数", "days until the first qualification expires"},
    {"innovation_badges", K::integer, "科技创新称号数", "innovation badges"},
    {"public_trades_24m", K::integer, "近24个月公共资源交易中标次数", "public trades won, last 24 months"},
    {"public_trade_amount_24m", K::number, "近24个月中标金额合计(元)", "public trades won, amount, last 24 months (CNY)"},
    {"ip_pledges_24m", K::integer, "近24个月知识产权质押登记数", "IP pledges registered, last 24 months"},
    {"agri_insured", K::boolean, "是否有有效农业保险", "a valid agricultural insurance policy"},
    {"agri_insured_amount", K::number, "农业保险保额(元)", "agricultural insurance cover (CNY)"},
    {"agri_subsidy_amount", K::number, "农业补贴金额(元)", "agricultural subsidies (CNY)"},
};

// A record as the features see it: its data parsed (a caller's records)
// or as stored text (a record set), looked up the same way.
struct record_view {
  std::string_view type;
  const json::value *data;  // or, when null,
  std::string_view text;    // the data object's text (json::find_member)
  std::string_view as_of;
  bool current;
};

int month_index(const civil_date &d) { return d.year * 12 + (d.month - 1); }

std::optional<json::member> member_of(const record_view *r, std::string_view key) {
  if (!r) return std::nullopt;
  if (!r->data) return json::find_member(r->text, key);
  const json::value *v = r->data->find(key);
  if (!v) return std::nullopt;
  json::member m;
  m.type = v->type;
  m.boolean = v->boolean;
  if (v->is(json::kind::string) || v->is(json::kind::number)) m.text = v->text;
  return m;
}

std::optional<civil_date> date_of(const record_view *r, std::string_view key) {
  auto v = member_of(r, key);
  if (!v || v->type != json::kind::string) return std::nullopt;
  if (auto d = parse_date(v->text)) return d;
  return parse_month(v->text);
}

std::optional<fixed> number_of(const record_view *r, std::string_view key) {
  auto v = member_of(r, key);
  if (!v || (v->type != json::kind::string && v->type != json::kind::number)) return std::nullopt;
  auto n = parse_fixed(v->text);
  if (!n) return std::nullopt;
  return *n;
}

bool true_at(const record_view *r, std::string_view key) {
  auto v = member_of(r, key);
  return v && v->type == json::kind::boolean && v->boolean;
}

std::optional<std::string> text_of(const record_view *r, std::string_view key) {
  auto v = member_of(r, key);
  if (!v || v->type != json::kind::string) return std::nullopt;
  return std::string(v->text);
}

struct builder {
  json::value out = json::value::object();
  void set(const char *name, json::value v) { out.add(name, std::move(v)); }
  void number(const char *name, const std::optional<fixed> &v) {
    set(name, v ? json::value::of_number(format_fixed(*v)) : json::value::null());
  }
  void integer(const char *name, const std::optional<int64_t> &v) { set(name, v ? json::value::of_int(*v) : json::value::null()); }
  void boolean(const char *name, const std::optional<bool> &v) { set(name, v ? json::value::of_bool(*v) : json::value::null()); }
  void text(const char *name, const std::optional<std::string> &v) {
    set(name, v ? json::value::of_string(*v) : json::value::null());
  }
};

int grade_rank(std::string_view g) {
  static const char *order[] = {"特级", "一级", "二级", "三级"};
  for (int i = 0; i < 4; ++i)
    if (g == order[i]) return i;
  return 99;
}

}  // namespace

const std::vector<feature_def> &feature_catalog() { return catalog_list; }

bool is_feature(std::string_view name) noexcept {
  for (const auto &f : catalog_list)
    if (name == f.name) return true;
  return false;
}

namespace {
json::value compute(std::vector<record_view> &all, const std::string &latest, std::optional<civil_date> as_of);
}  // namespace

result<json::value> features_from_records(const json::value &records, std::optional<civil_date> as_of) {
  if (!records.is(json::kind::array)) return status(errc::validation, "features: records must be a JSON array");
  // Active records only: withdrawn (撤销) and repaired (信用修复) records no
  // longer count against the subject.
  std::vector<record_view> all;
  std::string latest;
  for (size_t i = 0; i < records.items.size(); ++i) {
    const json::value &r = records.items[i];
    const json::value *type = r.find("type");
    const json::value *date = r.find("as_of");
    const json::value *data = r.find("data");
    if (!r.is(json::kind::object) || !type || !type->is(json::kind::string) || !date || !date->is(json::kind::string) ||
        !data || !data->is(json::kind::object))
      return status(errc::validation, "features: " + json::path_index("$", i) + " is not a record (type, as_of, data)");
    if (const json::value *st = r.find("state"); st && st->is(json::kind::string) && st->text != "active") continue;
    const json::value *cur = r.find("current");
    all.push_back({type->text, data, {}, date->text, !cur || !cur->is(json::kind::boolean) || cur->boolean});
    latest = std::max(latest, date->text);
  }
  return compute(all, latest, as_of);
}

namespace {
// The active records `counts` accepts (all when empty), as the features see
// them, and the latest as_of among them.
template <class R>
json::value features_of(std::span<const R> records, std::optional<civil_date> as_of,
                        const std::function<bool(const R &)> &counts) {
  std::vector<record_view> all;
  all.reserve(records.size());
  std::string_view latest;
  for (const auto &r : records) {
    if (r.state != record_state::active) continue;
    if (counts && !counts(r)) continue;
    if constexpr (std::is_same_v<R, stored_record>) all.push_back({r.type, &r.data, {}, r.as_of, r.current});
    else all.push_back({r.type, nullptr, r.data, r.as_of, r.current});
    if (std::string_view(r.as_of) > latest) latest = r.as_of;
  }
  return compute(all, std::string(latest), as_of);
}
}  // namespace

json::value features_from_records(std::span<const stored_record> records, std::optional<civil_date> as_of,
                                  const std::function<bool(const stored_record &)> &counts) {
  return features_of(records, as_of, counts);
}

json::value features_from_records(std::span<const record_ref> records, std::optional<civil_date> as_of,
                                  const std::function<bool(const record_ref &)> &counts) {
  return features_of(records, as_of, counts);
}

namespace {
// What every group of features reads: the records up to the reference
// date, the date, and the windows and look-ups over them.
struct scope {
  const std::vector<record_view> &all;
  civil_date ref;
  int ref_month;
  int64_t ref_day;
  bool in_window(const std::optional<civil_date> &d, int months) const {
    if (!d) return false;
    const int m = month_index(*d);
    return m <= ref_month && m > ref_month - months;
  }
  bool has(std::string_view prefix) const {
    return std::any_of(all.begin(), all.end(), [&](const record_view &r) { return r.type.substr(0, prefix.size()) == prefix; });
  }
  // The current record of a single-fact item type (the newest as_of).
  const record_view *current_of(std::string_view type) const {
    const record_view *best = nullptr;
    for (const auto &r : all)
      if (r.type == type && r.current && (!best || r.as_of > best->as_of)) best = &r;
    return best;
  }
};

void tax_and_judicial(const scope &x, builder &b) {
  // Tax arrears: each arrears fact once (its current record), dated by the
  // end of its period.
  {
    int64_t count = 0, unpaid = 0;
    fixed amount = 0;
    std::optional<int> last;
    for (const auto &r : x.all) {
      if (r.type != "tax.arrears" || !r.current) continue;
      auto end = date_of(&r, "period_end");
      if (!end) end = parse_date(r.as_of);
      if (end) last = std::max(last.value_or(0), month_index(*end));
      if (!x.in_window(end, 24)) continue;
      ++count;
      amount += number_of(&r, "arrears_amount").value_or(0);
      auto paid = date_of(&r, "paid_date");
      if (!paid || *paid > x.ref) ++unpaid;
    }
    b.integer("tax_arrears_count_24m", count);
    b.number("tax_arrears_amount_24m", amount);
    b.integer("tax_arrears_unpaid", unpaid);
    b.integer("months_since_tax_arrears", last ? std::optional<int64_t>(std::max(0, x.ref_month - *last)) : std::nullopt);
    fixed deferred = 0;
    for (const auto &r : x.all)
      if (r.type == "tax.deferral" && r.current) deferred += number_of(&r, "deferred_amount").value_or(0);
    b.number("tax_deferred_amount", deferred);
  }
  // Judicial: the list of dishonest debtors (失信被执行人).
  {
    bool active = false;
    int64_t revoked = 0;
    for (const auto &r : x.all) {
      if (r.type != "judicial.dishonest_debtor" || !r.current) continue;
      auto rev = date_of(&r, "revoked_date");
      if (!rev || *rev > x.ref) active = true;
      else if (x.in_window(rev, 24)) ++revoked;
    }
    b.boolean("dishonest_debtor_active", active);
    b.integer("dishonest_debtor_revoked_24m", revoked);
  }
}

void customs_environment_social(const scope &x, builder &b) {
  // Customs.
  {
    const record_view *duty = x.current_of("customs.duty");
    b.number("customs_duty_paid_12m", duty ? std::optional<fixed>(number_of(duty, "duty_paid_12m").value_or(0)) : std::nullopt);
    const record_view *basic = x.current_of("customs.basic");
    b.boolean("customs_dishonest", basic ? std::optional<bool>(true_at(basic, "on_dishonest_list")) : std::nullopt);
  }
  // Environment.
  {
    const record_view *carbon = x.current_of("env.carbon");
    b.number("carbon_tonnes", carbon ? number_of(carbon, "co2_tonnes_last_year") : std::nullopt);
    const record_view *eia = x.current_of("env.eia_credit");
    b.text("eia_credit_status", text_of(eia, "credit_status"));
    std::optional<int64_t> points;
    if (eia) {
      auto p = number_of(eia, "dishonesty_points");
      points = p ? static_cast<int64_t>(*p / fixed_from_int(1)) : 0;
    }
    b.integer("eia_dishonesty_points", points);
  }
  // Social insurance.
  {
    const record_view *pension = x.current_of("social.pension");
    std::optional<int64_t> normal;
    if (pension)
      if (auto n = number_of(pension, "normal_payments_6m")) normal = static_cast<int64_t>(*n / fixed_from_int(1));
    b.integer("pension_normal_payments_6m", normal);
    b.number("pension_headcount_change_6m", pension ? number_of(pension, "headcount_change_rate_6m") : std::nullopt);
    const record_view *arrears = x.current_of("social.medical_arrears");
    std::optional<fixed> med;
    if (arrears) med = number_of(arrears, "arrears_amount_24m").value_or(0);
    else if (x.has("social.medical")) med = fixed(0);
    b.number("medical_arrears_24m", med);
    const record_view *change = x.current_of("social.medical_change");
    b.number("medical_contribution_change_3m", change ? number_of(change, "contribution_change_rate_3m") : std::nullopt);
    b.number("medical_headcount_change_3m", change ? number_of(change, "headcount_change_rate_3m") : std::nullopt);
  }
}

void utilities_and_qualifications(const scope &x, builder &b) {
  // Utilities: monthly snapshots of each account.
  {
    std::set<int> months;
    bool any = false;
    fixed current = 0;
    std::optional<int64_t> breaches;
    for (const auto &r : x.all) {
      if (r.type != "utility.water" && r.type != "utility.electricity" && r.type != "utility.gas") continue;
      any = true;
      const fixed a = number_of(&r, "arrears_amount").value_or(0);
      auto d = parse_date(r.as_of);
      if (a > 0 && x.in_window(d, 24)) months.insert(month_index(*d));
      if (r.current) {
        current += a;
        if (r.type == "utility.electricity")
          if (auto n = number_of(&r, "breaches_24m"))
            breaches = std::max(breaches.value_or(0), static_cast<int64_t>(*n / fixed_from_int(1)));
      }
    }
    b.integer("utility_arrears_months_24m", any ? std::optional<int64_t>(static_cast<int64_t>(months.size())) : std::nullopt);
    b.number("utility_arrears_amount", any ? std::optional<fixed>(current) : std::nullopt);
    const bool electricity = std::any_of(x.all.begin(), x.all.end(), [](const record_view &r) { return r.type == "utility.electricity"; });
    b.integer("electricity_breaches_24m", electricity ? std::optional<int64_t>(breaches.value_or(0)) : std::nullopt);
  }
  // Qualifications.
  {
    int64_t valid = 0;
    std::optional<int64_t> days;
    std::optional<std::string> best;
    for (const auto &r : x.all) {
      if (r.type.substr(0, 5) != "qual." || !r.current) continue;
      auto until = date_of(&r, "valid_until");
      if (until && *until < x.ref) continue;
      ++valid;
      if (until) days = std::min(days.value_or(INT64_MAX), days_from_civil(*until) - x.ref_day);
      if (r.type == "qual.construction")
        if (auto g = text_of(&r, "grade"))
          if (!best || grade_rank(*g) < grade_rank(*best)) best = std::move(*g);
    }
    b.integer("qualifications_valid", valid);
    b.text("construction_grade", best);
    b.integer("qualification_days_to_expiry", days);
  }
  // Innovation badges (专精特新 lists and the like).
  {
    int64_t badges = 0;
    if (const record_view *t = x.current_of("tech.innovation"))
      for (const char *k : {"little_giant", "srdi_sme", "innovative_sme", "high_tech", "tech_sme"}) badges += true_at(t, k);
    b.integer("innovation_badges", badges);
  }
}

void trades_and_agriculture(const scope &x, builder &b) {
  // Public resource trades and IP pledges, by announcement date.
  {
    int64_t trades = 0, pledges = 0;
    fixed amount = 0;
    for (const auto &r : x.all) {
      if (!r.current) continue;
      if (r.type == "public_trade" && x.in_window(date_of(&r, "announced_date"), 24)) {
        ++trades;
        amount += number_of(&r, "project_amount").value_or(0);
      }
      if (r.type == "ip.pledge" && x.in_window(date_of(&r, "announced_date"), 24)) ++pledges;
    }
    b.integer("public_trades_24m", trades);
    b.number("public_trade_amount_24m", amount);
    b.integer("ip_pledges_24m", pledges);
  }
  // Agriculture.
  {
    std::optional<bool> insured;
    std::optional<fixed> cover;
    for (const auto &r : x.all) {
      if (r.type != "agri.insurance" || !r.current) continue;
      auto until = date_of(&r, "policy_valid_until");
      const bool ok = true_at(&r, "insured") && (!until || *until >= x.ref);
      insured = insured.value_or(false) || ok;
      if (ok) cover = cover.value_or(0) + number_of(&r, "insured_amount").value_or(0);
      else if (!cover) cover = fixed(0);
    }
    b.boolean("agri_insured", insured);
    b.number("agri_insured_amount", cover);
    std::optional<fixed> subsidy;
    if (x.has("agri.")) {
      subsidy = fixed(0);
      for (const auto &r : x.all)
        if (r.type == "agri.subsidy" && r.current) *subsidy += number_of(&r, "subsidy_amount").value_or(0);
    }
    b.number("agri_subsidy_amount", subsidy);
  }
}

json::value compute(std::vector<record_view> &all, const std::string &latest, std::optional<civil_date> as_of) {
  civil_date ref;
  if (as_of) ref = *as_of;
  else if (auto d = parse_date(latest)) ref = *d;
  else ref = today_cn();
  // Records after the reference date do not exist yet for this score.
  std::erase_if(all, [&](const record_view &r) {
    auto d = parse_date(r.as_of);
    return d && *d > ref;
  });
  const scope x{all, ref, month_index(ref), days_from_civil(ref)};
  builder b;
  tax_and_judicial(x, b);
  customs_environment_social(x, b);
  utilities_and_qualifications(x, b);
  trades_and_agriculture(x, b);
  b.set("as_of", json::value::of_string(format_date(ref)));
  return std::move(b.out);
}
}  // namespace

result<std::string> features_from_records(std::string_view records_json, std::optional<civil_date> as_of) {
  auto doc = json::parse(records_json);
  if (!doc) return status(errc::parse, "features: " + doc.error().message());
  auto f = features_from_records(*doc, as_of);
  if (!f) return f.error();
  return json::dump(*f);
}

}  // namespace xyd::score
