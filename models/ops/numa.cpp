// NUMA hinting: the scanner that makes PTEs protnone, and the hinting fault that maps them again.
//
// Abstracts: task_numa_work (kernel/sched/fair.c) -> change_prot_numa -> change_protection ->
// change_pte_range(MM_CP_PROT_NUMA) (mm/mempolicy.c, mm/mprotect.c), and do_numa_page
// (mm/memory.c) when it does not migrate the page.
//
// A protnone PTE is present to software (pte_present(), so the walks of clear_refs, fork,
// mprotect and UFFDIO_WRITEPROTECT visit it) and not present to the MMU: it never fills a TLB
// entry and every access to it faults. handle_pte_fault() sends the fault on a protnone PTE of an
// accessible VMA to do_numa_page() before any write-protect handling; GUP does the same
// (FOLL_NUMA up to 6.4, FOLL_HONOR_NUMA_FAULT after: never for a pin or a get without
// FOLL_FORCE). The scan's TLB flush is deferred like any change_protection's: an entry filled
// before it stays usable until the flush, the window the migration races need.
//
// Steps and locks:
//   numa_scan.mmap_read_lock            mmap_lock read (task_numa_work's mmap_read_trylock: a
//                                       scan that would fail now runs at a later tick, which
//                                       the search explores by running it later)
//   numa_scan.inc_tlb_flush_pending     tlb_gather_mmu (5.19+) or inc_tlb_flush_pending
//   numa_scan.pte                       mmap_lock read + PTL, one per PTE it makes protnone.
//                                       It skips, with no step: PTEs not present or already
//                                       protnone, the zero page, a dirty page of a file
//                                       mapping, and in a COW mapping a page that may be
//                                       shared [P numa_skip_shared]. pte_modify(PAGE_NONE)
//                                       keeps the frame, dirty, soft-dirty and uffd-wp; the
//                                       write bit is kept as "savedwrite" up to 6.1 (x86's
//                                       pte_mk_savedwrite is pte_mkwrite) and dropped from 6.2
//                                       [P numa_restore_write]
//   numa_scan.flush_tlb_range           as mprotect's and UFFDIO_WRITEPROTECT's
//                                       [P change_prot_flush]; no step when nothing is flushed
//   numa_scan.dec_tlb_flush_pending     tlb_finish_mmu (the whole mm when nested)
//   numa_scan.mmap_read_unlock
//   do_numa_page.restore                (a step of the faulting access, under its fault lock
//                                       and the PTL) pte_modify(vm_page_prot), and the write bit
//                                       [P numa_restore_write]: up to 6.1 the savedwrite bit;
//                                       from 6a56ccbcf6c6 (6.2) can_change_pte_writable() when
//                                       vma_wants_manual_pte_write_upgrade(). The access then
//                                       retries
//   do_numa_page.migrate                for a page of a region marked "misplaced" (the scenario
//                                       says where the page sits): numa_migrate_prep()'s
//                                       reference, the PTL dropped, then migrate_misplaced_folio()
//                                       under the fault lock: the rmap steps of models/ops/
//                                       migrate.cpp (migrate.unmap .. migrate.done); the access
//                                       then retries (the PTE is no longer the protnone one)
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/ops/walk.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<8> kSteps = {"numa_scan.mmap_read_lock",
                                "numa_scan.inc_tlb_flush_pending",
                                "numa_scan.pte",
                                "numa_scan.flush_tlb_range",
                                "numa_scan.dec_tlb_flush_pending",
                                "numa_scan.mmap_read_unlock",
                                "do_numa_page.restore",
                                "do_numa_page.migrate"};

// Why change_pte_range(MM_CP_PROT_NUMA) leaves the present PTE at `page` alone, or nullptr.
const char* numa_skip(const Ctx& c, int page) {
  const Pte& pte = c.s.mm[c.mm].pte[page];
  // change_pte_range() makes a writable migration entry readable for every caller.
  if (pte.migration) return pte.write ? nullptr : "a readable migration entry";
  if (pte.protnone) return "already protnone";  // "Avoid TLB flush if possible"
  const Frame& f = c.s.frames[pte.pfn];
  if (f.zero) return "the zero page";  // vm_normal_page() is NULL
  // "Also skip shared copy-on-write pages": is_cow_mapping() is every private mapping here.
  if (is_private(c.sc, page)) {
    switch (c.policy.numa_skip_shared) {
      case NumaSkipShared::Mapcount:  // 859d4adc3415: page_mapcount(page) != 1
        if (f.mapcount != 1) return "a COW page mapped more than once";
        break;
      case NumaSkipShared::Refcount:  // 80d47f5de5e3: page_count(page) != 1
        if (f.refcount != 1) return "a COW page with other references";
        break;
      case NumaSkipShared::PinnedOrShared:  // d2136d749d76
        if (f.pincount > 0 || f.mapcount > 1) return "a COW page maybe pinned or shared";
        break;
    }
  }
  // "While migration can move some dirty pages, it cannot move them all from MIGRATE_ASYNC
  // context": page_is_file_lru() && PageDirty() (shmem is swap-backed, never file LRU).
  if (c.sc.region_of(page).page_mkwrite && f.dirty) return "a dirty file page";
  return nullptr;
}

void scan_lock(Ctx& c) { c.mmap_read_lock(step<kSteps, "numa_scan.mmap_read_lock">(), kNumaInc); }

// One PTL step: the next PTE of the range the scan makes protnone; past the last one, the flush.
void scan_pte(Ctx& c) {
  ThreadState& th = c.th();
  int end = c.op.page + c.op.pages;
  int page = next_walked(c.m(), walk_from(th, c.op.page), end);
  while (page >= 0 && numa_skip(c, page) != nullptr) page = next_walked(c.m(), page + 1, end);
  if (page < 0) {
    std::uint32_t range = ((1u << c.op.pages) - 1) << c.op.page;
    bool flushed = end_change_prot_walk(c, range, c.m().tlb_flush_pending > 1);
    th.phase = kNumaDec;
    if (!flushed) return step_numa_scan(c);  // nothing to flush: no flush step
    c.label(step<kSteps, "numa_scan.flush_tlb_range">());
    return;
  }
  th.index = static_cast<std::uint8_t>(page + 1);
  Pte& pte = c.m().pte[page];
  Pte before = pte;
  if (pte.migration) {
    pte.write = false;
    c.label(step<kSteps, "numa_scan.pte">());
    MM_SAY(c, "migration entry %s:%s W1->W0", c.mm_name(c.mm).c_str(), c.page_name(page).c_str());
    return;
  }
  pte.protnone = true;
  // change_pte_range(): preserve_write = prot_numa && pte_write(oldpte), then
  // pte_mk_savedwrite() (<= 6.1); 6a56ccbcf6c6 removed both.
  if (c.policy.numa_restore_write != NumaRestoreWrite::SavedWrite) pte.write = false;
  if (change_pte_asks_flush(c.policy, before, pte)) ask_flush(th, page);
  c.label(step<kSteps, "numa_scan.pte">());
  MM_SAY(c, "PTE %s:%s -> protnone (W%d), flush deferred, tlb_flush_pending=%d",
         c.mm_name(c.mm).c_str(), c.page_name(page).c_str(), pte.write, c.m().tlb_flush_pending);
}

}  // namespace

void step_numa_scan(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  switch (th.phase) {
    case kNumaLock:
      return scan_lock(c);
    case kNumaInc:
      m.tlb_flush_pending++;
      th.phase = kNumaPte;
      c.label(step<kSteps, "numa_scan.inc_tlb_flush_pending">());
      MM_SAY(c, "tlb_flush_pending=%d", m.tlb_flush_pending);
      return;
    case kNumaPte:
      return scan_pte(c);
    case kNumaDec:
      m.tlb_flush_pending--;
      th.phase = kNumaUnlock;
      c.label(step<kSteps, "numa_scan.dec_tlb_flush_pending">());
      MM_SAY(c, "tlb_flush_pending=%d", m.tlb_flush_pending);
      return;
    case kNumaUnlock:
      m.readers--;
      c.label(step<kSteps, "numa_scan.mmap_read_unlock">());
      MM_SAY(c, "scan done");
      return c.finish_op();
    default:
      MM_ASSERT(false, "unknown numa_scan phase");
  }
}

bool do_numa_page(Ctx& c, int page) {
  Pte& pte = c.m().pte[page];
  // numa_migrate_prep() picked another node: take a reference, drop the PTL, migrate (the
  // zero page has no struct page to migrate: vm_normal_page() is NULL, so it is mapped again).
  if (c.sc.region_of(page).misplaced && !c.s.frames[pte.pfn].zero) {
    ThreadState& th = c.th();
    th.old_pfn = pte.pfn;
    c.s.frames[pte.pfn].refcount++;
    th.phase = kFaultNumaUnmap;
    c.label(step<kSteps, "do_numa_page.migrate">());
    MM_SAY(c, "hinting fault: frame %d is misplaced, migrate it (refcount %d)", pte.pfn,
           c.s.frames[pte.pfn].refcount);
    return false;
  }
  const VmaPage& vma = c.m().vma[page];
  Pte before = pte;
  Pte restored = pte;
  restored.protnone = false;
  restored.write = vm_page_prot_writable(c.sc, c.policy, page, vma);  // pte_modify(vm_page_prot)
  const char* why = restored.write ? " (vm_page_prot)" : "";
  if (!restored.write) {
    if (c.policy.numa_restore_write == NumaRestoreWrite::SavedWrite) {
      restored.write = before.write;  // if (was_writable) pte = pte_mkwrite(pte)
      if (restored.write) why = " (savedwrite)";
    } else if (wants_manual_write_upgrade(c.sc, c.policy, page, vma) &&
               can_change_pte_writable(c, page, restored)) {
      restored.write = true;
      why = " (can_change_pte_writable)";
    }
  }
  pte = restored;
  c.label(step<kSteps, "do_numa_page.restore">());
  MM_SAY(c, "hinting fault: PTE %s:%s protnone -> frame %d W%d%s", c.mm_name(c.mm).c_str(),
         c.page_name(page).c_str(), pte.pfn, pte.write, why);
  return true;
}

namespace {

void numa_scan_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  // The skip test reads the frames' counts and flags; the PTE changes demote and flush later.
  f.read = lock_writer(x.mm) | vma(x.mm) | x.range | kFrames;
  f.write = x.range | x.cpus;
  f.inc = lock_readers(x.mm) | pending(x.mm);
  f.tlb_dirtying = x.range;
}

std::optional<LocalStep> numa_scan_local_step(const LocalScope& x) {
  LocalStep out;
  Footprint& f = out.footprint;
  if (x.phase == kNumaLock || x.phase == kNumaUnlock) {
    f.read = x.phase == kNumaLock ? res::lock_writer(x.mm) : 0;
    f.inc = res::lock_readers(x.mm);
    return out;
  }
  if (x.phase == kNumaInc || x.phase == kNumaDec) {
    f.inc = res::pending(x.mm);
    out.moves_pending = true;
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> numa_fault_steps() { return step_vector(kSteps, "do_numa_page"); }

const OpDescriptor kNumaScanOp{.kind = OpKind::NumaScan,
                               .names = {"numa_scan"},
                               .fields = {"addr", "pages"},
                               .steps = step_vector(kSteps, "numa_scan"),
                               .step = step_numa_scan,
                               .entry_lock = read_lock,
                               .footprint = numa_scan_footprint,
                               .local_step = numa_scan_local_step};

}  // namespace mmcheck::vm
