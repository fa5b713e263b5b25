#!/usr/bin/env bash
# The sanitizers and the fuzzers (the long job; tools/test.sh, what CI runs, is every test on the
# release build, the fuzz smoke and TSan over the engine tests): install what is missing, then:
#   1. the release preset's mmcheck alone (the binary users run);
#   2. the asan preset (clang, ASan + UBSan, libFuzzer's coverage instrumentation): every ctest
#      test, its own mmcheck under test, except the whole-library comparisons (the fixture, the
#      distributed search: thousands of searches), which run the release mmcheck;
#   3. the [limits] tests against the release mmcheck (ulimit -v cannot run a sanitizer build);
#   4. the fuzz smoke: each harness of tests/fuzz/ for MMCHECK_FUZZ_SECONDS (30), fixed seed;
#   5. ThreadSanitizer over the parallel engine (tools/tsan.sh).
# Extra arguments go to the ctest of part 2.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh test
jobs=$(nproc)
source tools/timed.sh
# Leaks are defects too, except Open MPI's own (its allocations are not ours).
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1"
release=$PWD/build/release/mmcheck

# Every test, the distributed search's under mpirun included: MPI is required, never skipped.
timed "the release build of mmcheck" sh -c '
  cmake --preset release -DMMCHECK_BUILD_TESTS=ON -DMMCHECK_MPI=ON >/dev/null &&
  cmake --build --preset release -j "$0" --target mmcheck' "$jobs"
timed "the asan build" sh -c '
  cmake --preset asan -DMMCHECK_BUILD_TESTS=ON -DMMCHECK_MPI=ON -DMMCHECK_FAST_BINARY="$1" >/dev/null &&
  cmake --build --preset asan -j "$0"' "$jobs" "$release"
timed "every test under ASan+UBSan" ctest --preset asan -j "$jobs" "$@"
timed "the limits against the release mmcheck" env MMCHECK_TEST_BINARY="$release" \
  build/asan/tests/cli_tests "[limits]"
timed "the fuzz smoke" tools/fuzz.sh --smoke "${MMCHECK_FUZZ_SECONDS:-30}"
timed "ThreadSanitizer" tools/tsan.sh
echo "sanitize.sh: every part passed in $((SECONDS - start)) s"
