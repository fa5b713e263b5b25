#!/usr/bin/env bash
# The house style is .clang-format: every C++ source of the repository must already be in it.
# Fix with: clang-format -i $(git ls-files '*.cpp' '*.hpp')
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed: run tools/setup.sh" >&2
  exit 1
fi
mapfile -t files < <(find checker models invariants tools tests -name '*.cpp' -o -name '*.hpp' | sort)
clang-format --dry-run --Werror "${files[@]}"
echo "${#files[@]} sources formatted"
