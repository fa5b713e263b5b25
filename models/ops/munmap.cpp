// munmap and exit.
//
// Abstracts: __do_munmap -> unmap_region -> zap_page_range (zap_pte_range under one PTL per
// page table; mmu_gather defers the page frees until after the TLB flush), and exit_mmap.
//
// Steps and locks:
//   munmap.mmap_write_lock    mmap_lock write; the VMA pages go away
//   munmap.zap                mmap_lock write + PTL: clear the PTEs, mapcount--, pages gathered
//   munmap.flush_and_free     flush the range, then drop the gathered references
//   munmap.mmap_write_unlock
// `exit` is munmap of every page of the process.
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<4> kSteps = {"munmap.mmap_write_lock", "munmap.zap", "munmap.flush_and_free",
                                "munmap.mmap_write_unlock"};

int range_begin(const Ctx& c) { return c.op.kind == OpKind::Exit ? 0 : c.op.page; }
int range_end(const Ctx& c) {
  return c.op.kind == OpKind::Exit ? c.sc.page_count() : c.op.page + c.op.pages;
}

void zap(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  std::string zapped;
  for (int p = range_begin(c); p < range_end(c); ++p) {
    m.vma[p] = VmaPage{};
    m.expect_valid[p] = 0;
    m.expect[p] = {};
    m.wp_protected &= static_cast<std::uint16_t>(~(1u << p));
    m.sd_required &= static_cast<std::uint16_t>(~(1u << p));
    Pte& pte = m.pte[p];
    if (!pte.present) {
      pte = Pte{};  // a uffd-wp marker goes with the VMA
      continue;
    }
    c.s.frames[pte.pfn].mapcount--;
    th.masks |= 1u << pte.pfn;
    if (c.note) zapped += " " + c.page_name(p) + "(frame " + std::to_string(pte.pfn) + ")";
    pte = Pte{};
  }
  th.phase = kMunmapFlush;
  c.label(step<kSteps, "munmap.zap">());
  MM_SAY(c, "PTEs cleared:%s", zapped.empty() ? " none present" : zapped.c_str());
}

}  // namespace

void step_munmap(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  switch (th.phase) {
    case kMunmapLock:
      m.writer = true;
      th.phase = kMunmapZap;
      c.label(step<kSteps, "munmap.mmap_write_lock">());
      MM_SAY(c, "mmap_lock write");
      return;
    case kMunmapZap:
      return zap(c);
    case kMunmapFlush:
      for (int p = range_begin(c); p < range_end(c); ++p) flush_page(c, c.mm, p);
      for (int f = 0; f < kMaxFrames; ++f)
        if (th.masks & (1u << f)) put_frame(c.s, f);
      th.masks = 0;
      th.phase = kMunmapUnlock;
      c.label(step<kSteps, "munmap.flush_and_free">());
      MM_SAY(c, "flush, then the unmapped frames' references dropped");
      return;
    case kMunmapUnlock:
      m.writer = false;
      c.label(step<kSteps, "munmap.mmap_write_unlock">());
      MM_SAY(c, "%s done", c.op.kind == OpKind::Exit ? "exit_mmap" : "munmap");
      return c.finish_op();
    default:
      MM_ASSERT(false, "unknown munmap phase");
  }
}

// An op under mmap_lock write that rewrites PTEs of its mm (uffd_register, mprotect, munmap,
// exit): it excludes every other user of the lock.
void exclusive_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  f.read =
      lock_writer(x.mm) | lock_readers(x.mm) | vma(x.mm) | x.own | kFrames | kHandles | x.ghost;
  f.write = lock_writer(x.mm) | vma(x.mm) | x.own | x.cpus | kFrames | x.ghost;
  f.tlb_dirtying = x.own;
}

// The frames a zap gathered (ThreadState::masks): their mapping references are dropped only
// after the flush (munmap, exit, madvise_dontneed).
void gathered_references(const ThreadState& th, FrameCounts& refs) {
  for (std::uint32_t bits = th.masks; bits != 0; bits &= bits - 1) refs[__builtin_ctz(bits)]++;
}

const OpDescriptor kMunmapOp{.kind = OpKind::Munmap,
                             .names = {"munmap"},
                             .fields = {"addr", "pages"},
                             .steps = step_vector(kSteps),
                             .step = step_munmap,
                             .entry_lock = write_lock,
                             .footprint = exclusive_footprint,
                             .held_references = gathered_references,
                             .vma_write_locks = range_vmas};
const OpDescriptor kExitOp{.kind = OpKind::Exit,
                           .names = {"exit"},
                           .fields = {},
                           .steps = step_vector(kSteps),
                           .step = step_munmap,
                           .entry_lock = write_lock,
                           .footprint = exclusive_footprint,
                           .held_references = gathered_references,
                           .vma_write_locks = every_vma};
}  // namespace mmcheck::vm
