/* The C ABI door of the parity test (bindings/python/tests/test_parity.py):
 * reads operations from stdin, one a line, fields separated by tabs —
 *   OP [ARG1 [ARG2]]
 * — runs each through the C ABI on one store handle, and prints one JSON
 * line per operation: {"op":"…","rc":N,"out":<the answer, or null>}. The
 * same scenario runs through Python and the CLI, and the answers must be
 * the same. Operations:
 *   create DB KEYFILE | open DB KEYFILE | ingest FILE | records JSON | release JSON | subjects
 *   stats | repair JSON | purge BEFORE | trust PUBLIC OPTIONS | retire KID FROM
 *   keys | revoke JSON | check_consent JSON | report JSON | check_claims JSON
 *   score JSON | scores SUBJECT | models | audit_verify [PUBLIC] | audit_stats
 *   audit_export
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xyd.h"

static void emit(const char *op, int rc, const char *out) {
  printf("{\"op\":\"%s\",\"rc\":%d,\"out\":", op, rc);
  if (!out) {
    fputs("null", stdout);
  } else if (strcmp(op, "audit_export") != 0) {
    fputs(out, stdout);
  } else { /* JSON Lines (the audit export) as one string */
    putchar('"');
    for (const char *p = out; *p; ++p) {
      if (*p == '"' || *p == '\\') printf("\\%c", *p);
      else if (*p == '\n') fputs("\\n", stdout);
      else putchar(*p);
    }
    putchar('"');
  }
  fputs("}\n", stdout);
  fflush(stdout);
}

int main(void) {
  static char line[1 << 20];
  xyd_store *st = NULL;
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (!n) continue;
    char *op = line, *a = NULL, *b = NULL;
    if ((a = strchr(op, '\t'))) {
      *a++ = '\0';
      if ((b = strchr(a, '\t'))) *b++ = '\0';
    }
    char *out = NULL;
    int rc = XYD_EINVAL;
    if (!strcmp(op, "open") || !strcmp(op, "create")) {
      xyd_store_close(st);
      st = NULL;
      rc = xyd_store_open_key_file(a, b, !strcmp(op, "create") ? XYD_OPEN_CREATE : 0, &st);
    } else if (!strcmp(op, "ingest")) rc = xyd_store_ingest_file(st, a, 0, &out);
    else if (!strcmp(op, "records")) rc = xyd_store_records(st, a, &out);
    else if (!strcmp(op, "release")) rc = xyd_store_release(st, a, &out);
    else if (!strcmp(op, "subjects")) rc = xyd_store_subjects(st, &out);
    else if (!strcmp(op, "stats")) rc = xyd_store_stats(st, &out);
    else if (!strcmp(op, "repair")) rc = xyd_store_repair(st, a);
    else if (!strcmp(op, "purge")) rc = xyd_store_purge(st, a, &out);
    else if (!strcmp(op, "trust")) rc = xyd_store_trust_key(st, a, b);
    else if (!strcmp(op, "retire")) rc = xyd_store_retire_key(st, a, b);
    else if (!strcmp(op, "keys")) rc = xyd_store_keys(st, &out);
    else if (!strcmp(op, "revoke")) rc = xyd_store_revoke(st, a);
    else if (!strcmp(op, "check_consent")) rc = xyd_store_check_consent(st, a, &out);
    else if (!strcmp(op, "report")) rc = xyd_store_report(st, a, &out);
    else if (!strcmp(op, "check_claims")) rc = xyd_store_check_claims(st, a, &out);
    else if (!strcmp(op, "score")) rc = xyd_store_score(st, a, &out);
    else if (!strcmp(op, "scores")) rc = xyd_store_scores(st, a, &out);
    else if (!strcmp(op, "models")) rc = xyd_store_models(st, &out);
    else if (!strcmp(op, "audit_verify")) rc = xyd_store_audit_verify(st, a, &out);
    else if (!strcmp(op, "audit_stats")) rc = xyd_store_audit_stats(st, &out);
    else if (!strcmp(op, "audit_export")) rc = xyd_store_audit_export(st, &out);
    else {
      fprintf(stderr, "parity driver: unknown op %s\n", op);
      return 2;
    }
    emit(op, rc, out);
    xyd_free(out);
  }
  xyd_store_close(st);
  return 0;
}
