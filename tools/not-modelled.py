#!/usr/bin/env python3
"""The README's "What is not modelled" section from models/not_modelled.json (the one list of
what the model does not represent, which `mmcheck oracle` also reads to excuse declared
differences): `write` rewrites the block between the not-modelled markers, `check` exits 1 with
the command to run when the README's copy is stale.

    tools/not-modelled.py write|check [REPO]
"""
import json
import os
import sys

BEGIN, END = "<!-- not-modelled:begin -->", "<!-- not-modelled:end -->"


def render(entries):
    lines = ["Generated from `models/not_modelled.json` by `tools/update-readme.sh`; `mmcheck "
             "oracle` reads the same list (the README's \"The real kernel as oracle\").", ""]
    for e in entries:
        if e["kind"] == "not_modelled":
            lines.append("- %s (%s)" % (e["text"], e["reference"]))
    return "\n".join(lines)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    root = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..")
    with open(os.path.join(root, "models", "not_modelled.json")) as f:
        entries = json.load(f)["entries"]
    path = os.path.join(root, "README.md")
    text = open(path).read()
    if BEGIN not in text or END not in text:
        sys.exit("README.md has no %s ... %s block" % (BEGIN, END))
    head, rest = text.split(BEGIN, 1)
    old, tail = rest.split(END, 1)
    new = "\n" + render(entries) + "\n"
    if sys.argv[1] == "check":
        if old != new:
            print("README.md's \"What is not modelled\" is not what models/not_modelled.json says; "
                  "regenerate it from the repository root:\n\n  tools/update-readme.sh\n\nthen "
                  "commit README.md.")
            sys.exit(1)
        print("README.md's \"What is not modelled\" matches models/not_modelled.json")
        return
    open(path, "w").write(head + BEGIN + new + END + tail)


if __name__ == "__main__":
    main()
