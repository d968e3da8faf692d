// xyd C++ API: credit reports (信用报告) and data verification (数据核验).
// docs/report.md documents the report's JSON schema and the verification
// claims. Every report and verification — and every refusal — is an entry
// of the audit log.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

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
