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
// Per-VMA locks (fault_lock, 6.4+). A fault's lock step reads the VMA flags of its mm (whether
// its VMA qualifies, has an anon_vma, is write-locked) besides mmap_lock's writer flag, and takes
// a read lock that, like mmap_lock's, only counts: it is an increment of the mm's readers
// resource, which every op under mmap_lock write reads (its entry waits for mmap_lock's and the
// VMAs' readers), and its unlock the matching decrement. The ops that write-lock VMAs write the
// mm's VMA flags (they set and clear `wlocked`); a fault writes them too when it gives its VMA
// an anon_vma. No VMA-lock step touches a PTE or a TLB, so the TLB-clean argument below is
// unchanged, and none changes what an invariant reads (C2).
//
// Private shmem views (a region with "private"). Their faults and UFFDIO_CONTINUE read the
// page cache of the file they map, a slot another region's pages index (kFrames covers the page
// cache with the frames), and write only their own PTE, frames and ghost: the footprints of
// read/write and uffdio_continue already say so. do_read_fault.map and do_cow_fault.copy map a
// none PTE (TLB-clean kept), and the copy of the cache's page installs after its flush as every
// wp_page_copy does.
//
// tlb_flush_pending. The counter is read by two tests: a store fault's at its PTL step under
// uffd_wp_pending_flush (models/ops/fault.cpp), where the PTE is present and not writable
// (else the fault is spurious or maps a page), and migration's ptep_clear_flush() of a protnone
// PTE (models/ops/migrate.cpp, pte_accessible()); pending > 0 makes either flush the page's
// TLB entries on every CPU of the mm. Call a page of an mm TLB-clean when its PTE is present,
// not protnone and writable, or every CPU of the mm has an empty TLB entry for it. At a test on a
// TLB-clean
// page the flush changes nothing, so the test's outcome is invisible: a step that only moves
// the counter commutes with it. TLB-clean is kept by every step except the `tlb_dirtying`
// ones of the footprints: a PTE write that does not flush first (the uffd_wp/uffd_unwp,
// clear_refs, mprotect, munmap, exit, fork, NUMA scan and migration walks; uffd_register too,
// generously) and a load's walk, which fills the TLB from a read-only PTE. The others keep it:
// a store's walk needs a writable PTE; a fault maps a none PTE (whose entries were empty),
// upgrades a PTE to writable, installs a copy after flushing the page, or maps a protnone PTE
// again (a protnone PTE is TLB-clean only with every entry empty, and the hinting fault fills
// none); an access fault empties the CPU's own entry; GUP and the handle ops touch no PTE or
// TLB. So a step of t that moves tlb_flush_pending of mm m
// satisfies C1 when, besides conflicting with nothing else of the other threads' futures,
// every page of m they may test (`flush_test`) is TLB-clean in s and no other thread's future
// can make it TLB-dirty: then it stays TLB-clean in every state reachable without t moving.
#include <algorithm>
#include <optional>

#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

using namespace res;

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

// The union of the footprints of every step an op can take, from its descriptor.
Footprint VmModel::op_footprint(int thread, const Op& op) const {
  int m = scenario_.threads[thread].process;
  std::uint64_t cpus = 0;
  for (int t = 0; t < shape_.threads; ++t)
    if (scenario_.threads[t].process == m) cpus |= tlb(t);
  // The ghost parts only matter to the invariants that read them.
  std::uint64_t ghost = kGhost | (ghost_.wp ? kGhostWp : 0) | (ghost_.soft_dirty ? kGhostSd : 0);
  bool migrates = std::any_of(scenario_.regions.begin(), scenario_.regions.end(),
                              [](const Region& r) { return r.misplaced; });
  FootprintScope scope{
      m, cpus, ptes(m, op.page, op.pages), ptes(m, 0, shape_.pages), ghost, policy_, migrates};
  Footprint f;
  op_descriptor(op.kind).footprint(scope, op, f);
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

// A thread's next step when it is one that can be explored alone (its op's descriptor says).
std::optional<LocalStep> local_step(const VmModel& model, const State& s, int t) {
  const Op* op = model.current_op(s, t);
  if (op == nullptr) return std::nullopt;
  const OpDescriptor& d = op_descriptor(op->kind);
  if (d.local_step == nullptr) return std::nullopt;
  return d.local_step(
      LocalScope{model, s, t, model.scenario().threads[t].process, *op, s.threads[t].phase});
}

// Whether page `page` of mm `m` is TLB-clean: its PTE is present, accessible (not protnone) and
// writable, or every CPU of the mm has an empty TLB entry for it (the flush of a pending test
// changes nothing then).
bool tlb_clean(const VmModel& model, const State& s, int m, int page) {
  const Pte& pte = s.mm[m].pte[page];
  if (pte.present && pte.write && !pte.protnone) return true;
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
