// The session: every composed operation, once. The C ABI and the CLI call
// these; what one door does, every door does.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/session.hpp"

namespace xyd {

namespace {

status check_role(const mask::policy &pol, const std::string &role) {
  if (pol.has_role(role)) return status::ok();
  return status(errc::not_found, "unknown role \"" + role + "\" (loan_officer, external, regulator, or the policy's)");
}

}  // namespace

result<std::unique_ptr<session>> session::open(const std::string &path, const master_key &key,
                                               const session_options &options) {
  store_options so = options.store;
  if (!so.cat) so.cat = options.cat ? options.cat : current_catalog();
  auto s = store::open(path, key, so);
  if (!s) return s.error();
  return std::make_unique<session>(std::move(*s), options);
}

session::session(std::unique_ptr<store> s, const session_options &options)
    : store_(std::move(s)),
      // The store's own catalog (store_options::cat), which it keeps alive.
      cat_(std::shared_ptr<const catalog>(), &store_->cat()),
      verifier_(std::make_unique<consent::verifier>(*store_)),
      clock_(options.clock ? options.clock : std::function<int64_t()>(now_unix)) {}

session::~session() = default;

int64_t session::now() const { return clock_(); }

void session::forget_models() {
  std::lock_guard lock(cache_mu_);
  models_.clear();  // a model's signing key may be the one that changed
}

result<std::shared_ptr<const score::model>> session::model(std::string_view ref) {
  // Cached while the store's keyring generation holds (it moves with this
  // handle's keyring changes and any other connection's commit: a model
  // added, the signing rule changed); signed models are re-verified on every
  // load, as docs/scoring.md says, so they are not cached.
  const uint64_t generation = store_->keyring_generation();
  std::lock_guard lock(cache_mu_);
  if (generation != models_generation_) {
    models_.clear();
    models_generation_ = generation;
  }
  if (auto it = models_.find(ref); it != models_.end()) return it->second;
  auto m = score::find_model(*store_, ref);
  if (m) {
    auto row = store_->get_model((*m)->id, (*m)->version);
    const bool signed_model = row && *row && !(*row)->signature.empty();
    if (!signed_model) models_.emplace(std::string(ref), *m);
  }
  return m;
}

mask::context session::masking(const std::optional<mask::policy> &policy, const std::string &role) {
  mask::context ctx;
  if (policy) ctx.pol = &*policy;
  ctx.role = role;
  std::lock_guard lock(cache_mu_);
  if (!pseudonym_key_)
    if (auto k = store_->pseudonym_key()) pseudonym_key_ = *k;
  ctx.pseudonym_key = pseudonym_key_;
  return ctx;
}

void session::set_actor(std::string actor) { store_->set_actor(std::move(actor)); }

// ---------------------------------------------------------------- records

status session::ingest(std::istream &in, const ingest::options &opt, ingest::summary &out) {
  return ingest::ingest(*store_, in, opt, out);
}

status session::ingest_buffer(std::string_view buffer, const ingest::options &opt, ingest::summary &out) {
  return ingest::ingest_buffer(*store_, buffer, opt, out);
}

status session::ingest_file(const std::string &path, const ingest::options &opt, ingest::summary &out) {
  return ingest::ingest_file(*store_, path, opt, out);
}

result<std::string> session::own_records(const record_query &q) {
  if (q.subject.empty()) return status(errc::invalid_arg, "records: a subject is required");
  return store_->records(q);
}

result<std::string> session::release(const release_request &r) {
  if (r.query.subject.empty() || r.audience.empty())
    return status(errc::invalid_arg, "release: a subject and an audience are required");
  if (!r.token.empty() && r.purpose.empty()) return status(errc::invalid_arg, "release: a token needs a purpose");
  consent::release_request req;
  req.query = r.query;
  req.audience = r.audience;
  req.purpose = r.purpose;
  req.token = r.token;
  req.at = r.at ? r.at : now();
  req.masking = masking(r.policy, r.role);
  if (auto st = check_role(*req.masking.pol, r.role); !st) return st;
  auto out = consent::serve(*store_, *cat_, *verifier_, req);
  if (!out) return out.error();
  std::string json;
  append_records_json(json, out->data(), out->size(), record_shape::released);
  return json;
}

result<std::string> session::subjects() { return store_->subjects(); }

status session::repair(const repair_request &r) { return store_->repair(r); }

result<std::string> session::purge(std::string_view before) {
  auto r = store_->purge(before);
  if (!r) return r.error();
  auto releases = store_->purge_releases(now());
  if (!releases) return releases.error();
  std::string summary = std::move(*r);
  summary.insert(summary.size() - 1, ",\"releases_expired\":" + std::to_string(*releases));
  return summary;
}

status session::rekey(const master_key &new_key) {
  return store_->rekey(new_key);  // moves the keyring generation: the verifier starts again
}

result<std::string> session::stats() { return store_->stats(); }

// ---------------------------------------------------------------- consent

result<std::string> session::trust_key(const trust_request &r) {
  auto pk = paseto::parse_public(r.public_paserk);
  if (!pk) return pk.error();
  store::trusted_key k{paseto::pid(*pk), paseto::paserk(*pk), r.issuer, r.retired_from, r.use, {}};
  if (auto st = store_->trust_key(k); !st) return st;
  forget_models();  // the verifier notices keyring changes itself
  return k.kid;
}

status session::retire_key(std::string_view kid, int64_t from) {
  auto st = store_->retire_key(kid, from);
  forget_models();  // the verifier notices keyring changes itself
  return st;
}

result<std::string> session::keys() { return store_->keys(); }

status session::revoke(const revoke_request &r) {
  const int64_t at = r.at ? r.at : now();
  status st;
  if (!r.jti.empty() && r.subject.empty() && r.audience.empty()) st = store_->revoke_token(r.jti, at);
  else if (r.jti.empty() && !r.subject.empty() && !r.audience.empty()) st = store_->revoke_grant(r.subject, r.audience, at);
  else return status(errc::invalid_arg, "revoke: give a jti, or a subject and an audience");
  return st;  // revocations are checked on every use, cached tokens included
}

consent::decision session::check_consent(const consent::request &r) {
  consent::request req = r;
  if (!req.at) req.at = now();
  return verifier_->check(req);
}

// ---------------------------------------------------------------- reports

result<report::document> session::build_report(const report_request &r) {
  report::request req;
  req.subject = r.subject;
  req.audience = r.audience;
  req.purpose = r.purpose;
  req.token = r.token;
  req.at = r.at ? r.at : now();
  req.model = r.model;
  req.masking = masking(r.policy, r.role);
  if (auto st = check_role(*req.masking.pol, r.role); !st) return st;
  // A model that does not resolve is left to report::build, which looks it
  // up after the consent check (a refusal is logged first) and only when
  // there are records to score.
  if (auto m = model(r.model)) req.scorecard = *m;
  return report::build_document(*store_, *cat_, *verifier_, req);
}

result<std::string> session::report(const report_request &r) {
  auto d = build_report(r);
  if (!d) return d.error();
  return report::to_json(*d);
}

result<std::string> session::report_html(const report_request &r, std::string *json_out) {
  auto d = build_report(r);
  if (!d) return d.error();
  if (json_out) *json_out = report::to_json(*d);
  auto tree = report::to_value(std::move(*d));
  if (!tree) return tree.error();
  return report::render_html(*tree, *cat_);
}

result<std::string> session::check_claims(const claims_check_request &r) {
  if (r.at) return report::check_claims(*store_, *cat_, *verifier_, r);
  claims_check_request req = r;
  req.at = now();
  return report::check_claims(*store_, *cat_, *verifier_, req);
}

// ---------------------------------------------------------------- scoring

status session::add_model(const score::model &m, std::optional<std::string_view> signature) {
  {
    std::lock_guard lock(cache_mu_);
    models_.clear();
  }
  return score::add_model(*store_, m, signature);
}

result<std::string> session::models() { return store_->models(); }

status session::require_signed_models(bool on) {
  {
    std::lock_guard lock(cache_mu_);
    models_.clear();
  }
  return store_->set_setting("require_signed_models", on ? "1" : "0");
}

result<std::string> session::score(const score_request &r, const std::function<void(const std::string &)> &each) {
  if (r.all == !r.subject.empty()) return status(errc::invalid_arg, "score: give a subject, or all");
  if (!r.all) {
    auto line = score::score_subject(*store_, r.subject, r.options);
    if (line && each) each(*line);
    return line;
  }
  // The answer is {"summary":…,"results":[…]}: the lines go in as they come
  // and the summary, known last, is put in front.
  std::string out = ",\"results\":[";
  const size_t first = out.size();
  auto summary = score::score_all(*store_, r.options, [&](const std::string &line) {
    if (each) each(line);
    if (out.size() > first) out += ',';
    out += line;
  });
  if (!summary) return summary.error();
  out += "]}";
  return out.insert(0, "{\"summary\":" + *summary);
}

result<std::string> session::features(std::string_view subject, std::optional<civil_date> as_of) {
  record_query q;
  q.subject = std::string(subject);
  q.history = true;
  auto records = store_->read_set(q);
  if (!records) return records.error();
  if (records->empty()) return status(errc::not_found, "features: the store holds no records of this subject");
  return json::dump(score::features_from_records(records->records(), as_of));
}

result<std::string> session::scores(std::string_view subject) { return store_->scores(subject); }

// ---------------------------------------------------------------- audit

result<audit::verdict> session::audit_verify(const std::vector<paseto::public_key> &keys) {
  return audit::verify(*store_, keys);
}

result<audit::verdict> session::audit_verify(const audit::verify_options &o) { return audit::verify(*store_, o); }

result<std::string> session::audit_checkpoint(const paseto::secret_key &sk) { return audit::checkpoint(*store_, sk); }

void session::audit_auto_checkpoint(const paseto::secret_key &sk, int64_t every) {
  if (every <= 0) return store_->set_auto_checkpoint(0, {});
  // The signer keeps its own copy of the key (wiped with it: key_bytes).
  auto key = std::make_shared<const paseto::secret_key>(sk);
  store_->set_auto_checkpoint(every, [key](int64_t seq, std::string_view hash) {
    return audit::checkpoint_token(*key, seq, hash, now_unix());
  });
}

status session::audit_export(const std::function<void(const std::string &line)> &each) {
  return audit::export_jsonl(*store_, each);
}

result<std::string> session::audit_stats() { return audit::stats(*store_); }

}  // namespace xyd
