// The SPIN anchor (../shared/bench/spin): the same scenarios modelled in Promela and checked by
// SPIN 6.5.2. mmcheck makes the same modelling choices (bench/spin/RESULTS.md section 3), so its
// state counts must equal SPIN's stored states minus the one pre-setup state SPIN also stores,
// and the verdicts must agree. Only the twins under about a million states run here.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "invariants/checker.hpp"
#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

struct Twin {
  const char* file;           // under bench/spin/scenarios/
  const char* preset;         // the scenario's own kernel
  std::uint64_t spin_states;  // SPIN's "states stored" (RESULTS.md section 4)
};

// RESULTS.md section 4.1 (scenario 1) and 4.2 (the family on linux-5.12), POR rows.
constexpr Twin kHolds[] = {
    {"s1-linux-5.12.json", "linux-5.12", 442},
    {"s1-linux-5.12-nodeadlockcheck.json", "linux-5.12", 442},
    {"s1-linux-5.8.json", "linux-5.8", 173},
    {"s1-linux-5.19.json", "linux-5.19", 176},
    {"s1-lostonly-linux-5.10.json", "linux-5.10", 357},
    {"s1-lostonly-linux-5.12.json", "linux-5.12", 442},
    {"s1r-linux-5.12.json", "linux-5.12", 636},
    {"fam-N2-K1-P1.json", "linux-5.12", 846},
    {"fam-N3-K1-P1.json", "linux-5.12", 10821},
    {"fam-N4-K1-P1.json", "linux-5.12", 165298},
    {"fam-N2-K1-P2.json", "linux-5.12", 911},
    {"fam-N3-K1-P2.json", "linux-5.12", 12469},
    {"fam-N4-K1-P2.json", "linux-5.12", 210401},
    {"fam-N2-K2-P1.json", "linux-5.12", 4044},
    {"fam-N3-K2-P1.json", "linux-5.12", 126959},
    {"fam-N2-K2-P2.json", "linux-5.12", 8786},
    {"fam-N3-K2-P2.json", "linux-5.12", 636825},
    {"fam-N2-K3-P1.json", "linux-5.12", 10598},
    {"fam-N3-K3-P1.json", "linux-5.12", 537207},
    {"fam-N2-K3-P2.json", "linux-5.12", 38808},
};

// The twins live beside the repository (../shared/bench/spin/scenarios), or wherever
// MMCHECK_SPIN_SCENARIOS points.
std::string spin_dir() {
  if (const char* dir = std::getenv("MMCHECK_SPIN_SCENARIOS"); dir != nullptr && *dir != 0)
    return std::string(dir) + "/";
  return MMCHECK_SOURCE_DIR "/../shared/bench/spin/scenarios/";
}

// Without the twins nothing is compared: the test says so in the line ctest's
// SKIP_REGULAR_EXPRESSION (tests/CMakeLists.txt) turns into "Skipped", never "Passed".
bool twins_missing() {
  if (std::filesystem::is_directory(spin_dir())) return false;
  std::cout << "MMCHECK-SKIPPED: no SPIN twin scenarios at " << spin_dir()
            << " (set MMCHECK_SPIN_SCENARIOS)" << std::endl;
  return true;
}

mmcheck::cli::RunOutcome run_file(const std::string& file, const std::string& preset) {
  assert_throws();
  vm::Scenario sc = vm::load_scenario(spin_dir() + file);
  REQUIRE(sc.kernel == preset);
  mmcheck::cli::RunConfig config;  // the scenario's own kernel
  config.search.threads = 2;
  return mmcheck::cli::run_scenario(sc, config);
}

TEST_CASE("the SPIN twins explore SPIN's state count minus its pre-setup state, and hold",
          "[spin]") {
  if (twins_missing()) return;
  for (const Twin& twin : kHolds) {
    INFO(twin.file);
    auto o = run_file(twin.file, twin.preset);
    CHECK(o.kernel == twin.preset);
    CHECK(o.verdict == mmcheck::cli::Outcome::Holds);
    CHECK(o.stats.states == twin.spin_states - 1);
  }
}

TEST_CASE("the SPIN twins that SPIN finds violated are violated with a counterexample as short",
          "[spin]") {
  if (twins_missing()) return;
  // RESULTS.md 4.1: shortest counterexamples (BFS) of 6 and 10 model steps.
  auto stale = run_file("s1-linux-5.10.json", "linux-5.10");
  CHECK(stale.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(stale.invariant == "no_stale_tlb_at_cow");
  CHECK(stale.trace.size() == 6);
  auto lost = run_file("s1r-lostonly-linux-5.10.json", "linux-5.10");
  CHECK(lost.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(lost.invariant == "no_lost_write");
  CHECK(lost.trace.size() == 10);
}

}  // namespace
}  // namespace mmtest
