#!/usr/bin/env python3
"""The distributed search against the single process: for each scenario, `check FILE --kernel
all --json` (every preset) as one process and under `mpirun -np R`, with partial-order reduction
on and off and the exact or the fingerprint store; every preset's report must be byte for byte
the same once the members that vary from run to run (times, memory, threads, ranks, bytes sent)
are stripped. Exit status 0 when all match, 1 otherwise.

  tools/mpi/compare.py BINARY --ranks 1,2,3,4 [--fingerprint] [--por on,off] SCENARIO...

--spread gives each scenario one rank count and one --por setting in turn (scenario i: ranks
i mod R, then --por by i div R), for a shorter run that still covers every pair; --kernel K
checks one preset instead of all.
"""
import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

VARYING = ("seconds", "states_per_second", "peak_rss_bytes", "store_bytes", "bytes_per_state",
           "frontier_bytes", "threads", "ranks", "bytes_sent")



SESSION_DIRS = []


def session_dir():
    """A fresh directory for one mpirun's session files, removed at exit."""
    d = tempfile.mkdtemp(prefix="mmcheck-mpi-")
    SESSION_DIRS.append(d)
    return d


atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in SESSION_DIRS])

def mpirun():
    cmd = ["mpirun", "--oversubscribe"]
    if os.geteuid() == 0:  # CI runs as root; Open MPI refuses unless told
        cmd.append("--allow-run-as-root")
    # A session directory of its own: mpiruns side by side share /tmp/ompi.HOST.UID, and one's
    # cleanup can remove it under another's start ("orte_session_dir failed").
    cmd += ["--mca", "orte_tmpdir_base", session_dir()]
    return cmd


def reports(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    try:
        doc = json.loads(out.stdout)
    except json.JSONDecodeError:
        return None, "exit %d, no JSON: %s %s" % (out.returncode, out.stdout[-300:], out.stderr[-600:])
    lines = {}
    if "presets" not in doc:  # one preset (--kernel K)
        doc = {"presets": [{"kernel": doc.get("kernel", "?"), "report": doc}]}
    for p in doc["presets"]:
        for key in VARYING:
            p["report"].get("stats", {}).pop(key, None)
        lines[p["kernel"]] = json.dumps(p, sort_keys=True)
    return (out.returncode, lines), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--ranks", default="2")
    ap.add_argument("--por", default="on,off")
    ap.add_argument("--fingerprint", action="store_true")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--kernel", default="all")
    ap.add_argument("--spread", action="store_true")
    args = ap.parse_args()
    ranks = args.ranks.split(",")
    pors = args.por.split(",")
    binary = os.path.abspath(args.binary)
    jobs = []
    for i, path in enumerate(args.scenarios):
        for j, por in enumerate(pors):
            if args.spread and j != (i // len(ranks)) % len(pors):
                continue
            base = [binary, "check", path, "--kernel", args.kernel, "--json", "--por", por,
                    "--threads", args.threads] + (["--fingerprint"] if args.fingerprint else [])
            jobs.append((path, por, [ranks[i % len(ranks)]] if args.spread else ranks, base))
    failures = 0
    runs = 0

    def one(job):
        path, por, job_ranks, base = job
        single, err = reports(base)
        if err:
            return ["%s por=%s single process: %s" % (path, por, err)], 0
        problems = []
        for r in job_ranks:
            dist, err = reports(mpirun() + ["-np", r] + base)
            if err:
                problems.append("%s por=%s -np %s: %s" % (path, por, r, err))
                continue
            if dist[0] != single[0]:
                problems.append("%s por=%s -np %s: exit %d, one process %d"
                                % (path, por, r, dist[0], single[0]))
            for kernel, line in single[1].items():
                if dist[1].get(kernel) != line:
                    problems.append("%s por=%s -np %s %s differs:\n  one process: %s\n  ranks:       %s"
                                    % (path, por, r, kernel, line[:600], dist[1].get(kernel, "")[:600]))
        return problems, len(single[1]) * len(job_ranks)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for problems, n in pool.map(one, jobs):
            runs += n
            for p in problems:
                failures += 1
                if failures <= 10:
                    print(p)
    store = "fingerprint" if args.fingerprint else "exact"
    if runs == 0:
        print("no report compared: no scenario given or none ran")
        sys.exit(1)
    print("%d reports (%d scenarios, por %s, ranks %s%s, %s store): %d differ"
          % (runs, len(args.scenarios), args.por, args.ranks, " spread" if args.spread else "",
             store, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
