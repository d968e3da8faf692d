// xyd C++ API: credit reports (信用报告) and data verification (数据核验).
// docs/report.md documents the report's JSON schema and the verification
// claims. Every report and verification — and every refusal — is an entry
// of the audit log.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "xyd/consent.hpp"
#include "xyd/mask.hpp"
#include "xyd/score.hpp"
#include "xyd/store.hpp"

namespace xyd::report {

struct request {
  std::string subject, audience, purpose;
  std::string token;                 ///< empty: no consent (the gated sections are omitted, with their reason)
  int64_t at = 0;                    ///< Unix seconds; 0: now
  mask::context masking;             ///< policy and role (default: external)
  std::string model = "xyd-public-2024";  ///< the scorecard (id or id@version)
  /// The scorecard already resolved (the session caches it); empty: `model`
  /// is looked up in the store.
  std::shared_ptr<const score::model> scorecard;
};

/// A report's header.
struct header {
  std::string report_id, subject, generated_at;
  std::string data_as_of;  ///< empty: no data (null)
  std::string audience, purpose, role;
  std::string consent_jti;  ///< empty: no consent (null)
  std::string catalog_version, library_version;
};

/// A record as a report shows it: masked (`data`), or under a consent as
/// it is stored (`stored_data`, the payload's data text, never parsed on
/// the way out).
struct shown_record {
  int64_t id = 0;
  std::string as_of;
  record_state state = record_state::active;
  std::string consent_jti;  ///< set when a consent covers the record
  json::value data;         ///< masked data (no consent covers it)
  std::string stored_data;  ///< the data as stored (a consent covers it)
};

/// One item type of a section: included, with its current records as
/// released (masked unless a consent covers them), or omitted with a reason.
struct item_entry {
  const item_type *type = nullptr;  ///< the catalog's (the document lives no longer than it)
  const char *omitted = nullptr;    ///< "no_consent", "out_of_scope", "verification_only", "no_data"; null: included
  std::string as_of;
  int64_t age_days = 0;
  bool stale = false;
  std::vector<shown_record> records;
};

/// One category of the catalog, in catalog order.
struct section {
  const category *cat = nullptr;
  std::vector<item_entry> items;
  const char *status = "omitted";   ///< "included", "partial" or "omitted"
  const char *omitted = nullptr;    ///< the section's reason when it is omitted
};

/// A 24-month series.
struct series {
  const char *id, *zh, *en;
  std::vector<std::pair<std::string, json::value>> points;  ///< month, value
};

/// A credit report, typed: written once, as JSON (to_json) or as the tree
/// the HTML page is rendered from (to_value); both give the same document.
struct document {
  report::header header;
  json::value score;  ///< the score object, or null without records
  std::vector<section> sections;
  std::vector<report::series> series;
};

/// The report as JSON text (docs/report.md), written directly.
std::string to_json(const document &d);
/// The same as a JSON tree (moves the records' data out of `d`); a
/// consented record's stored data that does not parse is errc::corrupt.
result<json::value> to_value(document &&d);

/// The report document (see build below).
result<document> build_document(store &s, const catalog &cat, consent::verifier &v, const request &r);

/// A credit report (docs/report.md): a header (report id, subject, time,
/// consent jti, catalog and library versions), the score with grade and top
/// reason codes, one section per category in catalog order with the current
/// records (masked unless a consent covers them), the 24-month series of
/// social insurance and utilities, data freshness per item type, and each
/// omitted item type with its reason: no_consent, out_of_scope,
/// verification_only or no_data. A refused token is errc::consent. The
/// value is written out once by the caller: json::dump or render_html.
result<json::value> build(store &s, const catalog &cat, consent::verifier &v, const request &r);

/// The report as a self-contained HTML page in Chinese (inline CSS and SVG,
/// no script, nothing fetched).
result<std::string> render_html(const json::value &report, const catalog &cat);
/// The same from report JSON given by a caller (the C ABI).
result<std::string> render_html(std::string_view report_json, const catalog &cat);

struct claims_request {
  std::string subject, audience, purpose, token;  ///< the token must grant mode "verify"
  int64_t at = 0;
  json::value claims;  ///< [{"id"?, "item_type", "field", "op"?, "value"} | {"id"?, "item_type", "conditions": [...]}]
};

/// Data verification (数据核验): each claim about a verification item type is
/// answered "match", "no_match" or "no_data" — never with the record.
/// Values are compared after the catalog's normalisation (dates, amounts,
/// full-width and half-width characters). Operators: eq (default), ne, lt,
/// le, gt, ge (numbers and dates), contains (text). Result:
/// {"subject","jti","answers":[{"id","item_type","answer"}]}. Named apart
/// from token and audit-chain verification.
result<std::string> check_claims(store &s, const catalog &cat, consent::verifier &v, const claims_request &r);

}  // namespace xyd::report
