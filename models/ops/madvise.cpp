// madvise_dontneed: MADV_DONTNEED.
//
// Abstracts: do_madvise -> madvise_dontneed_single_vma -> zap_page_range_single (mm/madvise.c,
// mm/memory.c) under mmap_lock read (6.17 moved it under the VMA lock: not modelled, the read
// lock excludes the same writers here): tlb_gather_mmu (inc_tlb_flush_pending), zap_pte_range
// under the PTL (ptep_get_and_clear_full, the mapping dropped, the page gathered; a dirty shared
// page forces a flush before the PTL is dropped), tlb_finish_mmu: "if (mm_tlb_flush_nested(mm))"
// the whole mm is flushed (99baac21e458 [P zap_nested_flush]), else the range the zap gathered;
// then the gathered pages are freed, and dec_tlb_flush_pending.
//
// Steps and locks:
//   madvise_dontneed.mmap_read_lock
//   madvise_dontneed.tlb_gather_mmu    tlb_flush_pending++
//   madvise_dontneed.zap_pte           mmap_lock read + PTL, one per present PTE of the range
//   madvise_dontneed.tlb_finish_mmu    the flush, the frees, tlb_flush_pending--
//   madvise_dontneed.mmap_read_unlock
// A zapped anonymous page's data is gone (the next access maps a zero page): the value ghost
// forgets what the mm stored there. A shmem page stays in the page cache; its uffd-wp PTE
// becomes a uffd-wp marker. A hole in the range is -ENOMEM.
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// Its phases.
inline constexpr std::uint8_t kMadviseLock = 0;
inline constexpr std::uint8_t kMadviseGather = 1;
inline constexpr std::uint8_t kMadviseZap = 2;
inline constexpr std::uint8_t kMadviseFinish = 3;
inline constexpr std::uint8_t kMadviseUnlock = 4;

void step_madvise(Ctx& c);

// The kernel step names this file takes.
constexpr StepList<5> kSteps = {"madvise_dontneed.mmap_read_lock",
                                "madvise_dontneed.tlb_gather_mmu", "madvise_dontneed.zap_pte",
                                "madvise_dontneed.tlb_finish_mmu",
                                "madvise_dontneed.mmap_read_unlock"};

// The gather: ThreadState::masks has a bit per gathered frame; old_pfn and new_pfn hold the
// first and one past the last zapped page, plus one (0: nothing zapped), the range
// tlb_finish_mmu() flushes.
void gather_page(ThreadState& th, int page) {
  if (th.old_pfn == 0) th.old_pfn = static_cast<std::uint8_t>(page + 1);
  th.new_pfn = static_cast<std::uint8_t>(page + 2);
}

void zap_one(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  int end = c.op.page + c.op.pages;
  int page = th.index == 0 ? c.op.page : th.index;
  while (page < end && !m.pte[page].present) {
    if (m.pte[page].migration) m.pte[page] = Pte{};  // zap_pte_range clears a migration entry
    ++page;
  }
  if (page >= end) {
    th.index = 0;
    th.phase = kMadviseFinish;
    return step_madvise(c);
  }
  th.index = static_cast<std::uint8_t>(page + 1);
  Pte& pte = m.pte[page];
  int pfn = pte.pfn;
  bool shared = !is_private(c.sc, page);
  bool forced = shared && pte.dirty;
  if (shared && pte.dirty) c.s.frames[pfn].dirty = true;  // set_page_dirty
  c.s.frames[pfn].mapcount--;
  th.masks |= 1u << pfn;
  // zap_install_uffd_wp_if_needed(): a uffd-wp PTE of a registered file-backed VMA (shmem,
  // 5.19+) leaves a uffd-wp marker, so the protection survives the zap (found by `mmcheck
  // oracle`: pagemap's uffd-wp bit after MADV_DONTNEED of a protected shmem page).
  bool marker =
      shared && pte.uffd_wp && m.vma[page].uffd_wp && c.policy.uffd_wp == UffdWpSupport::AnonShmem;
  pte = Pte{};
  pte.marker = marker;
  pte.uffd_wp = marker;
  gather_page(th, page);
  // "Do the actual TLB flush before dropping ptl": tlb_flush_mmu_tlbonly(), the range so far.
  if (forced)
    for (int p = th.old_pfn - 1; p < th.new_pfn - 1; ++p) flush_page(c, c.mm, p);
  if (!shared) {
    m.expect_valid[page] = 0;
    m.expect[page] = {};
    m.sd_required &= static_cast<std::uint16_t>(~(1u << page));
  }
  if (!marker) m.wp_protected &= static_cast<std::uint16_t>(~(1u << page));
  c.label(step<kSteps, "madvise_dontneed.zap_pte">());
  MM_SAY(c, "PTE %s:%s cleared%s, frame %d gathered%s", c.mm_name(c.mm).c_str(),
         c.page_name(page).c_str(), marker ? " to a uffd-wp marker" : "", pfn,
         forced ? "; dirty shared page: flushed now" : "");
}

void finish(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  if (c.policy.zap_nested_flush && m.tlb_flush_pending > 1) {
    flush_mm(c, c.mm);
    MM_SAY(c, "another mmu_gather is pending: flush_tlb_mm; ");
  } else if (th.old_pfn != 0) {
    for (int p = th.old_pfn - 1; p < th.new_pfn - 1; ++p) flush_page(c, c.mm, p);
    MM_SAY(c, "flush the zapped range; ");
  } else {
    MM_SAY(c, "nothing zapped: no flush; ");
  }
  for (int f = 0; f < kMaxFrames; ++f)
    if (th.masks & (1u << f)) put_frame(c.s, f);
  th.masks = 0;
  th.old_pfn = 0;
  th.new_pfn = 0;
  m.tlb_flush_pending--;
  th.phase = kMadviseUnlock;
  c.label(step<kSteps, "madvise_dontneed.tlb_finish_mmu">());
  MM_SAY(c, "gathered pages freed, tlb_flush_pending=%d", m.tlb_flush_pending);
}

void madvise_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  f.read = lock_writer(x.mm) | vma(x.mm) | x.range | pending(x.mm) | kFrames | kHandles | x.ghost;
  f.write = x.range | x.cpus | kFrames | x.ghost;
  f.inc = lock_readers(x.mm) | pending(x.mm);
  f.tlb_dirtying = x.range;  // clears PTEs and flushes later
}

void step_madvise(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  switch (th.phase) {
    case kMadviseLock:
      m.readers++;
      th.phase = kMadviseGather;
      // madvise_walk_vmas(): a hole in the range is -ENOMEM, after the mapped parts are zapped
      // (found by `mmcheck oracle`: MADV_DONTNEED after munmap succeeded here).
      for (int p = c.op.page; p < c.op.page + c.op.pages; ++p)
        if (!m.vma[p].mapped) th.failed = true;
      c.label(step<kSteps, "madvise_dontneed.mmap_read_lock">());
      if (th.failed) MM_SAY(c, "the range has a hole: -ENOMEM after the zap");
      return;
    case kMadviseGather:
      m.tlb_flush_pending++;
      th.phase = kMadviseZap;
      c.label(step<kSteps, "madvise_dontneed.tlb_gather_mmu">());
      MM_SAY(c, "tlb_flush_pending=%d", m.tlb_flush_pending);
      return;
    case kMadviseZap:
      return zap_one(c);
    case kMadviseFinish:
      return finish(c);
    default:
      m.readers--;
      c.label(step<kSteps, "madvise_dontneed.mmap_read_unlock">());
      return c.finish_op();
  }
}

}  // namespace

const OpDescriptor kMadviseDontneedOp{.kind = OpKind::MadviseDontneed,
                                      .names = {"madvise_dontneed"},
                                      .fields = {"addr", "pages"},
                                      .steps = step_vector(kSteps),
                                      .step = step_madvise,
                                      .entry_lock = read_lock,
                                      .footprint = madvise_footprint,
                                      .held_references = gathered_references};

}  // namespace mmcheck::vm
