// fork.
//
// Abstracts: dup_mmap -> copy_page_range -> copy_pte_range -> copy_present_pte /
// copy_present_page (kernel/fork.c, mm/memory.c), with 70e806e4e645's early COW of pinned
// pages and the 5.19 page_try_dup_anon_rmap() (PageAnonExclusive cleared when shared).
//
// Steps and locks:
//   fork.mmap_write_lock    parent mmap_lock write; the child mm is created with the parent's
//                           VMAs, VM_UFFD_WP dropped (no UFFD_FEATURE_EVENT_FORK)
//   fork.share / fork.copy_pinned   parent mmap_lock write + both PTLs, one per present PTE of
//                           a private VMA; shared VMAs' PTEs start none in the child
//   fork.flush_tlb_mm       flush the parent's TLBs
//   fork.return             release; the child's threads become runnable
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/ops/walk.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<5> kSteps = {"fork.mmap_write_lock", "fork.share", "fork.copy_pinned",
                                "fork.flush_tlb_mm", "fork.return"};

int next_private_present(const Ctx& c, int from) {
  for (int p = from; p < c.sc.page_count(); ++p) {
    p = next_walked(c.s.mm[c.mm], p, c.sc.page_count());
    if (p < 0) return -1;
    if (is_private(c.sc, p)) return p;
  }
  return -1;
}

void copy_one(Ctx& c) {
  ThreadState& th = c.th();
  int child = c.op.child;
  int page = next_private_present(c, th.index);
  if (page < 0) {
    th.index = 0;
    flush_mm(c, c.mm);
    th.phase = kForkUnlock;
    c.label(step<kSteps, "fork.flush_tlb_mm">());
    MM_SAY(c, "flush_tlb_mm(%s)", c.mm_name(c.mm).c_str());
    return;
  }
  th.index = static_cast<std::uint8_t>(page + 1);
  Mm& parent = c.m();
  Mm& cm = c.s.mm[child];
  Pte& pte = parent.pte[page];
  Frame& f = c.s.frames[pte.pfn];
  // The child sees the parent's page as it is now (ghost).
  cm.expect[page] = parent.expect[page];
  cm.expect_valid[page] = parent.expect_valid[page];
  if (pte.migration) {
    // copy_nonpresent_pte(): a writable entry becomes readable in both (a COW mapping); the
    // child's copy loses uffd-wp; the migration's rmap walk will find it too.
    pte.write = false;
    Pte entry = pte;
    entry.uffd_wp = false;
    cm.pte[page] = entry;
    c.label(step<kSteps, "fork.share">());
    MM_SAY(c, "migration entry for frame %d copied to %s (readable)", pte.pfn,
           c.mm_name(child).c_str());
    return;
  }
  if (c.policy.fork_copy_pinned && parent.has_pinned && f.pincount > 0) {
    // copy_present_page: the child gets its own copy now; the parent PTE is untouched.
    std::uint8_t pfn = alloc_frame(c);
    Frame& nf = c.s.frames[pfn];
    nf.refcount = 1;
    nf.mapcount = 1;
    nf.anon_exclusive = true;
    nf.content = c.s.frames[pte.pfn].content;
    Pte fresh{};
    fresh.present = true;
    fresh.pfn = pfn;
    fresh.write = cm.vma[page].write;
    fresh.dirty = true;
    fresh.soft_dirty = true;
    cm.pte[page] = fresh;
    c.label(step<kSteps, "fork.copy_pinned">());
    MM_SAY(c, "frame %d is pinned: child %s gets copy frame %d", pte.pfn, c.mm_name(child).c_str(),
           pfn);
    return;
  }
  bool was_write = pte.write;
  pte.write = false;  // ptep_set_wrprotect on a COW mapping
  Pte shared = pte;
  shared.uffd_wp = false;
  cm.pte[page] = shared;
  f.mapcount++;
  f.refcount++;
  // page_try_dup_anon_rmap (5.19) clears PageAnonExclusive. Older kernels have no such flag,
  // and none of their branches reads it; clearing it under every policy keeps a combination
  // such as cow_reuse=refcount with mprotect_try_writable from treating a shared page as
  // exclusive.
  f.anon_exclusive = false;
  c.label(step<kSteps, "fork.share">());
  MM_SAY(c, "frame %d shared R/O with %s (parent W%d->W0, mapcount %d)", pte.pfn,
         c.mm_name(child).c_str(), was_write, f.mapcount);
}

}  // namespace

void step_fork(Ctx& c) {
  ThreadState& th = c.th();
  Mm& parent = c.m();
  int child = c.op.child;
  switch (th.phase) {
    case kForkLock: {
      parent.writer = true;
      Mm& cm = c.s.mm[child];
      MM_ASSERT(!cm.exists, "a process forked twice");
      cm = Mm{};
      cm.exists = true;
      cm.vma = parent.vma;
      // dup_userfaultfd() without UFFD_FEATURE_EVENT_FORK: the child's VMAs lose their
      // context and every VM_UFFD_* flag (the minor and feature bits are the Mm's, not copied).
      for (auto& v : cm.vma) v.uffd_wp = v.uffd_missing = false;
      // Shared pages: the ghost view is common to every mapping of the shmem object.
      for (int p = 0; p < c.sc.page_count(); ++p) {
        if (is_private(c.sc, p)) continue;
        cm.expect[p] = parent.expect[p];
        cm.expect_valid[p] = parent.expect_valid[p];
      }
      th.phase = kForkPte;
      c.label(step<kSteps, "fork.mmap_write_lock">());
      MM_SAY(c, "mmap_lock write; child %s created", c.mm_name(child).c_str());
      return;
    }
    case kForkPte:
      return copy_one(c);
    case kForkUnlock:
      parent.writer = false;
      c.s.mm[child].live = true;
      c.label(step<kSteps, "fork.return">());
      MM_SAY(c, "fork returns: %s runs", c.mm_name(child).c_str());
      return c.finish_op();
    default:
      MM_ASSERT(false, "unknown fork phase");
  }
}

namespace {

// Fork reads and writes everything (both mms, every PTE and TLB, the frames, the ghost).
void fork_footprint(const FootprintScope&, const Op&, Footprint& f) {
  f.read = f.write = res::kEverything;
  f.flush_test = f.tlb_dirtying = res::all_ptes();
}

}  // namespace

// A fork names its child: two threads cannot both fork it, so such threads are never symmetric.
namespace {
// fb49c455323f (6.5): dup_mmap() write-locks each parent VMA before copying it. Modelled as
// all of them at fork's entry: a fault on a VMA fork has not reached yet touches none of the
// PTEs fork copied before, so running it before fork's lock leads to the same states.
std::uint32_t fork_vma_write_locks(const Scenario& sc, const Policy& policy, const Mm&, const Op&) {
  return policy.fork_vma_wrlock ? all_pages(sc) : 0;
}
}  // namespace

const OpDescriptor kForkOp{.kind = OpKind::Fork,
                           .names = {"fork"},
                           .fields = {"child"},
                           .steps = step_vector(kSteps),
                           .step = step_fork,
                           .entry_lock = write_lock,
                           .footprint = fork_footprint,
                           .vma_write_locks = fork_vma_write_locks,
                           .symmetric = false};
}  // namespace mmcheck::vm
