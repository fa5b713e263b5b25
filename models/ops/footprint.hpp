// The resources a step reads, writes or increments, as bits, for the partial-order reduction
// (models/por.cpp says why the reduction is sound); each op's descriptor gives its footprint in
// these terms.
#pragma once

#include <cstdint>

#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/state.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace res {
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
// The layout holds every process's pages and every thread's TLB.
static_assert(12 + kMaxProcesses * kMaxPages <= 44 && 44 + kMaxThreads <= 52 &&
                  56 + kMaxProcesses <= 60,
              "the resource bits of the partial-order reduction overlap");

inline std::uint64_t ptes(int mm, int first, int count) {
  std::uint64_t out = 0;
  for (int p = first; p < first + count; ++p) out |= pte(mm, p);
  return out;
}
inline std::uint64_t all_ptes() {
  return ((std::uint64_t{1} << (kMaxProcesses * kMaxPages)) - 1) << 12;
}
}  // namespace res

// What an op's footprint is computed from: the thread's process and its neighbourhood.
struct FootprintScope {
  int mm;               // the thread's process
  std::uint64_t cpus;   // the TLBs of the process's CPUs
  std::uint64_t range;  // the PTEs of the op's range
  std::uint64_t own;    // every PTE of the process
  std::uint64_t ghost;  // the ghost parts the checked invariants read
  const Policy& policy;
  bool migrates = false;  // a NUMA hinting fault may migrate (a region is "misplaced")
};

// What a migration's rmap walk may touch: every mm's PTEs, VMA flags and tlb_flush_pending (its
// pte_accessible() test), and every CPU's TLB (models/ops/migrate.cpp).
void migration_footprint(Footprint& f);

// A thread's next step when it may be explored alone: taking or releasing mmap_lock for read,
// or raising or lowering tlb_flush_pending (`moves_pending`).
struct LocalStep {
  Footprint footprint;
  bool moves_pending = false;
};

struct LocalScope {
  const VmModel& model;
  const State& s;
  int thread;
  int mm;
  const Op& op;
  std::uint8_t phase;
};

// The fault handler's lock steps, which read/write and GUP share (models/ops/fault.cpp).
std::optional<LocalStep> fault_local_step(const LocalScope& scope);

}  // namespace mmcheck::vm
