// userfaultfd's WP_UNPOPULATED and WP_ASYNC features, PAGEMAP_SCAN, and its 6.7-6.8 stale
// commit (race C.5).
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

std::string anon_scenario(const std::string& cpu0, const std::string& features) {
  return scenario_text(
      R"({"A": {}})", R"({"P": {"threads": {"cpu0": [)" + cpu0 + R"(],
                            "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
      R"([{"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "wp", "features": ")" +
          features + R"("}])");
}

TEST_CASE(
    "WP_UNPOPULATED (2bad466cc9d9): a protect of a none anonymous PTE installs a marker and the "
    "fault on it maps the page write-protected",
    "[uffd][pagemap_scan]") {
  Sim sim(anon_scenario(R"({"op": "uffd_wp", "addr": "A"})", "wp_unpopulated"), "linux-6.4");
  sim.finish_op("cpu0");
  CHECK(sim.pte("P", "A").marker);
  sim.run_until("cpu1", "do_anonymous_page.map");
  const vm::Pte& pte = sim.pte("P", "A");
  CHECK((pte.present && pte.uffd_wp && !pte.write && pte.dirty));
  sim.run_until("cpu1", "do_wp_page.userfault");
  CHECK_FALSE(sim.violation.has_value());
}

TEST_CASE(
    "WP_ASYNC (d61ea1cb0095): after PAGEMAP_SCAN's write-protect a store clears uffd-wp in place "
    "and reuses the page, with no message",
    "[uffd][pagemap_scan]") {
  Sim sim(anon_scenario(R"({"op": "pagemap_scan", "addr": "A", "wp": true})", "wp_async"),
          "latest");
  CHECK(sim.finish_op("cpu0") == std::vector<std::string>{"pagemap_scan.mmap_read_lock",
                                                          "pagemap_scan.pte",
                                                          "pagemap_scan.mmap_read_unlock"});
  CHECK(sim.pte("P", "A").marker);  // a none PTE of a WP_ASYNC VMA gets a marker
  auto steps = sim.finish_op("cpu1");
  CHECK(std::find(steps.begin(), steps.end(), "do_wp_page.wp_async") != steps.end());
  CHECK(std::find(steps.begin(), steps.end(), "handle_userfault.wait") == steps.end());
  const vm::Pte& pte = sim.pte("P", "A");
  CHECK((pte.present && !pte.uffd_wp && pte.write && pte.dirty));
  CHECK_FALSE(sim.violation.has_value());
}

TEST_CASE(
    "PAGEMAP_SCAN's write-protect commits a stale PTE and loses the hardware's dirty bit on 6.8 "
    "(c70dce4982ce)",
    "[pagemap_scan][race]") {
  auto stale = run_library("pagemap-scan-lost-dirty", "linux-6.8");
  CHECK(stale.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(stale.invariant == "pte_dirty_kept");
  CHECK(run_library("pagemap-scan-lost-dirty", "linux-6.8", {{"pagemap_scan_rmw_atomic", "true"}})
            .verdict == mmcheck::cli::Outcome::Holds);
  CHECK(run_library("pagemap-scan-lost-dirty", "linux-6.9").verdict ==
        mmcheck::cli::Outcome::Holds);
}

}  // namespace
}  // namespace mmtest
