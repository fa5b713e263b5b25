// SPEC Revision 2: the model against the kernel's code, one rule per test, each named after the
// commit or the rule it follows. Each of these failed before the model was corrected.
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

using Steps = std::vector<std::string>;

bool has_step(const Steps& steps, const std::string& name) {
  return std::find(steps.begin(), steps.end(), name) != steps.end();
}

void expect_violation(const mmcheck::cli::RunOutcome& o, const std::string& invariant) {
  INFO("verdict " << o.verdict << " " << o.invariant << ": " << o.message);
  CHECK(o.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(o.invariant == invariant);
}

void expect_holds(const mmcheck::cli::RunOutcome& o) {
  INFO("verdict " << o.verdict << " " << o.invariant << ": " << o.message);
  CHECK(o.verdict == mmcheck::cli::Outcome::Holds);
  CHECK(o.stats.states > 1);
}

// ---- 1. change_prot_flush ----

TEST_CASE(
    "change_protection_range <= 5.18 flushes when a present PTE was visited, unchanged or not",
    "[revision2][change_prot_flush]") {
  // mm/mprotect.c (5.x): `pages++` for every present PTE, then
  //   /* Only flush the TLB if we actually modified any entries: */
  //   if (pages) flush_tlb_range(vma, start, end);
  // An unprotect of an already read-only, unprotected PTE still flushes.
  Sim sim(scenario_text(R"({"A": {"uffd_wp": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}]}}})",
                        R"([{"thread": "cpu0", "op": "read", "addr": "A"}])"),
          "linux-5.10");
  REQUIRE_FALSE(sim.pte("P", "A").write);
  REQUIRE(sim.tlb("cpu0", "A").valid);
  CHECK(sim.finish_op("cpu0") ==
        Steps{"uffd_unwp.mmap_read_lock", "uffd_unwp.inc_tlb_flush_pending", "uffd_unwp.pte",
              "uffd_unwp.flush_tlb_range", "uffd_unwp.dec_tlb_flush_pending",
              "uffd_unwp.mmap_read_unlock"});
  CHECK_FALSE(sim.tlb("cpu0", "A").valid);
}

TEST_CASE("pte_needs_flush (4a18419f71cd, c9fe66560bf2, 5.19): an unchanged PTE asks no flush",
          "[revision2][change_prot_flush]") {
  for (const char* preset : {"linux-5.19", "latest"}) {
    INFO(preset);
    Sim sim(scenario_text(R"({"A": {"uffd_wp": true}})",
                          R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}]}}})",
                          R"([{"thread": "cpu0", "op": "read", "addr": "A"}])"),
            preset);
    CHECK(sim.finish_op("cpu0") ==
          Steps{"uffd_unwp.mmap_read_lock", "uffd_unwp.inc_tlb_flush_pending", "uffd_unwp.pte",
                "uffd_unwp.dec_tlb_flush_pending", "uffd_unwp.mmap_read_unlock"});
    CHECK(sim.tlb("cpu0", "A").valid);
  }
  // The software bits never ask: protecting a read-only PTE only sets uffd_wp.
  Sim wp(scenario_text(R"({"A": {"uffd_wp": true}})",
                       R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"}]}}})",
                       R"([{"thread": "cpu0", "op": "read", "addr": "A"}])"),
         "linux-5.19");
  CHECK_FALSE(has_step(wp.finish_op("cpu0"), "uffd_wp.flush_tlb_range"));
  CHECK(wp.pte("P", "A").uffd_wp);
  // A write bit that goes away asks for one.
  Sim demote(scenario_text(R"({"A": {"uffd_wp": true}})",
                           R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"}]}}})",
                           R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
             "linux-5.19");
  CHECK(has_step(demote.finish_op("cpu0"), "uffd_wp.flush_tlb_range"));
  CHECK_FALSE(demote.tlb("cpu0", "A").valid);
}

TEST_CASE("tlb_finish_mmu flushes the whole mm when another flush is pending (mm_tlb_flush_nested)",
          "[revision2][change_prot_flush]") {
  // cpu0 unprotects A+1 (read-only, unprotected: no PTE asks) while cpu1's protect of A is
  // between its tlb_flush_pending++ and its flush. tlb_finish_mmu() of cpu0 sees a nested
  // flush and flushes the mm, so cpu2's entry for A goes too.
  std::string memory = R"({"A": {"pages": 2, "uffd_wp": true}})";
  std::string threads = R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A+1"}],
                                                "cpu1": [{"op": "uffd_wp", "addr": "A"}],
                                                "cpu2": []}}})";
  std::string setup = R"([{"thread": "cpu0", "op": "read", "addr": "A+1"},
                          {"thread": "cpu2", "op": "write", "addr": "A", "value": 1}])";
  for (bool nested : {true, false}) {
    INFO("nested " << nested);
    Sim sim(scenario_text(memory, threads, setup), "linux-5.19");
    if (nested) {
      CHECK(sim.step("cpu1") == "uffd_wp.mmap_read_lock");
      CHECK(sim.step("cpu1") == "uffd_wp.inc_tlb_flush_pending");
    }
    Steps steps = sim.finish_op("cpu0");
    CHECK(has_step(steps, "uffd_unwp.flush_tlb_range") == nested);
    CHECK(sim.tlb("cpu2", "A").valid == !nested);
  }
}

TEST_CASE("on linux-5.10 mprotect(R) flushes a PTE clear_refs left stale, so soft-dirty is seen",
          "[revision2][change_prot_flush]") {
  // The case from the kernel: a store, clear_refs (5.5-5.11 never flush), mprotect(R),
  // mprotect(RW), a store and pagemap. mprotect(R) visits the present PTE and flushes, so the
  // second store faults (do_wp_page reuse sets soft-dirty) and pagemap reads it dirty. With
  // 5.19's pte_needs_flush() the unchanged PTE asks no flush and the store goes through the
  // stale entry.
  std::string json = scenario_text(
      R"({"A": {}})",
      R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"},
                                      {"op": "mprotect", "addr": "A", "prot": "r"},
                                      {"op": "mprotect", "addr": "A", "prot": "rw"},
                                      {"op": "write", "addr": "A", "value": 2},
                                      {"op": "pagemap", "addr": "A"}]}}})",
      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])", R"(["soft_dirty_sound"])");
  expect_holds(run(json, "linux-5.10"));
  expect_violation(run(json, "linux-5.10", {{"change_prot_flush", "needs_flush"}}),
                   "soft_dirty_sound");
}

// ---- 2. VM_SOFTDIRTY follows mmap ----

TEST_CASE("mmap_region sets VM_SOFTDIRTY: a region starts soft-dirty and pagemap ORs it in",
          "[revision2][soft_dirty]") {
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "pagemap", "addr": "A"},
                                                       {"op": "clear_refs"},
                                                       {"op": "pagemap", "addr": "A"}]}}})"),
          "latest");
  CHECK(sim.vma("P", "A").soft_dirty);
  sim.finish_op("cpu0");
  CHECK_THAT(sim.note, Catch::Contains("soft-dirty 1"));  // no PTE: VM_SOFTDIRTY alone
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.vma("P", "A").soft_dirty);
  sim.finish_op("cpu0");
  CHECK_THAT(sim.note, Catch::Contains("soft-dirty 0"));
}

TEST_CASE("clear_refs recomputes vm_page_prot: a shared VMA then wants write-notify",
          "[revision2][soft_dirty]") {
  // vma_wants_writenotify(): VM_SOFTDIRTY set means no soft-dirty tracking, so right after mmap
  // a shmem read fault maps the page writable (do_set_pte with vm_page_prot); after clear_refs
  // (VM_SOFTDIRTY cleared, vma_set_page_prot) it maps it read-only.
  Sim sim(scenario_text(R"({"A": {"type": "shmem", "pages": 2}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "read", "addr": "A"},
                                                       {"op": "clear_refs"},
                                                       {"op": "read", "addr": "A+1"}]}}})"),
          "linux-6.1");
  sim.finish_op("cpu0");
  CHECK(sim.pte("P", "A").write);
  CHECK_FALSE(sim.pte("P", "A").dirty);
  sim.finish_op("cpu0");
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.pte("P", "A+1").write);
}

// ---- 3. mprotect's write upgrade reads the old vm_page_prot ----

TEST_CASE(
    "mprotect_fixup computes write-notify with the old vm_page_prot: no upgrade on shmem R to RW",
    "[revision2][mprotect]") {
  // mprotect_fixup() sets vm_flags, then calls vma_wants_writenotify(vma, vma->vm_page_prot)
  // with the old pgprot (dirty_accountable <= 5.19; MM_CP_TRY_CHANGE_WRITABLE 6.0+), and only
  // then vma_set_page_prot(). The pgprot comparison fails on any protection change, so a dirty
  // shmem PTE stays read-only whatever mprotect_dirty_accountable or mprotect_try_writable say.
  for (const char* preset : {"linux-5.10", "linux-6.0", "latest"}) {
    INFO(preset);
    Sim sim(
        scenario_text(R"({"A": {"type": "shmem", "soft_dirty": false}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "r"},
                                                         {"op": "mprotect", "addr": "A", "prot": "rw"}]}}})",
                      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
        preset, {{"mprotect_dirty_accountable", "true"}});
    REQUIRE(sim.pte("P", "A").dirty);
    REQUIRE(sim.pte("P", "A").soft_dirty);
    sim.finish_op("cpu0");
    sim.finish_op("cpu0");
    CHECK_FALSE(sim.pte("P", "A").write);
    CHECK(sim.pte("P", "A").dirty);
  }
}

// ---- 4. mprotect_try_writable = off | dirty | exclusive ----

TEST_CASE(
    "d84887739d5c (6.2): mprotect makes a clean exclusive anon PTE writable; 6.0 and 6.1 need it "
    "dirty",
    "[revision2][mprotect]") {
  // The clean exclusive PTE comes from an R/O pin's unshare after fork: wp_page_copy maps the
  // copy read-only and clean.
  auto write_after = [](const std::string& preset, const Sets& sets) {
    Sim sim(clean_exclusive_mprotect_scenario(), preset, sets);
    REQUIRE_FALSE(sim.pte("P", "A").dirty);
    REQUIRE(sim.frame_at("P", "A").anon_exclusive);
    sim.finish_op("cpu0");
    sim.finish_op("cpu0");
    return sim.pte("P", "A").write;
  };
  CHECK_FALSE(write_after("linux-6.0", {}));
  CHECK_FALSE(write_after("linux-6.1", {}));
  CHECK(write_after("linux-6.2", {}));
  CHECK(write_after("latest", {}));
  CHECK(write_after("linux-6.1", {{"mprotect_try_writable", "exclusive"}}));
  CHECK_FALSE(write_after("latest", {{"mprotect_try_writable", "dirty"}}));
  CHECK_FALSE(write_after("latest", {{"mprotect_try_writable", "off"}}));
}

// ---- 5. A write through a pin or get handle is a store ----

TEST_CASE("9348b73c2e1b: a page dirtied through a pin after clear_refs must read soft-dirty",
          "[revision2][soft_dirty]") {
  // "dirtied by the pinning entity without ever being noticed in the page tables": on 5.10
  // clear_refs write-protects the pinned PTE and clears soft-dirty, the device writes, pagemap
  // reads clean. 5.11 leaves a pinned anonymous page writable and soft-dirty. Nothing skips a
  // shmem page, on any kernel.
  auto scenario = [](const char* type) {
    return scenario_text(std::string(R"({"A": {"type": ")") + type + R"("}})",
                         R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"},
                                                        {"op": "pin_write", "pin": "p", "value": 2},
                                                        {"op": "pagemap", "addr": "A"}]}}})",
                         R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                             {"thread": "cpu0", "op": "pin", "addr": "A", "write": true, "as": "p"}])",
                         R"(["soft_dirty_sound"])");
  };
  expect_violation(run(scenario("anon"), "linux-5.10"), "soft_dirty_sound");
  expect_holds(run(scenario("anon"), "linux-5.11"));
  expect_holds(run(scenario("anon"), "latest"));
  for (const char* preset : {"linux-5.10", "linux-5.11", "latest"}) {
    INFO(preset);
    expect_violation(run(scenario("shmem"), preset), "soft_dirty_sound");
  }
}

TEST_CASE("a write through a pin to a uffd-wp-protected page is a store without a WP fault",
          "[revision2][uffd_wp_sound]") {
  std::string json = scenario_text(R"({"A": {"uffd_wp": true}})",
                                   R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"},
                                                   {"op": "pin_write", "pin": "p", "value": 2}]}}})",
                                   R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                        {"thread": "cpu0", "op": "pin", "addr": "A", "write": true, "as": "p"}])",
                                   R"(["uffd_wp_sound"])");
  auto o = run(json, "latest");
  expect_violation(o, "uffd_wp_sound");
  CHECK_THAT(o.message, Catch::Contains("p"));
}

// ---- 6. uffd_wp_sound protects what the kernel protects ----

TEST_CASE("uffd-wp of a none anonymous PTE protects nothing (before UFFD_FEATURE_WP_UNPOPULATED)",
          "[revision2][uffd_wp_sound]") {
  // change_pte_range() skips a none PTE of an anonymous VMA; do_anonymous_page() then maps a
  // fresh page without uffd_wp. The documented behaviour, not a bug.
  std::string unpopulated =
      scenario_text(R"({"A": {"uffd_wp": true}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"},
                                     {"op": "write", "addr": "A", "value": 2}]}}})",
                    "[]", R"(["uffd_wp_sound"])");
  for (const char* preset : {"linux-5.7", "linux-5.12", "linux-6.1", "latest"}) {
    INFO(preset);
    auto o = run(unpopulated, preset);
    expect_holds(o);
    CHECK(coverage_of(o, "do_wp_page.userfault") == 0);
  }
  // A populated page is protected: the store waits in handle_userfault.
  std::string populated =
      scenario_text(R"({"A": {"uffd_wp": true}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"},
                                     {"op": "write", "addr": "A", "value": 2}]}}})",
                    R"([{"thread": "cpu0", "op": "read", "addr": "A"}])", R"(["uffd_wp_sound"])");
  auto o = run(populated, "latest");
  expect_holds(o);
  CHECK(coverage_of(o, "handle_userfault.wait") > 0);
}

// ---- 8. Range walks cover the range, and only it ----

TEST_CASE("mwriteprotect_range walks its own range only: unprotecting A+1 keeps A protected",
          "[revision2][range]") {
  std::string json =
      scenario_text(R"({"A": {"pages": 2, "uffd_wp": true}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A", "pages": 2},
                                     {"op": "uffd_unwp", "addr": "A+1"},
                                     {"op": "write", "addr": "A", "value": 3}],
                            "cpu1": [{"op": "uffd_unwp", "addr": "A"}]}}})",
                    R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu0", "op": "write", "addr": "A+1", "value": 2}])",
                    R"(["uffd_wp_sound"])");
  Sim sim(json, "latest");
  sim.finish_op("cpu0");
  REQUIRE(sim.pte("P", "A").uffd_wp);
  Steps steps = sim.finish_op("cpu0");
  CHECK(std::count(steps.begin(), steps.end(), "uffd_unwp.pte") == 1);
  CHECK(sim.pte("P", "A").uffd_wp);  // untouched
  CHECK_FALSE(sim.pte("P", "A+1").uffd_wp);
  auto o = run(json, "latest");
  expect_holds(o);
  CHECK(coverage_of(o, "handle_userfault.wait") > 0);
}

TEST_CASE("uffd_wp of A+1 leaves A alone: a store to A neither waits nor deadlocks",
          "[revision2][range]") {
  std::string json = scenario_text(R"({"A": {"pages": 2, "uffd_wp": true}})",
                                   R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A+1"}],
                            "cpu1": [{"op": "write", "addr": "A", "value": 3}]}}})",
                                   R"([{"thread": "cpu1", "op": "read", "addr": "A"},
          {"thread": "cpu1", "op": "read", "addr": "A+1"}])",
                                   R"(["uffd_wp_sound", "no_deadlock"])");
  auto o = run(json, "latest");
  expect_holds(o);
  CHECK(coverage_of(o, "handle_userfault.wait") == 0);
}

TEST_CASE("mprotect walks its own range: mprotect(R) of A+1 leaves A's PTE writable",
          "[revision2][range]") {
  Sim sim(scenario_text(
              R"({"A": {"pages": 2}})",
              R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A+1", "prot": "r"}]}}})",
              R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "write", "addr": "A+1", "value": 2}])"),
          "latest");
  Steps steps = sim.finish_op("cpu0");
  CHECK(std::count(steps.begin(), steps.end(), "mprotect.pte") == 1);
  CHECK(sim.pte("P", "A").write);
  CHECK(sim.tlb("cpu0", "A").valid);
  CHECK_FALSE(sim.pte("P", "A+1").write);
}

// ---- 9. mprotect to the same flags does nothing ----

TEST_CASE("mprotect_fixup returns early when newflags == oldflags", "[revision2][mprotect]") {
  // A private writable PTE (W1 after a store) would lose W if pte_modify() ran with the
  // private vm_page_prot.
  for (const char* preset : {"linux-5.10", "latest"}) {
    INFO(preset);
    Sim sim(scenario_text(
                R"({"A": {}})",
                R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "rw"}]}}})",
                R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
            preset);
    REQUIRE(sim.pte("P", "A").write);
    CHECK(sim.finish_op("cpu0") == Steps{"mprotect.mmap_write_lock", "mprotect.mmap_write_unlock"});
    CHECK(sim.pte("P", "A").write);
    CHECK(sim.tlb("cpu0", "A").valid);
  }
}

// ---- 10. uffd-wp markers on shared memory ----

TEST_CASE("PTE_MARKER_UFFD_WP (5.19): a protected none shmem PTE keeps uffd_wp through the fault",
          "[revision2][marker]") {
  Sim sim(scenario_text(R"({"A": {"type": "shmem", "uffd_wp": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"},
                                                       {"op": "pagemap", "addr": "A"},
                                                       {"op": "uffd_unwp", "addr": "A"}],
                                              "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})"),
          "linux-5.19");
  CHECK(has_step(sim.finish_op("cpu0"), "uffd_wp.marker"));
  CHECK(sim.pte("P", "A").marker);
  CHECK_FALSE(sim.pte("P", "A").present);
  sim.finish_op("cpu0");
  CHECK_THAT(sim.note, Catch::Contains("uffd-wp 1"));
  // The store's fault maps the page with uffd_wp kept (do_set_pte: pte_mkuffd_wp), read-only;
  // the retried store takes the WP fault.
  sim.run_until("cpu1", "do_fault.map");
  CHECK(sim.pte("P", "A").present);
  CHECK(sim.pte("P", "A").uffd_wp);
  CHECK_FALSE(sim.pte("P", "A").write);
  CHECK_FALSE(sim.pte("P", "A").marker);
  sim.run_until("cpu1", "handle_userfault.wait");
  CHECK_FALSE(sim.done("cpu1"));
}

TEST_CASE("an unprotect drops the uffd-wp marker, and munmap takes it with the VMA",
          "[revision2][marker]") {
  Sim sim(scenario_text(R"({"A": {"type": "shmem", "pages": 2, "uffd_wp": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"},
                                                       {"op": "munmap", "addr": "A+1"}]}}})",
                        R"([{"thread": "cpu0", "op": "uffd_wp", "addr": "A", "pages": 2}])"),
          "latest");
  REQUIRE(sim.pte("P", "A").marker);
  REQUIRE(sim.pte("P", "A+1").marker);
  CHECK(has_step(sim.finish_op("cpu0"), "uffd_unwp.marker"));
  CHECK_FALSE(sim.pte("P", "A").marker);
  CHECK(sim.pte("P", "A+1").marker);
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.pte("P", "A+1").marker);
}

TEST_CASE(
    "a store to a protected unpopulated shmem page waits for the unprotect (no false violation)",
    "[revision2][marker]") {
  std::string json = scenario_text(R"({"A": {"type": "shmem", "uffd_wp": true}})",
                                   R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                            "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
                                   R"([{"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])",
                                   R"(["uffd_wp_sound"])");
  for (const char* preset : {"linux-5.19", "linux-6.1", "latest"}) {
    INFO(preset);
    auto o = run(json, preset);
    expect_holds(o);
    CHECK(coverage_of(o, "handle_userfault.wait") > 0);
  }
}

}  // namespace
}  // namespace mmtest
