#!/usr/bin/env bash
# A fuzzing campaign: tools/fuzz.sh HARNESS MINUTES [libFuzzer flags...]
#   HARNESS: scenario_fuzz (the scenario loader) or trace_fuzz (the trace reader).
# Builds the fuzz preset (clang, ASan + UBSan, libFuzzer: Debian's clang and libfuzzer-14-dev),
# seeds the corpus from the race library (scenarios/*.json, and for traces the traces `check`
# writes of its violations), and runs for MINUTES with the JSON dictionary tests/fuzz/json.dict.
# The corpus grows in build/fuzz/corpus/HARNESS; a crash is written to build/fuzz/crashes/ and
# belongs, once fixed, in the normal test suite as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=${1:?usage: tools/fuzz.sh scenario_fuzz|trace_fuzz MINUTES [libFuzzer flags...]}
minutes=${2:?usage: tools/fuzz.sh HARNESS MINUTES}
shift 2
case "$harness" in scenario_fuzz | trace_fuzz) ;; *) echo "unknown harness $harness" >&2; exit 2 ;; esac
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target "$harness"
corpus=build/fuzz/corpus/$harness
crashes=build/fuzz/crashes/
mkdir -p "$corpus" "$crashes"
if [ -z "$(ls -A "$corpus")" ]; then
  if [ "$harness" = scenario_fuzz ]; then
    cp scenarios/*.json "$corpus"/
  else
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$(nproc)" --target mmcheck
    build/release/mmcheck suite scenarios --traces "$corpus" --json >/dev/null || true
  fi
fi
exec "build/fuzz/tests/fuzz/$harness" "$corpus" -dict=tests/fuzz/json.dict -artifact_prefix="$crashes" \
  -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=4096 "$@"
