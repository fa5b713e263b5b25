#!/usr/bin/env bash
# The main job: install what is missing, build in release mode, and run the known-race suite
# (every race on every kernel of its "expect"). Exit status: the suite's.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh main
# The tests are not built here (their packages are the test run's); MPI is built when present.
cmake --preset release -DMMCHECK_BUILD_TESTS=OFF >/dev/null
cmake --build --preset release -j "$(nproc)" --target mmcheck
exec build/release/mmcheck suite scenarios "$@"
