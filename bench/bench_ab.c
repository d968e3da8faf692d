/* Two builds of libxyd in one process, through the C ABI, calls
 * interleaved: the same request to build A, then to build B (the order
 * alternating), so that both see the same machine at the same moment.
 * On a machine whose speed drifts (a shared VM), back-to-back runs of two
 * programs differ by more than the builds do; interleaved calls do not.
 *
 *   xyd_bench_ab A.so B.so report [ROUNDS]        the report of bench_report (store of 100,000 subjects, 3 months)
 *   xyd_bench_ab A.so B.so score THREADS [RUNS]    batch scoring of the 24-month store, runs in the order A B B A …
 *   xyd_bench_ab A.so B.so fetch [ROUNDS]          a subject's current records (the 3-month store)
 *
 * Each build opens its own copy of the store (built by xyd_bench_report
 * and xyd_bench_score under /tmp/xyd-bench-100000-*m): B the fixture
 * itself, A the directory $XYD_AB_A_3M / $XYD_AB_A_24M names (a copy made
 * before B's build upgraded the fixture's schema; the fixture when unset).
 * Prints medians of each build and B/A.
 * SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct xyd_store xyd_store;
typedef struct {
  const char *path;
  void *h;
  int (*open_key_file)(const char *, const char *, unsigned, xyd_store **);
  void (*close)(xyd_store *);
  void (*free_)(void *);
  int (*subjects)(xyd_store *, char **);
  int (*records)(xyd_store *, const char *, char **);
  int (*report)(xyd_store *, const char *, char **);
  int (*score)(xyd_store *, const char *, char **);
  int (*keygen)(char **, char **);
  int (*issue)(const char *, const char *, char **);
  int (*trust)(xyd_store *, const char *, const char *);
  const char *(*errmsg)(void);
  const char *(*version)(void);
  xyd_store *s;
} lib;

static void *sym(lib *l, const char *name) {
  void *p = dlsym(l->h, name);
  if (!p) {
    fprintf(stderr, "%s: no symbol %s\n", l->path, name);
    exit(2);
  }
  return p;
}

static void load(lib *l, const char *path) {
  l->path = path;
  /* RTLD_LOCAL: each build's symbols stay its own (a build exports only
   * its xyd_ functions, so its calls inside resolve to itself). */
  l->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!l->h) {
    fprintf(stderr, "%s\n", dlerror());
    exit(2);
  }
  l->open_key_file = sym(l, "xyd_store_open_key_file");
  l->close = sym(l, "xyd_store_close");
  l->free_ = sym(l, "xyd_free");
  l->subjects = sym(l, "xyd_store_subjects");
  l->records = sym(l, "xyd_store_records");
  l->report = sym(l, "xyd_store_report");
  l->score = sym(l, "xyd_store_score");
  l->keygen = sym(l, "xyd_paserk_keygen");
  l->issue = sym(l, "xyd_consent_issue");
  l->trust = sym(l, "xyd_store_trust_key");
  l->errmsg = sym(l, "xyd_errmsg");
  l->version = sym(l, "xyd_version_string");
}

/* Build A's copy of the fixture. */
static const char *a_dir(const char *fixture, const char *env) {
  const char *d = getenv(env);
  return d && *d ? d : fixture;
}

static void open_store(lib *l, const char *dir) {
  char db[512], key[512];
  snprintf(db, sizeof db, "%s/store.db", dir);
  snprintf(key, sizeof key, "%s/key", dir);
  if (l->open_key_file(db, key, 0, &l->s) != 0) {
    fprintf(stderr, "%s: %s: %s\n", l->path, db, l->errmsg());
    exit(2);
  }
}

static double cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}
static double wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp);
  return v[n / 2];
}

/* The subjects of a JSON array of strings (ids: no escapes), last first. */
static size_t split_subjects(char *json, char ***out) {
  size_t cap = 1024, n = 0;
  char **list = malloc(cap * sizeof *list);
  for (char *p = strchr(json, '"'); p; p = strchr(p + 1, '"')) {
    char *end = strchr(p + 1, '"');
    if (!end) break;
    *end = 0;
    if (n == cap) list = realloc(list, (cap *= 2) * sizeof *list);
    list[n++] = p + 1;
    p = end;
  }
  for (size_t i = 0; i < n / 2; ++i) {
    char *t = list[i];
    list[i] = list[n - 1 - i];
    list[n - 1 - i] = t;
  }
  *out = list;
  return n;
}

static size_t count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) ++n;
  return n;
}

/* Interleaved calls of one request per subject; `make` writes the request. */
typedef int (*call_fn)(lib *, const char *req, char **out);
static int call_report(lib *l, const char *req, char **out) { return l->report(l->s, req, out); }
static int call_records(lib *l, const char *req, char **out) { return l->records(l->s, req, out); }

static void interleave(lib *a, lib *b, call_fn f, char **requests, size_t n, int rounds, const char *what) {
  double *ca = malloc(n * rounds * sizeof(double)), *cb = malloc(n * rounds * sizeof(double));
  double *wa = malloc(n * rounds * sizeof(double)), *wb = malloc(n * rounds * sizeof(double));
  size_t k = 0;
  for (int round = 0; round < rounds + 1; ++round)
    for (size_t i = 0; i < n; ++i) {
      lib *order[2] = {a, b};
      if ((i + round) % 2) order[0] = b, order[1] = a;
      for (int j = 0; j < 2; ++j) {
        lib *l = order[j];
        char *out = NULL;
        const double w0 = wall_us(), c0 = cpu_us();
        if (f(l, requests[i], &out) != 0) {
          fprintf(stderr, "%s: %s\n", l->path, l->errmsg());
          exit(2);
        }
        const double c = cpu_us() - c0, w = wall_us() - w0;
        l->free_(out);
        if (round == 0) continue; /* the first round warms caches (tokens, pages) */
        if (l == a) ca[k] = c, wa[k] = w;
        else cb[k] = c, wb[k] = w;
      }
      if (round > 0) ++k;
    }
  const double ma = median(wa, k), mb = median(wb, k), mca = median(ca, k), mcb = median(cb, k);
  printf("%s: %zu requests x %d rounds, interleaved\n", what, n, rounds);
  printf("  A %s: median %.1f us wall, %.1f us CPU\n", a->version(), ma, mca);
  printf("  B %s: median %.1f us wall, %.1f us CPU\n", b->version(), mb, mcb);
  printf("  B / A: %.2f wall, %.2f CPU\n", mb / ma, mcb / mca);
}

static int report_mode(lib *a, lib *b, int rounds) {
  const char *dir = "/tmp/xyd-bench-100000-3m";
  open_store(b, dir);
  open_store(a, a_dir(dir, "XYD_AB_A_3M"));
  char *list_json = NULL;
  if (b->subjects(b->s, &list_json) != 0) return fprintf(stderr, "%s\n", b->errmsg()), 2;
  char **subjects;
  const size_t n_all = split_subjects(list_json, &subjects);
  /* Enterprises with 38-45 records, as bench_report chooses them. */
  char **chosen = malloc(300 * sizeof *chosen);
  size_t n = 0;
  for (size_t i = 0; i < n_all && i < 20000 && n < 300; ++i) {
    char q[256], *out = NULL;
    snprintf(q, sizeof q, "{\"subject\":\"%s\",\"history\":true}", subjects[i]);
    if (b->records(b->s, q, &out) != 0) return fprintf(stderr, "%s\n", b->errmsg()), 2;
    const size_t records = count(out, "\"current\":");
    b->free_(out);
    if (records >= 38 && records <= 45) chosen[n++] = subjects[i];
  }
  if (!n) return fprintf(stderr, "no subject with 38-45 records\n"), 2;
  /* A consent per subject from a newly trusted platform key. */
  char *secret = NULL, *public_ = NULL;
  b->keygen(&secret, &public_);
  for (lib *l = a; l; l = l == a ? b : NULL)
    if (l->trust(l->s, public_, "{\"issuer\":\"bench-ab\"}") != 0) return fprintf(stderr, "%s\n", l->errmsg()), 2;
  char **requests = malloc(n * sizeof *requests);
  for (size_t i = 0; i < n; ++i) {
    char claims[512], *token = NULL;
    snprintf(claims, sizeof claims,
             "{\"iss\":\"bench-ab\",\"sub\":\"%s\",\"aud\":\"bank-001\",\"exp\":\"2099-01-01T00:00:00Z\","
             "\"scope\":[\"tax\",\"legal_rep\",\"shareholder\",\"social\",\"customs\",\"env\"],\"purpose\":[\"approval\"]}",
             chosen[i]);
    if (b->issue(secret, claims, &token) != 0) return fprintf(stderr, "%s\n", b->errmsg()), 2;
    requests[i] = malloc(strlen(token) + 512);
    sprintf(requests[i],
            "{\"subject\":\"%s\",\"audience\":\"bank-001\",\"purpose\":\"approval\",\"role\":\"loan_officer\",\"token\":\"%s\"}",
            chosen[i], token);
    b->free_(token);
  }
  interleave(a, b, call_report, requests, n, rounds, "report (consent check, decryption, masking, score, audit append)");
  return 0;
}

static int fetch_mode(lib *a, lib *b, int rounds) {
  const char *dir = "/tmp/xyd-bench-100000-3m";
  open_store(a, a_dir(dir, "XYD_AB_A_3M"));
  open_store(b, dir);
  char *list_json = NULL;
  if (b->subjects(b->s, &list_json) != 0) return fprintf(stderr, "%s\n", b->errmsg()), 2;
  char **subjects;
  const size_t n_all = split_subjects(list_json, &subjects);
  const size_t n = n_all < 2000 ? n_all : 2000;
  char **requests = malloc(n * sizeof *requests);
  for (size_t i = 0; i < n; ++i) {
    /* Every 50th subject of the store: persons and enterprises. */
    requests[i] = malloc(256);
    snprintf(requests[i], 256, "{\"subject\":\"%s\"}", subjects[(i * 50) % n_all]);
  }
  interleave(a, b, call_records, requests, n, rounds, "fetch of a subject's current records");
  return 0;
}

/* Drops the scores a batch kept (outside the timed calls), so that every
 * run starts from the same store: otherwise each run adds 100,000 sealed
 * results (about 250 MB) and the stores outgrow the page cache. */
static int drop_scores(const char *dir) {
  char db[512];
  snprintf(db, sizeof db, "%s/store.db", dir);
  sqlite3 *h = NULL;
  char *err = NULL;
  int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(h, 30000);
    rc = sqlite3_exec(h, "PRAGMA secure_delete = off; DELETE FROM scores; PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, &err);
  }
  if (rc != SQLITE_OK) fprintf(stderr, "%s: dropping the kept scores: %s\n", db, err ? err : sqlite3_errmsg(h));
  sqlite3_free(err);
  sqlite3_close(h);
  return rc == SQLITE_OK ? 0 : 2;
}

static int score_mode(lib *a, lib *b, int threads, int runs) {
  const char *dir = "/tmp/xyd-bench-100000-24m";
  const char *dirs[2] = {a_dir(dir, "XYD_AB_A_24M"), dir};
  open_store(a, dirs[0]);
  open_store(b, dirs[1]);
  if (drop_scores(dirs[0]) || drop_scores(dirs[1])) return 2;
  char req[128];
  snprintf(req, sizeof req, "{\"all\":true,\"threads\":%d}", threads);
  double ta = 0, tb = 0;
  for (int r = 0; r < runs; ++r) {
    lib *order[2] = {a, b};
    if (r % 2) order[0] = b, order[1] = a; /* A B, B A, … */
    for (int j = 0; j < 2; ++j) {
      char *out = NULL;
      const double w0 = wall_us();
      if (order[j]->score(order[j]->s, req, &out) != 0) return fprintf(stderr, "%s\n", order[j]->errmsg()), 2;
      const double secs = (wall_us() - w0) / 1e6;
      const size_t subjects = count(out, "\"subject\":");
      order[j]->free_(out);
      if (drop_scores(dirs[order[j] == a ? 0 : 1])) return 2;
      printf("  run %d %s: %zu subjects in %.1f s: %.0f subjects/s\n", r + 1, order[j] == a ? "A" : "B", subjects, secs,
             subjects / secs);
      if (order[j] == a) ta += secs;
      else tb += secs;
    }
  }
  printf("score batch on %d thread%s, %d run%s each: A %s %.1f s, B %s %.1f s; B rate / A rate: %.2f\n", threads,
         threads > 1 ? "s" : "", runs, runs > 1 ? "s" : "", a->version(), ta, b->version(), tb, ta / tb);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: xyd_bench_ab A.so B.so report [ROUNDS] | score THREADS [RUNS] | fetch [ROUNDS]\n");
    return 2;
  }
  lib a = {0}, b = {0};
  load(&a, argv[1]);
  load(&b, argv[2]);
  if (!strcmp(argv[3], "report")) return report_mode(&a, &b, argc > 4 ? atoi(argv[4]) : 5);
  if (!strcmp(argv[3], "fetch")) return fetch_mode(&a, &b, argc > 4 ? atoi(argv[4]) : 5);
  if (!strcmp(argv[3], "score")) return score_mode(&a, &b, argc > 4 ? atoi(argv[4]) : 1, argc > 5 ? atoi(argv[5]) : 2);
  fprintf(stderr, "unknown mode %s\n", argv[3]);
  return 2;
}
