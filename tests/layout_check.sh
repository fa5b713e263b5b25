#!/usr/bin/env bash
# The layering and size rules of the tree: the engine (checker/) includes nothing of the model,
# the invariants or the tools; the model (models/) includes nothing of the invariants or the
# tools, it only publishes events (models/observe.hpp); no source file in checker/ or models/
# is over 500 lines.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
bad() { echo "$1" >&2; status=1; }
while IFS= read -r hit; do bad "checker/ includes outside the engine: $hit"; done \
  < <(grep -rnE '#include "(models|invariants|tools)/' checker || true)
while IFS= read -r hit; do bad "models/ includes the invariants or the tools: $hit"; done \
  < <(grep -rnE '#include "(invariants|tools)/' models || true)
while read -r lines file; do
  [ "$file" = total ] && continue
  [ "$lines" -gt 500 ] && bad "$file has $lines lines (over 500)"
done < <(find checker models -name '*.cpp' -o -name '*.hpp' | xargs wc -l)
[ "$status" = 0 ] && echo "layering and file sizes hold"
exit "$status"
