// A MAP_PRIVATE view of a shmem file beside a MAP_SHARED view of the same file: loads map the
// page-cache page read-only, stores copy it into an anonymous page (do_cow_fault, wp_page_copy),
// UFFDIO_CONTINUE maps it dirty but never writable, and private_write_isolated catches a store
// that reaches the cache's page (sparc64's pte_mkdirty, [P pte_dirty_implies_write]).
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

// S shared, V its private view; setup stores 1 through S. cpu0 runs `ops0`, cpu1 `ops1`.
std::string view_scenario(const std::string& ops0, const std::string& ops1 = "[]",
                          const std::string& more_setup = "") {
  return scenario_text(
      R"({"S": {"type": "shmem"}, "V": {"type": "shmem", "private": true, "file": "S"}})",
      R"({"P": {"threads": {"cpu0": )" + ops0 + R"(, "cpu1": )" + ops1 + "}}}",
      R"([{"thread": "cpu1", "op": "write", "addr": "S", "value": 1})" + more_setup + "]");
}

TEST_CASE("A load through a private shmem view maps the page-cache page read-only", "[private]") {
  Sim sim(view_scenario(R"([{"op": "read", "addr": "V"}])"), "latest");
  auto taken = sim.finish_op("cpu0");
  CHECK(std::find(taken.begin(), taken.end(), "do_read_fault.map") != taken.end());
  CHECK(sim.pte("P", "V").present);
  CHECK_FALSE(sim.pte("P", "V").write);
  CHECK(sim.pte("P", "V").pfn == sim.pte("P", "S").pfn);
  CHECK(sim.frame_at("P", "V").mapcount == 2);
  CHECK_FALSE(sim.violation.has_value());
}

TEST_CASE("A store on a none PTE of a private shmem view copies the page (do_cow_fault)",
          "[private]") {
  Sim sim(view_scenario(R"([{"op": "write", "addr": "V", "value": 2}])"), "latest");
  auto taken = sim.finish_op("cpu0");
  CHECK(std::find(taken.begin(), taken.end(), "do_cow_fault.copy") != taken.end());
  CHECK(sim.pte("P", "V").write);
  CHECK(sim.pte("P", "V").pfn != sim.pte("P", "S").pfn);
  CHECK(sim.frame_at("P", "V").content[0] == 2);
  CHECK(sim.frame_at("P", "S").content[0] == 1);
  CHECK(sim.frame_at("P", "V").anon_exclusive);
  CHECK_FALSE(sim.violation.has_value());
}

TEST_CASE("A store after a load in a private shmem view copies the cache's page (wp_page_copy)",
          "[private]") {
  Sim sim(
      view_scenario(R"([{"op": "read", "addr": "V"}, {"op": "write", "addr": "V", "value": 2}])"),
      "linux-5.18");
  sim.finish_op("cpu0");
  auto taken = sim.finish_op("cpu0");
  CHECK(std::find(taken.begin(), taken.end(), "wp_page_copy.install") != taken.end());
  CHECK(sim.frame_at("P", "S").content[0] == 1);
  CHECK(sim.frame_at("P", "S").mapcount == 1);
  CHECK(sim.frame_at("P", "V").content[0] == 2);
  CHECK_FALSE(sim.violation.has_value());
}

TEST_CASE(
    "A private view of a page_mkwrite file copies on write, and mprotect's dirty_accountable "
    "never makes its page-cache page writable",
    "[private][file]") {
  std::string text = scenario_text(
      R"({"F": {"type": "file"}, "V": {"type": "file", "private": true, "file": "F"}})",
      R"({"P": {"threads": {"cpu0": [{"op": "read", "addr": "V"},
          {"op": "mprotect", "addr": "V", "prot": "r"}, {"op": "mprotect", "addr": "V", "prot": "rw"},
          {"op": "write", "addr": "V", "value": 2}]}}})",
      R"([{"thread": "cpu0", "op": "write", "addr": "F", "value": 1}])");
  for (const char* preset : {"linux-5.18", "linux-6.1", "latest"}) {
    INFO(preset);
    Sim sim(text, preset);
    for (int op = 0; op < 3; ++op) sim.finish_op("cpu0");
    CHECK_FALSE(sim.pte("P", "V").write);
    auto taken = sim.finish_op("cpu0");
    CHECK(std::find(taken.begin(), taken.end(), "wp_page_copy.install") != taken.end());
    CHECK(sim.frame_at("P", "F").content[0] == 1);
    CHECK(sim.frame_at("P", "V").content[0] == 2);
    CHECK_FALSE(sim.violation.has_value());
  }
}

TEST_CASE("UFFDIO_CONTINUE into a private shmem view maps the cache's page dirty, not writable",
          "[private][uffd]") {
  std::string setup =
      R"(, {"thread": "cpu0", "op": "uffd_register", "addr": "V", "mode": "minor"})";
  for (const char* preset : {"linux-5.18", "linux-6.1", "latest"}) {
    INFO(preset);
    Sim sim(view_scenario(R"([{"op": "uffdio_continue", "addr": "V"}])", "[]", setup), preset);
    sim.finish_op("cpu0");
    CHECK(sim.pte("P", "V").present);
    CHECK(sim.pte("P", "V").dirty);
    CHECK_FALSE(sim.pte("P", "V").write);
    CHECK(sim.pte("P", "V").pfn == sim.pte("P", "S").pfn);
  }
  // sparc64's pte_mkdirty() set the write bit; 5.19-6.2 write-protect after it.
  Sets sparc = {{"pte_dirty_implies_write", "true"}};
  for (auto [preset, writable] : {std::pair{"linux-5.18", true}, std::pair{"linux-6.1", false},
                                  std::pair{"linux-6.2", false}, std::pair{"linux-6.3", true}}) {
    INFO(preset);
    Sim sim(view_scenario(R"([{"op": "uffdio_continue", "addr": "V"}])", "[]", setup), preset,
            sparc);
    sim.finish_op("cpu0");
    CHECK(sim.pte("P", "V").write == writable);
  }
}

TEST_CASE(
    "uffdio-continue-private-shmem.json holds on 5.18+; with pte_dirty_implies_write it violates "
    "private_write_isolated where the install does not write-protect (5.18, 6.3+)",
    "[private][uffd][race]") {
  Sets sparc = {{"pte_dirty_implies_write", "true"}};
  for (const char* preset : {"linux-5.18", "linux-5.19", "linux-6.0", "linux-6.2", "latest"}) {
    INFO(preset);
    CHECK(run_library("uffdio-continue-private-shmem", preset).verdict ==
          mmcheck::cli::Outcome::Holds);
  }
  for (auto [preset, violates] :
       {std::pair{"linux-5.18", true}, std::pair{"linux-5.19", false},
        std::pair{"linux-6.0", false}, std::pair{"linux-6.1", false}, std::pair{"linux-6.2", false},
        std::pair{"linux-6.3", true}, std::pair{"linux-6.12", true}, std::pair{"latest", true}}) {
    INFO(preset);
    auto o = run_library("uffdio-continue-private-shmem", preset, sparc);
    if (violates) {
      CHECK(o.verdict == mmcheck::cli::Outcome::Violation);
      CHECK(o.invariant == "private_write_isolated");
    } else {
      CHECK(o.verdict == mmcheck::cli::Outcome::Holds);
    }
  }
  CHECK(run_library("uffdio-continue-private-shmem", "linux-5.12").verdict ==
        mmcheck::cli::Outcome::Unsupported);
}

}  // namespace
}  // namespace mmtest
