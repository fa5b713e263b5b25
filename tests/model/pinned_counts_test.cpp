// Golden figures, as Storm and Stateright pin them: the exact state and transition counts of
// every race scenario, on linux 6.2 and on latest (6.18), where every race is fixed, so the
// whole graph is explored, with partial-order reduction off and on, and on the scenario's own
// kernel (where most violate, so the count is the search up to the shortest counterexample). A
// changed count with an unchanged verdict is a change of the model's semantics or a reduction
// regression, and must be explained, not re-pinned silently. The same with 1 and 2 search threads.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "invariants/checker.hpp"
#include "models/scenario.hpp"
#include "tools/run/run.hpp"

namespace {

struct Pinned {
  const char* scenario;
  const char* kernel;
  const char* verdict;
  std::uint64_t states, transitions;  // partial-order reduction off
  std::uint64_t reduced_states, reduced_transitions;
};

// Revision 2 changed these counts, every verdict unchanged:
// - change_prot_flush: up to 5.18 mprotect and UFFDIO_WRITEPROTECT flush whenever a present PTE
//   was visited (a flush step more where the PTE did not change: pin-mprotect-ro-rw-write-cow,
//   pin-mprotect-clear-refs-write-cow, ro-pin-exclusive-readonly-pte-cow on 5.10; fewer stale
//   TLB states in uffd-wp-protect-unprotect-cow-stale-tlb on 5.10). From 5.19 a PTE whose only
//   change is a software bit (uffd_wp) asks no flush (uffd-wp-anon-protect-sound,
//   uffd-wp-shmem-mprotect-writable and uffd-wp-protect-unprotect-cow-stale-tlb on latest).
// - The ghost state of soft_dirty_sound and uffd_wp_sound is kept only when that invariant is
//   checked (clear-refs-no-flush-lost-write-until-pae, clear-refs-soft-dirty-lost-write,
//   odirect-get-clear-refs-lost-dma and uffd-wp-protect-unprotect-cow-stale-tlb check
//   no_lost_write only: their states no longer split on it).
// The second wave's presets (6.3 .. 6.18) moved "latest" from linux-6.2 to linux-6.18: the
// rows pinned as "latest" before are the linux-6.2 rows now, unchanged; the latest rows below
// are new. They differ from 6.2 where a rule of 6.3+ reaches the scenario: un-protect maps a
// PTE writable (uffd_unwp_try_writable: the uffd-wp scenarios), faults take the VMA lock and
// writers write-lock VMAs (fault_lock, clear_refs_lock=write+vma: more interleavings of the
// clear_refs and uffd-wp scenarios). A read fault's frame is the zero page for
// can_change_pte_writable() (Frame::zero), which changed no count of 6.2 or before.
// NUMA hinting (numa_scan, the hinting fault) and migration added the numa-* rows and changed no
// other count. UFFDIO_MOVE and GUP-fast (uffdio_move, pin_fast; 6.8) added the uffdio-move-* rows
// and changed no other count (their presets' only new policy, uffdio_move, is false before 6.8).
// The uffd features WP_UNPOPULATED and WP_ASYNC, PAGEMAP_SCAN and its 6.7-6.8 stale
// commit added the uffd-wp-unpopulated-anon and pagemap-scan-* rows and changed no other count.
const std::vector<Pinned> kPinned = {
    {"clear-refs-no-flush-lost-write-until-pae", "latest", "holds", 28, 44, 28, 43},
    {"clear-refs-no-flush-soft-dirty-missed", "latest", "holds", 38, 50, 36, 42},
    {"clear-refs-pinned-page-cow", "latest", "holds", 18, 25, 18, 23},
    {"clear-refs-soft-dirty-lost-write", "latest", "holds", 79, 125, 75, 104},
    {"clear-refs-vma-lock-fault", "latest", "holds", 79, 125, 75, 104},
    {"cow-after-fork-child-writes", "latest", "holds", 22, 29, 22, 27},
    {"cow-after-fork-mprotect-upgrade", "latest", "holds", 46, 71, 46, 67},
    {"cow-after-fork-parent-writes", "latest", "holds", 22, 29, 22, 27},
    {"fork-vma-lock-fault-stale-tlb", "latest", "holds", 205, 413, 201, 351},
    {"odirect-get-clear-refs-lost-dma", "latest", "holds", 66, 122, 66, 102},
    {"pin-fork-parent-write-cow", "latest", "holds", 10, 11, 10, 11},
    {"pin-mprotect-clear-refs-write-cow", "latest", "holds", 40, 58, 40, 54},
    {"pin-mprotect-ro-rw-write-cow", "latest", "holds", 22, 31, 22, 31},
    {"ro-pin-exclusive-readonly-pte-cow", "latest", "holds", 23, 22, 23, 22},
    {"ro-pin-previously-shared-unshare", "latest", "holds", 12, 11, 12, 11},
    {"ro-pin-shared-after-fork-cow", "latest", "holds", 28, 40, 27, 35},
    {"uffd-wp-anon-protect-sound", "latest", "holds", 70, 110, 52, 62},
    {"uffd-wp-protect-unprotect-cow-stale-tlb", "latest", "holds", 5168, 16295, 3441, 6740},
    {"uffd-wp-shmem-mprotect-writable", "latest", "holds", 49, 75, 43, 52},
    {"uffd-wp-unprotect-cow-stale-tlb", "latest", "holds", 24, 44, 24, 36},
    {"vmsplice-after-fork-parent-unmap-wrong-way-cow", "latest", "holds", 72, 127, 63, 92},
    {"vmsplice-before-fork-parent-unmap-wrong-way-cow", "latest", "holds", 48, 82, 48, 72},
    {"vmsplice-child-unmap-wrong-way-cow", "latest", "holds", 72, 127, 63, 92},
    {"fork-vma-lock-fault-stale-tlb", "linux-6.4", "violation", 33, 48, 33, 48},
    {"clear-refs-vma-lock-fault", "linux-6.4", "holds", 158, 323, 128, 222},
    {"clear-refs-no-flush-lost-write-until-pae", "linux-6.2", "holds", 28, 44, 28, 42},
    {"clear-refs-no-flush-soft-dirty-missed", "linux-6.2", "holds", 38, 50, 36, 42},
    {"clear-refs-pinned-page-cow", "linux-6.2", "holds", 18, 25, 18, 23},
    {"clear-refs-soft-dirty-lost-write", "linux-6.2", "holds", 79, 125, 69, 91},
    {"cow-after-fork-child-writes", "linux-6.2", "holds", 22, 29, 22, 27},
    {"cow-after-fork-mprotect-upgrade", "linux-6.2", "holds", 46, 71, 46, 67},
    {"cow-after-fork-parent-writes", "linux-6.2", "holds", 22, 29, 22, 27},
    {"odirect-get-clear-refs-lost-dma", "linux-6.2", "holds", 66, 122, 66, 102},
    {"pin-fork-parent-write-cow", "linux-6.2", "holds", 10, 11, 10, 11},
    {"pin-mprotect-clear-refs-write-cow", "linux-6.2", "holds", 40, 58, 40, 54},
    {"pin-mprotect-ro-rw-write-cow", "linux-6.2", "holds", 22, 31, 22, 31},
    {"ro-pin-exclusive-readonly-pte-cow", "linux-6.2", "holds", 23, 22, 23, 22},
    {"ro-pin-previously-shared-unshare", "linux-6.2", "holds", 12, 11, 12, 11},
    {"ro-pin-shared-after-fork-cow", "linux-6.2", "holds", 28, 40, 27, 35},
    {"uffd-wp-anon-protect-sound", "linux-6.2", "holds", 65, 101, 52, 62},
    {"uffd-wp-protect-unprotect-cow-stale-tlb", "linux-6.2", "holds", 7365, 23206, 3419, 5919},
    {"uffd-wp-shmem-mprotect-writable", "linux-6.2", "holds", 63, 92, 50, 57},
    {"uffd-wp-unprotect-cow-stale-tlb", "linux-6.2", "holds", 161, 328, 78, 96},
    {"vmsplice-after-fork-parent-unmap-wrong-way-cow", "linux-6.2", "holds", 72, 127, 63, 92},
    {"vmsplice-before-fork-parent-unmap-wrong-way-cow", "linux-6.2", "holds", 48, 82, 48, 72},
    {"vmsplice-child-unmap-wrong-way-cow", "linux-6.2", "holds", 72, 127, 63, 92},
    {"clear-refs-no-flush-lost-write-until-pae", "linux-5.12", "violation", 39, 55, 39, 55},
    {"clear-refs-no-flush-soft-dirty-missed", "linux-5.10", "violation", 12, 14, 12, 14},
    {"clear-refs-pinned-page-cow", "linux-5.10", "violation", 21, 27, 21, 27},
    {"clear-refs-soft-dirty-lost-write", "linux-5.10", "violation", 58, 97, 58, 97},
    {"odirect-get-clear-refs-lost-dma", "linux-5.12", "violation", 83, 144, 83, 144},
    {"pin-fork-parent-write-cow", "linux-5.8", "violation", 14, 18, 14, 18},
    {"pin-mprotect-clear-refs-write-cow", "linux-5.10", "violation", 37, 51, 37, 51},
    {"pin-mprotect-ro-rw-write-cow", "linux-5.10", "violation", 31, 42, 31, 42},
    {"ro-pin-exclusive-readonly-pte-cow", "linux-5.10", "violation", 22, 22, 22, 22},
    {"ro-pin-previously-shared-unshare", "linux-5.10", "violation", 11, 11, 11, 11},
    {"ro-pin-shared-after-fork-cow", "linux-5.10", "violation", 22, 32, 22, 32},
    {"uffd-wp-protect-unprotect-cow-stale-tlb", "linux-5.10", "violation", 16736, 51195, 16736,
     51195},
    {"uffd-wp-shmem-mprotect-writable", "linux-6.1", "violation", 11, 11, 11, 11},
    {"uffd-wp-unprotect-cow-stale-tlb", "linux-5.10", "violation", 309, 610, 309, 610},
    {"vmsplice-after-fork-parent-unmap-wrong-way-cow", "linux-5.7", "violation", 81, 138, 81, 138},
    {"vmsplice-before-fork-parent-unmap-wrong-way-cow", "linux-5.8", "violation", 57, 93, 57, 93},
    {"vmsplice-child-unmap-wrong-way-cow", "linux-5.7", "violation", 81, 138, 81, 138},
    {"numa-hint-no-copy-under-stale-entry", "latest", "holds", 1724, 4448, 940, 1520},
    {"numa-hint-no-copy-under-stale-entry", "linux-6.1", "holds", 1724, 4448, 880, 1340},
    {"uffdio-continue-minor-shmem", "latest", "holds", 50, 85, 40, 59},
    {"uffdio-continue-minor-shmem", "linux-6.1", "holds", 50, 85, 40, 59},
    {"uffdio-continue-private-shmem", "latest", "holds", 186, 351, 186, 349},
    {"uffdio-continue-private-shmem", "linux-6.2", "holds", 184, 348, 184, 345},
    {"uffdio-continue-private-shmem", "linux-6.1", "holds", 184, 348, 184, 345},
    {"uffdio-continue-private-shmem", "linux-5.18", "holds", 196, 374, 196, 371},
    {"uffdio-copy-vs-uffd-wp", "latest", "holds", 442, 1044, 348, 585},
    {"uffdio-copy-vs-uffd-wp", "linux-6.1", "holds", 394, 908, 287, 451},
    {"numa-hint-migrate-stale-tlb", "latest", "holds", 689, 1553, 601, 966},
    {"numa-hint-migrate-stale-tlb", "linux-6.1", "holds", 447, 1000, 359, 557},
    {"numa-migrate-stale-tlb", "latest", "holds", 444, 1001, 336, 543},
    {"numa-migrate-stale-tlb", "linux-6.1", "holds", 394, 878, 286, 453},
    {"numa-restore-soft-dirty", "latest", "holds", 162, 345, 108, 145},
    {"numa-restore-soft-dirty", "linux-6.1", "holds", 162, 345, 108, 145},
    {"numa-restore-uffd-wp-shmem", "latest", "holds", 534, 1311, 347, 543},
    {"numa-restore-uffd-wp-shmem", "linux-6.1", "violation", 190, 374, 190, 374},
    {"uffdio-move-pin-fast", "latest", "holds", 31, 42, 23, 24},
    {"uffdio-move-pin-fast", "linux-6.8", "holds", 31, 42, 23, 24},
    {"uffdio-move-pin-fast-no-recheck", "latest", "violation", 41, 55, 41, 55},
    {"uffdio-move-soft-dirty", "latest", "holds", 12, 11, 12, 11},
    {"uffdio-move-soft-dirty", "linux-6.8", "holds", 12, 11, 12, 11},
    {"uffd-wp-unpopulated-anon", "latest", "holds", 129, 221, 104, 132},
    {"uffd-wp-unpopulated-anon", "linux-6.4", "holds", 125, 214, 103, 131},
    {"pagemap-scan-wp-async", "latest", "holds", 44, 68, 39, 46},
    {"pagemap-scan-wp-async", "linux-6.8", "holds", 46, 71, 41, 49},
    {"pagemap-scan-lost-dirty", "latest", "holds", 20, 26, 13, 12},
    {"pagemap-scan-lost-dirty", "linux-6.8", "violation", 11, 12, 11, 12},
};

mmcheck::cli::RunOutcome run(const mmcheck::vm::Scenario& sc, const char* kernel, bool por,
                             unsigned threads) {
  mmcheck::cli::RunConfig config;
  config.kernel = kernel;
  config.search.reduce = por;
  config.search.threads = threads;
  return mmcheck::cli::run_scenario(sc, config);
}

}  // namespace

TEST_CASE("Every race scenario explores exactly its pinned number of states", "[pinned]") {
  for (const Pinned& p : kPinned) {
    auto sc = mmcheck::vm::load_scenario(std::string(MMCHECK_SOURCE_DIR "/scenarios/") +
                                         p.scenario + ".json");
    for (unsigned threads : {1u, 2u}) {
      INFO(p.scenario << " on " << p.kernel << ", " << threads << " thread(s)");
      auto full = run(sc, p.kernel, false, threads);
      CHECK(std::string(mmcheck::cli::outcome_name(full.verdict)) == p.verdict);
      CHECK(full.stats.states == p.states);
      CHECK(full.stats.transitions == p.transitions);
      auto reduced = run(sc, p.kernel, true, threads);
      CHECK(std::string(mmcheck::cli::outcome_name(reduced.verdict)) == p.verdict);
      CHECK(reduced.stats.states == p.reduced_states);
      CHECK(reduced.stats.transitions == p.reduced_transitions);
    }
  }
}
