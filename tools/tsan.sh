#!/usr/bin/env bash
# ThreadSanitizer over the parallel engine: builds the tsan preset's mmcheck and engine tests,
# then runs, with tools/tsan.supp (oneTBB's own frames only), and fails on the first report:
#   - every engine test (1-4 threads, table growth, bounds, the fingerprint store);
#   - `suite` over the race library with 1, 2, 3 and 4 threads (side by side with the engine
#     tests: each is mostly one thread's work at a time);
#   - family members (tools/bench/family.py) at 4 threads growing the table from its smallest
#     size, exact and fingerprint, with and without symmetry, POR on and off.
# The distributed search's ranks are not run under TSan: Open MPI is not built with it.
# tools/tsan.sh --ci (what tools/test.sh runs): the engine tests but four, and `suite`.
set -euo pipefail
cd "$(dirname "$0")/.."
ci=false
[ "${1:-}" = --ci ] && ci=true
cmake --preset tsan -DMMCHECK_BUILD_TESTS=ON -DMMCHECK_MPI=OFF >/dev/null
cmake --build --preset tsan -j "$(nproc)" --target mmcheck engine_tests
export TSAN_OPTIONS="suppressions=$PWD/tools/tsan.supp halt_on_error=1 exitcode=66"
bin=build/tsan/mmcheck
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --ci leaves out the four engine tests TSan slows most (270 of its 360 s on two cores: the
# deep grid walk, the replay after a midway growth, the record space and the id limits).
engine_tests=()
$ci && engine_tests=('~"A deep state violation in the grid walk has the same counterexample with 1 and 4 threads" ~"A counterexample found after a midway growth replays exactly" ~"An exact search that uses up its record space*" ~"A search that would number more states than its ids hold*"')
build/tsan/tests/engine_tests --reporter compact "${engine_tests[@]}" >"$work/engine.txt" 2>&1 &
engine=$!
for threads in 1 2 3 4; do
  echo "tsan: suite scenarios --threads $threads"
  "$bin" suite scenarios --threads "$threads" >"$work/suite.txt" 2>&1 ||
    { cat "$work/suite.txt"; kill "$engine" 2>/dev/null || true; exit 1; }
done
echo "tsan: engine tests"
status=0
wait "$engine" || status=$?
cat "$work/engine.txt"
[ "$status" = 0 ] || exit 1
$ci && { echo "tsan: clean"; exit 0; }
python3 tools/bench/family.py --out "$work" -N 3 -K 2 -P 2 >/dev/null
for extra in "" "--fingerprint" "--symmetry" "--fingerprint --symmetry --por off"; do
  echo "tsan: check fam-N3-K2-P2 --threads 4 $extra"
  # shellcheck disable=SC2086
  "$bin" check "$work/fam-N3-K2-P2.json" --kernel linux-5.12 --threads 4 --quiet $extra ||
    case $? in 10 | 11) ;; *) exit 1 ;; esac
done
echo "tsan: clean"
