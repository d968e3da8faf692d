// A report document written out: directly as JSON text (the hot path), or
// as the JSON tree the HTML page is rendered from. The two give the same
// document; a unit test holds them to the same bytes.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/report.hpp"

namespace xyd::report {

namespace {

using json::value;

// ---------------------------------------------------------------- JSON text

struct writer {
  std::string out;

  void key(const char *k) {
    if (out.back() != '{') out += ',';
    out += '"';
    out += k;  // member names are ASCII identifiers
    out += "\":";
  }
  void text(const char *k, std::string_view v) {
    key(k);
    json::append_quoted(out, v);
  }
  void text_or_null(const char *k, std::string_view v) {
    key(k);
    if (v.empty()) out += "null";
    else json::append_quoted(out, v);
  }
  void integer(const char *k, int64_t v) {
    key(k);
    out += std::to_string(v);
  }
  void boolean(const char *k, bool v) {
    key(k);
    out += v ? "true" : "false";
  }
  void comma(bool &first) {
    if (!first) out += ',';
    first = false;
  }

  void header(const report::header &h) {
    key("header");
    out += '{';
    text("report_id", h.report_id);
    text("subject", h.subject);
    text("generated_at", h.generated_at);
    text_or_null("data_as_of", h.data_as_of);
    text("audience", h.audience);
    text("purpose", h.purpose);
    text("role", h.role);
    text_or_null("consent_jti", h.consent_jti);
    text("catalog_version", h.catalog_version);
    text("library_version", h.library_version);
    out += '}';
  }

  void item(const item_entry &it) {
    out += '{';
    text("item_type", it.type->id);
    text("zh", it.type->zh);
    text("en", it.type->en);
    text("channel", channel_id(it.type->chan));
    if (it.omitted) {
      text("status", "omitted");
      text("reason", it.omitted);
    } else {
      text("status", "included");
      text("as_of", it.as_of);
      boolean("stale", it.stale);
      key("records");
      out += '[';
      bool first = true;
      for (const auto &r : it.records) {
        comma(first);
        out += '{';
        integer("id", r.id);
        text("as_of", r.as_of);
        text("state", record_state_id(r.state));
        if (!r.consent_jti.empty()) text("consent_jti", r.consent_jti);
        key("data");
        if (!r.stored_data.empty()) out += r.stored_data;
        else json::dump_to(out, r.data);
        out += '}';
      }
      out += ']';
    }
    out += '}';
  }

  void sections(const std::vector<section> &list) {
    key("sections");
    out += '[';
    bool first = true;
    for (const auto &sec : list) {
      comma(first);
      out += '{';
      integer("category", sec.cat->number);
      text("id", sec.cat->id);
      text("zh", sec.cat->zh);
      text("en", sec.cat->en);
      text("status", sec.status);
      if (sec.omitted) text("omitted_reason", sec.omitted);
      key("item_types");
      out += '[';
      bool first_item = true;
      for (const auto &it : sec.items) {
        comma(first_item);
        item(it);
      }
      out += "]}";
    }
    out += ']';
  }

  void series(const std::vector<report::series> &list) {
    key("series");
    out += '{';
    for (const auto &sr : list) {
      key(sr.id);
      out += '{';
      text("zh", sr.zh);
      text("en", sr.en);
      key("points");
      out += '[';
      bool first = true;
      for (const auto &[month, v] : sr.points) {
        comma(first);
        out += '{';
        text("month", month);
        key("value");
        json::dump_to(out, v);
        out += '}';
      }
      out += "]}";
    }
    out += '}';
  }

  // Freshness of each included item type, then each omitted one, in
  // section order.
  void freshness_and_omitted(const std::vector<section> &list) {
    key("freshness");
    out += '[';
    bool first = true;
    for (const auto &sec : list)
      for (const auto &it : sec.items) {
        if (it.omitted) continue;
        comma(first);
        out += '{';
        text("item_type", it.type->id);
        text("as_of", it.as_of);
        integer("age_days", it.age_days);
        boolean("stale", it.stale);
        out += '}';
      }
    out += ']';
    key("omitted");
    out += '[';
    first = true;
    for (const auto &sec : list)
      for (const auto &it : sec.items) {
        if (!it.omitted) continue;
        comma(first);
        out += '{';
        text("item_type", it.type->id);
        text("reason", it.omitted);
        out += '}';
      }
    out += ']';
  }
};

// ---------------------------------------------------------------- JSON tree

value str(std::string_view s) { return value::of_string(std::string(s)); }
value str_or_null(std::string_view s) { return s.empty() ? value::null() : str(s); }

value header_value(const report::header &h) {
  value v = value::object();
  v.members.reserve(10);
  v.add("report_id", str(h.report_id));
  v.add("subject", str(h.subject));
  v.add("generated_at", str(h.generated_at));
  v.add("data_as_of", str_or_null(h.data_as_of));
  v.add("audience", str(h.audience));
  v.add("purpose", str(h.purpose));
  v.add("role", str(h.role));
  v.add("consent_jti", str_or_null(h.consent_jti));
  v.add("catalog_version", str(h.catalog_version));
  v.add("library_version", str(h.library_version));
  return v;
}

result<value> item_value(item_entry &it) {
  value item = value::object();
  item.add("item_type", str(it.type->id));
  item.add("zh", str(it.type->zh));
  item.add("en", str(it.type->en));
  item.add("channel", str(channel_id(it.type->chan)));
  if (it.omitted) {
    item.add("status", str("omitted"));
    item.add("reason", str(it.omitted));
    return item;
  }
  item.add("status", str("included"));
  item.add("as_of", str(it.as_of));
  item.add("stale", value::of_bool(it.stale));
  value recs = value::array();
  for (auto &r : it.records) {
    value one = value::object();
    one.add("id", value::of_int(r.id));
    one.add("as_of", value::of_string(std::move(r.as_of)));
    one.add("state", str(record_state_id(r.state)));
    if (!r.consent_jti.empty()) one.add("consent_jti", value::of_string(std::move(r.consent_jti)));
    if (!r.stored_data.empty()) {
      // The stored payload's data enters the tree here (the HTML page's
      // path), as it enters when a store query reads it.
      auto stored = json::parse(r.stored_data);
      if (!stored) return status(errc::corrupt, "report: record " + std::to_string(r.id) + ": bad stored data");
      one.add("data", std::move(*stored));
    } else {
      one.add("data", std::move(r.data));
    }
    recs.push(std::move(one));
  }
  item.add("records", std::move(recs));
  return item;
}

}  // namespace

std::string to_json(const document &d) {
  writer w;
  w.out.reserve(16384);
  w.out += '{';
  w.header(d.header);
  w.key("score");
  json::dump_to(w.out, d.score);
  w.sections(d.sections);
  w.series(d.series);
  w.freshness_and_omitted(d.sections);
  w.out += '}';
  return std::move(w.out);
}

result<json::value> to_value(document &&d) {
  value report = value::object();
  report.add("header", header_value(d.header));
  report.add("score", std::move(d.score));
  value sections = value::array(), freshness = value::array(), omitted = value::array();
  for (auto &sec : d.sections) {
    value section = value::object();
    section.add("category", value::of_int(sec.cat->number));
    section.add("id", str(sec.cat->id));
    section.add("zh", str(sec.cat->zh));
    section.add("en", str(sec.cat->en));
    section.add("status", str(sec.status));
    if (sec.omitted) section.add("omitted_reason", str(sec.omitted));
    value types = value::array();
    for (auto &it : sec.items) {
      if (it.omitted) {
        value o = value::object();
        o.add("item_type", str(it.type->id));
        o.add("reason", str(it.omitted));
        omitted.push(std::move(o));
      } else {
        value fr = value::object();
        fr.add("item_type", str(it.type->id));
        fr.add("as_of", str(it.as_of));
        fr.add("age_days", value::of_int(it.age_days));
        fr.add("stale", value::of_bool(it.stale));
        freshness.push(std::move(fr));
      }
      auto item = item_value(it);
      if (!item) return item.error();
      types.push(std::move(*item));
    }
    section.add("item_types", std::move(types));
    sections.push(std::move(section));
  }
  report.add("sections", std::move(sections));
  value series = value::object();
  for (auto &sr : d.series) {
    value points = value::array();
    for (auto &[month, v] : sr.points) {
      value pt = value::object();
      pt.add("month", value::of_string(std::move(month)));
      pt.add("value", std::move(v));
      points.push(std::move(pt));
    }
    value one = value::object();
    one.add("zh", str(sr.zh));
    one.add("en", str(sr.en));
    one.add("points", std::move(points));
    series.add(sr.id, std::move(one));
  }
  report.add("series", std::move(series));
  report.add("freshness", std::move(freshness));
  report.add("omitted", std::move(omitted));
  return report;
}

}  // namespace xyd::report
