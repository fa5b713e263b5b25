#!/usr/bin/env bash
# `mmcheck reproduce` on the running kernel (the README's "The real kernel as oracle"):
# - the uffd-wp race (c) counterexample of linux-5.10 becomes a program that compiles, runs its
#   racing window in a stress loop, and reports the lost write not observed (fixed since 5.12);
# - the fork + vmsplice counterexample of linux-5.7 runs deterministically (no racing window) and
#   shows no leak, as the model says for the running kernel's preset;
# - a scenario with a kernel-internal op is refused with exit 2 and the reason.
# Exit 77 (a ctest skip) without root, gcc or userfaultfd.
set -euo pipefail
mmcheck=$1 src=$2
skip() { echo "MMCHECK-SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || skip "not root (pagemap PFNs, /proc/kpageflags and userfaultfd need it)"
command -v gcc >/dev/null || skip "no gcc (apt-get install gcc)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_program() {  # FILE.c ARGS... -> its output in $work/out; its status in $status
  gcc -O1 -pthread -o "$work/prog" "$1" || fail "$1 does not compile"
  shift
  status=0
  "$work/prog" "$@" > "$work/out" || status=$?
  cat "$work/out"
  [[ $status -ne 4 ]] || skip "$(grep -m1 SKIP "$work/out")"
  grep -q '^TAP version 13$' "$work/out" || fail "no KTAP header"
}

uffd=$src/scenarios/uffd-wp-unprotect-cow-stale-tlb.json
"$mmcheck" check "$uffd" --kernel linux-5.10 --trace "$work/uffd.trace.json" --quiet >/dev/null \
  && fail "the model does not violate no_lost_write on linux-5.10" || true
"$mmcheck" reproduce "$uffd" --trace "$work/uffd.trace.json" -o "$work/uffd.c"
grep -q 'struct sched schedule' "$work/uffd.c" || fail "no schedule in the program"
run_program "$work/uffd.c" -n 300
[[ $status -eq 0 ]] || fail "the uffd-wp program exits $status"
grep -q '^ok 2 .*no_lost_write not observed in 300 iterations$' "$work/out" || fail "uffd-wp verdict"
grep -q '^# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0$' "$work/out" || fail "totals"

vms=$src/scenarios/vmsplice-after-fork-parent-unmap-wrong-way-cow.json
"$mmcheck" check "$vms" --kernel linux-5.7 --trace "$work/vms.trace.json" --quiet >/dev/null \
  && fail "the model does not violate no_cross_mm_leak on linux-5.7" || true
"$mmcheck" check "$vms" --kernel linux-6.18 --quiet >/dev/null || fail "the model: 6.18 leaks"
"$mmcheck" reproduce "$vms" --trace "$work/vms.trace.json" -o "$work/vms.c"
run_program "$work/vms.c"
[[ $status -eq 0 ]] || fail "the vmsplice program exits $status"
grep -q '^ok 2 .*no_cross_mm_leak not observed in 10 iterations$' "$work/out" || fail "vmsplice"

# Without a trace: the documented sequential order, deterministic.
"$mmcheck" reproduce "$vms" > "$work/seq.c"
run_program "$work/seq.c" -n 3
[[ $status -eq 0 ]] || fail "the sequential program exits $status"

# A kernel-internal op: exit 2 and the reason.
status=0
"$mmcheck" reproduce "$src/scenarios/numa-migrate-stale-tlb.json" > /dev/null 2> "$work/err" || status=$?
[[ $status -eq 2 ]] || fail "numa_scan: exit $status, not 2"
grep -q 'not supported by reproduce: .*task_numa_work' "$work/err" || fail "numa_scan: $(cat "$work/err")"
echo "reproduce: uffd-wp race (c) and fork + vmsplice as expected on $(uname -r)"
