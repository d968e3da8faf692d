#!/usr/bin/env bash
# Every test: install dependencies, build, run the C++ unit tests, the C ABI
# test, the export and docs checks, the fuzz corpus replays and the Python
# tests (all through ctest), a short fuzz smoke run of every harness, then
# print one summary line. SANITIZE=1 runs them under ASan + UBSan.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
bash scripts/build.sh >/dev/null || { echo "build failed" >&2; bash scripts/build.sh; exit 1; }
dir=build; [ "${SANITIZE:-0}" = 1 ] && dir=build-asan
( cd "$dir" && ctest -j2 --output-on-failure ) | tee "$dir/ctest.out"
status=${PIPESTATUS[0]}

# Fuzz smoke: every harness under libFuzzer for FUZZ_SECONDS (default 20)
# each, two at a time (scripts/fuzz.sh; FUZZ_SECONDS=0 skips it).
fuzz_seconds=${FUZZ_SECONDS:-20}
fuzz_passed=0; fuzz_failed=0
if [ "$fuzz_seconds" != 0 ]; then
  FUZZ_JOBS=2 bash scripts/fuzz.sh "$fuzz_seconds" | tee "$dir/fuzz.out"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  fuzz_passed=$(grep -c 'no crash$' "$dir/fuzz.out")
  fuzz_failed=$(( $(ls fuzz/corpus | wc -l) - fuzz_passed ))
fi

# One summary: C++ test cases and the other ctest checks count one each;
# the C ABI test and pytest count by their own numbers.
log="$dir/Testing/Temporary/LastTest.log"
count() { grep -Eo "[0-9]+ $1" <<<"$2" | head -1 | grep -Eo '^[0-9]+' || echo 0; }
abi_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
py_line=$(grep -E '^(=+ )?[0-9]+ (passed|failed).* in [0-9.]+s' "$log" | tail -1)
ct_passed=$(grep -Ec 'Test +#[0-9]+: .* Passed' "$dir/ctest.out")
ct_failed=$(grep -Ec 'Test +#[0-9]+: .*(\*\*\*|Not Run)' "$dir/ctest.out")
abi_p=$(count passed "$abi_line"); abi_f=$(count failed "$abi_line")
py_p=$(count passed "$py_line"); py_f=$(count failed "$py_line")
# The C ABI and pytest entries are one ctest entry each: count their checks instead.
passed=$(( ct_passed + abi_p + py_p - (abi_p > 0) - (py_p > 0) + fuzz_passed ))
failed=$(( ct_failed + abi_f + py_f - (abi_f > 0) - (py_f > 0) + fuzz_failed ))
echo
echo "summary: ${ct_passed} ctest entries passed, ${ct_failed} failed; C ABI checks: ${abi_p} passed, ${abi_f} failed; pytest: ${py_p} passed, ${py_f} failed; fuzz smoke (${fuzz_seconds}s each): ${fuzz_passed} harnesses without a crash, ${fuzz_failed} failed"
echo "${passed} passed, ${failed} failed"
exit "$status"
