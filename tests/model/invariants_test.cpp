// Each invariant of the README's invariant table on a tiny scenario where it fails and on the same
// situation where it holds (a kernel with the fix, or the racing step removed). Whole-scenario
// verdicts come from cli::run_scenario, as `mmcheck check` reports them.
#include <catch2/catch.hpp>

#include "invariants/checker.hpp"
#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

using Steps = std::vector<std::string>;

void check_violates(const mmcheck::cli::RunOutcome& o, const std::string& invariant) {
  INFO("verdict " << o.verdict << " " << o.invariant << ": " << o.message);
  CHECK(o.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(o.invariant == invariant);
  CHECK(o.exit_code == mmcheck::cli::kExitViolation);
  CHECK_FALSE(o.trace.empty());
  CHECK_FALSE(o.message.empty());
}

void check_holds(const mmcheck::cli::RunOutcome& o) {
  INFO("verdict " << o.verdict << " " << o.invariant << ": " << o.message);
  CHECK(o.verdict == mmcheck::cli::Outcome::Holds);
  CHECK(o.exit_code == mmcheck::cli::kExitHolds);
  CHECK(o.invariant.empty());
  CHECK(o.stats.states > 1);
}

TEST_CASE("the ten invariants have their stable names in the documented order", "[invariant]") {
  CHECK(vm::invariant_names() ==
        std::vector<std::string>{"no_stale_tlb_at_cow", "pinned_page_never_cowed", "no_lost_write",
                                 "pin_coherent", "no_cross_mm_leak", "soft_dirty_sound",
                                 "uffd_wp_sound", "private_write_isolated", "refcounts_sane",
                                 "no_deadlock", "pte_dirty_kept"});
}

// Scenario 1 of the README's "Scenario files" (race (c), 6ce64428d620).
std::string scenario1(const std::string& check, bool read_after = false, int words = 1) {
  std::string cpu2 = words == 1 ? R"([{"op": "write", "addr": "A", "value": 3})"
                                : R"([{"op": "write", "addr": "A", "word": 1, "value": 3})";
  if (read_after) cpu2 += R"(, {"op": "read", "addr": "A"})";
  cpu2 += "]";
  return scenario_text(
      R"({"A": {"uffd_wp": true, "words": )" + std::to_string(words) + "}}",
      R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                            "cpu1": [{"op": "write", "addr": "A", "value": 2}],
                            "cpu2": )" +
          cpu2 + "}}}",
      words == 1 ? R"([{"thread": "cpu2", "op": "write", "addr": "A", "value": 1},
                       {"thread": "cpu0", "op": "extra_ref", "addr": "A"}])"
                 : R"([{"thread": "cpu2", "op": "write", "addr": "A", "word": 1, "value": 1},
                       {"thread": "cpu0", "op": "extra_ref", "addr": "A"}])",
      check);
}

TEST_CASE(
    "no_stale_tlb_at_cow fails on 5.10 when an unprotect races a COW (6ce64428d620) and holds on "
    "5.12",
    "[invariant]") {
  auto broken = run(scenario1(R"(["no_stale_tlb_at_cow"])"), "linux-5.10");
  check_violates(broken, "no_stale_tlb_at_cow");
  // SPIN's BFS finds the same 6-step shortest counterexample (bench/spin/RESULTS.md).
  CHECK(trace_steps(broken) == Steps{"cpu0:uffd_unwp.mmap_read_lock",
                                     "cpu0:uffd_unwp.inc_tlb_flush_pending", "cpu0:uffd_unwp.pte",
                                     "cpu1:access.fault", "cpu1:fault.mmap_read_lock",
                                     "cpu1:do_wp_page.copy"});
  CHECK_THAT(broken.message, Catch::Contains("cpu2 holds a writable TLB entry"));

  auto fixed = run(scenario1(R"(["no_stale_tlb_at_cow"])"), "linux-5.12");
  check_holds(fixed);
  CHECK(coverage_of(fixed, "do_wp_page.copy") > 0);  // the copy decision is checked, and passes
}

TEST_CASE("pinned_page_never_cowed fails when fork shares a pinned page (5.8) and holds on 5.9",
          "[invariant]") {
  auto text = [](const std::string& cpu0) {
    return scenario_text(
        R"({"A": {}})",
        R"({"P": {"threads": {"cpu0": )" + cpu0 + R"(}}, "C": {"threads": {"c0": []}}})",
        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                             {"thread": "cpu0", "op": "pin", "addr": "A", "write": true, "as": "p"},
                             {"thread": "cpu0", "op": "fork", "child": "C"}])",
        R"(["pinned_page_never_cowed"])");
  };
  const std::string write = R"([{"op": "write", "addr": "A", "value": 2}])";
  auto broken = run(text(write), "linux-5.8");
  check_violates(broken, "pinned_page_never_cowed");
  CHECK(last_step(broken) == "cpu0:wp_page_copy.install");
  CHECK_THAT(broken.message, Catch::Contains("pinned frame 0"));

  auto fixed = run(text(write), "linux-5.9");  // 70e806e4e645: the child got the copy
  check_holds(fixed);
  CHECK(coverage_of(fixed, "access.walk") > 0);

  // The same COW after the pin is dropped is fine.
  auto unpinned =
      run(text(R"([{"op": "unpin", "pin": "p"}, {"op": "write", "addr": "A", "value": 2}])"),
          "linux-5.8");
  check_holds(unpinned);
  CHECK(coverage_of(unpinned, "wp_page_copy.install") > 0);
}

TEST_CASE("no_lost_write fails at a load on 5.10 when a stale-TLB store lands in the old frame",
          "[invariant]") {
  auto broken = run(scenario1(R"(["no_lost_write"])", /*read_after=*/true), "linux-5.10");
  check_violates(broken, "no_lost_write");
  CHECK(broken.trace.size() == 10);  // as SPIN's shortest (s1r-lostonly)
  CHECK(last_step(broken) == "cpu2:access.walk");
  CHECK_THAT(broken.message, Catch::Contains("store of 3"));

  auto fixed = run(scenario1(R"(["no_lost_write"])", true), "linux-5.12");
  check_holds(fixed);
  CHECK(coverage_of(fixed, "wp_page_copy.install") > 0);
}

TEST_CASE("no_lost_write fails at the end on 5.10 when the lost store is to the other word",
          "[invariant]") {
  auto broken = run(scenario1(R"(["no_lost_write"])", false, /*words=*/2), "linux-5.10");
  check_violates(broken, "no_lost_write");
  CHECK_THAT(broken.message, Catch::Contains("store of 3 to P:A.1 lost"));
  CHECK_THAT(broken.message, Catch::EndsWith("at the end"));

  check_holds(run(scenario1(R"(["no_lost_write"])", false, 2), "linux-5.12"));
}

TEST_CASE("pin_coherent fails when a COW moves the pinning mm off the pinned frame (5.8)",
          "[invariant]") {
  std::string text =
      scenario_text(R"({"A": {}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 2},
                                     {"op": "pin_read", "pin": "p"}]}},
          "C": {"threads": {"c0": []}}})",
                    R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu0", "op": "pin", "addr": "A", "write": true, "as": "p"},
          {"thread": "cpu0", "op": "fork", "child": "C"}])",
                    R"(["pin_coherent"])");
  auto broken = run(text, "linux-5.8");
  check_violates(broken, "pin_coherent");
  CHECK(last_step(broken) == "cpu0:pin.read");
  CHECK_THAT(broken.message, Catch::Contains("pin p holds frame 0 but P:A maps frame 1"));

  auto fixed = run(text, "linux-5.9");
  check_holds(fixed);
  CHECK(coverage_of(fixed, "pin.read") > 0);
}

TEST_CASE(
    "no_cross_mm_leak fails on the vmsplice wrong-way COW (5.7, CVE-2020-29374) and holds after",
    "[invariant]") {
  std::string text =
      scenario_text(R"({"A": {}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 2}]}},
          "C": {"threads": {"c0": [{"op": "vmsplice", "addr": "A", "as": "g"},
                                   {"op": "munmap", "addr": "A"},
                                   {"op": "pin_read", "pin": "g"}]}}})",
                    R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu0", "op": "fork", "child": "C"}])",
                    R"(["no_cross_mm_leak"])");
  auto broken = run(text, "linux-5.7");
  check_violates(broken, "no_cross_mm_leak");
  CHECK(last_step(broken) == "c0:pin.read");
  CHECK(coverage_of(broken, "do_wp_page.reuse") > 0);
  CHECK_THAT(broken.message, Catch::Contains("reads 2"));

  auto forced_break = run(text, "linux-5.8");  // 17839856fd58: the child's GUP breaks COW
  check_holds(forced_break);
  CHECK(coverage_of(forced_break, "pin.read") > 0);
  auto refcount = run(text, "linux-5.9");  // 09854ba94c6a: the parent copies instead
  check_holds(refcount);
  CHECK(coverage_of(refcount, "do_wp_page.copy") > 0);
}

TEST_CASE("soft_dirty_sound fails when clear_refs does not flush (5.10) and holds on 5.12",
          "[invariant]") {
  std::string text = scenario_text(
      R"({"A": {}})",
      R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"}, {"op": "pagemap", "addr": "A"}],
                            "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
      R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])", R"(["soft_dirty_sound"])");
  auto broken = run(text, "linux-5.10");
  check_violates(broken, "soft_dirty_sound");
  // Two 5-step counterexamples tie: the check at pagemap (store first) and the one at the end
  // (pagemap first). The smaller schedule (cpu0 before cpu1) is reported.
  CHECK(trace_steps(broken) == Steps{"cpu0:clear_refs.mmap_lock", "cpu0:clear_refs.pte",
                                     "cpu0:clear_refs.mmap_unlock", "cpu0:pagemap.read",
                                     "cpu1:access.tlb_hit"});
  CHECK_THAT(broken.message, Catch::EndsWith("(at the end)"));

  // The other one, step by step: pagemap itself reports the missed store.
  Sim sim(text, "linux-5.10");
  sim.finish_op("cpu0");
  CHECK(sim.step("cpu1") == "access.tlb_hit");  // through the entry clear_refs left writable
  CHECK_FALSE(sim.violation.has_value());
  CHECK(sim.step("cpu0") == "pagemap.read");
  CHECK(sim.violation == std::optional<std::string>("soft_dirty_sound"));

  auto fixed = run(text, "linux-5.12");
  check_holds(fixed);
  CHECK(coverage_of(fixed, "pagemap.read") > 0);
  CHECK(coverage_of(fixed, "do_wp_page.reuse") > 0);  // the store after clear_refs faults
}

TEST_CASE(
    "uffd_wp_sound fails when mprotect makes a uffd-wp shmem PTE writable (5.19) and holds on 6.2",
    "[invariant]") {
  // scenarios/uffd-wp-shmem-mprotect-writable.json (51d3d5eb74ff).
  std::string text =
      scenario_text(R"({"A": {"type": "shmem", "prot": "r", "uffd_wp": true, "soft_dirty": true}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                            "cpu1": [{"op": "mprotect", "addr": "A", "prot": "rw"},
                                     {"op": "write", "addr": "A", "value": 2}]}}})",
                    R"([{"thread": "cpu1", "op": "read", "addr": "A"},
          {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])",
                    R"(["uffd_wp_sound"])");
  auto broken = run(text, "linux-5.19");
  check_violates(broken, "uffd_wp_sound");
  CHECK(last_step(broken) == "cpu1:access.walk");

  auto fixed = run(text, "linux-6.2");
  check_holds(fixed);
  CHECK(coverage_of(fixed, "handle_userfault.wait") > 0);
}

TEST_CASE("refcounts_sane fails on a state whose counts miss a reference, and holds on real runs",
          "[invariant]") {
  Sim sim(
      scenario_text(
          R"({"A": {}})",
          R"({"P": {"threads": {"cpu0": [], "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
          R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "pin", "addr": "A", "as": "p"}])",
          R"(["refcounts_sane"])"),
      "linux-5.10");
  auto check = [&](const vm::State& s) {
    auto v = sim.model->check_state(s);
    return v ? std::optional<std::string>(vm::invariant_names()[v->property]) : std::nullopt;
  };
  REQUIRE(sim.frame(0).refcount == 2);
  CHECK_FALSE(check(sim.s).has_value());
  SECTION("refcount below mapcount + pins") {
    vm::State s = sim.s;
    s.frames[0].refcount = 1;
    CHECK(check(s) == std::optional<std::string>("refcounts_sane"));
  }
  SECTION("a pincount without a pin") {
    vm::State s = sim.s;
    s.frames[0].pincount = 2;
    s.frames[0].refcount = 3;
    CHECK(check(s) == std::optional<std::string>("refcounts_sane"));
  }
  SECTION("a free frame still mapped") {
    vm::State s = sim.s;
    s.frames[0] = vm::Frame{};
    auto v = sim.model->check_state(s);
    REQUIRE(v.has_value());
    CHECK_THAT(v->message, Catch::Contains("free frame 0"));
  }
  SECTION("a store through a stale TLB entry into a free frame") {
    // Hand-made: the frame freed and unmapped while cpu1 kept its writable entry.
    sim.s.frames[0] = vm::Frame{};
    sim.s.mm[0].pte[0] = vm::Pte{};
    sim.s.handles[sim.handle("p")] = vm::Handle{};
    REQUIRE(sim.tlb("cpu1", "A").valid);
    CHECK(sim.step("cpu1") == "access.tlb_hit");
    CHECK(sim.violation == std::optional<std::string>("refcounts_sane"));
  }
  SECTION("a whole run with COW, pins, gets, transient references and munmap holds") {
    std::string text = scenario_text(
        R"({"A": {}})",
        R"({"P": {"threads": {"cpu0": [{"op": "fork", "child": "C"}, {"op": "write", "addr": "A", "value": 2},
                                       {"op": "munmap", "addr": "A"}],
                              "cpu1": [{"op": "pin", "addr": "A", "as": "p"}, {"op": "unpin", "pin": "p"}]}},
            "C": {"threads": {"c0": [{"op": "get", "addr": "A", "as": "g"}, {"op": "extra_ref", "addr": "A"},
                                     {"op": "exit"}, {"op": "drop_ref", "addr": "A"}, {"op": "put", "pin": "g"}]}}})",
        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])", R"(["refcounts_sane"])");
    auto o = run(text, "linux-5.19");
    check_holds(o);
    CHECK(coverage_of(o, "wp_page_copy.install") > 0);
    CHECK(coverage_of(o, "munmap.flush_and_free") > 0);
    CHECK(coverage_of(o, "gup.put") > 0);
  }
}

TEST_CASE("no_deadlock fails when a WP fault waits for an unprotect that never comes",
          "[invariant]") {
  auto text = [](const std::string& cpu0, const std::string& check) {
    return scenario_text(R"({"A": {"uffd_wp": true}})",
                         R"({"P": {"threads": {"cpu0": )" + cpu0 +
                             R"(, "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
                         R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                             {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])",
                         check);
  };
  auto stuck = run(text("[]", R"(["no_deadlock"])"), "linux-5.10");
  CHECK(stuck.verdict == mmcheck::cli::Outcome::Deadlock);
  CHECK(stuck.invariant == "no_deadlock");
  CHECK(stuck.exit_code == mmcheck::cli::kExitDeadlock);
  CHECK_THAT(stuck.message, Catch::Contains("handle_userfault"));
  CHECK(last_step(stuck) == "cpu1:handle_userfault.wait");

  auto released =
      run(text(R"([{"op": "uffd_unwp", "addr": "A"}])", R"(["no_deadlock"])"), "linux-5.10");
  check_holds(released);
  CHECK(coverage_of(released, "handle_userfault.wait") > 0);

  // Not checked, not reported: the stuck run then holds.
  check_holds(run(text("[]", R"(["no_lost_write"])"), "linux-5.10"));
}

TEST_CASE("a deadlocked pin waiting in handle_userfault is described as waiting for the unprotect",
          "[invariant]") {
  // A R/W pin of a write-protected page enters handle_userfault from faultin_page and sleeps
  // with mmap_lock released (fault.cpp kFaultUserfault -> kGupLockAfterUserfault). Nothing
  // unprotects it: the deadlock's message must say where the pin waits, not blame mmap_lock,
  // which is free (readers 0, no writer).
  std::string text = scenario_text(
      R"({"A": {"uffd_wp": true}})",
      R"({"P": {"threads": {"cpu1": [{"op": "pin", "addr": "A", "write": true, "as": "p"}]}}})",
      R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu1", "op": "uffd_wp", "addr": "A"}])",
      R"(["no_deadlock"])");
  auto stuck = run(text, "latest");
  REQUIRE(stuck.verdict == mmcheck::cli::Outcome::Deadlock);
  CHECK(last_step(stuck) == "cpu1:handle_userfault.wait");
  CHECK_THAT(stuck.message, Catch::Contains("handle_userfault"));
  CHECK_THAT(stuck.message, !Catch::Contains("mmap_lock"));
}

TEST_CASE("a parent store racing fork through a stale TLB entry is not a lost write in the child",
          "[invariant]") {
  // cpu1 keeps its writable entry for A while cpu0 forks: fork.share write-protects the parent
  // PTE and maps frame 0 into C, but dup_mmap flushes the parent's TLB only after
  // copy_page_range (fork.flush_tlb_mm). cpu1's store of 2 through the entry lands in the frame
  // now shared with C. fork has not returned, so the store is concurrent with fork and C's
  // snapshot may contain it: the kernel (every version) allows C to load 2, and C itself never
  // stored anything. So record_store (context.cpp) updates the ghost of a child still being
  // forked that maps the frame the store went to, and C's load of 2 is no lost write. The
  // same store is not in C's no_cross_mm_leak `forbidden` set either.
  std::string text =
      scenario_text(R"({"A": {}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "fork", "child": "C"}],
                            "cpu1": [{"op": "write", "addr": "A", "value": 2}]}},
          "C": {"threads": {"c0": [{"op": "read", "addr": "A"}]}}})",
                    R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])",
                    R"(["no_lost_write", "no_cross_mm_leak"])");
  Sim sim(text, "latest");
  sim.run_until("cpu0", "fork.share");
  CHECK(sim.step("cpu1") == "access.tlb_hit");
  CHECK(sim.frame_at("C", "A").content[0] == 2);  // C's mapping already holds 2
  sim.finish_op("cpu0");
  CHECK(sim.step("c0") == "access.walk");
  CHECK_FALSE(sim.violation.has_value());
  check_holds(run(text, "latest"));
}

}  // namespace
}  // namespace mmtest
