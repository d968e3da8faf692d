// xyd C++ API: consent tokens (PASETO v4.public) and their enforcement.
// docs/consent.md documents the claims, the checks and their order.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "xyd/catalog.hpp"
#include "xyd/mask.hpp"
#include "xyd/paseto.hpp"
#include "xyd/store.hpp"

namespace xyd::consent {

/// The purposes of 国办发〔2024〕15号: 客户筛选, 贷前调查, 贷中审批, 贷后管理.
/// Other snake_case ids are allowed (extensible).
inline constexpr const char *standard_purposes[] = {"screening", "pre_loan", "approval", "post_loan"};

struct claims {
  std::string iss, sub, aud, jti, mode;  ///< mode: "view" or "verify"
  int64_t iat = 0, nbf = 0, exp = 0;     ///< Unix seconds
  std::set<std::string> item_types;      ///< the scope, categories expanded
  std::set<std::string> purposes;
  std::optional<int64_t> data_life_days;
  std::string json;                      ///< the claims as signed
};

/// Reads and checks claims JSON against the schema (docs/consent.md). The
/// scope names item types, categories (number or id) of `cat`.
result<claims> parse_claims(std::string_view json, const catalog &cat);

/// Signs claims (iat, nbf and jti filled in when absent) as a v4.public
/// token whose footer is {"kid": k4.pid of the key}.
result<std::string> issue(const paseto::secret_key &sk, std::string_view claims_json, const catalog &cat);

/// Why a consent was refused; the ids are stable (docs/consent.md).
enum class reason {
  none, malformed, unknown_key, retired_key, bad_signature, not_yet_valid, expired, wrong_audience, wrong_subject,
  purpose_not_allowed, out_of_scope, revoked
};
const char *reason_id(reason r) noexcept;

struct decision {
  reason refused = reason::none;
  std::string detail;                 ///< for people; never the token or a key
  std::shared_ptr<const claims> granted;  ///< the claims, when granted
  bool ok() const noexcept { return refused == reason::none; }
  /// {"granted":true,"jti","sub","aud","purpose","mode","exp","scope":[…],"data_life_days"?}
  /// or {"granted":false,"reason","detail"}
  std::string to_json() const;
};

struct request {
  std::string token, subject, audience, purpose;
  int64_t at = 0;  ///< Unix seconds; 0: now
};

/// Checks tokens against a store's keyring and revocations. Keeps a bounded
/// cache of verified tokens keyed by the token's hash, so that re-checking a
/// token skips the signature but still honours its time window, the request
/// and revocation. Thread-safe.
class verifier {
 public:
  explicit verifier(store &s, size_t cache_entries = 4096);
  /// Verifies signature and claims against the request (no scope check:
  /// see allows()).
  decision check(const request &r);
  /// Verification alone, with a given public key (no store): for
  /// `xyd consent verify`.
  /// The scope is read against `cat`.
  static decision verify_with(const paseto::public_key &pk, std::string_view token, int64_t at, const catalog &cat);
  /// Drops cached tokens. check() does it by itself when the store's
  /// keyring_generation() moves (a key trusted or retired by anyone).
  void forget();

 private:
  struct entry {
    std::string token;  ///< compared in full on a hit: the hash only finds it
    std::shared_ptr<const claims> c;
    std::optional<int64_t> key_retired_from;
    store::revocation_ids revocation;
  };
  store &store_;
  size_t capacity_;
  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<const entry>> cache_;
  unsigned char hash_key_[16];  ///< SipHash key, random per verifier
  uint64_t generation_ = 0;     ///< the store's keyring generation the cache holds
  decision judge(const entry &e, const request &r, int64_t at);
};

/// Whether `type` may be released raw under `d` (granted) or without consent
/// (d not granted): channels needing no consent always; national_api when the
/// scope covers it; verification never (match / no match only).
bool releasable(const item_type &type, const decision *granted);

/// A subject's current records (store::read), keeping only what may be
/// released: without a granted consent, the channels that need none; with
/// one, also the national_api item types of its scope. Verification data is
/// never released raw. Records a consent covers are released as they are
/// and carry their consent_jti; every other record is masked by `masking`
/// (policy and role; docs/masking.md). Repair notes are never released. The
/// release is logged with its data life. Asking for one item type that may
/// not be released is errc::consent, "out_of_scope". The building block of
/// serve() and of reports: it writes no audit entry itself.
result<std::vector<stored_record>> release(store &s, const catalog &cat, const record_query &q, const decision *granted,
                                          int64_t at = 0, const mask::context &masking = {},
                                          std::vector<std::string> *released_types = nullptr,
                                          std::optional<store::release_log> *log = nullptr);

/// The same on records already read: `records` keeps the released ones.
/// Under a granted consent `log` receives the release for the releases
/// table, which the caller writes with its audit entry (store::audit(e,
/// log)) in one transaction; without `log`, it is written here.
status release_records(store &s, const catalog &cat, std::vector<stored_record> &records, const decision *granted,
                       int64_t at, const mask::context &masking, std::vector<std::string> *released_types = nullptr,
                       std::optional<store::release_log> *log = nullptr);

/// A bank's request for a subject's records.
struct release_request {
  record_query query;
  std::string audience, purpose, token;  ///< token empty: no consent
  int64_t at = 0;                        ///< Unix seconds; 0: now
  mask::context masking;  ///< policy and role
};

/// The whole release as a bank makes it: the token (when given) checked
/// with `v` for this subject, audience and purpose, then release(); the
/// release — or the refusal, with its reason — is appended to the audit log
/// (action "release"). A refused token is errc::consent, "consent refused:
/// <reason>: <detail>".
result<std::vector<stored_record>> serve(store &s, const catalog &cat, verifier &v, const release_request &r);

}  // namespace xyd::consent
