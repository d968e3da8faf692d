// xyd C++ API: the session — one door behind every front door.
//
// A session owns a store, its consent verifier (and the verifier's cache),
// the catalog in force for it (national plus the extensions loaded when it
// was opened: no implicit process-wide catalog below this layer), the clock
// and the masking policies, and holds every composed operation once: the
// institution's own view of records, a release to a bank, purge (records and
// expired releases), trust / retire / revoke (the verifier's cache follows the
// keyring by itself), rekey, reports, data verification, scoring, models and the audit
// log. The C ABI (capi/), the CLI (tools/) and so Python call these and only
// these; what one door does, every door does.
//
// Requests are typed structs. decode_*() read them from the JSON the C ABI
// takes, in one place (lib/session/requests.cpp), with JSON-path errors
// ("release request: $.history: must be true or false"). Answers are JSON
// text written once, here, so every door gives the same bytes.
//
// Words (docs/design.md, "One meaning per word"): the audience is the
// institution a release or report is for (a consent's "aud"); the role is
// the masking view (loan_officer, external, regulator); the token is the
// subject's consent token; data verification (数据核验) is check_claims,
// never "verify", which is for tokens and the audit chain.
//
// Thread safety: a session may be used from several threads; the store
// serialises its calls, the verifier is thread-safe.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xyd/audit.hpp"
#include "xyd/catalog.hpp"
#include "xyd/consent.hpp"
#include "xyd/ingest.hpp"
#include "xyd/mask.hpp"
#include "xyd/paseto.hpp"
#include "xyd/record.hpp"
#include "xyd/report.hpp"
#include "xyd/score.hpp"
#include "xyd/store.hpp"

namespace xyd {

struct session_options {
  store_options store;
  /// The catalog for this session (session::open gives it to the store);
  /// empty: the catalog in force when opened. A session over a store opened
  /// already uses the store's catalog.
  std::shared_ptr<const catalog> cat;
  /// Unix seconds; empty: now_unix().
  std::function<int64_t()> clock;
};

// ---------------------------------------------------------------- requests

/// A release to a bank: the subject's records the audience may see, under
/// the token when one is given, masked for the role unless a consent covers
/// them.
struct release_request {
  record_query query;                 ///< subject, item type, category, history
  std::string audience, purpose;      ///< the institution; the purpose of 15号
  std::string token;                  ///< the consent token; empty: no consent
  std::string role = "external";      ///< the masking view
  std::optional<mask::policy> policy; ///< empty: the built-in policy
  int64_t at = 0;                     ///< Unix seconds; 0: the session's clock
};

struct trust_request {
  std::string public_paserk;            ///< k4.public
  std::string issuer;
  std::string use = "consent";          ///< consent | model | audit
  std::optional<int64_t> retired_from;  ///< Unix seconds
};

struct revoke_request {
  std::string jti;                ///< one consent, or
  std::string subject, audience;  ///< every consent of a subject to an audience
  int64_t at = 0;                 ///< revoked from; 0: the session's clock
};

struct report_request {
  std::string subject, audience, purpose;
  std::string token;                  ///< empty: the consent-gated sections are omitted, with their reason
  std::string role = "external";
  std::optional<mask::policy> policy;
  std::string model = "xyd-public-2024";
  int64_t at = 0;
};

/// Data verification (数据核验): claims about a subject's verification data.
using claims_check_request = report::claims_request;

struct score_request {
  std::string subject;  ///< one subject, or
  bool all = false;     ///< every subject of the store
  score::batch_options options;
};

/// Decoders: the JSON objects the C ABI takes (docs/c-api.md), read once.
/// Errors are errc::invalid_arg naming the request and the JSON path.
result<record_query> decode_records_request(std::string_view json);
/// The records query with a bank's audience, purpose, token, role, policy.
result<release_request> decode_release_request(std::string_view json, const catalog &cat);
result<repair_request> decode_repair_request(std::string_view json);
result<trust_request> decode_trust_options(std::string_view public_paserk, std::string_view options_json);
result<revoke_request> decode_revoke_request(std::string_view json);
result<consent::request> decode_consent_check(std::string_view json);
result<report_request> decode_report_request(std::string_view json, const catalog &cat);
result<claims_check_request> decode_claims_check_request(std::string_view json);
result<score_request> decode_score_request(std::string_view json);
/// {"public": PASERK or [PASERK…], "anchors": [token…], "require_anchored": bool}
result<audit::verify_options> decode_audit_verify_request(std::string_view json);

// ---------------------------------------------------------------- the session

class session {
 public:
  /// Opens the store at `path` and a session over it.
  static result<std::unique_ptr<session>> open(const std::string &path, const master_key &key,
                                               const session_options &options = {});
  explicit session(std::unique_ptr<store> s, const session_options &options = {});
  ~session();
  session(const session &) = delete;
  session &operator=(const session &) = delete;

  store &db() noexcept { return *store_; }
  const catalog &cat() const noexcept { return *cat_; }
  consent::verifier &verifier() noexcept { return *verifier_; }
  /// The session's clock (Unix seconds).
  int64_t now() const;
  /// Who the audit entries name as actor.
  void set_actor(std::string actor);

  // ---- records
  status ingest(std::istream &in, const ingest::options &opt, ingest::summary &out);
  status ingest_buffer(std::string_view buffer, const ingest::options &opt, ingest::summary &out);
  status ingest_file(const std::string &path, const ingest::options &opt, ingest::summary &out);
  /// The institution's own view (unmasked; repair notes included): JSON
  /// array, written directly from the decrypted payloads (a hot path).
  result<std::string> own_records(const record_query &q);
  /// A release to a bank (docs/consent.md): JSON array of released records.
  /// A refused token is errc::consent, "consent refused: <reason>: <detail>".
  /// Logged (action release) either way.
  result<std::string> release(const release_request &r);
  result<std::string> subjects();
  status repair(const repair_request &r);
  /// Deletes records older than `before` (YYYY-MM-DD) and the logged
  /// releases whose data life has passed; a JSON summary.
  result<std::string> purge(std::string_view before);
  status rekey(const master_key &new_key);
  result<std::string> stats();

  // ---- consent
  /// Trusts a key; returns its kid. (The verifier notices keyring changes.)
  result<std::string> trust_key(const trust_request &r);
  /// A trusted key is used for nothing from `from` on, cached tokens included.
  status retire_key(std::string_view kid, int64_t from);
  result<std::string> keys();
  status revoke(const revoke_request &r);
  /// Checks a token for a subject, audience and purpose (no release).
  consent::decision check_consent(const consent::request &r);

  // ---- reports and data verification
  result<std::string> report(const report_request &r);
  /// The same report as a self-contained HTML page (from the same value:
  /// nothing is parsed again).
  result<std::string> report_html(const report_request &r, std::string *json_out = nullptr);
  /// Data verification (数据核验): match / no_match / no_data per claim.
  result<std::string> check_claims(const claims_check_request &r);

  // ---- scoring
  status add_model(const score::model &m, std::optional<std::string_view> signature = {});
  result<std::string> models();
  status require_signed_models(bool on);
  /// One subject: its result JSON. All: {"summary":…,"results":[…]}, and
  /// each result line to `each` (in subject order) when given.
  result<std::string> score(const score_request &r, const std::function<void(const std::string &)> &each = {});
  result<std::string> features(std::string_view subject, std::optional<civil_date> as_of = {});
  result<std::string> scores(std::string_view subject);

  // ---- the audit log
  /// The verdict; a broken chain is a verdict with ok false (not an error).
  result<audit::verdict> audit_verify(const std::vector<paseto::public_key> &keys = {});
  result<audit::verdict> audit_verify(const audit::verify_options &o);
  /// {"seq","hash","token"}: the token is the anchor to file elsewhere.
  result<std::string> audit_checkpoint(const paseto::secret_key &sk);
  /// Signs a checkpoint automatically every `every` entries (0: stops).
  void audit_auto_checkpoint(const paseto::secret_key &sk, int64_t every = audit::default_checkpoint_every);
  status audit_export(const std::function<void(const std::string &line)> &each);
  result<std::string> audit_stats();

 private:
  std::unique_ptr<store> store_;
  std::shared_ptr<const catalog> cat_;
  std::unique_ptr<consent::verifier> verifier_;
  std::function<int64_t()> clock_;
  // Looked up once per session: scorecards by reference (emptied when this
  // session adds a model or changes the signing rule), the pseudonym key.
  std::mutex cache_mu_;
  std::map<std::string, std::shared_ptr<const score::model>, std::less<>> models_;
  uint64_t models_generation_ = 0;  ///< the store's keyring generation models_ holds
  std::optional<std::array<unsigned char, 32>> pseudonym_key_;
  result<std::shared_ptr<const score::model>> model(std::string_view ref);
  mask::context masking(const std::optional<mask::policy> &policy, const std::string &role);
  result<report::document> build_report(const report_request &r);
  void forget_models();
};

}  // namespace xyd
