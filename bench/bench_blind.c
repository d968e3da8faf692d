/* The cost of guessing identifiers against blind indexes once the index key
 * has leaked (docs/threat-model.md, "Accepted"): keyed BLAKE2b-128 of a
 * domain byte and a resident id, as the store computes a subject's index,
 * on one core.
 *
 *   xyd_bench_blind [N]      N guesses (default 2,000,000)
 * SPDX-License-Identifier: Apache-2.0 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  if (sodium_init() < 0) return 1;
  const long n = argc > 1 ? atol(argv[1]) : 2000000;
  unsigned char key[crypto_generichash_KEYBYTES], out[16];
  randombytes_buf(key, sizeof key);
  char msg[] = "s110105195502095480"; /* 's' then an 18-character resident id */
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; ++i) {
    msg[16] = (char)('0' + i % 10);
    msg[15] = (char)('0' + (i / 10) % 10);
    crypto_generichash(out, sizeof out, (const unsigned char *)msg, sizeof msg - 1, key, sizeof key);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  const double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  const double rate = (double)n / s;
  printf("%.0f guesses/s on one core; every resident id (about 1.3e11): %.1f core-hours\n", rate, 1.3e11 / rate / 3600);
  return 0;
}
