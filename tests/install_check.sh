#!/usr/bin/env bash
# `cmake --install BUILD --prefix TMP`: bin/mmcheck runs, share/man/man1/mmcheck.1 and
# share/bash-completion/completions/mmcheck exist, name every subcommand and every option of
# the subcommands' --help, the man page renders without warnings and the completion file
# parses and completes.
set -euo pipefail
cmake=$1 build=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
fail() { echo "FAIL: $*" >&2; exit 1; }
bin=$prefix/bin/mmcheck man=$prefix/share/man/man1/mmcheck.1
completion=$prefix/share/bash-completion/completions/mmcheck
for f in "$bin" "$man" "$completion"; do [[ -s $f ]] || fail "$f is not installed"; done
"$bin" --version | grep -q '^mmcheck ' || fail "the installed mmcheck does not run"
subcommands=$("$bin" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && /^  [a-z]/ {print $1}')
[[ -n $subcommands ]] || fail "no subcommands in --help"
plain=$(sed 's/\\-/-/g; s/\\f[BIR]//g' "$man")
for sub in $subcommands; do
  grep -q "^\.SS \"mmcheck $sub " "$man" || fail "the man page has no section for $sub"
  grep -q "^    $sub)" "$completion" || fail "the completion does not know $sub"
  for opt in $("$bin" "$sub" --help | grep -oE '^  (-[a-z],)?--[a-z-]+' | tr ',' ' '); do
    grep -qF -- "$opt" <<<"$plain" || fail "the man page lacks $sub $opt"
    grep -qF -- "$opt" "$completion" || fail "the completion lacks $sub $opt"
  done
done
if command -v groff >/dev/null; then
  warnings=$(groff -man -Tutf8 -ww "$man" 2>&1 >/dev/null)
  [[ -z $warnings ]] || fail "groff warns about the man page: $warnings"
fi
# The completion completes subcommands and an option's choices.
got=$(bash -c 'source "$1"; COMP_WORDS=(mmcheck ch); COMP_CWORD=1; _mmcheck; echo "${COMPREPLY[*]}"' _ "$completion")
[[ $got == check ]] || fail "completing 'mmcheck ch' gave '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(mmcheck check f --por o); COMP_CWORD=4; _mmcheck; echo "${COMPREPLY[*]}"' _ "$completion")
[[ $got == "on off" ]] || fail "completing 'check --por o' gave '$got'"
echo "installed: $bin, $man, $completion"
