// The `file` region type: a MAP_SHARED file mapping whose filesystem has ->page_mkwrite, so
// vma_wants_writenotify() is always 1 for it (mm/mmap.c tests vm_ops->page_mkwrite before the
// protections).
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

TEST_CASE(
    "A file mapping is always write-notify: a read maps it read-only, the first store "
    "faults into wp_page_shared",
    "[file]") {
  Sim sim(scenario_text(R"({"A": {"type": "file"}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "read", "addr": "A"},
                                                       {"op": "write", "addr": "A", "value": 2}]}}})"),
          "latest");
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.pte("P", "A").write);  // shmem would map it writable (VM_SOFTDIRTY set)
  CHECK(sim.frame_at("P", "A").shmem);   // a page-cache page
  auto steps = sim.finish_op("cpu0");
  CHECK(std::find(steps.begin(), steps.end(), "wp_page_shared.mkwrite") != steps.end());
  CHECK(sim.pte("P", "A").write);
  CHECK(sim.pte("P", "A").soft_dirty);
}

TEST_CASE("mprotect_dirty_accountable fires for a file mapping (page_mkwrite), never for shmem",
          "[file]") {
  auto after = [](const char* type, const char* preset) {
    Sim sim(
        scenario_text(std::string(R"({"A": {"type": ")") + type + R"("}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "r"},
                                                         {"op": "mprotect", "addr": "A", "prot": "rw"}]}}})",
                      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                              {"thread": "cpu0", "op": "clear_refs"}])"),
        preset);
    sim.finish_op("cpu0");
    sim.finish_op("cpu0");
    return sim.pte("P", "A").write;
  };
  CHECK(after("file", "linux-5.10"));
  CHECK_FALSE(after("shmem", "linux-5.10"));
  CHECK_FALSE(after("file", "linux-6.0"));  // can_change_pte_writable: soft-dirty wants the fault
}

TEST_CASE("uffd-wp of a file mapping is unsupported on every kernel", "[file]") {
  auto o = run(scenario_text(R"({"A": {"type": "file"}})",
                             R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"}]}}})"),
               "latest");
  CHECK(o.verdict == mmcheck::cli::Outcome::Unsupported);
  CHECK_THAT(o.unsupported_reason, Catch::Contains("file"));
}

}  // namespace
}  // namespace mmtest
