// The credit report as one self-contained HTML page in Chinese: inline CSS,
// inline SVG charts, no script, nothing fetched.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include "xyd/report.hpp"
#include "xyd/score.hpp"

namespace xyd::report {

namespace {

using json::value;

void esc(std::string &out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

std::string text_of(const value *v) {
  if (!v) return "";
  switch (v->type) {
    case json::kind::null: return "—";
    case json::kind::boolean: return v->boolean ? "是" : "否";
    case json::kind::string:
    case json::kind::number: return v->text;
    default: return json::dump(*v);
  }
}

const char *reason_zh(std::string_view r) {
  if (r == "no_consent") return "未获信息主体授权";
  if (r == "out_of_scope") return "超出授权范围";
  if (r == "verification_only") return "仅提供数据核验，不提供原始数据";
  if (r == "no_data") return "暂无数据";
  return "未提供";
}

const char *purpose_zh(std::string_view p) {
  if (p == "screening") return "客户筛选";
  if (p == "pre_loan") return "贷前调查";
  if (p == "approval") return "贷中审批";
  if (p == "post_loan") return "贷后管理";
  return nullptr;
}

// A small line chart of a 24-month series.
void chart(std::string &out, const value &series) {
  const value *points = series.find("points");
  if (!points || points->items.empty()) return;
  std::vector<double> ys;
  for (const auto &p : points->items) ys.push_back(std::strtod(text_of(p.find("value")).c_str(), nullptr));
  const double lo = *std::min_element(ys.begin(), ys.end()), hi = *std::max_element(ys.begin(), ys.end());
  const double w = 480, h = 120, pad = 24;
  auto x = [&](size_t i) { return pad + (w - 2 * pad) * (ys.size() > 1 ? static_cast<double>(i) / (ys.size() - 1) : 0.5); };
  auto y = [&](double v) { return h - pad - (h - 2 * pad) * (hi > lo ? (v - lo) / (hi - lo) : 0.5); };
  char buf[96];
  out += "<figure><figcaption>";
  esc(out, text_of(series.find("zh")));
  out += "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"480\" height=\"120\" viewBox=\"0 0 480 120\">";
  out += "<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\" points=\"";
  for (size_t i = 0; i < ys.size(); ++i) {
    snprintf(buf, sizeof buf, "%s%.1f,%.1f", i ? " " : "", x(i), y(ys[i]));
    out += buf;
  }
  out += "\"/>";
  snprintf(buf, sizeof buf, "<text x=\"2\" y=\"14\" font-size=\"11\">%g</text>", hi);
  out += buf;
  snprintf(buf, sizeof buf, "<text x=\"2\" y=\"%.0f\" font-size=\"11\">%g</text>", h - 6, lo);
  out += buf;
  out += "<text x=\"24\" y=\"118\" font-size=\"11\">";
  esc(out, text_of(points->items.front().find("month")));
  out += "</text><text x=\"400\" y=\"118\" font-size=\"11\">";
  esc(out, text_of(points->items.back().find("month")));
  out += "</text></svg></figure>";
}

}  // namespace

namespace {

void score_html(std::string &out, const value &report) {
  const value *doc = &report;
  // The score.
  const value *sc = doc->find("score");
  out += "<h2>公共信用综合评价</h2>\n";
  if (sc && sc->is(json::kind::object)) {
    out += "<div class=\"score\"><div><div class=\"big\" id=\"score\">";
    esc(out, text_of(sc->find("score")));
    out += "</div>分</div><div class=\"grade\">等级 <b id=\"grade\">";
    esc(out, text_of(sc->find("grade")));
    out += "</b> ";
    esc(out, text_of(sc->find("grade_zh")));
    out += "</div><div>评分模型 ";
    esc(out, text_of(sc->find("model")) + " " + text_of(sc->find("version")));
    out += "</div></div>\n";
    if (const value *ko = sc->find("knockout"); ko && ko->is(json::kind::string)) out += "<p><b>直接否决：</b>触发否决规则，不计分项。</p>";
    out += "<h3>主要影响因素</h3><table><tr><th>代码</th><th>说明</th><th>失分</th></tr>";
    if (const value *reasons = sc->find("reasons"))
      for (const auto &rs : reasons->items) {
        out += "<tr><td>";
        esc(out, text_of(rs.find("code")));
        out += "</td><td>";
        esc(out, rs.find("zh") ? text_of(rs.find("zh")) : text_of(rs.find("code")));
        out += "</td><td>";
        esc(out, rs.find("points") ? text_of(rs.find("points")) : std::string("否决"));
        out += "</td></tr>";
      }
    out += "</table>\n";
    out += "<p class=\"omitted\">";
    out += sc->find("basis") && sc->find("basis")->text == "released_data_with_consent"
               ? "评分依据本报告可提供的数据（含授权数据）。"
               : "评分仅依据无需授权即可提供的数据；获得授权后评分可能不同。";
    out += "</p>\n";
  } else {
    out += "<p class=\"omitted\">暂无数据，无法评分。</p>\n";
  }

}

void sections_html(std::string &out, const value &report, const catalog &cat_) {
  const value *doc = &report;
  const catalog *cat = &cat_;
  // Sections.
  for (const auto &section : doc->find("sections")->items) {
    out += "<h2>";
    esc(out, text_of(section.find("category")) + ". " + text_of(section.find("zh")));
    out += "</h2>\n";
    if (section.find("status")->text == "omitted") {
      out += "<p class=\"omitted\">本类信息未列入：";
      out += reason_zh(text_of(section.find("omitted_reason")));
      out += "</p>\n";
      continue;
    }
    for (const auto &item : section.find("item_types")->items) {
      out += "<h3>";
      esc(out, text_of(item.find("zh")));
      out += "</h3>";
      if (item.find("status")->text == "omitted") {
        out += "<p class=\"omitted\">";
        out += reason_zh(text_of(item.find("reason")));
        out += "</p>\n";
        continue;
      }
      out += "<p>数据截至 ";
      esc(out, text_of(item.find("as_of")));
      if (item.find("stale") && item.find("stale")->boolean) out += " <span class=\"stale\">（数据可能已过时）</span>";
      out += "</p><table>";
      const value *recs = item.find("records");
      std::vector<std::string> keys;
      for (const auto &rec : recs->items)
        if (const value *data = rec.find("data"))
          for (const auto &[k, v] : data->members)
            if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
      const item_type *t = cat->find(text_of(item.find("item_type")));
      out += "<tr>";
      for (const auto &k : keys) {
        out += "<th>";
        const field_def *f = t ? t->field(k) : nullptr;
        esc(out, f ? f->zh : k);
        out += "</th>";
      }
      out += "</tr>";
      for (const auto &rec : recs->items) {
        out += "<tr>";
        const value *data = rec.find("data");
        for (const auto &k : keys) {
          out += "<td>";
          const value *x = data ? data->find(k) : nullptr;
          if (x && (x->is(json::kind::array) || x->is(json::kind::object))) {
            const size_t n = x->is(json::kind::array) ? x->items.size() : x->members.size();
            out += "（" + std::to_string(n) + " 项）";
          } else {
            esc(out, x ? text_of(x) : std::string());
          }
          out += "</td>";
        }
        out += "</tr>";
      }
      out += "</table>\n";
    }
  }
}

// Every member the page reads that it cannot do without, checked before it
// is read: a report from outside the library (the C ABI's xyd_report_html)
// may lack any of them. Errors name the member by its JSON path.
status check_shape(const value &doc) {
  auto bad = [](const std::string &path, const char *what) {
    return status(errc::parse, "report html: " + path + " " + what);
  };
  auto of = [](const value *v, json::kind k) { return v && v->is(k); };
  if (!doc.is(json::kind::object)) return bad("$", "is not an object (a report has a header and sections)");
  if (!of(doc.find("header"), json::kind::object)) return bad("$.header", "is missing or not an object");
  const value *sections = doc.find("sections");
  if (!of(sections, json::kind::array)) return bad("$.sections", "is missing or not an array");
  for (size_t i = 0; i < sections->items.size(); ++i) {
    const value &section = sections->items[i];
    const std::string at = json::path_index("$.sections", i);
    if (!section.is(json::kind::object)) return bad(at, "is not an object");
    if (!of(section.find("status"), json::kind::string)) return bad(at + ".status", "is missing or not a string");
    if (section.find("status")->text == "omitted") continue;
    const value *items = section.find("item_types");
    if (!of(items, json::kind::array)) return bad(at + ".item_types", "is missing or not an array");
    for (size_t j = 0; j < items->items.size(); ++j) {
      const value &item = items->items[j];
      const std::string iat = json::path_index(at + ".item_types", j);
      if (!item.is(json::kind::object)) return bad(iat, "is not an object");
      if (!of(item.find("status"), json::kind::string)) return bad(iat + ".status", "is missing or not a string");
      if (item.find("status")->text == "omitted") continue;
      const value *records = item.find("records");
      if (!of(records, json::kind::array)) return bad(iat + ".records", "is missing or not an array");
      for (size_t r = 0; r < records->items.size(); ++r)
        if (!records->items[r].is(json::kind::object)) return bad(json::path_index(iat + ".records", r), "is not an object");
    }
  }
  return status::ok();
}

}  // namespace

result<std::string> render_html(std::string_view report_json, const catalog &cat) {
  auto doc = json::parse(report_json);  // a report from outside the library (the C ABI's xyd_report_html)
  if (!doc) return status(errc::parse, "report html: not a report (header and sections expected)");
  return render_html(*doc, cat);
}

result<std::string> render_html(const json::value &report, const catalog &cat_) {
  const value *doc = &report;
  if (auto st = check_shape(report); !st) return st;
  const catalog *cat = &cat_;
  const value &header = *doc->find("header");
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>信用报告 ";
  esc(out, text_of(header.find("report_id")));
  out +=
      "</title><style>"
      "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif;margin:2em auto;max-width:60em;color:#222}"
      "h1{font-size:1.6em;border-bottom:2px solid #1f5fa8;padding-bottom:.3em}h2{font-size:1.2em;margin-top:1.6em;color:#1f5fa8}"
      "h3{font-size:1em;margin:.8em 0 .3em}table{border-collapse:collapse;width:100%;margin:.3em 0 1em}"
      "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.9em}"
      "th{background:#eef3fa}.score{display:flex;gap:2em;align-items:center;background:#f5f8fc;padding:1em;border-radius:6px}"
      ".big{font-size:2.4em;font-weight:bold;color:#1f5fa8}.grade{font-size:1.4em}.omitted{color:#777}"
      ".stale{color:#b35900;font-weight:bold}figure{margin:.5em 0}figcaption{font-size:.9em;color:#555}"
      "</style></head><body>\n<h1>企业/个人信用报告</h1>\n<table class=\"header\">";
  auto row = [&](const char *label, const std::string &v) {
    out += "<tr><th>";
    out += label;
    out += "</th><td>";
    esc(out, v);
    out += "</td></tr>";
  };
  row("报告编号", text_of(header.find("report_id")));
  row("信息主体", text_of(header.find("subject")));
  row("生成时间", text_of(header.find("generated_at")));
  row("数据截至", text_of(header.find("data_as_of")));
  row("查询机构", text_of(header.find("audience")));
  const std::string purpose = text_of(header.find("purpose"));
  row("查询用途", purpose_zh(purpose) ? std::string(purpose_zh(purpose)) + " (" + purpose + ")" : purpose);
  row("授权编号", header.find("consent_jti") && header.find("consent_jti")->is(json::kind::string)
                      ? text_of(header.find("consent_jti"))
                      : std::string("无授权：需授权的信息未列入本报告"));
  row("目录版本 / 软件版本", text_of(header.find("catalog_version")) + " / xyd " + text_of(header.find("library_version")));
  out += "</table>\n";

  score_html(out, *doc);
  // Series.
  if (const value *series = doc->find("series"); series && series->is(json::kind::object) && !series->members.empty()) {
    out += "<h2>近24个月趋势</h2>\n";
    for (const auto &[name, sr] : series->members) chart(out, sr);
  }

  sections_html(out, *doc, *cat);
  out += "<p class=\"omitted\">本报告由 xyd 生成；未经授权的个人信息和商业秘密已脱敏。</p>\n</body></html>\n";
  return out;
}

}  // namespace xyd::report
