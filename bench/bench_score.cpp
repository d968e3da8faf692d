// Scoring benchmark.
//
//   xyd_bench_score memory [N]   scoring from in-memory features with the
//       default model on one core (target: 1,000,000 subjects/s), against the
//       same card evaluated in double in the same run: the cost of exactness.
//   xyd_bench_score batch [N]    batch scoring of a store of N subjects
//       (default 100,000) on one thread and on two (target: 1.6 times).
//       The store is built once under /tmp and reused by later runs.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "../tools/gen.hpp"
#include "xyd/ingest.hpp"
#include "xyd/score.hpp"
#include "fixture.hpp"

using clock_type = std::chrono::steady_clock;
using namespace xyd;

namespace {

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

// ---------------------------------------------------------------- the same card in double

struct dpred {
  score::predicate::op kind;
  int32_t field;
  double number;
  int32_t category;
  std::vector<double> numbers;
  std::vector<int32_t> categories;
  std::vector<dpred> children;
};

struct dinput {
  uint8_t type;  // 0 missing, 1 number, 2 category
  double number;
  int32_t category;
};

dpred to_double(const score::predicate &p) {
  dpred d{p.kind, p.field, std::stod(score::format_fixed(p.number)), p.category, {}, p.categories, {}};
  for (const auto &n : p.numbers) d.numbers.push_back(std::stod(score::format_fixed(n)));
  for (const auto &c : p.children) d.children.push_back(to_double(c));
  return d;
}

int deval(const dpred &p, const dinput *in) {  // 0 false, 1 true, 2 unknown
  using op = score::predicate::op;
  switch (p.kind) {
    case op::always: return 1;
    case op::never: return 0;
    case op::is_missing: return in[p.field].type == 0;
    case op::not_missing: return in[p.field].type != 0;
    case op::all: {
      int r = 1;
      for (const auto &c : p.children) {
        const int x = deval(c, in);
        if (x == 0) return 0;
        if (x == 2) r = 2;
      }
      return r;
    }
    case op::any: {
      int r = 0;
      for (const auto &c : p.children) {
        const int x = deval(c, in);
        if (x == 1) return 1;
        if (x == 2) r = 2;
      }
      return r;
    }
    case op::in:
    case op::not_in: {
      const dinput &v = in[p.field];
      if (v.type == 0) return 2;
      bool found = v.type == 1 ? std::find(p.numbers.begin(), p.numbers.end(), v.number) != p.numbers.end()
                               : std::find(p.categories.begin(), p.categories.end(), v.category) != p.categories.end();
      return found == (p.kind == op::in);
    }
    default: {
      const dinput &v = in[p.field];
      if (v.type == 0) return 2;
      if (v.type == 2) return p.kind == op::eq ? v.category == p.category : v.category != p.category;
      switch (p.kind) {
        case op::eq: return v.number == p.number;
        case op::ne: return v.number != p.number;
        case op::lt: return v.number < p.number;
        case op::le: return v.number <= p.number;
        case op::gt: return v.number > p.number;
        case op::ge: return v.number >= p.number;
        default: return 2;
      }
    }
  }
}

struct dcard {
  struct attr {
    dpred when;
    double points;
    int32_t reason;
  };
  std::vector<std::vector<attr>> chars;
  std::vector<double> baselines;
  std::vector<dpred> knockouts;
  std::vector<double> knockout_scores;
  double initial;
  size_t codes;
};

dcard compile(const score::model &m) {
  dcard d;
  d.initial = std::stod(score::format_fixed(m.initial_score));
  d.codes = m.reason_codes.size();
  for (const auto &c : m.characteristics) {
    std::vector<dcard::attr> attrs;
    for (const auto &a : c.attributes) attrs.push_back({to_double(a.when), std::stod(score::format_fixed(a.partial_score)), a.reason});
    d.chars.push_back(std::move(attrs));
    d.baselines.push_back(std::stod(score::format_fixed(c.baseline_score ? *c.baseline_score : *m.baseline_score)));
  }
  for (const auto &k : m.knockouts) {
    d.knockouts.push_back(to_double(k.when));
    d.knockout_scores.push_back(std::stod(score::format_fixed(k.score)));
  }
  return d;
}

// The same steps as score::evaluate, in double: knock-outs, points, reason
// codes summed per code, the non-negative ones ranked.
double dscore(const dcard &d, const dinput *in, std::vector<double> &points, std::vector<uint8_t> &seen,
              std::vector<int32_t> &order) {
  for (size_t k = 0; k < d.knockouts.size(); ++k)
    if (deval(d.knockouts[k], in) == 1) return d.knockout_scores[k];
  points.assign(d.codes, 0);
  seen.assign(d.codes, 0);
  double total = d.initial;
  for (size_t c = 0; c < d.chars.size(); ++c)
    for (const auto &a : d.chars[c])
      if (deval(a.when, in) == 1) {
        total += a.points;
        points[static_cast<size_t>(a.reason)] += d.baselines[c] - a.points;
        seen[static_cast<size_t>(a.reason)] = 1;
        break;
      }
  order.clear();
  for (size_t i = 0; i < d.codes; ++i)
    if (seen[i] && points[i] >= 0) order.push_back(static_cast<int32_t>(i));
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return points[a] > points[b]; });
  return total;
}

int memory(uint64_t n) {
  // Realistic features: those of generated subjects, through a store.
  bool built = false;
  auto s = xyd::bench::open_or_build(2000, built);
  if (!s) return 2;
  auto m = score::default_model();
  auto list = json::parse(*s->subjects(false));
  std::vector<std::vector<score::input>> pool;
  for (const auto &subject : list->items) {
    record_query q;
    q.subject = subject.text;
    q.history = true;
    auto features = score::features_from_records(*s->records(q));
    auto bound = score::bind(*m, *features);
    if (!bound) {
      std::fprintf(stderr, "%s\n", bound.error().message().c_str());
      return 2;
    }
    pool.push_back(std::move(*bound));
  }
  std::vector<std::vector<dinput>> dpool;
  for (const auto &in : pool) {
    std::vector<dinput> d;
    for (const auto &x : in)
      d.push_back({static_cast<uint8_t>(x.type == score::input::kind::missing ? 0 : x.type == score::input::kind::number ? 1 : 2),
                   x.type == score::input::kind::number ? std::stod(score::format_fixed(x.number)) : 0.0, x.category});
    dpool.push_back(std::move(d));
  }
  const dcard card = compile(*m);
  score::outcome out;
  score::workspace ws;
  std::vector<double> points;
  std::vector<uint8_t> seen;
  std::vector<int32_t> order;
  double best_exact = 1e9, best_double = 1e9;
  score::fixed exact_sum = 0;
  double double_sum = 0;
  for (int round = 0; round < 3; ++round) {
    exact_sum = 0;
    auto t0 = clock_type::now();
    for (uint64_t i = 0; i < n; ++i) {
      const auto &in = pool[i % pool.size()];
      if (auto st = score::evaluate(*m, in.data(), in.size(), out, ws); !st) {
        std::fprintf(stderr, "%s\n", st.message().c_str());
        return 2;
      }
      exact_sum += out.score;
    }
    best_exact = std::min(best_exact, seconds_since(t0));
    double_sum = 0;
    t0 = clock_type::now();
    for (uint64_t i = 0; i < n; ++i) double_sum += dscore(card, dpool[i % dpool.size()].data(), points, seen, order);
    best_double = std::min(best_double, seconds_since(t0));
  }
  const double exact_rate = n / best_exact, double_rate = n / best_double;
  std::printf("score memory: %llu evaluations of %s (%zu characteristics, %zu knock-outs) over %zu generated subjects\n",
              static_cast<unsigned long long>(n), m->id.c_str(), m->characteristics.size(), m->knockouts.size(), pool.size());
  std::printf("  exact (128-bit decimal):  %12.0f subjects/s   %.3f µs each   (target 1,000,000)\n", exact_rate,
              1e6 / exact_rate);
  std::printf("  same card in double:      %12.0f subjects/s   %.3f µs each\n", double_rate, 1e6 / double_rate);
  std::printf("  exact / double: %.2f   (sums agree: %s)\n", exact_rate / double_rate,
              std::fabs(std::stod(score::format_fixed(exact_sum)) - double_sum) < 1e-3 * n ? "yes" : "NO");
  return exact_rate >= 1e6 ? 0 : 1;
}

int batch(uint64_t subjects) {
  bool built = false;
  const auto t_build = clock_type::now();
  auto s = xyd::bench::open_or_build(subjects, built);
  if (!s) return 2;
  if (built) std::printf("built the store in %.1f s\n", seconds_since(t_build));
  double rate[3] = {0, 0, 0};
  for (unsigned threads : {1u, 2u}) {
    score::batch_options o;
    o.threads = threads;
    o.write_back = false;
    size_t lines = 0;
    const auto t0 = clock_type::now();
    auto summary = score::score_all(*s, o, [&](const std::string &) { ++lines; });
    const double secs = seconds_since(t0);
    if (!summary) {
      std::fprintf(stderr, "%s\n", summary.error().message().c_str());
      return 2;
    }
    rate[threads] = lines / secs;
    std::printf("score batch: %zu subjects on %u thread%s: %.1f s, %.0f subjects/s\n", lines, threads, threads > 1 ? "s" : "",
                secs, rate[threads]);
    if (threads == 2) std::printf("  %s\n", summary->c_str());
  }
  std::printf("  two threads / one: %.2f   (target 1.6)\n", rate[2] / rate[1]);
  return rate[2] / rate[1] >= 1.6 ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  const std::string mode = argc > 1 ? argv[1] : "memory";
  const uint64_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0;
  if (mode == "memory") return memory(n ? n : 2000000);
  if (mode == "batch") return batch(n ? n : 100000);
  std::fprintf(stderr, "usage: xyd_bench_score memory [N] | batch [SUBJECTS]\n");
  return 2;
}
