// Partial-order reduction for the VM model: an ample set of one step.
//
// Every step's footprint is a set of resources it reads, writes or increments (mmap_lock's
// writer flag and reader count, tlb_flush_pending, each PTE with its VMA flags, each CPU's TLB,
// the frames, the handles, the ghost state). Increments of a counter commute with each other.
// In a state, a thread's next step may be explored alone when
//   - it conflicts with no step that any other thread can still take (over-approximated by the
//     union of the footprints of every op left in their programs, the current one included):
//     so no path can reorder a dependent step before it, and it stays enabled (C1);
//   - it changes nothing an invariant reads (C2): the steps offered here only move lock
//     counters and the thread's own position;
//   - the state graph is acyclic (every op ends; a retry needs another thread's PTE change),
//     so the cycle proviso (C3) holds.
// Such a reduced graph keeps every terminal state and every reachable violation; the engine
// searches a found violation again without reduction for the shortest counterexample.
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
      break;
    case OpKind::Pagemap:
      f.read = vmas | range | ghost;
      break;
    case OpKind::UffdWp:
    case OpKind::UffdUnwp:
      f.read = read_lock_r | vmas | range | ghost;
      f.write = range | cpus | ghost;
      f.inc = lock_readers(m) | pending(m);
      break;
    case OpKind::ClearRefs:
      f.read = lock_writer(m) | lock_readers(m) | vmas | own | kFrames | kHandles | ghost;
      f.write = vmas | own | cpus | ghost |
                (policy_.clear_refs_lock == ClearRefsLock::Write ? lock_writer(m) : 0);
      f.inc = pending(m) | (policy_.clear_refs_lock == ClearRefsLock::Read ? lock_readers(m) : 0);
      break;
    case OpKind::UffdRegister:
    case OpKind::Mprotect:
    case OpKind::Munmap:
    case OpKind::Exit:
      f.read = lock_writer(m) | lock_readers(m) | vmas | own | kFrames | kHandles | ghost;
      f.write = lock_writer(m) | vmas | own | cpus | kFrames | ghost;
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

// The footprint of a thread's next step, for the steps that can be explored alone: taking or
// releasing mmap_lock for read, and raising or lowering tlb_flush_pending.
std::optional<Footprint> local_step(const VmModel& model, const State& s, int t) {
  const Op* op = model.current_op(s, t);
  if (op == nullptr) return std::nullopt;
  int m = model.scenario().threads[t].process;
  std::uint8_t phase = s.threads[t].phase;
  Footprint f;
  bool access = op->kind == OpKind::Read || op->kind == OpKind::Write;
  bool gup = op->kind == OpKind::Pin || op->kind == OpKind::Get;
  if ((access || gup) && phase >= kFaultLock) {
    if (phase == kFaultLock) {
      f.read = lock_writer(m);
      f.inc = lock_readers(m);
      return f;
    }
    if (phase == kFaultUnlock || phase == kFaultUserfault) {
      f.inc = lock_readers(m);
      return f;
    }
    return std::nullopt;
  }
  if (gup && (phase == kGupLock || phase == kGupUnlock)) {
    f.read = phase == kGupLock ? lock_writer(m) : 0;
    f.inc = lock_readers(m);
    return f;
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
    return f;
  }
  if ((uffd && (phase == kUffdInc || phase == kUffdDec)) ||
      (op->kind == OpKind::ClearRefs && (phase == kClearRefsInc || phase == kClearRefsDec))) {
    f.inc = pending(m);
    return f;
  }
  return std::nullopt;
}

}  // namespace

void VmModel::reduce(const State& s, std::vector<Action>& actions) const {
  for (Action a : actions) {
    std::optional<Footprint> step = local_step(*this, s, a);
    if (!step) continue;
    bool independent = true;
    for (int u = 0; u < shape_.threads && independent; ++u) {
      if (u == a) continue;
      if (step->conflicts(future_[u][s.threads[u].pc])) independent = false;
    }
    if (independent) {
      actions.assign(1, a);
      return;
    }
  }
}

}  // namespace mmcheck::vm
