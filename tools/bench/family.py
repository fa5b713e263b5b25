#!/usr/bin/env python3
"""Generate the scaled uffd-wp benchmark family as mmcheck scenario files.

The family is the one of bench/spin/RESULTS.md section 2 (the SPIN anchor), written
independently here so that the benchmark does not depend on the shared tree:

  cpu0          the monitor: uffd_wp over every page of A, then uffd_unwp over every page.
  cpu1..cpuN    the writers: writer c does K stores; its store k (k = 0..K-1) goes to page
                (c-1+k) % P with the value 2 + (c-1)*K + k, unique across the scenario.
  region A      anonymous, private, read-write, P pages, registered for uffd-wp.
  setup         every page p is populated by a store of 1 from the highest-numbered writer
                whose first store goes to p (so that writer holds a warm writable, dirty TLB
                entry for it); a page that no writer starts on is populated by cpu1. Pages
                are populated in order 0..P-1 (frame p backs page p), then every page gets
                one transient extra_ref (refcount 2, so every write fault copies).
  checks        no_stale_tlb_at_cow, no_lost_write, refcounts_sane, no_deadlock.
  expect        linux-5.12 holds (the uffd_wp_pending_flush fix, 6ce64428d620).

Variants (the same writers, another cpu0 and region, for the second wave's behaviour):
  numa    fam-numa-N<N>-K<K>-P<P>: cpu0 is the NUMA scan (numa_scan over A, protnone with a
          deferred flush); A is "misplaced", so a writer's access to a protnone PTE takes the
          hinting fault and migrates the page (migration entry, copy, remove). linux-6.8.
  fork    fam-fork-N<N>-K<K>-P<P>: cpu0 forks P into C (one reader thread c0 loading page 0)
          while the writers store; 6.8 takes anonymous faults under the per-VMA lock and fork
          write-locks the parent's VMAs (fb49c455323f). linux-6.8.
  copy    fam-copy-N<N>-K<K>-P<P>: A starts unpopulated and registered missing; cpu0 resolves
          every page with UFFDIO_COPY while the writers' faults sleep in handle_userfault (or
          find the page already there). linux-6.8.
  Every variant member holds; the checks are the base family's.

Usage:
  family.py --out DIR                         every member N=2..6, K=1..3, P=1..2
  family.py --out DIR -N 3 -K 2 -P 2          one member (-N/-K/-P take lists: -N 2 3 4)
  family.py --print -N 2 -K 1 -P 1            print one member to stdout
  family.py --variant numa --out DIR -N 2 3   a variant's members
Files are named fam-N<N>-K<K>-P<P>.json, the same names as the SPIN twins.
"""
import argparse
import json
import os
import sys

KERNEL = "linux-5.12"
CHECKS = ["no_stale_tlb_at_cow", "no_lost_write", "refcounts_sane", "no_deadlock"]
DEFAULT_N = range(2, 7)
DEFAULT_K = range(1, 4)
DEFAULT_P = range(1, 3)


VARIANTS = ("base", "numa", "fork", "copy")
VARIANT_KERNEL = "linux-6.8"


def member_name(n, k, p, variant="base"):
    if variant == "base":
        return "fam-N%d-K%d-P%d" % (n, k, p)
    return "fam-%s-N%d-K%d-P%d" % (variant, n, k, p)


def parse_member(name):
    """(variant, N, K, P) of a member name, or None."""
    import re
    m = re.fullmatch(r"fam-(?:(numa|fork|copy)-)?N(\d+)-K(\d+)-P(\d+)", name)
    if not m:
        return None
    return (m.group(1) or "base", int(m.group(2)), int(m.group(3)), int(m.group(4)))


def page_addr(page):
    """Address of page `page` of region A, in the scenario syntax."""
    return "A" if page == 0 else "A+%d" % page


def writer_stores(c, k_stores, pages):
    """[(page, value)] of writer cpu<c>, in program order."""
    return [((c - 1 + k) % pages, 2 + (c - 1) * k_stores + k) for k in range(k_stores)]


def setup_writer(page, writers, k_stores, pages):
    """The writer that populates `page`: the highest-numbered one whose first store goes
    there; cpu1 when none does."""
    starters = [c for c in range(1, writers + 1) if writer_stores(c, k_stores, pages)[0][0] == page]
    return max(starters) if starters else 1


def scenario(writers, k_stores, pages, variant="base"):
    """The family member N=writers, K=k_stores, P=pages as a scenario dict."""
    if writers < 1 or k_stores < 1 or pages < 1:
        raise ValueError("N, K and P must be at least 1")
    if variant != "base":
        return variant_scenario(writers, k_stores, pages, variant)
    range_op = {"addr": "A"}
    if pages > 1:
        range_op["pages"] = pages
    threads = {"cpu0": [dict(op="uffd_wp", **range_op), dict(op="uffd_unwp", **range_op)]}
    for c in range(1, writers + 1):
        threads["cpu%d" % c] = [{"op": "write", "addr": page_addr(pg), "value": val}
                                for pg, val in writer_stores(c, k_stores, pages)]
    setup = [{"thread": "cpu%d" % setup_writer(pg, writers, k_stores, pages),
              "op": "write", "addr": page_addr(pg), "value": 1} for pg in range(pages)]
    setup += [{"thread": "cpu0", "op": "extra_ref", "addr": page_addr(pg)} for pg in range(pages)]
    return {
        "name": member_name(writers, k_stores, pages),
        "summary": ("Benchmark family: cpu0 uffd-wp-protects then un-protects %d page(s) while "
                    "%d writer(s) store %d value(s) each; every write fault copies (extra_ref)."
                    % (pages, writers, k_stores)),
        "references": ["6ce64428d620 mm/userfaultfd: fix memory corruption due to writeprotect"],
        "kernel": KERNEL,
        "policy": {},
        "memory": {"A": {"type": "anon", "pages": pages, "prot": "rw", "uffd_wp": True}},
        "processes": {"P": {"threads": threads}},
        "setup": setup,
        "check": list(CHECKS),
        "expect": {KERNEL: "holds"},
    }


def variant_scenario(writers, k_stores, pages, variant):
    """A member of the numa, fork or copy variant (see the module's docstring)."""
    if variant not in VARIANTS:
        raise ValueError("unknown variant %r (one of %s)" % (variant, ", ".join(VARIANTS)))
    range_op = {"addr": "A"}
    if pages > 1:
        range_op["pages"] = pages
    threads = {}
    for c in range(1, writers + 1):
        threads["cpu%d" % c] = [{"op": "write", "addr": page_addr(pg), "value": val}
                                for pg, val in writer_stores(c, k_stores, pages)]
    region = {"type": "anon", "pages": pages, "prot": "rw", "uffd_wp": False}
    setup = [{"thread": "cpu%d" % setup_writer(pg, writers, k_stores, pages),
              "op": "write", "addr": page_addr(pg), "value": 1} for pg in range(pages)]
    processes = {"P": {"threads": threads}}
    checks = ["no_lost_write", "refcounts_sane", "no_deadlock"]
    if variant == "numa":
        region["misplaced"] = True
        threads["cpu0"] = [dict(op="numa_scan", **range_op)]
        what = "cpu0's NUMA scan makes %d page(s) protnone; the writers' hinting faults migrate them"
    elif variant == "fork":
        threads["cpu0"] = [{"op": "fork", "child": "C"}]
        processes["C"] = {"threads": {"c0": [{"op": "read", "addr": "A"}]}}
        checks = ["no_stale_tlb_at_cow", "no_lost_write", "refcounts_sane", "no_deadlock"]
        what = "cpu0 forks P (%d page(s) shared) while the writers fault under the per-VMA lock"
    else:
        threads["cpu0"] = [{"op": "uffdio_copy", "addr": page_addr(pg), "value": 1}
                           for pg in range(pages)]
        setup = [{"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "missing",
                  **({"pages": pages} if pages > 1 else {})}]
        what = "cpu0 fills %d missing page(s) with UFFDIO_COPY while the writers' faults wait"
    return {
        "name": member_name(writers, k_stores, pages, variant),
        "summary": "Benchmark family, %s variant: %s; %d writer(s) store %d value(s) each."
                   % (variant, what % pages, writers, k_stores),
        "references": [],
        "kernel": VARIANT_KERNEL,
        "policy": {},
        "memory": {"A": region},
        "processes": processes,
        "setup": setup,
        "check": checks,
        "expect": {VARIANT_KERNEL: "holds"},
    }


def render(writers, k_stores, pages, variant="base"):
    """The scenario file text (JSON with a leading comment)."""
    opt = "" if variant == "base" else " --variant " + variant
    head = ("// Generated by tools/bench/family.py%s -N %d -K %d -P %d; do not edit.\n"
            "// Benchmark family member (bench/spin/RESULTS.md section 2 shape).\n"
            % (opt, writers, k_stores, pages))
    return head + json.dumps(scenario(writers, k_stores, pages, variant), indent=2) + "\n"


def write_member(directory, writers, k_stores, pages, variant="base"):
    path = os.path.join(directory, member_name(writers, k_stores, pages, variant) + ".json")
    with open(path, "w") as f:
        f.write(render(writers, k_stores, pages, variant))
    return path


def members(ns=DEFAULT_N, ks=DEFAULT_K, ps=DEFAULT_P):
    """(N, K, P) triples, smallest N first within each (K, P)."""
    return [(n, k, p) for p in ps for k in ks for n in ns]


def write_family(directory, triples=None, variant="base"):
    """Writes the members; triples may also be (N, K, P, variant) quadruples."""
    os.makedirs(directory, exist_ok=True)
    out = {}
    for t in (triples or members()):
        out[t] = write_member(directory, *t) if len(t) == 4 else write_member(directory, *t, variant)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="directory to write the scenario files into")
    ap.add_argument("--print", action="store_true", help="print the members to stdout")
    ap.add_argument("-N", "--writers", type=int, nargs="+", default=list(DEFAULT_N))
    ap.add_argument("-K", "--stores", type=int, nargs="+", default=list(DEFAULT_K))
    ap.add_argument("-P", "--pages", type=int, nargs="+", default=list(DEFAULT_P))
    ap.add_argument("--variant", choices=VARIANTS, default="base")
    a = ap.parse_args(argv)
    if not a.out and not a.print:
        ap.error("give --out DIR or --print")
    triples = members(a.writers, a.stores, a.pages)
    if a.print:
        for t in triples:
            sys.stdout.write(render(*t, a.variant))
    if a.out:
        for t, path in write_family(a.out, triples, a.variant).items():
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
