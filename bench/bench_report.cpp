// Report benchmark: a credit report for a subject with about 40 records
// from a store of N subjects (default 100,000) — consent check, decryption,
// masking, scoring and the audit append included — against fetching the
// same rows with plain SQLite (no decryption) in the same run.
// Target: at most 1 ms median.
//
//   xyd_bench_report [SUBJECTS] [ROUNDS]   (default 100,000 subjects, 3 rounds; the first warms caches)
// SPDX-License-Identifier: Apache-2.0
#include <sqlite3.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "xyd/consent.hpp"
#include "xyd/report.hpp"
#include "xyd/session.hpp"

using clock_type = std::chrono::steady_clock;
using namespace xyd;

namespace {
// The calling thread's CPU time: what the report computes, without the
// machine's other load or waits for the disk (the wall-clock median is
// reported beside it).
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}
double micros(clock_type::time_point t0) { return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count(); }
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double p99(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * 99 / 100)];
}
}  // namespace

int main(int argc, char **argv) {
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const int rounds = argc > 2 ? std::max(2, std::atoi(argv[2])) : 3;
  bool built = false;
  // Three monthly snapshots per monthly item: a small firm then has about
  // 40 records, current and history.
  auto s = bench::open_or_build(n, built, 3);
  if (!s) return 2;

  // Subjects with about 40 records (history included), as a bank's
  // typical small firm; their record ids give the rows for the baseline.
  auto list = json::parse(*s->subjects(false));
  std::vector<std::string> chosen;
  std::vector<int64_t> first_ids;
  // Enterprises (USCC, sorted last) first; at most 20,000 looked at.
  size_t looked = 0;
  for (auto it = list->items.rbegin(); it != list->items.rend() && looked < 20000; ++it, ++looked) {
    const auto &subject = *it;
    record_query q;
    q.subject = subject.text;
    q.history = true;
    q.audit = false;
    auto recs = json::parse(*s->records(q));
    if (recs->items.size() >= 38 && recs->items.size() <= 45) {
      chosen.push_back(subject.text);
      first_ids.push_back(std::stoll(recs->items[0].find("id")->text));
    }
    if (chosen.size() == 300) break;
  }
  if (chosen.empty()) {
    std::fprintf(stderr, "no subject with 38-45 records\n");
    return 2;
  }

  // A consent per subject from a trusted platform key.
  paseto::secret_key platform;
  paseto::public_key platform_public;
  paseto::generate_key_pair(platform, platform_public);
  (void)s->trust_key({paseto::pid(platform_public), paseto::paserk(platform_public), "bench", std::nullopt});
  std::vector<std::string> tokens;
  for (const auto &subject : chosen) {
    const std::string claims = R"({"iss":"bench","sub":")" + subject +
                               R"(","aud":"bank-001","exp":"2099-01-01T00:00:00Z","scope":["tax","legal_rep","shareholder","social","customs","env"],"purpose":["approval"]})";
    tokens.push_back(*consent::issue(platform, claims, *current_catalog()));
  }

  // Raw SQLite: the same subjects' rows, without decryption.
  sqlite3 *raw = nullptr;
  sqlite3_open_v2(s->path().c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt *by_id = nullptr, *rows = nullptr;
  sqlite3_prepare_v2(raw, "SELECT subject_id FROM records WHERE id = ?", -1, &by_id, nullptr);
  sqlite3_prepare_v2(raw,
                     "SELECT id, item_type, as_of, is_current, nonce, payload, state FROM records WHERE subject_id = ? "
                     "ORDER BY item_type, as_of DESC, id",
                     -1, &rows, nullptr);
  std::vector<int64_t> subject_ids;
  for (int64_t id : first_ids) {
    sqlite3_reset(by_id);
    sqlite3_bind_int64(by_id, 1, id);
    sqlite3_step(by_id);
    subject_ids.push_back(sqlite3_column_int64(by_id, 0));
  }

  // The reports go through the door the C ABI and the CLI use: a session
  // over the store (its verifier, its cached scorecard and pseudonym key).
  session sess(std::move(s));

  std::vector<double> report_us, raw_us, report_cpu_us;
  size_t bytes = 0, records = 0;
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < chosen.size(); ++i) {
      report_request r;
      r.subject = chosen[i];
      r.audience = "bank-001";
      r.purpose = "approval";
      r.token = tokens[i];
      r.role = "loan_officer";
      auto t0 = clock_type::now();
      const double cpu0 = cpu_now();
      auto out = sess.report(r);
      const double us = micros(t0);
      const double cpu_us = cpu_now() - cpu0;
      if (!out) {
        std::fprintf(stderr, "%s\n", out.error().message().c_str());
        return 2;
      }
      if (round > 0) report_us.push_back(us), report_cpu_us.push_back(cpu_us);  // the first round warms caches and the token cache
      bytes += out->size();
      t0 = clock_type::now();
      sqlite3_reset(rows);
      sqlite3_bind_int64(rows, 1, subject_ids[i]);
      size_t got = 0;
      while (sqlite3_step(rows) == SQLITE_ROW) {
        bytes += static_cast<size_t>(sqlite3_column_bytes(rows, 5));
        ++got;
      }
      const double raw_time = micros(t0);
      if (round > 0) {
        raw_us.push_back(raw_time);
        records += got;
      }
    }
  }
  sqlite3_finalize(by_id);
  sqlite3_finalize(rows);
  sqlite3_close(raw);
  const double med = median(report_us), raw_med = median(raw_us);
  std::printf("report: %zu subjects with 38-45 records (%.1f on average) from a store of %llu subjects, consent token each\n",
              chosen.size(), static_cast<double>(records) / static_cast<double>(raw_us.size()), static_cast<unsigned long long>(n));
  std::printf("  full report (consent check, decryption, masking, score, audit append): median %.0f us, p99 %.0f us   (target 1000)\n",
              med, p99(report_us));
  std::printf("  the same, thread CPU time: median %.0f us, p99 %.0f us\n", median(report_cpu_us), p99(report_cpu_us));
  std::printf("  the same rows with plain SQLite, no decryption:                         median %.1f us, p99 %.1f us\n", raw_med,
              p99(raw_us));
  std::printf("  report / raw fetch: %.1f x   (%zu bytes touched)\n", med / raw_med, bytes);
  return med <= 1000 ? 0 : 1;
}
