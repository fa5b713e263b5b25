#!/usr/bin/env bash
# Every test (what CI runs): install what is missing, then, each part timed and failing the run:
#   1. the release preset's mmcheck (g++ -O2: the binary users run), which the whole-library
#      comparisons run (the fixture, the distributed search: thousands of searches) and the
#      ulimit -v tests need;
#   2. the asan preset (clang, ASan + UBSan, no recovery, libFuzzer's coverage instrumentation):
#      mmcheck, every test and the fuzz harnesses;
#   3. every ctest test under ASan + UBSan, each against the asan build's mmcheck except the
#      whole-library comparisons (the distributed search's under mpirun included: MPI is
#      required, never skipped);
#   4. the [limits] tests under ulimit -v, against the release mmcheck (a sanitizer's shadow
#      memory is terabytes of address space);
#   5. the fuzz smoke: each harness for MMCHECK_FUZZ_SECONDS (10) from the library's seeds, seed 1,
#      on one core beside part 6;
#   6. ThreadSanitizer: over the engine's tests (1-4 threads, a level that overfills the table and
#      grows it, the fingerprint store, concurrent inserts) and `suite scenarios` at 1-4 threads;
#      with MMCHECK_TSAN=all (tools/sanitize.sh) also the four engine tests TSan slows most and
#      family members.
# Extra arguments go to the ctest of part 3.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh test
jobs=$(nproc)
source tools/timed.sh
# Leaks are defects too, except Open MPI's own (its allocations are not ours).
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1"
release=$PWD/build/release/mmcheck

timed "the release build of mmcheck" sh -c '
  cmake --preset release -DMMCHECK_MPI=ON >/dev/null &&
  cmake --build --preset release -j "$0" --target mmcheck' "$jobs"
timed "the asan build" sh -c '
  cmake --preset asan -DMMCHECK_BUILD_TESTS=ON -DMMCHECK_MPI=ON -DMMCHECK_FAST_BINARY="$1" >/dev/null &&
  cmake --build --preset asan -j "$0"' "$jobs" "$release"
timed "every ctest test under ASan+UBSan" ctest --preset asan -j "$jobs" "$@"
timed "the limits against the release mmcheck" env MMCHECK_TEST_BINARY="$release" \
  build/asan/tests/cli_tests "[limits]"
# The fuzz smoke (one core) runs beside ThreadSanitizer's build and tests; its output follows.
fuzz_log=$(mktemp)
timed "the fuzz smoke" tools/fuzz.sh --smoke "${MMCHECK_FUZZ_SECONDS:-10}" >"$fuzz_log" 2>&1 &
fuzz=$!
trap 'kill "$fuzz" 2>/dev/null || true; rm -f "$fuzz_log"' EXIT
if [ "${MMCHECK_TSAN:-engine}" = all ]; then
  timed "ThreadSanitizer" tools/tsan.sh
else
  timed "ThreadSanitizer over the engine tests and suite" tools/tsan.sh --ci
fi
status=0
wait "$fuzz" || status=$?
cat "$fuzz_log"
[ "$status" = 0 ] || { echo "$(basename "$0"): the fuzz smoke failed" >&2; exit 1; }
echo "$(basename "$0"): every part passed in $((SECONDS - start)) s"
