#!/usr/bin/env python3
"""The distributed search's benchmark (not a test): one family member (default N=6 K=1 P=2,
22 million states with reduction) checked by the single-process engine and under `mpirun -np R`
for R = 1, 2, 4, with the exact and the fingerprint store. Prints, and writes as JSON, per run:
seconds, states/s, bytes sent between ranks per state and per BFS level, the largest rank's
resident peak, and the ratio to the single-process run. Counts must be equal across runs, or
the benchmark says so and exits 1.

  tools/mpi/bench.py BINARY [--member N,K,P] [--ranks 1,2,4] [--threads T] [--out FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--member", default="6,1,2")
    ap.add_argument("--ranks", default="1,2,4")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads per rank (default: the cores divided among the ranks, at least 1)")
    ap.add_argument("--stores", default="exact,fingerprint")
    ap.add_argument("--out", default="build/bench/mpi.json")
    args = ap.parse_args()
    n, k, p = args.member.split(",")
    work = tempfile.mkdtemp(prefix="mmcheck-mpi-bench-")
    subprocess.run([sys.executable, os.path.join(HERE, "..", "bench", "family.py"), "--out", work,
                    "-N", n, "-K", k, "-P", p], check=True, capture_output=True)
    scenario = os.path.join(work, "fam-N%s-K%s-P%s.json" % (n, k, p))
    cores = os.cpu_count() or 1
    # Open MPI binds each rank to one core when it starts two ranks or fewer: a rank running
    # several threads would share that core. Unbound, the threads spread over the cores.
    mpirun = ["mpirun", "--oversubscribe", "--bind-to", "none"] + (
        ["--allow-run-as-root"] if os.geteuid() == 0 else [])
    rows = []
    for store in args.stores.split(","):
        flags = ["--fingerprint"] if store == "fingerprint" else []
        configs = [("one process", None, args.threads or cores)]
        for r in args.ranks.split(","):
            configs.append(("mpirun -np %s" % r, int(r), args.threads or max(1, cores // int(r))))
        base = None
        for name, ranks, threads in configs:
            cmd = [os.path.abspath(args.binary), "check", scenario, "--json", "--quiet",
                   "--threads", str(threads)] + flags
            if ranks is not None:
                cmd = mpirun + ["-np", str(ranks)] + cmd
            out = subprocess.run(cmd, capture_output=True, text=True)
            doc = json.loads(out.stdout)
            s = doc["stats"]
            row = {"store": store, "run": name, "ranks": ranks or 1, "threads": threads,
                   "verdict": doc["verdict"], "states": s["states"],
                   "transitions": s["transitions"], "depth": s["depth"],
                   "seconds": s["seconds"], "states_per_second": s["states_per_second"],
                   "bytes_sent": s.get("bytes_sent", 0),
                   "peak_rss_bytes_largest_rank": s["peak_rss_bytes"]}
            row["bytes_sent_per_state"] = row["bytes_sent"] / max(1, row["states"])
            row["bytes_sent_per_level"] = row["bytes_sent"] / max(1, row["depth"])
            if base is None:
                base = row
            row["speed_vs_one_process"] = base["seconds"] / max(1e-9, row["seconds"])
            row["counts_equal"] = (row["states"], row["transitions"], row["verdict"]) == (
                base["states"], base["transitions"], base["verdict"])
            rows.append(row)
            print("%-11s %-14s threads %d: %s, %d states, %.1f s, %.2f M states/s, "
                  "%.1f B sent/state, %.1f MB/level, largest rank %.2f GB, %.2fx%s"
                  % (store, name, threads, row["verdict"], row["states"], row["seconds"],
                     row["states_per_second"] / 1e6, row["bytes_sent_per_state"],
                     row["bytes_sent_per_level"] / 1e6,
                     row["peak_rss_bytes_largest_rank"] / 2**30, row["speed_vs_one_process"],
                     "" if row["counts_equal"] else "  COUNTS DIFFER"), flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"member": args.member, "cores": cores, "runs": rows}, f, indent=1)
    print("written: %s" % args.out)
    sys.exit(0 if all(r["counts_equal"] for r in rows) else 1)


if __name__ == "__main__":
    main()
