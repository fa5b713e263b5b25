#!/usr/bin/env python3
"""Murphi models of the numa variant of the scaled benchmark family, for Rumur.

The variant is tools/bench/family.py's `--variant numa` (linux-6.8): cpu0 runs numa_scan over
region A (the PTEs it may touch become protnone, the TLB flush deferred); A is "misplaced", so a
writer's store to a protnone PTE takes the NUMA hinting fault, which migrates the page
(do_numa_page -> migrate_misplaced_folio: migration entries, the copy, their removal) under the
per-VMA lock. The model is models/ops/{access,fault,numa,migrate}.cpp written in Murphi, one
mmcheck step one Murphi rule, with the variables of mmcheck's state this scenario uses, zeroed
where mmcheck zeroes them, so the state graph is the one mmcheck explores:

  globals       pte[page] (present, protnone, migration, write, dirty, sd, uffd_wp, pfn),
                vma[page] (mapped, read, write, wlocked, anon_vma: the per-VMA lock bits),
                tlb[cpu][page], fr[frame] (in_use, anon_exclusive, dirty, refcount, mapcount,
                content), mmap_readers, mmap_writer, tlb_flush_pending, ghost_last[page] (the
                last value stored), ndone
  writer c      k (the op), ph (the step within it), fk (the fault in progress), vl (the fault
                holds its VMA's read lock), opfn / npfn (the migration's old and new frame);
                rules: access (TLB hit, walk, or fault), fault.lock_vma_under_rcu (or
                fault.mmap_read_lock), the PTL step (do_swap_page.migration_wait,
                do_anonymous_page.map, do_numa_page.migrate, fault.spurious, do_wp_page.reuse),
                migrate.unmap / .copy / .abort (one rule: the rmap walk's next unmap, or the
                copy after the last), migrate.remove / .done (likewise),
                migration_entry_wait.woken, fault.vma_end_read (or fault.mmap_read_unlock)
  cpu0          mpc, mph, mi (the walk's position), mflush[page] (the PTEs that asked for a
                flush); rules: numa_scan.mmap_read_lock, .inc_tlb_flush_pending, .pte (or, past
                the last PTE, .flush_tlb_range, or .dec_tlb_flush_pending when nothing is
                flushed), .dec_tlb_flush_pending, .mmap_read_unlock
  setup         the start state: every page populated by its setup writer's store of 1
                (do_anonymous_page, so the VMA has an anon_vma; the writer's TLB entry warm).
                No extra reference: numa_scan skips a page whose refcount is not 1
                [numa_skip_shared=refcount], so the scan skips a page a hinting fault holds.

Never reached in this variant, and an error if it were: a page of A not misplaced (the
in-place do_numa_page.restore), the COW copy (every anonymous frame stays anon_exclusive), a
SIGSEGV (A stays mapped read-write), the zero page (only stores).

Checks: no_lost_write (at the end, and a store never reaches a free frame), refcounts_sane
(an invariant: every in-use frame's refcount covers its mapcount and the references the
migrations in flight hold, its mapcount covers the PTEs that map it, a free frame is neither
mapped nor referenced), no_deadlock (an invariant: some rule is enabled or every thread is
done), so Rumur runs with --deadlock-detection off.

State counts: Rumur's states and rules fired equal mmcheck's `--por off` states and
transitions (`mmcheck check fam-numa-N<n>-K<k>-P<p>.json --por off --threads 1`):

  member                    states   transitions
  fam-numa-N1-K1-P1             53            81
  fam-numa-N1-K1-P2             55            84
  fam-numa-N1-K2-P1             99           159
  fam-numa-N1-K2-P2            141           226
  fam-numa-N2-K1-P1            838          1943
  fam-numa-N2-K1-P2           1316          3166
  fam-numa-N2-K2-P1           3509          8678
  fam-numa-N2-K2-P2           9625         23311
  fam-numa-N3-K1-P1           9565         29205
  fam-numa-N3-K1-P2          18823         59430
  fam-numa-N3-K2-P1          86494        286750
  fam-numa-N3-K2-P2         504978       1628189
  fam-numa-N4-K2-P1        1806609       7522751

Rumur reports no error on these members. Taking the flush out of ptep_clear_flush() for a
protnone PTE (mmcheck --set protnone_pending_accessible=false, and the same edit in
migrate_unmap here) makes both report refcounts_sane (a store reaches a freed frame) on N2-K1-P1.

Usage:
  murphi_numa.py -N 3 -K 2 -P 2 [-o FILE]     one member's model (stdout by default)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family  # noqa: E402
from murphi import anon_populated_pages, cli, cond, writer_terms  # noqa: E402

# writer steps (models/ops/phases.hpp: kAccess, then the fault's)
S_ACCESS, S_FLOCK, S_FPTL, S_FUNLOCK, S_FMWAIT, S_FNUNMAP, S_FNREMOVE = range(7)
# the fault kind in progress (FaultKind::Store)
F_STORE = 2
# cpu0's numa_scan steps (kNuma*)
M_LOCK, M_INC, M_PTE, M_DEC, M_UNLOCK = range(5)


def model(n, k_stores, pages):
    ncpu = n + 1
    # VmModel's frame pool: pages * (processes + 1) + threads + 1
    nframes = 2 * pages + ncpu + 1
    maxval = 1 + n * k_stores
    L = []
    w = L.append
    w("-- %s: generated by tools/bench/murphi_numa.py -N %d -K %d -P %d; do not edit."
      % (family.member_name(n, k_stores, pages, "numa"), n, k_stores, pages))
    w("-- The Murphi twin of the numa variant member (linux-6.8: per-VMA locks, NUMA hinting"
      " faults that migrate).")
    w("const NCPU: %d; NPAGES: %d; NFRAMES: %d; NOPS: %d;" % (ncpu, pages, nframes, k_stores))
    w("type")
    w("  cpu_t: 0..NCPU-1; page_t: 0..NPAGES-1; frame_t: 0..NFRAMES-1; val_t: 0..%d;" % maxval)
    w("  wid_t: 1..NCPU-1; cnt_t: 0..%d;" % (2 * ncpu + 4))
    w("  Pte: record present: boolean; protnone: boolean; migration: boolean; write: boolean;"
      " dirty: boolean; sd: boolean; uwp: boolean; pfn: frame_t; end;")
    w("  Vma: record mapped: boolean; read: boolean; write: boolean; wlocked: boolean;"
      " anon_vma: boolean; end;")
    w("  Tlb: record valid: boolean; w: boolean; d: boolean; pfn: frame_t; end;")
    w("  Frame: record inuse: boolean; ae: boolean; dirty: boolean; rc: cnt_t; mc: cnt_t;"
      " content: val_t; end;")
    w("  Writer: record k: 0..NOPS; ph: 0..%d; fk: 0..3; vl: boolean; opfn: frame_t; npfn: frame_t;"
      " end;" % S_FNREMOVE)
    w("var")
    w("  pte: array[page_t] of Pte;")
    w("  vma: array[page_t] of Vma;")
    w("  tlb: array[cpu_t] of array[page_t] of Tlb;")
    w("  fr: array[frame_t] of Frame;")
    w("  mmap_readers: cnt_t; mmap_writer: boolean; tlb_flush_pending: cnt_t;")
    w("  ghost_last: array[page_t] of val_t;")
    w("  ndone: 0..NCPU;")
    w("  w: array[wid_t] of Writer;")
    w("  mpc: 0..1; mph: 0..%d; mi: 0..NPAGES; mflush: array[page_t] of boolean;" % M_UNLOCK)
    w("")
    w("procedure clear_tlb(c: cpu_t; p: page_t); begin")
    w("  tlb[c][p].valid := false; tlb[c][p].w := false; tlb[c][p].d := false; tlb[c][p].pfn := 0; end;")
    w("procedure flush_page(p: page_t); begin for c: cpu_t do clear_tlb(c, p); end; end;")
    w("procedure free_frame(f: frame_t); begin")
    w("  fr[f].inuse := false; fr[f].ae := false; fr[f].dirty := false; fr[f].rc := 0; fr[f].mc := 0;")
    w("  fr[f].content := 0; end;")
    w("function alloc_frame(): frame_t; begin")
    w("  for f: frame_t do if !fr[f].inuse then free_frame(f); fr[f].inuse := true; return f; end; end;")
    w("  error \"out of frames\"; return 0; end;")
    w("procedure put_frame(f: frame_t); begin")
    w("  assert fr[f].inuse & fr[f].rc > 0 \"refcounts_sane: a reference dropped on a free frame\";")
    w("  fr[f].rc := fr[f].rc - 1; if fr[f].rc = 0 then free_frame(f); end; end;")
    w("procedure clear_pte(p: page_t); begin")
    w("  pte[p].present := false; pte[p].protnone := false; pte[p].migration := false;"
      " pte[p].write := false;")
    w("  pte[p].dirty := false; pte[p].sd := false; pte[p].uwp := false; pte[p].pfn := 0; end;")
    w("procedure finished(); begin")
    w("  ndone := ndone + 1;")
    w("  if ndone = NCPU then")
    w("    for p: page_t do")
    w("      assert (!pte[p].present | fr[pte[p].pfn].content = ghost_last[p]) \"no_lost_write at the end\";")
    w("    end;")
    w("  end; end;")
    w("-- lock_vma_under_rcu() gets the page's VMA read lock (fault_lock=vma_all; private: it needs"
      " an anon_vma)")
    w("function takes_vma_lock(p: page_t): boolean; begin")
    w("  return vma[p].mapped & !vma[p].wlocked & vma[p].anon_vma; end;")
    w("-- the fault is resolved: back to the unlock step (leave_fault)")
    w("procedure leave_fault(c: wid_t); begin w[c].ph := %d; end;" % S_FUNLOCK)
    w("-- migrate_unmap_step(): the next PTE mapping the old frame becomes a migration entry;"
      " past the last one,")
    w("-- folio_migrate_mapping()'s refcount freeze and the copy (migrate.copy), or -EAGAIN"
      " (migrate.abort)")
    w("procedure migrate_unmap(c: wid_t); var f: frame_t; nf: frame_t; found: boolean; begin")
    w("  f := w[c].opfn; found := false;")
    w("  for p: page_t do")
    w("    if !found & pte[p].present & pte[p].pfn = f then")
    w("      found := true;")
    w("      if !pte[p].protnone | tlb_flush_pending > 0 then flush_page(p); end;"
      " -- ptep_clear_flush if pte_accessible()")
    w("      if pte[p].dirty then fr[f].dirty := true; end;")
    w("      pte[p].present := false; pte[p].protnone := false; pte[p].migration := true;")
    w("      fr[f].mc := fr[f].mc - 1; put_frame(f);")
    w("    end;")
    w("  end;")
    w("  if !found then")
    w("    w[c].ph := %d;" % S_FNREMOVE)
    w("    if fr[f].rc != 1 then")
    w("      w[c].npfn := f;")
    w("    else")
    w("      nf := alloc_frame();")
    w("      fr[nf].dirty := fr[f].dirty; fr[nf].ae := fr[f].ae; fr[nf].content := fr[f].content;"
      " fr[nf].rc := 1;")
    w("      w[c].npfn := nf;")
    w("    end;")
    w("  end; end;")
    w("-- migrate_remove_step(): the next migration entry of the old frame maps the new one"
      " (remove_migration_pte);")
    w("-- past the last one, the references dropped (migrate.done) and the fault left")
    w("procedure migrate_remove(c: wid_t); var f: frame_t; nf: frame_t; found: boolean; ew: boolean; begin")
    w("  f := w[c].opfn; nf := w[c].npfn; found := false;")
    w("  for p: page_t do")
    w("    if !found & pte[p].migration & pte[p].pfn = f then")
    w("      found := true; ew := pte[p].write;")
    w("      pte[p].present := true; pte[p].migration := false; pte[p].protnone := !vma[p].read;")
    w("      pte[p].pfn := nf; pte[p].write := ew & vma[p].write; pte[p].uwp := !ew & pte[p].uwp;")
    w("      fr[nf].mc := fr[nf].mc + 1; fr[nf].rc := fr[nf].rc + 1;")
    w("    end;")
    w("  end;")
    w("  if !found then")
    w("    if nf != f then put_frame(nf); end;")
    w("    put_frame(f);")
    w("    w[c].opfn := 0; w[c].npfn := 0;")
    w("    leave_fault(c);")
    w("  end; end;")
    w("-- change_pte_range(MM_CP_PROT_NUMA) leaves this PTE alone (numa_skip_shared=refcount)")
    w("function numa_skip(p: page_t): boolean; begin")
    w("  if pte[p].migration then return !pte[p].write; end;")
    w("  if pte[p].protnone then return true; end;")
    w("  return fr[pte[p].pfn].rc != 1; end;")
    w("")
    for c in range(1, n + 1):
        stores, pg, val, W, T, P = writer_terms(c, k_stores, pages)
        V = "vma[%s]" % pg
        done = "%s.k := %s.k + 1; if %s.k = NOPS then finished(); end;" % (W, W, W)
        w("-- cpu%d: stores %s" % (c, ", ".join("page %d value %d" % s for s in stores)))
        w("rule \"cpu%d access\" %s.k < NOPS & %s.ph = %d ==> begin" % (c, W, W, S_ACCESS))
        w("  if %s.valid & %s.w & %s.d then" % (T, T, T))
        w("    assert fr[%s.pfn].inuse \"refcounts_sane: a store reaches a free frame\";" % T)
        w("    fr[%s.pfn].content := %s; ghost_last[%s] := %s;" % (T, val, pg, val))
        w("    " + done)
        w("  elsif %s.present & !%s.protnone & %s.write then" % (P, P, P))
        w("    %s.dirty := true;" % P)
        w("    %s.valid := true; %s.w := %s.write; %s.d := %s.dirty; %s.pfn := %s.pfn;"
          % (T, T, P, T, P, T, P))
        w("    assert fr[%s.pfn].inuse \"refcounts_sane: a store reaches a free frame\";" % P)
        w("    fr[%s.pfn].content := %s; ghost_last[%s] := %s;" % (P, val, pg, val))
        w("    " + done)
        w("  else")
        w("    clear_tlb(%d, %s); %s.fk := %d; %s.ph := %d;" % (c, pg, W, F_STORE, W, S_FLOCK))
        w("  end; end;")
        w("rule \"cpu%d fault.lock\" %s.k < NOPS & %s.ph = %d & (!mmap_writer | takes_vma_lock(%s)) ==> begin"
          % (c, W, W, S_FLOCK, pg))
        w("  %s.ph := %d;" % (W, S_FPTL))
        w("  if takes_vma_lock(%s) then %s.vl := true; else mmap_readers := mmap_readers + 1; end;"
          " end;" % (pg, W))
        w("rule \"cpu%d fault.ptl\" %s.k < NOPS & %s.ph = %d ==> var nf: frame_t; begin" % (c, W, W, S_FPTL))
        w("  assert %s.mapped & %s.write \"SIGSEGV: not modelled here\";" % (V, V))
        w("  if %s.migration then" % P)
        w("    %s.ph := %d;  -- do_swap_page.migration_wait" % (W, S_FMWAIT))
        w("  elsif !%s.present then  -- do_anonymous_page.map" % P)
        w("    nf := alloc_frame(); fr[nf].rc := 1; fr[nf].mc := 1; fr[nf].ae := true;")
        w("    clear_pte(%s); %s.present := true; %s.pfn := nf; %s.write := true; %s.dirty := true;"
          " %s.sd := true;" % (pg, P, P, P, P, P))
        w("    for p: page_t do vma[p].anon_vma := true; end;")
        w("    leave_fault(%d);" % c)
        w("  elsif %s.protnone then  -- do_numa_page.migrate (A is misplaced)" % P)
        w("    %s.opfn := %s.pfn; fr[%s.pfn].rc := fr[%s.pfn].rc + 1; %s.ph := %d;"
          % (W, P, P, P, W, S_FNUNMAP))
        w("  elsif %s.write then  -- fault.spurious" % P)
        w("    leave_fault(%d);" % c)
        w("  elsif fr[%s.pfn].ae | fr[%s.pfn].rc = 1 then  -- do_wp_page.reuse" % (P, P))
        w("    %s.write := true; %s.dirty := true; %s.sd := true; fr[%s.pfn].ae := true;" % (P, P, P, P))
        w("    leave_fault(%d);" % c)
        w("  else")
        w("    error \"do_wp_page.copy: not modelled here\";")
        w("  end; end;")
        w("rule \"cpu%d migrate.unmap/copy/abort\" %s.k < NOPS & %s.ph = %d ==> begin" % (c, W, W, S_FNUNMAP))
        w("  migrate_unmap(%d); end;" % c)
        w("rule \"cpu%d migrate.remove/done\" %s.k < NOPS & %s.ph = %d ==> begin" % (c, W, W, S_FNREMOVE))
        w("  migrate_remove(%d); end;" % c)
        w("rule \"cpu%d migration_entry_wait.woken\" %s.k < NOPS & %s.ph = %d & !%s.migration ==> begin"
          % (c, W, W, S_FMWAIT, P))
        w("  leave_fault(%d); end;" % c)
        w("rule \"cpu%d fault.unlock\" %s.k < NOPS & %s.ph = %d ==> begin" % (c, W, W, S_FUNLOCK))
        w("  if %s.vl then %s.vl := false; else mmap_readers := mmap_readers - 1; end;" % (W, W))
        w("  %s.fk := 0; %s.ph := %d; end;" % (W, W, S_ACCESS))
        w("")
    w("-- cpu0: numa_scan over every page of A")
    w("rule \"cpu0 numa_scan.mmap_read_lock\" mpc = 0 & mph = %d & !mmap_writer ==> begin" % M_LOCK)
    w("  mmap_readers := mmap_readers + 1; mph := %d; end;" % M_INC)
    w("rule \"cpu0 numa_scan.inc_tlb_flush_pending\" mpc = 0 & mph = %d ==> begin" % M_INC)
    w("  tlb_flush_pending := tlb_flush_pending + 1; mph := %d; end;" % M_PTE)
    w("rule \"cpu0 numa_scan.pte\" mpc = 0 & mph = %d ==> var pick: 0..NPAGES; first: 0..NPAGES;"
      " last: 0..NPAGES; begin" % M_PTE)
    w("  pick := NPAGES;")
    w("  for p: page_t do")
    w("    if pick = NPAGES & p >= mi & (pte[p].present | pte[p].migration) & !numa_skip(p) then"
      " pick := p; end;")
    w("  end;")
    w("  if pick = NPAGES then  -- the walk's end: flush_tlb_range of the PTEs that asked")
    w("    first := NPAGES; last := 0;")
    w("    for p: page_t do if mflush[p] then if first = NPAGES then first := p; end; last := p; end; end;")
    w("    mi := 0; for p: page_t do mflush[p] := false; end;")
    w("    if first != NPAGES then")
    w("      for p: page_t do if p >= first & p <= last then flush_page(p); end; end;")
    w("      mph := %d;" % M_DEC)
    w("    else  -- nothing to flush: the same step decrements tlb_flush_pending")
    w("      tlb_flush_pending := tlb_flush_pending - 1; mph := %d;" % M_UNLOCK)
    w("    end;")
    w("  else")
    w("    mi := pick + 1;")
    w("    if pte[pick].migration then")
    w("      pte[pick].write := false;")
    w("    else")
    w("      pte[pick].protnone := true; pte[pick].write := false; mflush[pick] := true;")
    w("    end;")
    w("  end; end;")
    w("rule \"cpu0 numa_scan.dec_tlb_flush_pending\" mpc = 0 & mph = %d ==> begin" % M_DEC)
    w("  tlb_flush_pending := tlb_flush_pending - 1; mph := %d; end;" % M_UNLOCK)
    w("rule \"cpu0 numa_scan.mmap_read_unlock\" mpc = 0 & mph = %d ==> begin" % M_UNLOCK)
    w("  mmap_readers := mmap_readers - 1; mpc := 1; mph := 0; finished(); end;")
    w("")
    # refcounts_sane, as invariants/refcounts.cpp: the references a thread holds are the
    # migration's (fault_references, migration_references)
    w("function refcounts_sane(): boolean; var mapped: cnt_t; refs: cnt_t; begin")
    w("  for f: frame_t do")
    w("    mapped := 0; refs := 0;")
    w("    for p: page_t do if pte[p].present & pte[p].pfn = f then mapped := mapped + 1; end; end;")
    w("    for c: wid_t do")
    w("      if (w[c].ph = %d | w[c].ph = %d) & w[c].opfn = f then refs := refs + 1; end;"
      % (S_FNUNMAP, S_FNREMOVE))
    w("      if w[c].ph = %d & w[c].npfn != w[c].opfn & w[c].npfn = f then refs := refs + 1; end;"
      % S_FNREMOVE)
    w("    end;")
    w("    if !fr[f].inuse then")
    w("      if mapped != 0 | refs != 0 then return false; end;")
    w("    elsif fr[f].mc < mapped | fr[f].rc < fr[f].mc + refs then return false; end;")
    w("  end;")
    w("  return true; end;")
    w("invariant \"refcounts_sane\" refcounts_sane();")
    # no_deadlock: a state where no rule is enabled has every thread done
    enabled = ["(mpc = 0 & (mph != %d | !mmap_writer))" % M_LOCK]
    for c in range(1, n + 1):
        stores = family.writer_stores(c, k_stores, pages)
        pg = cond(k_stores, [p for p, _ in stores]).replace("C", str(c))
        enabled.append("(w[%d].k < NOPS & (w[%d].ph != %d | !pte[%s].migration)"
                       " & (w[%d].ph != %d | !mmap_writer | takes_vma_lock(%s)))"
                       % (c, c, S_FMWAIT, pg, c, S_FLOCK, pg))
    w("invariant \"no_deadlock\" ndone = NCPU")
    for e in enabled:
        w("  | %s" % e)
    w("  ;")
    w("")
    w("startstate begin")
    w("  for p: page_t do")
    w("    clear_pte(p); ghost_last[p] := 0; mflush[p] := false;")
    w("    vma[p].mapped := true; vma[p].read := true; vma[p].write := true; vma[p].wlocked := false;")
    w("    vma[p].anon_vma := false;")
    w("    for c: cpu_t do clear_tlb(c, p); end;")
    w("  end;")
    w("  for f: frame_t do free_frame(f); end;")
    w("  mmap_readers := 0; mmap_writer := false; tlb_flush_pending := 0; ndone := 0;")
    w("  for c: wid_t do")
    w("    w[c].k := 0; w[c].ph := %d; w[c].fk := 0; w[c].vl := false; w[c].opfn := 0; w[c].npfn := 0;"
      % S_ACCESS)
    w("  end;")
    w("  mpc := 0; mph := %d; mi := 0;" % M_LOCK)
    anon_populated_pages(w, n, k_stores, pages, "ghost_last")
    w("end;")
    return "\n".join(L) + "\n"


def main(argv=None):
    return cli(model, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
