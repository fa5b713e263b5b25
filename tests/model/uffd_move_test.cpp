// UFFDIO_MOVE (adef440691ba, 6.8) and GUP-fast: the move, its checks, and race C.10's window
// between the first check and the clear-and-flush.
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

// A (the source, stored to by cpu1), B (the destination, registered with the userfaultfd) and C
// (never touched);
// cpu0 runs `ops0`, cpu1 runs `ops1`.
std::string move_scenario(const std::string& ops0, const std::string& ops1 = "[]") {
  return scenario_text(R"({"A": {}, "B": {}, "C": {}})",
                       R"({"P": {"threads": {"cpu0": )" + ops0 + R"(, "cpu1": )" + ops1 + "}}}",
                       R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu0", "op": "uffd_register", "addr": "B", "mode": "missing"}])");
}

const std::string kMove = R"([{"op": "uffdio_move", "addr": "B", "src": "A"}])";

bool took(const std::vector<std::string>& taken, const std::string& name) {
  return std::find(taken.begin(), taken.end(), name) != taken.end();
}

TEST_CASE("UFFDIO_MOVE maps the page at the destination and clears and flushes the source",
          "[uffd][move]") {
  Sim sim(move_scenario(kMove), "latest");
  REQUIRE(sim.tlb("cpu1", "A").valid);
  int pfn = sim.pte("P", "A").pfn;
  auto taken = sim.finish_op("cpu0");
  CHECK(took(taken, "uffdio_move.move"));
  CHECK_FALSE(sim.pte("P", "A").present);
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);  // ptep_clear_flush
  REQUIRE(sim.pte("P", "B").present);
  CHECK(sim.pte("P", "B").pfn == pfn);
  CHECK(sim.pte("P", "B").write);
  CHECK(sim.pte("P", "B").soft_dirty);
  CHECK(sim.frame(pfn).mapcount == 1);
  CHECK(sim.frame(pfn).refcount == 1);  // the check's folio_get dropped again
  CHECK(sim.expected("P", "B") == 1);   // the ghost follows the data
  CHECK(sim.expected("P", "A") == -1);
}

TEST_CASE(
    "A GUP-fast pin between UFFDIO_MOVE's check and its clear is caught by the re-check "
    "(adef440691ba, race C.10)",
    "[uffd][move][race]") {
  Sim sim(move_scenario(kMove, R"([{"op": "pin_fast", "addr": "A", "write": true, "as": "p"}])"),
          "latest");
  int pfn = sim.pte("P", "A").pfn;
  sim.run_until("cpu0", "uffdio_move.check");
  CHECK(sim.frame(pfn).refcount == 2);  // folio_get
  CHECK(took(sim.finish_op("cpu1"), "pin_fast.pin"));
  CHECK(took(sim.finish_op("cpu0"), "uffdio_move.ebusy_pinned"));
  REQUIRE(sim.pte("P", "A").present);
  CHECK(sim.pte("P", "A").pfn == pfn);
  CHECK_FALSE(sim.pte("P", "B").present);
  CHECK(sim.frame(pfn).pincount == 1);
  CHECK(sim.frame(pfn).refcount == 2);  // the mapping's and the pin's
}

TEST_CASE("Without the re-check (move_recheck_pin=false) the pinned page moves", "[uffd][move]") {
  Sim sim(move_scenario(kMove, R"([{"op": "pin_fast", "addr": "A", "write": true, "as": "p"}])"),
          "latest", {{"move_recheck_pin", "false"}});
  sim.run_until("cpu0", "uffdio_move.check");
  sim.finish_op("cpu1");
  CHECK(took(sim.finish_op("cpu0"), "uffdio_move.move"));
  CHECK_FALSE(sim.pte("P", "A").present);
  CHECK(sim.pte("P", "B").present);
}

TEST_CASE(
    "UFFDIO_MOVE refuses a pinned page, a populated destination, a missing source and an "
    "unregistered destination",
    "[uffd][move]") {
  Sim pinned(move_scenario(R"([{"op": "pin_fast", "addr": "A", "as": "p"},
                               {"op": "uffdio_move", "addr": "B", "src": "A"}])"),
             "latest");
  pinned.finish_op("cpu0");
  CHECK(took(pinned.finish_op("cpu0"), "uffdio_move.ebusy"));
  Sim populated(move_scenario(R"([{"op": "uffdio_copy", "addr": "B", "value": 2},
                                  {"op": "uffdio_move", "addr": "B", "src": "A"}])"),
                "latest");
  populated.finish_op("cpu0");
  CHECK(took(populated.finish_op("cpu0"), "uffdio_move.eexist"));
  Sim missing(move_scenario(R"([{"op": "uffdio_move", "addr": "B", "src": "C"}])"), "latest");
  CHECK(took(missing.finish_op("cpu0"), "uffdio_move.enoent"));
  Sim unregistered(move_scenario(R"([{"op": "uffdio_move", "addr": "C", "src": "A"}])"), "latest");
  CHECK(took(unregistered.finish_op("cpu0"), "uffdio_move.einval"));
}

TEST_CASE("GUP-fast gives up on a none PTE and on FOLL_WRITE of a read-only PTE", "[gup]") {
  Sim none(scenario_text(
               R"({"A": {}})",
               R"({"P": {"threads": {"cpu0": [{"op": "pin_fast", "addr": "A", "as": "p"}]}}})"),
           "latest");
  CHECK(took(none.finish_op("cpu0"), "pin_fast.fail"));
  CHECK_FALSE(none.s.handles[none.handle("p")].active);
  Sim ro(
      scenario_text(
          R"({"A": {}})",
          R"({"P": {"threads": {"cpu0": [{"op": "pin_fast", "addr": "A", "write": true, "as": "p"}]}}})",
          R"([{"thread": "cpu0", "op": "read", "addr": "A"}])"),
      "latest");
  CHECK(took(ro.finish_op("cpu0"), "pin_fast.fail"));
}

TEST_CASE("UFFDIO_MOVE is unsupported before 6.8 and on shmem", "[uffd][move]") {
  auto sc = vm::parse_scenario(move_scenario(kMove), "test.json");
  mmcheck::cli::RunConfig config;
  config.kernel = "linux-6.7";
  CHECK(mmcheck::cli::run_scenario(sc, config).verdict == mmcheck::cli::Outcome::Unsupported);
  config.kernel = "linux-6.8";
  CHECK(mmcheck::cli::run_scenario(sc, config).verdict == mmcheck::cli::Outcome::Holds);
  auto shmem = vm::parse_scenario(
      scenario_text(
          R"({"A": {"type": "shmem"}, "B": {}})",
          R"({"P": {"threads": {"cpu0": [{"op": "uffdio_move", "addr": "B", "src": "A"}]}}})"),
      "test.json");
  config.kernel = "latest";
  CHECK(mmcheck::cli::run_scenario(shmem, config).verdict == mmcheck::cli::Outcome::Unsupported);
}

}  // namespace
}  // namespace mmtest
