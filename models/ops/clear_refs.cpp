// Soft-dirty clearing and reading.
//
// Abstracts: clear_refs_write(CLEAR_REFS_SOFT_DIRTY) -> walk_page_range ->
// clear_refs_pte_range -> clear_soft_dirty (fs/proc/task_mmu.c), and pagemap_read.
//
// Steps and locks:
//   clear_refs.mmap_lock              mmap_lock, read or write [P clear_refs_lock]; clears
//                                     VM_SOFTDIRTY (the kernel briefly took the write lock for
//                                     that before 5.11: folded into this step)
//   clear_refs.inc_tlb_flush_pending  [P clear_refs_flush = pending] (912efa17e512)
//   clear_refs.pte / .skip_pinned     mmap_lock + PTL, one per present PTE: clear write and
//                                     soft_dirty, or leave a pinned page [P skip_pinned]
//   clear_refs.flush_tlb_mm           [P deferred: tlb_finish_mmu; pending: flush_tlb_mm]
//   clear_refs.dec_tlb_flush_pending  [P pending]
//   clear_refs.mmap_unlock
//   pagemap.read                      one step: the PTE's soft-dirty and uffd-wp bits
//
// The clear_refs_flush policy ties tlb_flush_pending to `pending` only. In the kernel,
// tlb_gather_mmu() also incremented it in the `deferred` and `none` eras; it matters only to
// do_wp_page's uffd_wp_pending_flush check (5.12+), which no preset combines with those values.
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/ops/walk.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<8> kSteps = {"clear_refs.mmap_lock",    "clear_refs.inc_tlb_flush_pending",
                                "clear_refs.pte",          "clear_refs.skip_pinned",
                                "clear_refs.flush_tlb_mm", "clear_refs.dec_tlb_flush_pending",
                                "clear_refs.mmap_unlock",  "pagemap.read"};

// The step after the walk: the flush, the decrement or the unlock, whichever comes first.
void after_walk(Ctx& c) {
  ThreadState& th = c.th();
  th.index = 0;
  switch (c.policy.clear_refs_flush) {
    case ClearRefsFlush::Deferred:
    case ClearRefsFlush::Pending:
      flush_mm(c, c.mm);
      th.phase =
          c.policy.clear_refs_flush == ClearRefsFlush::Pending ? kClearRefsDec : kClearRefsUnlock;
      c.label(step<kSteps, "clear_refs.flush_tlb_mm">());
      MM_SAY(c, "flush_tlb_mm(%s)", c.mm_name(c.mm).c_str());
      return;
    case ClearRefsFlush::None:
      th.phase = kClearRefsUnlock;
      return step_clear_refs(c);  // no flush step at all (0758cd830494): unlock now
  }
}

void clear_one(Ctx& c) {
  ThreadState& th = c.th();
  int page = next_walked(c.m(), th.index, c.sc.page_count());
  if (page < 0) return after_walk(c);
  th.index = static_cast<std::uint8_t>(page + 1);
  Pte& pte = c.m().pte[page];
  if (pte.migration) {  // clear_soft_dirty() on a swap PTE: pte_swp_clear_soft_dirty()
    pte.soft_dirty = false;
    c.label(step<kSteps, "clear_refs.pte">());
    MM_SAY(c, "migration entry %s:%s SD0", c.mm_name(c.mm).c_str(), c.page_name(page).c_str());
    return;
  }
  // pte_is_pinned(): writable, COW mapping, has_pinned, page_maybe_dma_pinned.
  if (c.policy.clear_refs_skip_pinned && pte.write && is_private(c.sc, page) && c.m().has_pinned &&
      c.s.frames[pte.pfn].pincount > 0) {
    c.label(step<kSteps, "clear_refs.skip_pinned">());
    MM_SAY(c, "PTE %s:%s is pinned: left writable and soft-dirty", c.mm_name(c.mm).c_str(),
           c.page_name(page).c_str());
    return;
  }
  bool was_write = pte.write;
  pte.write = false;
  pte.soft_dirty = false;
  c.label(step<kSteps, "clear_refs.pte">());
  MM_SAY(c, "PTE %s:%s W%d->W0 SD0%s", c.mm_name(c.mm).c_str(), c.page_name(page).c_str(),
         was_write,
         c.policy.clear_refs_flush == ClearRefsFlush::Pending
             ? ", flush pending"
             : (c.policy.clear_refs_flush == ClearRefsFlush::None ? ", no flush will come"
                                                                  : ", flush deferred"));
}

}  // namespace

void step_clear_refs(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  switch (th.phase) {
    case kClearRefsLock: {
      bool write = c.policy.clear_refs_lock != ClearRefsLock::Read;
      if (write)
        m.writer = true;
      else
        m.readers++;
      for (int p = 0; p < c.sc.page_count(); ++p) m.vma[p].soft_dirty = false;
      m.clear_refs_busy = true;
      m.sd_required = 0;
      th.phase =
          c.policy.clear_refs_flush == ClearRefsFlush::Pending ? kClearRefsInc : kClearRefsPte;
      c.label(step<kSteps, "clear_refs.mmap_lock">());
      MM_SAY(c, "mmap_lock %s; VM_SOFTDIRTY cleared", write ? "write" : "read");
      return;
    }
    case kClearRefsInc:
      m.tlb_flush_pending++;
      th.phase = kClearRefsPte;
      c.label(step<kSteps, "clear_refs.inc_tlb_flush_pending">());
      MM_SAY(c, "tlb_flush_pending=%d", m.tlb_flush_pending);
      return;
    case kClearRefsPte:
      return clear_one(c);
    case kClearRefsDec:
      m.tlb_flush_pending--;
      th.phase = kClearRefsUnlock;
      c.label(step<kSteps, "clear_refs.dec_tlb_flush_pending">());
      MM_SAY(c, "tlb_flush_pending=%d", m.tlb_flush_pending);
      return;
    case kClearRefsUnlock:
      if (m.writer)
        m.writer = false;
      else
        m.readers--;
      m.clear_refs_busy = false;
      if (m.clear_refs_done < 255) m.clear_refs_done++;
      c.label(step<kSteps, "clear_refs.mmap_unlock">());
      MM_SAY(c, "clear_refs done");
      return c.finish_op();
    default:
      MM_ASSERT(false, "unknown clear_refs phase");
  }
}

void step_pagemap(Ctx& c) {
  int page = c.op.page;
  const Pte& pte = c.m().pte[page];
  // A migration entry reports its own bits (pte_swp_soft_dirty, pte_swp_uffd_wp).
  bool entry = pte.present || pte.migration;
  bool soft_dirty = (entry && pte.soft_dirty) || c.m().vma[page].soft_dirty;
  // pte_to_pagemap_entry(): PM_UFFD_WP for a uffd-wp PTE or marker; a marker is never
  // soft-dirty, so VM_SOFTDIRTY alone decides there.
  bool uffd_wp = (entry && pte.uffd_wp) || pte.marker;
  c.label(step<kSteps, "pagemap.read">());
  MM_SAY(c, "pagemap %s:%s: soft-dirty %d, uffd-wp %d", c.mm_name(c.mm).c_str(),
         c.page_name(page).c_str(), soft_dirty, uffd_wp);
  c.observe({.event = Event::PagemapRead, .thread = c.thread, .mm = c.mm, .page = page});
  c.finish_op();
}

namespace {

EntryLock clear_refs_lock(const Policy& policy) {
  return policy.clear_refs_lock != ClearRefsLock::Read ? EntryLock::Write : EntryLock::Read;
}

void clear_refs_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  bool write = x.policy.clear_refs_lock != ClearRefsLock::Read;
  f.read =
      lock_writer(x.mm) | lock_readers(x.mm) | vma(x.mm) | x.own | kFrames | kHandles | x.ghost;
  f.write = vma(x.mm) | x.own | x.cpus | x.ghost | (write ? lock_writer(x.mm) : 0);
  f.inc = pending(x.mm) | (write ? 0 : lock_readers(x.mm));
  f.tlb_dirtying = x.own;
}

std::optional<LocalStep> clear_refs_local_step(const LocalScope& x) {
  if (x.phase != kClearRefsInc && x.phase != kClearRefsDec) return std::nullopt;
  LocalStep out;
  out.footprint.inc = res::pending(x.mm);
  out.moves_pending = true;
  return out;
}

void pagemap_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  f.read = res::vma(x.mm) | x.range | x.ghost;
}

}  // namespace

namespace {
// clear_refs_write(): 6.4's vm_flags_clear(vma, VM_SOFTDIRTY) write-locks the VMAs that had
// VM_SOFTDIRTY set; from 6.5 the walk (PGWALK_WRLOCK, 49b0638502da) write-locks every VMA.
std::uint32_t clear_refs_vma_write_locks(const Scenario& sc, const Policy& policy, const Mm& mm,
                                         const Op&) {
  if (policy.clear_refs_lock == ClearRefsLock::WriteVma) return all_pages(sc);
  if (policy.clear_refs_lock == ClearRefsLock::Read) return 0;
  std::uint32_t out = 0;
  for (int p = 0; p < sc.page_count(); ++p)
    if (mm.vma[p].mapped && mm.vma[p].soft_dirty) out |= region_pages(sc, p, 1);
  return out;
}
}  // namespace

const OpDescriptor kClearRefsOp{.kind = OpKind::ClearRefs,
                                .names = {"clear_refs"},
                                .fields = {},
                                .steps = step_vector(kSteps),
                                .step = step_clear_refs,
                                .entry_lock = clear_refs_lock,
                                .footprint = clear_refs_footprint,
                                .local_step = clear_refs_local_step,
                                .vma_write_locks = clear_refs_vma_write_locks};
const OpDescriptor kPagemapOp{.kind = OpKind::Pagemap,
                              .names = {"pagemap"},
                              .fields = {"addr"},
                              .steps = {"pagemap.read"},
                              .step = step_pagemap,
                              .entry_lock = no_lock,
                              .footprint = pagemap_footprint};
}  // namespace mmcheck::vm
