#!/usr/bin/env bash
# The long job, run before a release and after a change to the parallel engine: tools/test.sh
# with a fuzz smoke of MMCHECK_FUZZ_SECONDS (30) a harness and ThreadSanitizer over everything
# tools/tsan.sh runs (every engine test, `suite` at 1-4 threads, family members at 4 threads).
# Extra arguments go to the ctest under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
MMCHECK_FUZZ_SECONDS=${MMCHECK_FUZZ_SECONDS:-30} MMCHECK_TSAN=all exec tools/test.sh "$@"
