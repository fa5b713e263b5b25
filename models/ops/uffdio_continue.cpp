// uffdio_continue: UFFDIO_CONTINUE, the monitor resolving a minor fault on shmem.
//
// Abstracts: userfaultfd_continue -> mfill_atomic (MFILL_ATOMIC_CONTINUE) under mmap_lock read
// (the VMA lock from 6.9: not modelled, as UFFDIO_COPY's) -> mfill_atomic_pte_continue:
// shmem_get_folio(SGP_NOALLOC) finds the page already in the page cache (-EFAULT when there is
// none), then mfill_atomic_install_pte() maps it, as for UFFDIO_COPY: -EEXIST unless the PTE is
// none or a marker; the write bit from VM_WRITE, never for a private mapping ("page_in_cache &&
// !vm_shared", a MAP_PRIVATE view of the file: mfill_atomic_pte() calls the CONTINUE path before
// it tests VM_SHARED, so a private shmem VMA registered minor gets here too)
// (UFFDIO_CONTINUE_MODE_WP, a later addition, is not modelled); dirty per
// [P uffdio_copy_mkdirty] (before 9ae0f87d009c only a writable PTE of a page-cache page is made
// dirty). The mapping takes a reference and a mapcount on the cache's page. Minor faults waiting
// on the page are woken (the retry is enabled once the PTE is present). Registration for minor
// faults and UFFDIO_CONTINUE on shmem came with c949b097ef2e and 153132571f02 (5.14)
// [P uffd_minor_shmem].
//
// Steps and locks:
//   uffdio_continue.mmap_read_lock
//   uffdio_continue.install      mmap_lock read + PTL: the PTE, or -EEXIST / -EFAULT, or -ENOENT
//                                when no VMA registered with a userfaultfd holds the page
//   uffdio_continue.mmap_read_unlock
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<6> kSteps = {
    "uffdio_continue.mmap_read_lock", "uffdio_continue.install",
    "uffdio_continue.eexist",         "uffdio_continue.efault",
    "uffdio_continue.enoent",         "uffdio_continue.mmap_read_unlock"};

void install(Ctx& c) {
  int page = c.op.page;
  Pte& pte = c.m().pte[page];
  int cached = c.s.page_cache[c.sc.cache_page(page)];
  if (!mfill_dst_registered(c, page)) {
    c.label(step<kSteps, "uffdio_continue.enoent">());
    return;
  }
  if (cached == 0) {
    c.th().failed = true;
    c.label(step<kSteps, "uffdio_continue.efault">());
    MM_SAY(c, "no page in the page cache: -EFAULT");
    return;
  }
  if (pte.present || pte.migration) {
    c.th().failed = true;
    c.label(step<kSteps, "uffdio_continue.eexist">());
    MM_SAY(c, "%s:%s is mapped: -EEXIST", c.mm_name(c.mm).c_str(), c.page_name(page).c_str());
    return;
  }
  int pfn = cached - 1;
  Frame& f = c.s.frames[pfn];
  f.refcount++;
  f.mapcount++;
  pte = mfill_install_pte(c, page, pfn, true);
  c.label(step<kSteps, "uffdio_continue.install">());
  MM_SAY(c, "page-cache frame %d: PTE %s", pfn, pte_text(pte).c_str());
}

void step_uffdio_continue(Ctx& c) {
  step_mfill(c, install, step<kSteps, "uffdio_continue.mmap_read_lock">(),
             step<kSteps, "uffdio_continue.mmap_read_unlock">());
}

void continue_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  f.read = lock_writer(x.mm) | vma(x.mm) | x.range | kFrames | x.ghost;
  f.write = x.range | kFrames | x.ghost;
  f.inc = lock_readers(x.mm);
  // none -> present: every CPU's entry for the page was empty, so TLB-clean is kept.
}

std::optional<std::string> continue_unsupported(const Scenario& sc, const Policy& policy,
                                                const Op& op) {
  return uffd_minor_unsupported(sc, policy, op.page, 1);
}

}  // namespace

const OpDescriptor kUffdioContinueOp{.kind = OpKind::UffdioContinue,
                                     .names = {"uffdio_continue"},
                                     .fields = {"addr"},
                                     .steps = step_vector(kSteps),
                                     .step = step_uffdio_continue,
                                     .entry_lock = read_lock,
                                     .footprint = continue_footprint,
                                     .unsupported = continue_unsupported};

}  // namespace mmcheck::vm
