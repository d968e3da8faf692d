// extern "C" shims: argument checks, catch-all, status mapping. Nothing else.
// SPDX-License-Identifier: Apache-2.0
#include "xyd.h"

#include <cstdlib>
#include <sodium.h>
#include <cstring>
#include <new>
#include <memory>
#include <optional>
#include <string>

#include "xyd/audit.hpp"
#include "xyd/catalog.hpp"
#include "xyd/consent.hpp"
#include "xyd/mask.hpp"
#include "xyd/ingest.hpp"
#include "xyd/paseto.hpp"
#include "xyd/report.hpp"
#include "xyd/score.hpp"
#include "xyd/session.hpp"
#include "xyd/store.hpp"

struct xyd_store {
  std::unique_ptr<xyd::session> s;
};

struct xyd_scorecard {
  std::shared_ptr<const xyd::score::model> impl;
};

namespace {

thread_local std::string last_error = "no error";

int fail(int code, std::string message) {
  last_error = std::move(message);
  return code;
}

int fail(const xyd::status &st) { return fail(static_cast<int>(st.code()), st.message()); }

// Copies into malloc'd memory so that xyd_free (free) releases it.
char *dup(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size() + 1);
  return p;
}

template <class F>
int guarded(F &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(XYD_ENOMEM, "out of memory");
  } catch (const std::exception &e) {
    return fail(XYD_EINTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(XYD_EINTERNAL, "internal error");
  }
}

}  // namespace

extern "C" {

unsigned xyd_version_number(void) { return XYD_VERSION_NUMBER; }
const char *xyd_version_string(void) { return XYD_VERSION_STRING; }

const char *xyd_strerror(int code) {
  if (code > 0 || code < XYD_ECONSENT) return "unknown error code";
  return xyd::errc_name(static_cast<xyd::errc>(code));
}

const char *xyd_errmsg(void) { return last_error.c_str(); }

void xyd_free(void *p) { std::free(p); }

int xyd_catalog_json(char **out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_catalog_json: out is NULL");
    *out = nullptr;
    *out = dup(xyd::current_catalog()->to_json());
    return XYD_OK;
  });
}

int xyd_catalog_load_extension(const char *json) {
  return guarded([&] {
    if (!json) return fail(XYD_EINVAL, "xyd_catalog_load_extension: json is NULL");
    if (auto st = xyd::load_extension(json); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_validate_uscc(const char *code) {
  return guarded([&] {
    if (!code) return fail(XYD_EINVAL, "xyd_validate_uscc: code is NULL");
    if (auto st = xyd::check_uscc(code); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_validate_rid(const char *code) {
  return guarded([&] {
    if (!code) return fail(XYD_EINVAL, "xyd_validate_rid: code is NULL");
    if (auto st = xyd::check_rid(code); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_normalize_id(const char *text, char **out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_normalize_id: out is NULL");
    *out = nullptr;
    if (!text) return fail(XYD_EINVAL, "xyd_normalize_id: text is NULL");
    *out = dup(xyd::normalize_uscc(text));
    return XYD_OK;
  });
}

int xyd_validate_record(const char *json, char **out_problems_json) {
  return guarded([&] {
    if (!out_problems_json) return fail(XYD_EINVAL, "xyd_validate_record: out_problems_json is NULL");
    *out_problems_json = nullptr;
    if (!json) return fail(XYD_EINVAL, "xyd_validate_record: json is NULL");
    auto problems = xyd::validate_record_json(*xyd::current_catalog(), json);
    *out_problems_json = dup(xyd::problems_to_json(problems));
    if (problems.empty()) return XYD_OK;
    const auto &first = problems.front();
    const std::string summary = std::to_string(problems.size()) + " problem(s); first: " + first.path + ": " + first.message;
    return fail(first.code == "syntax" ? XYD_EPARSE : XYD_EVALIDATION, summary);
  });
}

int xyd_normalize_record(const char *json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_normalize_record: out_json is NULL");
    *out_json = nullptr;
    if (!json) return fail(XYD_EINVAL, "xyd_normalize_record: json is NULL");
    auto doc = xyd::json::parse(json);
    if (!doc) return fail(doc.error());
    *out_json = dup(xyd::json::dump(xyd::normalize_record(*xyd::current_catalog(), *doc)));
    return XYD_OK;
  });
}

int xyd_key_generate(unsigned char *out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_key_generate: out is NULL");
    const auto key = xyd::master_key::generate();
    std::memcpy(out, key.data(), xyd::master_key_bytes);
    return XYD_OK;
  });
}

int xyd_key_check(const unsigned char *key, size_t key_len) {
  return guarded([&] {
    if (!key) return fail(XYD_EINVAL, "xyd_key_check: key is NULL");
    if (key_len != XYD_KEY_BYTES) return fail(XYD_EINVAL, "xyd_key_check: the key must be 32 bytes");
    if (const char *why = xyd::master_key(key).weakness()) return fail(XYD_EKEY, std::string("weak key: ") + why);
    return XYD_OK;
  });
}

void xyd_free_secret(char *secret) {
  if (!secret) return;
  sodium_memzero(secret, std::strlen(secret));
  std::free(secret);
}

int xyd_key_file_generate(const char *path) {
  return guarded([&] {
    if (!path) return fail(XYD_EINVAL, "xyd_key_file_generate: path is NULL");
    if (auto st = xyd::master_key::generate().write_file(path); !st) return fail(st);
    return XYD_OK;
  });
}

namespace {
int open_store(const char *path, const xyd::master_key &key, unsigned flags, xyd_store **out) {
  xyd::store_options opt;
  opt.flags = 0;
  if (flags & XYD_OPEN_CREATE) opt.flags |= xyd::store_flags::create;
  if (flags & XYD_OPEN_READONLY) opt.flags |= xyd::store_flags::read_only;
  xyd::session_options so;
  so.store = opt;
  auto st = xyd::session::open(path, key, so);
  if (!st) return fail(st.error());
  auto handle = std::make_unique<xyd_store>();
  handle->s = std::move(st).value();
  *out = handle.release();
  return XYD_OK;
}

bool valid_flags(unsigned flags, unsigned known) { return (flags & ~known) == 0; }

int summary_result(const xyd::status &st, const xyd::ingest::summary &sum, char **out) {
  if (st || st.code() == xyd::errc::validation) *out = dup(sum.to_json());
  return st ? XYD_OK : fail(st);
}
}  // namespace

int xyd_store_open(const char *path, const unsigned char *key, size_t key_len, unsigned flags, xyd_store **out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_store_open: out is NULL");
    *out = nullptr;
    if (!path || !key) return fail(XYD_EINVAL, "xyd_store_open: path and key are required");
    if (key_len != XYD_KEY_BYTES) return fail(XYD_EINVAL, "xyd_store_open: the key must be 32 bytes");
    if (!valid_flags(flags, XYD_OPEN_CREATE | XYD_OPEN_READONLY)) return fail(XYD_EINVAL, "xyd_store_open: unknown flags");
    return open_store(path, xyd::master_key(key), flags, out);
  });
}

int xyd_store_open_key_file(const char *path, const char *key_file, unsigned flags, xyd_store **out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_store_open_key_file: out is NULL");
    *out = nullptr;
    if (!path || !key_file) return fail(XYD_EINVAL, "xyd_store_open_key_file: path and key_file are required");
    if (!valid_flags(flags, XYD_OPEN_CREATE | XYD_OPEN_READONLY))
      return fail(XYD_EINVAL, "xyd_store_open_key_file: unknown flags");
    auto key = xyd::master_key::from_file(key_file);
    if (!key) return fail(key.error());
    return open_store(path, *key, flags, out);
  });
}

void xyd_store_close(xyd_store *store) { delete store; }

int xyd_store_ingest(xyd_store *store, const char *data, size_t len, unsigned flags, char **out_summary_json) {
  return guarded([&] {
    if (!out_summary_json) return fail(XYD_EINVAL, "xyd_store_ingest: out_summary_json is NULL");
    *out_summary_json = nullptr;
    if (!store || (!data && len)) return fail(XYD_EINVAL, "xyd_store_ingest: store and data are required");
    if (!valid_flags(flags, XYD_INGEST_SKIP_INVALID)) return fail(XYD_EINVAL, "xyd_store_ingest: unknown flags");
    xyd::ingest::options opt;
    opt.skip_invalid = flags & XYD_INGEST_SKIP_INVALID;
    opt.source_name = "buffer";
    xyd::ingest::summary sum;
    auto st = store->s->ingest_buffer(std::string_view(data ? data : "", len), opt, sum);
    return summary_result(st, sum, out_summary_json);
  });
}

int xyd_store_ingest_file(xyd_store *store, const char *path, unsigned flags, char **out_summary_json) {
  return guarded([&] {
    if (!out_summary_json) return fail(XYD_EINVAL, "xyd_store_ingest_file: out_summary_json is NULL");
    *out_summary_json = nullptr;
    if (!store || !path) return fail(XYD_EINVAL, "xyd_store_ingest_file: store and path are required");
    if (!valid_flags(flags, XYD_INGEST_SKIP_INVALID)) return fail(XYD_EINVAL, "xyd_store_ingest_file: unknown flags");
    xyd::ingest::options opt;
    opt.skip_invalid = flags & XYD_INGEST_SKIP_INVALID;
    xyd::ingest::summary sum;
    auto st = store->s->ingest_file(path, opt, sum);
    return summary_result(st, sum, out_summary_json);
  });
}

namespace {
int put_json(char **out, const xyd::result<std::string> &r) {
  if (!r) return fail(r.error());
  *out = dup(*r);
  return XYD_OK;
}
}  // namespace

int xyd_store_records(xyd_store *store, const char *query_json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_records: out_json is NULL");
    *out_json = nullptr;
    if (!store || !query_json) return fail(XYD_EINVAL, "xyd_store_records: store and query_json are required");
    auto q = xyd::decode_records_request(query_json);
    if (!q) return fail(q.error());
    return put_json(out_json, store->s->own_records(*q));
  });
}

int xyd_store_release(xyd_store *store, const char *request_json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_release: out_json is NULL");
    *out_json = nullptr;
    if (!store || !request_json) return fail(XYD_EINVAL, "xyd_store_release: store and request_json are required");
    auto r = xyd::decode_release_request(request_json, store->s->cat());
    if (!r) return fail(r.error());
    return put_json(out_json, store->s->release(*r));
  });
}

int xyd_store_subjects(xyd_store *store, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_subjects: out_json is NULL");
    *out_json = nullptr;
    if (!store) return fail(XYD_EINVAL, "xyd_store_subjects: store is NULL");
    return put_json(out_json, store->s->subjects());
  });
}

int xyd_store_repair(xyd_store *store, const char *request_json) {
  return guarded([&] {
    if (!store || !request_json) return fail(XYD_EINVAL, "xyd_store_repair: store and request_json are required");
    auto r = xyd::decode_repair_request(request_json);
    if (!r) return fail(r.error());
    if (auto st = store->s->repair(*r); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_store_purge(xyd_store *store, const char *before, char **out_summary_json) {
  return guarded([&] {
    if (!out_summary_json) return fail(XYD_EINVAL, "xyd_store_purge: out_summary_json is NULL");
    *out_summary_json = nullptr;
    if (!store || !before) return fail(XYD_EINVAL, "xyd_store_purge: store and before are required");
    return put_json(out_summary_json, store->s->purge(before));
  });
}

int xyd_store_rekey(xyd_store *store, const unsigned char *new_key, size_t key_len) {
  return guarded([&] {
    if (!store || !new_key) return fail(XYD_EINVAL, "xyd_store_rekey: store and new_key are required");
    if (key_len != XYD_KEY_BYTES) return fail(XYD_EINVAL, "xyd_store_rekey: the key must be 32 bytes");
    if (auto st = store->s->rekey(xyd::master_key(new_key)); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_store_stats(xyd_store *store, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_stats: out_json is NULL");
    *out_json = nullptr;
    if (!store) return fail(XYD_EINVAL, "xyd_store_stats: store is NULL");
    return put_json(out_json, store->s->stats());
  });
}

int xyd_paserk_keygen(char **out_secret, char **out_public) {
  return guarded([&] {
    if (!out_secret || !out_public) return fail(XYD_EINVAL, "xyd_paserk_keygen: out_secret and out_public are required");
    *out_secret = *out_public = nullptr;
    xyd::paseto::secret_key sk;
    xyd::paseto::public_key pk;
    xyd::paseto::generate_key_pair(sk, pk);
    std::string secret = xyd::paseto::paserk_secret(sk);
    *out_secret = dup(secret);
    sodium_memzero(secret.data(), secret.size());
    *out_public = dup(xyd::paseto::paserk(pk));
    return XYD_OK;
  });
}

int xyd_paserk_local_keygen(char **out_local) {
  return guarded([&] {
    if (!out_local) return fail(XYD_EINVAL, "xyd_paserk_local_keygen: out_local is NULL");
    std::string local = xyd::paseto::paserk(xyd::paseto::generate_local_key());
    *out_local = dup(local);
    sodium_memzero(local.data(), local.size());
    return XYD_OK;
  });
}

int xyd_paserk_id(const char *paserk, char **out_id) {
  return guarded([&] {
    if (!out_id) return fail(XYD_EINVAL, "xyd_paserk_id: out_id is NULL");
    *out_id = nullptr;
    if (!paserk) return fail(XYD_EINVAL, "xyd_paserk_id: paserk is NULL");
    const std::string_view p(paserk);
    if (p.starts_with("k4.public.")) {
      auto k = xyd::paseto::parse_public(p);
      if (!k) return fail(k.error());
      *out_id = dup(xyd::paseto::pid(*k));
    } else if (p.starts_with("k4.secret.")) {
      auto k = xyd::paseto::parse_secret(p);
      if (!k) return fail(k.error());
      *out_id = dup(xyd::paseto::sid(*k));
    } else if (p.starts_with("k4.local.")) {
      auto k = xyd::paseto::parse_local(p);
      if (!k) return fail(k.error());
      *out_id = dup(xyd::paseto::lid(*k));
    } else {
      return fail(XYD_EVALIDATION, "malformed key: expected a k4.public, k4.secret or k4.local PASERK");
    }
    return XYD_OK;
  });
}

namespace {
const char *or_empty(const char *s) { return s ? s : ""; }

/// A NUL inside a text returned as a C string would cut it short: the
/// caller would read less than was signed. Refused, naming the part.
int refuse_nul(std::string_view text, const char *part) {
  const size_t at = text.find('\0');
  if (at == std::string_view::npos) return XYD_OK;
  return fail(XYD_EVALIDATION, std::string("paseto: the token's ") + part + " holds a NUL byte (at byte " +
                                   std::to_string(at) + "), which a C string cannot carry: refused");
}

int give_opened(const xyd::result<xyd::paseto::opened> &r, char **out_message, char **out_footer) {
  if (!r) return fail(r.error());
  if (int rc = refuse_nul(r->message, "message"); rc != XYD_OK) return rc;
  if (int rc = refuse_nul(r->footer, "footer"); rc != XYD_OK) return rc;
  *out_message = dup(r->message);
  if (out_footer) *out_footer = dup(r->footer);
  return XYD_OK;
}
}  // namespace

int xyd_paseto_sign(const char *secret_paserk, const char *message, const char *footer, const char *implicit,
                    char **out_token) {
  return guarded([&] {
    if (!out_token) return fail(XYD_EINVAL, "xyd_paseto_sign: out_token is NULL");
    *out_token = nullptr;
    if (!secret_paserk || !message) return fail(XYD_EINVAL, "xyd_paseto_sign: secret_paserk and message are required");
    auto sk = xyd::paseto::parse_secret(secret_paserk);
    if (!sk) return fail(sk.error());
    *out_token = dup(xyd::paseto::sign(*sk, message, or_empty(footer), or_empty(implicit)));
    return XYD_OK;
  });
}

int xyd_paseto_verify(const char *public_paserk, const char *token, const char *implicit, char **out_message,
                      char **out_footer) {
  return guarded([&] {
    if (!out_message) return fail(XYD_EINVAL, "xyd_paseto_verify: out_message is NULL");
    *out_message = nullptr;
    if (out_footer) *out_footer = nullptr;
    if (!public_paserk || !token) return fail(XYD_EINVAL, "xyd_paseto_verify: public_paserk and token are required");
    auto pk = xyd::paseto::parse_public(public_paserk);
    if (!pk) return fail(pk.error());
    return give_opened(xyd::paseto::verify(*pk, token, or_empty(implicit)), out_message, out_footer);
  });
}

int xyd_paseto_encrypt(const char *local_paserk, const char *message, const char *footer, const char *implicit,
                       char **out_token) {
  return guarded([&] {
    if (!out_token) return fail(XYD_EINVAL, "xyd_paseto_encrypt: out_token is NULL");
    *out_token = nullptr;
    if (!local_paserk || !message) return fail(XYD_EINVAL, "xyd_paseto_encrypt: local_paserk and message are required");
    auto k = xyd::paseto::parse_local(local_paserk);
    if (!k) return fail(k.error());
    *out_token = dup(xyd::paseto::encrypt(*k, message, or_empty(footer), or_empty(implicit)));
    return XYD_OK;
  });
}

int xyd_paseto_decrypt(const char *local_paserk, const char *token, const char *implicit, char **out_message,
                       char **out_footer) {
  return guarded([&] {
    if (!out_message) return fail(XYD_EINVAL, "xyd_paseto_decrypt: out_message is NULL");
    *out_message = nullptr;
    if (out_footer) *out_footer = nullptr;
    if (!local_paserk || !token) return fail(XYD_EINVAL, "xyd_paseto_decrypt: local_paserk and token are required");
    auto k = xyd::paseto::parse_local(local_paserk);
    if (!k) return fail(k.error());
    return give_opened(xyd::paseto::decrypt(*k, token, or_empty(implicit)), out_message, out_footer);
  });
}

int xyd_paseto_footer(const char *token, char **out_footer) {
  return guarded([&] {
    if (!out_footer) return fail(XYD_EINVAL, "xyd_paseto_footer: out_footer is NULL");
    *out_footer = nullptr;
    if (!token) return fail(XYD_EINVAL, "xyd_paseto_footer: token is NULL");
    auto f = xyd::paseto::footer_of(token);
    if (!f) return fail(f.error());
    if (int rc = refuse_nul(*f, "footer"); rc != XYD_OK) return rc;
    *out_footer = dup(*f);
    return XYD_OK;
  });
}

int xyd_consent_issue(const char *secret_paserk, const char *claims_json, char **out_token) {
  return guarded([&] {
    if (!out_token) return fail(XYD_EINVAL, "xyd_consent_issue: out_token is NULL");
    *out_token = nullptr;
    if (!secret_paserk || !claims_json) return fail(XYD_EINVAL, "xyd_consent_issue: secret_paserk and claims_json are required");
    auto sk = xyd::paseto::parse_secret(secret_paserk);
    if (!sk) return fail(sk.error());
    auto token = xyd::consent::issue(*sk, claims_json, *xyd::current_catalog());
    if (!token) return fail(token.error());
    *out_token = dup(*token);
    return XYD_OK;
  });
}

int xyd_consent_verify(const char *public_paserk, const char *token, char **out_claims_json) {
  return guarded([&] {
    if (!out_claims_json) return fail(XYD_EINVAL, "xyd_consent_verify: out_claims_json is NULL");
    *out_claims_json = nullptr;
    if (!public_paserk || !token) return fail(XYD_EINVAL, "xyd_consent_verify: public_paserk and token are required");
    auto pk = xyd::paseto::parse_public(public_paserk);
    if (!pk) return fail(pk.error());
    const auto d = xyd::consent::verifier::verify_with(*pk, token, 0, *xyd::current_catalog());
    if (!d.ok()) return fail(XYD_ECONSENT, std::string("consent refused: ") + xyd::consent::reason_id(d.refused) + ": " + d.detail);
    *out_claims_json = dup(d.granted->json);
    return XYD_OK;
  });
}

int xyd_store_trust_key(xyd_store *store, const char *public_paserk, const char *options_json) {
  return guarded([&] {
    if (!store || !public_paserk) return fail(XYD_EINVAL, "xyd_store_trust_key: store and public_paserk are required");
    auto r = xyd::decode_trust_options(public_paserk, options_json ? options_json : "");
    if (!r) return fail(r.error());
    auto kid = store->s->trust_key(*r);
    if (!kid) return fail(kid.error());
    return XYD_OK;
  });
}

int xyd_store_retire_key(xyd_store *store, const char *kid, const char *from) {
  return guarded([&] {
    if (!store || !kid || !from) return fail(XYD_EINVAL, "xyd_store_retire_key: store, kid and from are required");
    auto when = xyd::parse_rfc3339(from);
    if (!when) return fail(XYD_EINVAL, "xyd_store_retire_key: from must be an RFC 3339 date-time");
    if (auto st = store->s->retire_key(kid, *when); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_store_keys(xyd_store *store, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_keys: out_json is NULL");
    *out_json = nullptr;
    if (!store) return fail(XYD_EINVAL, "xyd_store_keys: store is NULL");
    return put_json(out_json, store->s->keys());
  });
}

int xyd_store_revoke(xyd_store *store, const char *request_json) {
  return guarded([&] {
    if (!store || !request_json) return fail(XYD_EINVAL, "xyd_store_revoke: store and request_json are required");
    auto r = xyd::decode_revoke_request(request_json);
    if (!r) return fail(r.error());
    if (auto st = store->s->revoke(*r); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_store_check_consent(xyd_store *store, const char *request_json, char **out_decision_json) {
  return guarded([&] {
    if (!out_decision_json) return fail(XYD_EINVAL, "xyd_store_check_consent: out_decision_json is NULL");
    *out_decision_json = nullptr;
    if (!store || !request_json) return fail(XYD_EINVAL, "xyd_store_check_consent: store and request_json are required");
    auto r = xyd::decode_consent_check(request_json);
    if (!r) return fail(r.error());
    const auto d = store->s->check_consent(*r);
    *out_decision_json = dup(d.to_json());
    if (!d.ok()) return fail(XYD_ECONSENT, std::string("consent refused: ") + xyd::consent::reason_id(d.refused) + ": " + d.detail);
    return XYD_OK;
  });
}

int xyd_mask_policy_check(const char *policy_json, char **out_json) {
  return guarded([&] {
    if (out_json) *out_json = nullptr;
    if (!policy_json) return fail(XYD_EINVAL, "xyd_mask_policy_check: policy_json is NULL");
    auto p = xyd::mask::policy::from_json(policy_json, *xyd::current_catalog());
    if (!p) return fail(p.error());
    if (out_json) *out_json = dup(p->to_json());
    return XYD_OK;
  });
}

int xyd_mask_record(const char *json, const char *audience, const char *policy_json, const unsigned char *pseudonym_key,
                    size_t key_len, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_mask_record: out_json is NULL");
    *out_json = nullptr;
    if (!json || !audience) return fail(XYD_EINVAL, "xyd_mask_record: json and audience are required");
    if (pseudonym_key && key_len != 32) return fail(XYD_EINVAL, "xyd_mask_record: the pseudonym key must be 32 bytes");
    std::optional<xyd::mask::policy> pol;
    xyd::mask::context ctx;
    if (policy_json) {
      auto p = xyd::mask::policy::from_json(policy_json, *xyd::current_catalog());
      if (!p) return fail(p.error());
      pol = std::move(*p);
      ctx.pol = &*pol;
    }
    ctx.role = audience;
    if (pseudonym_key) {
      std::array<unsigned char, 32> k;
      std::memcpy(k.data(), pseudonym_key, 32);
      ctx.pseudonym_key = k;
    }
    auto doc = xyd::json::parse(json);
    if (!doc) return fail(doc.error());
    auto cat = xyd::current_catalog();
    if (doc->is(xyd::json::kind::array)) {
      for (size_t i = 0; i < doc->items.size(); ++i)
        if (auto st = xyd::mask::mask_record(doc->items[i], *cat, ctx); !st)
          return fail(static_cast<int>(st.code()), "record " + std::to_string(i) + ": " + st.message());
    } else if (auto st = xyd::mask::mask_record(*doc, *cat, ctx); !st) {
      return fail(st);
    }
    *out_json = dup(xyd::json::dump(*doc));
    return XYD_OK;
  });
}

// ---------------------------------------------------------------- scoring

int xyd_scorecard_load(const char *text, size_t len, xyd_scorecard **out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_scorecard_load: out is NULL");
    *out = nullptr;
    if (!text) return fail(XYD_EINVAL, "xyd_scorecard_load: text is NULL");
    auto m = xyd::score::load(std::string_view(text, len));
    if (!m) return fail(m.error());
    *out = new xyd_scorecard{std::move(*m)};
    return XYD_OK;
  });
}

int xyd_scorecard_default(xyd_scorecard **out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_scorecard_default: out is NULL");
    *out = new xyd_scorecard{xyd::score::default_model()};
    return XYD_OK;
  });
}

void xyd_scorecard_free(xyd_scorecard *model) { delete model; }

int xyd_scorecard_info(const xyd_scorecard *model, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_scorecard_info: out_json is NULL");
    *out_json = nullptr;
    if (!model) return fail(XYD_EINVAL, "xyd_scorecard_info: model is NULL");
    const auto &m = *model->impl;
    using xyd::json::value;
    value v = value::object();
    v.add("id", value::of_string(m.id));
    v.add("version", value::of_string(m.version));
    v.add("model_hash", value::of_string(m.hash_hex()));
    v.add("format", value::of_string(m.source_format));
    value fields = value::array();
    static const char *kinds[] = {"number", "integer", "category", "boolean"};
    for (const auto &f : m.fields) {
      value x = value::object();
      x.add("name", value::of_string(f.name));
      x.add("type", value::of_string(kinds[static_cast<int>(f.type)]));
      fields.push(std::move(x));
    }
    v.add("fields", std::move(fields));
    v.add("characteristics", value::of_int(static_cast<int64_t>(m.characteristics.size())));
    v.add("knockouts", value::of_int(static_cast<int64_t>(m.knockouts.size())));
    value codes = value::array(), grades = value::array();
    for (const auto &c : m.reason_codes) codes.push(value::of_string(c));
    for (const auto &g : m.grades) grades.push(value::of_string(g.name));
    v.add("reason_codes", std::move(codes));
    v.add("grades", std::move(grades));
    *out_json = dup(xyd::json::dump(v));
    return XYD_OK;
  });
}

int xyd_scorecard_canonical(const xyd_scorecard *model, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_scorecard_canonical: out_json is NULL");
    *out_json = nullptr;
    if (!model) return fail(XYD_EINVAL, "xyd_scorecard_canonical: model is NULL");
    *out_json = dup(model->impl->canonical_json());
    return XYD_OK;
  });
}

int xyd_scorecard_score(const xyd_scorecard *model, const char *features_json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_scorecard_score: out_json is NULL");
    *out_json = nullptr;
    if (!model || !features_json) return fail(XYD_EINVAL, "xyd_scorecard_score: model and features_json are required");
    return put_json(out_json, xyd::score::score_json(*model->impl, features_json));
  });
}

int xyd_scorecard_sign(const xyd_scorecard *model, const char *secret_paserk, char **out_token) {
  return guarded([&] {
    if (!out_token) return fail(XYD_EINVAL, "xyd_scorecard_sign: out_token is NULL");
    *out_token = nullptr;
    if (!model || !secret_paserk) return fail(XYD_EINVAL, "xyd_scorecard_sign: model and secret_paserk are required");
    auto sk = xyd::paseto::parse_secret(secret_paserk);
    if (!sk) return fail(sk.error());
    *out_token = dup(xyd::score::sign_model(*model->impl, *sk));
    return XYD_OK;
  });
}

int xyd_score_features(const char *records_json, const char *as_of, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_score_features: out_json is NULL");
    *out_json = nullptr;
    if (!records_json) return fail(XYD_EINVAL, "xyd_score_features: records_json is NULL");
    std::optional<xyd::civil_date> ref;
    if (as_of) {
      ref = xyd::parse_date(as_of);
      if (!ref) return fail(XYD_EINVAL, "xyd_score_features: as_of must be YYYY-MM-DD");
    }
    return put_json(out_json, xyd::score::features_from_records(std::string_view(records_json), ref));
  });
}

int xyd_store_add_model(xyd_store *store, const xyd_scorecard *model, const char *signature) {
  return guarded([&] {
    if (!store || !model) return fail(XYD_EINVAL, "xyd_store_add_model: store and model are required");
    std::optional<std::string_view> sig;
    if (signature) sig = signature;
    if (auto st = store->s->add_model(*model->impl, sig); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_store_models(xyd_store *store, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_models: out_json is NULL");
    *out_json = nullptr;
    if (!store) return fail(XYD_EINVAL, "xyd_store_models: store is NULL");
    return put_json(out_json, store->s->models());
  });
}

int xyd_store_require_signed_models(xyd_store *store, int on) {
  return guarded([&] {
    if (!store) return fail(XYD_EINVAL, "xyd_store_require_signed_models: store is NULL");
    if (auto st = store->s->require_signed_models(on != 0); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_store_score(xyd_store *store, const char *request_json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_score: out_json is NULL");
    *out_json = nullptr;
    if (!store || !request_json) return fail(XYD_EINVAL, "xyd_store_score: store and request_json are required");
    auto r = xyd::decode_score_request(request_json);
    if (!r) return fail(r.error());
    return put_json(out_json, store->s->score(*r));
  });
}

int xyd_store_scores(xyd_store *store, const char *subject, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_scores: out_json is NULL");
    *out_json = nullptr;
    if (!store || !subject) return fail(XYD_EINVAL, "xyd_store_scores: store and subject are required");
    return put_json(out_json, store->s->scores(subject));
  });
}

// ---------------------------------------------------------------- audit

int xyd_store_set_actor(xyd_store *store, const char *actor) {
  return guarded([&] {
    if (!store || !actor) return fail(XYD_EINVAL, "xyd_store_set_actor: store and actor are required");
    store->s->set_actor(actor);
    return XYD_OK;
  });
}

int xyd_store_audit_verify(xyd_store *store, const char *public_paserk, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_audit_verify: out_json is NULL");
    *out_json = nullptr;
    if (!store) return fail(XYD_EINVAL, "xyd_store_audit_verify: store is NULL");
    std::vector<xyd::paseto::public_key> keys;
    if (public_paserk) {
      auto pk = xyd::paseto::parse_public(public_paserk);
      if (!pk) return fail(pk.error());
      keys.push_back(*pk);
    }
    auto v = store->s->audit_verify(keys);
    if (!v) return fail(v.error());
    *out_json = dup(v->to_json());
    if (!v->ok) return fail(XYD_ECORRUPT, "audit log broken at entry " + std::to_string(v->first_bad) + ": " + v->problem);
    return XYD_OK;
  });
}

int xyd_store_audit_verify_request(xyd_store *store, const char *request_json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_audit_verify_request: out_json is NULL");
    *out_json = nullptr;
    if (!store || !request_json)
      return fail(XYD_EINVAL, "xyd_store_audit_verify_request: store and request_json are required");
    auto o = xyd::decode_audit_verify_request(request_json);
    if (!o) return fail(o.error());
    auto v = store->s->audit_verify(*o);
    if (!v) return fail(v.error());
    *out_json = dup(v->to_json());
    if (!v->ok) return fail(XYD_ECORRUPT, "audit log broken at entry " + std::to_string(v->first_bad) + ": " + v->problem);
    return XYD_OK;
  });
}

int xyd_store_set_audit_signer(xyd_store *store, const char *secret_paserk, long long every) {
  return guarded([&] {
    if (!store) return fail(XYD_EINVAL, "xyd_store_set_audit_signer: store is NULL");
    if (every < 0) return fail(XYD_EINVAL, "xyd_store_set_audit_signer: every must be 0 (the default) or more");
    if (!secret_paserk) {
      store->s->audit_auto_checkpoint({}, 0);
      return XYD_OK;
    }
    auto sk = xyd::paseto::parse_secret(secret_paserk);
    if (!sk) return fail(sk.error());
    store->s->audit_auto_checkpoint(*sk, every ? every : xyd::audit::default_checkpoint_every);
    return XYD_OK;
  });
}

int xyd_store_audit_checkpoint(xyd_store *store, const char *secret_paserk, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_audit_checkpoint: out_json is NULL");
    *out_json = nullptr;
    if (!store || !secret_paserk) return fail(XYD_EINVAL, "xyd_store_audit_checkpoint: store and secret_paserk are required");
    auto sk = xyd::paseto::parse_secret(secret_paserk);
    if (!sk) return fail(sk.error());
    return put_json(out_json, store->s->audit_checkpoint(*sk));
  });
}

int xyd_store_audit_export(xyd_store *store, char **out_jsonl) {
  return guarded([&] {
    if (!out_jsonl) return fail(XYD_EINVAL, "xyd_store_audit_export: out_jsonl is NULL");
    *out_jsonl = nullptr;
    if (!store) return fail(XYD_EINVAL, "xyd_store_audit_export: store is NULL");
    std::string all;
    if (auto st = store->s->audit_export([&](const std::string &l) { all += l + "\n"; }); !st) return fail(st);
    *out_jsonl = dup(all);
    return XYD_OK;
  });
}

int xyd_store_audit_stats(xyd_store *store, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_audit_stats: out_json is NULL");
    *out_json = nullptr;
    if (!store) return fail(XYD_EINVAL, "xyd_store_audit_stats: store is NULL");
    return put_json(out_json, store->s->audit_stats());
  });
}

// ---------------------------------------------------------------- reports

int xyd_store_report(xyd_store *store, const char *request_json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_report: out_json is NULL");
    *out_json = nullptr;
    if (!store || !request_json) return fail(XYD_EINVAL, "xyd_store_report: store and request_json are required");
    auto r = xyd::decode_report_request(request_json, store->s->cat());
    if (!r) return fail(r.error());
    return put_json(out_json, store->s->report(*r));
  });
}

int xyd_report_html(const char *report_json, char **out_html) {
  return guarded([&] {
    if (!out_html) return fail(XYD_EINVAL, "xyd_report_html: out_html is NULL");
    *out_html = nullptr;
    if (!report_json) return fail(XYD_EINVAL, "xyd_report_html: report_json is NULL");
    return put_json(out_html, xyd::report::render_html(std::string_view(report_json), *xyd::current_catalog()));
  });
}

int xyd_store_check_claims(xyd_store *store, const char *request_json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_store_check_claims: out_json is NULL");
    *out_json = nullptr;
    if (!store || !request_json) return fail(XYD_EINVAL, "xyd_store_check_claims: store and request_json are required");
    auto r = xyd::decode_claims_check_request(request_json);
    if (!r) return fail(r.error());
    return put_json(out_json, store->s->check_claims(*r));
  });
}

}  // extern "C"
