/* Drives every function of the C ABI, error paths included. Compiled as
 * C11 with -pedantic -Werror against the shared library.
 * SPDX-License-Identifier: Apache-2.0 */
/* mkdtemp and rmdir are POSIX; xyd.h itself needs nothing beyond C11. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xyd.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                   \
  do {                                                                \
    ++checks;                                                         \
    if (!(cond)) {                                                    \
      ++failures;                                                     \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                 \
  } while (0)

static int contains(const char *haystack, const char *needle) {
  return haystack && needle && strstr(haystack, needle) != NULL;
}

static void test_version(void) {
  CHECK(xyd_version_number() == XYD_VERSION_NUMBER);
  CHECK(strcmp(xyd_version_string(), XYD_VERSION_STRING) == 0);
}

static void test_status(void) {
  int code;
  for (code = XYD_ECONSENT; code <= XYD_OK; ++code) {
    CHECK(xyd_strerror(code) != NULL);
    CHECK(strlen(xyd_strerror(code)) > 0);
  }
  CHECK(strcmp(xyd_strerror(-12345), "unknown error code") == 0);
  CHECK(strcmp(xyd_strerror(7), "unknown error code") == 0);
  CHECK(xyd_errmsg() != NULL);
  xyd_free(NULL);
}

static void test_catalog(void) {
  char *json = NULL;
  CHECK(xyd_catalog_json(NULL) == XYD_EINVAL);
  CHECK(contains(xyd_errmsg(), "NULL"));
  CHECK(xyd_catalog_json(&json) == XYD_OK);
  CHECK(contains(json, "\"version\":\"CN-2024\""));
  CHECK(contains(json, "\"id\":\"judicial.dishonest_debtor\""));
  CHECK(contains(json, "\"channel\":\"verification\""));
  xyd_free(json);
}

static void test_extension(void) {
  const char *ext =
      "{\"version\":\"SC-2025-C\",\"categories\":[{\"number\":201,\"id\":\"sc_tea\",\"zh\":\"茶产业\",\"en\":\"Tea\"}],"
      "\"item_types\":[{\"id\":\"sc.tea_garden\",\"category\":201,\"zh\":\"茶园信息\",\"en\":\"Tea gardens\","
      "\"channel\":\"local_physical\",\"subjects\":[\"uscc\",\"rid\"],\"kind\":\"state\","
      "\"fields\":[{\"key\":\"area\",\"zh\":\"面积\",\"type\":\"quantity\",\"unit\":\"mu\"}],\"natural_key\":[]}]}";
  const char *redefine =
      "{\"version\":\"SC-2025-X\",\"item_types\":[{\"id\":\"marital\",\"category\":17,\"zh\":\"x\",\"en\":\"x\","
      "\"channel\":\"local_physical\",\"subjects\":[\"uscc\"],\"fields\":[],\"natural_key\":[]}]}";
  char *json = NULL;
  CHECK(xyd_catalog_load_extension(NULL) == XYD_EINVAL);
  CHECK(xyd_catalog_load_extension("{\"version\":") == XYD_EPARSE);
  CHECK(xyd_catalog_load_extension("{\"version\":\"V\",\"item_types\":[{}]}") == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "$.item_types[0]"));
  CHECK(xyd_catalog_load_extension(redefine) == XYD_EEXISTS);
  CHECK(contains(xyd_errmsg(), "marital"));
  CHECK(xyd_catalog_load_extension(ext) == XYD_OK);
  CHECK(xyd_catalog_load_extension(ext) == XYD_EEXISTS);
  CHECK(xyd_catalog_json(&json) == XYD_OK);
  CHECK(contains(json, "\"id\":\"sc.tea_garden\""));
  CHECK(contains(json, "\"extensions\":[\"SC-2025-C\"]"));
  xyd_free(json);
}

static void test_ids(void) {
  char *out = NULL;
  CHECK(xyd_validate_uscc("91350100M000100Y43") == XYD_OK);
  CHECK(xyd_validate_uscc("91350100M000100Y44") == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "expected '3'"));
  CHECK(!contains(xyd_errmsg(), "91350100M000100Y44"));
  CHECK(xyd_validate_uscc("9135010") == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "18 characters"));
  CHECK(xyd_validate_uscc("91350100M00O100Y43") == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "position 12"));
  CHECK(xyd_validate_uscc("91350100m000100y43") == XYD_EVALIDATION);
  CHECK(xyd_validate_uscc("Z1350100M000100Y43") == XYD_EVALIDATION);
  CHECK(xyd_validate_uscc(NULL) == XYD_EINVAL);

  CHECK(xyd_validate_rid("11010519491231002X") == XYD_OK);
  CHECK(xyd_validate_rid("11010519491231002x") == XYD_EVALIDATION);
  CHECK(xyd_validate_rid("110105194912310021") == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "expected 'X'"));
  CHECK(xyd_validate_rid("110105194902300021") == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "impossible birth date"));
  CHECK(xyd_validate_rid("990105194912310021") == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "province"));
  CHECK(xyd_validate_rid("110105299912310021") == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "future"));
  CHECK(xyd_validate_rid(NULL) == XYD_EINVAL);

  CHECK(xyd_normalize_id(" 91350100m000100y43 ", &out) == XYD_OK);
  CHECK(out && strcmp(out, "91350100M000100Y43") == 0);
  xyd_free(out);
  CHECK(xyd_normalize_id(NULL, &out) == XYD_EINVAL);
  CHECK(out == NULL);
  CHECK(xyd_normalize_id("x", NULL) == XYD_EINVAL);
}

static void test_records(void) {
  const char *good =
      "{\"type\":\"legal_rep\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-06-30\",\"source\":\"c\","
      "\"data\":{\"enterprise_name\":\"福州示例有限公司\",\"uscc\":\"91350100M000100Y43\",\"rep_name\":\"欧阳娜娜\"}}";
  const char *bad =
      "{\"type\":\"legal_rep\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-13-01\",\"source\":\"c\","
      "\"data\":{\"uscc\":\"91350100M000100Y43\",\"rep_name\":7}}";
  char *problems = NULL;
  char *normal = NULL;
  CHECK(xyd_validate_record(good, &problems) == XYD_OK);
  CHECK(problems && strcmp(problems, "[]") == 0);
  xyd_free(problems);
  CHECK(xyd_validate_record(bad, &problems) == XYD_EVALIDATION);
  CHECK(contains(problems, "\"path\":\"$.as_of\""));
  CHECK(contains(problems, "\"path\":\"$.data.enterprise_name\""));
  CHECK(contains(problems, "\"path\":\"$.data.rep_name\""));
  CHECK(contains(xyd_errmsg(), "3 problem(s)"));
  xyd_free(problems);
  CHECK(xyd_validate_record("{\"type\":", &problems) == XYD_EPARSE);
  CHECK(contains(problems, "\"code\":\"syntax\""));
  xyd_free(problems);
  CHECK(xyd_validate_record(NULL, &problems) == XYD_EINVAL);
  CHECK(problems == NULL);
  CHECK(xyd_validate_record(good, NULL) == XYD_EINVAL);

  CHECK(xyd_normalize_record("{\"type\":\"legal_rep\",\"subject\":\" 91350100m000100y43\",\"as_of\":\"2024/6/30\"}",
                             &normal) == XYD_OK);
  CHECK(contains(normal, "\"subject\":\"91350100M000100Y43\""));
  CHECK(contains(normal, "\"as_of\":\"2024-06-30\""));
  xyd_free(normal);
  CHECK(xyd_normalize_record("nope", &normal) == XYD_EPARSE);
  CHECK(normal == NULL);
  CHECK(xyd_normalize_record(NULL, &normal) == XYD_EINVAL);
  CHECK(xyd_normalize_record("{}", NULL) == XYD_EINVAL);
}

static void test_store(void) {
  const char *feed =
      "{\"type\":\"legal_rep\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-05-31\",\"source\":\"c\","
      "\"data\":{\"enterprise_name\":\"福州示例有限公司\",\"uscc\":\"91350100M000100Y43\",\"rep_name\":\"欧阳娜娜\"}}\n"
      "{\"type\":\"legal_rep\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-06-30\",\"source\":\"c\","
      "\"data\":{\"enterprise_name\":\"福州示例有限公司\",\"uscc\":\"91350100M000100Y43\",\"rep_name\":\"司马光\"}}\n";
  const char *bad = "{\"type\":\"legal_rep\"}\n";
  char dir[] = "/tmp/xyd-abi-XXXXXX";
  char db[256], keyfile[256], missing[256];
  unsigned char key[XYD_KEY_BYTES], other[XYD_KEY_BYTES];
  xyd_store *st = NULL;
  char *out = NULL;
  if (!mkdtemp(dir)) {
    CHECK(0);
    return;
  }
  snprintf(db, sizeof db, "%s/s.db", dir);
  snprintf(keyfile, sizeof keyfile, "%s/k", dir);
  snprintf(missing, sizeof missing, "%s/none.db", dir);

  CHECK(xyd_key_generate(NULL) == XYD_EINVAL);
  CHECK(xyd_key_generate(key) == XYD_OK);
  CHECK(xyd_key_generate(other) == XYD_OK);
  CHECK(memcmp(key, other, sizeof key) != 0);
  CHECK(xyd_key_file_generate(keyfile) == XYD_OK);
  CHECK(xyd_key_file_generate(keyfile) == XYD_EEXISTS);
  CHECK(xyd_key_file_generate(NULL) == XYD_EINVAL);
  {
    /* weak keys: refused for a new store, told by xyd_key_check */
    unsigned char zero[XYD_KEY_BYTES] = {0};
    const unsigned char *phrase = (const unsigned char *)"correct horse battery staple 123";
    CHECK(xyd_key_check(key, sizeof key) == XYD_OK);
    CHECK(xyd_key_check(zero, sizeof zero) == XYD_EKEY && strstr(xyd_errmsg(), "weak key"));
    CHECK(xyd_key_check(phrase, 32) == XYD_EKEY && strstr(xyd_errmsg(), "printable"));
    CHECK(xyd_key_check(NULL, 32) == XYD_EINVAL);
    CHECK(xyd_key_check(key, 31) == XYD_EINVAL);
    CHECK(xyd_store_open(db, zero, sizeof zero, XYD_OPEN_CREATE, &st) == XYD_EKEY && st == NULL);
    CHECK(access(db, F_OK) != 0); /* nothing made */
    xyd_free_secret(NULL);
  }

  CHECK(xyd_store_open(db, key, 16, XYD_OPEN_CREATE, &st) == XYD_EINVAL);
  CHECK(st == NULL);
  CHECK(xyd_store_open(db, key, sizeof key, 0x80, &st) == XYD_EINVAL);
  CHECK(xyd_store_open(missing, key, sizeof key, 0, &st) == XYD_ENOTFOUND);
  CHECK(xyd_store_open(db, key, sizeof key, XYD_OPEN_CREATE, NULL) == XYD_EINVAL);
  CHECK(xyd_store_open(db, key, sizeof key, XYD_OPEN_CREATE, &st) == XYD_OK);
  CHECK(st != NULL);

  CHECK(xyd_store_ingest(st, feed, strlen(feed), 0, &out) == XYD_OK);
  CHECK(contains(out, "\"inserted\":2"));
  xyd_free(out);
  CHECK(xyd_store_ingest(st, feed, strlen(feed), 0, &out) == XYD_OK);
  CHECK(contains(out, "\"changed\":false"));
  xyd_free(out);
  CHECK(xyd_store_ingest(st, bad, strlen(bad), 0, &out) == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "line 1: "));
  CHECK(contains(out, "\"committed\":false"));
  xyd_free(out);
  CHECK(xyd_store_ingest(st, bad, strlen(bad), XYD_INGEST_SKIP_INVALID, &out) == XYD_OK);
  CHECK(contains(out, "\"rejected\":1"));
  xyd_free(out);
  CHECK(xyd_store_ingest(st, bad, strlen(bad), 0x40, &out) == XYD_EINVAL);
  CHECK(xyd_store_ingest(NULL, bad, strlen(bad), 0, &out) == XYD_EINVAL);
  CHECK(xyd_store_ingest_file(st, missing, 0, &out) == XYD_EIO);
  CHECK(out == NULL);

  CHECK(xyd_store_records(st, "{\"subject\":\"91350100M000100Y43\"}", &out) == XYD_OK);
  CHECK(contains(out, "司马光") && !contains(out, "欧阳娜娜"));
  xyd_free(out);
  CHECK(xyd_store_records(st, "{\"subject\":\"91350100M000100Y43\",\"history\":true}", &out) == XYD_OK);
  CHECK(contains(out, "司马光") && contains(out, "欧阳娜娜"));
  CHECK(contains(out, "\"id\":1,"));
  xyd_free(out);
  CHECK(xyd_store_records(st, "{\"subject\":7}", &out) == XYD_EINVAL);
  CHECK(xyd_store_records(st, "{\"history\":true}", &out) == XYD_EINVAL);
  CHECK(xyd_store_records(st, "not json", &out) == XYD_EINVAL);
  CHECK(xyd_store_subjects(st, &out) == XYD_OK);
  CHECK(out && strcmp(out, "[\"91350100M000100Y43\"]") == 0);
  xyd_free(out);

  CHECK(xyd_store_repair(st, "{\"id\":2,\"action\":\"repair\",\"reason\":\"已整改\",\"date\":\"2024-07-01\",\"operator\":\"op\"}") == XYD_OK);
  CHECK(xyd_store_repair(st, "{\"id\":2,\"action\":\"repair\",\"reason\":\"x\",\"date\":\"2024-07-01\",\"operator\":\"op\"}") == XYD_EEXISTS);
  CHECK(xyd_store_repair(st, "{\"id\":99,\"action\":\"withdraw\",\"reason\":\"x\",\"date\":\"2024-07-01\",\"operator\":\"op\"}") == XYD_ENOTFOUND);
  CHECK(xyd_store_repair(st, "{\"id\":1,\"action\":\"erase\",\"reason\":\"x\",\"date\":\"2024-07-01\",\"operator\":\"op\"}") == XYD_EINVAL);
  CHECK(xyd_store_repair(st, "{\"id\":1,\"colour\":\"red\"}") == XYD_EINVAL);
  CHECK(xyd_store_stats(st, &out) == XYD_OK);
  CHECK(contains(out, "\"repaired\":1") && contains(out, "\"records\":2"));
  xyd_free(out);
  CHECK(xyd_store_purge(st, "2024-13-01", &out) == XYD_EINVAL);
  CHECK(xyd_store_purge(st, "2024-06-01", &out) == XYD_OK);
  CHECK(contains(out, "\"deleted\":1"));
  xyd_free(out);

  CHECK(xyd_store_rekey(st, other, 31) == XYD_EINVAL);
  CHECK(xyd_store_rekey(st, other, sizeof other) == XYD_OK);
  xyd_store_close(st);
  st = NULL;
  xyd_store_close(NULL);
  CHECK(xyd_store_open(db, key, sizeof key, 0, &st) == XYD_EKEY);
  CHECK(contains(xyd_errmsg(), "wrong key"));
  CHECK(xyd_store_open(db, other, sizeof other, XYD_OPEN_READONLY, &st) == XYD_OK);
  CHECK(xyd_store_ingest(st, feed, strlen(feed), 0, &out) == XYD_EREADONLY);
  CHECK(xyd_store_records(st, "{\"subject\":\"91350100M000100Y43\",\"history\":true}", &out) == XYD_OK);
  CHECK(contains(out, "\"state\":\"repaired\""));
  xyd_free(out);
  xyd_store_close(st);
  CHECK(xyd_store_open_key_file(db, keyfile, 0, &st) == XYD_EKEY);
  CHECK(xyd_store_open_key_file(missing, keyfile, XYD_OPEN_CREATE, &st) == XYD_OK);
  xyd_store_close(st);
  remove(db);
  remove(missing);
  remove(keyfile);
  snprintf(db, sizeof db, "%s/s.db-wal", dir);
  remove(db);
  snprintf(db, sizeof db, "%s/s.db-shm", dir);
  remove(db);
  snprintf(db, sizeof db, "%s/none.db-wal", dir);
  remove(db);
  snprintf(db, sizeof db, "%s/none.db-shm", dir);
  remove(db);
  rmdir(dir);
}

static void test_paseto_and_consent(void) {
  char *secret = NULL, *public_key = NULL, *local = NULL, *id = NULL, *token = NULL, *message = NULL, *footer = NULL;
  char *claims = NULL, *decision = NULL, *out = NULL;
  char dir[] = "/tmp/xyd-abi-consent-XXXXXX";
  char db[256], query[2048], request[2048];
  unsigned char key[XYD_KEY_BYTES];
  xyd_store *st = NULL;
  const char *feed =
      "{\"type\":\"legal_rep\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-06-30\",\"source\":\"c\","
      "\"data\":{\"enterprise_name\":\"示例\",\"uscc\":\"91350100M000100Y43\",\"rep_name\":\"欧阳娜娜\"}}\n";
  const char *claims_json =
      "{\"iss\":\"platform\",\"sub\":\"91350100M000100Y43\",\"aud\":\"bank-1\",\"exp\":\"2099-01-01T00:00:00Z\","
      "\"scope\":[\"legal_rep\"],\"purpose\":\"pre_loan\"}";

  CHECK(xyd_paserk_keygen(&secret, &public_key) == XYD_OK);
  CHECK(contains(secret, "k4.secret.") && contains(public_key, "k4.public."));
  CHECK(xyd_paserk_keygen(NULL, &public_key) == XYD_EINVAL);
  CHECK(xyd_paserk_local_keygen(&local) == XYD_OK);
  CHECK(xyd_paserk_id(public_key, &id) == XYD_OK && contains(id, "k4.pid."));
  xyd_free(id);
  CHECK(xyd_paserk_id(secret, &id) == XYD_OK && contains(id, "k4.sid."));
  xyd_free(id);
  CHECK(xyd_paserk_id(local, &id) == XYD_OK && contains(id, "k4.lid."));
  xyd_free(id);
  CHECK(xyd_paserk_id("k3.public.AAAA", &id) == XYD_EVALIDATION);

  CHECK(xyd_paseto_sign(secret, "{\"a\":1}", "{\"kid\":\"x\"}", "i", &token) == XYD_OK);
  CHECK(xyd_paseto_verify(public_key, token, "i", &message, &footer) == XYD_OK);
  CHECK(message && strcmp(message, "{\"a\":1}") == 0 && footer && strcmp(footer, "{\"kid\":\"x\"}") == 0);
  xyd_free(message);
  xyd_free(footer);
  CHECK(xyd_paseto_verify(public_key, token, "j", &message, NULL) == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "bad signature") && !contains(xyd_errmsg(), token));
  CHECK(message == NULL);
  CHECK(xyd_paseto_footer(token, &footer) == XYD_OK && strcmp(footer, "{\"kid\":\"x\"}") == 0);
  xyd_free(footer);
  xyd_free(token);
  CHECK(xyd_paseto_encrypt(local, "hidden", NULL, NULL, &token) == XYD_OK);
  CHECK(xyd_paseto_decrypt(local, token, NULL, &message, NULL) == XYD_OK && strcmp(message, "hidden") == 0);
  xyd_free(message);
  CHECK(xyd_paseto_decrypt(local, token, "x", &message, NULL) == XYD_EVALIDATION);
  xyd_free(token);

  CHECK(xyd_consent_issue(secret, claims_json, &token) == XYD_OK);
  CHECK(xyd_consent_issue(secret, "{\"sub\":\"x\"}", &out) == XYD_EVALIDATION);
  CHECK(xyd_consent_verify(public_key, token, &claims) == XYD_OK && contains(claims, "\"jti\""));
  xyd_free(claims);

  if (!mkdtemp(dir)) {
    CHECK(0);
    return;
  }
  snprintf(db, sizeof db, "%s/s.db", dir);
  CHECK(xyd_key_generate(key) == XYD_OK);
  CHECK(xyd_store_open(db, key, sizeof key, XYD_OPEN_CREATE, &st) == XYD_OK);
  CHECK(xyd_store_ingest(st, feed, strlen(feed), 0, &out) == XYD_OK);
  xyd_free(out);
  snprintf(request, sizeof request,
           "{\"token\":\"%s\",\"subject\":\"91350100M000100Y43\",\"audience\":\"bank-1\",\"purpose\":\"pre_loan\"}",
           token);
  CHECK(xyd_store_check_consent(st, request, &decision) == XYD_ECONSENT);
  CHECK(contains(decision, "\"reason\":\"unknown_key\""));
  xyd_free(decision);
  CHECK(xyd_store_trust_key(st, public_key, "{\"issuer\":\"platform\"}") == XYD_OK);
  CHECK(xyd_store_trust_key(st, public_key, "{\"colour\":1}") == XYD_EINVAL);
  CHECK(xyd_store_keys(st, &out) == XYD_OK && contains(out, "\"issuer\":\"platform\""));
  xyd_free(out);
  CHECK(xyd_store_check_consent(st, request, &decision) == XYD_OK);
  CHECK(contains(decision, "\"granted\":true"));
  xyd_free(decision);
  snprintf(query, sizeof query,
           "{\"subject\":\"91350100M000100Y43\",\"audience\":\"bank-1\",\"purpose\":\"pre_loan\",\"token\":\"%s\"}", token);
  CHECK(xyd_store_release(st, query, &out) == XYD_OK && contains(out, "\"consent_jti\""));
  xyd_free(out);
  /* own view and release are two entry points: the own view refuses release members */
  CHECK(xyd_store_records(st, query, &out) == XYD_EINVAL && contains(xyd_errmsg(), "$.audience") &&
        contains(xyd_errmsg(), "xyd_store_release"));
  /* a member given twice is refused, naming it, not taken last-one-wins */
  CHECK(xyd_store_release(st, "{\"subject\":\"91350100M000100Y43\",\"audience\":\"bank-1\",\"subject\":\"x\"}", &out) ==
            XYD_EINVAL && contains(xyd_errmsg(), "$.subject: given twice"));
  CHECK(xyd_store_records(st, "{\"subject\":\"91350100M000100Y43\",\"category\":0}", &out) == XYD_EINVAL);
  xyd_free(out);
  CHECK(xyd_store_release(st, "{\"subject\":\"91350100M000100Y43\",\"audience\":\"bank-1\"}", &out) == XYD_OK);
  CHECK(out && strcmp(out, "[]") == 0);
  xyd_free(out);
  CHECK(xyd_store_revoke(st, "{\"subject\":\"91350100M000100Y43\",\"audience\":\"bank-1\"}") == XYD_OK);
  CHECK(xyd_store_revoke(st, "{\"subject\":\"91350100M000100Y43\"}") == XYD_EINVAL);
  CHECK(xyd_store_release(st, query, &out) == XYD_ECONSENT);
  CHECK(contains(xyd_errmsg(), "consent refused: revoked"));
  CHECK(xyd_store_retire_key(st, "k4.pid.none", "2024-01-01T00:00:00Z") == XYD_ENOTFOUND);
  xyd_store_close(st);
  xyd_free(token);
  xyd_free_secret(secret);
  xyd_free(public_key);
  xyd_free_secret(local);
  remove(db);
  snprintf(db, sizeof db, "%s/s.db-wal", dir);
  remove(db);
  snprintf(db, sizeof db, "%s/s.db-shm", dir);
  remove(db);
  rmdir(dir);
}

static void test_mask(void) {
  const char *record =
      "{\"type\":\"marital\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-06-30\",\"source\":\"c\","
      "\"data\":{\"rep_name\":\"欧阳娜娜\",\"rep_id\":\"11010519491231002X\",\"marital_status\":\"married\"}}";
  char *out = NULL;
  unsigned char key[32] = {7};
  CHECK(xyd_mask_record(record, "external", NULL, NULL, 0, &out) == XYD_OK);
  CHECK(contains(out, "欧阳**") && contains(out, "110105********002X") && !contains(out, "娜娜"));
  CHECK(contains(out, "\"marital_status\":null"));
  xyd_free(out);
  CHECK(xyd_mask_record(record, "regulator", NULL, NULL, 0, &out) == XYD_EINVAL);
  CHECK(contains(xyd_errmsg(), "pseudonym"));
  CHECK(xyd_mask_record(record, "regulator", NULL, key, sizeof key, &out) == XYD_OK);
  CHECK(contains(out, "PSN-"));
  xyd_free(out);
  CHECK(xyd_mask_record(record, "nobody", NULL, NULL, 0, &out) == XYD_ENOTFOUND);
  CHECK(xyd_mask_record("{", "external", NULL, NULL, 0, &out) == XYD_EPARSE);
  CHECK(xyd_mask_record(record, "external", "{\"audiences\":{\"external\":{\"person_name\":{\"op\":\"redact\"}}}}", NULL, 0,
                        &out) == XYD_OK);
  CHECK(contains(out, "\"rep_name\":null"));
  xyd_free(out);
  CHECK(xyd_mask_policy_check("{\"audiences\":{\"external\":{\"person_name\":{\"op\":\"blur\"}}}}", &out) == XYD_EVALIDATION);
  CHECK(contains(xyd_errmsg(), "$.audiences.external.person_name.op"));
  CHECK(xyd_mask_policy_check("{\"audiences\":{}}", &out) == XYD_OK);
  xyd_free(out);
  CHECK(xyd_mask_policy_check("{\"audiences\":{}}", NULL) == XYD_OK);
  CHECK(xyd_mask_record(NULL, "external", NULL, NULL, 0, &out) == XYD_EINVAL);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf) buf[n] = '\0';
  fclose(f);
  if (len) *len = (size_t)n;
  return buf;
}

static void test_score(void) {
  const char *card =
      "{\"id\":\"c\",\"version\":\"1\",\"fields\":[{\"name\":\"x\",\"type\":\"number\"}],"
      "\"baseline_score\":5,\"characteristics\":[{\"name\":\"x\",\"field\":\"x\",\"reason_code\":\"X\","
      "\"attributes\":[{\"when\":{\"missing\":true},\"partial_score\":0},"
      "{\"when\":{\"range\":\"(-inf,1.5)\"},\"partial_score\":\"2.5\"},{\"when\":{\"range\":\"[1.5,inf)\"},\"partial_score\":5}]}]}";
  const char *gap =
      "{\"id\":\"c\",\"version\":\"1\",\"fields\":[{\"name\":\"x\",\"type\":\"number\"}],\"use_reason_codes\":false,"
      "\"characteristics\":[{\"name\":\"only\",\"field\":\"x\",\"attributes\":[{\"when\":{\"range\":\"(-inf,1)\"},"
      "\"partial_score\":1}]}]}";
  xyd_scorecard *m = NULL, *d = NULL;
  char *out = NULL, *secret = NULL, *pub = NULL;
  CHECK(xyd_scorecard_load(card, strlen(card), NULL) == XYD_EINVAL);
  CHECK(xyd_scorecard_load(card, strlen(card), &m) == XYD_OK);
  CHECK(xyd_scorecard_score(m, "{\"x\": 1}", &out) == XYD_OK);
  CHECK(contains(out, "\"score\":2.5") && contains(out, "\"reason_codes\":[\"X\"]") && contains(out, "\"points\":2.5"));
  xyd_free(out);
  CHECK(xyd_scorecard_score(m, "{\"x\": \"abc\"}", &out) == XYD_EVALIDATION);
  CHECK(out == NULL && contains(xyd_errmsg(), "$.x"));
  CHECK(xyd_scorecard_score(m, "{\"x\": ", &out) == XYD_EPARSE);
  CHECK(xyd_scorecard_score(NULL, "{}", &out) == XYD_EINVAL);
  CHECK(xyd_scorecard_info(m, &out) == XYD_OK);
  CHECK(contains(out, "\"model_hash\":\"") && contains(out, "\"format\":\"json\""));
  xyd_free(out);
  CHECK(xyd_scorecard_canonical(m, &out) == XYD_OK);
  CHECK(contains(out, "xyd-scorecard/1"));
  xyd_free(out);
  CHECK(xyd_scorecard_load(gap, strlen(gap), &d) == XYD_EVALIDATION);
  CHECK(d == NULL && contains(xyd_errmsg(), "characteristic \"only\"") && contains(xyd_errmsg(), "x = missing"));
  CHECK(xyd_scorecard_load("<PMML", 5, &d) == XYD_EPARSE);
  CHECK(xyd_scorecard_default(&d) == XYD_OK);
  CHECK(xyd_scorecard_score(d, "{\"dishonest_debtor_active\": true}", &out) == XYD_OK);
  CHECK(contains(out, "\"knockout\":\"dishonest_debtor\"") && contains(out, "\"grade\":\"E\""));
  xyd_free(out);
  CHECK(xyd_paserk_keygen(&secret, &pub) == XYD_OK);
  CHECK(xyd_scorecard_sign(m, secret, &out) == XYD_OK);
  CHECK(contains(out, "v4.public."));
  xyd_free(out);
  CHECK(xyd_scorecard_sign(m, "k4.secret.bad", &out) == XYD_EVALIDATION);
  CHECK(xyd_score_features("[{\"type\":\"tax.arrears\",\"as_of\":\"2024-06-30\",\"data\":{\"arrears_amount\":\"5.00\","
                           "\"period_end\":\"2024-05-31\"}}]", NULL, &out) == XYD_OK);
  CHECK(contains(out, "\"tax_arrears_count_24m\":1") && contains(out, "\"pension_normal_payments_6m\":null"));
  xyd_free(out);
  CHECK(xyd_score_features("[]", "2024-13-01", &out) == XYD_EINVAL);
  CHECK(xyd_score_features("{}", NULL, &out) == XYD_EVALIDATION);
  {
    char dir[] = "/tmp/xyd-abi-score-XXXXXX";
    char db[256];
    xyd_store *st = NULL;
    unsigned char key[XYD_KEY_BYTES];
    const char *feed =
        "{\"type\":\"tax.arrears\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-06-30\",\"source\":\"c\","
        "\"data\":{\"enterprise_name\":\"福州示例有限公司\",\"uscc\":\"91350100M000100Y43\",\"arrears_amount\":\"1200.00\","
        "\"tax_type\":\"增值税\",\"period_start\":\"2024-04-01\",\"period_end\":\"2024-04-30\"}}\n";
    if (mkdtemp(dir)) {
      snprintf(db, sizeof db, "%s/s.db", dir);
      CHECK(xyd_key_generate(key) == XYD_OK);
      CHECK(xyd_store_open(db, key, sizeof key, XYD_OPEN_CREATE, &st) == XYD_OK);
      CHECK(xyd_store_ingest(st, feed, strlen(feed), 0, &out) == XYD_OK);
      xyd_free(out);
      CHECK(xyd_store_score(st, "{\"subject\":\"91350100M000100Y43\"}", &out) == XYD_OK);
      CHECK(contains(out, "\"model\":\"xyd-public-2024\"") && contains(out, "\"R01\""));
      xyd_free(out);
      CHECK(xyd_store_score(st, "{\"all\":true,\"threads\":2}", &out) == XYD_OK);
      CHECK(contains(out, "\"summary\":{\"subjects\":1"));
      xyd_free(out);
      CHECK(xyd_store_score(st, "{\"subject\":\"91350100M000100Y43\",\"model\":\"c\"}", &out) == XYD_ENOTFOUND);
      CHECK(xyd_store_score(st, "{}", &out) == XYD_EINVAL);
      CHECK(xyd_store_scores(st, "91350100M000100Y43", &out) == XYD_OK);
      CHECK(contains(out, "\"scored_at\""));
      xyd_free(out);
      CHECK(xyd_store_add_model(st, m, NULL) == XYD_OK);
      CHECK(xyd_store_models(st, &out) == XYD_OK);
      CHECK(contains(out, "\"id\":\"c\""));
      xyd_free(out);
      CHECK(xyd_store_require_signed_models(st, 1) == XYD_OK);
      CHECK(xyd_store_add_model(st, d, NULL) == XYD_EVALIDATION);
      CHECK(contains(xyd_errmsg(), "signed"));
      CHECK(xyd_store_trust_key(st, pub, "{\"use\":\"model\"}") == XYD_OK);
      CHECK(xyd_scorecard_sign(d, secret, &out) == XYD_OK);
      CHECK(xyd_store_add_model(st, d, out) == XYD_OK);
      xyd_free(out);
      CHECK(xyd_store_trust_key(st, pub, "{\"use\":\"nothing\"}") == XYD_EINVAL);
      xyd_store_close(st);
      snprintf(db, sizeof db, "rm -rf %s", dir);
      CHECK(system(db) == 0);
    }
  }
  xyd_free_secret(secret);
  xyd_free(pub);
  xyd_scorecard_free(m);
  xyd_scorecard_free(d);
  xyd_scorecard_free(NULL);
}

static void test_report_and_audit(void) {
  char dir[] = "/tmp/xyd-abi-report-XXXXXX";
  char db[256], cmd[512];
  xyd_store *st = NULL;
  unsigned char key[XYD_KEY_BYTES];
  char *out = NULL, *secret = NULL, *pub = NULL, *token = NULL, *html = NULL;
  const char *feed =
      "{\"type\":\"legal_rep\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-06-30\",\"source\":\"c\","
      "\"data\":{\"enterprise_name\":\"福州示例有限公司\",\"uscc\":\"91350100M000100Y43\",\"rep_name\":\"欧阳娜娜\"}}\n"
      "{\"type\":\"tech.innovation\",\"subject\":\"91350100M000100Y43\",\"as_of\":\"2024-06-30\",\"source\":\"c\","
      "\"data\":{\"enterprise_name\":\"福州示例有限公司\",\"uscc\":\"91350100M000100Y43\",\"little_giant\":false,"
      "\"srdi_sme\":true,\"innovative_sme\":false,\"high_tech\":false,\"tech_sme\":true}}\n";
  if (!mkdtemp(dir)) {
    CHECK(0);
    return;
  }
  snprintf(db, sizeof db, "%s/s.db", dir);
  CHECK(xyd_key_generate(key) == XYD_OK);
  CHECK(xyd_store_open(db, key, sizeof key, XYD_OPEN_CREATE, &st) == XYD_OK);
  CHECK(xyd_store_set_actor(st, "c-test") == XYD_OK);
  CHECK(xyd_store_ingest(st, feed, strlen(feed), 0, &out) == XYD_OK);
  xyd_free(out);
  CHECK(xyd_paserk_keygen(&secret, &pub) == XYD_OK);
  CHECK(xyd_store_trust_key(st, pub, NULL) == XYD_OK);
  /* a report without consent: legal_rep (national_api) omitted, no_consent */
  CHECK(xyd_store_report(st, "{\"subject\":\"91350100M000100Y43\",\"audience\":\"bank-001\",\"purpose\":\"pre_loan\"}",
                         &out) == XYD_OK);
  CHECK(contains(out, "\"consent_jti\":null") && contains(out, "\"reason\":\"no_consent\"") &&
        contains(out, "\"reason\":\"verification_only\"") && !contains(out, "欧阳娜娜"));
  CHECK(xyd_report_html(out, &html) == XYD_OK);
  CHECK(contains(html, "<!DOCTYPE html>") && contains(html, "未获信息主体授权"));
  xyd_free(html);
  xyd_free(out);
  CHECK(xyd_report_html("{}", &html) == XYD_EPARSE);
  CHECK(xyd_store_report(st, "{\"subject\":\"91350100M000100Y43\"}", &out) == XYD_EINVAL);
  CHECK(xyd_store_report(st, "{\"subject\":\"91350100M000100Y43\",\"audience\":\"b\",\"purpose\":\"p\",\"token\":\"v4.public.x\"}",
                         &out) == XYD_ECONSENT);
  /* verification under a consent in mode verify */
  CHECK(xyd_consent_issue(secret,
                          "{\"iss\":\"p\",\"sub\":\"91350100M000100Y43\",\"aud\":\"bank-001\",\"exp\":\"2099-01-01T00:00:00Z\","
                          "\"scope\":[\"tech\"],\"purpose\":\"pre_loan\",\"mode\":\"verify\"}",
                          &token) == XYD_OK);
  snprintf(cmd, sizeof cmd, "%s", "");
  {
    char request[2048];
    snprintf(request, sizeof request,
             "{\"subject\":\"91350100M000100Y43\",\"audience\":\"bank-001\",\"purpose\":\"pre_loan\",\"token\":\"%s\","
             "\"claims\":[{\"id\":\"a\",\"item_type\":\"tech.innovation\",\"field\":\"srdi_sme\",\"value\":true},"
             "{\"id\":\"b\",\"item_type\":\"tech.innovation\",\"field\":\"high_tech\",\"value\":\"是\"}]}",
             token);
    CHECK(xyd_store_check_claims(st, request, &out) == XYD_OK);
    CHECK(contains(out, "{\"id\":\"a\",\"item_type\":\"tech.innovation\",\"answer\":\"match\"}") &&
          contains(out, "\"answer\":\"no_match\""));
    xyd_free(out);
  }
  CHECK(xyd_store_check_claims(st, "{\"subject\":\"x\"}", &out) == XYD_EINVAL);
  /* the audit log: intact, checkpointed, then broken */
  CHECK(xyd_store_audit_verify(st, pub, &out) == XYD_ECORRUPT); /* a key given, no checkpoint: nothing vouches */
  CHECK(contains(out, "\"ok\":false") && contains(xyd_errmsg(), "no checkpoint"));
  xyd_free(out);
  CHECK(xyd_store_audit_checkpoint(st, secret, &out) == XYD_OK);
  CHECK(contains(out, "\"token\":\"v4.public."));
  {
    /* the checkpoint's token, filed outside the store, is an anchor */
    char request[2048];
    const char *t = strstr(out, "\"token\":\"") + 9;
    snprintf(request, sizeof request, "{\"public\":\"%s\",\"anchors\":[\"%.*s\"],\"require_anchored\":true}", pub,
             (int)(strchr(t, '"') - t), t);
    xyd_free(out);
    CHECK(xyd_store_audit_verify_request(st, request, &out) == XYD_OK);
    CHECK(contains(out, "\"tamper_evident\":true") && contains(out, "\"unanchored\":0") && contains(out, "\"anchors\":1"));
    xyd_free(out);
    CHECK(xyd_store_audit_verify_request(st, "{\"anchors\":[\"v4.public.x\"]}", &out) == XYD_EINVAL && out == NULL);
    CHECK(contains(xyd_errmsg(), "need the institution's key"));
    CHECK(xyd_store_audit_verify_request(st, "{\"public\":7}", &out) == XYD_EINVAL && contains(xyd_errmsg(), "$.public"));
    CHECK(xyd_store_set_audit_signer(st, "k4.secret.nope", 5) == XYD_EVALIDATION);
    CHECK(xyd_store_set_audit_signer(st, secret, -1) == XYD_EINVAL);
    CHECK(xyd_store_set_audit_signer(st, secret, 1) == XYD_OK); /* every entry signed */
    CHECK(xyd_store_subjects(st, &out) == XYD_OK);
    xyd_free(out);
    CHECK(xyd_store_set_audit_signer(st, NULL, 0) == XYD_OK);
  }
  CHECK(xyd_store_audit_verify(st, pub, &out) == XYD_OK);
  CHECK(contains(out, "\"ok\":true") && contains(out, "\"checkpoints\":2") && contains(out, "\"keys\":\"given\""));
  xyd_free(out);
  CHECK(xyd_store_audit_export(st, &out) == XYD_OK);
  CHECK(contains(out, "\"actor\":\"c-test\"") && contains(out, "\"action\":\"check_claims\"") && !contains(out, "91350100M000100Y43"));
  xyd_free(out);
  CHECK(xyd_store_audit_stats(st, &out) == XYD_OK);
  CHECK(contains(out, "\"released\"") && contains(out, "\"refused\""));
  xyd_free(out);
  xyd_store_close(st);
  snprintf(cmd, sizeof cmd, "sqlite3 %s \"UPDATE audit SET entry = replace(entry, 'c-test', 'c-tesT') WHERE seq = 2\"", db);
  if (system(cmd) == 0) {
    CHECK(xyd_store_open(db, key, sizeof key, 0, &st) == XYD_OK);
    CHECK(xyd_store_audit_verify(st, pub, &out) == XYD_ECORRUPT);
    CHECK(contains(out, "\"first_bad\":2") && contains(xyd_errmsg(), "entry 2"));
    xyd_free(out);
    xyd_store_close(st);
  }
  xyd_free(token);
  xyd_free_secret(secret);
  xyd_free(pub);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

/* `xyd_abi_test score MODEL FEATURES` prints the result of one score through
 * the C ABI (the cross-interface test compares it with C++, Python, CLI). */
static int score_files(const char *model_path, const char *features_path) {
  size_t len = 0;
  char *model = slurp(model_path, &len), *features = slurp(features_path, NULL), *out = NULL;
  xyd_scorecard *m = NULL;
  int rc = XYD_EIO;
  if (model && features && (rc = xyd_scorecard_load(model, len, &m)) == XYD_OK &&
      (rc = xyd_scorecard_score(m, features, &out)) == XYD_OK)
    printf("%s\n", out);
  else
    fprintf(stderr, "xyd_abi_test: %s\n", xyd_errmsg());
  xyd_free(out);
  xyd_scorecard_free(m);
  free(model);
  free(features);
  return rc == XYD_OK ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "score") == 0) return score_files(argv[2], argv[3]);
  test_version();
  test_status();
  test_catalog();
  test_extension();
  test_ids();
  test_records();
  test_store();
  test_paseto_and_consent();
  test_mask();
  test_score();
  test_report_and_audit();
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
