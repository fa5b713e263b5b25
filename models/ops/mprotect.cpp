// mprotect.
//
// Abstracts: do_mprotect_pkey -> mprotect_fixup (VMA flags, vma_set_page_prot) ->
// change_protection -> change_pte_range, with the pre-6.0 dirty_accountable upgrade, the 6.0
// can_change_pte_writable() upgrade (64fe24a3e05e, with 76aefad628aa's soft-dirty fix) and the
// 6.2 one for clean exclusive anonymous pages [P mprotect_try_writable].
//
// Steps and locks:
//   mprotect.mmap_write_lock   mmap_lock write; the new VMA flags. mprotect_fixup() returns early
//                              for a VMA whose flags do not change: its pages are not walked
//   mprotect.pte               mmap_lock write + PTL, one per present PTE of a changed VMA:
//                              pte_modify (keeps dirty, soft_dirty, uffd_wp), then maybe the
//                              write bit
//   mprotect.flush_tlb_range   [P change_prot_flush]; no step when nothing is flushed
//   mprotect.mmap_write_unlock
// tlb_flush_pending (tlb_gather_mmu, 5.19+) is not modelled here: under mmap_lock write no fault,
// GUP or other change_protection can read it, so it is never nested either.
//
// The write upgrades read the VMA's *old* vm_page_prot: mprotect_fixup() sets vm_flags, computes
// dirty_accountable (<= 5.19) or MM_CP_TRY_CHANGE_WRITABLE (6.0+) with
// vma_wants_writenotify(vma, vma->vm_page_prot), and only then calls vma_set_page_prot(). For a
// shared mapping without page_mkwrite, vma_wants_writenotify() compares that old pgprot with
// vm_pgprot_modify(old, newflags); x86 takes RW, USER and NX from the new flags, so the two
// differ whenever the protection changed, and it returns 0 before looking at soft-dirty or
// uffd-wp (kernel Bugzilla 117731 describes the effect). mprotect only gets here when the flags
// changed, so for shmem neither upgrade ever fires; the private path (newflags & VM_WRITE) is not
// affected.
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/ops/walk.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<4> kSteps = {"mprotect.mmap_write_lock", "mprotect.pte",
                                "mprotect.flush_tlb_range", "mprotect.mmap_write_unlock"};

// vma_wants_writenotify(vma, old vm_page_prot) as mprotect_fixup() calls it on a VMA whose flags
// change: 1 for a file with page_mkwrite (tested before the protections), 0 for shmem (see the
// header comment).
bool writenotify_with_old_prot(const Scenario& sc, int page) {
  return sc.region_of(page).page_mkwrite;
}

// The write bit change_pte_range() leaves on a PTE after pte_modify().
const char* upgrade(Ctx& c, int page, Pte& pte) {
  const VmaPage& vma = c.m().vma[page];
  bool private_page = is_private(c.sc, page);
  bool writenotify = !private_page && vma.write && writenotify_with_old_prot(c.sc, page);
  // <= 5.19: "Avoid taking write faults for known dirty pages" (the soft-dirty test as the
  // kernel wrote it: pte_soft_dirty(ptent) || !(vma->vm_flags & VM_SOFTDIRTY)).
  if (!pte.write && c.policy.mprotect_dirty_accountable && writenotify && pte.dirty &&
      (pte.soft_dirty || !vma.soft_dirty)) {
    pte.write = true;
    return " (dirty_accountable)";
  }
  // MM_CP_TRY_CHANGE_WRITABLE: private VM_WRITE VMAs, or shared ones that want write-notify.
  bool try_writable = private_page ? vma.write : writenotify;
  if (!pte.write && c.policy.mprotect_try_writable != TryWritable::Off && try_writable &&
      can_change_pte_writable(c, page, pte)) {
    pte.write = true;
    return " (can_change_pte_writable)";
  }
  return "";
}

void modify_one(Ctx& c) {
  ThreadState& th = c.th();
  int end = c.op.page + c.op.pages;
  int page = next_walked(c.m(), walk_from(th, c.op.page), end);
  while (page >= 0 && !in_walk_mask(th, page)) page = next_walked(c.m(), page + 1, end);
  if (page < 0) {
    bool flushed = end_change_prot_walk(c, walk_mask(th), false);
    th.phase = kMprotectUnlock;
    if (!flushed) return step_mprotect(c);  // nothing to flush: no flush step
    c.label(step<kSteps, "mprotect.flush_tlb_range">());
    return;
  }
  th.index = static_cast<std::uint8_t>(page + 1);
  Pte& pte = c.m().pte[page];
  Pte before = pte;
  if (pte.migration) {  // a writable migration entry becomes readable, whatever the protection
    pte.write = false;
    c.label(step<kSteps, "mprotect.pte">());
    MM_SAY(c, "migration entry %s:%s W%d->W0", c.mm_name(c.mm).c_str(), c.page_name(page).c_str(),
           before.write);
    return;
  }
  const VmaPage& vma = c.m().vma[page];
  pte.protnone = !vma.read;
  pte.write = vm_page_prot_writable(c.sc, c.policy, page, vma);
  const char* why = upgrade(c, page, pte);
  if (change_pte_asks_flush(c.policy, before, pte)) ask_flush(th, page);
  c.label(step<kSteps, "mprotect.pte">());
  MM_SAY(c, "PTE %s:%s W%d->W%d%s%s", c.mm_name(c.mm).c_str(), c.page_name(page).c_str(),
         before.write, pte.write, pte.protnone ? " PROT_NONE" : "", why);
}

}  // namespace

void step_mprotect(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  switch (th.phase) {
    case kMprotectLock: {
      m.writer = true;
      int changed = 0;
      for (int p = c.op.page; p < c.op.page + c.op.pages; ++p) {
        // do_mprotect_pkey(): a hole in the range is -ENOMEM; the VMAs before it keep their new
        // protection (found by `mmcheck oracle`: an mprotect after munmap succeeded here).
        if (!m.vma[p].mapped) {
          th.failed = true;
          break;
        }
        VmaPage next = m.vma[p];
        next.read = c.op.prot != Prot::None;
        next.write = c.op.prot == Prot::ReadWrite;
        if (next == m.vma[p]) continue;  // mprotect_fixup: newflags == oldflags, nothing to do
        m.vma[p] = next;
        th.masks |= 1u << p;
        changed++;
      }
      th.phase = kMprotectPte;
      c.label(step<kSteps, "mprotect.mmap_write_lock">());
      MM_SAY(c, "mmap_lock write; VMA %s..+%d now %s%s", c.page_name(c.op.page).c_str(), c.op.pages,
             c.op.prot == Prot::None
                 ? "PROT_NONE"
                 : (c.op.prot == Prot::Read ? "PROT_READ" : "PROT_READ|PROT_WRITE"),
             th.failed      ? " up to a hole: -ENOMEM"
             : changed == 0 ? " (unchanged: nothing to do)"
                            : "");
      return;
    }
    case kMprotectPte:
      return modify_one(c);
    case kMprotectUnlock:
      m.writer = false;
      c.label(step<kSteps, "mprotect.mmap_write_unlock">());
      MM_SAY(c, "mprotect done");
      return c.finish_op();
    default:
      MM_ASSERT(false, "unknown mprotect phase");
  }
}

const OpDescriptor kMprotectOp{.kind = OpKind::Mprotect,
                               .names = {"mprotect"},
                               .fields = {"addr", "pages", "prot"},
                               .steps = step_vector(kSteps),
                               .step = step_mprotect,
                               .entry_lock = write_lock,
                               .footprint = exclusive_footprint,
                               .vma_write_locks = range_vmas};
}  // namespace mmcheck::vm
