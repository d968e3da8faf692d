#!/usr/bin/env bash
# Builds the fuzz harnesses (clang, libFuzzer, ASan+UBSan) into build-fuzz/
# and runs each for a while on its seed corpus (fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60). TARGETs default to every harness. New
# inputs that grow coverage go to build-fuzz/corpus/<target>/ (the seeds in
# fuzz/corpus/ are only read); a crash leaves build-fuzz/crash/<target>/…
# and makes the script exit 1. FUZZ_JOBS=N runs N targets at once.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all=(ingest_line feed_batch paseto paserk consent_claims pmml mask_policy catalog_extension report_html verify_claims)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found; scripts/install-deps.sh installs it" >&2
  exit 1
fi
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXYD_FUZZ=ON -DXYD_BUILD_TESTS=OFF -DXYD_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_all >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
  local t=$1
  local work=build-fuzz/corpus/$t crash=build-fuzz/crash/$t log=build-fuzz/fuzz-$t.log
  mkdir -p "$work" "$crash"
  if build-fuzz/fuzz_"$t" "$work" fuzz/corpus/"$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
       -timeout=10 -max_len=65536 -print_final_stats=1 -artifact_prefix="$crash/" >"$log" 2>&1; then
    local execs cov
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo ?)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo ?)
    echo "fuzz: $t: ${seconds}s, $execs inputs, coverage $cov edges, no crash"
  else
    echo "fuzz: $t: FAILED; see $log and $crash/" >&2
    grep -E 'ERROR|SUMMARY|runtime error|deadly signal' "$log" | head -5 >&2
    return 1
  fi
}

failed=0
jobs=${FUZZ_JOBS:-1}
pids=()
for t in "${targets[@]}"; do
  if [ ! -d fuzz/corpus/"$t" ]; then
    echo "fuzz: unknown target $t (one of: ${all[*]})" >&2
    exit 2
  fi
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
