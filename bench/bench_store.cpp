// Store benchmarks, each against a raw baseline measured in the same run.
//
//   xyd_bench_store ingest [RECORDS]   xyd ingest of generated data into an empty
//                                      store vs a plain prepared-statement insert
//                                      of the same rows, bytes and indexes
//                                      (default 200,000 records; target >= 50%)
//   xyd_bench_store scale [RECORDS]    the rate over the last tenth of a big
//                                      ingest vs the first tenth (default
//                                      2,000,000; target >= 80%)
//   xyd_bench_store fetch [SUBJECTS]   median time to fetch and decrypt one
//                                      subject's current records from a store of
//                                      SUBJECTS subjects (default 100,000;
//                                      target <= 100 us), vs reading the same
//                                      rows' bytes without decrypting
//   xyd_bench_store all                the three, with their defaults
//
// Scratch files go to $XYD_BENCH_DIR (default /tmp) and are removed.
// SPDX-License-Identifier: Apache-2.0
#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "../tools/gen.hpp"
#include "xyd/ingest.hpp"
#include "xyd/store.hpp"

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

double since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

std::string scratch(const char *name) {
  const char *dir = std::getenv("XYD_BENCH_DIR");
  std::string p = std::string(dir ? dir : "/tmp") + "/xyd-bench-" + std::to_string(::getpid()) + "-" + name;
  for (const char *suffix : {"", "-wal", "-shm"}) fs::remove(p + suffix);
  return p;
}

void remove_db(const std::string &p) {
  for (const char *suffix : {"", "-wal", "-shm"}) fs::remove(p + suffix);
}

// Generates at least `records` records (whole subjects) into a file.
uint64_t make_feed(const std::string &path, uint64_t records, int months = 24) {
  xyd::gen::options opt;
  opt.seed = 2024;
  opt.months = months;
  opt.subjects = 1;
  // Records per subject, measured on a sample.
  uint64_t sample = 0;
  {
    xyd::gen::options s = opt;
    s.subjects = 200;
    sample = xyd::gen::generate(s, [](std::string_view) {});
  }
  opt.subjects = std::max<uint64_t>(1, records * 200 / std::max<uint64_t>(sample, 1) + 1);
  std::ofstream out(path, std::ios::binary);
  return xyd::gen::generate(opt, [&](std::string_view chunk) { out.write(chunk.data(), static_cast<std::streamsize>(chunk.size())); });
}

std::unique_ptr<xyd::store> open_store(const std::string &path, const xyd::master_key &key) {
  auto s = xyd::store::open(path, key);
  if (!s) {
    std::fprintf(stderr, "open: %s\n", s.error().message().c_str());
    std::exit(2);
  }
  return std::move(s).value();
}

double xyd_ingest(const std::string &db, const std::string &feed, uint64_t &records,
                  std::vector<std::pair<uint64_t, double>> *marks = nullptr) {
  const auto key = xyd::master_key::generate();
  auto store = open_store(db, key);
  xyd::ingest::options opt;
  const auto t0 = clock_type::now();
  if (marks) opt.progress = [&](uint64_t, uint64_t n) { marks->emplace_back(n, since(t0)); };
  xyd::ingest::summary sum;
  if (auto st = xyd::ingest::ingest_file(*store, feed, opt, sum); !st) {
    std::fprintf(stderr, "ingest: %s\n", st.message().c_str());
    std::exit(2);
  }
  const double secs = since(t0);
  records = sum.total.inserted;
  return secs;
}

// The baseline: the same schema (made by xyd), the same rows with the same
// byte sizes, inserted by plain prepared statements in one transaction. The
// grouping into subjects and facts (natural keys) and which record is
// current are worked out beforehand, untimed, so that only SQLite's work is
// measured: what is left for xyd is parsing, normalising, validating,
// hashing, sealing and its look-ups.
double raw_insert(const std::string &db, const std::string &feed, uint64_t &rows) {
  {
    auto s = open_store(db, xyd::master_key::generate());
  }
  sqlite3 *h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_exec(h, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536", nullptr, nullptr,
               nullptr);
  auto prepare = [&](const char *sql) {
    sqlite3_stmt *st = nullptr;
    if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "raw prepare: %s\n", sqlite3_errmsg(h));
      std::exit(2);
    }
    return st;
  };
  sqlite3_stmt *subj = prepare("INSERT INTO subjects (subject_id, subject_bi, nonce, sealed) VALUES (?, ?, ?, ?)");
  sqlite3_stmt *fact = prepare("INSERT INTO facts (fact_id, nk_bi, subject_id, item_type) VALUES (?, ?, ?, ?)");
  sqlite3_stmt *ins = prepare(
      "INSERT INTO records (id, fact_id, subject_id, item_type, as_of, content_hash, nonce, payload, batch_id, is_current) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)");
  sqlite3_stmt *cur = prepare("UPDATE facts SET current_id = ?, current_as_of = ? WHERE fact_id = ?");
  sqlite3_stmt *uncur = prepare("UPDATE records SET is_current = 0 WHERE id = ?");
  struct row {
    std::string type, as_of;
    size_t payload;
    int64_t subject_id, fact_id, previous_current;  // previous_current: record to un-flag, 0 none
    bool new_subject, new_fact, current;
  };
  std::vector<row> list;
  {
    auto cat = xyd::current_catalog();
    std::ifstream in(feed, std::ios::binary);
    std::string line;
    std::unordered_map<std::string, int64_t> subjects;
    struct fact_state {
      int64_t id, current;
      std::string as_of;
    };
    std::unordered_map<std::string, fact_state> facts;
    while (std::getline(in, line)) {
      auto doc = xyd::json::parse(line);
      const auto &type = doc->find("type")->text;
      const auto &subject = doc->find("subject")->text;
      row r{type, doc->find("as_of")->text, line.size() + 16, 0, 0, 0, false, false, false};
      auto [sit, new_subject] = subjects.emplace(subject, static_cast<int64_t>(subjects.size() + 1));
      r.subject_id = sit->second;
      r.new_subject = new_subject;
      std::string nk = type + '\0' + subject;
      for (const auto &k : cat->find(type)->natural_key) {
        nk += '\0';
        if (const auto *v = doc->find("data")->find(k)) xyd::json::dump_to(nk, *v);
      }
      auto [fit, new_fact] = facts.emplace(nk, fact_state{static_cast<int64_t>(facts.size() + 1), 0, ""});
      r.fact_id = fit->second.id;
      r.new_fact = new_fact;
      const int64_t id = static_cast<int64_t>(list.size() + 1);
      if (fit->second.as_of.empty() || r.as_of > fit->second.as_of) {
        r.current = true;
        r.previous_current = fit->second.current;
        fit->second.current = id;
        fit->second.as_of = r.as_of;
      }
      list.push_back(std::move(r));
    }
  }
  std::string random(1 << 16, 'x');
  randombytes_buf(random.data(), random.size());
  const unsigned char *blob = reinterpret_cast<const unsigned char *>(random.data());
  auto step = [&](sqlite3_stmt *st) {
    if (sqlite3_step(st) != SQLITE_DONE) {
      std::fprintf(stderr, "raw insert: %s\n", sqlite3_errmsg(h));
      std::exit(2);
    }
    sqlite3_reset(st);
  };
  const auto t0 = clock_type::now();
  sqlite3_exec(h, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  int64_t id = 0;
  for (const auto &r : list) {
    ++id;
    const unsigned char *b = blob + (id * 97) % 4096;  // distinct 16-byte keys, random-looking
    if (r.new_subject) {
      sqlite3_bind_int64(subj, 1, r.subject_id);
      sqlite3_bind_blob(subj, 2, blob + 8192 + r.subject_id % 40000, 16, SQLITE_STATIC);
      sqlite3_bind_blob(subj, 3, b, 24, SQLITE_STATIC);
      sqlite3_bind_blob(subj, 4, b, 34, SQLITE_STATIC);
      step(subj);
    }
    if (r.new_fact) {
      sqlite3_bind_int64(fact, 1, r.fact_id);
      // Unique 16-byte natural-key index: the fact id spread over random bytes.
      unsigned char nk[16];
      std::memcpy(nk, b, 16);
      std::memcpy(nk, &r.fact_id, sizeof r.fact_id);
      sqlite3_bind_blob(fact, 2, nk, 16, SQLITE_TRANSIENT);
      sqlite3_bind_int64(fact, 3, r.subject_id);
      sqlite3_bind_text(fact, 4, r.type.data(), static_cast<int>(r.type.size()), SQLITE_STATIC);
      step(fact);
    }
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_int64(ins, 2, r.fact_id);
    sqlite3_bind_int64(ins, 3, r.subject_id);
    sqlite3_bind_text(ins, 4, r.type.data(), static_cast<int>(r.type.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, 5, r.as_of.data(), 10, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 6, b, 16, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 7, b + 16, 24, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 8, blob, static_cast<int>(std::min(r.payload, random.size())), SQLITE_STATIC);
    sqlite3_bind_int(ins, 9, r.current);
    step(ins);
    if (r.current) {
      if (r.previous_current) {
        sqlite3_bind_int64(uncur, 1, r.previous_current);
        step(uncur);
      }
      sqlite3_bind_int64(cur, 1, id);
      sqlite3_bind_text(cur, 2, r.as_of.data(), 10, SQLITE_STATIC);
      sqlite3_bind_int64(cur, 3, r.fact_id);
      step(cur);
    }
  }
  sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr);
  const double secs = since(t0);
  rows = list.size();
  for (auto *st : {subj, fact, ins, cur, uncur}) sqlite3_finalize(st);
  sqlite3_close(h);
  return secs;
}

int bench_ingest(uint64_t n) {
  const std::string feed = scratch("feed.jsonl"), a = scratch("xyd.db"), b = scratch("raw.db");
  make_feed(feed, n);
  uint64_t records = 0, rows = 0;
  const double raw_s = raw_insert(b, feed, rows);
  const double xyd_s = xyd_ingest(a, feed, records);
  const double ratio = (records / xyd_s) / (rows / raw_s);
  std::printf("ingest:  xyd %.0f records/s (%llu records, parse + normalise + validate + encrypt + upsert)\n",
              records / xyd_s, static_cast<unsigned long long>(records));
  std::printf("         raw SQLite prepared insert of the same rows, bytes and indexes: %.0f rows/s\n", rows / raw_s);
  std::printf("         ratio %.0f%% of the raw rate (target >= 50%%)\n", 100 * ratio);
  fs::remove(feed);
  remove_db(a);
  remove_db(b);
  return ratio >= 0.5 ? 0 : 1;
}

int bench_scale(uint64_t n) {
  const std::string feed = scratch("feed-big.jsonl"), db = scratch("big.db");
  make_feed(feed, n);
  uint64_t records = 0;
  std::vector<std::pair<uint64_t, double>> marks;
  const double secs = xyd_ingest(db, feed, records, &marks);
  // Time at a record count, by interpolating the progress marks.
  auto time_at = [&](uint64_t count) {
    double prev_t = 0;
    uint64_t prev_n = 0;
    for (const auto &[m, t] : marks) {
      if (m >= count) return prev_t + (t - prev_t) * static_cast<double>(count - prev_n) / static_cast<double>(m - prev_n);
      prev_n = m;
      prev_t = t;
    }
    return secs;
  };
  const uint64_t tenth = records / 10;
  const double first = tenth / time_at(tenth);
  // The last tenth ends at the last record read; the commit (writing the
  // batch's pages and checkpointing the WAL) is reported apart.
  const double last = tenth / (time_at(records) - time_at(records - tenth));
  const double commit = secs - time_at(records);
  std::printf("         per tenth (records/s):");
  for (int i = 0; i < 10; ++i) std::printf(" %.0f", tenth / (time_at(tenth * (i + 1)) - time_at(tenth * i)));
  std::printf("\n");
  std::printf("scale:   %llu records in %.1f s (%.0f records/s overall)\n", static_cast<unsigned long long>(records), secs,
              records / secs);
  std::printf("         first tenth %.0f records/s, last tenth %.0f records/s: last/first %.0f%% (target >= 80%%)\n", first,
              last, 100 * last / first);
  std::printf("         then the commit of the one transaction and the WAL checkpoint: %.1f s\n", commit);
  fs::remove(feed);
  remove_db(db);
  return last / first >= 0.8 ? 0 : 1;
}

int bench_fetch(uint64_t subjects) {
  const std::string feed = scratch("feed-fetch.jsonl"), db = scratch("fetch.db");
  // Three monthly snapshots keep the file small (the current records per
  // subject are the same as with 24) and give enterprises histories of
  // about 40 records.
  xyd::gen::options opt;
  opt.seed = 99;
  opt.subjects = subjects;
  opt.months = 3;
  {
    std::ofstream out(feed, std::ios::binary);
    xyd::gen::generate(opt, [&](std::string_view c) { out.write(c.data(), static_cast<std::streamsize>(c.size())); });
  }
  const auto key = xyd::master_key::generate();
  auto store = open_store(db, key);
  xyd::ingest::summary sum;
  const auto t_ingest = clock_type::now();
  if (auto st = xyd::ingest::ingest_file(*store, feed, {}, sum); !st) {
    std::fprintf(stderr, "ingest: %s\n", st.message().c_str());
    return 2;
  }
  const double ingest_s = since(t_ingest);
  auto list = xyd::json::parse(*store->subjects(false));
  std::vector<std::string> names;
  for (const auto &v : list->items) names.push_back(v.text);
  std::mt19937_64 rng(5);
  std::shuffle(names.begin(), names.end(), rng);
  names.resize(std::min<size_t>(names.size(), 5000));
  // Current records (what a report reads) and the whole history.
  std::vector<double> times, history_times, forty;
  size_t total_records = 0, total_history = 0, forty_records = 0;
  for (const auto &n : names) {
    xyd::record_query q;
    q.subject = n;
    auto t0 = clock_type::now();
    auto r = store->records(q);
    times.push_back(since(t0) * 1e6);
    total_records += r ? xyd::json::parse(*r)->items.size() : 0;
    q.history = true;
    t0 = clock_type::now();
    r = store->records(q);
    history_times.push_back(since(t0) * 1e6);
    const size_t n_hist = r ? xyd::json::parse(*r)->items.size() : 0;
    total_history += n_hist;
    if (n_hist >= 35 && n_hist <= 45) {
      forty.push_back(history_times.back());
      forty_records += n_hist;
    }
  }
  std::sort(times.begin(), times.end());
  std::sort(history_times.begin(), history_times.end());
  std::sort(forty.begin(), forty.end());
  // Raw baseline: the same rows' bytes read through the same tables, no decryption.
  sqlite3 *h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt *s = nullptr;
  if (sqlite3_prepare_v2(h,
                         "SELECT id, item_type, as_of, is_current, nonce, payload, state, repair_nonce, repair FROM records "
                         "WHERE subject_id = ? AND is_current = 1 AND state = 'active' ORDER BY item_type, as_of DESC, id",
                         -1, &s, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "raw query: %s\n", sqlite3_errmsg(h));
    return 2;
  }
  std::vector<double> raw;
  size_t raw_rows = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto t0 = clock_type::now();
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, static_cast<int64_t>(rng() % subjects) + 1);
    size_t bytes = 0;
    while (sqlite3_step(s) == SQLITE_ROW) bytes += static_cast<size_t>(sqlite3_column_bytes(s, 5)), ++raw_rows;
    raw.push_back(since(t0) * 1e6);
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  std::sort(raw.begin(), raw.end());
  const double median = times[times.size() / 2];
  std::printf("fetch:   store of %llu subjects, %llu records (ingested in %.1f s)\n",
              static_cast<unsigned long long>(subjects), static_cast<unsigned long long>(sum.total.inserted), ingest_s);
  std::printf("         a subject's current records (%.1f on average): median %.1f us, p99 %.1f us (target <= 100 us)\n",
              static_cast<double>(total_records) / static_cast<double>(names.size()), median, times[times.size() * 99 / 100]);
  std::printf("         a subject's whole history (%.1f records on average): median %.1f us\n",
              static_cast<double>(total_history) / static_cast<double>(names.size()), history_times[history_times.size() / 2]);
  if (!forty.empty())
    std::printf("         queries returning 35-45 records (%zu of them, %.1f on average): median %.1f us, p99 %.1f us (target <= 100 us)\n",
                forty.size(), static_cast<double>(forty_records) / static_cast<double>(forty.size()), forty[forty.size() / 2],
                forty[forty.size() * 99 / 100]);
  std::printf("         raw read of current rows (%.1f on average) without decryption: median %.1f us; xyd takes %.1fx that\n",
              static_cast<double>(raw_rows) / static_cast<double>(names.size()), raw[raw.size() / 2], median / raw[raw.size() / 2]);
  fs::remove(feed);
  remove_db(db);
  return median <= 100 && (forty.empty() || forty[forty.size() / 2] <= 100) ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  if (sodium_init() < 0) return 2;
  const std::string what = argc > 1 ? argv[1] : "all";
  const uint64_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0;
  int rc = 0;
  if (what == "ingest" || what == "all") rc |= bench_ingest(n ? n : 200000);
  if (what == "scale" || what == "all") rc |= bench_scale(n ? n : 2000000);
  if (what == "fetch" || what == "all") rc |= bench_fetch(n ? n : 100000);
  if (what != "ingest" && what != "scale" && what != "fetch" && what != "all") {
    std::fprintf(stderr, "usage: xyd_bench_store ingest|scale|fetch|all [N]\n");
    return 2;
  }
  return rc;
}
