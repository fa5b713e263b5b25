// userfaultfd minor faults on shmem and UFFDIO_CONTINUE.
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

// A shmem page in the page cache with no PTE, registered for minor faults; cpu1 runs `ops1`,
// cpu0 runs `ops0`.
std::string minor_scenario(const std::string& ops0, const std::string& ops1,
                           const std::string& region = R"({"type": "shmem"})") {
  return scenario_text(R"({"A": )" + region + "}",
                       R"({"P": {"threads": {"cpu0": )" + ops0 + R"(, "cpu1": )" + ops1 + "}}}",
                       R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu1", "op": "madvise_dontneed", "addr": "A"},
          {"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "minor"}])");
}

TEST_CASE(
    "A load on a minor-registered shmem page sleeps until UFFDIO_CONTINUE maps the cache's "
    "page, then sees its data",
    "[uffd][minor]") {
  Sim sim(minor_scenario(R"([{"op": "uffdio_continue", "addr": "A"}])",
                         R"([{"op": "read", "addr": "A"}])"),
          "latest");
  REQUIRE_FALSE(sim.pte("P", "A").present);
  auto taken = sim.run_until("cpu1", "handle_userfault.wait");
  CHECK(std::find(taken.begin(), taken.end(), "fault.userfault_minor") != taken.end());
  CHECK_FALSE(sim.enabled("cpu1"));
  sim.finish_op("cpu0");
  CHECK(sim.pte("P", "A").present);
  CHECK(sim.pte("P", "A").write);
  CHECK(sim.frame_at("P", "A").mapcount == 1);
  CHECK(sim.frame_at("P", "A").refcount == 2);  // the page cache's and the mapping's
  REQUIRE(sim.enabled("cpu1"));
  sim.finish_op("cpu1");
  CHECK_FALSE(sim.violation.has_value());
  CHECK_FALSE(sim.state_violation.has_value());
}

TEST_CASE("Without UFFDIO_CONTINUE the minor fault never completes (no_deadlock)",
          "[uffd][minor]") {
  auto sc =
      vm::parse_scenario(minor_scenario("[]", R"([{"op": "read", "addr": "A"}])"), "test.json");
  mmcheck::cli::RunConfig config;
  config.kernel = "latest";
  auto o = mmcheck::cli::run_scenario(sc, config);
  CHECK(o.verdict == mmcheck::cli::Outcome::Deadlock);
}

TEST_CASE("UFFDIO_CONTINUE without a page-cache page fails with -EFAULT", "[uffd][minor]") {
  Sim sim(
      scenario_text(R"({"A": {"type": "shmem"}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "uffdio_continue", "addr": "A"}]}}})",
                    R"([{"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "minor"}])"),
      "latest");
  auto taken = sim.finish_op("cpu0");
  CHECK(std::find(taken.begin(), taken.end(), "uffdio_continue.efault") != taken.end());
  CHECK_FALSE(sim.pte("P", "A").present);
}

TEST_CASE("Minor faults are unsupported on anonymous memory and before 5.14", "[uffd][minor]") {
  auto anon = vm::parse_scenario(
      minor_scenario(R"([{"op": "uffdio_continue", "addr": "A"}])", "[]", "{}"), "test.json");
  mmcheck::cli::RunConfig config;
  config.kernel = "latest";
  CHECK(mmcheck::cli::run_scenario(anon, config).verdict == mmcheck::cli::Outcome::Unsupported);
  auto shmem = vm::parse_scenario(
      minor_scenario(R"([{"op": "uffdio_continue", "addr": "A"}])", "[]"), "test.json");
  config.kernel = "linux-5.12";
  CHECK(mmcheck::cli::run_scenario(shmem, config).verdict == mmcheck::cli::Outcome::Unsupported);
  config.kernel = "linux-5.18";
  CHECK(mmcheck::cli::run_scenario(shmem, config).verdict == mmcheck::cli::Outcome::Holds);
}

}  // namespace
}  // namespace mmtest
