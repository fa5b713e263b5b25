#!/usr/bin/env python3
"""The race library's --json reports as a fixture: every scenario on every preset of its
"expect", with partial-order reduction on and off, stripped of the members that vary from run
to run (times, memory, the thread count). `generate` writes them (xz-compressed JSON lines,
sorted); `compare` reruns every report once and checks it is byte for byte the stored one
(generated at one search thread): at 1 or 2 threads in turn, so that each scenario runs both
reductions at both thread counts (presets alternate which of on and off gets two threads). A refactor that must not change behaviour keeps this test green; a change
of the model's semantics regenerates the fixture and says why in its commit.

  tools/report_fixture.py generate BINARY FIXTURE
  tools/report_fixture.py compare BINARY FIXTURE
"""
import json
import lzma
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

VARYING = ("seconds", "states_per_second", "peak_rss_bytes", "store_bytes", "bytes_per_state",
           "frontier_bytes", "threads")
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def library():
    runs = []
    scen = os.path.join(ROOT, "scenarios")
    for name in sorted(os.listdir(scen)):
        if not name.endswith(".json"):
            continue
        text = open(os.path.join(scen, name)).read()
        # The presets of "expect": the loader accepts comments, so read the names only.
        expect = text[text.index('"expect"'):]
        for preset in re.findall(r'"((?:linux-[0-9.]+)|latest)"\s*:', expect):
            for por in ("on", "off"):
                runs.append(("scenarios/" + name, preset, por))
    return runs


def report(binary, run, threads):
    path, preset, por = run
    out = subprocess.run([binary, "check", path, "--kernel", preset, "--por", por, "--threads",
                          str(threads), "--json"], cwd=ROOT, capture_output=True, text=True)
    doc = json.loads(out.stdout)
    for key in VARYING:
        doc.get("stats", {}).pop(key, None)
    doc["exit_status"] = out.returncode
    return json.dumps({"run": list(run), "report": doc}, sort_keys=True)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("generate", "compare"):
        sys.exit(__doc__)
    mode, binary, fixture = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    runs = library()
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        if mode == "generate":
            lines = list(pool.map(lambda r: report(binary, r, 1), runs))
            with lzma.open(fixture, "wt") as f:
                f.write("\n".join(lines) + "\n")
            print("%s: %d reports" % (fixture, len(lines)))
            return
        if not os.path.exists(fixture):
            sys.exit("no fixture at %s" % fixture)
        with lzma.open(fixture, "rt") as f:
            stored = {tuple(json.loads(l)["run"]): l for l in f.read().splitlines() if l}
        failures = 0
        if set(stored) != set(runs):
            print("the library's runs differ from the fixture's: %d stored, %d now; regenerate "
                  "it with: tools/report_fixture.py generate build/release/mmcheck %s"
                  % (len(stored), len(runs), fixture))
            failures += 1
        threads = [1 + (i // 2 + i) % 2 for i in range(len(runs))]
        now = list(pool.map(lambda i: report(binary, runs[i], threads[i]), range(len(runs))))
        for run, t, line in zip(runs, threads, now):
            if stored.get(run) != line:
                failures += 1
                if failures <= 5:
                    print("differs at %d thread(s): %s\n  stored: %s\n  now:    %s"
                          % (t, " ".join(run), stored.get(run, "")[:400], line[:400]))
        compared = len(runs)
        print("%d passed, %d failed" % (compared - failures, failures))
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
