// uffd_close: close() of the userfaultfd, the monitor going away.
//
// Abstracts: userfaultfd_release (fs/userfaultfd.c): mmap_write_lock, then for every VMA
// registered with the context: since c88033efe9a3 ("mm/userfaultfd: reset ptes when close()
// for wr-protected ones", 6.9; 6.1.y has the backport, the 6.1 preset does not) "Reset ptes for
// the whole vma range if wr-protected": uffd_wp_range(vma, start, len, false), an unprotect of
// every PTE (markers dropped); then the VMA flags lose VM_UFFD_WP; the faults waiting in
// handle_userfault are woken and retry without the monitor [P uffd_close_resets_wp].
// Before 6.9 the PTEs keep their uffd-wp bit: the next registration of the range takes WP
// faults its monitor never asked for.
//
// Steps and locks:
//   uffd_close.mmap_write_lock     mmap_lock write; the reset (change_protection with its
//                                  flush before the unlock) and the VMA flags
//   uffd_close.mmap_write_unlock
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/ops/walk.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<2> kSteps = {"uffd_close.mmap_write_lock", "uffd_close.mmap_write_unlock"};

// uffd_wp_range(vma, ..., false) on one page of a registered VMA; flushes what the change of
// the PTE asks for (under mmap_lock write nothing else can observe the order).
void reset_page(Ctx& c, int page) {
  Pte& pte = c.m().pte[page];
  if (pte.marker) {
    pte = Pte{};
    return;
  }
  if (pte.migration) pte.uffd_wp = false;
  if (!pte.present) return;
  Pte before = pte;
  uffd_unprotect_pte(c, page, pte);
  if (change_pte_asks_flush(c.policy, before, pte)) flush_page(c, c.mm, page);
}

void step_uffd_close(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  if (th.phase == kRegisterLock) {
    m.writer = true;
    int reset = 0;
    m.uffd_minor = 0;
    for (int p = 0; p < c.sc.page_count(); ++p) {
      m.vma[p].uffd_missing = false;
      if (!m.vma[p].uffd_wp) continue;
      if (c.policy.uffd_close_resets_wp) {
        reset_page(c, p);
        ++reset;
      }
      m.vma[p].uffd_wp = false;
      m.wp_protected &= static_cast<std::uint16_t>(~(1u << p));  // the protection ends
    }
    th.phase = kRegisterUnlock;
    c.label(step<kSteps, "uffd_close.mmap_write_lock">());
    MM_SAY(c, "VM_UFFD_WP cleared%s", reset > 0 ? "; the registered PTEs unprotected" : "");
    return;
  }
  m.writer = false;
  c.label(step<kSteps, "uffd_close.mmap_write_unlock">());
  MM_SAY(c, "the monitor is gone; waiting faults are woken");
  c.finish_op();
}

std::optional<std::string> uffd_close_unsupported(const Scenario& sc, const Policy& policy,
                                                  const Op&) {
  return uffd_wp_unsupported(sc, policy, 0, sc.page_count());
}

}  // namespace

const OpDescriptor kUffdCloseOp{.kind = OpKind::UffdClose,
                                .names = {"uffd_close"},
                                .fields = {},
                                .steps = step_vector(kSteps),
                                .step = step_uffd_close,
                                .entry_lock = write_lock,
                                .footprint = exclusive_footprint,
                                .unsupported = uffd_close_unsupported,
                                .vma_write_locks = every_vma};

}  // namespace mmcheck::vm
