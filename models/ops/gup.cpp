// GUP pins and references, and what is done through them.
//
// Abstracts: pin_user_pages(FOLL_PIN|FOLL_LONGTERM) and get_user_pages(FOLL_GET) slow path
// (__get_user_pages -> follow_page_pte, faultin_page), vmsplice's FOLL_GET, unpin_user_page,
// put_page; the device's (or the pipe reader's) direct access to a referenced frame; and the
// transient references (LRU pagevec, swapcache, O_DIRECT) a page can carry.
//
// Steps and locks:
//   gup.mmap_read_lock      takes mmap_lock for read
//   gup.pin / gup.get       mmap_lock read + PTL: follow_page_pte takes the reference, or
//   gup.fault / gup.unshare    enters the fault handler (store, load or FAULT_FLAG_UNSHARE)
//   gup.fail                the VMA refuses the access (-EFAULT)
//   gup.mmap_read_unlock    releases mmap_lock
//   gup.unpin, gup.put, pin.read, pin.write, extra_ref.get, extra_ref.put: one step, no lock
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<13> kSteps = {
    "gup.mmap_read_lock",   "gup.fail",  "gup.fault", "gup.unshare", "gup.pin",   "gup.get",
    "gup.mmap_read_unlock", "gup.unpin", "gup.put",   "pin.read",    "pin.write", "extra_ref.get",
    "extra_ref.put"};

void gup_ptl(Ctx& c) {
  int page = c.op.page;
  const VmaPage& vma = c.m().vma[page];
  Pte& pte = c.m().pte[page];
  bool pin = c.op.kind == OpKind::Pin;
  bool anon = is_private(c.sc, page);
  if (!vma.mapped || !vma.read || (c.op.write && !vma.write)) {
    c.th().failed = true;
    c.th().phase = kGupUnlock;
    c.label(step<kSteps, "gup.fail">());
    MM_SAY(c, "the VMA refuses the access: -EFAULT");
    return;
  }
  // 17839856fd58 (5.8): any GUP of a COW mapping breaks COW first, as if for writing.
  bool want_write = c.op.write || (c.policy.gup_force_cow_break && anon && vma.write);
  if (!pte.present) {
    c.label(step<kSteps, "gup.fault">());
    MM_SAY(c, "PTE none: faultin_page");
    return enter_fault(c, want_write ? FaultKind::Store : FaultKind::Load, true);
  }
  if (pte.protnone) {  // FOLL_NUMA / FOLL_HONOR_NUMA_FAULT: a hinting fault
    c.label(step<kSteps, "gup.fault">());
    MM_SAY(c, "PTE protnone: faultin_page (NUMA hinting fault)");
    return enter_fault(c, want_write ? FaultKind::Store : FaultKind::Load, true);
  }
  if (want_write && !pte.write) {
    c.label(step<kSteps, "gup.fault">());
    MM_SAY(c, "PTE read-only: faultin_page(FOLL_WRITE)%s",
           c.op.write ? "" : " to break COW (gup_force_cow_break)");
    return enter_fault(c, FaultKind::Store, true);
  }
  // a7f226604170 (5.19): gup_must_unshare() for an R/O FOLL_PIN of a possibly shared anon page.
  if (pin && !want_write && c.policy.gup_ro_pin_unshare && anon && !pte.write &&
      !c.s.frames[pte.pfn].anon_exclusive) {
    c.label(step<kSteps, "gup.unshare">());
    MM_SAY(c, "R/O pin of a possibly shared anon page: FAULT_FLAG_UNSHARE");
    return enter_fault(c, FaultKind::Unshare, true);
  }
  Frame& f = c.s.frames[pte.pfn];
  f.refcount++;
  if (pin) {
    f.pincount++;
    c.m().has_pinned = true;
  }
  Handle& h = c.s.handles[c.op.handle];
  h = Handle{.active = true,
             .write = c.op.write,
             .kind = pin ? HandleKind::Pin : HandleKind::Get,
             .pfn = pte.pfn,
             .mm = static_cast<std::uint8_t>(c.mm),
             .page = static_cast<std::uint8_t>(page)};
  c.label(pin ? step<kSteps, "gup.pin">() : step<kSteps, "gup.get">());
  MM_SAY(c, "%s frame %d as %s (refcount %d, pincount %d)", pin ? "pin" : "get", pte.pfn,
         c.sc.handle_names[c.op.handle].c_str(), f.refcount, f.pincount);
  c.th().phase = kGupUnlock;
}

void read_through(Ctx& c, const Handle& h) {
  std::uint8_t value = c.s.frames[h.pfn].content[c.op.word];
  MM_SAY(c, "%s reads %d from frame %d", c.sc.handle_names[c.op.handle].c_str(), value, h.pfn);
  if (c.op.observe >= 0) c.th().observed[c.op.observe] = static_cast<std::uint8_t>(value + 1);
  c.observe({.event = Event::RefRead,
             .thread = c.thread,
             .mm = h.mm,
             .page = h.page,
             .word = c.op.word,
             .value = value,
             .pfn = h.pfn,
             .handle = c.op.handle});
}

void write_through(Ctx& c, const Handle& h) {
  MM_SAY(c, "%s writes %d into frame %d", c.sc.handle_names[c.op.handle].c_str(), c.op.value,
         h.pfn);
  c.observe({.event = Event::Store,
             .thread = c.thread,
             .mm = h.mm,
             .page = h.page,
             .word = c.op.word,
             .value = c.op.value,
             .pfn = h.pfn,
             .handle = c.op.handle});
  c.s.frames[h.pfn].content[c.op.word] = c.op.value;
  // A store by the mm that took the handle, at the page it was taken from, for every
  // store-based invariant: 9348b73c2e1b exists because such a page is "dirtied by the pinning
  // entity without ever being noticed in the page tables". It starts and completes in this step.
  const Mm& m = c.s.mm[h.mm];
  bool after_clear_refs =
      c.model.tracks_soft_dirty() && m.clear_refs_done != 0 && !m.clear_refs_busy;
  tracked_store(c, h.mm, h.page, c.op.word, c.op.value, h.pfn, after_clear_refs);
}

}  // namespace

void step_gup(Ctx& c) {
  ThreadState& th = c.th();
  switch (th.phase) {
    case kGupLock:
    case kGupLockAfterUserfault:
      c.mmap_read_lock(step<kSteps, "gup.mmap_read_lock">(), kGupPtl);
      return;
    case kGupPtl:
      return gup_ptl(c);
    case kGupUnlock:
      c.m().readers--;
      c.label(step<kSteps, "gup.mmap_read_unlock">());
      MM_SAY(c, "mmap_lock released%s", th.failed ? "; GUP failed" : "");
      return c.finish_op();
    default:
      MM_ASSERT(false, "unknown GUP phase");
  }
}

namespace {

// unpin, put: drop the handle's reference (and pin).
void step_release(Ctx& c) {
  Handle& h = c.s.handles[c.op.handle];
  const std::string& name = c.sc.handle_names[c.op.handle];
  c.finish_op();
  c.label(c.op.kind == OpKind::Unpin ? step<kSteps, "gup.unpin">() : step<kSteps, "gup.put">());
  if (!h.active) {
    MM_SAY(c, "%s is not held: nothing to drop", name.c_str());
    return;
  }
  if (h.kind == HandleKind::Pin) c.s.frames[h.pfn].pincount--;
  h.active = false;
  MM_SAY(c, "drop %s on frame %d", name.c_str(), h.pfn);
  put_frame(c.s, h.pfn);
  h = Handle{};
}

// pin_read, pin_write: the device (or the pipe's reader) through the handle.
void step_through(Ctx& c) {
  Handle& h = c.s.handles[c.op.handle];
  bool write = c.op.kind == OpKind::PinWrite;
  c.finish_op();
  c.label(write ? step<kSteps, "pin.write">() : step<kSteps, "pin.read">());
  if (!h.active) {
    MM_SAY(c, "%s is not held: no access", c.sc.handle_names[c.op.handle].c_str());
    return;
  }
  return write ? write_through(c, h) : read_through(c, h);
}

// extra_ref: a transient reference on the page mapped there, if any.
void step_extra_ref(Ctx& c) {
  Handle& h = c.s.handles[c.op.handle];
  c.finish_op();
  c.label(step<kSteps, "extra_ref.get">());
  const Pte& pte = c.m().pte[c.op.page];
  if (!pte.present) {
    MM_SAY(c, "no page mapped at %s: no reference", c.page_name(c.op.page).c_str());
    return;
  }
  c.s.frames[pte.pfn].refcount++;
  h = Handle{.active = true,
             .lru = c.op.ref_kind == RefKind::Lru,
             .kind = HandleKind::Extra,
             .pfn = pte.pfn,
             .mm = static_cast<std::uint8_t>(c.mm),
             .page = c.op.page};
  MM_SAY(c, "%s reference on frame %d (refcount %d)", c.op.ref_kind == RefKind::Lru ? "LRU" : "I/O",
         pte.pfn, c.s.frames[pte.pfn].refcount);
}

// drop_ref: the transient reference taken at the page, unless lru_add_drain dropped it.
void step_drop_ref(Ctx& c) {
  c.finish_op();
  c.label(step<kSteps, "extra_ref.put">());
  for (int i = 0; i < c.model.shape().handles; ++i) {
    Handle& e = c.s.handles[i];
    if (e.active && e.kind == HandleKind::Extra && e.mm == c.mm && e.page == c.op.page) {
      int pfn = e.pfn;
      e = Handle{};
      put_frame(c.s, pfn);
      MM_SAY(c, "drop the transient reference on frame %d", pfn);
      return;
    }
  }
  MM_SAY(c, "no transient reference held at %s (drained)", c.page_name(c.op.page).c_str());
}

}  // namespace

namespace {

std::optional<LocalStep> gup_local_step(const LocalScope& x) {
  if (x.phase >= kFaultLock) return fault_local_step(x);
  if (x.phase != kGupLock && x.phase != kGupUnlock) return std::nullopt;
  LocalStep out;
  out.footprint.read = x.phase == kGupLock ? res::lock_writer(x.mm) : 0;
  out.footprint.inc = res::lock_readers(x.mm);
  return out;
}

// The ops through a handle: no lock, no PTE written.
void handle_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  using namespace res;
  f.read = all_ptes() | kFrames | kHandles | x.ghost;
  f.write = kFrames | kHandles | x.ghost;
}

OpDescriptor gup_op(OpKind kind, std::vector<std::string> names) {
  return {.kind = kind,
          .names = std::move(names),
          .fields = {"addr", "write", "as"},
          .steps = step_vector(kSteps),
          .step = step_gup,
          .entry_lock = read_lock,
          .footprint = access_footprint,
          .local_step = gup_local_step,
          .userfault_retry_phase = kGupLockAfterUserfault,
          .held_references = fault_references};
}

OpDescriptor handle_op(OpKind kind, const char* name, std::vector<std::string> fields,
                       void (*step_function)(Ctx&)) {
  return {.kind = kind,
          .names = {name},
          .fields = std::move(fields),
          .steps = step_vector(kSteps),
          .step = step_function,
          .entry_lock = no_lock,
          .footprint = handle_footprint};
}

}  // namespace

const OpDescriptor kPinOp = gup_op(OpKind::Pin, {"pin"});
const OpDescriptor kGetOp = gup_op(OpKind::Get, {"get", "vmsplice"});
const OpDescriptor kUnpinOp = handle_op(OpKind::Unpin, "unpin", {"pin"}, step_release);
const OpDescriptor kPutOp = handle_op(OpKind::Put, "put", {"pin"}, step_release);
const OpDescriptor kPinReadOp =
    handle_op(OpKind::PinRead, "pin_read", {"pin", "word"}, step_through);
const OpDescriptor kPinWriteOp = [] {
  OpDescriptor d = handle_op(OpKind::PinWrite, "pin_write", {"pin", "word", "value"}, step_through);
  d.stores = true;
  return d;
}();
const OpDescriptor kExtraRefOp = [] {
  OpDescriptor d = handle_op(OpKind::ExtraRef, "extra_ref", {"addr", "kind"}, step_extra_ref);
  d.extra_handle = true;
  return d;
}();
const OpDescriptor kDropRefOp = handle_op(OpKind::DropRef, "drop_ref", {"addr"}, step_drop_ref);
}  // namespace mmcheck::vm
