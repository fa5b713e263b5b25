// pin_fast: GUP-fast, the lockless first try of pin_user_pages_fast(FOLL_PIN|FOLL_LONGTERM).
//
// Abstracts: gup_fast -> gup_fast_pte_range (gup_pte_range before 6.10, mm/gup.c). No mmap_lock,
// no PTL: with interrupts off (a TLB-flush IPI waits for it, and so the page table cannot be
// freed), it reads the PTE and gives up on a PTE that is not present, protnone, special (the zero
// page), read-only under FOLL_WRITE, or read-only on a possibly shared anonymous page
// (gup_must_unshare, a7f226604170); else try_grab_folio() takes the pin, the PTE is read again
// (unchanged, else the pin is dropped) and MMF_HAS_PINNED is set. A long-term pin of a file
// mapping gives up too (folio_fast_pin_allowed). One step: nothing that holds a PTL can run
// inside the interrupts-off section in a way the re-read would not undo.
// Giving up falls back to the slow path (__gup_longterm_locked, the `pin` op): not modelled
// here, the op fails; a scenario that wants the fallback follows it with `pin`.
//
// Steps and locks:
//   pin_fast.pin    no lock: the pin
//   pin_fast.fail   no lock: GUP-fast gives up
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<2> kSteps = {"pin_fast.pin", "pin_fast.fail"};

// Why GUP-fast gives up on the PTE at the op's page, or null.
const char* gives_up(const Ctx& c) {
  int page = c.op.page;
  const Pte& pte = c.s.mm[c.mm].pte[page];
  bool anon = is_private(c.sc, page);
  // 17839856fd58 (5.8): a GUP of a COW mapping asks for write, the fast path too.
  bool want_write =
      c.op.write || (c.policy.gup_force_cow_break && anon && c.s.mm[c.mm].vma[page].write);
  if (!pte.present) return "PTE not present";
  if (pte.protnone) return "PTE protnone";
  if (c.s.frames[pte.pfn].zero) return "the zero page (pte_special)";
  if (want_write && !pte.write) return "FOLL_WRITE on a read-only PTE";
  if (!pte.write && c.policy.gup_ro_pin_unshare && anon && !c.s.frames[pte.pfn].anon_exclusive)
    return "R/O pin of a possibly shared anon page (gup_must_unshare)";
  if (c.sc.region_of(page).page_mkwrite) return "long-term pin of a file mapping";
  return nullptr;
}

void step_pin_fast(Ctx& c) {
  c.finish_op();
  if (const char* why = gives_up(c)) {
    c.th().failed = true;
    c.label(step<kSteps, "pin_fast.fail">());
    MM_SAY(c, "GUP-fast gives up: %s (the slow path is not taken here)", why);
    return;
  }
  const Pte& pte = c.m().pte[c.op.page];
  Frame& f = c.s.frames[pte.pfn];
  f.refcount++;
  f.pincount++;
  c.m().has_pinned = true;
  c.s.handles[c.op.handle] = Handle{.active = true,
                                    .write = c.op.write,
                                    .kind = HandleKind::Pin,
                                    .pfn = pte.pfn,
                                    .mm = static_cast<std::uint8_t>(c.mm),
                                    .page = c.op.page};
  c.label(step<kSteps, "pin_fast.pin">());
  MM_SAY(c, "lockless pin of frame %d as %s (refcount %d, pincount %d)", pte.pfn,
         c.sc.handle_names[c.op.handle].c_str(), f.refcount, f.pincount);
}

// Reads the PTE (and the VMA's write flag for 5.8's forced COW break) without any lock; writes
// the frame's counts and the handle.
void pin_fast_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  f.read = x.range | vma(x.mm) | kFrames | kHandles;
  f.write = kFrames | kHandles;
}

}  // namespace

const OpDescriptor kPinFastOp{.kind = OpKind::PinFast,
                              .names = {"pin_fast"},
                              .fields = {"addr", "write", "as"},
                              .steps = step_vector(kSteps),
                              .step = step_pin_fast,
                              .entry_lock = no_lock,
                              .footprint = pin_fast_footprint};

}  // namespace mmcheck::vm
