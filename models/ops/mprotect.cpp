// mprotect.
//
// Abstracts: do_mprotect_pkey -> mprotect_fixup (VMA flags, vma_set_page_prot) ->
// change_protection -> change_pte_range, with the pre-6.0 dirty_accountable upgrade and the
// 6.0 can_change_pte_writable() upgrade (64fe24a3e05e, with 76aefad628aa's soft-dirty fix). As
// in 6.0 and 6.1, the upgrade needs a dirty PTE for private pages too; a later kernel dropped
// that for exclusive anonymous pages, which the presets do not model yet.
//
// Steps and locks:
//   mprotect.mmap_write_lock   mmap_lock write; the new VMA flags
//   mprotect.pte               mmap_lock write + PTL, one per present PTE: pte_modify (keeps
//                              dirty, soft_dirty, uffd_wp), then maybe the write bit
//   mprotect.flush_tlb_range   if a PTE changed
//   mprotect.mmap_write_unlock
// tlb_flush_pending is not modelled here: under mmap_lock write no fault or GUP can read it.
#include "models/ops/context.hpp"
#include "models/ops/phases.hpp"
#include "models/ops/walk.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// can_change_pte_writable() (6.0, mm/mprotect.c).
bool can_change_pte_writable(Ctx& c, int page, const Pte& pte) {
  const VmaPage& vma = c.m().vma[page];
  if (!vma.write || pte.protnone || !pte.dirty) return false;
  if (!vma.soft_dirty && !pte.soft_dirty) return false;  // soft-dirty tracking wants the fault
  if (vma.uffd_wp && pte.uffd_wp) return false;
  if (is_private(c.sc, page)) return c.s.frames[pte.pfn].anon_exclusive;
  return true;
}

void modify_one(Ctx& c) {
  ThreadState& th = c.th();
  int end = c.op.page + c.op.pages;
  int page = next_present(c.m(), th.index, end);
  if (page < 0) {
    th.index = 0;
    if (th.changed) {
      for (int p = c.op.page; p < end; ++p) flush_page(c, c.mm, p);
      th.changed = false;
      th.phase = kMprotectUnlock;
      c.label(step<"mprotect.flush_tlb_range">());
      MM_SAY(c, "flush_tlb_range %s..+%d", c.page_name(c.op.page).c_str(), c.op.pages);
      return;
    }
    th.phase = kMprotectUnlock;
    return step_mprotect(c);
  }
  th.index = static_cast<std::uint8_t>(page + 1);
  Pte& pte = c.m().pte[page];
  Pte before = pte;
  const VmaPage& vma = c.m().vma[page];
  pte.protnone = !vma.read;
  pte.write = vm_page_prot_writable(c.sc, c.policy, page, vma);
  const char* why = "";
  if (!pte.write && c.policy.mprotect_dirty_accountable &&
      wants_writenotify(c.sc, c.policy, page, vma) && pte.dirty &&
      (pte.soft_dirty || !vma.soft_dirty)) {
    pte.write = true;  // "Avoid taking write faults for known dirty pages" (<= 5.19)
    why = " (dirty_accountable)";
  }
  // MM_CP_TRY_CHANGE_WRITABLE: private VM_WRITE VMAs, or shared ones that want write-notify.
  bool try_writable =
      is_private(c.sc, page) ? vma.write : wants_writenotify(c.sc, c.policy, page, vma);
  if (!pte.write && c.policy.mprotect_try_writable && try_writable &&
      can_change_pte_writable(c, page, pte)) {
    pte.write = true;
    why = " (can_change_pte_writable)";
  }
  if (!(pte == before)) th.changed = true;
  c.label(step<"mprotect.pte">());
  MM_SAY(c, "PTE %s:%s W%d->W%d%s%s", c.mm_name(c.mm).c_str(), c.page_name(page).c_str(),
         before.write, pte.write, pte.protnone ? " PROT_NONE" : "", why);
}

}  // namespace

void step_mprotect(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  switch (th.phase) {
    case kMprotectLock:
      m.writer = true;
      for (int p = c.op.page; p < c.op.page + c.op.pages; ++p) {
        m.vma[p].read = c.op.prot != Prot::None;
        m.vma[p].write = c.op.prot == Prot::ReadWrite;
      }
      th.phase = kMprotectPte;
      c.label(step<"mprotect.mmap_write_lock">());
      MM_SAY(c, "mmap_lock write; VMA %s..+%d now %s", c.page_name(c.op.page).c_str(), c.op.pages,
             c.op.prot == Prot::None
                 ? "PROT_NONE"
                 : (c.op.prot == Prot::Read ? "PROT_READ" : "PROT_READ|PROT_WRITE"));
      return;
    case kMprotectPte:
      return modify_one(c);
    case kMprotectUnlock:
      m.writer = false;
      c.label(step<"mprotect.mmap_write_unlock">());
      MM_SAY(c, "mprotect done");
      return c.finish_op();
    default:
      MM_ASSERT(false, "unknown mprotect phase");
  }
}

}  // namespace mmcheck::vm
