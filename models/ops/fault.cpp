// User accesses and the page-fault handler.
//
// Abstracts: the MMU's TLB lookup and page walk; do_user_addr_fault -> handle_mm_fault ->
// handle_pte_fault -> do_anonymous_page / do_fault (shmem) / do_wp_page -> wp_page_reuse,
// wp_page_shared, wp_page_copy, handle_userfault; and FAULT_FLAG_UNSHARE (5.19) for GUP.
//
// Steps and locks:
//   access            no lock: TLB hit, or a walk that fills the TLB, or a fault
//   fault.mmap_read_lock             takes mmap_lock for read
//   fault.lock_vma_under_rcu         instead [P fault_lock]: the read lock of the page's VMA,
//                                    when it qualifies and is not write-locked
//   fault.vma_end_read               releases it (fault.mmap_read_unlock otherwise)
//   fault.* (the PTL step)           mmap_lock read + PTL: re-read the PTE and branch
//   wp_page_copy.copy                mmap_lock read, PTL dropped: allocate and copy
//   wp_page_copy.install / .abort    mmap_lock read + PTL: pte_same, flush, install
//   fault.mmap_read_unlock           releases mmap_lock; the access is retried
//   do_wp_page.wp_async              the PTL step with WP_ASYNC (6.7): uffd_wp cleared in place,
//                                    then the next step re-reads the PTE and reuses or copies
//   handle_userfault.wait            releases mmap_lock (or the VMA lock, 6.6+) and sleeps; the
//                                    retried access (or GUP) is enabled once uffd_wp is clear
//                                    (a VMA-locked fault retries under mmap_lock in the kernel)
// A fault entered from GUP (faultin_page) runs with GUP's mmap_lock read already held, skips
// the lock and unlock steps and returns to GUP's PTL step.
#include <cstdio>

#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<25> kSteps = {"access.tlb_hit",
                                 "access.walk",
                                 "access.fault",
                                 "fault.mmap_read_lock",
                                 "fault.lock_vma_under_rcu",
                                 "fault.vma_end_read",
                                 "fault.sigsegv",
                                 "fault.spurious",
                                 "fault.mmap_read_unlock",
                                 "do_anonymous_page.map",
                                 "do_fault.map",
                                 "do_wp_page.userfault",
                                 "do_wp_page.wp_async",
                                 "do_wp_page.reuse",
                                 "do_wp_page.copy",
                                 "do_wp_page.unshare",
                                 "wp_page_shared.mkwrite",
                                 "wp_page_copy.copy",
                                 "wp_page_copy.install",
                                 "wp_page_copy.abort",
                                 "handle_userfault.wait",
                                 "fault.userfault_missing",
                                 "fault.userfault_minor",
                                 "do_swap_page.migration_wait",
                                 "migration_entry_wait.woken"};

bool from_gup(const Ctx& c) { return c.op.kind == OpKind::Pin || c.op.kind == OpKind::Get; }
bool is_store(const Ctx& c) { return c.op.kind == OpKind::Write; }

// The fault is resolved (or failed): back to the caller's retry point.
void leave_fault(Ctx& c) {
  ThreadState& th = c.th();
  if (from_gup(c)) {
    th.fault = 0;
    th.phase = th.failed ? kGupUnlock : kGupPtl;
    return;
  }
  th.phase = kFaultUnlock;
}

void sigsegv(Ctx& c, const char* why) {
  c.label(step<kSteps, "fault.sigsegv">());
  MM_SAY(c, "%s: SIGSEGV", why);
  c.th().failed = true;
  leave_fault(c);
}

// The copy branch: take a reference on the old frame and leave the PTL (wp_page_copy).
void decide_copy(Ctx& c, int page, const Pte& pte) {
  ThreadState& th = c.th();
  c.label(step<kSteps, "do_wp_page.copy">());
  c.observe({.event = Event::CowCopyDecided,
             .thread = c.thread,
             .mm = c.mm,
             .page = page,
             .pfn = pte.pfn});
  c.s.frames[pte.pfn].refcount++;
  th.saved = pte;
  th.old_pfn = pte.pfn;
  th.phase = kFaultCopy;
  MM_SAY(c, "copy frame %d (refcount %d, mapcount %d)", pte.pfn, c.s.frames[pte.pfn].refcount,
         c.s.frames[pte.pfn].mapcount);
}

void fault_none_pte(Ctx& c, int page, FaultKind kind) {
  Pte& pte = c.m().pte[page];
  const Region& region = c.sc.region_of(page);
  const VmaPage& vma = c.m().vma[page];
  bool store = kind == FaultKind::Store;
  if (vma.uffd_missing && !pte.marker) {
    // do_anonymous_page / do_fault: "Deliver the page fault to userland, check inside PT lock":
    // handle_userfault(VM_UFFD_MISSING); the PTL is dropped here, the fault lock next.
    c.th().phase = kFaultUserfault;
    c.label(step<kSteps, "fault.userfault_missing">());
    MM_SAY(c, "PTE none in a VM_UFFD_MISSING VMA: handle_userfault");
    return;
  }
  if (!region.shmem) {
    bool marker = pte.marker;  // WP_UNPOPULATED (6.4): do_anonymous_page's pte_mkuffd_wp()
    // do_anonymous_page: a fresh exclusive zero frame. A load maps it read-only (the kernel
    // maps the shared zero page; a private frame behaves the same for every invariant).
    std::uint8_t pfn = alloc_frame(c);
    Frame& f = c.s.frames[pfn];
    f.refcount = 1;
    f.mapcount = 1;
    f.anon_exclusive = true;
    f.zero = !store;
    pte = Pte{};
    pte.present = true;
    pte.pfn = pfn;
    pte.write = store && !marker;  // x86 pte_mkuffd_wp() write-protects: the store retries
    pte.dirty = store;
    pte.soft_dirty = store;  // x86 pte_mkdirty() sets _PAGE_SOFT_DIRTY too
    pte.uffd_wp = marker;
    if (store) note_anon_vma(c, page);  // anon_vma_prepare(); the zero page needs none
    c.label(step<kSteps, "do_anonymous_page.map">());
    MM_SAY(c, "map new frame %d %s%s", pfn, store ? "D1 SD1" : "read-only",
           marker ? ", uffd-wp kept from the marker" : (store ? " W1" : ""));
  } else {
    // do_read_fault / do_shared_fault: the shmem page from the page cache (allocated on first
    // use, holding the cache's reference). A store maps it writable and dirty (maybe_mkwrite);
    // a load uses vm_page_prot.
    std::uint8_t& cached = c.s.page_cache[c.sc.cache_page(page)];
    if (cached != 0 && (c.m().uffd_minor >> page & 1)) {
      // shmem_get_folio_gfp(): the page is in the cache and the VMA is registered for minor
      // faults: handle_userfault(VM_UFFD_MINOR), until UFFDIO_CONTINUE maps it.
      c.th().phase = kFaultUserfault;
      c.label(step<kSteps, "fault.userfault_minor">());
      MM_SAY(c, "page in the page cache, VM_UFFD_MINOR: handle_userfault");
      return;
    }
    if (region.private_map) {
      fault_private_none_pte(c, page, store);
      return leave_fault(c);
    }
    int pfn = cache_frame(c, page);
    Frame& f = c.s.frames[pfn];
    f.refcount++;
    f.mapcount++;
    if (store) f.dirty = true;
    // A uffd-wp marker (5.19+): handle_pte_marker -> pte_marker_handle_uffd_wp -> do_fault, and
    // do_set_pte() keeps the protection: pte_mkuffd_wp(), which on x86 write-protects too. A
    // store then retries into the WP fault. Markers exist only on registered VMAs here (no
    // UFFDIO_UNREGISTER), so pte_marker_clear() never applies.
    bool marker = pte.marker;
    MM_ASSERT(!marker || vma.uffd_wp, "a uffd-wp marker on a VMA not registered for WP");
    pte = Pte{};
    pte.present = true;
    pte.pfn = static_cast<std::uint8_t>(pfn);
    pte.write = !marker && (store || vm_page_prot_writable(c.sc, c.policy, page, vma));
    pte.dirty = store;
    pte.soft_dirty = store;
    pte.uffd_wp = marker;
    c.label(step<kSteps, "do_fault.map">());
    MM_SAY(c, "map shmem frame %d %s%s", pfn, pte.write ? "writable" : "read-only",
           marker ? ", uffd-wp kept from the marker" : "");
  }
  leave_fault(c);
}

// The anonymous write-protect fault (or unshare): reuse or copy.
void fault_wp_anon(Ctx& c, int page, FaultKind kind) {
  Pte& pte = c.m().pte[page];
  int pfn = pte.pfn;
  // A page-cache page in a private shmem view is not PageAnon: do_wp_page copies it.
  if (c.s.frames[pfn].shmem) return decide_copy(c, page, pte);
  bool reuse = may_reuse(c, pfn);
  if (kind == FaultKind::Unshare) {
    if (reuse) {
      c.label(step<kSteps, "do_wp_page.unshare">());
      MM_SAY(c, "frame %d exclusive: nothing to unshare", pfn);
      leave_fault(c);
    } else {
      decide_copy(c, page, pte);
    }
    return;
  }
  if (reuse) {
    // wp_page_reuse: an upgrade, no flush.
    pte.write = true;
    pte.dirty = true;
    pte.soft_dirty = true;
    c.s.frames[pfn].anon_exclusive = true;
    c.s.frames[pfn].zero = false;  // the kernel copies the zero page here: a fresh page either way
    c.label(step<kSteps, "do_wp_page.reuse">());
    MM_SAY(c, "reuse frame %d: PTE %s:%s W0->W1", pfn, c.mm_name(c.mm).c_str(),
           c.page_name(page).c_str());
    leave_fault(c);
    return;
  }
  decide_copy(c, page, pte);
}

// The PTL step of handle_pte_fault.
void fault_ptl(Ctx& c, FaultKind kind) {
  int page = c.op.page;
  const VmaPage& vma = c.m().vma[page];
  Pte& pte = c.m().pte[page];
  bool store = kind == FaultKind::Store;
  if (!vma.mapped) return sigsegv(c, "no VMA");
  if (!vma.read && !store) return sigsegv(c, "VMA not readable");
  if (store && !vma.write) return sigsegv(c, "VMA not writable");
  if (pte.migration) {  // do_swap_page -> migration_entry_wait, under the fault lock
    c.th().phase = kFaultMigrationWait;
    c.label(step<kSteps, "do_swap_page.migration_wait">());
    MM_SAY(c, "migration entry: sleeps until the migration removes it");
    return;
  }
  if (!pte.present) return fault_none_pte(c, page, kind);
  if (pte.protnone) {  // a NUMA hinting fault: the VMA is accessible (tested above)
    if (do_numa_page(c, page)) leave_fault(c);
    return;
  }
  bool allowed = kind == FaultKind::Load || (store && pte.write) ||
                 (kind == FaultKind::Unshare && (pte.write || c.sc.region_of(page).shmem));
  if (allowed) {
    c.label(step<kSteps, "fault.spurious">());
    MM_SAY(c, "PTE already allows the access");
    return leave_fault(c);
  }
  if (store && pte.uffd_wp && vma.uffd_wp) {
    if (uffd_wp_async_resolve(c, page)) return c.label(step<kSteps, "do_wp_page.wp_async">());
    // handle_userfault(VM_UFFD_WP): the PTL is dropped here; mmap_lock in the next step.
    c.th().phase = kFaultUserfault;
    c.label(step<kSteps, "do_wp_page.userfault">());
    MM_SAY(c, "PTE is uffd-wp: handle_userfault");
    return;
  }
  if (store && c.policy.uffd_wp_pending_flush && vma.uffd_wp && c.m().tlb_flush_pending > 0) {
    flush_page(c, c.mm, page);  // 6ce64428d620
    MM_SAY(c, "tlb_flush_pending=%d: flush_tlb_page first, ", c.m().tlb_flush_pending);
  }
  if (!is_private(c.sc, page)) {
    // wp_page_shared: make the PTE writable and dirty; set_page_dirty.
    pte.write = true;
    pte.dirty = true;
    pte.soft_dirty = true;
    c.s.frames[pte.pfn].dirty = true;
    c.label(step<kSteps, "wp_page_shared.mkwrite">());
    MM_SAY(c, "shared frame %d: PTE W0->W1", pte.pfn);
    return leave_fault(c);
  }
  fault_wp_anon(c, page, kind);
}

void fault_copy(Ctx& c) {
  ThreadState& th = c.th();
  std::uint8_t pfn = alloc_frame(c);
  Frame& f = c.s.frames[pfn];
  f.refcount = 1;
  f.content = c.s.frames[th.old_pfn].content;
  th.new_pfn = pfn;
  th.phase = kFaultInstall;
  c.label(step<kSteps, "wp_page_copy.copy">());
  MM_SAY(c, "frame %d := copy of frame %d", pfn, th.old_pfn);
}

void fault_install(Ctx& c, FaultKind kind) {
  ThreadState& th = c.th();
  int page = c.op.page;
  Pte& pte = c.m().pte[page];
  if (!(pte == th.saved)) {
    put_frame(c.s, th.new_pfn);
    put_frame(c.s, th.old_pfn);
    c.label(step<kSteps, "wp_page_copy.abort">());
    MM_SAY(c, "PTE changed since the decision: frame %d freed", th.new_pfn);
  } else {
    c.observe({.event = Event::CowInstall,
               .thread = c.thread,
               .mm = c.mm,
               .page = page,
               .pfn = th.old_pfn});
    flush_page(c, c.mm, page);  // ptep_clear_flush_notify
    Pte fresh{};
    fresh.present = true;
    fresh.pfn = th.new_pfn;
    if (kind == FaultKind::Unshare) {  // read-only copy keeps soft_dirty and uffd_wp
      fresh.soft_dirty = th.saved.soft_dirty;
      fresh.uffd_wp = th.saved.uffd_wp;
    } else {
      fresh.write = true;
      fresh.dirty = true;
      fresh.soft_dirty = true;
    }
    pte = fresh;
    Frame& nf = c.s.frames[th.new_pfn];
    nf.mapcount = 1;
    nf.anon_exclusive = true;
    note_anon_vma(c, page);  // wp_page_copy() starts with anon_vma_prepare()
    c.s.frames[th.old_pfn].mapcount--;
    put_frame(c.s, th.old_pfn);  // the mapping's reference
    put_frame(c.s, th.old_pfn);  // the one taken at the decision
    c.label(step<kSteps, "wp_page_copy.install">());
    MM_SAY(c, "pte_same: flush, PTE %s:%s -> frame %d %s", c.mm_name(c.mm).c_str(),
           c.page_name(page).c_str(), th.new_pfn, kind == FaultKind::Unshare ? "R/O" : "W1 D1");
  }
  th.saved = Pte{};
  th.old_pfn = 0;
  th.new_pfn = 0;
  leave_fault(c);
}

}  // namespace

void enter_fault(Ctx& c, FaultKind kind, bool lock_held) {
  ThreadState& th = c.th();
  th.fault = static_cast<std::uint8_t>(kind);
  th.phase = lock_held ? kFaultPtl : kFaultLock;
}

// read / write: the hardware access, one step.
void step_access(Ctx& c) {
  ThreadState& th = c.th();
  int page = c.op.page;
  bool store = is_store(c);
  if (c.model.tracks_soft_dirty() && !th.retried)
    th.sd_generation = c.m().clear_refs_busy ? 0 : c.m().clear_refs_done;
  TlbEntry& e = c.s.tlb[c.thread][page];
  if (e.valid && (!store || (e.writable && e.dirty))) {
    c.label(step<kSteps, "access.tlb_hit">());
    if (store) {
      MM_SAY(c, "TLB hit: store %d into frame %d", c.op.value, e.pfn);
      user_store(c, e.pfn, page, c.op.word, c.op.value);
    } else {
      user_load(c, e.pfn, page, c.op.word);
    }
    return c.finish_op();
  }
  Pte& pte = c.m().pte[page];
  if (pte.present && !pte.protnone && (!store || pte.write)) {
    if (store) pte.dirty = true;
    e = TlbEntry{true, pte.write, pte.dirty, pte.pfn};
    c.label(step<kSteps, "access.walk">());
    if (store) {
      MM_SAY(c, "walk: TLB := frame %d W%d D1, store %d", pte.pfn, pte.write, c.op.value);
      user_store(c, pte.pfn, page, c.op.word, c.op.value);
    } else {
      user_load(c, pte.pfn, page, c.op.word);
    }
    return c.finish_op();
  }
  e = TlbEntry{};
  if (c.model.tracks_soft_dirty()) th.retried = true;
  c.label(step<kSteps, "access.fault">());
  MM_SAY(c, "%s fault on %s: PTE %s", store ? "write" : "read", c.page_name(page).c_str(),
         pte_text(pte).c_str());
  enter_fault(c, store ? FaultKind::Store : FaultKind::Load, false);
}

namespace {
// release_fault_lock(): vma_end_read() or mmap_read_unlock(). Returns whether it was the VMA
// lock.
bool release_fault_lock(Ctx& c) {
  ThreadState& th = c.th();
  if (th.vma_locked) {
    th.vma_locked = false;
    return true;
  }
  c.m().readers--;
  return false;
}
}  // namespace

void step_fault(Ctx& c) {
  ThreadState& th = c.th();
  FaultKind kind = static_cast<FaultKind>(th.fault);
  switch (th.phase) {
    case kFaultLock:
      th.phase = kFaultPtl;
      if (fault_takes_vma_lock(c.sc, c.policy, c.m(), c.op.page)) {
        th.vma_locked = true;
        c.label(step<kSteps, "fault.lock_vma_under_rcu">());
        MM_SAY(c, "VMA read lock of %s", c.page_name(c.op.page).c_str());
        return;
      }
      c.m().readers++;
      c.label(step<kSteps, "fault.mmap_read_lock">());
      MM_SAY(c, "mmap_lock read (readers=%d)", c.m().readers);
      return;
    case kFaultPtl:
      return fault_ptl(c, kind);
    case kFaultCopy:
      return fault_copy(c);
    case kFaultInstall:
      return fault_install(c, kind);
    case kFaultUnlock: {
      bool vma = release_fault_lock(c);
      c.label(vma ? step<kSteps, "fault.vma_end_read">()
                  : step<kSteps, "fault.mmap_read_unlock">());
      const char* lock = vma ? "VMA lock" : "mmap_lock";
      th.fault = 0;
      if (th.failed) {
        MM_SAY(c, "%s released; the access ends with SIGSEGV", lock);
        return c.finish_op();
      }
      th.phase = kAccess;
      MM_SAY(c, "%s released; retry the access", lock);
      return;
    }
    case kFaultNumaUnmap:
      return migrate_unmap_step(c, kFaultNumaRemove);
    case kFaultNumaRemove:  // migrated or not, the PTE is no longer the protnone one: retry
      if (migrate_remove_step(c)) leave_fault(c);
      return;
    case kFaultMigrationWait:  // enabled once the entry is gone (models/vm_model.cpp)
      c.label(step<kSteps, "migration_entry_wait.woken">());
      MM_SAY(c, "the migration entry is gone: the fault returns and the access retries");
      return leave_fault(c);
    case kFaultUserfault:
      release_fault_lock(c);
      th.fault = 0;
      th.phase = from_gup(c) ? kGupLockAfterUserfault : kAccessAfterUserfault;
      c.label(step<kSteps, "handle_userfault.wait">());
      MM_SAY(c, "fault lock released; sleeps until %s is unprotected",
             c.page_name(c.op.page).c_str());
      return;
    default:
      MM_ASSERT(false, "unknown fault phase");
  }
}

std::optional<LocalStep> fault_local_step(const LocalScope& x) {
  LocalStep out;
  if (x.phase == kFaultLock) {
    // mmap_lock, or the VMA lock when lock_vma_under_rcu() gets it (its VMA's flags decide).
    out.footprint.read =
        res::lock_writer(x.mm) | (per_vma_locks(x.model.policy()) ? res::vma(x.mm) : 0);
    out.footprint.inc = res::lock_readers(x.mm);
    return out;
  }
  if (x.phase == kFaultUnlock || x.phase == kFaultUserfault) {
    out.footprint.inc = res::lock_readers(x.mm);
    return out;
  }
  return std::nullopt;
}

void fault_references(const ThreadState& th, FrameCounts& refs) {
  migration_references(th, th.phase == kFaultNumaUnmap, th.phase == kFaultNumaRemove, refs);
  if (th.phase != kFaultCopy && th.phase != kFaultInstall) return;
  refs[th.old_pfn]++;
  if (th.phase == kFaultInstall) refs[th.new_pfn]++;
}

std::vector<std::string> fault_steps() {
  std::vector<std::string> out = step_vector(kSteps);
  for (std::string& s : numa_fault_steps()) out.push_back(std::move(s));
  for (std::string& s : migration_steps()) out.push_back(std::move(s));
  for (std::string& s : private_fault_steps()) out.push_back(std::move(s));
  return out;
}

}  // namespace mmcheck::vm
