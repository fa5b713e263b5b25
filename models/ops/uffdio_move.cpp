// uffdio_move: UFFDIO_MOVE, the monitor moving an anonymous page from SRC to DST (adef440691ba,
// 6.8), both in its own mm.
//
// Abstracts: userfaultfd_move -> move_pages -> move_pages_pte -> move_present_pte /
// move_zeropage_pte (mm/userfaultfd.c). On 6.8 userfaultfd_move() (fs/userfaultfd.c) calls
// move_pages() under mmap_read_lock(); Lokesh Gidra's "use per-vma locks in userfaultfd
// operations" (6.9 per the research; its id not checked here) has uffd_move_lock() read-lock the
// two VMAs instead, falling back to mmap_lock: not modelled, as for UFFDIO_COPY, the ops that
// would change these VMAs write-lock them too.
// validate_move_areas(): both VMAs private anonymous (else -EINVAL: unsupported here), with the
// same access flags, VM_WRITE, and DST registered with the userfaultfd (missing or wp mode here).
// move_pages_pte(): DST must be none (-EEXIST); SRC none -ENOENT, a migration entry -EAGAIN after
// migration_entry_wait, another swap entry (a uffd-wp marker) -EFAULT; the zero page is moved by
// move_zeropage_pte; otherwise vm_normal_folio() must be PageAnonExclusive (-EBUSY) and the folio
// gets a reference (folio_get) until the end. move_present_pte() under double_pt_lock():
//   pte_same(src), pte_same(dst)                                             else -EAGAIN
//   folio_test_large || folio_maybe_dma_pinned || !PageAnonExclusive          -EBUSY
//   orig_src_pte = ptep_clear_flush(src_vma, src_addr, src_pte);     // flushes SRC's TLB entries
//   if (folio_maybe_dma_pinned(src_folio)) { set_pte_at(src, orig_src_pte); -EBUSY }
//   folio_move_anon_rmap(); folio->index = linear_page_index(dst_vma, dst_addr);
//   orig_dst_pte = mk_pte(page, dst_vma->vm_page_prot);
//   6.8-6.14: pte_mkwrite(pte_mkdirty(orig_dst_pte), dst_vma)   // x86 pte_mkdirty: dirty + SD
//   6.15 (75cb1cca2c88): pte_mksoft_dirty; pte_mkdirty only if orig_src_pte was dirty; mkwrite
// The re-check after the flush catches a GUP-fast pin taken between the first check and the
// clear (GUP-fast takes no lock, models/ops/pin_fast.cpp) [P move_recheck_pin]; the destination is
// soft-dirty on every release with UFFDIO_MOVE [P move_sets_soft_dirty] (the 6.15 fix changed the
// dirty bit of present PTEs and the soft-dirty bit of swap PTEs; swap is not modelled, and the
// dirty bit of an anonymous PTE is read by nothing here, so DST is dirty on every release).
// The rmap index needs no bookkeeping: the model's rmap walks scan the PTEs.
//
// Steps and locks:
//   uffdio_move.mmap_read_lock
//   uffdio_move.check          mmap_lock read + both PTLs: the VMA, PTE and folio checks (or one
//                              of .einval .eexist .enoent .efault .eagain .ebusy .zeropage)
//   uffdio_move.move           both PTLs again: pte_same, clear and flush SRC, re-check the pin
//                              (.ebusy_pinned restores SRC), map DST; or .eagain
//   uffdio_move.mmap_read_unlock
// The kernel holds both PTLs from the check to the move. The model drops them in between and
// re-checks pte_same for both PTEs at the move: a PTE changed in between is a kernel run where
// the change came before the lock (-EAGAIN); an unchanged one differs from a kernel run only by
// a pin or a reference taken in the window, which GUP-fast can take in the kernel too.
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

inline constexpr std::uint8_t kMoveLock = 0;
inline constexpr std::uint8_t kMoveCheck = 1;
inline constexpr std::uint8_t kMoveMove = 2;
inline constexpr std::uint8_t kMoveUnlock = 3;

// The kernel step names this file takes.
constexpr StepList<12> kSteps = {
    "uffdio_move.mmap_read_lock", "uffdio_move.check",        "uffdio_move.einval",
    "uffdio_move.eexist",         "uffdio_move.enoent",       "uffdio_move.efault",
    "uffdio_move.eagain",         "uffdio_move.ebusy",        "uffdio_move.zeropage",
    "uffdio_move.move",           "uffdio_move.ebusy_pinned", "uffdio_move.mmap_read_unlock"};

// The op ends in an error at this step.
void fail(Ctx& c, std::uint32_t label, const char* why) {
  c.th().failed = true;
  c.th().phase = kMoveUnlock;
  c.label(label);
  MM_SAY(c, "%s", why);
}

bool dst_none(const Pte& pte) { return !pte.present && !pte.migration && !pte.marker; }

// validate_move_areas(): the regions are anonymous (the op is unsupported otherwise).
bool areas_valid(const Ctx& c) {
  const VmaPage& dst = c.s.mm[c.mm].vma[c.op.page];
  const VmaPage& src = c.s.mm[c.mm].vma[c.op.src];
  return dst.mapped && src.mapped && dst.read == src.read && dst.write == src.write && src.write &&
         (dst.uffd_missing || dst.uffd_wp);
}

// move_zeropage_pte(): SRC cleared and flushed, DST the zero page from vm_page_prot (read-only
// in a private VMA, clean). No data moves, so the ghost's expectations stay empty.
void move_zero_page(Ctx& c) {
  Mm& m = c.m();
  Pte& src = m.pte[c.op.src];
  flush_page(c, c.mm, c.op.src);
  Pte zero{};
  zero.present = true;
  zero.pfn = src.pfn;
  m.pte[c.op.page] = zero;
  src = Pte{};
  c.label(step<kSteps, "uffdio_move.zeropage">());
  c.th().phase = kMoveUnlock;
  MM_SAY(c, "the zero page moves: SRC cleared and flushed, DST maps it read-only");
}

void check(Ctx& c) {
  Mm& m = c.m();
  const Pte& src = m.pte[c.op.src];
  if (!areas_valid(c))
    return fail(c, step<kSteps, "uffdio_move.einval">(),
                "validate_move_areas: VMAs not writable alike, or DST not registered: -EINVAL");
  if (!dst_none(m.pte[c.op.page]))
    return fail(c, step<kSteps, "uffdio_move.eexist">(), "DST is populated: -EEXIST");
  if (src.migration)
    return fail(c, step<kSteps, "uffdio_move.eagain">(),
                "SRC is a migration entry: migration_entry_wait, -EAGAIN");
  if (src.marker)
    return fail(c, step<kSteps, "uffdio_move.efault">(), "SRC holds a uffd-wp marker: -EFAULT");
  if (!src.present) return fail(c, step<kSteps, "uffdio_move.enoent">(), "SRC is none: -ENOENT");
  Frame& f = c.s.frames[src.pfn];
  if (f.zero) return move_zero_page(c);
  if (!f.anon_exclusive || f.pincount > 0)
    return fail(c, step<kSteps, "uffdio_move.ebusy">(),
                f.pincount > 0 ? "folio_maybe_dma_pinned: -EBUSY"
                               : "!PageAnonExclusive (shared with a fork): -EBUSY");
  f.refcount++;  // folio_get until the end of move_pages_pte
  c.th().saved = src;
  c.th().old_pfn = src.pfn;
  c.th().phase = kMoveMove;
  c.label(step<kSteps, "uffdio_move.check">());
  MM_SAY(c, "frame %d exclusive and unpinned (refcount %d)", src.pfn, f.refcount);
}

// The ghost follows the data: SRC's expected values go to DST, and a move after a completed
// clear_refs counts as a store to DST for soft_dirty_sound (pagemap must see DST changed).
void move_ghost(Ctx& c) {
  Mm& m = c.m();
  int dst = c.op.page, src = c.op.src;
  m.expect[dst] = m.expect[src];
  m.expect_valid[dst] = m.expect_valid[src];
  m.expect[src] = {};
  m.expect_valid[src] = 0;
  m.sd_required &= static_cast<std::uint16_t>(~(1u << src));
  m.wp_protected &= static_cast<std::uint16_t>(~(1u << src));
  if (c.model.tracks_soft_dirty() && m.clear_refs_done != 0 && !m.clear_refs_busy)
    m.sd_required |= static_cast<std::uint16_t>(1u << dst);
}

void move(Ctx& c) {
  ThreadState& th = c.th();
  Mm& m = c.m();
  Pte& src = m.pte[c.op.src];
  Pte& dst = m.pte[c.op.page];
  int pfn = th.old_pfn;
  th.phase = kMoveUnlock;
  th.old_pfn = 0;
  Pte orig = th.saved;
  th.saved = Pte{};
  put_frame(c.s, pfn);  // folio_put at the end of move_pages_pte
  if (!(src == orig) || !dst_none(dst)) {
    th.failed = true;
    c.label(step<kSteps, "uffdio_move.eagain">());
    MM_SAY(c, "a PTE changed since the check: -EAGAIN");
    return;
  }
  flush_page(c, c.mm, c.op.src);  // ptep_clear_flush
  src = Pte{};
  if (c.policy.move_recheck_pin && c.s.frames[pfn].pincount > 0) {
    src = orig;
    th.failed = true;
    c.label(step<kSteps, "uffdio_move.ebusy_pinned">());
    MM_SAY(c, "SRC cleared and flushed; folio got pinned from under us: SRC restored, -EBUSY");
    return;
  }
  Pte fresh{};
  fresh.present = true;
  fresh.pfn = static_cast<std::uint8_t>(pfn);
  fresh.write = true;  // pte_mkwrite: validate_move_areas() wants VM_WRITE
  fresh.dirty = true;
  fresh.soft_dirty = c.policy.move_sets_soft_dirty;
  dst = fresh;
  move_ghost(c);
  c.label(step<kSteps, "uffdio_move.move">());
  MM_SAY(c, "SRC cleared and flushed%s; DST maps frame %d: %s",
         c.policy.move_recheck_pin ? ", still unpinned" : " (no pin re-check)", pfn,
         pte_text(fresh).c_str());
}

void step_uffdio_move(Ctx& c) {
  ThreadState& th = c.th();
  switch (th.phase) {
    case kMoveLock:
      c.mmap_read_lock(step<kSteps, "uffdio_move.mmap_read_lock">(), kMoveCheck);
      return;
    case kMoveCheck:
      return check(c);
    case kMoveMove:
      return move(c);
    default:
      c.m().readers--;
      c.label(step<kSteps, "uffdio_move.mmap_read_unlock">());
      MM_SAY(c, "mmap_lock released%s", th.failed ? "; the move failed" : "");
      c.finish_op();
      return;
  }
}

// The folio reference from the check to the move.
void move_references(const ThreadState& th, FrameCounts& refs) {
  if (th.phase == kMoveMove) refs[th.old_pfn]++;
}

void move_footprint(const FootprintScope& x, const Op& op, Footprint& f) {
  using namespace res;
  std::uint64_t both = pte(x.mm, op.page) | pte(x.mm, op.src);
  f.read = lock_writer(x.mm) | vma(x.mm) | both | kFrames | kHandles | x.ghost;
  f.write = both | kFrames | x.cpus | x.ghost;
  f.inc = lock_readers(x.mm);
  // SRC is cleared with its flush in the same step (or restored after it), DST goes from none to
  // present: TLB-clean is kept, so no tlb_dirtying.
}

std::optional<LocalStep> move_local_step(const LocalScope& x) {
  if (x.phase != kMoveLock && x.phase != kMoveUnlock) return std::nullopt;
  LocalStep out;
  out.footprint.read = x.phase == kMoveLock ? res::lock_writer(x.mm) : 0;
  out.footprint.inc = res::lock_readers(x.mm);
  return out;
}

std::optional<std::string> move_unsupported(const Scenario& sc, const Policy& policy,
                                            const Op& op) {
  if (!policy.uffdio_move)
    return std::string("UFFDIO_MOVE does not exist on this kernel (6.8+, uffdio_move)");
  if (!is_private(sc, op.page) || !is_private(sc, op.src))
    return std::string(
        "UFFDIO_MOVE moves anonymous pages only (validate_move_areas: -EINVAL on every kernel)");
  return std::nullopt;
}

}  // namespace

const OpDescriptor kUffdioMoveOp{.kind = OpKind::UffdioMove,
                                 .names = {"uffdio_move"},
                                 .fields = {"addr", "src"},
                                 .steps = step_vector(kSteps),
                                 .step = step_uffdio_move,
                                 .entry_lock = read_lock,
                                 .footprint = move_footprint,
                                 .local_step = move_local_step,
                                 .unsupported = move_unsupported,
                                 .held_references = move_references};

}  // namespace mmcheck::vm
