#!/usr/bin/env python3
"""Checkpoints and failures of the distributed search (checker/distributed_checkpoint.hpp):

  1. a search checkpointed at every level and stopped by --max-states resumes, on one process
     and on three ranks, to the report of the uninterrupted search (exact store);
  2. the same with the fingerprint store, checkpointed on two ranks, resumed on four and one;
  3. SIGTERM (a batch scheduler's pre-emption) ends a one-process search incomplete
     ("interrupted", exit 12) with a checkpoint, which resumes to the same report;
  4. SIGTERM to every rank of a two-rank job does the same;
  5. a rank killed mid-run ends the job with an error, not a hang;
  6. resuming with another scenario or option, or from a directory with no checkpoint, is bad
     input (exit 2) with a message.

  tests/mpi/checkpoint_test.py BINARY FAMILY_PY WORKDIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

VARYING = ("seconds", "states_per_second", "peak_rss_bytes", "store_bytes", "bytes_per_state",
           "frontier_bytes", "threads", "ranks", "bytes_sent", "resumed_from_level")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "mpi"))
from compare import session_dir  # noqa: E402  (one session directory per mpirun)

BINARY, FAMILY, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []



def mpirun(n):
    # A session directory of its own (see tools/mpi/compare.py).
    cmd = ["mpirun", "--oversubscribe", "--mca", "orte_tmpdir_base",
           session_dir(), "-np", str(n)]
    if os.geteuid() == 0:
        cmd.insert(1, "--allow-run-as-root")
    return cmd


def run(cmd, timeout=300):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def report(out):
    doc = json.loads(out.stdout)
    for key in VARYING:
        doc["stats"].pop(key, None)
    return doc


def expect(cond, what):
    print(("ok: " if cond else "FAILED: ") + what)
    if not cond:
        failures.append(what)


def same_report(full, resumed, what):
    a, b = report(full), report(resumed)
    expect(resumed.returncode == full.returncode and a == b,
           "%s: the resumed report is the uninterrupted one (exit %d, %d states)"
           % (what, resumed.returncode, b["stats"]["states"]))
    if a != b:
        for k in a:
            if a[k] != b.get(k):
                print("  differs at %s: %s / %s" % (k, str(a[k])[:200], str(b.get(k))[:200]))


def wait_for(path, process, seconds=60):
    """Until `path` exists (the search wrote its first checkpoint), or the process ended."""
    deadline = time.time() + seconds
    while not os.path.exists(path) and process.poll() is None and time.time() < deadline:
        time.sleep(0.005)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    subprocess.run([sys.executable, FAMILY, "--out", WORK, "-N", "3", "-K", "2", "-P", "2"],
                   check=True, capture_output=True)
    scenario = os.path.join(WORK, "fam-N3-K2-P2.json")
    base = [BINARY, "check", scenario, "--por", "off", "--json", "--quiet"]
    full = run(base + ["--threads", "2"])
    fullf = run(base + ["--threads", "2", "--fingerprint"])
    expect(full.returncode == 0 and report(full)["stats"]["states"] > 500000,
           "the family member holds with over 500,000 states")

    # 1. Exact store: checkpoint every level, stop at --max-states, resume on 1 and 3 ranks.
    ck = os.path.join(WORK, "ck-exact")
    part = run(base + ["--threads", "2", "--checkpoint", ck, "--checkpoint-every", "0",
                       "--max-states", "300000"])
    expect(part.returncode == 12 and json.loads(part.stdout)["incomplete_reason"] == "max-states",
           "--max-states ends the checkpointed search incomplete")
    level = open(os.path.join(ck, "current")).read()
    expect(level.startswith("level-") and int(level[6:]) > 10,
           "the checkpoint names a level past 10 (%s)" % level)
    same_report(full, run(base + ["--threads", "1", "--resume", ck]), "exact, one process")
    same_report(full, run(mpirun(3) + base + ["--threads", "1", "--resume", ck]),
                "exact, written by one process, resumed on 3 ranks")

    # 2. Fingerprint store: written by 2 ranks, resumed on 4 and on one process.
    ckf = os.path.join(WORK, "ck-fingerprint")
    run(mpirun(2) + base + ["--threads", "1", "--fingerprint", "--checkpoint", ckf,
                            "--checkpoint-every", "0", "--max-states", "400000"])
    expect(sorted(os.listdir(os.path.join(ckf, open(os.path.join(ckf, "current")).read())))
           == ["meta", "part-0-of-2", "part-1-of-2"], "two ranks wrote a part each")
    same_report(fullf, run(mpirun(4) + base + ["--threads", "1", "--fingerprint", "--resume", ckf]),
                "fingerprint, written by 2 ranks, resumed on 4")
    same_report(fullf, run(base + ["--threads", "2", "--fingerprint", "--resume", ckf]),
                "fingerprint, written by 2 ranks, resumed on one process")

    # 3. SIGTERM to one process: interrupted, checkpointed, resumed.
    ckt = os.path.join(WORK, "ck-sigterm")
    # A checkpoint at every level (fsynced) keeps the search going long enough, and the signal
    # goes once the first one is there: the search is running, whatever the machine's speed.
    p = subprocess.Popen(base + ["--threads", "1", "--checkpoint", ckt, "--checkpoint-every", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(os.path.join(ckt, "current"), p)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=120)
    doc = json.loads(out)
    expect(p.returncode == 12 and doc.get("incomplete_reason") == "interrupted",
           "SIGTERM ends the search incomplete, interrupted (exit %d)" % p.returncode)
    expect(os.path.exists(os.path.join(ckt, "current")), "SIGTERM wrote a checkpoint")
    if os.path.exists(os.path.join(ckt, "current")):
        same_report(full, run(base + ["--threads", "2", "--resume", ckt]), "after SIGTERM")

    # 4. SIGTERM to every rank of a two-rank job, as Slurm sends it.
    ckm = os.path.join(WORK, "ck-sigterm-ranks")
    p = subprocess.Popen(mpirun(2) + base + ["--threads", "1", "--checkpoint", ckm,
                                             "--checkpoint-every", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ranks = []
    deadline = time.time() + 30
    while len(ranks) < 2 and time.time() < deadline:
        time.sleep(0.1)
        ranks = ranks_of(p.pid)
    wait_for(os.path.join(ckm, "current"), p)
    for pid in ranks:
        os.kill(pid, signal.SIGTERM)
    out, _ = p.communicate(timeout=120)
    expect(len(ranks) == 2 and p.returncode == 12 and '"interrupted"' in out,
           "SIGTERM to both ranks ends the job incomplete (exit %d)" % p.returncode)
    if os.path.exists(os.path.join(ckm, "current")):
        same_report(full, run(mpirun(3) + base + ["--threads", "1", "--resume", ckm]),
                    "after SIGTERM to the ranks, resumed on 3")
    else:
        expect(False, "SIGTERM to the ranks wrote a checkpoint")

    # 5. A rank killed: the job ends with an error, within the timeout.
    p = subprocess.Popen(mpirun(3) + base + ["--threads", "1"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    ranks = []
    deadline = time.time() + 30
    while len(ranks) < 3 and time.time() < deadline:
        time.sleep(0.1)
        ranks = ranks_of(p.pid)
    time.sleep(0.5)
    if ranks:
        os.kill(ranks[-1], signal.SIGKILL)
    try:
        _, err = p.communicate(timeout=60)
        expect(p.returncode not in (0, 12) and "signal 9" in err.replace("Killed", "signal 9"),
               "a killed rank ends the job with an error (exit %d)" % p.returncode)
    except subprocess.TimeoutExpired:
        p.kill()
        expect(False, "a killed rank ends the job: it hung")

    # 6. Resuming what does not match, or nothing.
    other = run(base + ["--threads", "1", "--fingerprint", "--resume", ck])
    expect(other.returncode == 2 and "written by another search" in other.stderr,
           "resuming with other options is exit 2: " + other.stderr.strip()[:160])
    none = run(base + ["--threads", "1", "--resume", os.path.join(WORK, "nothing")])
    expect(none.returncode == 2 and "no such checkpoint directory" in none.stderr,
           "resuming from nothing is exit 2: " + none.stderr.strip()[:160])
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


def ranks_of(mpirun_pid):
    """The mmcheck processes mpirun started (its descendants)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,comm="], capture_output=True, text=True)
    children = {}
    for line in out.stdout.splitlines():
        pid, ppid, comm = line.split(None, 2)
        children.setdefault(int(ppid), []).append((int(pid), comm.strip()))
    found, todo = [], [mpirun_pid]
    while todo:
        for pid, comm in children.get(todo.pop(), []):
            todo.append(pid)
            if comm == "mmcheck":
                found.append(pid)
    return sorted(found)


if __name__ == "__main__":
    main()
