#!/usr/bin/env bash
# Fuzzing with the libFuzzer harnesses of tests/fuzz/:
#   tools/fuzz.sh HARNESS MINUTES [libFuzzer flags...]   a campaign of one harness
#   tools/fuzz.sh --smoke SECONDS                        every harness for SECONDS each, seed 1
#   tools/fuzz.sh --replay HARNESS DIR                   every input of DIR once through the
#                                                        asan preset's HARNESS (a corpus grown
#                                                        by the fuzz preset's, for ASan's check)
# HARNESS: scenario_fuzz (the scenario loader from bytes), trace_fuzz (the trace reader from
# bytes) or search_fuzz (library scenarios edited as the bytes say, each searched to 2,000
# states). Builds the asan preset's harnesses (clang, ASan + UBSan, libFuzzer: Debian's clang and
# libfuzzer-14-dev). A campaign's corpus grows in build/asan/fuzz/corpus/HARNESS, seeded from the
# race library (scenarios/*.json; for traces the traces `check` writes of its violations; for
# search_fuzz one input per library scenario, unedited); a crash is written to
# build/asan/fuzz/crashes/ and belongs, once fixed, in the normal test suite as a regression
# test. The smoke (tools/test.sh) starts from the seeds alone, in a temporary directory, with a
# fixed seed and budget, and fails on the first crash.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: tools/fuzz.sh scenario_fuzz|trace_fuzz|search_fuzz MINUTES [libFuzzer flags...], --smoke SECONDS, or --replay HARNESS DIR"
harnesses=(scenario_fuzz trace_fuzz search_fuzz)
# The build of the harnesses: the asan preset's (ASan + UBSan), or MMCHECK_FUZZ_PRESET=fuzz for a
# campaign's throughput (-O2, UBSan only, several times the executions a second; its corpus is
# then replayed through the asan harnesses: tools/fuzz.sh --replay HARNESS).
preset=${MMCHECK_FUZZ_PRESET:-asan}
build=build/$preset
# The mmcheck that writes the trace seeds: the release build's when it is there (faster; the
# traces are the same), else the asan build's.
seeder=build/release/mmcheck
[ -x "$seeder" ] || seeder=$build/mmcheck

# seed HARNESS DIR: the library's seeds for HARNESS in DIR.
seed() {
  mkdir -p "$2"
  case "$1" in
    scenario_fuzz) cp scenarios/*.json "$2"/ ;;
    trace_fuzz) "$seeder" suite scenarios --traces "$2" --json >/dev/null || true ;;
    search_fuzz)
      # Input bytes: the scenario's index (in name order), the kernel byte, the options byte,
      # then the edits.
      local n i
      n=$(ls scenarios/*.json | wc -l)
      for ((i = 0; i < n; i++)); do printf "$(printf '\\%03o\\000\\000' "$i")" >"$2/seed-$i"; done
      ;;
  esac
}

dict() { [ "$1" = search_fuzz ] || echo "-dict=tests/fuzz/json.dict"; }

if [ "${1:-}" = --smoke ]; then
  seconds=${2:?$usage}
  [ -x "$build/tests/fuzz/search_fuzz" ] && [ -x "$seeder" ] || {
    echo "fuzz.sh: build the asan preset's harnesses first (cmake --build --preset asan" \
      "--target scenario_fuzz trace_fuzz search_fuzz)" >&2
    exit 2
  }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  for h in "${harnesses[@]}"; do
    seed "$h" "$work/$h"
    mkdir -p "$work/crashes-$h"
    echo "fuzz smoke: $h for $seconds s (seed 1)"
    if ! "$build/tests/fuzz/$h" "$work/$h" $(dict "$h") -seed=1 -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/crashes-$h/" \
      -print_final_stats=1 >"$work/$h.log" 2>&1; then
      tail -n 60 "$work/$h.log"
      echo "fuzz smoke: $h failed; the input is in $(ls "$work/crashes-$h"/* 2>/dev/null)" >&2
      for f in "$work/crashes-$h"/*; do [ -f "$f" ] && base64 -w 0 "$f" && echo; done
      exit 1
    fi
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work/$h.log" | tail -n 2 || true
  done
  exit 0
fi

if [ "${1:-}" = --replay ]; then
  harness=${2:?$usage}
  dir=${3:?$usage}
  case " ${harnesses[*]} " in *" $harness "*) ;; *) echo "unknown harness $harness; $usage" >&2; exit 2 ;; esac
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$(nproc)" --target "$harness"
  # -runs=0: read (and so run) every input of the corpus once, then stop; a crash fails.
  mkdir -p build/asan/fuzz/crashes
  exec build/asan/tests/fuzz/"$harness" -runs=0 -timeout=30 -rss_limit_mb=4096 \
    -artifact_prefix=build/asan/fuzz/crashes/ "$dir"
fi

harness=${1:?$usage}
minutes=${2:?$usage}
shift 2
case " ${harnesses[*]} " in *" $harness "*) ;; *) echo "unknown harness $harness; $usage" >&2; exit 2 ;; esac
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)" --target "$harness" mmcheck
corpus=$build/fuzz/corpus/$harness
crashes=$build/fuzz/crashes/
mkdir -p "$corpus" "$crashes"
[ -n "$(ls -A "$corpus")" ] || seed "$harness" "$corpus"
exec "$build/tests/fuzz/$harness" "$corpus" $(dict "$harness") -artifact_prefix="$crashes" \
  -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=4096 "$@"
