// Partial-order reduction for the VM model: an ample set of one step.
//
// Every step's footprint is a set of resources it reads, writes or increments (mmap_lock's
// writer flag and reader count, tlb_flush_pending, each PTE with its VMA flags, each CPU's TLB,
// the frames, the handles, the ghost state). Increments of a counter commute with each other.
// In a state s, a thread t's next step a may be explored alone when
//   - (C1) no step that another thread can take from a state reachable from s without t moving
//     depends on a: such a step b commutes with a (both orders reach the same state, neither
//     disables the other, and b reads nothing a writes, so b has the same kernel step name and
//     the same violation either way). Over-approximated by the union of the footprints of
//     every op left in the other threads' programs, the current one included, with one
//     refinement for tlb_flush_pending below. So no path from s reorders a dependent step
//     before a, and a stays enabled until t moves;
//   - (C2) a changes nothing an invariant reads: the steps offered here only move lock
//     counters, tlb_flush_pending, the uffd-wp ghost (only the stores' check reads it, which
//     the footprints cover) and the thread's own position;
//   - (C3) the state graph is acyclic (every op ends; a retry needs another thread's PTE
//     change), so every path is finite and the cycle proviso holds.
// Why that keeps what the verdicts depend on, by induction on the longest path from s: every
// maximal path from s in the full graph ends in a terminal state, and a is on it (a stays
// enabled, so no terminal state before a is reached). Moving a to the front gives a path of the
// same steps, each taken from a state that differs only in what a wrote, which does not change
// what it does (C1): same kernel step names, same step violations, same terminal state. The states
// passed differ only in what a wrote, which no invariant reads (C2): same state violations. And the
// moved path's tail starts in a's successor, which the reduced graph explores. So the reduced
// graph reaches every terminal state (hence every deadlock and every end-of-run violation),
// every kernel step and every violation of the full graph; tests/model/por_test.cpp walks both
// graphs and compares them. The engine searches a found violation again without reduction for
// the shortest counterexample.
//
// tlb_flush_pending. The only read of the counter is a store fault's test at its PTL step
// under uffd_wp_pending_flush (models/ops/fault.cpp): the PTE is present and not writable there
// (else the fault is spurious or maps a page), and pending > 0 makes it flush the page's TLB
// entries on every CPU of the mm. Call a page of an mm TLB-clean when its PTE is present and
// writable, or every CPU of the mm has an empty TLB entry for it. At a test on a TLB-clean
// page the flush changes nothing, so the test's outcome is invisible: a step that only moves
// the counter commutes with it. TLB-clean is kept by every step except the `tlb_dirtying`
// ones of the footprints: a PTE write that does not flush first (the uffd_wp/uffd_unwp,
// clear_refs, mprotect, munmap, exit and fork walks; uffd_register too, generously) and a load's
// walk, which fills the TLB from a read-only PTE. The others keep it: a store's walk needs a
// writable PTE; a fault maps a none PTE (whose entries were empty), upgrades a PTE to writable,
// or installs a copy after flushing the page; an access fault empties the CPU's own entry; GUP
// and the handle ops touch no PTE or TLB. So a step of t that moves tlb_flush_pending of mm m
// satisfies C1 when, besides conflicting with nothing else of the other threads' futures,
// every page of m they may test (`flush_test`) is TLB-clean in s and no other thread's future
// can make it TLB-dirty: then it stays TLB-clean in every state reachable without t moving.
#include <optional>

#include "models/ops/context.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

constexpr std::uint64_t bit(int n) { return std::uint64_t{1} << n; }
constexpr std::uint64_t lock_writer(int mm) { return bit(mm); }
constexpr std::uint64_t lock_readers(int mm) { return bit(4 + mm); }
constexpr std::uint64_t pending(int mm) { return bit(8 + mm); }
constexpr std::uint64_t pte(int mm, int page) { return bit(12 + mm * 8 + page); }
constexpr std::uint64_t tlb(int thread) { return bit(44 + thread); }
constexpr std::uint64_t kFrames = bit(52);
constexpr std::uint64_t kHandles = bit(53);  // handles, pincounts' owners, has_pinned
constexpr std::uint64_t kGhost = bit(54);    // the data ghost: last values, cross-mm values
constexpr std::uint64_t kLife = bit(55);     // which mms exist and run
constexpr std::uint64_t vma(int mm) { return bit(56 + mm); }  // VMA flags (vm_page_prot)
constexpr std::uint64_t kGhostWp = bit(60);  // uffd-wp protection ghost (uffd_wp_sound)
constexpr std::uint64_t kGhostSd = bit(61);  // soft-dirty ghost (soft_dirty_sound)
constexpr std::uint64_t kEverything = ~std::uint64_t{0};

std::uint64_t ptes(int mm, int first, int count) {
  std::uint64_t out = 0;
  for (int p = first; p < first + count; ++p) out |= pte(mm, p);
  return out;
}
std::uint64_t all_ptes() { return ((std::uint64_t{1} << 32) - 1) << 12; }

}  // namespace

bool Footprint::conflicts(const Footprint& o) const {
  return (write & (o.read | o.write | o.inc)) || (read & (o.write | o.inc)) ||
         (inc & (o.read | o.write));
}

void Footprint::add(const Footprint& o) {
  read |= o.read;
  write |= o.write;
  inc |= o.inc;
  flush_test |= o.flush_test;
  tlb_dirtying |= o.tlb_dirtying;
}

// The union of the footprints of every step an op can take (generous where in doubt).
Footprint VmModel::op_footprint(int thread, const Op& op) const {
  const Scenario& sc = scenario_;
  int m = sc.threads[thread].process;
  std::uint64_t cpus = 0;
  for (int t = 0; t < shape_.threads; ++t)
    if (sc.threads[t].process == m) cpus |= tlb(t);
  std::uint64_t range = ptes(m, op.page, op.pages);
  std::uint64_t own = ptes(m, 0, shape_.pages);
  std::uint64_t read_lock_r = lock_writer(m);
  // The ghost parts only matter to the invariants that read them.
  std::uint64_t ghost = kGhost | (checks(Invariant::UffdWpSound) ? kGhostWp : 0) |
                        (checks(Invariant::SoftDirtySound) ? kGhostSd : 0);
  std::uint64_t vmas = vma(m);
  Footprint f;
  switch (op.kind) {
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Pin:
    case OpKind::Get:
      f.read = read_lock_r | vmas | range | cpus | kFrames | kHandles | ghost |
               (policy_.uffd_wp_pending_flush ? pending(m) : 0);
      f.write = range | cpus | kFrames | kHandles | ghost;
      f.inc = lock_readers(m);
      // A store fault (a write, or GUP's faultin for a write pin) may test tlb_flush_pending;
      // a load's walk fills the TLB from a read-only PTE. GUP fills no TLB, and a fault's PTE
      // changes keep every page TLB-clean (none -> present, an upgrade, or an install after
      // a flush).
      f.flush_test = op.kind != OpKind::Read && policy_.uffd_wp_pending_flush ? range : 0;
      f.tlb_dirtying = op.kind == OpKind::Read ? range : 0;
      break;
    case OpKind::Pagemap:
      f.read = vmas | range | ghost;
      break;
    case OpKind::UffdWp:
    case OpKind::UffdUnwp:
      f.read = read_lock_r | vmas | range | ghost;
      f.write = range | cpus | ghost;
      f.inc = lock_readers(m) | pending(m);
      f.tlb_dirtying = range;  // demotes PTEs and flushes later
      break;
    case OpKind::ClearRefs:
      f.read = lock_writer(m) | lock_readers(m) | vmas | own | kFrames | kHandles | ghost;
      f.write = vmas | own | cpus | ghost |
                (policy_.clear_refs_lock == ClearRefsLock::Write ? lock_writer(m) : 0);
      f.inc = pending(m) | (policy_.clear_refs_lock == ClearRefsLock::Read ? lock_readers(m) : 0);
      f.tlb_dirtying = own;
      break;
    case OpKind::UffdRegister:
    case OpKind::Mprotect:
    case OpKind::Munmap:
    case OpKind::Exit:
      f.read = lock_writer(m) | lock_readers(m) | vmas | own | kFrames | kHandles | ghost;
      f.write = lock_writer(m) | vmas | own | cpus | kFrames | ghost;
      f.tlb_dirtying = own;
      break;
    case OpKind::Unpin:
    case OpKind::Put:
    case OpKind::PinRead:
    case OpKind::PinWrite:
    case OpKind::ExtraRef:
    case OpKind::DropRef:
      f.read = all_ptes() | kFrames | kHandles | ghost;
      f.write = kFrames | kHandles | ghost;
      break;
    case OpKind::Fork:
      f.read = f.write = kEverything;
      f.flush_test = f.tlb_dirtying = all_ptes();
      break;
  }
  f.read |= kLife;  // whether the thread runs at all
  return f;
}

void VmModel::build_reduction_tables() {
  future_.assign(shape_.threads, {});
  for (int t = 0; t < shape_.threads; ++t) {
    const auto& ops = scenario_.threads[t].ops;
    future_[t].assign(ops.size() + 1, Footprint{});
    for (int pc = static_cast<int>(ops.size()) - 1; pc >= 0; --pc) {
      future_[t][pc] = future_[t][pc + 1];
      future_[t][pc].add(op_footprint(t, ops[pc]));
    }
  }
}

namespace {

// A thread's next step when it is one that can be explored alone: taking or releasing
// mmap_lock for read, or raising or lowering tlb_flush_pending (`moves_pending`).
struct LocalStep {
  Footprint footprint;
  bool moves_pending = false;
};

std::optional<LocalStep> local_step(const VmModel& model, const State& s, int t) {
  const Op* op = model.current_op(s, t);
  if (op == nullptr) return std::nullopt;
  int m = model.scenario().threads[t].process;
  std::uint8_t phase = s.threads[t].phase;
  LocalStep out;
  Footprint& f = out.footprint;
  bool access = op->kind == OpKind::Read || op->kind == OpKind::Write;
  bool gup = op->kind == OpKind::Pin || op->kind == OpKind::Get;
  if ((access || gup) && phase >= kFaultLock) {
    if (phase == kFaultLock) {
      f.read = lock_writer(m);
      f.inc = lock_readers(m);
      return out;
    }
    if (phase == kFaultUnlock || phase == kFaultUserfault) {
      f.inc = lock_readers(m);
      return out;
    }
    return std::nullopt;
  }
  if (gup && (phase == kGupLock || phase == kGupUnlock)) {
    f.read = phase == kGupLock ? lock_writer(m) : 0;
    f.inc = lock_readers(m);
    return out;
  }
  bool uffd = op->kind == OpKind::UffdWp || op->kind == OpKind::UffdUnwp;
  if (uffd && (phase == kUffdLock || phase == kUffdUnlock)) {
    // Takes or drops mmap_lock for read, reads the VMA flags (is the range registered?), and
    // moves the protection ghost: an unprotect starts at its lock, a protect ends at its unlock.
    bool moves_ghost = model.checks(Invariant::UffdWpSound) &&
                       ((op->kind == OpKind::UffdUnwp) == (phase == kUffdLock));
    f.read = phase == kUffdLock ? (lock_writer(m) | vma(m)) : 0;
    f.write = moves_ghost ? kGhostWp : 0;
    f.inc = lock_readers(m);
    return out;
  }
  if ((uffd && (phase == kUffdInc || phase == kUffdDec)) ||
      (op->kind == OpKind::ClearRefs && (phase == kClearRefsInc || phase == kClearRefsDec))) {
    f.inc = pending(m);
    out.moves_pending = true;
    return out;
  }
  return std::nullopt;
}

// Whether page `page` of mm `m` is TLB-clean: its PTE is present and writable, or every CPU of
// the mm has an empty TLB entry for it (the flush of a store fault's pending test changes
// nothing then).
bool tlb_clean(const VmModel& model, const State& s, int m, int page) {
  const Pte& pte = s.mm[m].pte[page];
  if (pte.present && pte.write) return true;
  for (int t = 0; t < model.shape().threads; ++t)
    if (model.scenario().threads[t].process == m && !(s.tlb[t][page] == TlbEntry{})) return false;
  return true;
}

}  // namespace

void VmModel::reduce(const State& s, std::vector<Action>& actions) const {
  for (Action a : actions) {
    std::optional<LocalStep> step = local_step(*this, s, a);
    if (!step) continue;
    int m = scenario_.threads[a].process;
    // A step that moves tlb_flush_pending commutes with the other threads' pending tests when
    // every page they may test stays TLB-clean (the header's argument); their other reads of
    // the counter are those tests.
    std::uint64_t ignored = step->moves_pending ? pending(m) : 0;
    std::uint64_t tested = 0, dirtying = 0;
    bool independent = true;
    for (int u = 0; u < shape_.threads && independent; ++u) {
      if (u == a) continue;
      Footprint future = future_[u][s.threads[u].pc];
      future.read &= ~ignored;
      if (step->footprint.conflicts(future)) independent = false;
      tested |= future.flush_test;
      dirtying |= future.tlb_dirtying;
    }
    if (independent && step->moves_pending) {
      tested &= ptes(m, 0, kMaxPages);
      if (tested & dirtying) independent = false;
      for (int p = 0; p < shape_.pages && independent; ++p)
        if ((tested & pte(m, p)) && !tlb_clean(*this, s, m, p)) independent = false;
    }
    if (independent) {
      actions.assign(1, a);
      return;
    }
  }
}

}  // namespace mmcheck::vm
