#!/usr/bin/env bash
# Every test (what CI runs): install what is missing, then, each part timed and failing the run:
#   1. the release build with its tests, and every ctest test (the distributed search's under
#      mpirun included: MPI is required, never skipped);
#   2. the fuzz smoke: the asan preset's libFuzzer harnesses (clang, ASan + UBSan, no recovery),
#      each for MMCHECK_FUZZ_SECONDS (10) from the library's seeds, seed 1;
#   3. ThreadSanitizer over the engine's tests (tools/tsan.sh --engine: 1-4 threads, a level
#      that overfills the table and grows it, the fingerprint store, concurrent inserts).
# Every test under ASan + UBSan, TSan over `suite` and the engine tests TSan makes slowest are
# tools/sanitize.sh: with them the run takes over 20 minutes on two cores (measured in the
# README's "Sanitizers and fuzzing").
# Extra arguments go to the ctest of part 1.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh test
jobs=$(nproc)
source tools/timed.sh

# 1. Release.
timed "the release build" sh -c '
  cmake --preset release -DMMCHECK_BUILD_TESTS=ON -DMMCHECK_MPI=ON >/dev/null &&
  cmake --build --preset release -j "$0"' "$jobs"
timed "every ctest test" ctest --preset release -j "$jobs" "$@"

# 2. The fuzz smoke. Leaks are defects too, except Open MPI's own.
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1"
timed "the asan build of the fuzz harnesses" sh -c '
  cmake --preset asan -DMMCHECK_BUILD_TESTS=ON -DMMCHECK_MPI=OFF >/dev/null &&
  cmake --build --preset asan -j "$0" --target mmcheck_fuzzers' "$jobs"
timed "the fuzz smoke" tools/fuzz.sh --smoke "${MMCHECK_FUZZ_SECONDS:-10}"

# 3. ThreadSanitizer (oneTBB's own frames suppressed, each with its reason: tools/tsan.supp).
timed "ThreadSanitizer over the engine tests" tools/tsan.sh --engine

echo "test.sh: every part passed in $((SECONDS - start)) s"
