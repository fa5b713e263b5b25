#!/usr/bin/env bash
# Every test: install what is missing, build in release mode with the tests, run ctest, then the
# fuzz smoke (ctest arguments given: ctest alone).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh test
# Every test, the distributed search's under mpirun included: MPI is required, never skipped.
cmake --preset release -DMMCHECK_BUILD_TESTS=ON -DMMCHECK_MPI=ON >/dev/null
cmake --build --preset release -j "$(nproc)"
ctest --preset release -j "$(nproc)" "$@"
# The fuzz smoke: the libFuzzer harnesses of tests/fuzz/ (the scenario loader, the trace reader,
# bounded searches of edited library scenarios) with the libraries they link, built with the
# asan preset's sanitizers (clang, ASan + UBSan) at -O0 in build/fuzz-smoke (a minute less to
# build than -O1, for CI's 15 minutes), each for MMCHECK_FUZZ_SMOKE seconds (10) from the
# library's seeds with a fixed seed; any crash, sanitizer report, leak or hang fails. The whole
# suite under ASan + UBSan and ThreadSanitizer are tools/sanitize.sh (about 30 minutes).
if [[ $# -eq 0 ]]; then
  cmake --preset asan -B build/fuzz-smoke -DMMCHECK_BUILD_TESTS=OFF \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -gline-tables-only" >/dev/null
  cmake --build build/fuzz-smoke -j "$(nproc)" --target scenario_fuzz trace_fuzz search_fuzz
  LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0" \
    MMCHECK_FUZZ_BUILD=build/fuzz-smoke tools/fuzz.sh --smoke "${MMCHECK_FUZZ_SMOKE:-10}"
fi
