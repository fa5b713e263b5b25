// userfaultfd write-protect: registration and UFFDIO_WRITEPROTECT.
//
// Abstracts: userfaultfd_register (mode WP) with userfaultfd_set_vm_flags (51d3d5eb74ff), and
// mwriteprotect_range -> change_protection -> change_pte_range (MM_CP_UFFD_WP /
// MM_CP_UFFD_WP_RESOLVE), fs/userfaultfd.c and mm/userfaultfd.c.
//
// Steps and locks:
//   uffd_register.mmap_write_lock    mmap_lock write; sets VM_UFFD_WP (vm_page_prot is derived
//                                    from the flags, so write-notify follows [P writenotify])
//   uffd_register.mmap_write_unlock
//   uffd_wp|uffd_unwp.mmap_read_lock       mmap_lock READ: the root of race (c)
//   uffd_wp|uffd_unwp.inc_tlb_flush_pending
//   uffd_wp|uffd_unwp.pte            mmap_lock read + PTL, one per present PTE of [start, end):
//                                    pte_modify with the VMA's protection, then set / clear
//                                    uffd_wp
//   uffd_wp|uffd_unwp.marker         mmap_lock read + PTL (5.19+, shmem): a none PTE gets a
//                                    PTE_MARKER_UFFD_WP (protect); a marker is dropped (unprotect)
//   uffd_wp|uffd_unwp.flush_tlb_range   after the loop, outside every PTL [P change_prot_flush];
//                                    no step when nothing is flushed
//   uffd_wp|uffd_unwp.dec_tlb_flush_pending
//   uffd_wp|uffd_unwp.mmap_read_unlock  (the unprotect's wake-up is implicit: a waiter may
//                                    retry as soon as the bit is clear)
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/ops/walk.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<16> kSteps = {"uffd_register.mmap_write_lock",
                                 "uffd_register.mmap_write_unlock",
                                 "uffd_wp.mmap_read_lock",
                                 "uffd_wp.inc_tlb_flush_pending",
                                 "uffd_wp.pte",
                                 "uffd_wp.marker",
                                 "uffd_wp.flush_tlb_range",
                                 "uffd_wp.dec_tlb_flush_pending",
                                 "uffd_wp.mmap_read_unlock",
                                 "uffd_unwp.mmap_read_lock",
                                 "uffd_unwp.inc_tlb_flush_pending",
                                 "uffd_unwp.pte",
                                 "uffd_unwp.marker",
                                 "uffd_unwp.flush_tlb_range",
                                 "uffd_unwp.dec_tlb_flush_pending",
                                 "uffd_unwp.mmap_read_unlock"};

// userfaultfd_wp_use_markers(): PTE_MARKER_UFFD_WP came with shmem uffd-wp (the 5.19 series
// ending in b1f9e876862d); an anonymous VMA gets markers when its userfaultfd has
// UFFD_FEATURE_WP_UNPOPULATED (2bad466cc9d9, 6.4).
bool markers_supported(const Ctx& c, int page) {
  if (is_private(c.sc, page)) return c.s.mm[c.mm].uffd_wp_unpopulated >> page & 1;
  return c.policy.uffd_wp == UffdWpSupport::AnonShmem;
}

}  // namespace

const char* uffd_unprotect_pte(Ctx& c, int page, Pte& pte) {
  const VmaPage& vma = c.m().vma[page];
  // <= 6.2: vm_get_page_prot(flags), which for a private mapping never has the write bit
  // (COW), so an unprotect demotes a writable PTE, and for a shared writable one always has
  // it, write-notify or not.
  // 931298e103c2 (6.3, "rely on vma->vm_page_prot in uffd_wp_range()"): the protection is the
  // VMA's vm_page_prot (read-only when it wants write-notify), and an unprotect passes
  // MM_CP_TRY_CHANGE_WRITABLE when vma_wants_manual_pte_write_upgrade() (private: VM_WRITE;
  // shared: write-notify); change_pte_range() then maps the PTE writable if
  // can_change_pte_writable(), after clearing uffd_wp [P uffd_unwp_try_writable].
  bool from_flags = !is_private(c.sc, page) && vma.write;
  pte.write = c.policy.uffd_unwp_try_writable ? vm_page_prot_writable(c.sc, c.policy, page, vma)
                                              : from_flags;
  pte.uffd_wp = false;
  pte.protnone = !vma.read;  // pte_modify() with the VMA's protection: a NUMA protnone PTE too
  if (c.policy.uffd_unwp_try_writable && !pte.write &&
      wants_manual_write_upgrade(c.sc, c.policy, page, vma) &&
      can_change_pte_writable(c, page, pte)) {
    pte.write = true;
    return " (can_change_pte_writable)";
  }
  return "";
}

// do_wp_page() with UFFD_FEATURE_WP_ASYNC (d61ea1cb0095, 6.7): "Nothing needed (cache flush, TLB
// invalidations, etc.) because we're only removing the uffd-wp bit": pte_clear_uffd_wp() and
// set_pte_at() under the PTL, no message to the monitor; the fault then goes on to reuse or copy
// (the next step here, which re-reads the PTE). The write stays recorded for PAGEMAP_SCAN
// (PAGE_IS_WRITTEN), so the page is no longer protected (ghost).
bool uffd_wp_async_resolve(Ctx& c, int page) {
  if (!(c.m().uffd_wp_async >> page & 1)) return false;
  c.m().pte[page].uffd_wp = false;
  c.m().wp_protected &= static_cast<std::uint16_t>(~(1u << page));
  MM_SAY(c, "WP_ASYNC: uffd-wp cleared in place, no message; reuse or copy next");
  return true;
}

namespace {

// The PTEs change_pte_range() rewrites: present ones (protnone counts); for a protect, a none
// PTE of a shmem VMA (it installs a uffd-wp marker); for an unprotect, a marker (it drops it).
bool visits(const Ctx& c, int page, bool wp) {
  const Pte& pte = c.s.mm[c.mm].pte[page];
  if (pte.present || pte.migration) return true;
  if (pte.marker) return !wp;
  return wp && markers_supported(c, page);
}

// A none PTE under MM_CP_UFFD_WP gets a marker; a marker under MM_CP_UFFD_WP_RESOLVE is
// cleared ("the next page fault will trigger without uffd trapping"). Neither asks for a flush:
// the old PTE is not present.
void marker_one(Ctx& c, int page, bool wp) {
  Pte& pte = c.m().pte[page];
  pte = Pte{};
  pte.marker = wp;
  c.label(wp ? step<kSteps, "uffd_wp.marker">() : step<kSteps, "uffd_unwp.marker">());
  MM_SAY(c, "PTE %s:%s none: uffd-wp marker %s", c.mm_name(c.mm).c_str(), c.page_name(page).c_str(),
         wp ? "installed" : "dropped");
}

void protect_one(Ctx& c) {
  ThreadState& th = c.th();
  bool wp = c.op.kind == OpKind::UffdWp;
  int end = c.op.page + c.op.pages;
  int page = walk_from(th, c.op.page);
  while (page < end && !visits(c, page, wp)) ++page;
  if (page >= end) {
    std::uint32_t range = ((1u << c.op.pages) - 1) << c.op.page;
    bool flushed = end_change_prot_walk(c, range, c.m().tlb_flush_pending > 1);
    th.phase = kUffdDec;
    if (!flushed) return step_uffd_writeprotect(c);  // nothing to flush: no flush step
    c.label(wp ? step<kSteps, "uffd_wp.flush_tlb_range">()
               : step<kSteps, "uffd_unwp.flush_tlb_range">());
    return;
  }
  th.index = static_cast<std::uint8_t>(page + 1);
  // Ghost: an unprotect that started before a concurrent protect of the page completed still
  // unprotects it here.
  if (!wp) c.m().wp_protected &= static_cast<std::uint16_t>(~(1u << page));
  Pte& pte = c.m().pte[page];
  if (pte.migration) {  // a swap PTE: made readable, uffd-wp set or cleared; no flush
    if (wp) pte.write = false;
    pte.uffd_wp = wp;
    c.label(wp ? step<kSteps, "uffd_wp.pte">() : step<kSteps, "uffd_unwp.pte">());
    MM_SAY(c, "migration entry %s:%s UW%d", c.mm_name(c.mm).c_str(), c.page_name(page).c_str(), wp);
    return;
  }
  if (!pte.present) return marker_one(c, page, wp);
  Pte before = pte;
  // wp: vm_get_page_prot(flags & ~VM_WRITE) (<= 6.2), or vm_page_prot without the write bit.
  const char* upgraded = "";
  if (wp) {
    pte.write = false;
    pte.uffd_wp = true;
    pte.protnone = !c.m().vma[page].read;  // pte_modify(): a NUMA protnone PTE is mapped again
  } else {
    upgraded = uffd_unprotect_pte(c, page, pte);
  }
  if (change_pte_asks_flush(c.policy, before, pte)) ask_flush(th, page);
  c.label(wp ? step<kSteps, "uffd_wp.pte">() : step<kSteps, "uffd_unwp.pte">());
  MM_SAY(c, "PTE %s:%s W%d->W%d%s UW%d->UW%d, flush deferred, tlb_flush_pending=%d",
         c.mm_name(c.mm).c_str(), c.page_name(page).c_str(), before.write, pte.write, upgraded,
         before.uffd_wp, pte.uffd_wp, c.m().tlb_flush_pending);
}

}  // namespace

void step_uffd_register(Ctx& c) {
  ThreadState& th = c.th();
  if (th.phase == kRegisterLock) {
    Mm& m = c.m();
    m.writer = true;
    // The process's registrations with the same features share one context (its monitor);
    // the features that change behaviour (WP_ASYNC, WP_UNPOPULATED) make another. A VMA that
    // another context holds is -EBUSY, checked on every VMA before any changes
    // (userfaultfd_register(): "cur->vm_userfaultfd_ctx.ctx != ctx"); one its own context
    // holds keeps its modes when they include the new ones, and otherwise gets the new mode in
    // place of the old (userfaultfd_register_range(): new_flags = (vm_flags &
    // ~__VM_UFFD_FLAGS) | vm_flags).
    auto bit = [](int p) { return static_cast<std::uint8_t>(1u << p); };
    bool busy = false, any = false;
    for (int p = c.op.page; p < c.op.page + c.op.pages; ++p) {
      if (!m.vma[p].mapped) continue;  // a hole is skipped; a range with no VMA is -EINVAL
      any = true;
      bool held = m.vma[p].uffd_wp || m.vma[p].uffd_missing || (m.uffd_minor & bit(p));
      bool same = ((m.uffd_wp_async & bit(p)) != 0) == c.op.wp_async &&
                  ((m.uffd_wp_unpopulated & bit(p)) != 0) == c.op.wp_unpopulated;
      busy = busy || (held && !same);
    }
    for (int p = c.op.page; p < c.op.page + c.op.pages && !busy && any; ++p) {
      if (!m.vma[p].mapped) continue;
      // "Nothing to do: this vma is already registered into this userfaultfd and with the
      // right tracking mode too": its own context holds every mode asked for.
      bool covers = (!c.op.wp_mode || m.vma[p].uffd_wp) &&
                    (!c.op.missing || m.vma[p].uffd_missing) &&
                    (!c.op.minor || (m.uffd_minor & bit(p)));
      bool held = m.vma[p].uffd_wp || m.vma[p].uffd_missing || (m.uffd_minor & bit(p));
      if (held && covers) continue;
      if (m.vma[p].uffd_wp && !c.op.wp_mode)
        m.wp_protected &= static_cast<std::uint16_t>(~(1u << p));  // the protection ends
      m.vma[p].uffd_wp = c.op.wp_mode;
      m.vma[p].uffd_missing = c.op.missing;
      auto set = [&](std::uint8_t& mask, bool on) {
        mask = static_cast<std::uint8_t>(on ? mask | bit(p) : mask & ~bit(p));
      };
      set(m.uffd_minor, c.op.minor);
      set(m.uffd_wp_unpopulated, c.op.wp_unpopulated);
      set(m.uffd_wp_async, c.op.wp_async);
    }
    th.failed = busy || !any;
    th.phase = kRegisterUnlock;
    c.label(step<kSteps, "uffd_register.mmap_write_lock">());
    if (!any) {
      MM_SAY(c, "no VMA in %s..+%d: -EINVAL", c.page_name(c.op.page).c_str(), c.op.pages);
      return;
    }
    if (busy) {
      MM_SAY(c, "%s..+%d is registered with another context (other features): -EBUSY",
             c.page_name(c.op.page).c_str(), c.op.pages);
      return;
    }
    MM_SAY(c, "%s%s%s%s set on %s..+%d", c.op.missing ? "VM_UFFD_MISSING " : "",
           c.op.minor ? "VM_UFFD_MINOR " : "", c.op.wp_mode ? "VM_UFFD_WP" : "",
           c.op.wp_async ? " (WP_ASYNC)" : (c.op.wp_unpopulated ? " (WP_UNPOPULATED)" : ""),
           c.page_name(c.op.page).c_str(), c.op.pages);
    return;
  }
  c.m().writer = false;
  c.label(step<kSteps, "uffd_register.mmap_write_unlock">());
  MM_SAY(c, "registered");
  c.finish_op();
}

namespace {

// mmap_lock for read; the range must be registered (mwriteprotect_range: -ENOENT).
void writeprotect_lock(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  bool wp = c.op.kind == OpKind::UffdWp;
  m.readers++;
  c.label(wp ? step<kSteps, "uffd_wp.mmap_read_lock">()
             : step<kSteps, "uffd_unwp.mmap_read_lock">());
  bool registered = true;
  for (int p = c.op.page; p < c.op.page + c.op.pages; ++p)
    registered = registered && m.vma[p].mapped && m.vma[p].uffd_wp;
  if (!registered) {
    th.failed = true;
    th.phase = kUffdUnlock;
    MM_SAY(c, "range not registered for WP: -ENOENT");
    return;
  }
  if (!wp) {  // an unprotect has started: the range is no longer protected (ghost)
    for (int p = c.op.page; p < c.op.page + c.op.pages; ++p)
      m.wp_protected &= static_cast<std::uint16_t>(~(1u << p));
  }
  th.phase = kUffdInc;
  MM_SAY(c, "mmap_lock read (readers=%d)", m.readers);
}

// The unlock; a completed protect protects the pages it left uffd_wp (or a marker) on.
void writeprotect_unlock(Ctx& c) {
  Mm& m = c.m();
  bool wp = c.op.kind == OpKind::UffdWp;
  m.readers--;
  if (wp && !c.th().failed && c.model.ghost().wp) {
    // Ghost (kept only when the observer reads it): a page is protected when the protect
    // left uffd_wp on its PTE, or a marker. A none PTE of an anonymous VMA without
    // UFFD_FEATURE_WP_UNPOPULATED protects nothing (the documented behaviour): a later fault
    // maps it without uffd_wp.
    for (int p = c.op.page; p < c.op.page + c.op.pages; ++p) {
      const Pte& pte = m.pte[p];
      if (((pte.present || pte.migration) && pte.uffd_wp) || pte.marker)
        m.wp_protected |= static_cast<std::uint16_t>(1u << p);
    }
  }
  c.label(wp ? step<kSteps, "uffd_wp.mmap_read_unlock">()
             : step<kSteps, "uffd_unwp.mmap_read_unlock">());
  MM_SAY(c, "%s done", wp ? "write-protect" : "unprotect");
  c.finish_op();
}

}  // namespace

void step_uffd_writeprotect(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  bool wp = c.op.kind == OpKind::UffdWp;
  switch (th.phase) {
    case kUffdLock:
      return writeprotect_lock(c);
    case kUffdInc:
      m.tlb_flush_pending++;
      th.phase = kUffdPte;
      c.label(wp ? step<kSteps, "uffd_wp.inc_tlb_flush_pending">()
                 : step<kSteps, "uffd_unwp.inc_tlb_flush_pending">());
      MM_SAY(c, "tlb_flush_pending=%d", m.tlb_flush_pending);
      return;
    case kUffdPte:
      return protect_one(c);
    case kUffdDec:
      m.tlb_flush_pending--;
      th.phase = kUffdUnlock;
      c.label(wp ? step<kSteps, "uffd_wp.dec_tlb_flush_pending">()
                 : step<kSteps, "uffd_unwp.dec_tlb_flush_pending">());
      MM_SAY(c, "tlb_flush_pending=%d", m.tlb_flush_pending);
      return;
    case kUffdUnlock:
      return writeprotect_unlock(c);
    default:
      MM_ASSERT(false, "unknown uffd phase");
  }
}

// Why a kernel cannot run userfaultfd write-protect on pages [page, page + pages), if so.
std::optional<std::string> uffd_wp_unsupported(const Scenario& sc, const Policy& policy, int page,
                                               int pages) {
  if (policy.uffd_wp == UffdWpSupport::None)
    return std::string("userfaultfd write-protect does not exist on this kernel (5.7+)");
  for (int p = page; p < page + pages; ++p) {
    if (sc.region_of(p).page_mkwrite)
      return std::string(
          "userfaultfd write-protect of a regular file mapping exists on no kernel (anon, shmem "
          "and hugetlbfs only)");
    if (sc.region_of(p).shmem && policy.uffd_wp != UffdWpSupport::AnonShmem)
      return std::string(
          "userfaultfd write-protect of shmem does not exist on this kernel (5.19+)");
  }
  return std::nullopt;
}

std::optional<std::string> uffd_minor_unsupported(const Scenario& sc, const Policy& policy,
                                                  int page, int pages) {
  for (int p = page; p < page + pages; ++p)
    if (!sc.region_of(p).shmem || sc.region_of(p).page_mkwrite)
      return std::string(
          "userfaultfd minor faults exist for shmem and hugetlbfs only (not for anonymous "
          "memory or a regular file)");
  if (!policy.uffd_minor_shmem)
    return std::string(
        "userfaultfd minor faults on shmem do not exist on this kernel (5.14+, uffd_minor_shmem)");
  return std::nullopt;
}

namespace {

std::optional<std::string> uffd_op_unsupported(const Scenario& sc, const Policy& policy,
                                               const Op& op) {
  return uffd_wp_unsupported(sc, policy, op.page, op.pages);
}

// A registration needs what each of its modes needs; missing faults exist on every kernel.
std::optional<std::string> register_unsupported(const Scenario& sc, const Policy& policy,
                                                const Op& op) {
  if (op.minor) {
    if (auto why = uffd_minor_unsupported(sc, policy, op.page, op.pages)) return why;
  }
  if (op.wp_async && !policy.uffd_wp_async)
    return std::string("UFFD_FEATURE_WP_ASYNC does not exist on this kernel (6.7+, uffd_wp_async)");
  if (op.wp_unpopulated && !policy.uffd_wp_unpopulated)
    return std::string(
        "UFFD_FEATURE_WP_UNPOPULATED does not exist on this kernel (6.4+, uffd_wp_unpopulated)");
  if (op.wp_mode) return uffd_wp_unsupported(sc, policy, op.page, op.pages);
  return std::nullopt;
}

void writeprotect_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  f.read = lock_writer(x.mm) | vma(x.mm) | x.range | x.ghost;
  f.write = x.range | x.cpus | x.ghost;
  f.inc = lock_readers(x.mm) | pending(x.mm);
  f.tlb_dirtying = x.range;  // demotes PTEs and flushes later
}

std::optional<LocalStep> writeprotect_local_step(const LocalScope& x) {
  LocalStep out;
  Footprint& f = out.footprint;
  if (x.phase == kUffdLock || x.phase == kUffdUnlock) {
    // Takes or drops mmap_lock for read, reads the VMA flags (is the range registered?), and
    // moves the protection ghost: an unprotect starts at its lock, a protect ends at its unlock.
    bool moves_ghost =
        x.model.ghost().wp && ((x.op.kind == OpKind::UffdUnwp) == (x.phase == kUffdLock));
    f.read = x.phase == kUffdLock ? (res::lock_writer(x.mm) | res::vma(x.mm)) : 0;
    f.write = moves_ghost ? res::kGhostWp : 0;
    f.inc = res::lock_readers(x.mm);
    return out;
  }
  if (x.phase == kUffdInc || x.phase == kUffdDec) {
    f.inc = res::pending(x.mm);
    out.moves_pending = true;
    return out;
  }
  return std::nullopt;
}

OpDescriptor writeprotect_op(OpKind kind, const char* name) {
  return {.kind = kind,
          .names = {name},
          .fields = {"addr", "pages"},
          .steps = step_vector(kSteps, name),
          .step = step_uffd_writeprotect,
          .entry_lock = read_lock,
          .footprint = writeprotect_footprint,
          .local_step = writeprotect_local_step,
          .unsupported = uffd_op_unsupported};
}

}  // namespace

const OpDescriptor kUffdRegisterOp{
    .kind = OpKind::UffdRegister,
    .names = {"uffd_register"},
    .fields = {"addr", "pages", "mode", "features"},
    .steps = {"uffd_register.mmap_write_lock", "uffd_register.mmap_write_unlock"},
    .step = step_uffd_register,
    .entry_lock = write_lock,
    .footprint = exclusive_footprint,
    .unsupported = register_unsupported,
    .vma_write_locks = range_vmas};
const OpDescriptor kUffdWpOp = writeprotect_op(OpKind::UffdWp, "uffd_wp");
const OpDescriptor kUffdUnwpOp = writeprotect_op(OpKind::UffdUnwp, "uffd_unwp");
}  // namespace mmcheck::vm
