// Scoring with a store: the built-in model, models kept in the store (signed
// or not), one subject or every subject over all cores, results written back.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "internal.hpp"

namespace xyd {
extern const char default_model_json_text[];
}

namespace xyd::score {

std::string_view default_model_json() { return default_model_json_text; }

std::shared_ptr<const model> default_model() {
  static const std::shared_ptr<const model> m = [] {
    auto r = from_json(default_model_json());
    if (!r) return std::shared_ptr<const model>();  // a test checks it loads
    return *r;
  }();
  return m;
}

// ---------------------------------------------------------------- signatures

std::string sign_model(const model &m, const paseto::secret_key &sk) {
  std::string claims = "{\"model\":";
  json::append_quoted(claims, m.id);
  claims += ",\"version\":";
  json::append_quoted(claims, m.version);
  claims += ",\"model_hash\":\"" + m.hash_hex() + "\"}";
  const std::string footer = "{\"kid\":\"" + paseto::pid(paseto::public_key_of(sk)) + "\"}";
  return paseto::sign(sk, claims, footer);
}

namespace {

/// Checks a model signature against the store's keys trusted for "model";
/// the kid of the signing key when it holds.
result<std::string> check_signature(store &s, const model &m, std::string_view token) {
  auto bad = [](const std::string &why) { return result<std::string>(errc::validation, "model signature: " + why); };
  auto footer = paseto::footer_of(token);
  if (!footer) return bad("not a PASETO token");
  auto f = json::parse(*footer);
  if (f && json::duplicate_key(*f)) return bad("the footer has a duplicate member");
  const json::value *kid = f ? f->find("kid") : nullptr;
  if (!kid || !kid->is(json::kind::string)) return bad("the footer names no kid");
  auto found = s.find_key(kid->text);
  if (!found) return found.error();
  if (!*found) return bad("the signing key is not trusted by this store");
  if ((*found)->use != "model") return bad("the signing key is trusted for consents, not models");
  if ((*found)->retired_from && *(*found)->retired_from <= now_unix()) return bad("the signing key is retired");
  auto pk = paseto::parse_public((*found)->public_paserk);
  if (!pk) return bad("the trusted key is unusable");
  auto opened = paseto::verify(*pk, token);
  if (!opened) return bad("it does not verify");
  auto claims = json::parse(opened->message);
  if (claims && json::duplicate_key(*claims)) return bad("the signed claims have a duplicate member");
  const json::value *hash = claims ? claims->find("model_hash") : nullptr;
  const json::value *id = claims ? claims->find("model") : nullptr;
  const json::value *version = claims ? claims->find("version") : nullptr;
  if (!hash || !hash->is(json::kind::string) || hash->text != m.hash_hex() || !id || id->text != m.id || !version ||
      version->text != m.version)
    return bad("it signs another model (id, version or content hash differ)");
  return kid->text;
}

result<bool> requires_signed(store &s) {
  auto v = s.setting("require_signed_models");
  if (!v) return v.error();
  return *v && **v == "1";
}

}  // namespace

status add_model(store &s, const model &m, std::optional<std::string_view> signature) {
  auto required = requires_signed(s);
  if (!required) return required.error();
  store::stored_model row{m.id, m.version, m.hash_hex(), m.source_format, m.canonical_json(), "", "", ""};
  if (signature) {
    auto kid = check_signature(s, m, *signature);
    if (!kid) return kid.error();
    row.signed_by = *kid;
    row.signature = std::string(*signature);
  } else if (*required) {
    return {errc::validation, "model: this store requires models signed with a trusted key (xyd model sign)"};
  }
  return s.put_model(row);
}

result<std::shared_ptr<const model>> find_model(store &s, std::string_view ref) {
  std::string_view id = ref, version;
  if (const size_t at = ref.find('@'); at != std::string_view::npos) {
    id = ref.substr(0, at);
    version = ref.substr(at + 1);
  }
  auto row = s.get_model(id, version);
  if (!row) return row.error();
  auto builtin = default_model();
  if (!*row) {
    if (builtin && id == builtin->id && (version.empty() || version == builtin->version)) return builtin;
    return status(errc::not_found, "model: no model \"" + std::string(ref) + "\" in the store");
  }
  auto m = from_json((*row)->content);
  if (!m) return status(errc::corrupt, "model: the stored model " + std::string(ref) + " does not load: " + m.error().message());
  if ((*m)->hash_hex() != (*row)->model_hash)
    return status(errc::corrupt, "model: the stored model " + std::string(ref) + " does not match its content hash");
  auto required = requires_signed(s);
  if (!required) return required.error();
  if (*required) {
    if ((*row)->signature.empty())
      return status(errc::validation, "model: " + std::string(ref) + " is not signed and this store requires signed models");
    if (auto kid = check_signature(s, **m, (*row)->signature); !kid) return kid.error();
  }
  return *m;
}

// ---------------------------------------------------------------- scoring

namespace {

struct scorer {
  std::shared_ptr<const model> m;
  std::vector<input> inputs;
  outcome out;
  workspace ws;

  // The result line for one subject, or an error.
  result<std::string> run(store &s, const std::string &subject, const std::optional<civil_date> &as_of) {
    record_query q;
    q.subject = subject;
    q.history = true;
    q.audit = false;  // scoring is logged once, as "score"
    auto records = s.read_set(q);
    if (!records) return records.error();
    if (records->empty()) return status(errc::not_found, "score: the store holds no records of this subject");
    const json::value features = features_from_records(records->records(), as_of);
    if (auto st = score::bind(*m, features, inputs); !st) return st;
    if (auto st = evaluate(*m, inputs.data(), inputs.size(), out, ws); !st) return st;
    std::string line = "{\"subject\":";
    json::append_quoted(line, subject);
    line += ",\"as_of\":";
    json::append_quoted(line, features.find("as_of")->text);
    line += ',';
    const std::string body = to_json(*m, out);
    line.append(body, 1, std::string::npos);
    return line;
  }
};

// Scores not kept are logged all the same (kept ones are logged with them).
status log_unkept(store &s, const std::string &hash, size_t subjects, const std::string &subject) {
  audit_event e(audit_action::score);
  e.subject = subject;
  e.with("subjects", subjects).with("model_hash", hash).with("kept", false);
  return s.audit(e);
}

status check_features(const model &m) {
  for (const auto &f : m.fields)
    if (!is_feature(f.name))
      return {errc::validation, "score: model " + m.id + " field \"" + f.name +
                                    "\" is not a feature of the catalog (docs/scoring.md); score it from a features JSON"};
  return status::ok();
}

}  // namespace

result<std::string> score_subject(store &s, std::string_view subject, const batch_options &o) {
  auto m = find_model(s, o.model);
  if (!m) return m.error();
  if (auto st = check_features(**m); !st) return st;
  scorer sc{*m, {}, {}, {}};
  auto line = sc.run(s, std::string(subject), o.as_of);
  if (!line) return line.error();
  if (o.write_back) {
    if (auto st = s.put_scores({{std::string(subject), (*m)->hash_hex(), *line}}); !st) return st;
  } else if (auto st = log_unkept(s, (*m)->hash_hex(), 1, std::string(subject)); !st) {
    return st;
  }
  return line;
}

namespace {

/// Subjects scored by worker threads (each over its own reading connection,
/// a chunk at a time) and handed to one consumer in subject order as they
/// complete, so that keeping the results (the one writer) runs beside the
/// scoring instead of after it.
class batch_run {
 public:
  batch_run(std::shared_ptr<const model> m, const std::vector<std::string> &subjects, std::optional<civil_date> as_of)
      : m_(std::move(m)), subjects_(subjects), as_of_(as_of), lines_(subjects.size()), grade_of_(subjects.size(), -1),
        done_(new std::atomic<bool>[subjects.size()]()) {}
  batch_run(const batch_run &) = delete;
  batch_run &operator=(const batch_run &) = delete;
  ~batch_run() { stop(); }

  status start(store &s, unsigned threads) {
    for (unsigned t = 0; t < threads; ++t) {
      auto r = s.open_reader();
      if (!r) return r.error();
      readers_.push_back(std::move(*r));
    }
    failures_.resize(threads);
    for (unsigned t = 0; t < threads; ++t) pool_.emplace_back([this, t] { work(t); });
    return status::ok();
  }

  /// Waits for subject i (in order), then its line (moved out) and grade.
  status take(size_t i, std::string &line, int32_t &grade) {
    if (!done_[i].load(std::memory_order_acquire)) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return done_[i].load(std::memory_order_acquire) || failed_.load(); });
    }
    if (!done_[i].load(std::memory_order_acquire)) {
      stop();
      for (const auto &f : failures_)
        if (!f) return f;
      return status(errc::internal, "score: a scoring thread stopped");
    }
    line = std::move(lines_[i]);
    lines_[i] = std::string();  // a move assignment may hand `line`'s old buffer back: free it now
    grade = grade_of_[i];
    return status::ok();
  }

  void stop() {
    next_ = subjects_.size();
    for (auto &th : pool_) th.join();
    pool_.clear();
  }

 private:
  static constexpr size_t chunk = 32;

  void work(unsigned t) {
    scorer sc{m_, {}, {}, {}};
    store &conn = *readers_[t];
    for (;;) {
      const size_t begin = next_.fetch_add(chunk);
      if (begin >= subjects_.size()) return;
      const size_t end = std::min(subjects_.size(), begin + chunk);
      for (size_t i = begin; i < end; ++i) {
        auto line = sc.run(conn, subjects_[i], as_of_);
        if (!line) {
          failures_[t] = line.error();
          next_ = subjects_.size();
          {
            std::lock_guard lock(mu_);
            failed_ = true;
          }
          cv_.notify_all();
          return;
        }
        lines_[i] = std::move(*line);
        grade_of_[i] = sc.out.grade;
        done_[i].store(true, std::memory_order_release);
      }
      { std::lock_guard lock(mu_); }  // the consumer is waiting, or will see the flags
      cv_.notify_all();
    }
  }

  const std::shared_ptr<const model> m_;
  const std::vector<std::string> &subjects_;
  const std::optional<civil_date> as_of_;
  std::vector<std::string> lines_;
  std::vector<int32_t> grade_of_;
  std::unique_ptr<std::atomic<bool>[]> done_;
  std::vector<std::unique_ptr<store>> readers_;  // one reading connection per thread: a handle serialises its calls
  std::vector<status> failures_;
  std::vector<std::thread> pool_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace

result<std::string> score_all(store &s, const batch_options &o, const std::function<void(const std::string &)> &each) {
  const auto started = std::chrono::steady_clock::now();
  auto m = find_model(s, o.model);
  if (!m) return m.error();
  if (auto st = check_features(**m); !st) return st;
  auto list = s.subject_list(false);  // the batch is logged as "score"
  if (!list) return list.error();
  const std::vector<std::string> &subjects = *list;

  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, subjects.size())));
  std::vector<int64_t> grades((*m)->grades.size(), 0);
  const std::string hash = (*m)->hash_hex();
  batch_run run(*m, subjects, o.as_of);
  if (!subjects.empty())
    if (auto st = run.start(s, threads); !st) return st;
  // Each line in subject order: to the caller, counted, and kept.
  size_t i = 0;
  auto next = [&](store::score_row &row) -> status {
    int32_t grade = -1;
    if (auto st = run.take(i, row.result_json, grade); !st) return st;
    if (each) each(row.result_json);
    if (grade >= 0) ++grades[static_cast<size_t>(grade)];
    row.subject = subjects[i++];
    return status::ok();
  };
  if (o.write_back) {
    if (auto st = s.put_scores(subjects.size(), hash, [&](store::score_row &row) {
          row.model_hash = hash;
          return next(row);
        });
        !st)
      return st;
  } else {
    store::score_row row;
    while (i < subjects.size())
      if (auto st = next(row); !st) return st;
    if (auto st = log_unkept(s, hash, subjects.size(), {}); !st) return st;
  }
  run.stop();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string out = "{\"subjects\":" + std::to_string(subjects.size()) + ",\"model\":";
  json::append_quoted(out, (*m)->id);
  out += ",\"version\":";
  json::append_quoted(out, (*m)->version);
  out += ",\"model_hash\":\"" + hash + "\",\"threads\":" + std::to_string(threads) + ",\"grades\":{";
  bool first = true;
  for (size_t g = 0; g < grades.size(); ++g) {
    out += first ? "" : ",";
    first = false;
    json::append_quoted(out, (*m)->grades[g].name);
    out += ':';
    out += std::to_string(grades[g]);
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%.3f", seconds);
  out += std::string("},\"seconds\":") + buf + "}";
  return out;
}

}  // namespace xyd::score
