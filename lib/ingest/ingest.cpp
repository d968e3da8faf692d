// Ingest: JSON Lines -> parse -> normalise -> validate -> store batch.
// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "xyd/ingest.hpp"

namespace xyd::ingest {

namespace {
constexpr size_t max_rejections_kept = 1000;

void append_counts(std::string &s, const summary::counts &c) {
  s += "\"inserted\":" + std::to_string(c.inserted) + ",\"updated\":" + std::to_string(c.updated) +
       ",\"unchanged\":" + std::to_string(c.unchanged) + ",\"rejected\":" + std::to_string(c.rejected);
}
}  // namespace

std::string summary::to_json() const {
  std::string s = "{\"batch\":" + std::to_string(batch_id) + ",\"committed\":" + (committed ? "true" : "false") +
                  ",\"changed\":" + (committed && (total.inserted || total.updated) ? "true" : "false") +
                  ",\"records\":" + std::to_string(records) + ",";
  append_counts(s, total);
  s += ",\"per_type\":{";
  bool first = true;
  for (const auto &[type, c] : per_type) {
    if (!first) s += ',';
    first = false;
    json::append_quoted(s, type);
    s += ":{";
    append_counts(s, c);
    s += '}';
  }
  s += "},\"rejections\":";
  append_line_problems(s, rejections);
  s += '}';
  return s;
}

namespace {
status ingest_batch(store &st, std::istream &in, const options &opt, summary &out) {
  out = summary{};
  auto batch = st.begin_batch(opt.source_name);
  if (!batch) return batch.error();
  out.batch_id = batch->id();
  const catalog *cat = &st.cat();  // the catalog the store was opened with
  const civil_date today = today_cn();
  status failure;
  uint64_t bytes = 0;
  auto reject = [&](size_t line, std::vector<problem> &&problems, const std::string &type) {
    ++out.total.rejected;
    if (!type.empty()) ++out.per_type[type].rejected;
    for (auto &p : problems)
      if (out.rejections.size() < max_rejections_kept) out.rejections.push_back({line, std::move(p)});
  };
  status read = for_each_line(in, [&](size_t line, std::string_view text) {
    bytes += text.size() + 1;
    ++out.records;
    if (opt.progress && out.records % 16384 == 0) opt.progress(bytes, out.records);
    auto doc = json::parse(text);
    std::vector<problem> problems;
    std::string type_id;
    json::value *record = nullptr;
    if (!doc) {
      problems.push_back({"$", "syntax", doc.error().message()});
    } else {
      record = &doc.value();
      normalize_record_in_place(*cat, *record);
      problems = validate_record(*cat, *record, today);
      if (const json::value *t = record->find("type"); t && t->is(json::kind::string) && cat->find(t->text)) type_id = t->text;
    }
    if (!problems.empty()) {
      const problem first = problems.front();
      const size_t more = problems.size() - 1;
      reject(line, std::move(problems), type_id);
      if (opt.skip_invalid) return true;
      failure = status(errc::validation, "line " + std::to_string(line) + ": " + first.path + ": " + first.message +
                                             (more ? " (and " + std::to_string(more) + " more problems)" : "") +
                                             "; nothing was stored");
      return false;
    }
    auto outcome = batch->put(*cat->find(type_id), *record);
    if (!outcome && outcome.error().code() == errc::validation) {  // a conflict inside the feed
      reject(line, {problem{"$", "conflict", outcome.error().message()}}, type_id);
      if (opt.skip_invalid) return true;
      failure = status(errc::validation, "line " + std::to_string(line) + ": " + outcome.error().message() + "; nothing was stored");
      return false;
    }
    if (!outcome) {
      failure = status(outcome.error().code(), "line " + std::to_string(line) + ": " + outcome.error().message());
      return false;
    }
    auto &c = out.per_type[type_id];
    switch (*outcome) {
      case store::batch::outcome::inserted: ++c.inserted, ++out.total.inserted; break;
      case store::batch::outcome::updated: ++c.updated, ++out.total.updated; break;
      case store::batch::outcome::unchanged: ++c.unchanged, ++out.total.unchanged; break;
    }
    return true;
  });
  if (!read) return read;  // the batch rolls back
  if (!failure) return failure;
  if (opt.progress) opt.progress(bytes, out.records);
  out.committed = true;
  store::batch::counts counts{out.records, out.total.inserted, out.total.updated, out.total.unchanged, out.total.rejected, {}};
  for (const auto &[type, n] : out.per_type) counts.item_types.push_back(type);
  if (status c = batch->commit(out.to_json(), counts); !c) {
    out.committed = false;
    return c;
  }
  return status::ok();
}
}  // namespace

status ingest(store &st, std::istream &in, const options &opt, summary &out) {
  status result = ingest_batch(st, in, opt, out);  // a failed batch is rolled back on return
  if (!result && result.code() != errc::busy && result.code() != errc::read_only) {
    // The refusal goes to the audit log: where and why, never a value (the
    // file holds no plaintext personal data).
    audit_event e(audit_action::ingest);
    e.outcome = audit_outcome::refused;
    // The reason: the first rejected line's problem code ("required",
    // "checksum", "syntax", "conflict", …), else the error's name.
    e.reason = out.rejections.empty() ? std::string(errc_name(result.code())) : out.rejections.front().what.code;
    e.with("records", out.records).with("rejected", out.total.rejected);
    if (!out.rejections.empty()) {
      const auto &first = out.rejections.front();
      e.with("line", first.line).with("path", first.what.path).with("code", first.what.code);
    }
    for (const auto &[type, counts] : out.per_type) e.item_types.push_back(type);
    (void)st.audit(e);  // a full disk may refuse this too; the batch's own status is what counts
  }
  return result;
}

status ingest_buffer(store &st, std::string_view buffer, const options &opt, summary &out) {
  std::istringstream in{std::string(buffer)};
  return ingest(st, in, opt, out);
}

status ingest_file(store &st, const std::string &path, const options &opt, summary &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out = summary{};
    return {errc::io, "cannot open " + path + ": " + std::strerror(errno)};
  }
  options o = opt;
  if (o.source_name.empty()) {
    const auto slash = path.find_last_of('/');
    o.source_name = slash == std::string::npos ? path : path.substr(slash + 1);
  }
  return ingest(st, in, o, out);
}

}  // namespace xyd::ingest
