// Each policy of the README's policy table, switched on and off on one base preset: the branch it
// names changes, and nothing else in the same situation does.
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

using Steps = std::vector<std::string>;

// Steps the thread until its fault reaches do_wp_page's decision; returns that step's name.
std::string wp_decision(Sim& sim, const std::string& thread) {
  for (int i = 0; i < 16; ++i) {
    std::string name = sim.step(thread);
    if (name.rfind("do_wp_page.", 0) == 0) return name;
  }
  FAIL(thread << " never reached do_wp_page: " << sim.history());
  return "";
}

bool contains(const Steps& steps, const std::string& name) {
  return std::find(steps.begin(), steps.end(), name) != steps.end();
}

// ---- cow_reuse ----

// The writer cpu0 of P faults on a read-only anon PTE. Every other policy is linux-5.19's.
std::string decision_with(const std::string& cow_reuse, const std::string& setup,
                          const std::string& processes) {
  Sim sim(scenario_text(R"({"A": {}})", processes, setup), "linux-5.19",
          {{"cow_reuse", cow_reuse}});
  REQUIRE_FALSE(sim.pte("P", "A").write);
  return wp_decision(sim, "cpu0");
}

TEST_CASE("cow_reuse decides reuse or copy for a page with an extra reference", "[policy]") {
  // mapcount 1, refcount 2 (an I/O reference, which no drain drops), anon_exclusive.
  const char* processes =
      R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 2}]}}})";
  const char* setup = R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "extra_ref", "addr": "A", "kind": "io"},
                          {"thread": "cpu0", "op": "clear_refs"}])";
  CHECK(decision_with("mapcount", setup, processes) == "do_wp_page.reuse");  // refs ignored
  CHECK(decision_with("refcount", setup, processes) == "do_wp_page.copy");   // 09854ba94c6a
  CHECK(decision_with("anon_exclusive", setup, processes) == "do_wp_page.reuse");
}

TEST_CASE("cow_reuse copies a page mapped twice after fork under every rule", "[policy]") {
  const char* processes =
      R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 2}]}},
                              "C": {"threads": {"c0": []}}})";
  const char* setup = R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "fork", "child": "C"}])";
  CHECK(decision_with("mapcount", setup, processes) == "do_wp_page.copy");
  CHECK(decision_with("refcount", setup, processes) == "do_wp_page.copy");
  CHECK(decision_with("anon_exclusive", setup, processes) == "do_wp_page.copy");
}

TEST_CASE("cow_reuse decides the wrong-way COW: a child unmapped but kept a vmsplice reference",
          "[policy]") {
  // The parent's page: mapcount 1, refcount 2 (the child's pipe buffer), shared since fork.
  const char* processes =
      R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 2}]}},
                              "C": {"threads": {"c0": []}}})";
  const char* setup = R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "fork", "child": "C"},
                          {"thread": "c0", "op": "vmsplice", "addr": "A", "as": "g"},
                          {"thread": "c0", "op": "munmap", "addr": "A"}])";
  CHECK(decision_with("mapcount", setup, processes) == "do_wp_page.reuse");  // CVE-2020-29374
  CHECK(decision_with("refcount", setup, processes) == "do_wp_page.copy");
  CHECK(decision_with("anon_exclusive", setup, processes) == "do_wp_page.copy");
}

TEST_CASE("cow_reuse anon_exclusive marks a sole-reference page exclusive and reuses it",
          "[policy]") {
  // After the child exits the page is the parent's alone again, but fork cleared the flag.
  const char* processes =
      R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 2}]}},
                              "C": {"threads": {"c0": []}}})";
  const char* setup = R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "fork", "child": "C"},
                          {"thread": "c0", "op": "exit"}])";
  Sim sim(scenario_text(R"({"A": {}})", processes, setup), "linux-5.19");
  REQUIRE(sim.frame(0).refcount == 1);
  REQUIRE_FALSE(sim.frame(0).anon_exclusive);
  CHECK(wp_decision(sim, "cpu0") == "do_wp_page.reuse");
  CHECK(sim.frame(0).anon_exclusive);
  CHECK(sim.pte("P", "A").write);
  CHECK(decision_with("mapcount", setup, processes) == "do_wp_page.reuse");
  CHECK(decision_with("refcount", setup, processes) == "do_wp_page.reuse");
}

// ---- cow_drain_lru ----

TEST_CASE("cow_drain_lru drops the LRU-pagevec reference before the refcount test", "[policy]") {
  auto make = [](const std::string& kind, const std::string& drain) {
    return std::make_unique<Sim>(
        scenario_text(R"({"A": {}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 2}]}}})",
                      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "extra_ref", "addr": "A", "kind": ")" +
                          kind + R"("},
                          {"thread": "cpu0", "op": "clear_refs"}])"),
        "linux-5.18", Sets{{"cow_drain_lru", drain}});
  };
  auto on = make("lru", "true");
  REQUIRE(on->frame(0).refcount == 2);
  CHECK(wp_decision(*on, "cpu0") == "do_wp_page.reuse");
  CHECK(on->frame(0).refcount == 1);
  int active = 0;
  for (const auto& h : on->s.handles) active += h.active ? 1 : 0;
  CHECK(active == 0);  // the pagevec reference is gone
  CHECK(on->finish_op("cpu0").back() == "access.walk");

  auto off = make("lru", "false");
  CHECK(wp_decision(*off, "cpu0") == "do_wp_page.copy");
  CHECK(off->frame(0).refcount == 3);  // mapping + pagevec + the decision's

  auto io = make("io", "true");  // an I/O reference is not in a pagevec: no drain drops it
  CHECK(wp_decision(*io, "cpu0") == "do_wp_page.copy");
}

// ---- gup_force_cow_break ----

TEST_CASE("gup_force_cow_break makes a read-only get of a COW page break COW first", "[policy]") {
  auto make = [](const std::string& value) {
    return std::make_unique<Sim>(
        scenario_text(R"({"A": {}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "get", "addr": "A", "as": "g"}]}},
                          "C": {"threads": {"c0": []}}})",
                      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "fork", "child": "C"}])"),
        "linux-5.8", Sets{{"gup_force_cow_break", value}});
  };
  auto on = make("true");
  Steps taken = on->finish_op("cpu0");
  CHECK(taken == Steps{"gup.mmap_read_lock", "gup.fault", "do_wp_page.copy", "wp_page_copy.copy",
                       "wp_page_copy.install", "gup.get", "gup.mmap_read_unlock"});
  CHECK(on->pte("P", "A").pfn != on->pte("C", "A").pfn);
  CHECK(on->s.handles[on->handle("g")].pfn == on->pte("P", "A").pfn);

  auto off = make("false");
  CHECK(off->finish_op("cpu0") == Steps{"gup.mmap_read_lock", "gup.get", "gup.mmap_read_unlock"});
  CHECK(off->pte("P", "A").pfn == off->pte("C", "A").pfn);
  CHECK(off->s.handles[off->handle("g")].pfn == 0);
  CHECK_FALSE(off->pte("P", "A").write);
}

// ---- fork_copy_pinned ----

TEST_CASE("fork_copy_pinned gives the child a copy of a pinned page instead of sharing it",
          "[policy]") {
  auto make = [](const std::string& value, bool unpin) {
    std::string setup = R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "pin", "addr": "A", "as": "p"})";
    if (unpin) setup += R"(, {"thread": "cpu0", "op": "unpin", "pin": "p"})";
    setup += "]";
    return std::make_unique<Sim>(
        scenario_text(R"({"A": {}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "fork", "child": "C"}]}},
                          "C": {"threads": {"c0": []}}})",
                      setup),
        "linux-5.9", Sets{{"fork_copy_pinned", value}});
  };
  auto on = make("true", false);
  CHECK(on->finish_op("cpu0") ==
        Steps{"fork.mmap_write_lock", "fork.copy_pinned", "fork.flush_tlb_mm", "fork.return"});
  CHECK(on->pte("P", "A").write);
  CHECK(on->frame(0).mapcount == 1);

  auto off = make("false", false);
  CHECK(off->finish_op("cpu0") ==
        Steps{"fork.mmap_write_lock", "fork.share", "fork.flush_tlb_mm", "fork.return"});
  CHECK_FALSE(off->pte("P", "A").write);
  CHECK(off->frame(0).mapcount == 2);

  auto unpinned = make("true", true);  // has_pinned stays set, but the page is not pinned now
  REQUIRE(unpinned->mm("P").has_pinned);
  CHECK(contains(unpinned->finish_op("cpu0"), "fork.share"));
}

// ---- gup_ro_pin_unshare ----

TEST_CASE("gup_ro_pin_unshare unshares a possibly shared anon page before an R/O pin", "[policy]") {
  auto make = [](const std::string& value, bool child_exits) {
    std::string setup = R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "fork", "child": "C"})";
    if (child_exits) setup += R"(, {"thread": "c0", "op": "exit"})";
    setup += "]";
    return std::make_unique<Sim>(
        scenario_text(R"({"A": {}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "pin", "addr": "A", "as": "p"}]}},
                          "C": {"threads": {"c0": []}}})",
                      setup),
        "linux-5.19", Sets{{"gup_ro_pin_unshare", value}});
  };
  auto on = make("true", false);
  CHECK(on->finish_op("cpu0") == Steps{"gup.mmap_read_lock", "gup.unshare", "do_wp_page.copy",
                                       "wp_page_copy.copy", "wp_page_copy.install", "gup.pin",
                                       "gup.mmap_read_unlock"});
  const vm::Pte& p = on->pte("P", "A");
  CHECK(p.pfn == 1);
  CHECK_FALSE(p.write);  // an unshare keeps the PTE read-only
  CHECK(p.soft_dirty);   // and keeps soft_dirty
  CHECK(on->frame(1).anon_exclusive);
  CHECK(on->s.handles[on->handle("p")].pfn == 1);
  CHECK(on->pte("C", "A").pfn == 0);

  auto off = make("false", false);
  CHECK(off->finish_op("cpu0") == Steps{"gup.mmap_read_lock", "gup.pin", "gup.mmap_read_unlock"});
  CHECK(off->s.handles[off->handle("p")].pfn == 0);  // pins the frame the child shares

  auto sole = make("true", true);  // refcount 1: marked exclusive, nothing to copy
  CHECK(sole->finish_op("cpu0") == Steps{"gup.mmap_read_lock", "gup.unshare", "do_wp_page.unshare",
                                         "gup.pin", "gup.mmap_read_unlock"});
  CHECK(sole->pte("P", "A").pfn == 0);
  CHECK(sole->frame(0).anon_exclusive);
}

// ---- clear_refs_lock ----

TEST_CASE("clear_refs_lock read lets a fault take mmap_lock concurrently; write blocks it",
          "[policy]") {
  auto make = [](const std::string& value) {
    return std::make_unique<Sim>(
        scenario_text(R"({"A": {}, "B": {}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"}],
                                            "cpu1": [{"op": "read", "addr": "B"}]}}})",
                      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
        "linux-5.10", Sets{{"clear_refs_lock", value}});
  };
  SECTION("clear_refs first") {
    auto read = make("read");
    CHECK(read->step("cpu0") == "clear_refs.mmap_lock");
    CHECK(read->mm("P").readers == 1);
    CHECK(read->step("cpu1") == "access.fault");
    CHECK(read->enabled("cpu1"));
    CHECK(read->step("cpu1") == "fault.mmap_read_lock");
    CHECK(read->mm("P").readers == 2);

    auto write = make("write");
    CHECK(write->step("cpu0") == "clear_refs.mmap_lock");
    CHECK(write->mm("P").writer);
    CHECK(write->step("cpu1") == "access.fault");
    CHECK_FALSE(write->enabled("cpu1"));
  }
  SECTION("the fault first") {
    auto read = make("read");
    read->step("cpu1");
    read->step("cpu1");  // holds mmap_lock for read
    CHECK(read->enabled("cpu0"));
    auto write = make("write");
    write->step("cpu1");
    write->step("cpu1");
    CHECK_FALSE(write->enabled("cpu0"));
  }
}

// ---- clear_refs_flush ----

TEST_CASE("clear_refs_flush picks the flush: deferred, none or pending", "[policy]") {
  auto make = [](const std::string& value) {
    return std::make_unique<Sim>(
        scenario_text(R"({"A": {}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"}], "cpu1": []}}})",
                      R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])"),
        "linux-5.10", Sets{{"clear_refs_flush", value}});
  };
  auto deferred = make("deferred");
  CHECK(deferred->finish_op("cpu0") == Steps{"clear_refs.mmap_lock", "clear_refs.pte",
                                             "clear_refs.flush_tlb_mm", "clear_refs.mmap_unlock"});
  CHECK_FALSE(deferred->tlb("cpu1", "A").valid);

  auto none = make("none");
  CHECK(none->finish_op("cpu0") ==
        Steps{"clear_refs.mmap_lock", "clear_refs.pte", "clear_refs.mmap_unlock"});
  CHECK(none->tlb("cpu1", "A").valid);  // 0758cd830494: the writable entry outlives clear_refs
  CHECK(none->tlb("cpu1", "A").writable);
  CHECK_FALSE(none->pte("P", "A").write);

  auto pending = make("pending");
  CHECK(pending->run_until("cpu0", "clear_refs.pte") ==
        Steps{"clear_refs.mmap_lock", "clear_refs.inc_tlb_flush_pending", "clear_refs.pte"});
  CHECK(pending->mm("P").tlb_flush_pending == 1);
  CHECK(pending->finish_op("cpu0") == Steps{"clear_refs.flush_tlb_mm",
                                            "clear_refs.dec_tlb_flush_pending",
                                            "clear_refs.mmap_unlock"});
  CHECK(pending->mm("P").tlb_flush_pending == 0);
  CHECK_FALSE(pending->tlb("cpu1", "A").valid);
}

// ---- clear_refs_skip_pinned ----

TEST_CASE("clear_refs_skip_pinned leaves a pinned page writable and soft-dirty", "[policy]") {
  auto make = [](const std::string& value) {
    return std::make_unique<Sim>(
        scenario_text(R"({"A": {}, "B": {}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"}]}}})",
                      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "write", "addr": "B", "value": 2},
                          {"thread": "cpu0", "op": "pin", "addr": "A", "write": true, "as": "p"}])"),
        "linux-5.11", Sets{{"clear_refs_skip_pinned", value}});
  };
  auto on = make("true");
  CHECK(on->finish_op("cpu0") == Steps{"clear_refs.mmap_lock", "clear_refs.skip_pinned",
                                       "clear_refs.pte", "clear_refs.mmap_unlock"});
  CHECK(on->pte("P", "A").write);
  CHECK(on->pte("P", "A").soft_dirty);
  CHECK_FALSE(on->pte("P", "B").write);  // the unpinned page is cleared as usual
  CHECK_FALSE(on->pte("P", "B").soft_dirty);

  auto off = make("false");
  CHECK(off->finish_op("cpu0") == Steps{"clear_refs.mmap_lock", "clear_refs.pte", "clear_refs.pte",
                                        "clear_refs.mmap_unlock"});
  CHECK_FALSE(off->pte("P", "A").write);
  CHECK_FALSE(off->pte("P", "A").soft_dirty);
}

// ---- uffd_wp ----

const char* kUffdProcesses = R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                                                  "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})";
const char* kUffdSetup = R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                             {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])";

TEST_CASE("uffd_wp none makes a uffd-wp scenario unsupported (exit 3), never a pass", "[policy]") {
  std::string anon = scenario_text(R"({"A": {"uffd_wp": true}})", kUffdProcesses, kUffdSetup);
  auto on_5_4 = run(anon, "linux-5.4");
  CHECK(on_5_4.verdict == mmcheck::cli::Outcome::Unsupported);
  CHECK(on_5_4.exit_code == 3);
  CHECK_FALSE(on_5_4.unsupported_reason.empty());
  CHECK(on_5_4.stats.states == 0);  // nothing was explored

  auto none = run(anon, "latest", {{"uffd_wp", "none"}});
  CHECK(none.verdict == mmcheck::cli::Outcome::Unsupported);
  CHECK(none.exit_code == 3);
  auto anon_on = run(anon, "linux-5.7");
  CHECK(anon_on.verdict == mmcheck::cli::Outcome::Holds);
  CHECK(anon_on.exit_code == 0);

  // An op alone (no region flag) needs the feature too.
  std::string op_only = scenario_text(
      R"({"A": {}})", R"({"P": {"threads": {"cpu0": [{"op": "uffd_register", "addr": "A"}]}}})");
  CHECK(run(op_only, "linux-5.4").verdict == mmcheck::cli::Outcome::Unsupported);
  CHECK(run(op_only, "linux-5.7").verdict == mmcheck::cli::Outcome::Holds);
}

TEST_CASE("uffd_wp anon makes uffd-wp on shmem unsupported; anon_shmem supports it", "[policy]") {
  std::string shmem =
      scenario_text(R"({"A": {"type": "shmem", "uffd_wp": true}})", kUffdProcesses, kUffdSetup);
  auto anon_only = run(shmem, "linux-5.18");
  CHECK(anon_only.verdict == mmcheck::cli::Outcome::Unsupported);
  CHECK(anon_only.exit_code == 3);
  CHECK(run(shmem, "latest", {{"uffd_wp", "anon"}}).verdict == mmcheck::cli::Outcome::Unsupported);
  auto both = run(shmem, "linux-5.19");
  CHECK(both.verdict == mmcheck::cli::Outcome::Holds);
  CHECK(both.exit_code == 0);
  CHECK(coverage_of(both, "handle_userfault.wait") > 0);
  // An anon region next to an unregistered shmem one is fine on anon.
  std::string mixed = scenario_text(R"({"A": {"uffd_wp": true}, "S": {"type": "shmem"}})",
                                    kUffdProcesses, kUffdSetup);
  CHECK(run(mixed, "linux-5.18").verdict == mmcheck::cli::Outcome::Holds);
}

// ---- uffd_wp_pending_flush ----

TEST_CASE(
    "uffd_wp_pending_flush flushes the page in do_wp_page while an unprotect's flush is pending",
    "[policy]") {
  // Scenario 1 (the README's "Scenario files"): cpu2's warm writable entry, an extra reference
  // forcing a copy.
  auto make = [](const std::string& value) {
    return std::make_unique<Sim>(
        scenario_text(R"({"A": {"uffd_wp": true}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                                            "cpu1": [{"op": "write", "addr": "A", "value": 2}],
                                            "cpu2": []}}})",
                      R"([{"thread": "cpu2", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "extra_ref", "addr": "A", "kind": "io"}])"),
        "linux-5.10", Sets{{"uffd_wp_pending_flush", value}});
  };
  for (const char* value : {"true", "false"}) {
    auto sim = make(value);
    sim->run_until("cpu0", "uffd_unwp.pte");
    REQUIRE(sim->mm("P").tlb_flush_pending == 1);
    REQUIRE(sim->tlb("cpu2", "A").writable);
    CHECK(wp_decision(*sim, "cpu1") == "do_wp_page.copy");
    if (std::string(value) == "true") {
      CHECK_FALSE(sim->tlb("cpu2", "A").valid);  // 6ce64428d620: flush_tlb_page first
      CHECK_FALSE(sim->violation.has_value());
    } else {
      CHECK(sim->tlb("cpu2", "A").valid);
      CHECK(sim->violation == std::optional<std::string>("no_stale_tlb_at_cow"));
    }
  }
}

TEST_CASE("uffd_wp_pending_flush does not flush for a VMA not registered for uffd-wp", "[policy]") {
  // The unprotect of A leaves tlb_flush_pending 1 for the mm; B's fault does not look at it.
  Sim sim(scenario_text(R"({"A": {"uffd_wp": true}, "B": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                                              "cpu1": [{"op": "write", "addr": "B", "value": 2}],
                                              "cpu2": []}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 9},
                            {"thread": "cpu2", "op": "write", "addr": "B", "value": 1},
                            {"thread": "cpu0", "op": "extra_ref", "addr": "B", "kind": "io"},
                            {"thread": "cpu0", "op": "clear_refs"}])"),
          "linux-5.10", {{"uffd_wp_pending_flush", "true"}});
  REQUIRE(sim.tlb("cpu2", "B").writable);  // clear_refs on 5.10 did not flush
  sim.run_until("cpu0", "uffd_unwp.pte");
  REQUIRE(sim.mm("P").tlb_flush_pending == 1);
  CHECK(wp_decision(sim, "cpu1") == "do_wp_page.copy");
  CHECK(sim.tlb("cpu2", "B").valid);
  CHECK(sim.violation == std::optional<std::string>("no_stale_tlb_at_cow"));
}

// ---- uffd_wp_writenotify ----

TEST_CASE("uffd_wp_writenotify maps a uffd-wp shmem page read-only on a load", "[policy]") {
  auto pte_after_load = [](const std::string& value, bool vm_softdirty) {
    Sim sim(
        scenario_text(std::string(R"({"A": {"type": "shmem", "uffd_wp": true, "soft_dirty": )") +
                          (vm_softdirty ? "true" : "false") + "}}",
                      R"({"P": {"threads": {"cpu0": [{"op": "read", "addr": "A"}]}}})"),
        "linux-6.2", {{"uffd_wp_writenotify", value}});
    CHECK(sim.run_until("cpu0", "do_fault.map").back() == "do_fault.map");
    return sim.pte("P", "A").write;
  };
  // With VM_SOFTDIRTY set, soft-dirty tracking does not want write-notify: only uffd-wp can.
  CHECK_FALSE(pte_after_load("true", true));
  CHECK(pte_after_load("false", true));
  // Soft-dirty tracking (VM_SOFTDIRTY clear) wants write-notify on its own.
  CHECK_FALSE(pte_after_load("false", false));
}

// ---- mprotect_dirty_accountable ----

// Before Revision 2 this test expected a dirty shmem PTE to become writable with the policy on.
// The kernel computes dirty_accountable with the VMA's old vm_page_prot (mprotect_fixup:
// `vma->vm_flags = newflags; dirty_accountable = vma_wants_writenotify(vma,
// vma->vm_page_prot); vma_set_page_prot(vma);`), and vma_wants_writenotify() returns 0 when
// that old pgprot differs from vm_pgprot_modify(old, newflags), as it does on R to RW. So for
// shmem (no page_mkwrite) the upgrade never fires, policy on or off.
TEST_CASE("mprotect_dirty_accountable never upgrades a shmem PTE on R to RW (old vm_page_prot)",
          "[policy]") {
  auto write_after = [](const std::string& value, bool dirty) {
    Sim sim(
        scenario_text(R"({"A": {"type": "shmem", "soft_dirty": false}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "r"},
                                                         {"op": "mprotect", "addr": "A", "prot": "rw"}]}}})",
                      dirty ? R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"
                            : R"([{"thread": "cpu0", "op": "read", "addr": "A"}])"),
        "linux-5.10", {{"mprotect_dirty_accountable", value}});
    REQUIRE(sim.pte("P", "A").dirty == dirty);
    sim.finish_op("cpu0");
    REQUIRE_FALSE(sim.pte("P", "A").write);
    sim.finish_op("cpu0");
    return sim.pte("P", "A").write;
  };
  CHECK_FALSE(write_after("true", true));
  CHECK_FALSE(write_after("false", true));
  CHECK_FALSE(write_after("true", false));
}

// ---- mprotect_try_writable ----

TEST_CASE("mprotect_try_writable maps an exclusive dirty anon page writable", "[policy]") {
  auto write_after = [](const std::string& value, bool forked) {
    std::string setup = R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1})";
    if (forked) setup += R"(, {"thread": "cpu0", "op": "fork", "child": "C"})";
    setup += "]";
    Sim sim(
        scenario_text(R"({"A": {}})",
                      R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "r"},
                                                         {"op": "mprotect", "addr": "A", "prot": "rw"}]}},
                              "C": {"threads": {"c0": []}}})",
                      setup),
        "linux-6.0", {{"mprotect_try_writable", value}});
    sim.finish_op("cpu0");
    REQUIRE_FALSE(sim.pte("P", "A").write);
    sim.finish_op("cpu0");
    return sim.pte("P", "A").write;
  };
  CHECK(write_after("dirty", false));
  CHECK(write_after("exclusive", false));
  CHECK_FALSE(write_after("off", false));
  CHECK_FALSE(write_after("dirty", true));  // shared with the child: not anon_exclusive
  CHECK_FALSE(write_after("exclusive", true));
}

TEST_CASE("mprotect_try_writable on 6.0 leaves a clean exclusive anon PTE read-only", "[policy]") {
  // 64fe24a3e05e's can_change_pte_writable() (6.0, and 6.1) starts with
  //   if (pte_protnone(pte) || !pte_dirty(pte)) return false;
  // for private and shared mappings alike, so on the linux-6.0 preset a clean exclusive anon
  // PTE stays read-only. (d84887739d5c, 6.2, dropped the dirty test for exclusive anon pages.)
  // The clean exclusive PTE comes from an R/O pin's unshare: wp_page_copy maps the copy
  // read-only and clean, keeping soft_dirty.
  Sim sim(clean_exclusive_mprotect_scenario(), "linux-6.0");
  const vm::Pte& p = sim.pte("P", "A");
  REQUIRE(p.pfn == 1);  // the unshared copy
  REQUIRE_FALSE(p.write);
  REQUIRE_FALSE(p.dirty);
  REQUIRE(p.soft_dirty);
  REQUIRE(sim.frame(1).anon_exclusive);
  sim.finish_op("cpu0");
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.pte("P", "A").write);
}

}  // namespace
}  // namespace mmtest
