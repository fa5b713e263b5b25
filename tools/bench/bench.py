#!/usr/bin/env python3
"""Benchmark mmcheck on the scaled uffd-wp family, and compare it with SPIN.

    python3 tools/bench/bench.py [--quick] [--out DIR] [--limit SECONDS] ...

What it runs, one process at a time:
  1. The family of tools/bench/family.py (N=2..6 writers x K=1..3 stores x P=1..2 pages),
     generated into DIR/scenarios, checked by mmcheck at 1 and 2 threads (and nproc, if
     more), with POR on and off (when `check` has --por), and with --fingerprint (when
     `check` has it; POR on only). Every run is capped at --limit seconds (--max-seconds,
     so mmcheck stops as incomplete and still reports its counts) and --mem-limit MiB.
     A configuration that stops incomplete is skipped for the bigger N of the same K, P;
     a run at the most threads that stops incomplete skips the fewer-thread runs of it.
  2. The generated files against the shared SPIN twins (--twins): the same states and
     transitions are expected, for the members up to --twin-max-states.
  3. The race suite: `mmcheck suite scenarios --json`, total time.
  4. If `spin` is installed: SPIN's pan on the Promela twins (--spin-models), compiled as
     bench/spin/run.sh does (gcc -O2 -DSAFETY [-DNOREDUCE] -DMEMLIM=..., ./pan -m100000
     -w26), with the same time limit (SIGINT, so pan still prints its counts).
  5. If `rumur` is installed (apt-get install rumur): Rumur on the Murphi twin of each member
     (tools/bench/murphi.py; murphi_numa.py, murphi_fork.py, murphi_copy.py for the variants),
     one thread, the same time limit (SIGKILL); its states and transitions must equal
     mmcheck's with POR off.
The variants (--variants; family.py's numa, fork and copy: a NUMA scan and hinting-fault
migration, fork against per-VMA-lock faults, UFFDIO_COPY) run beside the base family; SPIN
has twins of the base members only, Rumur of every member. --members runs just the named members; --compare OLD.json adds each member's
figures as ratios to an earlier run's (a regression past 5% in bold).
--quick keeps only the members under --quick-states states (about 1 M; a bigger member is
found by its first run stopping at that cap, and the bigger N of the same K, P are skipped).

Writes DIR/bench.json (every run; rewritten after each run, so a long run can be read while
it goes) and DIR/bench.md, and prints the Markdown. DIR defaults to build/bench.
Timings are wall-clock on a shared machine: the load average before and after each run is
recorded, and the figures are noisy while other jobs run.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import family  # noqa: E402

# The Promela twins of the family live beside the repository by default (--spin-models).
SHARED_SPIN = os.path.normpath(os.path.join(REPO, "..", "shared", "bench", "spin"))
MIB = 1 << 20


# ---------------------------------------------------------------------------------------
# processes

def run_process(cmd, cwd=None, stdout_path=None, sigint_after=None, kill_after=None):
    """Run cmd; SIGINT it after sigint_after s and SIGKILL it after kill_after s.
    Returns rc, wall seconds, the child's peak RSS (bytes), whether a signal was sent,
    and its stdout (text)."""
    out = open(stdout_path, "w+b") if stdout_path else tempfile.TemporaryFile()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    sent = []

    def send(sig):
        if proc.returncode is None:
            try:
                os.kill(proc.pid, sig)
                sent.append(sig)
            except ProcessLookupError:
                pass
    timers = []
    if sigint_after:
        timers.append(threading.Timer(sigint_after, send, (signal.SIGINT,)))
    if kill_after:
        timers.append(threading.Timer(kill_after, send, (signal.SIGKILL,)))
    for t in timers:
        t.daemon = True
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in timers:
        t.cancel()
    out.seek(0)
    text = out.read().decode("utf-8", "replace")
    out.close()
    return {"rc": proc.returncode, "wall": wall, "maxrss_bytes": usage.ru_maxrss * 1024,
            "signalled": [signal.Signals(s).name for s in sent], "stdout": text}


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def git_describe():
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except OSError:
        return None


# ---------------------------------------------------------------------------------------
# mmcheck

class MMCheck:
    def __init__(self, path):
        self.path = path
        help_text = subprocess.run([path, "check", "--help"], capture_output=True, text=True).stdout
        self.has_por = "--por" in help_text
        self.has_fingerprint = "--fingerprint" in help_text
        self.has_compress = "--compress" in help_text
        self.has_max_memory = "--max-memory" in help_text
        self.has_max_states = "--max-states" in help_text
        st = os.stat(path)
        self.mtime = datetime.datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds")

    def check(self, scenario, threads, por=None, fingerprint=False, limit=None, mem_mib=None,
              max_states=None, compress=False):
        cmd = [self.path, "check", scenario, "--json", "--quiet", "--threads", str(threads)]
        if por is not None:
            cmd += ["--por", por]
        if fingerprint:
            cmd += ["--fingerprint"]
        if compress:
            cmd += ["--compress"]
        if limit:
            cmd += ["--max-seconds", str(limit)]
        if mem_mib and self.has_max_memory:
            cmd += ["--max-memory", str(mem_mib)]
        if max_states and self.has_max_states:
            cmd += ["--max-states", str(max_states)]
        load0 = loadavg()
        # --max-seconds stops it; the SIGKILL is only a safety net
        res = run_process(cmd, kill_after=(limit * 1.5 + 60) if limit else None)
        rec = {"cmd": " ".join(cmd[1:]), "exit_code": res["rc"], "wall": res["wall"],
               "maxrss_bytes": res["maxrss_bytes"], "load_before": load0, "load_after": loadavg()}
        try:
            rep = json.loads(res["stdout"])
        except ValueError:
            rec.update(verdict="error", complete=False, error=res["stdout"][-2000:])
            return rec
        st = rep.get("stats", {})
        rec.update(verdict=rep.get("verdict"), incomplete_reason=rep.get("incomplete_reason"),
                   complete=rep.get("verdict") not in ("incomplete", "error", None))
        for key in ("states", "transitions", "depth", "seconds", "states_per_second",
                    "peak_rss_bytes", "store_bytes", "bytes_per_state", "frontier_bytes", "threads",
                    "store", "por"):
            if key in st:
                rec[key] = st[key]
        if rec.get("states") and rec.get("seconds"):
            rec.setdefault("states_per_second", rec["states"] / rec["seconds"])
        if rec.get("states_per_second") and rec.get("threads"):
            rec["states_per_second_per_thread"] = rec["states_per_second"] / rec["threads"]
        if rec.get("peak_rss_bytes") and rec.get("states"):
            rec["peak_rss_per_state"] = rec["peak_rss_bytes"] / rec["states"]
        return rec


# ---------------------------------------------------------------------------------------
# SPIN

PAN_PATTERNS = {
    "states": r"^\s*([\d.e+]+) states, stored",
    "matched": r"^\s*([\d.e+]+) states, matched",
    "transitions": r"^\s*([\d.e+]+) transitions \(= stored\+matched\)",
    "depth": r"depth reached (\d+)",
    "errors": r"errors: (\d+)",
    "state_vector_bytes": r"State-vector (\d+) byte",
    "states_mem_mb": r"^\s*([\d.]+)\s+actual memory usage for states",
    "hash_table_mb": r"^\s*([\d.]+)\s+memory used for hash table",
    "pan_mem_mb": r"^\s*([\d.]+)\s+total actual memory usage",
    "seconds": r"pan: elapsed time ([\d.e+]+) seconds",
    "pan_rate": r"pan: rate\s+([\d.e+]+) states/second",
}


def parse_pan(text):
    rec = {}
    for key, pat in PAN_PATTERNS.items():
        m = re.search(pat, text, re.M)
        if m:
            v = float(m.group(1))
            rec[key] = int(v) if key in ("states", "matched", "transitions", "depth", "errors",
                                         "state_vector_bytes") else v
    rec["interrupted"] = "Search not completed" in text or "Interrupted" in text
    rec["memlim"] = "MEMLIM" in text and "bound" in text
    return rec


def spin_version():
    try:
        return subprocess.run(["spin", "-V"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


def run_spin(model, mode, workroot, limit, mem_mib, hash_w):
    """Compile and run pan for one Promela model. mode: por | nored."""
    work = tempfile.mkdtemp(prefix="pan-", dir=workroot)
    try:
        shutil.copy(model, os.path.join(work, "model.pml"))
        r = subprocess.run(["spin", "-a", "model.pml"], cwd=work, capture_output=True, text=True)
        if r.returncode != 0:
            return {"error": "spin -a failed: " + (r.stdout + r.stderr)[-2000:], "complete": False}
        cflags = ["-O2", "-DSAFETY"] + (["-DNOREDUCE"] if mode == "nored" else []) + \
                 (["-DMEMLIM=%d" % mem_mib] if mem_mib else [])
        t0 = time.monotonic()
        r = subprocess.run(["gcc"] + cflags + ["-o", "pan", "pan.c"], cwd=work,
                           capture_output=True, text=True)
        compile_s = time.monotonic() - t0
        if r.returncode != 0:
            return {"error": "gcc failed: " + (r.stdout + r.stderr)[-2000:], "complete": False}
        pan_args = ["-m100000", "-w%d" % hash_w]
        load0 = loadavg()
        res = run_process(["./pan"] + pan_args, cwd=work, sigint_after=limit,
                          kill_after=(limit + 120) if limit else None)
        rec = parse_pan(res["stdout"])
        rec.update(cflags=" ".join(cflags), pan_args=" ".join(pan_args), compile_seconds=compile_s,
                   wall=res["wall"], exit_code=res["rc"], peak_rss_bytes=res["maxrss_bytes"],
                   signalled=res["signalled"], load_before=load0, load_after=loadavg())
        rec["complete"] = ("states" in rec and not rec["interrupted"] and not rec["memlim"]
                           and not res["signalled"] and rec.get("errors", 1) == 0)
        if not rec["complete"]:
            rec["incomplete_reason"] = ("time limit" if res["signalled"] else
                                        "MEMLIM" if rec["memlim"] else
                                        "errors" if rec.get("errors") else "see pan output")
            rec["pan_tail"] = res["stdout"][-3000:]
        if rec.get("states") is not None:
            # SPIN stores one extra state: its initial state before init runs the setup
            rec["scenario_states"] = rec["states"] - 1
            secs = rec.get("seconds")  # pan's own elapsed time, 0.01 s resolution
            rec["states_per_second"] = rec["states"] / secs if secs else None
            rec["peak_rss_per_state"] = rec["peak_rss_bytes"] / rec["states"] if rec["states"] else None
            if rec.get("states_mem_mb") is not None and rec["states"]:
                rec["store_bytes_per_state"] = rec["states_mem_mb"] * MIB / rec["states"]
        return rec
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Rumur

RUMUR_DONE = re.compile(r"(\d+) states, (\d+) rules fired in (\d+)s")


def rumur_version():
    try:
        return subprocess.run(["rumur", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


# The Murphi twins' generators by variant (each module's model(n, k, p)).
RUMUR_TWINS = {"base": "murphi", "numa": "murphi_numa", "fork": "murphi_fork",
               "copy": "murphi_copy"}


def run_rumur(n, k, p, workroot, limit, variant="base"):
    """Generate the Murphi twin (tools/bench/murphi.py, or the variant's), compile it with Rumur
    (one thread, as pan) and run it; SIGKILL at the limit (the verifier has no time bound)."""
    import importlib
    twin = importlib.import_module(RUMUR_TWINS[variant])
    work = tempfile.mkdtemp(prefix="rumur-", dir=workroot)
    try:
        with open(os.path.join(work, "model.m"), "w") as f:
            f.write(twin.model(n, k, p))
        r = subprocess.run(["rumur", "--deadlock-detection", "off", "--threads", "1", "model.m",
                            "--output", "model.c"], cwd=work, capture_output=True, text=True)
        if r.returncode != 0:
            return {"error": "rumur failed: " + (r.stdout + r.stderr)[-2000:], "complete": False}
        cflags = ["-std=c11", "-march=native", "-mcx16", "-O3"]
        t0 = time.monotonic()
        r = subprocess.run(["cc"] + cflags + ["-o", "verifier", "model.c", "-lpthread"], cwd=work,
                           capture_output=True, text=True)
        compile_s = time.monotonic() - t0
        if r.returncode != 0:
            return {"error": "cc failed: " + (r.stdout + r.stderr)[-2000:], "complete": False}
        load0 = loadavg()
        res = run_process(["./verifier"], cwd=work, kill_after=limit)
        m = RUMUR_DONE.search(res["stdout"])
        rec = {"cflags": " ".join(cflags), "compile_seconds": compile_s, "wall": res["wall"],
               "exit_code": res["rc"], "peak_rss_bytes": res["maxrss_bytes"],
               "signalled": res["signalled"], "load_before": load0, "load_after": loadavg()}
        rec["complete"] = bool(m) and res["rc"] == 0 and "No error found" in res["stdout"]
        if m:
            rec.update(states=int(m.group(1)), transitions=int(m.group(2)),
                       rumur_seconds=int(m.group(3)))
        else:  # the last progress line: states explored so far
            prog = re.findall(r"(\d+) states explored in (\d+)s", res["stdout"])
            if prog:
                rec["states"] = int(prog[-1][0])
        # Rumur reports whole seconds: the rate is from the verifier's wall time
        rec["seconds"] = res["wall"]
        if rec.get("states"):
            rec["states_per_second"] = rec["states"] / res["wall"]
            rec["peak_rss_per_state"] = res["maxrss_bytes"] / rec["states"]
        if not rec["complete"]:
            rec["incomplete_reason"] = "time limit" if res["signalled"] else "see output"
            rec["tail"] = res["stdout"][-2000:]
        return rec
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# the benchmark

def label(r):
    """A member's label in the tables: "N=4 K=2 P=1", "numa N=4 K=2 P=1"."""
    v = r.get("variant", "base")
    return ("" if v == "base" else v + " ") + "N=%d K=%d P=%d" % (r["N"], r["K"], r["P"])


def thread_counts():
    n = os.cpu_count() or 1
    counts = {1, 2} | ({4, n} if n > 4 else {n})
    return sorted(c for c in counts if c <= max(n, 2))


class Bench:
    def __init__(self, a):
        self.a = a
        self.out = os.path.abspath(a.out)
        self.scen_dir = os.path.join(self.out, "scenarios")
        # run a private copy of the binary: others may rebuild build/release/mmcheck while
        # the benchmark runs, and every run must use the same one
        self.work = tempfile.mkdtemp(prefix="mmcheck-bench-")
        snapshot = os.path.join(self.work, "mmcheck")
        shutil.copy2(a.mmcheck, snapshot)
        with open(snapshot, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        self.mm = MMCheck(snapshot)
        self.threads = sorted(a.threads) if a.threads else thread_counts()
        self.spin = shutil.which("spin") and shutil.which("gcc") and not a.no_spin
        self.rumur = bool(shutil.which("rumur") and shutil.which("cc") and not a.no_rumur)
        self.rumur_runs = []
        self.rumur_stopped = set()
        self.runs = []        # mmcheck runs
        self.spin_runs = []   # pan runs
        self.twin_checks = []
        self.suite = None
        self.excluded = []    # members left out (quick budget, or every config skipped)
        self.previous = {}    # --resume: the runs of DIR/bench.json, reused
        # --spin-from: SPIN's runs taken from an earlier bench.json instead of run again
        self.spin_from, spin_from_meta = [], None
        if a.spin_from:
            with open(a.spin_from) as f:
                earlier = json.load(f)
            self.spin_from = [r for r in earlier["spin_runs"] if "skipped" not in r]
            spin_from_meta = {"file": os.path.abspath(a.spin_from), "date": earlier["meta"]["date"],
                              "host": earlier["meta"]["host"], "limit_s": earlier["meta"]["limit_s"],
                              "spin": earlier["meta"].get("spin")}
            self.spin = False
        self.meta = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": platform.node(), "nproc": os.cpu_count(),
            "cpu": self._cpu_model(), "mem_total_gb": self._mem_total_gb(),
            "mmcheck": os.path.abspath(a.mmcheck), "mmcheck_mtime": self.mm.mtime,
            "mmcheck_sha256": digest[:16],
            "git": git_describe(),
            "features": {"por": self.mm.has_por, "fingerprint": self.mm.has_fingerprint,
                         "max_memory": self.mm.has_max_memory},
            "quick": a.quick, "limit_s": a.limit, "mem_limit_mib": a.mem_limit,
            "quick_states": a.quick_states if a.quick else None,
            "threads": self.threads,
            "spin": spin_version() if self.spin else (spin_from_meta or {}).get("spin"),
            "spin_models": a.spin_models if self.spin else None,
            "spin_from": spin_from_meta,
            "rumur": rumur_version() if self.rumur else None,
            "variants": list(a.variants), "members": list(a.members or []),
            "skipped_members": sorted(a.skip),
            "load_start": loadavg(),
        }

    @staticmethod
    def _cpu_model():
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor()

    @staticmethod
    def _mem_total_gb():
        try:
            with open("/proc/meminfo") as f:
                kb = int(f.readline().split()[1])
                return round(kb / 1024 / 1024, 1)
        except (OSError, ValueError, IndexError):
            return None

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def configs(self):
        """(por, store, threads) in run order: POR off first (the most states, so a quick
        budget is found at once), most threads first."""
        pors = ["off", "on"] if self.mm.has_por else [None]
        out = []
        stores = ["exact"] + (["fingerprint"] if self.mm.has_fingerprint else []) + \
            (["compressed"] if getattr(self.mm, "has_compress", False) else [])
        for store in stores:
            for por in pors:
                if store in ("fingerprint", "compressed") and por == "off":
                    continue
                for t in sorted(self.threads, reverse=True):
                    out.append((por, store, t))
        return out

    def members(self):
        """(N, K, P, variant) of the members to run: the variants' members by N, then K, then
        P (the small members of every (K, P) first); --members keeps only the named ones."""
        out = []
        for v in self.a.variants:
            ms = family.members(self.a.writers, self.a.stores, self.a.pages)
            out += [(n, k, p, v) for (n, k, p) in sorted(ms)]
        if self.a.members:
            named = [family.parse_member(m) for m in self.a.members]
            out = [(n, k, p, v) for (v, n, k, p) in named]
        return out

    def save(self):
        self.meta["load_end"] = loadavg()
        data = {"meta": self.meta, "runs": self.runs, "spin_runs": self.spin_runs,
                "rumur_runs": self.rumur_runs,
                "twin_checks": self.twin_checks, "suite": self.suite, "excluded": self.excluded,
                "summary": self.summary()}
        tmp = os.path.join(self.out, "bench.json.tmp")
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, os.path.join(self.out, "bench.json"))

    # -- mmcheck on the family ----------------------------------------------------------
    def run_family(self):
        paths = family.write_family(self.scen_dir, self.members())
        stopped = set()       # (K, P, por, store, threads) that stopped incomplete
        over_budget = set()   # (K, P) past the quick budget
        self.spin_stopped = set()
        for (n, k, p, v) in self.members():
            name = family.member_name(n, k, p, v)
            if (k, p, v) in over_budget:
                self.excluded.append({"member": name, "why": "a smaller N of this K, P is over the quick budget"})
                continue
            if name in self.a.skip:
                self.excluded.append({"member": name, "why": "left out on the command line (--skip)"})
                continue
            ran = 0
            skipped_here = set()
            for (por, store, t) in self.configs():
                key = (k, p, v, por, store, t)
                base = {"member": name, "N": n, "K": k, "P": p, "variant": v, "por_mode": por,
                        "store_mode": store, "threads_asked": t}
                if key in stopped:
                    self.runs.append(dict(base, skipped="a smaller N stopped incomplete"))
                    continue
                if (por, store) in skipped_here:
                    self.runs.append(dict(base, skipped="the run with more threads stopped incomplete"))
                    stopped.add(key)
                    continue
                rec = self.previous.get(("mm", name, por, store, t))
                if rec is None:
                    rec = self.mm.check(paths[(n, k, p, v)], t, por=por, fingerprint=(store == "fingerprint"),
                                        compress=(store == "compressed"),
                                        limit=self.a.limit, mem_mib=self.a.mem_limit,
                                        max_states=self.a.quick_states if self.a.quick else None)
                    rec.update(base)
                ran += 1
                self.runs.append(rec)
                self.log("  %-14s por=%-4s %-11s %dt  %-10s %12s states %9.2f s  %8.3f M st/s  load %s"
                         % (name, por, store, t, rec.get("verdict"), "{:,}".format(rec.get("states", 0)),
                            rec.get("seconds") or 0, (rec.get("states_per_second") or 0) / 1e6,
                            rec.get("load_before")))
                if self.a.quick and rec.get("incomplete_reason") == "max-states":
                    rec["over_quick_budget"] = True
                    over_budget.add((k, p, v))
                    break
                if not rec.get("complete"):
                    stopped.add(key)
                    skipped_here.add((por, store))
                self.save()
            if (k, p, v) in over_budget:
                self.excluded.append({"member": name, "why": "over the quick budget (%s states)"
                                      % "{:,}".format(self.a.quick_states)})
                self.runs = [r for r in self.runs if r.get("member") != name]
                self.save()
                continue
            if self.spin_from:
                self.spin_runs += [r for r in self.spin_from if r.get("member") == name]
            elif self.spin and v == "base":
                self.run_spin_member(n, k, p)
            if self.rumur and v in RUMUR_TWINS:
                self.run_rumur_member(n, k, p, v)
            self.save()

    # -- SPIN on the twins ----------------------------------------------------------------
    def run_spin_member(self, n, k, p):
        name = family.member_name(n, k, p)
        model = os.path.join(self.a.spin_models, name + ".pml")
        if not os.path.exists(model):
            self.spin_runs.append({"member": name, "skipped": "no model " + model})
            return
        known = [r.get("states", 0) for r in self.runs if r.get("member") == name and "states" in r]
        incomplete = any(not r.get("complete") for r in self.runs
                         if r.get("member") == name and "skipped" not in r)
        hash_w = 27 if (incomplete or (known and max(known) > 30e6)) else 26
        for mode in ("por", "nored"):
            base = {"member": name, "N": n, "K": k, "P": p, "mode": mode}
            if (k, p, mode) in self.spin_stopped:
                self.spin_runs.append(dict(base, skipped="a smaller N stopped incomplete"))
                continue
            rec = self.previous.get(("spin", name, mode))
            if rec is None:
                rec = run_spin(model, mode, self.work, self.a.limit, self.a.mem_limit, hash_w)
                rec.update(base)
            self.spin_runs.append(rec)
            self.log("  %-14s SPIN %-5s        %-10s %12s states %9.2f s  %8.3f M st/s  load %s"
                     % (name, mode, "complete" if rec.get("complete") else "incomplete",
                        "{:,}".format(rec.get("states", 0)), rec.get("seconds") or 0,
                        (rec.get("states_per_second") or 0) / 1e6, rec.get("load_before")))
            if not rec.get("complete"):
                self.spin_stopped.add((k, p, mode))
            self.save()

    # -- Rumur on the Murphi twins -----------------------------------------------------------
    def run_rumur_member(self, n, k, p, variant="base"):
        name = family.member_name(n, k, p, variant)
        base = {"member": name, "N": n, "K": k, "P": p, "variant": variant}
        if (variant, k, p) in self.rumur_stopped:
            self.rumur_runs.append(dict(base, skipped="a smaller N stopped incomplete"))
            return
        rec = self.previous.get(("rumur", name))
        if rec is None:
            rec = run_rumur(n, k, p, self.work, self.a.limit, variant)
            rec.update(base)
        self.rumur_runs.append(rec)
        self.log("  %-14s Rumur             %-10s %12s states %9.2f s  %8.3f M st/s  load %s"
                 % (name, "complete" if rec.get("complete") else "incomplete",
                    "{:,}".format(rec.get("states", 0)), rec.get("seconds") or 0,
                    (rec.get("states_per_second") or 0) / 1e6, rec.get("load_before")))
        if not rec.get("complete"):
            self.rumur_stopped.add((variant, k, p))
        self.save()

    # -- generated files vs the shared twins ------------------------------------------------
    def run_twins(self):
        if not self.a.twins or not os.path.isdir(self.a.twins):
            return
        t = max(self.threads)
        por = "off" if self.mm.has_por else None
        for (n, k, p, v) in self.members():
            name = family.member_name(n, k, p, v)
            twin = os.path.join(self.a.twins, name + ".json")
            ours = [r for r in self.runs if r.get("member") == name and r.get("complete")
                    and r.get("store_mode") == "exact" and r.get("por_mode") == por]
            if not ours or not os.path.exists(twin) or ours[0]["states"] > self.a.twin_max_states:
                continue
            ref = ours[0]
            rec = self.mm.check(twin, ref["threads_asked"], por=por, limit=self.a.limit,
                                mem_mib=self.a.mem_limit)
            same = (rec.get("states"), rec.get("transitions"), rec.get("verdict")) == \
                   (ref.get("states"), ref.get("transitions"), ref.get("verdict"))
            self.twin_checks.append({"member": name, "twin": twin, "por_mode": por,
                                     "threads": ref["threads_asked"],
                                     "ours": [ref.get("verdict"), ref.get("states"), ref.get("transitions")],
                                     "twin_result": [rec.get("verdict"), rec.get("states"), rec.get("transitions")],
                                     "same": same})
            self.log("  twin %-14s ours %s / shared %s  %s" % (
                name, "{:,}".format(ref.get("states", 0)), "{:,}".format(rec.get("states") or 0),
                "same" if same else "DIFFERENT"))
        self.save()

    # -- race suite -------------------------------------------------------------------------
    def run_suite(self):
        sdir = os.path.join(REPO, "scenarios")
        if not os.path.isdir(sdir):
            return
        self.suite = []
        modes = ["on", "off"] if self.mm.has_por else [None]
        for por in modes:
            cmd = [self.mm.path, "suite", sdir, "--json"] + (["--por", por] if por else [])
            load0 = loadavg()
            res = run_process(cmd, kill_after=self.a.limit * 4 if self.a.limit else None)
            rec = {"cmd": " ".join(cmd[1:]), "por_mode": por, "exit_code": res["rc"], "wall": res["wall"],
                   "maxrss_bytes": res["maxrss_bytes"], "load_before": load0, "load_after": loadavg()}
            try:
                rep = json.loads(res["stdout"])
                results = rep.get("results", [])
                rec.update(seconds=rep.get("seconds"), failures=rep.get("failures"),
                           checks=len(results), passed=sum(1 for r in results if r.get("pass")),
                           scenarios=len({r.get("scenario", {}).get("name") for r in results}),
                           states=sum(r.get("stats", {}).get("states", 0) for r in results),
                           transitions=sum(r.get("stats", {}).get("transitions", 0) for r in results))
            except ValueError:
                rec["error"] = res["stdout"][-2000:]
            self.suite.append(rec)
            self.log("  suite por=%s: %s checks, %s failures, %.2f s wall" % (
                por, rec.get("checks"), rec.get("failures"), rec["wall"]))
        self.save()

    # -- summary ----------------------------------------------------------------------------
    def _run(self, member, por, store, threads):
        for r in self.runs:
            if (r.get("member"), r.get("por_mode"), r.get("store_mode"), r.get("threads_asked")) == \
               (member, por, store, threads) and "skipped" not in r:
                return r
        return None

    def _rumur(self, member):
        for r in self.rumur_runs:
            if r.get("member") == member and "skipped" not in r and "error" not in r:
                return r
        return None

    def _spin(self, member, mode):
        for r in self.spin_runs:
            if r.get("member") == member and r.get("mode") == mode and "skipped" not in r:
                return r
        return None

    def summary(self):
        """One row per member: the figures of the tables, also in bench.json."""
        on = "on" if self.mm.has_por else None
        off = "off" if self.mm.has_por else None
        rows = []
        names = []
        for (n, k, p, v) in sorted(self.members(), key=lambda t: (t[3] != "base", t[3], t[1], t[2], t[0])):
            name = family.member_name(n, k, p, v)
            if any(r.get("member") == name and "skipped" not in r for r in self.runs):
                names.append((name, n, k, p, v))
        for name, n, k, p, v in names:
            row = {"member": name, "N": n, "K": k, "P": p, "variant": v}
            r_off1, r_on1 = self._run(name, off, "exact", 1), self._run(name, on, "exact", 1)
            r_off2, r_on2 = self._run(name, off, "exact", 2), self._run(name, on, "exact", 2)
            s_por, s_nored = self._spin(name, "por"), self._spin(name, "nored")

            def st(r):
                return None if r is None else {"states": r.get("states"), "complete": r.get("complete")}
            row["mmcheck_states_por_off"] = st(r_off2 or r_off1)
            row["mmcheck_states_por_on"] = st(r_on2 or r_on1)
            if r_off2 or r_off1:
                row["transitions_por_off"] = (r_off2 or r_off1).get("transitions")
            for tag, r in (("1t", r_on1), ("2t", r_on2), ("off_1t", r_off1), ("off_2t", r_off2)):
                if r:
                    row["seconds_" + tag] = r.get("seconds")
                    row["complete_" + tag] = r.get("complete")
                    row["sps_per_core_" + tag] = r.get("states_per_second_per_thread")
            tmin = self.a.min_seconds

            def timed(r):  # long enough for its rate to mean something
                return bool(r) and (r.get("seconds") or 0) >= tmin and bool(r.get("states_per_second"))
            for tag, a, b in (("speedup_2v1", r_on1, r_on2), ("speedup_2v1_por_off", r_off1, r_off2)):
                if timed(a) and timed(b):
                    row[tag] = b["states_per_second"] / a["states_per_second"]
            ref = r_on1 or r_on2
            if ref:
                row["bytes_per_state"] = ref.get("bytes_per_state")
                row["peak_rss_bytes"] = ref.get("peak_rss_bytes")
                row["peak_rss_per_state"] = ref.get("peak_rss_per_state")
            a_off, a_on = r_off2 or r_off1, r_on2 or r_on1
            if a_off and a_on and a_off.get("complete") and a_on.get("complete") and a_on.get("states"):
                row["por_reduction"] = a_off["states"] / a_on["states"]
            def store_figures(store, r):  # the figures of a fingerprint or compressed run
                row[store + "_states"] = st(r)
                row[store + "_bytes_per_state"] = r.get("bytes_per_state")
                if r.get("frontier_bytes") is not None and r.get("states"):
                    row[store + "_frontier_per_state"] = r["frontier_bytes"] / r["states"]
                row[store + "_peak_rss_bytes"] = r.get("peak_rss_bytes")
                if r.get("complete"):
                    row[store + "_seconds"] = r.get("seconds")
            fp1, fp2 = self._run(name, on, "fingerprint", 1), self._run(name, on, "fingerprint", 2)
            fp = fp2 or fp1  # the 2-thread run when there is one
            if fp:
                store_figures("fingerprint", fp)
                # a fingerprint store can only omit states, never add any: a ratio above 1,
                # or counts that differ between thread counts, point at a bug
                fps = [r["states"] for r in (fp1, fp2) if r and r.get("complete") and r.get("states")]
                if fps and a_on and a_on.get("complete") and a_on.get("states"):
                    row["fingerprint_vs_exact"] = [x / a_on["states"] for x in fps]
            cz1, cz2 = self._run(name, on, "compressed", 1), self._run(name, on, "compressed", 2)
            cz = cz1 or cz2  # the 1-thread run: its rate beside the exact store's
            if cz:
                store_figures("compressed", cz)
            if s_por:
                row["spin_states_por"] = {"states": s_por.get("states"), "complete": s_por.get("complete"),
                                          "scenario_states": s_por.get("scenario_states")}
                row["spin_seconds_por"] = s_por.get("seconds")
                row["spin_peak_rss_bytes"] = s_por.get("peak_rss_bytes")
                row["spin_sps_por"] = s_por.get("states_per_second")
            ru = self._rumur(name)
            if ru:
                row["rumur_states"] = {"states": ru.get("states"), "complete": ru.get("complete")}
                row["rumur_seconds"] = ru.get("seconds")
                row["rumur_sps"] = ru.get("states_per_second")
                row["rumur_peak_rss_bytes"] = ru.get("peak_rss_bytes")
                if a_off and a_off.get("complete") and ru.get("complete"):
                    row["same_states_unreduced_rumur"] = (a_off["states"], a_off.get("transitions")) == \
                        (ru["states"], ru.get("transitions"))
                if timed(r_off1) and timed(ru):
                    row["ratio_sps_per_core_noreduce_rumur"] = r_off1["states_per_second"] / ru["states_per_second"]
            if s_nored:
                row["spin_states_nored"] = {"states": s_nored.get("states"), "complete": s_nored.get("complete")}
                row["spin_seconds_nored"] = s_nored.get("seconds")
                row["spin_sps_nored"] = s_nored.get("states_per_second")
            # ratios mmcheck / SPIN
            if timed(r_on1) and timed(s_por):
                row["ratio_sps_per_core"] = r_on1["states_per_second"] / s_por["states_per_second"]
            if timed(r_off1) and timed(s_nored):
                row["ratio_sps_per_core_noreduce"] = r_off1["states_per_second"] / s_nored["states_per_second"]
            if a_on and s_por and a_on.get("complete") and s_por.get("complete") and s_por.get("scenario_states"):
                row["ratio_states_reduced"] = a_on["states"] / s_por["scenario_states"]
            if a_off and s_nored and a_off.get("complete") and s_nored.get("complete"):
                row["same_states_unreduced"] = a_off["states"] == s_nored["states"] - 1
            if ref and s_por and ref.get("peak_rss_per_state") and s_por.get("peak_rss_per_state"):
                row["ratio_rss_per_state"] = ref["peak_rss_per_state"] / s_por["peak_rss_per_state"]
            if ref and s_por and ref.get("bytes_per_state") and s_por.get("store_bytes_per_state"):
                row["ratio_store_bytes_per_state"] = ref["bytes_per_state"] / s_por["store_bytes_per_state"]
            best_mm = min([r.get("seconds") for r in (r_on1, r_on2) if r and r.get("complete")] or [None],
                          key=lambda x: x if x is not None else 1e99)
            if best_mm and best_mm >= tmin and timed(s_por) and s_por.get("complete"):
                row["ratio_wall_spin_over_mmcheck"] = s_por["seconds"] / best_mm
            rows.append(row)
        return rows

    # -- Markdown -----------------------------------------------------------------------------
    def markdown(self):
        m = self.meta
        rows = self.summary()
        L = []
        w = L.append
        w("# mmcheck benchmark: the scaled uffd-wp family%s\n" % (" (quick)" if m["quick"] else ""))
        w("- %s, %s, mmcheck %s (binary of %s, sha256 %s…), %s cores (%s), %s GB RAM" % (
            m["date"], m["host"], m["git"], m["mmcheck_mtime"], m.get("mmcheck_sha256"), m["nproc"], m["cpu"],
            m["mem_total_gb"]))
        w("- load average (1/5/15 min): %s at the start, %s at the end; timings are wall-clock "
          "and noisy while other jobs run (each run's load is in bench.json)" % (
              m["load_start"], m.get("load_end") or loadavg()))
        w("- mmcheck features: --por %s, --fingerprint %s; threads %s; limit %s s and %s MiB per run%s" % (
            "yes" if m["features"]["por"] else "no (one mode: the binary's default)",
            "yes" if m["features"]["fingerprint"] else "no (skipped)", m["threads"], m["limit_s"],
            m["mem_limit_mib"], ", members up to %s states" % "{:,}".format(m["quick_states"]) if m["quick"] else ""))
        w("- Rumur: %s" % (("%s, the Murphi twins of tools/bench/murphi.py (murphi_numa.py, murphi_fork.py, murphi_copy.py for the variants), `rumur --threads 1 "
                            "--deadlock-detection off`, `cc -O3 -march=native -mcx16`" % m["rumur"])
                           if m.get("rumur") else "not run (apt-get install rumur)"))
        w("- SPIN: %s%s" % (m["spin"] or "not installed (no comparison)",
                            ", `gcc -O2 -DSAFETY [-DNOREDUCE] -DMEMLIM=%s`, `./pan -m100000 -w26` (-w27 for big ones)"
                            % m["mem_limit_mib"] if m["spin"] else ""))
        if m.get("spin_from"):
            w("- SPIN's figures are not from this run: they are the runs of %s (%s, host %s, limit %s s), "
              "reused with `--spin-from`; the ratios compare mmcheck now with SPIN then, on the same machine"
              % (m["spin_from"]["file"], m["spin_from"]["date"], m["spin_from"]["host"],
                 m["spin_from"]["limit_s"]))
        if m.get("skipped_members"):
            w("- members left out on the command line (`--skip`): %s" % ", ".join(m["skipped_members"]))
        w("")

        def n(x):
            return "–" if x is None else "{:,}".format(x)

        def st(d):
            if not d or d.get("states") is None:
                return "–"
            return n(d["states"]) + ("" if d.get("complete") else " (inc.)")

        def f(x, fmt="%.2f"):
            return "–" if x is None else fmt % x

        def secs(row, tag):
            s = row.get("seconds_" + tag)
            if s is None:
                return "–"
            return ("%.2f" % s) + ("" if row.get("complete_" + tag) else "+")

        def mb(b):
            return "–" if b is None else "%.0f MB" % (b / 1e6)
        pm = "POR on" if m["features"]["por"] else "default mode"
        w("## Family (linux-5.12, every complete run holds)\n")
        w("mmcheck columns are the exact store with %s, except the states column. SPIN is pan with "
          "its POR. SPIN's count includes its one pre-setup state (mmcheck = SPIN − 1 when they "
          "agree). `+`/(inc.) = stopped incomplete at the limit. Ratio = mmcheck states/s at 1 thread "
          "÷ SPIN states/s (both one core, both with reductions). Speedup and ratio are left out "
          "(–) for runs under %.2g s.\n" % (pm, self.a.min_seconds))
        w("| member | mmcheck states (POR off / on) | SPIN states | seconds 1t / 2t | M states/s per core (1t / 2t) "
          "| speedup 2t/1t | bytes/state | peak RSS | fingerprint, 2 threads: s, store B/state + frontier B/state, "
          "peak RSS | SPIN s | ratio |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            fpcol = "–"
            if r.get("fingerprint_bytes_per_state") is not None:
                fpcol = "%s, %s + %s, %s" % (
                    f(r.get("fingerprint_seconds"), "%.2f s"), f(r.get("fingerprint_bytes_per_state"), "%.1f"),
                    f(r.get("fingerprint_frontier_per_state"), "%.1f"), mb(r.get("fingerprint_peak_rss_bytes")))
            w("| %s | %s / %s | %s | %s / %s | %s / %s | %s | %s | %s | %s | %s | %s |" % (
                label(r), st(r.get("mmcheck_states_por_off")), st(r.get("mmcheck_states_por_on")),
                st(r.get("spin_states_por")), secs(r, "1t"), secs(r, "2t"),
                f(r.get("sps_per_core_1t") and r["sps_per_core_1t"] / 1e6, "%.3f"),
                f(r.get("sps_per_core_2t") and r["sps_per_core_2t"] / 1e6, "%.3f"),
                f(r.get("speedup_2v1"), "%.2f×"), f(r.get("bytes_per_state"), "%.0f"),
                mb(r.get("peak_rss_bytes")), fpcol,
                ("%.2f" % r["spin_seconds_por"] + ("" if r["spin_states_por"].get("complete") else "+"))
                if r.get("spin_seconds_por") is not None else "–",
                f(r.get("ratio_sps_per_core"), "%.2f")))
        w("")
        w("## Per core, without reduction, and beside Rumur\n")
        w("States/s per core at one thread with POR off (the graph SPIN -DNOREDUCE and Rumur store) "
          "and on; 1→2 threads: states/s at 2 ÷ at 1 (POR on, POR off). Bytes per state: the exact "
          "store's (table + records), the fingerprint store's (table + links) with the frontier's "
          "peak apart. Rumur: the Murphi twin of tools/bench/murphi.py (or the variant's), one thread; its count must "
          "equal mmcheck's POR-off count (states and transitions).\n")
        w("| member | M st/s/core 1t, POR off | POR on | 1→2t (on, off) | exact B/state | fingerprint + "
          "frontier B/state | Rumur: states, s, M st/s | mmcheck ÷ Rumur (POR off, 1t) | same count |")
        w("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            ru = r.get("rumur_states")
            w("| %s | %s | %s | %s, %s | %s | %s + %s | %s | %s | %s |" % (
                label(r), f(r.get("sps_per_core_off_1t") and r["sps_per_core_off_1t"] / 1e6, "%.3f"),
                f(r.get("sps_per_core_1t") and r["sps_per_core_1t"] / 1e6, "%.3f"),
                f(r.get("speedup_2v1"), "%.2f×"), f(r.get("speedup_2v1_por_off"), "%.2f×"),
                f(r.get("bytes_per_state"), "%.0f"), f(r.get("fingerprint_bytes_per_state"), "%.1f"),
                f(r.get("fingerprint_frontier_per_state"), "%.1f"),
                "%s, %s, %s" % (st(ru), f(r.get("rumur_seconds")), f(r.get("rumur_sps") and r["rumur_sps"] / 1e6,
                                                                    "%.3f")) if ru else "–",
                f(r.get("ratio_sps_per_core_noreduce_rumur"), "%.2f×"),
                "–" if r.get("same_states_unreduced_rumur") is None else
                ("yes" if r["same_states_unreduced_rumur"] else "**NO**")))
        w("")
        if self.a.compare:
            L.extend(self.compare_markdown(rows))
        w("## Ratios mmcheck ÷ SPIN\n")
        w("Per core: 1 thread vs pan, with reductions (POR on / SPIN POR) and without (POR off / "
          "-DNOREDUCE). States: mmcheck POR on ÷ SPIN POR (scenario states). Memory: peak RSS per "
          "state, and store bytes per state vs pan's \"actual memory usage for states\" per state "
          "(pan's RSS includes its fixed 512 MB hash table, so small runs favour mmcheck). "
          "Wall: SPIN seconds ÷ mmcheck's best seconds (any thread count). POR reduction: mmcheck "
          "states POR off ÷ on. Unreduced counts equal: mmcheck POR off = SPIN -DNOREDUCE − 1.\n")
        w("| member | states/s per core | same, no reduction | states (reduced) | peak RSS/state | store bytes/state | wall | mmcheck POR reduction | unreduced counts equal | fingerprint ÷ exact states (1t, 2t) |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            eq = r.get("same_states_unreduced")
            fve = r.get("fingerprint_vs_exact")
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                label(r), f(r.get("ratio_sps_per_core")), f(r.get("ratio_sps_per_core_noreduce")),
                f(r.get("ratio_states_reduced"), "%.3f"), f(r.get("ratio_rss_per_state")),
                f(r.get("ratio_store_bytes_per_state")), f(r.get("ratio_wall_spin_over_mmcheck")),
                f(r.get("por_reduction"), "%.3f"), "–" if eq is None else ("yes" if eq else "**NO**"),
                "–" if not fve else ", ".join(("%.4f" if abs(x - 1) < 1e-12 else "**%.4f**") % x for x in fve)))
        w("")
        w("## Every mmcheck run\n")
        w("| member | POR | store | threads | verdict | states | transitions | seconds | M states/s | per thread | bytes/state | peak RSS | load before |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in sorted(self.runs, key=lambda r: (r["K"], r["P"], r["N"], str(r.get("store_mode")),
                                                  str(r.get("por_mode")), r.get("threads_asked", 0))):
            if "skipped" in r:
                w("| %s | %s | %s | %s | skipped: %s | | | | | | | | |" % (
                    r["member"], r.get("por_mode"), r.get("store_mode"), r.get("threads_asked"), r["skipped"]))
                continue
            w("| %s | %s | %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["member"], r.get("por_mode") or "default", r.get("store_mode"), r.get("threads_asked"),
                r.get("verdict"), (" (%s)" % r["incomplete_reason"]) if r.get("incomplete_reason") else "",
                n(r.get("states")), n(r.get("transitions")), f(r.get("seconds"), "%.3f"),
                f(r.get("states_per_second") and r["states_per_second"] / 1e6, "%.3f"),
                f(r.get("states_per_second_per_thread") and r["states_per_second_per_thread"] / 1e6, "%.3f"),
                f(r.get("bytes_per_state"), "%.0f"), mb(r.get("peak_rss_bytes")),
                r.get("load_before") and r["load_before"][0]))
        w("")
        if self.spin_runs:
            w("## Every SPIN run\n")
            w("| member | mode | states stored | transitions | depth | seconds | M states/s | pan MB | peak RSS | compile s | load before |")
            w("|---|---|---|---|---|---|---|---|---|---|---|")
            for r in sorted(self.spin_runs, key=lambda r: (r.get("K", 0), r.get("P", 0), r.get("N", 0), r.get("mode", ""))):
                if "skipped" in r or "error" in r:
                    w("| %s | %s | %s | | | | | | | | |" % (r["member"], r.get("mode"),
                                                          "skipped: " + r["skipped"] if "skipped" in r else "error"))
                    continue
                w("| %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    r["member"], r["mode"], n(r.get("states")),
                    "" if r.get("complete") else " (incomplete: %s)" % r.get("incomplete_reason"),
                    n(r.get("transitions")), r.get("depth"), f(r.get("seconds")),
                    f(r.get("states_per_second") and r["states_per_second"] / 1e6, "%.3f"),
                    f(r.get("pan_mem_mb"), "%.0f"), mb(r.get("peak_rss_bytes")), f(r.get("compile_seconds"), "%.1f"),
                    r.get("load_before") and r["load_before"][0]))
            w("")
        if self.twin_checks:
            bad = [t for t in self.twin_checks if not t["same"]]
            w("## Generated files vs the shared SPIN twins\n")
            w("%d members compared (POR %s): %s\n" % (
                len(self.twin_checks), self.twin_checks[0]["por_mode"] or "default",
                "every one has the same verdict, states and transitions" if not bad else
                "**%d differ**: %s" % (len(bad), ", ".join("%s ours %s vs twin %s" % (
                    t["member"], t["ours"], t["twin_result"]) for t in bad))))
        if self.suite:
            w("## Race suite (`mmcheck suite scenarios --json`)\n")
            w("| POR | checks | passed | failures | states (sum) | seconds (reported) | wall s | peak RSS |")
            w("|---|---|---|---|---|---|---|---|")
            for s in self.suite:
                w("| %s | %s | %s | %s | %s | %s | %.2f | %s |" % (
                    s.get("por_mode") or "default", s.get("checks"), s.get("passed"), s.get("failures"),
                    n(s.get("states")), f(s.get("seconds"), "%.3f"), s["wall"], mb(s.get("maxrss_bytes"))))
            w("")
        if self.excluded:
            w("Left out: " + "; ".join("%s (%s)" % (e["member"], e["why"]) for e in self.excluded) + "\n")
        return "\n".join(L) + "\n"

    COMPARED = (("sps_per_core_off_1t", "M st/s/core 1t POR off", 1e6, True),
                ("sps_per_core_1t", "M st/s/core 1t POR on", 1e6, True),
                ("speedup_2v1", "1→2t POR on", 1, True),
                ("bytes_per_state", "exact B/state", 1, False),
                ("fingerprint_bytes_per_state", "fingerprint B/state", 1, False),
                ("fingerprint_frontier_per_state", "frontier B/state", 1, False),
                ("compressed_bytes_per_state", "compressed B/state", 1, False))

    def compare_markdown(self, rows):
        """--compare OLD.json: this run's figures ÷ the old run's, per member. A rate below
        0.95 of the old one, or bytes above 1.05, is marked as a regression."""
        with open(self.a.compare) as f:
            old = json.load(f)
        old_rows = {r["member"]: r for r in old.get("summary", [])}
        L = ["## Compared with %s (%s, mmcheck %s, load at start %s)\n" % (
            self.a.compare, old["meta"].get("date"), old["meta"].get("git"), old["meta"].get("load_start")),
             "Each cell: now ÷ then (now, then). Rates: above 1 is faster; bytes: below 1 is smaller. "
             "**bold** marks a regression past 5%. Wall-clock rates are as noisy as the load of either run.\n",
             "| member | " + " | ".join(c[1] for c in self.COMPARED) + " | states equal |",
             "|---|" + "---|" * (len(self.COMPARED) + 1)]
        for r in rows:
            o = old_rows.get(r["member"])
            if not o:
                continue
            cells = []
            for key, _, scale, higher_better in self.COMPARED:
                a, b = r.get(key), o.get(key)
                if not a or not b:
                    cells.append("–")
                    continue
                ratio = a / b
                bad = ratio < 0.95 if higher_better else ratio > 1.05
                txt = "%.2f× (%.3g, %.3g)" % (ratio, a / scale, b / scale)
                cells.append("**%s**" % txt if bad else txt)
            same = [(r.get(k) or {}).get("states") == (o.get(k) or {}).get("states")
                    for k in ("mmcheck_states_por_off", "mmcheck_states_por_on") if r.get(k) and o.get(k)]
            cells.append("–" if not same else ("yes" if all(same) else "**NO**"))
            L.append("| %s | %s |" % (label(r), " | ".join(cells)))
        L.append("")
        return L

    def readme_table(self):
        """--readme-table: the condensed table of the README (members past half a million
        states) from DIR/bench.json."""
        shutil.rmtree(self.work, ignore_errors=True)
        with open(os.path.join(self.out, "bench.json")) as f:
            data = json.load(f)
        self.runs, self.spin_runs = data["runs"], data["spin_runs"]

        def count(x):
            return "{:,}".format(x)

        def states(r):
            return count(r["states"]) + ("" if r.get("complete") else " (inc.)")

        def secs(r):
            return "%.2f" % r["seconds"] + ("" if r.get("complete") else "+")

        def gb(r):
            return "%.2f GB" % (r["peak_rss_bytes"] / 1e9)

        members = sorted({(r.get("variant", "base") != "base", r.get("variant", "base"), r["N"], r["K"], r["P"],
                            r["member"]) for r in self.runs if "states" in r})
        members = [(n, k, p, name) for (_, _, n, k, p, name) in members]
        self.rumur_runs = data.get("rumur_runs", [])
        L = ["| member | SPIN: states, s | POR off: states | POR off, 1t: M st/s (÷ Rumur) | Rumur: s | "
             "POR on: states (SPIN ÷) | "
             "exact, POR: 1t → 2t s (speedup) | M states/s per core, 1t (÷ SPIN) | "
             "exact B/state, RSS | `--fingerprint`, 2t: s, store + frontier B/state, RSS | "
             "`--compress`, POR, 1t: s, store + frontier B/state, RSS |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
        for n, k, p, name in members:
            off = self._run(name, "off", "exact", 2) or self._run(name, "off", "exact", 1)
            on1, on2 = self._run(name, "on", "exact", 1), self._run(name, "on", "exact", 2)
            fp2 = self._run(name, "on", "fingerprint", 2)
            spin = self._spin(name, "por")
            on = on2 or on1
            if on is None or max(r["states"] for r in (off, on, fp2) if r) < 500_000:
                continue
            row = [label(off or on)]
            row.append("%s, %.1f%s" % (count(spin["states"]), spin["seconds"],
                                        "" if spin.get("complete") else " (inc.)") if spin else "not run")
            row.append(states(off) if off else "–")
            off1 = self._run(name, "off", "exact", 1)
            ru = self._rumur(name)
            if off1 and off1.get("complete"):
                rate = off1["states"] / off1["seconds"]
                row.append("%.2f%s" % (rate / 1e6, " (%.1f×)" % (rate / ru["states_per_second"])
                                       if ru and ru.get("complete") else ""))
            else:
                row.append("–")
            row.append(("%.1f%s" % (ru["seconds"], "" if ru.get("complete") else "+")) if ru else "–")
            ratio = (" (%.2f×)" % (spin["states"] / on["states"])
                     if spin and spin.get("complete") and on.get("complete") else "")
            row.append(states(on) + ratio)
            if on1 and on2 and on1.get("complete") and on2.get("complete"):
                row.append("%s → %s (%.2f×)" % (secs(on1), secs(on2), on1["seconds"] / on2["seconds"]))
            else:
                row.append("%s → %s" % (secs(on1) if on1 else "–", secs(on2) if on2 else "–"))
            if on1 and on1.get("complete"):
                rate = on1["states"] / on1["seconds"]
                vs = (" (%.1f×)" % (rate / (spin["states"] / spin["seconds"]))
                      if spin and spin.get("complete") else "")
                row.append("%.2f%s" % (rate / 1e6, vs))
            else:
                row.append("–")
            row.append("%.0f, %s" % (on["bytes_per_state"], gb(on)))
            if fp2:
                st = fp2["store_bytes"] / fp2["states"]
                fr = fp2.get("frontier_bytes", 0) / fp2["states"]
                row.append("%s s, %.1f + %.1f, %s%s" % (secs(fp2), st, fr, gb(fp2),
                                                       "" if fp2["states"] == on["states"] and on.get("complete")
                                                       else " (%s states)" % states(fp2)))
            else:
                row.append("–")
            cz1 = self._run(name, "on", "compressed", 1)
            if cz1:
                row.append("%s s, %.1f + %.1f, %s%s" % (
                    secs(cz1), cz1["store_bytes"] / cz1["states"],
                    cz1.get("frontier_bytes", 0) / cz1["states"], gb(cz1),
                    "" if cz1["states"] == on["states"] and on.get("complete")
                    else " (%s states)" % states(cz1)))
            else:
                row.append("–")
            L.append("| " + " | ".join(row) + " |")
        print("\n".join(L))
        return 0

    def render_only(self):
        """Re-render bench.md from DIR/bench.json (also while a run is still going)."""
        shutil.rmtree(self.work, ignore_errors=True)
        with open(os.path.join(self.out, "bench.json")) as f:
            data = json.load(f)
        self.meta = data["meta"]
        self.runs, self.spin_runs = data["runs"], data["spin_runs"]
        self.rumur_runs = data.get("rumur_runs", [])
        self.twin_checks, self.suite = data["twin_checks"], data["suite"]
        self.excluded = data["excluded"]
        self.mm.has_por = self.meta["features"]["por"]
        self.mm.has_fingerprint = self.meta["features"]["fingerprint"]
        self.a.quick = self.meta["quick"]
        self.threads = self.meta["threads"]
        md = self.markdown()
        with open(os.path.join(self.out, "bench.md"), "w") as f:
            f.write(md)
        print(md)
        return 0

    def load_previous(self):
        """--resume: reuse the finished runs of DIR/bench.json, if it was made by the same
        binary (same sha256) with the same limits."""
        path = os.path.join(self.out, "bench.json")
        if not os.path.exists(path):
            return
        with open(path) as f:
            data = json.load(f)
        old = data["meta"]
        same = all(old.get(k) == self.meta.get(k) for k in
                   ("mmcheck_sha256", "quick", "limit_s", "mem_limit_mib", "quick_states", "threads"))
        if not same:
            sys.exit("--resume: %s was made by another binary or with other limits; "
                     "use another --out or drop --resume" % path)
        self.meta["date"] = old["date"]
        self.meta["load_start"] = old["load_start"]
        self.meta["resumed"] = old.get("resumed", []) + [datetime.datetime.now().isoformat(timespec="seconds")]
        for r in data["runs"]:
            if "skipped" not in r:
                self.previous[("mm", r["member"], r.get("por_mode"), r.get("store_mode"), r.get("threads_asked"))] = r
        for r in data["spin_runs"]:
            if "skipped" not in r and "error" not in r:
                self.previous[("spin", r["member"], r.get("mode"))] = r
        for r in data.get("rumur_runs", []):
            if "skipped" not in r and "error" not in r:
                self.previous[("rumur", r["member"])] = r
        self.log("resuming: %d runs of %s reused" % (len(self.previous), path))

    def run(self):
        os.makedirs(self.out, exist_ok=True)
        if self.a.resume:
            self.load_previous()
        try:
            self.log("mmcheck bench: %s, threads %s, por %s, fingerprint %s, spin %s, load %s" % (
                self.mm.path, self.threads, self.mm.has_por, self.mm.has_fingerprint,
                bool(self.spin), loadavg()))
            self.run_family()
            self.run_twins()
            if not self.a.no_suite:
                self.run_suite()
            self.save()
            md = self.markdown()
            with open(os.path.join(self.out, "bench.md"), "w") as f:
                f.write(md)
            print(md)
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
        return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--quick", action="store_true", help="only the members under --quick-states states")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "bench"), help="output directory")
    ap.add_argument("--limit", type=float, default=300, help="seconds per run (default 300)")
    ap.add_argument("--mem-limit", type=int, default=14000,
                    help="MiB per run (mmcheck --max-memory, pan -DMEMLIM; default 14000)")
    ap.add_argument("--quick-states", type=int, default=1_000_000, help="quick budget (default 1e6)")
    ap.add_argument("--mmcheck", default=os.path.join(REPO, "build", "release", "mmcheck"))
    ap.add_argument("--threads", type=int, nargs="+", help="thread counts (default 1, 2 and nproc)")
    ap.add_argument("-N", "--writers", type=int, nargs="+", default=list(family.DEFAULT_N))
    ap.add_argument("-K", "--stores", type=int, nargs="+", default=list(family.DEFAULT_K))
    ap.add_argument("-P", "--pages", type=int, nargs="+", default=list(family.DEFAULT_P))
    ap.add_argument("--spin-models", default=os.path.join(SHARED_SPIN, "models"))
    ap.add_argument("--no-spin", action="store_true", help="skip the SPIN comparison")
    ap.add_argument("--no-rumur", action="store_true",
                    help="skip Rumur (run when installed: apt-get install rumur)")
    ap.add_argument("--variants", nargs="+", default=list(family.VARIANTS), choices=family.VARIANTS,
                    help="family variants to run (default all: base numa fork copy)")
    ap.add_argument("--members", nargs="+", metavar="MEMBER",
                    help="run only these members, e.g. fam-N4-K2-P1 fam-numa-N4-K2-P1 (overrides -N/-K/-P "
                         "and --variants)")
    ap.add_argument("--compare", metavar="OLD_JSON",
                    help="add the ratios of this run to an earlier bench.json, per member (also with --render)")
    ap.add_argument("--twins", default=os.path.join(SHARED_SPIN, "scenarios"),
                    help="the shared mmcheck twins to compare the generated files with ('' to skip)")
    ap.add_argument("--twin-max-states", type=int, default=2_000_000)
    ap.add_argument("--no-suite", action="store_true", help="skip the race suite")
    ap.add_argument("--spin-from", metavar="BENCH_JSON",
                    help="take SPIN's runs from an earlier bench.json of this machine instead of running "
                         "SPIN again (the Markdown says so)")
    ap.add_argument("--skip", nargs="+", default=[], metavar="MEMBER",
                    help="leave these members out (e.g. fam-N4-K3-P2: ones known not to finish)")
    ap.add_argument("--resume", action="store_true",
                    help="reuse the finished runs of DIR/bench.json (same binary and limits: "
                         "give --mmcheck a copy that stays put)")
    ap.add_argument("--readme-table", action="store_true",
                    help="only print the README's condensed table (members past half a million states) "
                         "from DIR/bench.json")
    ap.add_argument("--render", action="store_true",
                    help="only re-render DIR/bench.md from DIR/bench.json (no runs)")
    ap.add_argument("--min-seconds", type=float, default=0.1,
                    help="runs shorter than this get no speedup or throughput ratio (default 0.1)")
    a = ap.parse_args(argv)
    if not os.access(a.mmcheck, os.X_OK):
        ap.error("no mmcheck binary at %s (cmake --build build/release --target mmcheck)" % a.mmcheck)
    for m in a.members or []:
        if family.parse_member(m) is None:
            ap.error("--members: %r is not a member name (fam-N4-K2-P1, fam-numa-N3-K1-P2, ...)" % m)
    b = Bench(a)
    if a.readme_table:
        return b.readme_table()
    return b.render_only() if a.render else b.run()


if __name__ == "__main__":
    sys.exit(main())
