// Consent tokens: claims, issuing, checking with a store's keyring and
// revocations, and which item types a consent releases.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/consent.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace xyd::consent {

const char *reason_id(reason r) noexcept {
  switch (r) {
    case reason::none: return "none";
    case reason::malformed: return "malformed";
    case reason::unknown_key: return "unknown_key";
    case reason::retired_key: return "retired_key";
    case reason::bad_signature: return "bad_signature";
    case reason::not_yet_valid: return "not_yet_valid";
    case reason::expired: return "expired";
    case reason::wrong_audience: return "wrong_audience";
    case reason::wrong_subject: return "wrong_subject";
    case reason::purpose_not_allowed: return "purpose_not_allowed";
    case reason::out_of_scope: return "out_of_scope";
    case reason::revoked: return "revoked";
  }
  return "?";
}

namespace {

bool is_snake(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

status bad(const std::string &what) { return {errc::validation, "malformed claims: " + what}; }

result<int64_t> time_claim(const json::value &doc, const char *name, bool required, int64_t fallback) {
  const json::value *v = doc.find(name);
  if (!v) {
    if (required) return bad(std::string("\"") + name + "\" is required");
    return fallback;
  }
  if (!v->is(json::kind::string)) return bad(std::string("\"") + name + "\" must be an RFC 3339 date-time string");
  auto t = parse_rfc3339(v->text);
  if (!t) return bad(std::string("\"") + name + "\" must be an RFC 3339 date-time");
  return *t;
}

std::string random_jti() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  return paseto::base64url(std::string_view(reinterpret_cast<const char *>(b), sizeof b));
}

}  // namespace

result<claims> parse_claims(std::string_view text, const catalog &cat) {
  auto doc = json::parse(text);
  if (!doc) return bad(doc.error().message());
  if (!doc->is(json::kind::object)) return bad("not a JSON object");
  if (auto twice = json::duplicate_key(*doc)) return bad("duplicate member \"" + *twice + "\" (one token, two meanings)");
  claims c;
  c.json = std::string(text);
  for (const char *k : {"iss", "sub", "aud", "jti"}) {
    const json::value *v = doc->find(k);
    if (!v || !v->is(json::kind::string) || v->text.empty()) return bad(std::string("\"") + k + "\" must be a non-empty string");
    (k[0] == 'i' ? c.iss : k[0] == 's' ? c.sub : k[0] == 'a' ? c.aud : c.jti) = v->text;
  }
  if (!check_uscc(c.sub) && !check_rid(c.sub)) return bad("\"sub\" is neither a valid USCC nor a valid resident id number");
  // iat and nbf default to each other; a token with neither is valid from
  // the epoch and counts as issued then (so a revocation of its subject and
  // audience covers it).
  auto iat = time_claim(*doc, "iat", false, 0);
  if (!iat) return iat.error();
  auto nbf = time_claim(*doc, "nbf", false, *iat);
  if (!nbf) return nbf.error();
  c.nbf = *nbf;
  c.iat = doc->find("iat") ? *iat : c.nbf;
  auto exp = time_claim(*doc, "exp", true, 0);
  if (!exp) return exp.error();
  c.exp = *exp;
  if (c.exp <= c.nbf) return bad("\"exp\" must be after \"nbf\"");

  const json::value *scope = doc->find("scope");
  json::value single = json::value::array();
  if (scope && (scope->is(json::kind::string) || scope->is(json::kind::number))) {
    single.push(*scope);  // one entry given without an array
    scope = &single;
  }
  if (!scope || !scope->is(json::kind::array) || scope->items.empty())
    return bad("\"scope\" must be a non-empty array of item type ids and category numbers or ids");
  for (const auto &s : scope->items) {
    int category = 0;
    if (s.is(json::kind::number)) {
      auto n = parse_decimal(s.text, 0);
      if (!n || !cat.find_category(static_cast<int>(n->units))) return bad("\"scope\" names an unknown category");
      category = static_cast<int>(n->units);
    } else if (s.is(json::kind::string)) {
      if (const item_type *t = cat.find(s.text)) {
        c.item_types.insert(t->id);
        continue;
      }
      for (const auto &cc : cat.categories())
        if (cc.id == s.text) category = cc.number;
      if (!category) return bad("\"scope\" names an unknown item type or category \"" + s.text + "\"");
    } else {
      return bad("\"scope\" entries must be strings or numbers");
    }
    for (const auto &t : cat.item_types())
      if (t.category == category) c.item_types.insert(t.id);
  }

  const json::value *purpose = doc->find("purpose");
  if (!purpose) return bad("\"purpose\" is required");
  if (purpose->is(json::kind::string)) {
    c.purposes.insert(purpose->text);
  } else if (purpose->is(json::kind::array) && !purpose->items.empty()) {
    for (const auto &p : purpose->items) {
      if (!p.is(json::kind::string)) return bad("\"purpose\" entries must be strings");
      c.purposes.insert(p.text);
    }
  } else {
    return bad("\"purpose\" must be a string or a non-empty array of strings");
  }
  for (const auto &p : c.purposes)
    if (!is_snake(p)) return bad("purposes are snake_case ids (screening, pre_loan, approval, post_loan, …)");

  c.mode = "view";
  if (const json::value *m = doc->find("mode")) {
    if (!m->is(json::kind::string) || (m->text != "view" && m->text != "verify"))
      return bad("\"mode\" must be \"view\" or \"verify\"");
    c.mode = m->text;
  }
  if (const json::value *dl = doc->find("data_life")) {
    // An ISO 8601 duration of years, months, weeks or days ("P90D", "P6M",
    // "P1Y": a month counts 30 days, a year 365), or a number of days.
    std::string_view t = dl->text;
    int64_t per = 1;
    if (dl->is(json::kind::string) && t.size() > 2 && t.front() == 'P') {
      const char unit = t.back();
      per = unit == 'D' ? 1 : unit == 'W' ? 7 : unit == 'M' ? 30 : unit == 'Y' ? 365 : 0;
      if (!per) return bad("\"data_life\" must be an ISO 8601 duration like \"P90D\", \"P6M\" or \"P1Y\"");
      t = t.substr(1, t.size() - 2);
    } else if (!dl->is(json::kind::number)) {
      return bad("\"data_life\" must be an ISO 8601 duration (\"P90D\") or a number of days");
    }
    auto n = parse_decimal(t, 0);
    if (!n || n->units < 0 || n->units * per > 36500) return bad("\"data_life\" must be 0 to 36500 days");
    c.data_life_days = n->units * per;
  }
  return c;
}

result<std::string> issue(const paseto::secret_key &sk, std::string_view claims_json, const catalog &cat) {
  auto doc = json::parse(claims_json);
  if (!doc) return bad(doc.error().message());
  if (!doc->is(json::kind::object)) return bad("not a JSON object");
  const int64_t now = now_unix();
  if (!doc->find("iat")) doc->add("iat", json::value::of_string(format_rfc3339(now)));
  if (!doc->find("nbf")) doc->add("nbf", json::value::of_string(doc->find("iat")->text));
  if (!doc->find("jti")) doc->add("jti", json::value::of_string(random_jti()));
  const std::string message = json::dump(*doc);
  auto c = parse_claims(message, cat);
  if (!c) return c.error();
  std::string footer = "{\"kid\":";
  json::append_quoted(footer, paseto::pid(paseto::public_key_of(sk)));
  footer += '}';
  return paseto::sign(sk, message, footer);
}

// ---------------------------------------------------------------- checking

namespace {
decision refuse(reason r, std::string detail) {
  decision d;
  d.refused = r;
  d.detail = std::move(detail);
  return d;
}

// Opens a token with a public key: signature, then claims.
decision open_with(const paseto::public_key &pk, std::string_view token, const catalog &cat, claims &out) {
  auto opened = paseto::verify(pk, token);
  if (!opened) {
    const std::string m = opened.error().message();
    return refuse(m.rfind("bad signature", 0) == 0 ? reason::bad_signature : reason::malformed, m);
  }
  auto c = parse_claims(opened->message, cat);
  if (!c) return refuse(reason::malformed, c.error().message());
  out = std::move(*c);
  return decision{};
}

decision time_window(const claims &c, int64_t at) {
  if (at < c.nbf) return refuse(reason::not_yet_valid, "valid from " + format_rfc3339(c.nbf));
  if (at >= c.exp) return refuse(reason::expired, "expired at " + format_rfc3339(c.exp));
  return decision{};
}
}  // namespace

decision verifier::verify_with(const paseto::public_key &pk, std::string_view token, int64_t at, const catalog &cat) {
  auto c = std::make_shared<claims>();
  decision d = open_with(pk, token, cat, *c);
  if (!d.ok()) return d;
  d = time_window(*c, at ? at : now_unix());
  if (!d.ok()) return d;
  d.granted = std::move(c);
  return d;
}

decision verifier::judge(const entry &e, const request &r, int64_t at) {
  const claims &c = *e.c;
  if (e.key_retired_from && at >= *e.key_retired_from)
    return refuse(reason::retired_key, "the signing key is retired from " + format_rfc3339(*e.key_retired_from));
  if (decision d = time_window(c, at); !d.ok()) return d;
  if (c.aud != r.audience) return refuse(reason::wrong_audience, "the consent was given to another institution");
  if (c.sub != r.subject) return refuse(reason::wrong_subject, "the consent is about another subject");
  if (!c.purposes.count(r.purpose)) return refuse(reason::purpose_not_allowed, "purpose \"" + r.purpose + "\" is not allowed");
  auto revoked = store_.is_revoked(e.revocation, c.iat);
  if (!revoked) return refuse(reason::malformed, revoked.error().message());
  if (*revoked) return refuse(reason::revoked, "the consent was revoked");
  decision d;
  d.granted = e.c;
  return d;
}

verifier::verifier(store &s, size_t cache_entries) : store_(s), capacity_(cache_entries) {
  crypto_shorthash_keygen(hash_key_);
}

decision verifier::check(const request &r) {
  const int64_t at = r.at ? r.at : now_unix();
  // SipHash with a secret key finds the entry; the token itself is compared,
  // so a collision can only miss, never accept another token.
  unsigned char h[crypto_shorthash_BYTES];
  crypto_shorthash(h, reinterpret_cast<const unsigned char *>(r.token.data()), r.token.size(), hash_key_);
  uint64_t key;
  std::memcpy(&key, h, sizeof key);
  std::shared_ptr<const entry> hit;
  const uint64_t generation = store_.keyring_generation();
  {
    std::lock_guard lock(mu_);
    if (generation != generation_) {  // the keyring changed: what the cache knows of keys is stale
      cache_.clear();
      generation_ = generation;
    }
    if (auto it = cache_.find(key); it != cache_.end() && it->second->token == r.token) hit = it->second;
  }
  if (hit) return judge(*hit, r, at);

  auto footer = paseto::footer_of(r.token);
  if (!footer) return refuse(reason::malformed, footer.error().message());
  auto f = json::parse(*footer);
  if (f)
    if (auto twice = json::duplicate_key(*f))
      return refuse(reason::malformed, "the footer has a duplicate member \"" + *twice + "\"");
  const json::value *kid = f && f->is(json::kind::object) ? f->find("kid") : nullptr;
  if (!kid || !kid->is(json::kind::string)) return refuse(reason::malformed, "the footer names no key (kid)");
  auto found = store_.find_key(kid->text);
  if (!found) return refuse(reason::malformed, found.error().message());
  if (!*found) return refuse(reason::unknown_key, "the signing key is not trusted by this store");
  if ((*found)->use != "consent") return refuse(reason::unknown_key, "the signing key is trusted for models, not consents");
  auto pk = paseto::parse_public((*found)->public_paserk);
  if (!pk) return refuse(reason::unknown_key, "the trusted key is unusable");
  auto e = std::make_shared<entry>();
  e->token = r.token;
  e->key_retired_from = (*found)->retired_from;
  auto c = std::make_shared<claims>();
  if (decision d = open_with(*pk, r.token, store_.cat(), *c); !d.ok()) return d;
  e->revocation = store_.revocation_ids_for(c->jti, c->sub, c->aud);
  e->c = std::move(c);
  {
    std::lock_guard lock(mu_);
    // Kept only if the keyring did not change while the key was read: an
    // entry made from a key since retired must not outlive the clear.
    if (generation_ == generation && store_.keyring_generation() == generation) {
      if (cache_.size() >= capacity_) cache_.clear();  // bounded; a full cache starts again
      cache_[key] = e;
    }
  }
  return judge(*e, r, at);
}

void verifier::forget() {
  std::lock_guard lock(mu_);
  cache_.clear();
}

std::string decision::to_json() const {
  std::string s;
  if (!ok()) {
    s = "{\"granted\":false,\"reason\":\"";
    s += reason_id(refused);
    s += "\",\"detail\":";
    json::append_quoted(s, detail);
    return s + "}";
  }
  const claims &c = *granted;
  s = "{\"granted\":true,\"jti\":";
  json::append_quoted(s, c.jti);
  s += ",\"sub\":";
  json::append_quoted(s, c.sub);
  s += ",\"aud\":";
  json::append_quoted(s, c.aud);
  s += ",\"iss\":";
  json::append_quoted(s, c.iss);
  s += ",\"mode\":";
  json::append_quoted(s, c.mode);
  s += ",\"nbf\":\"" + format_rfc3339(c.nbf) + "\",\"exp\":\"" + format_rfc3339(c.exp) + "\",\"purpose\":[";
  bool first = true;
  for (const auto &p : c.purposes) {
    if (!first) s += ',';
    first = false;
    json::append_quoted(s, p);
  }
  s += "],\"scope\":[";
  first = true;
  for (const auto &t : c.item_types) {
    if (!first) s += ',';
    first = false;
    json::append_quoted(s, t);
  }
  s += ']';
  if (c.data_life_days) s += ",\"data_life_days\":" + std::to_string(*c.data_life_days);
  return s + "}";
}

bool releasable(const item_type &type, const decision *granted) {
  switch (type.chan) {
    case channel::national_physical:
    case channel::local_physical: return true;
    case channel::verification: return false;
    case channel::national_api:
      return granted && granted->ok() && granted->granted->mode == "view" && granted->granted->item_types.count(type.id);
  }
  return false;
}

result<std::vector<stored_record>> release(store &s, const catalog &cat, const record_query &query, const decision *granted,
                                          int64_t at, const mask::context &masking, std::vector<std::string> *released_types,
                                          std::optional<store::release_log> *log) {
  record_query q = query;
  q.audit = false;  // the caller logs the release itself
  if (granted && !granted->ok()) granted = nullptr;
  if (!q.item_type.empty()) {
    const item_type *t = cat.find(q.item_type);
    if (!t) return status(errc::not_found, "unknown item type " + q.item_type);
    if (!releasable(*t, granted))
      return status(errc::consent, std::string("consent refused: out_of_scope: ") + q.item_type +
                                       (t->chan == channel::verification ? " is answered by data verification only"
                                                                         : " is not covered by a consent for this request"));
  }
  auto records = s.read(q);
  if (!records) return records.error();
  if (auto st = release_records(s, cat, *records, granted, at, masking, released_types, log); !st) return st;
  return std::move(*records);
}

status release_records(store &s, const catalog &cat, std::vector<stored_record> &records, const decision *granted,
                       int64_t at, const mask::context &masking, std::vector<std::string> *released_types,
                       std::optional<store::release_log> *log) {
  if (granted && !granted->ok()) granted = nullptr;
  mask::context ctx = masking;
  size_t kept = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    stored_record &r = records[i];
    const item_type *t = cat.find(r.type);
    if (!t || !releasable(*t, granted)) continue;
    if (granted && t->consent_required()) {
      r.consent_jti = granted->granted->jti;  // covered: as it is
    } else {
      if (!ctx.pseudonym_key) {
        auto key = s.pseudonym_key();
        if (key) ctx.pseudonym_key = *key;
      }
      if (auto st = mask::mask_record(r, cat, ctx); !st) return st;
    }
    r.repair.reset();  // repair notes name operators and reasons: never released
    if (released_types && (released_types->empty() || released_types->back() != t->id)) released_types->push_back(t->id);
    if (kept != i) records[kept] = std::move(r);
    ++kept;
  }
  records.resize(kept);
  if (granted) {
    const int64_t when = at ? at : now_unix();
    std::optional<int64_t> expires;
    if (granted->granted->data_life_days) expires = when + *granted->granted->data_life_days * 86400;
    store::release_log entry{granted->granted->jti, static_cast<int64_t>(kept), when, expires};
    if (log) *log = std::move(entry);
    else if (auto st = s.log_release(entry.jti, entry.records, entry.at, entry.expires_at); !st) return st;
  }
  return status::ok();
}

result<std::vector<stored_record>> serve(store &s, const catalog &cat, verifier &v, const release_request &r) {
  audit_event e(audit_action::release);
  e.subject = r.query.subject;
  e.audience = r.audience;
  e.purpose = r.purpose;
  if (!r.query.item_type.empty()) e.item_types = {r.query.item_type};
  auto refuse = [&](const std::string &reason, status st) -> result<std::vector<stored_record>> {
    e.outcome = audit_outcome::refused;
    e.reason = reason;
    if (auto logged = s.audit(e); !logged) return logged;
    return st;
  };
  std::optional<decision> d;
  if (!r.token.empty()) {
    d = v.check({r.token, r.query.subject, r.audience, r.purpose, r.at});
    if (!d->ok())
      return refuse(reason_id(d->refused), status(errc::consent, std::string("consent refused: ") + reason_id(d->refused) + ": " + d->detail));
    e.jti = d->granted->jti;
  }
  std::vector<std::string> types;
  std::optional<store::release_log> log;
  auto out = release(s, cat, r.query, d ? &*d : nullptr, r.at, r.masking, &types, &log);
  if (!out) {
    if (out.error().code() == errc::consent) return refuse("out_of_scope", out.error());
    return out;
  }
  e.item_types = std::move(types);
  // The release and its entry commit together.
  if (auto logged = log ? s.audit(e, *log) : s.audit(e); !logged) return logged;
  return out;
}

}  // namespace xyd::consent
