// Request decoding: the JSON objects the C ABI takes, read once into typed
// requests, with errors that name the request and the JSON path.
// SPDX-License-Identifier: Apache-2.0
#include <string>

#include "xyd/session.hpp"

namespace xyd {

namespace {

using json::kind;

/// Reads one request object member by member; every member must be known.
class reader {
 public:
  reader(const char *what, std::string_view text) : what_(what) {
    auto doc = json::parse(text);
    if (!doc) {
      error_ = status(errc::invalid_arg, std::string(what_) + ": " + doc.error().message());
      return;
    }
    if (!doc->is(kind::object)) {
      error_ = status(errc::invalid_arg, std::string(what_) + ": must be a JSON object");
      return;
    }
    for (size_t i = 0; i < doc->members.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (doc->members[i].first == doc->members[j].first) {
          error_ = bad(doc->members[i].first, "given twice");
          return;
        }
    doc_ = std::move(*doc);
  }
  bool ok() const { return error_.is_ok(); }
  const status &error() const { return error_; }
  json::value &doc() { return doc_; }

  status bad(std::string_view key, const char *why) const {
    return status(errc::invalid_arg, std::string(what_) + ": " + json::path_member("$", key) + ": " + why);
  }
  status fail(const std::string &why) const { return status(errc::invalid_arg, std::string(what_) + ": " + why); }

  status string(const std::string &key, const json::value &v, std::string &out) const {
    if (!v.is(kind::string)) return bad(key, "must be a string");
    out = v.text;
    return status::ok();
  }
  status boolean(const std::string &key, const json::value &v, bool &out) const {
    if (!v.is(kind::boolean)) return bad(key, "must be true or false");
    out = v.boolean;
    return status::ok();
  }
  status integer(const std::string &key, const json::value &v, int64_t max, int64_t &out, int64_t min = 0) const {
    auto d = v.is(kind::number) ? parse_decimal(v.text, 0) : result<decimal>(errc::parse, "");
    if (!d || d->units < min || d->units > max) return bad(key, "must be a whole number in range");
    out = d->units;
    return status::ok();
  }
  status time(const std::string &key, const json::value &v, int64_t &out) const {
    auto t = v.is(kind::string) ? parse_rfc3339(v.text) : std::nullopt;
    if (!t) return bad(key, "must be an RFC 3339 date-time");
    out = *t;
    return status::ok();
  }
  status date(const std::string &key, const json::value &v, std::optional<civil_date> &out) const {
    auto d = v.is(kind::string) ? parse_date(v.text) : std::nullopt;
    if (!d) return bad(key, "must be a date YYYY-MM-DD");
    out = d;
    return status::ok();
  }
  status policy(const std::string &key, const json::value &v, const catalog &cat, std::optional<mask::policy> &out) const {
    if (!v.is(kind::object)) return bad(key, "must be a masking policy object");
    auto p = mask::policy::from_json(v, cat);
    if (!p) return fail(json::path_member("$", key) + ": " + p.error().message());
    out = std::move(*p);
    return status::ok();
  }

 private:
  const char *what_;
  status error_;
  json::value doc_;
};

#define XYD_TRY(expr)                  \
  do {                                 \
    if (auto st_ = (expr); !st_) return st_; \
  } while (0)

/// The members a record query has, shared by own-view and release requests.
status query_member(const reader &rd, const std::string &k, const json::value &v, record_query &q, bool &known) {
  known = true;
  if (k == "subject") return rd.string(k, v, q.subject);
  if (k == "item_type") return rd.string(k, v, q.item_type);
  if (k == "history") return rd.boolean(k, v, q.history);
  if (k == "category") {
    int64_t n = 0;
    XYD_TRY(rd.integer(k, v, 99, n, 1));
    q.category = static_cast<int>(n);
    return status::ok();
  }
  known = false;
  return status::ok();
}

}  // namespace

result<record_query> decode_records_request(std::string_view text) {
  reader rd("records request", text);
  if (!rd.ok()) return rd.error();
  record_query q;
  for (const auto &[k, v] : rd.doc().members) {
    bool known = false;
    XYD_TRY(query_member(rd, k, v, q, known));
    if (!known) {
      if (k == "audience" || k == "purpose" || k == "token" || k == "role" || k == "policy" || k == "at")
        return rd.bad(k, "belongs to a release to a bank (xyd_store_release)");
      return rd.bad(k, "unknown member");
    }
  }
  if (q.subject.empty()) return rd.fail("\"subject\" is required");
  return q;
}

result<release_request> decode_release_request(std::string_view text, const catalog &cat) {
  reader rd("release request", text);
  if (!rd.ok()) return rd.error();
  release_request r;
  for (const auto &[k, v] : rd.doc().members) {
    bool known = false;
    XYD_TRY(query_member(rd, k, v, r.query, known));
    if (known) continue;
    if (k == "audience") XYD_TRY(rd.string(k, v, r.audience));
    else if (k == "purpose") XYD_TRY(rd.string(k, v, r.purpose));
    else if (k == "token") XYD_TRY(rd.string(k, v, r.token));
    else if (k == "role") XYD_TRY(rd.string(k, v, r.role));
    else if (k == "at") XYD_TRY(rd.time(k, v, r.at));
    else if (k == "policy") XYD_TRY(rd.policy(k, v, cat, r.policy));
    else return rd.bad(k, "unknown member");
  }
  if (r.query.subject.empty()) return rd.fail("\"subject\" is required");
  if (r.audience.empty()) return rd.fail("\"audience\" is required (the institution the records are released to)");
  if (!r.token.empty() && r.purpose.empty()) return rd.fail("a token needs a \"purpose\"");
  return r;
}

result<repair_request> decode_repair_request(std::string_view text) {
  reader rd("repair request", text);
  if (!rd.ok()) return rd.error();
  repair_request r;
  for (const auto &[k, v] : rd.doc().members) {
    if (k == "id") XYD_TRY(rd.integer(k, v, INT64_MAX, r.id));
    else if (k == "action") XYD_TRY(rd.string(k, v, r.action));
    else if (k == "reason") XYD_TRY(rd.string(k, v, r.reason));
    else if (k == "date") XYD_TRY(rd.string(k, v, r.date));
    else if (k == "operator") XYD_TRY(rd.string(k, v, r.operator_name));
    else return rd.bad(k, "unknown member");
  }
  return r;
}

result<trust_request> decode_trust_options(std::string_view public_paserk, std::string_view options_json) {
  trust_request r;
  r.public_paserk = std::string(public_paserk);
  if (options_json.empty()) return r;
  reader rd("trust options", options_json);
  if (!rd.ok()) return rd.error();
  for (const auto &[k, v] : rd.doc().members) {
    if (k == "issuer") XYD_TRY(rd.string(k, v, r.issuer));
    else if (k == "retired_from") {
      int64_t t = 0;
      XYD_TRY(rd.time(k, v, t));
      r.retired_from = t;
    } else if (k == "use") {
      XYD_TRY(rd.string(k, v, r.use));
      if (r.use != "consent" && r.use != "model" && r.use != "audit") return rd.bad(k, "must be consent, model or audit");
    } else {
      return rd.bad(k, "unknown option");
    }
  }
  return r;
}

result<revoke_request> decode_revoke_request(std::string_view text) {
  reader rd("revoke request", text);
  if (!rd.ok()) return rd.error();
  revoke_request r;
  for (const auto &[k, v] : rd.doc().members) {
    if (k == "jti") XYD_TRY(rd.string(k, v, r.jti));
    else if (k == "subject") XYD_TRY(rd.string(k, v, r.subject));
    else if (k == "audience") XYD_TRY(rd.string(k, v, r.audience));
    else if (k == "at") XYD_TRY(rd.time(k, v, r.at));
    else return rd.bad(k, "unknown member");
  }
  const bool one = !r.jti.empty() && r.subject.empty() && r.audience.empty();
  const bool grant = r.jti.empty() && !r.subject.empty() && !r.audience.empty();
  if (!one && !grant) return rd.fail("give a jti, or a subject and an audience");
  return r;
}

result<consent::request> decode_consent_check(std::string_view text) {
  reader rd("consent check", text);
  if (!rd.ok()) return rd.error();
  consent::request r;
  for (const auto &[k, v] : rd.doc().members) {
    if (k == "token") XYD_TRY(rd.string(k, v, r.token));
    else if (k == "subject") XYD_TRY(rd.string(k, v, r.subject));
    else if (k == "audience") XYD_TRY(rd.string(k, v, r.audience));
    else if (k == "purpose") XYD_TRY(rd.string(k, v, r.purpose));
    else if (k == "at") XYD_TRY(rd.time(k, v, r.at));
    else return rd.bad(k, "unknown member");
  }
  if (r.token.empty() || r.subject.empty() || r.audience.empty() || r.purpose.empty())
    return rd.fail("token, subject, audience and purpose are required");
  return r;
}

result<report_request> decode_report_request(std::string_view text, const catalog &cat) {
  reader rd("report request", text);
  if (!rd.ok()) return rd.error();
  report_request r;
  for (const auto &[k, v] : rd.doc().members) {
    if (k == "subject") XYD_TRY(rd.string(k, v, r.subject));
    else if (k == "audience") XYD_TRY(rd.string(k, v, r.audience));
    else if (k == "purpose") XYD_TRY(rd.string(k, v, r.purpose));
    else if (k == "token") XYD_TRY(rd.string(k, v, r.token));
    else if (k == "role") XYD_TRY(rd.string(k, v, r.role));
    else if (k == "model") XYD_TRY(rd.string(k, v, r.model));
    else if (k == "at") XYD_TRY(rd.time(k, v, r.at));
    else if (k == "policy") XYD_TRY(rd.policy(k, v, cat, r.policy));
    else return rd.bad(k, "unknown member");
  }
  return r;
}

result<claims_check_request> decode_claims_check_request(std::string_view text) {
  reader rd("claims check request", text);
  if (!rd.ok()) return rd.error();
  claims_check_request r;
  for (auto &[k, v] : rd.doc().members) {
    if (k == "subject") XYD_TRY(rd.string(k, v, r.subject));
    else if (k == "audience") XYD_TRY(rd.string(k, v, r.audience));
    else if (k == "purpose") XYD_TRY(rd.string(k, v, r.purpose));
    else if (k == "token") XYD_TRY(rd.string(k, v, r.token));
    else if (k == "at") XYD_TRY(rd.time(k, v, r.at));
    else if (k == "claims") r.claims = std::move(v);
    else return rd.bad(k, "unknown member");
  }
  return r;
}

result<score_request> decode_score_request(std::string_view text) {
  reader rd("score request", text);
  if (!rd.ok()) return rd.error();
  score_request r;
  for (const auto &[k, v] : rd.doc().members) {
    if (k == "subject") XYD_TRY(rd.string(k, v, r.subject));
    else if (k == "all") XYD_TRY(rd.boolean(k, v, r.all));
    else if (k == "model") XYD_TRY(rd.string(k, v, r.options.model));
    else if (k == "write") XYD_TRY(rd.boolean(k, v, r.options.write_back));
    else if (k == "as_of") XYD_TRY(rd.date(k, v, r.options.as_of));
    else if (k == "threads") {
      int64_t n = 0;
      XYD_TRY(rd.integer(k, v, 256, n));
      r.options.threads = static_cast<unsigned>(n);
    } else {
      return rd.bad(k, "unknown member");
    }
  }
  if (r.all == !r.subject.empty()) return rd.fail("give \"subject\" or \"all\": true");
  return r;
}

result<audit::verify_options> decode_audit_verify_request(std::string_view text) {
  reader rd("audit verify request", text);
  if (!rd.ok()) return rd.error();
  audit::verify_options r;
  auto strings = [&](const std::string &k, const json::value &v, std::vector<std::string> &out) -> status {
    if (v.is(kind::string)) {
      out.push_back(v.text);
      return status::ok();
    }
    if (!v.is(kind::array)) return rd.bad(k, "must be a string or an array of strings");
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (!v.items[i].is(kind::string))
        return rd.fail(json::path_index(json::path_member("$", k), i) + ": must be a string");
      out.push_back(v.items[i].text);
    }
    return status::ok();
  };
  std::vector<std::string> keys;
  for (const auto &[k, v] : rd.doc().members) {
    if (k == "public") XYD_TRY(strings(k, v, keys));
    else if (k == "anchors") XYD_TRY(strings(k, v, r.anchors));
    else if (k == "require_anchored") XYD_TRY(rd.boolean(k, v, r.require_anchored));
    else return rd.bad(k, "unknown member");
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    auto pk = paseto::parse_public(keys[i]);
    if (!pk) return rd.fail(json::path_index("$.public", i) + ": " + pk.error().message());
    r.keys.push_back(*pk);
  }
  if ((!r.anchors.empty() || r.require_anchored) && r.keys.empty())
    return rd.fail("anchors and require_anchored need the institution's key (\"public\")");
  return r;
}

#undef XYD_TRY

}  // namespace xyd
