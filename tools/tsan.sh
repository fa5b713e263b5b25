#!/usr/bin/env bash
# ThreadSanitizer over the parallel engine (tools/sanitize.sh runs it all): builds the tsan preset's
# mmcheck and engine tests only, then runs, with tools/tsan.supp (oneTBB's own frames only), and
# fails on the first report:
#   - every engine test (1-4 threads, table growth, bounds, the fingerprint store);
#   - `suite` over the race library with 1, 2, 3 and 4 threads (runs side by side);
#   - family members (tools/bench/family.py) at 4 threads growing the table from its smallest
#     size, exact and fingerprint, with and without symmetry, POR on and off.
# The distributed search's ranks are not run under TSan: Open MPI is not built with it.
# tools/tsan.sh --engine: the engine tests but four (what tools/test.sh runs).
set -euo pipefail
cd "$(dirname "$0")/.."
engine_only=false
[ "${1:-}" = --engine ] && engine_only=true
targets=(mmcheck engine_tests)
$engine_only && targets=(engine_tests)
cmake --preset tsan -DMMCHECK_BUILD_TESTS=ON -DMMCHECK_MPI=OFF >/dev/null
cmake --build --preset tsan -j "$(nproc)" --target "${targets[@]}"
export TSAN_OPTIONS="suppressions=$PWD/tools/tsan.supp halt_on_error=1 exitcode=66"
bin=build/tsan/mmcheck
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --engine leaves out the four engine tests TSan slows most (270 of its 360 s on two cores: the
# deep grid walk, the replay after a midway growth, the record space and the id limits).
engine_tests=()
$engine_only && engine_tests=('~"A deep state violation in the grid walk has the same counterexample with 1 and 4 threads" ~"A counterexample found after a midway growth replays exactly" ~"An exact search that uses up its record space*" ~"A search that would number more states than its ids hold*"')
echo "tsan: engine tests"
build/tsan/tests/engine_tests --reporter compact "${engine_tests[@]}"
$engine_only && { echo "tsan: clean"; exit 0; }
for threads in 1 2 3 4; do
  echo "tsan: suite scenarios --threads $threads"
  "$bin" suite scenarios --threads "$threads" >"$work/suite.txt" ||
    { cat "$work/suite.txt"; exit 1; }
done
python3 tools/bench/family.py --out "$work" -N 3 -K 2 -P 2 >/dev/null
for extra in "" "--fingerprint" "--symmetry" "--fingerprint --symmetry --por off"; do
  echo "tsan: check fam-N3-K2-P2 --threads 4 $extra"
  # shellcheck disable=SC2086
  "$bin" check "$work/fam-N3-K2-P2.json" --kernel linux-5.12 --threads 4 --quiet $extra ||
    case $? in 10 | 11) ;; *) exit 1 ;; esac
done
echo "tsan: clean"
