#!/usr/bin/env bash
# `mmcheck oracle` on the running kernel: every sequential scenario of the library, then a
# fixed-seed random batch (about a minute); fails on any undeclared disagreement (the declared
# ones are models/not_modelled.json's). Exit 77 (a ctest skip) without root or gcc, or when the
# kernel lacks what the programs need.
set -euo pipefail
mmcheck=$1 src=$2 what=$3
[[ $(id -u) -eq 0 ]] || { echo "MMCHECK-SKIPPED: not root (pagemap PFNs and /proc/kpageflags need it)"; exit 77; }
command -v gcc >/dev/null || { echo "MMCHECK-SKIPPED: no gcc (apt-get install gcc)"; exit 77; }
status=0
if [[ $what == library ]]; then
  "$mmcheck" oracle "$src"/scenarios/*.json || status=$?
elif [[ $what == served ]]; then
  # Accesses that wait in handle_userfault, served by the handler thread's unprotect or copy:
  # every one compared (none skipped as not sequential), every observation agreeing.
  out=$("$mmcheck" oracle "$src"/tests/oracle/served-*.json) || status=$?
  echo "$out"
  # Skipped as not sequential is a failure, never a ctest skip.
  if grep -q "not sequential" <<<"$out" ||
    { [[ $status -eq 0 ]] && ! grep -q "; 3 scenarios compared, 0 skipped" <<<"$out"; }; then
    echo "FAIL: expected the 3 served scenarios compared, none skipped"
    exit 1
  fi
else
  # One program at a time: two side by side on CI's two cores would race the programs'
  # timeouts against each other and the compiler.
  "$mmcheck" oracle --random "$what" --seed 1 --jobs 1 || status=$?
fi
[[ $status -ne 4 ]] || { echo "MMCHECK-SKIPPED: every program skipped (see above)"; exit 77; }
exit $status
