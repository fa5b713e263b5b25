// MADV_DONTNEED (zap_page_range_single under mmap_lock read, with an mmu_gather).
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

TEST_CASE(
    "MADV_DONTNEED clears the PTE, frees the page only after the flush, and a later load "
    "maps a zero page",
    "[madvise]") {
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "madvise_dontneed", "addr": "A"},
                                                       {"op": "read", "addr": "A"}]}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
          "latest");
  int pfn = sim.pte("P", "A").pfn;
  CHECK(sim.step("cpu0") == "madvise_dontneed.mmap_read_lock");
  CHECK(sim.step("cpu0") == "madvise_dontneed.tlb_gather_mmu");
  CHECK(sim.mm("P").tlb_flush_pending == 1);
  CHECK(sim.step("cpu0") == "madvise_dontneed.zap_pte");
  CHECK_FALSE(sim.pte("P", "A").present);
  CHECK(sim.frame(pfn).in_use);                  // gathered, not freed
  CHECK(sim.tlb("cpu0", "A").valid);             // not flushed yet
  CHECK_FALSE(sim.state_violation.has_value());  // the gathered reference is counted
  CHECK(sim.step("cpu0") == "madvise_dontneed.tlb_finish_mmu");
  CHECK_FALSE(sim.tlb("cpu0", "A").valid);
  CHECK_FALSE(sim.frame(pfn).in_use);
  CHECK(sim.mm("P").tlb_flush_pending == 0);
  sim.finish_op("cpu0");
  sim.finish_op("cpu0");
  CHECK(sim.frame_at("P", "A").content[0] == 0);
  CHECK_FALSE(sim.violation.has_value());
}

TEST_CASE(
    "zap_nested_flush (99baac21e458): the second of two MADV_DONTNEED flushes the whole mm "
    "(madvise-dontneed-nested-flush.json)",
    "[madvise][race]") {
  CHECK(run_library("madvise-dontneed-nested-flush", "latest").verdict ==
        mmcheck::cli::Outcome::Holds);
  auto o = run_library("madvise-dontneed-nested-flush", "latest", {{"zap_nested_flush", "false"}});
  CHECK(o.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(o.invariant == "no_lost_write");
  auto steps = trace_steps(o);
  CHECK(std::find(steps.begin(), steps.end(), "cpu1:access.tlb_hit") != steps.end());
}

TEST_CASE(
    "A dirty shared page is flushed before the PTL is dropped; its data stays in the page "
    "cache",
    "[madvise]") {
  Sim sim(scenario_text(R"({"A": {"type": "shmem"}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "madvise_dontneed", "addr": "A"},
                                                       {"op": "read", "addr": "A"}]}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
          "latest");
  sim.run_until("cpu0", "madvise_dontneed.zap_pte");
  CHECK_FALSE(sim.tlb("cpu0", "A").valid);
  sim.finish_op("cpu0");
  sim.finish_op("cpu0");
  CHECK(sim.frame_at("P", "A").content[0] == 1);
  CHECK(sim.expected("P", "A") == 1);
}

}  // namespace
}  // namespace mmtest
