#!/usr/bin/env python3
"""Murphi models of the fork variant of the scaled benchmark family, for Rumur.

The variant is tools/bench/family.py's `--variant fork` (linux-6.8): cpu0 forks process P into
a child C (fork.mmap_write_lock, one fork.share per present PTE of A, fork.flush_tlb_mm,
fork.return) while the writers store (family.writer_stores); C's one thread c0 loads page 0 of
A once fork has returned. On 6.8 the writers' anonymous faults take the per-VMA lock
(lock_vma_under_rcu) and fork write-locks every VMA of the parent at its entry (fb49c455323f,
[fork_vma_wrlock]), waiting for the faults that hold one. The model is
models/ops/{fork,access,fault,fault_private}.cpp written in Murphi, one mmcheck step one Murphi
rule, with the variables of mmcheck's state this scenario uses, zeroed where mmcheck zeroes
them, so the state graph is the one mmcheck explores:

  globals       pte[page] (present, write, dirty, sd, pfn), vma[page] (mapped, read, write,
                wlocked, anon_vma: the per-VMA lock bits; VM_SOFTDIRTY, constant, left out), mmap_readers, mmap_writer (P's
                mmap_lock), pexp[page] (P's ghost: the last value stored, 0: none);
                the child: cexists (its mm exists from fork's first step), clive (from
                fork.return), cpte[page], cvma[page] (the parent's VMAs, copied at fork's first
                step), cexp[page] (C's ghost, copied from P's page by page as fork shares them,
                and updated by a store a forking child already maps), cforb[value] (C's
                `forbidden`: values P stored after the fork returned);
                tlb[thread][page] (cpu0..cpuN of P, then c0 of C), fr[frame] (in_use,
                anon_exclusive, refcount, mapcount, content), ndone
  writer c      k (the op), ph (the step within it), fk (the fault in progress), vl (the fault
                holds its VMA's read lock), the COW's saved PTE (sp, sw, sdy, ssd, spfn) and
                frames (opfn, npfn); rules: access (TLB hit, walk, or fault),
                fault.lock_vma_under_rcu (or fault.mmap_read_lock), the PTL step
                (fault.spurious, do_wp_page.reuse, do_wp_page.copy), wp_page_copy.copy,
                wp_page_copy.install (or .abort), fault.vma_end_read (or fault.mmap_read_unlock)
  cpu0          fpc, fph, fi (the copy's position: the page after the last one shared); rules:
                fork.mmap_write_lock (enabled when mmap_lock is free and no fault holds a VMA
                lock of P), fork.share (or, past the last PTE, fork.flush_tlb_mm), fork.return
  c0            cpc; rule: access (a walk of C's read-only copy of page 0: c0 runs only after
                fork.return, when every page of C is mapped)
  setup         the start state: every page populated by its setup writer's store of 1
                (do_anonymous_page, so the VMA has an anon_vma; the writer's TLB entry warm).

Never reached in this variant, and an error if it were: a SIGSEGV (A stays mapped read-write),
a none PTE in P after the setup or in C after fork, protnone / migration / uffd-wp PTEs, a
pinned page (fork.copy_pinned), c0's fault.

The frame pool has mmcheck's size (pages * (processes + 1) + threads + 1), frames taken lowest
first, a freed frame cleared.

Checks: no_stale_tlb_at_cow (an assert at do_wp_page's copy decision: no thread of P holds a
writable TLB entry for the page), no_lost_write (an assert at c0's load against C's ghost, and
at the end for every live mm: a present page's frame holds the mm's last value), refcounts_sane
(an invariant: every in-use frame's refcount covers its mapcount and the references the COW
copies in flight hold, its mapcount covers the PTEs of both mms that map it, a free frame is
neither mapped nor referenced; and asserts that a store or load reaches a frame in use),
no_deadlock (an invariant: some rule is enabled or every thread is done), so Rumur runs with
--deadlock-detection off. C's `forbidden` is kept (it is part of mmcheck's state) though no
check of this variant reads it.

State counts: Rumur's states and rules fired equal mmcheck's `--por off` states and
transitions (`mmcheck check fam-fork-N<n>-K<k>-P<p>.json --por off --threads 1`):

  member                    states   transitions
  fam-fork-N1-K1-P1             27            36
  fam-fork-N1-K1-P2             29            39
  fam-fork-N1-K2-P1             50            70
  fam-fork-N1-K2-P2             65            93
  fam-fork-N2-K1-P1            215           420
  fam-fork-N2-K1-P2            219           444
  fam-fork-N2-K2-P1           1052          2180
  fam-fork-N2-K2-P2           1830          3839
  fam-fork-N3-K1-P1           2344          6231
  fam-fork-N3-K1-P2           2586          7052
  fam-fork-N3-K2-P1          32523         91374
  fam-fork-N3-K2-P2         101697        292548
  fam-fork-N4-K1-P1          30799        104189
  fam-fork-N4-K1-P2          38626        133545
  fam-fork-N4-K2-P1        1172054       4190638
  fam-fork-N5-K1-P1         455190       1877101

Rumur (v2022.08.20, --deadlock-detection off --threads 1, the verifier built as bench.py's
run_rumur() builds it) reports no error on these members, and mmcheck says they hold.
(fam-fork-N4-K2-P2, 5980354 states and 21823914 transitions in mmcheck, is not in the table:
its Rumur run takes more than 90 s.)

The checks can fail. Without fb49c455323f (mmcheck --set fork_vma_wrlock=false; here, fork's
first step no longer sets vma[p].wlocked and its guard, and no_deadlock's, no longer waits for
!vma_read_locked()), both report no_stale_tlb_at_cow on N2-K1-P1 (a writer's fault, under the
VMA lock while fork runs, decides to copy a page fork has write-protected while another writer
still holds the writable TLB entry fork has not flushed yet), and both hold on N1-K1-P1 with
35 states and 49 transitions (rules fired) each. Taking out fork's flush_tlb_mm (the flush_page
loop of the fork.share/flush_tlb_mm rule; no mmcheck policy drops it) makes Rumur report
no_lost_write at c0's load on N1-K1-P1: the parent's store through its stale writable TLB entry,
after fork returned, reaches the frame C shares.

Usage:
  murphi_fork.py -N 3 -K 2 -P 2 [-o FILE]     one member's model (stdout by default)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family  # noqa: E402
from murphi import anon_populated_pages, cli, cond, writer_terms  # noqa: E402

# writer steps (models/ops/phases.hpp: kAccess, then the fault's)
S_ACCESS, S_FLOCK, S_FPTL, S_FCOPY, S_FINSTALL, S_FUNLOCK = range(6)
# the fault kind in progress (FaultKind::Store)
F_STORE = 2
# cpu0's fork steps (kForkLock, kForkPte, kForkUnlock; kForkFlush is the PTE step past the last)
K_LOCK, K_PTE, K_UNLOCK = range(3)


def model(n, k_stores, pages):
    nthr = n + 2  # cpu0..cpuN in P, c0 in C
    c0 = n + 1
    # VmModel's frame pool: pages * (processes + 1) + threads + 1
    nframes = 3 * pages + nthr + 1
    maxval = 1 + n * k_stores
    L = []
    w = L.append
    w("-- %s: generated by tools/bench/murphi_fork.py -N %d -K %d -P %d; do not edit."
      % (family.member_name(n, k_stores, pages, "fork"), n, k_stores, pages))
    w("-- The Murphi twin of the fork variant member (linux-6.8: per-VMA locks, fork write-locks"
      " the parent's VMAs).")
    w("const NCPU: %d; NTHR: %d; C0: %d; NPAGES: %d; NFRAMES: %d; NOPS: %d;"
      % (n + 1, nthr, c0, pages, nframes, k_stores))
    w("type")
    w("  thr_t: 0..NTHR-1; cpu_t: 0..NCPU-1; page_t: 0..NPAGES-1; frame_t: 0..NFRAMES-1;"
      " val_t: 0..%d;" % maxval)
    w("  wid_t: 1..NCPU-1; cnt_t: 0..%d;" % (2 * nthr + 4))
    w("  Pte: record present: boolean; write: boolean; dirty: boolean; sd: boolean; pfn: frame_t;"
      " end;")
    w("  Vma: record mapped: boolean; read: boolean; write: boolean; wlocked: boolean;"
      " anon_vma: boolean; end;")
    w("  Tlb: record valid: boolean; w: boolean; d: boolean; pfn: frame_t; end;")
    w("  Frame: record inuse: boolean; ae: boolean; rc: cnt_t; mc: cnt_t; content: val_t; end;")
    w("  Writer: record k: 0..NOPS; ph: 0..%d; fk: 0..3; vl: boolean;" % S_FUNLOCK)
    w("    sp: boolean; sw: boolean; sdy: boolean; ssd: boolean; spfn: frame_t;"
      " opfn: frame_t; npfn: frame_t; end;")
    w("var")
    w("  pte: array[page_t] of Pte;")
    w("  vma: array[page_t] of Vma;")
    w("  mmap_readers: cnt_t; mmap_writer: boolean;")
    w("  pexp: array[page_t] of val_t;")
    w("  cexists: boolean; clive: boolean;")
    w("  cpte: array[page_t] of Pte;")
    w("  cvma: array[page_t] of Vma;")
    w("  cexp: array[page_t] of val_t;")
    w("  cforb: array[val_t] of boolean;")
    w("  tlb: array[thr_t] of array[page_t] of Tlb;")
    w("  fr: array[frame_t] of Frame;")
    w("  ndone: 0..NTHR;")
    w("  w: array[wid_t] of Writer;")
    w("  fpc: 0..1; fph: 0..%d; fi: 0..NPAGES;" % K_UNLOCK)
    w("  cpc: 0..1;")
    w("")
    w("procedure clear_tlb(t: thr_t; p: page_t); begin")
    w("  tlb[t][p].valid := false; tlb[t][p].w := false; tlb[t][p].d := false; tlb[t][p].pfn := 0; end;")
    w("-- flush_page(P, p): the TLB entries of P's threads (cpu0..cpuN)")
    w("procedure flush_page(p: page_t); begin for c: cpu_t do clear_tlb(c, p); end; end;")
    w("procedure clear_pte_of(var x: Pte); begin")
    w("  x.present := false; x.write := false; x.dirty := false; x.sd := false; x.pfn := 0; end;")
    w("procedure clear_vma_of(var v: Vma); begin")
    w("  v.mapped := false; v.read := false; v.write := false; v.wlocked := false;"
      " v.anon_vma := false; end;")
    w("procedure free_frame(f: frame_t); begin")
    w("  fr[f].inuse := false; fr[f].ae := false; fr[f].rc := 0; fr[f].mc := 0; fr[f].content := 0; end;")
    w("function alloc_frame(): frame_t; begin")
    w("  for f: frame_t do if !fr[f].inuse then free_frame(f); fr[f].inuse := true; return f; end; end;")
    w("  error \"out of frames\"; return 0; end;")
    w("procedure put_frame(f: frame_t); begin")
    w("  assert fr[f].inuse & fr[f].rc > 0 \"refcounts_sane: a reference dropped on a free frame\";")
    w("  fr[f].rc := fr[f].rc - 1; if fr[f].rc = 0 then free_frame(f); end; end;")
    w("procedure clear_writer(c: wid_t); begin")
    w("  w[c].fk := 0; w[c].vl := false; w[c].sp := false; w[c].sw := false; w[c].sdy := false;")
    w("  w[c].ssd := false; w[c].spfn := 0; w[c].opfn := 0; w[c].npfn := 0; end;")
    w("procedure finished(); begin")
    w("  ndone := ndone + 1;")
    w("  if ndone = NTHR then  -- no_lost_write at the end, in every live mm")
    w("    for p: page_t do")
    w("      assert (!pte[p].present | pexp[p] = 0 | fr[pte[p].pfn].content = pexp[p])"
      " \"no_lost_write at the end (P)\";")
    w("      assert (!clive | !cpte[p].present | cexp[p] = 0 | fr[cpte[p].pfn].content = cexp[p])"
      " \"no_lost_write at the end (C)\";")
    w("    end;")
    w("  end; end;")
    w("-- record_store(): a store by P of v at page p into frame f (the ghost of every mm)")
    w("procedure record_store(p: page_t; v: val_t; f: frame_t); begin")
    w("  pexp[p] := v;")
    w("  if cexists then")
    w("    if !clive & cpte[p].present & cpte[p].pfn = f then  -- a forking child that maps the frame")
    w("      cexp[p] := v; cforb[v] := false;")
    w("    elsif clive then  -- stored after the fork that separated them")
    w("      cforb[v] := true;")
    w("    end;")
    w("  end; end;")
    w("-- lock_vma_under_rcu() gets the page's VMA read lock (fault_lock=vma_all; private: it needs"
      " an anon_vma)")
    w("function takes_vma_lock(p: page_t): boolean; begin")
    w("  return vma[p].mapped & !vma[p].wlocked & vma[p].anon_vma; end;")
    w("-- vma_start_write() of every VMA of P waits for the faults holding one")
    w("function vma_read_locked(): boolean; begin")
    w("  for c: wid_t do if w[c].vl then return true; end; end;")
    w("  return false; end;")
    w("")
    for c in range(1, n + 1):
        stores, pg, val, W, T, P = writer_terms(c, k_stores, pages)
        V = "vma[%s]" % pg
        done = "%s.k := %s.k + 1; if %s.k = NOPS then finished(); end;" % (W, W, W)
        w("-- cpu%d: stores %s" % (c, ", ".join("page %d value %d" % s for s in stores)))
        w("rule \"cpu%d access\" %s.k < NOPS & %s.ph = %d ==> begin" % (c, W, W, S_ACCESS))
        w("  if %s.valid & %s.w & %s.d then" % (T, T, T))
        w("    assert fr[%s.pfn].inuse \"refcounts_sane: a store reaches a free frame\";" % T)
        w("    fr[%s.pfn].content := %s; record_store(%s, %s, %s.pfn);" % (T, val, pg, val, T))
        w("    " + done)
        w("  elsif %s.present & %s.write then" % (P, P))
        w("    %s.dirty := true;" % P)
        w("    %s.valid := true; %s.w := %s.write; %s.d := %s.dirty; %s.pfn := %s.pfn;"
          % (T, T, P, T, P, T, P))
        w("    assert fr[%s.pfn].inuse \"refcounts_sane: a store reaches a free frame\";" % P)
        w("    fr[%s.pfn].content := %s; record_store(%s, %s, %s.pfn);" % (P, val, pg, val, P))
        w("    " + done)
        w("  else")
        w("    clear_tlb(%d, %s); %s.fk := %d; %s.ph := %d;" % (c, pg, W, F_STORE, W, S_FLOCK))
        w("  end; end;")
        w("rule \"cpu%d fault.lock\" %s.k < NOPS & %s.ph = %d & (!mmap_writer | takes_vma_lock(%s)) ==> begin"
          % (c, W, W, S_FLOCK, pg))
        w("  %s.ph := %d;" % (W, S_FPTL))
        w("  if takes_vma_lock(%s) then %s.vl := true; else mmap_readers := mmap_readers + 1; end;"
          " end;" % (pg, W))
        w("rule \"cpu%d fault.ptl\" %s.k < NOPS & %s.ph = %d ==> begin" % (c, W, W, S_FPTL))
        w("  assert %s.mapped & %s.write \"SIGSEGV: not modelled here\";" % (V, V))
        w("  assert %s.present \"a none PTE: not modelled here\";" % P)
        w("  if %s.write then  -- fault.spurious" % P)
        w("    %s.ph := %d;" % (W, S_FUNLOCK))
        w("  elsif fr[%s.pfn].ae | fr[%s.pfn].rc = 1 then  -- do_wp_page.reuse" % (P, P))
        w("    %s.write := true; %s.dirty := true; %s.sd := true; fr[%s.pfn].ae := true;" % (P, P, P, P))
        w("    %s.ph := %d;" % (W, S_FUNLOCK))
        w("  else  -- do_wp_page.copy")
        w("    for t: cpu_t do")
        w("      assert !(tlb[t][%s].valid & tlb[t][%s].w) \"no_stale_tlb_at_cow\";" % (pg, pg))
        w("    end;")
        w("    fr[%s.pfn].rc := fr[%s.pfn].rc + 1;" % (P, P))
        w("    %s.sp := %s.present; %s.sw := %s.write; %s.sdy := %s.dirty; %s.ssd := %s.sd;"
          " %s.spfn := %s.pfn;" % (W, P, W, P, W, P, W, P, W, P))
        w("    %s.opfn := %s.pfn; %s.ph := %d;" % (W, P, W, S_FCOPY))
        w("  end; end;")
        w("rule \"cpu%d wp_page_copy.copy\" %s.k < NOPS & %s.ph = %d ==> var nf: frame_t; begin"
          % (c, W, W, S_FCOPY))
        w("  nf := alloc_frame(); fr[nf].rc := 1; fr[nf].content := fr[%s.opfn].content;" % W)
        w("  %s.npfn := nf; %s.ph := %d; end;" % (W, W, S_FINSTALL))
        w("rule \"cpu%d wp_page_copy.install/abort\" %s.k < NOPS & %s.ph = %d ==> begin"
          % (c, W, W, S_FINSTALL))
        w("  if %s.present = %s.sp & %s.write = %s.sw & %s.dirty = %s.sdy & %s.sd = %s.ssd"
          " & %s.pfn = %s.spfn then" % (P, W, P, W, P, W, P, W, P, W))
        w("    flush_page(%s);  -- ptep_clear_flush_notify" % pg)
        w("    %s.present := true; %s.pfn := %s.npfn; %s.write := true; %s.dirty := true;"
          " %s.sd := true;" % (P, P, W, P, P, P))
        w("    fr[%s.npfn].mc := 1; fr[%s.npfn].ae := true;" % (W, W))
        w("    fr[%s.opfn].mc := fr[%s.opfn].mc - 1; put_frame(%s.opfn); put_frame(%s.opfn);"
          % (W, W, W, W))
        w("  else")
        w("    put_frame(%s.npfn); put_frame(%s.opfn);" % (W, W))
        w("  end;")
        w("  %s.sp := false; %s.sw := false; %s.sdy := false; %s.ssd := false; %s.spfn := 0;"
          % ((W,) * 5))
        w("  %s.opfn := 0; %s.npfn := 0; %s.ph := %d; end;" % (W, W, W, S_FUNLOCK))
        w("rule \"cpu%d fault.unlock\" %s.k < NOPS & %s.ph = %d ==> begin" % (c, W, W, S_FUNLOCK))
        w("  if %s.vl then %s.vl := false; else mmap_readers := mmap_readers - 1; end;" % (W, W))
        w("  %s.fk := 0; %s.ph := %d; end;" % (W, W, S_ACCESS))
        w("")
    w("-- cpu0: fork P into C")
    w("rule \"cpu0 fork.mmap_write_lock\" fpc = 0 & fph = %d & !mmap_writer & mmap_readers = 0"
      " & !vma_read_locked() ==> begin" % K_LOCK)
    w("  mmap_writer := true;")
    w("  -- the child mm: created empty, with the parent's VMAs (no VM_UFFD_* here)")
    w("  cexists := true; clive := false;")
    w("  for p: page_t do clear_pte_of(cpte[p]); cvma[p] := vma[p]; cexp[p] := 0; end;")
    w("  for v: val_t do cforb[v] := false; end;")
    w("  -- vma_start_write() of every VMA of P (fb49c455323f)")
    w("  for p: page_t do vma[p].wlocked := true; end;")
    w("  fph := %d; end;" % K_PTE)
    w("rule \"cpu0 fork.share/flush_tlb_mm\" fpc = 0 & fph = %d ==> var pick: 0..NPAGES; f: frame_t; begin"
      % K_PTE)
    w("  pick := NPAGES;")
    w("  for p: page_t do if pick = NPAGES & p >= fi & pte[p].present then pick := p; end; end;")
    w("  if pick = NPAGES then  -- flush_tlb_mm(P)")
    w("    fi := 0;")
    w("    for p: page_t do flush_page(p); end;")
    w("    fph := %d;" % K_UNLOCK)
    w("  else  -- copy_present_pte: write-protect, share the frame, PageAnonExclusive cleared")
    w("    fi := pick + 1; f := pte[pick].pfn;")
    w("    cexp[pick] := pexp[pick];")
    w("    pte[pick].write := false;")
    w("    cpte[pick] := pte[pick];")
    w("    fr[f].mc := fr[f].mc + 1; fr[f].rc := fr[f].rc + 1; fr[f].ae := false;")
    w("  end; end;")
    w("rule \"cpu0 fork.return\" fpc = 0 & fph = %d ==> begin" % K_UNLOCK)
    w("  mmap_writer := false; clive := true;")
    w("  for p: page_t do vma[p].wlocked := false; end;  -- mmap_write_unlock ends the VMA write locks")
    w("  fpc := 1; fph := 0; finished(); end;")
    w("")
    w("-- c0 (in C): loads page 0")
    w("rule \"c0 access\" clive & cpc = 0 ==> var f: frame_t; begin")
    w("  if tlb[C0][0].valid then")
    w("    f := tlb[C0][0].pfn;")
    w("  elsif cpte[0].present then")
    w("    tlb[C0][0].valid := true; tlb[C0][0].w := cpte[0].write; tlb[C0][0].d := cpte[0].dirty;"
      " tlb[C0][0].pfn := cpte[0].pfn;")
    w("    f := cpte[0].pfn;")
    w("  else")
    w("    error \"c0's fault: not modelled here\";")
    w("  end;")
    w("  assert fr[f].inuse \"refcounts_sane: a load reaches a free frame\";")
    w("  assert cexp[0] = 0 | fr[f].content = cexp[0] \"no_lost_write at c0's load\";")
    w("  cpc := 1; finished(); end;")
    w("")
    # refcounts_sane, as invariants/refcounts.cpp: the references a thread holds are the COW's
    # (fault_references: the old frame in the copy and install steps, the new one in install)
    w("function refcounts_sane(): boolean; var mapped: cnt_t; refs: cnt_t; begin")
    w("  for f: frame_t do")
    w("    mapped := 0; refs := 0;")
    w("    for p: page_t do")
    w("      if pte[p].present & pte[p].pfn = f then mapped := mapped + 1; end;")
    w("      if cpte[p].present & cpte[p].pfn = f then mapped := mapped + 1; end;")
    w("    end;")
    w("    for c: wid_t do")
    w("      if (w[c].ph = %d | w[c].ph = %d) & w[c].opfn = f then refs := refs + 1; end;"
      % (S_FCOPY, S_FINSTALL))
    w("      if w[c].ph = %d & w[c].npfn = f then refs := refs + 1; end;" % S_FINSTALL)
    w("    end;")
    w("    if !fr[f].inuse then")
    w("      if mapped != 0 | refs != 0 then return false; end;")
    w("    elsif fr[f].mc < mapped | fr[f].rc < fr[f].mc + refs then return false; end;")
    w("  end;")
    w("  return true; end;")
    w("invariant \"refcounts_sane\" refcounts_sane();")
    # no_deadlock: a state where no rule is enabled has every thread done
    enabled = ["(fpc = 0 & (fph != %d | (!mmap_writer & mmap_readers = 0 & !vma_read_locked())))"
               % K_LOCK, "(clive & cpc = 0)"]
    for c in range(1, n + 1):
        stores = family.writer_stores(c, k_stores, pages)
        pg = cond(k_stores, [p for p, _ in stores]).replace("C", str(c))
        enabled.append("(w[%d].k < NOPS & (w[%d].ph != %d | !mmap_writer | takes_vma_lock(%s)))"
                       % (c, c, S_FLOCK, pg))
    w("invariant \"no_deadlock\" ndone = NTHR")
    for e in enabled:
        w("  | %s" % e)
    w("  ;")
    w("")
    w("startstate begin")
    w("  for p: page_t do")
    w("    clear_pte_of(pte[p]); clear_pte_of(cpte[p]); clear_vma_of(cvma[p]); pexp[p] := 0;"
      " cexp[p] := 0;")
    w("    vma[p].mapped := true; vma[p].read := true; vma[p].write := true; vma[p].wlocked := false;")
    w("    vma[p].anon_vma := false;")
    w("    for t: thr_t do clear_tlb(t, p); end;")
    w("  end;")
    w("  for v: val_t do cforb[v] := false; end;")
    w("  for f: frame_t do free_frame(f); end;")
    w("  mmap_readers := 0; mmap_writer := false; cexists := false; clive := false; ndone := 0;")
    w("  for c: wid_t do")
    w("    w[c].k := 0; w[c].ph := %d; clear_writer(c);" % S_ACCESS)
    w("  end;")
    w("  fpc := 0; fph := %d; fi := 0; cpc := 0;" % K_LOCK)
    anon_populated_pages(w, n, k_stores, pages, "pexp")
    w("end;")
    return "\n".join(L) + "\n"


def main(argv=None):
    return cli(model, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
