// uffdio_copy: UFFDIO_COPY, the monitor populating a missing page.
//
// Abstracts: userfaultfd_copy -> mfill_atomic (mcopy_atomic before 6.5) under mmap_lock read
// (the VMA lock from 6.9: not modelled, the read lock excludes the same writers here) ->
// mfill_atomic_pte_copy / shmem_mfill_atomic_pte -> mfill_atomic_install_pte (mm/userfaultfd.c):
// under the PTL, -EEXIST unless the PTE is none; the new page holds the copied data; the PTE is
//   _dst_pte = mk_pte(page, dst_vma->vm_page_prot); _dst_pte = pte_mkdirty(_dst_pte);
//   if (page_in_cache && !vm_shared) writable = false;
//   if (flags & MFILL_ATOMIC_WP) _dst_pte = pte_mkuffd_wp(_dst_pte);   // write-protects too
//   if (writable) _dst_pte = pte_mkwrite(_dst_pte);
// (5.19-6.2 end with "else _dst_pte = pte_wrprotect(_dst_pte)", 8ee79edff6d3 to f1eb1bacfba9,
// a no-op on x86 [P mfill_wrprotect]);
// dirty (and so soft-dirty: x86 pte_mkdirty() sets both) on every release modelled from 5.16
// (9ae0f87d009c made it unconditional; 5.4-5.12's "if (writable || !page_in_cache)" leaves a
// read-only shmem PTE clean) [P uffdio_copy_mkdirty]. The copy wakes the faulting thread.
//
// Steps and locks:
//   uffdio_copy.mmap_read_lock
//   uffdio_copy.install        mmap_lock read + PTL: the page and the PTE, or -EEXIST, or
//                              -ENOENT when no VMA registered with a userfaultfd holds the page
//                              (validate_dst_vma(): "Check the vma is registered in uffd")
//   uffdio_copy.mmap_read_unlock
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// Its phases.
inline constexpr std::uint8_t kCopyLock = 0;
inline constexpr std::uint8_t kCopyInstall = 1;
inline constexpr std::uint8_t kCopyUnlock = 2;

// The kernel step names this file takes.
constexpr StepList<5> kSteps = {"uffdio_copy.mmap_read_lock", "uffdio_copy.install",
                                "uffdio_copy.eexist", "uffdio_copy.enoent",
                                "uffdio_copy.mmap_read_unlock"};

// The new page: an anonymous page, or shmem's page-cache page (the cache's reference and the
// mapping's), holding the copied data.
std::uint8_t new_page(Ctx& c, int page) {
  std::uint8_t pfn = alloc_frame(c);
  Frame& f = c.s.frames[pfn];
  bool shmem = c.sc.region_of(page).shmem;
  f.refcount = shmem ? 2 : 1;
  f.mapcount = 1;
  f.anon_exclusive = !shmem;
  f.shmem = shmem;
  f.dirty = shmem;  // shmem_mfill_atomic_pte marks the page dirty
  f.content[c.op.word] = c.op.value;
  if (shmem) c.s.page_cache[page] = static_cast<std::uint8_t>(pfn + 1);
  return pfn;
}

}  // namespace

void step_mfill(Ctx& c, void (*install)(Ctx&), std::uint32_t lock_label,
                std::uint32_t unlock_label) {
  ThreadState& th = c.th();
  switch (th.phase) {
    case kCopyLock:
      c.m().readers++;
      th.phase = kCopyInstall;
      c.label(lock_label);
      return;
    case kCopyInstall:
      install(c);
      th.phase = kCopyUnlock;
      return;
    default:
      c.m().readers--;
      c.label(unlock_label);
      c.finish_op();
      return;
  }
}

bool mfill_dst_registered(Ctx& c, int page) {
  const VmaPage& vma = c.m().vma[page];
  bool registered =
      vma.mapped && (vma.uffd_wp || vma.uffd_missing || (c.m().uffd_minor & (1u << page)) != 0);
  if (!registered) {
    c.th().failed = true;
    MM_SAY(c, "%s:%s is in no VMA registered with a userfaultfd: -ENOENT", c.mm_name(c.mm).c_str(),
           c.page_name(page).c_str());
  }
  return registered;
}

Pte mfill_install_pte(Ctx& c, int page, int pfn, bool page_in_cache) {
  const VmaPage& vma = c.m().vma[page];
  // VM_WRITE, not MODE_WP, and "if (page_in_cache && !vm_shared) writable = false": a
  // page-cache page in a private mapping (UFFDIO_CONTINUE into a private shmem view).
  bool writable = vma.write && !c.op.wp && !(page_in_cache && is_private(c.sc, page));
  Pte fresh{};
  fresh.present = true;
  fresh.pfn = static_cast<std::uint8_t>(pfn);
  fresh.write = writable;
  fresh.dirty = c.policy.uffdio_copy_mkdirty || writable || !page_in_cache;
  fresh.soft_dirty = fresh.dirty;
  fresh.uffd_wp = c.op.wp;
  // [P pte_dirty_implies_write] sparc64's pte_mkdirty() also set the hardware write bit. The
  // PTE stays writable unless the release then wrprotects it: 5.19-6.2's "else
  // _dst_pte = pte_wrprotect(_dst_pte)" [P mfill_wrprotect]. MODE_WP never meets it (no
  // architecture with that pte_mkdirty() has uffd-wp).
  if (c.policy.pte_dirty_implies_write && fresh.dirty && !c.op.wp &&
      !(c.policy.mfill_wrprotect && !writable))
    fresh.write = true;
  // Ghost: an install with MODE_WP leaves the page protected, as a completed protect does.
  if (c.op.wp && c.model.ghost().wp) c.m().wp_protected |= static_cast<std::uint16_t>(1u << page);
  // A copy without MODE_WP over a uffd-wp marker (pte_none_mostly(): the monitor populates the
  // page unprotected, 2bad466cc9d9) ends the protection.
  if (!c.op.wp && c.m().pte[page].marker)
    c.m().wp_protected &= static_cast<std::uint16_t>(~(1u << page));
  return fresh;
}

namespace {

void install(Ctx& c) {
  int page = c.op.page;
  Mm& m = c.m();
  Pte& pte = m.pte[page];
  bool shmem = c.sc.region_of(page).shmem;
  if (!mfill_dst_registered(c, page)) {
    c.label(step<kSteps, "uffdio_copy.enoent">());
    return;
  }
  if (pte.present || pte.migration || (shmem && c.s.page_cache[page] != 0)) {
    c.th().failed = true;
    c.label(step<kSteps, "uffdio_copy.eexist">());
    MM_SAY(c, "%s:%s is populated: -EEXIST", c.mm_name(c.mm).c_str(), c.page_name(page).c_str());
    return;
  }
  std::uint8_t pfn = new_page(c, page);
  // The monitor's data reaches the page: a store for the invariants, by the copying thread.
  c.observe({.event = Event::Store,
             .thread = c.thread,
             .mm = c.mm,
             .page = page,
             .word = c.op.word,
             .value = c.op.value,
             .pfn = pfn});
  tracked_store(c, c.mm, page, c.op.word, c.op.value, pfn, false);
  pte = mfill_install_pte(c, page, pfn, shmem);
  if (!shmem) note_anon_vma(c, page);
  c.label(step<kSteps, "uffdio_copy.install">());
  MM_SAY(c, "frame %d with %d: PTE %s", pfn, c.op.value, pte_text(pte).c_str());
}

void step_uffdio_copy(Ctx& c) {
  step_mfill(c, install, step<kSteps, "uffdio_copy.mmap_read_lock">(),
             step<kSteps, "uffdio_copy.mmap_read_unlock">());
}

void copy_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  f.read = lock_writer(x.mm) | vma(x.mm) | x.range | kFrames | kHandles | x.ghost;
  f.write = x.range | kFrames | x.ghost | vma(x.mm);
  f.inc = lock_readers(x.mm);
  // none -> present: every CPU's entry for the page was empty, so TLB-clean is kept.
}

std::optional<std::string> copy_unsupported(const Scenario& sc, const Policy& policy,
                                            const Op& op) {
  if (sc.region_of(op.page).page_mkwrite)
    return std::string("UFFDIO_COPY into a regular file mapping exists on no kernel");
  if (op.wp) return uffd_wp_unsupported(sc, policy, op.page, 1);
  return std::nullopt;
}

}  // namespace

const OpDescriptor kUffdioCopyOp{.kind = OpKind::UffdioCopy,
                                 .names = {"uffdio_copy"},
                                 .fields = {"addr", "word", "value", "wp"},
                                 .steps = step_vector(kSteps),
                                 .step = step_uffdio_copy,
                                 .entry_lock = read_lock,
                                 .footprint = copy_footprint,
                                 .unsupported = copy_unsupported,
                                 .stores = true};

}  // namespace mmcheck::vm
