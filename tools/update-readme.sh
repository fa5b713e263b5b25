#!/usr/bin/env bash
# Regenerates the race x kernel matrix in README.md from `mmcheck suite scenarios --markdown`, and
# its "What is not modelled" section from models/not_modelled.json (tools/not-modelled.py).
# A test fails when the README's copy is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${MMCHECK:-build/release/mmcheck}
matrix=$("$binary" suite scenarios --markdown 2>/dev/null)
MATRIX="$matrix" python3 - <<'PY'
import os, re
path = "README.md"
text = open(path).read()
begin, end = "<!-- suite-matrix:begin -->", "<!-- suite-matrix:end -->"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(path, "w").write(head + begin + "\n" + os.environ["MATRIX"].strip() + "\n" + end + tail)
PY
echo "README.md: matrix updated"
# The "What is not modelled" section from models/not_modelled.json.
python3 tools/not-modelled.py write
echo "README.md: what is not modelled updated"
