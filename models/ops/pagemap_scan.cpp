// pagemap_scan: the PAGEMAP_SCAN ioctl on /proc/PID/pagemap (52526ca7fdb9, 6.7).
//
// Abstracts: do_pagemap_scan -> walk_page_range with pagemap_scan_test_walk (a VMA whose
// userfaultfd lacks WP_ASYNC is skipped silently by PM_SCAN_WP_MATCHING) ->
// pagemap_scan_pmd_entry: per PTE, pagemap_page_category() (PAGE_IS_WRITTEN is !uffd_wp,
// PAGE_IS_SOFT_DIRTY the PTE's or the VMA's soft-dirty bit) and, with PM_SCAN_WP_MATCHING,
// make_uffd_wp_pte(): a present PTE gets pte_mkuffd_wp() through ptep_modify_prot_start() /
// ptep_modify_prot_commit() (x86: write-protected, the dirty bit kept), a swap (migration)
// entry pte_swp_mkuffd_wp(), a none PTE a PTE_MARKER_UFFD_WP; a marker is skipped. The TLB is
// flushed (flush_tlb_range) before pte_unmap_unlock(), with no tlb_flush_pending
// (fs/proc/task_mmu.c).
//
// [P pagemap_scan_rmw_atomic] Up to 6.8 make_uffd_wp_pte() read `ptent = ptep_get(pte)` first
// and committed pte_mkuffd_wp(ptent) after ptep_modify_prot_start(): a dirty bit the hardware
// set in between (another CPU's store through a writable, clean TLB entry; the hardware takes
// no PTL) was written back as 0. c70dce4982ce (6.9) commits pte_mkuffd_wp(old_pte), the value
// ptep_modify_prot_start() took atomically. Without it the write-protect of a present PTE is
// two steps, the read and the commit; under the PTL only the hardware can change the PTE in
// between, so a kernel step that the model lets run there is ordered before the read.
//
// Steps and locks:
//   pagemap_scan.mmap_read_lock
//   pagemap_scan.pte             mmap_lock read + PTL, one per PTE of the range: the category
//                                (a pagemap read), and with wp the write-protect and the flush
//                                of that page on every CPU of the mm, before the PTL is dropped
//   pagemap_scan.commit          6.7-6.8, a present PTE with wp: the stale commit, the flush
//   pagemap_scan.mmap_read_unlock  a completed scan with wp leaves its pages protected (ghost)
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

constexpr StepList<4> kSteps = {"pagemap_scan.mmap_read_lock", "pagemap_scan.pte",
                                "pagemap_scan.commit", "pagemap_scan.mmap_read_unlock"};

// Its phases.
inline constexpr std::uint8_t kScanLock = 0;
inline constexpr std::uint8_t kScanPte = 1;
inline constexpr std::uint8_t kScanUnlock = 2;
inline constexpr std::uint8_t kScanCommit = 3;

// pagemap_scan_test_walk(): wp_allowed = userfaultfd_wp_async(vma) &&
// userfaultfd_wp_use_markers(vma); WP_ASYNC implies WP_UNPOPULATED (userfaultfd_api()), so the
// first bit decides.
bool wp_allowed(const Ctx& c, int page) {
  const Mm& m = c.s.mm[c.mm];
  return m.vma[page].uffd_wp && (m.uffd_wp_async >> page & 1);
}

// make_uffd_wp_pte() on one PTE; returns whether it changed it.
bool make_uffd_wp_pte(Ctx& c, int page) {
  Pte& pte = c.m().pte[page];
  if (pte.marker || ((pte.present || pte.migration) && pte.uffd_wp)) return false;
  if (pte.migration) {
    pte.uffd_wp = true;  // pte_swp_mkuffd_wp(): remove_migration_pte() write-protects it
    return true;
  }
  if (!pte.present) {
    pte = Pte{};
    pte.marker = true;
    return true;
  }
  pte.uffd_wp = true;  // x86 pte_mkuffd_wp() = pte_wrprotect(pte | _PAGE_UFFD_WP)
  pte.write = false;
  flush_page(c, c.mm, page);  // flush_tlb_range() under the PTL
  return true;
}

void next_pte(ThreadState& th, const Op& op) {
  th.index++;
  th.phase = kScanPte;
  if (th.index >= op.pages) {
    th.index = 0;
    th.phase = kScanUnlock;
  }
}

void scan_pte(Ctx& c) {
  ThreadState& th = c.th();
  int page = c.op.page + th.index;
  const Pte& pte = c.m().pte[page];
  bool entry = pte.present || pte.migration;
  bool written = !(entry && pte.uffd_wp) && !pte.marker;
  bool soft_dirty = (entry && pte.soft_dirty) || c.m().vma[page].soft_dirty;
  c.observe({.event = Event::PagemapRead, .thread = c.thread, .mm = c.mm, .page = page});
  c.label(step<kSteps, "pagemap_scan.pte">());
  bool wp = c.op.wp && wp_allowed(c, page);
  if (wp && pte.present && !pte.uffd_wp && !c.policy.pagemap_scan_rmw_atomic) {
    th.saved = pte;  // ptent = ptep_get(pte), before ptep_modify_prot_start()
    th.phase = kScanCommit;
    MM_SAY(c, "%s:%s written %d, soft-dirty %d; ptent read (%s)", c.mm_name(c.mm).c_str(),
           c.page_name(page).c_str(), written, soft_dirty, pte_text(pte).c_str());
    return;
  }
  bool protected_now = wp && make_uffd_wp_pte(c, page);
  MM_SAY(c, "%s:%s written %d, soft-dirty %d%s", c.mm_name(c.mm).c_str(), c.page_name(page).c_str(),
         written, soft_dirty,
         protected_now ? "; uffd-wp set, TLB flushed under the PTL"
                       : (c.op.wp && !wp ? "; VMA without WP_ASYNC: skipped" : ""));
  next_pte(th, c.op);
}

// ptep_modify_prot_start() + ptep_modify_prot_commit(pte_mkuffd_wp(ptent)) with the stale
// ptent (6.7-6.8), then the flush under the PTL.
void scan_commit(Ctx& c) {
  ThreadState& th = c.th();
  int page = c.op.page + th.index;
  Pte& pte = c.m().pte[page];
  Pte hardware_only = th.saved;
  hardware_only.dirty = pte.dirty;
  c.label(step<kSteps, "pagemap_scan.commit">());
  if (pte == hardware_only) {
    bool lost = pte.dirty && !th.saved.dirty;
    pte = th.saved;
    pte.uffd_wp = true;
    pte.write = false;
    flush_page(c, c.mm, page);
    MM_SAY(c, "%s:%s := stale ptent + uffd-wp: W0 D%d%s, TLB flushed", c.mm_name(c.mm).c_str(),
           c.page_name(page).c_str(), pte.dirty, lost ? " (the hardware's D1 is lost)" : "");
    if (lost)
      c.observe({.event = Event::PteDirtyLost, .thread = c.thread, .mm = c.mm, .page = page});
  } else {
    // A kernel step changed the PTE since the read, which the PTL excludes: as if it ran first.
    bool changed = make_uffd_wp_pte(c, page);
    MM_SAY(c, "%s:%s re-read under the PTL%s", c.mm_name(c.mm).c_str(), c.page_name(page).c_str(),
           changed ? ": uffd-wp set, TLB flushed" : "");
  }
  th.saved = Pte{};
  next_pte(th, c.op);
}

void scan_unlock(Ctx& c) {
  Mm& m = c.m();
  m.readers--;
  if (c.op.wp && c.model.ghost().wp) {
    // Ghost, as a completed UFFDIO_WRITEPROTECT: the pages the scan left uffd-wp are protected.
    for (int p = c.op.page; p < c.op.page + c.op.pages; ++p) {
      const Pte& pte = m.pte[p];
      if (wp_allowed(c, p) && (((pte.present || pte.migration) && pte.uffd_wp) || pte.marker))
        m.wp_protected |= static_cast<std::uint16_t>(1u << p);
    }
  }
  c.label(step<kSteps, "pagemap_scan.mmap_read_unlock">());
  MM_SAY(c, "scan done");
  c.finish_op();
}

void step_pagemap_scan(Ctx& c) {
  ThreadState& th = c.th();
  switch (th.phase) {
    case kScanLock:
      c.mmap_read_lock(step<kSteps, "pagemap_scan.mmap_read_lock">(), kScanPte);
      return;
    case kScanPte:
      return scan_pte(c);
    case kScanCommit:
      return scan_commit(c);
    case kScanUnlock:
      return scan_unlock(c);
    default:
      MM_ASSERT(false, "unknown pagemap_scan phase");
  }
}

// Reads the VMA flags, the range's PTEs and the ghost; with wp writes the PTEs, flushes the mm's
// CPUs' TLBs and moves the protection ghost. No tlb_flush_pending: the flush is under the PTL.
void pagemap_scan_footprint(const FootprintScope& x, const Op& op, Footprint& f) {
  using namespace res;
  f.read = lock_writer(x.mm) | vma(x.mm) | x.range | x.ghost;
  f.write = op.wp ? (x.range | x.cpus | x.ghost) : 0;
  f.inc = lock_readers(x.mm);
}

// Taking and dropping mmap_lock for read; the unlock of a scan with wp moves the ghost.
std::optional<LocalStep> pagemap_scan_local_step(const LocalScope& x) {
  if (x.phase != kScanLock && x.phase != kScanUnlock) return std::nullopt;
  LocalStep out;
  out.footprint.read = x.phase == kScanLock ? res::lock_writer(x.mm) : 0;
  out.footprint.write = x.phase == kScanUnlock && x.op.wp && x.model.ghost().wp ? res::kGhostWp : 0;
  out.footprint.inc = res::lock_readers(x.mm);
  return out;
}

// PAGEMAP_SCAN came in 6.7 with UFFD_FEATURE_WP_ASYNC, the only registration it write-protects.
std::optional<std::string> pagemap_scan_unsupported(const Scenario&, const Policy& policy,
                                                    const Op&) {
  if (!policy.uffd_wp_async)
    return std::string("PAGEMAP_SCAN does not exist on this kernel (6.7+, with uffd_wp_async)");
  return std::nullopt;
}

}  // namespace

const OpDescriptor kPagemapScanOp{.kind = OpKind::PagemapScan,
                                  .names = {"pagemap_scan"},
                                  .fields = {"addr", "pages", "wp"},
                                  .steps = step_vector(kSteps),
                                  .step = step_pagemap_scan,
                                  .entry_lock = read_lock,
                                  .footprint = pagemap_scan_footprint,
                                  .local_step = pagemap_scan_local_step,
                                  .unsupported = pagemap_scan_unsupported};

}  // namespace mmcheck::vm
