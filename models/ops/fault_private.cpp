// The fault paths of private mappings: do_wp_page's reuse-or-copy decision for an anonymous
// page, and the none-PTE faults of a MAP_PRIVATE view of a shmem file.
//
// Abstracts: do_wp_page's reuse test (reuse_swap_page, page_count, PageAnonExclusive);
// do_read_fault / do_cow_fault (mm/memory.c) for a VMA without VM_SHARED: __do_fault ->
// shmem_fault finds (or allocates) the page in the page cache; a load maps it with
// vm_page_prot, which has no write bit in a private mapping (finish_fault -> do_set_pte), so
// the first store takes do_wp_page, which copies it (it is not PageAnon); a store on a none PTE
// copies it into a new anonymous page at once (do_cow_fault: anon_vma_prepare, copy_user_highpage,
// finish_fault maps the copy writable and dirty). The page-cache page is never written through
// the private mapping.
//
// Steps and locks (each the PTL step of a fault, under mmap_lock read or the VMA lock):
//   do_read_fault.map    the page-cache page, read-only
//   do_cow_fault.copy    a new anonymous page holding the page-cache page's data, W1 D1. The
//                        kernel copies before it takes the PTL; here the copy and the install
//                        are one step, which gives the same outcomes: a store through another
//                        view between the two is either in the copy or after the install.
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<2> kSteps = {"do_read_fault.map", "do_cow_fault.copy"};

// Drops the transient LRU-pagevec references on a frame (lru_add_drain, d4c470970d45).
void drain_lru(Ctx& c, int pfn) {
  for (int h = 0; h < c.model.shape().handles; ++h) {
    Handle& hd = c.s.handles[h];
    if (hd.active && hd.kind == HandleKind::Extra && hd.lru && hd.pfn == pfn) {
      hd = Handle{};  // a free handle is all zero, as the encoding assumes
      put_frame(c.s, pfn);
      MM_SAY(c, "lru_add_drain drops the pagevec reference, ");
    }
  }
}

}  // namespace

bool may_reuse(Ctx& c, int pfn) {
  Frame& f = c.s.frames[pfn];
  switch (c.policy.cow_reuse) {
    case CowReuse::Mapcount:  // <= 5.8: reuse_swap_page(), extra references ignored
      return f.mapcount <= 1;
    case CowReuse::Refcount:  // 09854ba94c6a: reuse only the sole reference
      if (c.policy.cow_drain_lru && f.refcount <= 3) drain_lru(c, pfn);
      return f.refcount == 1 && f.mapcount == 1;
    case CowReuse::AnonExclusive:  // 5.19: PageAnonExclusive, else prove refcount == 1
      if (f.anon_exclusive) return true;
      if (f.refcount > 3) return false;
      if (c.policy.cow_drain_lru) drain_lru(c, pfn);
      if (f.refcount != 1) return false;
      f.anon_exclusive = true;  // page_move_anon_rmap()
      MM_SAY(c, "refcount 1: marked exclusive, ");
      return true;
  }
  return false;
}

void fault_private_none_pte(Ctx& c, int page, bool store) {
  Pte& pte = c.m().pte[page];
  int cached = cache_frame(c, page);
  pte = Pte{};
  pte.present = true;
  if (!store) {
    Frame& f = c.s.frames[cached];
    f.refcount++;
    f.mapcount++;
    pte.pfn = static_cast<std::uint8_t>(cached);
    c.label(step<kSteps, "do_read_fault.map">());
    MM_SAY(c, "map page-cache frame %d read-only (private mapping)", cached);
    return;
  }
  std::uint8_t pfn = alloc_frame(c);
  Frame& f = c.s.frames[pfn];
  f.refcount = 1;
  f.mapcount = 1;
  f.anon_exclusive = true;
  f.content = c.s.frames[cached].content;
  pte.pfn = pfn;
  pte.write = true;
  pte.dirty = true;
  pte.soft_dirty = true;  // x86 pte_mkdirty() sets _PAGE_SOFT_DIRTY too
  note_anon_vma(c, page);
  c.label(step<kSteps, "do_cow_fault.copy">());
  MM_SAY(c, "copy page-cache frame %d into new frame %d W1 D1", cached, pfn);
}

std::vector<std::string> private_fault_steps() { return step_vector(kSteps); }

}  // namespace mmcheck::vm
