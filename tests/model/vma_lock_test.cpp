// Today's kernels: per-VMA locks (fault_lock, fork_vma_wrlock, clear_refs_lock=write+vma) and
// 6.3's un-protect (uffd_unwp_try_writable), step by step against the kernel's rules, and the
// two races they brought (scenarios/fork-vma-lock-fault-stale-tlb.json, C.1, and
// scenarios/clear-refs-vma-lock-fault.json, C.2).
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

// P's cpu0 runs `op0`; cpu1 stores to A; C exists for a fork to create. cpu0's setup store maps
// A and gives its VMA an anon_vma, unless `populate` is false.
std::string two_threads(const std::string& region, const std::string& op0, bool populate = true,
                        const std::string& extra_setup = "") {
  std::string setup = populate ? R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1})" +
                                     extra_setup + "]"
                               : "[" + extra_setup + "]";
  return scenario_text(R"({"A": )" + region + "}",
                       R"({"P": {"threads": {"cpu0": [)" + op0 +
                           R"(], "cpu1": [{"op": "write", "addr": "A", "value": 2}]}},
                               "C": {"threads": {"c0": []}}})",
                       setup);
}

const char* kFork = R"({"op": "fork", "child": "C"})";

// cpu0 takes its op's first step (mmap_lock write); then cpu1's store: it faults (PTE W0 after
// fork's share, or none) and reaches its lock step.
void fork_then_store_faults(Sim& sim) {
  CHECK(sim.step("cpu0") == "fork.mmap_write_lock");
  CHECK(sim.step("cpu0") == "fork.share");
  CHECK(sim.step("cpu1") == "access.fault");
}

TEST_CASE(
    "fault_lock=vma_anon (0bff0aaea03e, 6.4): a fault runs under the VMA lock while fork "
    "holds mmap_lock for write",
    "[vma_lock]") {
  Sim sim(two_threads("{}", kFork), "linux-6.4");
  CHECK(sim.vma("P", "A").anon_vma);
  fork_then_store_faults(sim);
  REQUIRE(sim.mm("P").writer);
  CHECK(sim.step("cpu1") == "fault.lock_vma_under_rcu");
  CHECK(sim.s.threads[sim.thread("cpu1")].vma_locked);
  CHECK(sim.mm("P").readers == 0);
  CHECK(sim.step("cpu1") == "do_wp_page.copy");  // fork cleared PageAnonExclusive
}

TEST_CASE("Before 6.4 the same fault waits for fork's mmap_lock", "[vma_lock]") {
  Sim sim(two_threads("{}", kFork), "linux-6.3");
  CHECK_FALSE(sim.vma("P", "A").anon_vma);  // no per-VMA locks: the flag is never kept
  fork_then_store_faults(sim);
  CHECK_FALSE(sim.enabled("cpu1"));
  CHECK(sim.model->why_blocked(sim.s, sim.thread("cpu1")) == "waits for P's mmap_lock");
}

TEST_CASE(
    "fork_vma_wrlock (fb49c455323f, 6.5): fork write-locks the parent's VMAs, so the "
    "fault falls back to mmap_lock and waits",
    "[vma_lock]") {
  Sim sim(two_threads("{}", kFork), "linux-6.5");
  fork_then_store_faults(sim);
  CHECK(sim.vma("P", "A").wlocked);
  CHECK_FALSE(sim.vma("C", "A").wlocked);  // the child's VMAs are not the parent's
  CHECK_FALSE(sim.enabled("cpu1"));
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.vma("P", "A").wlocked);  // mmap_write_unlock ends the VMA write locks
  CHECK(sim.step("cpu1") == "fault.lock_vma_under_rcu");
}

TEST_CASE("vma_start_write waits for a fault holding the VMA's read lock", "[vma_lock]") {
  Sim reader(
      scenario_text(R"({"A": {}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "r"}],
                                                 "cpu1": [{"op": "write", "addr": "A", "word": 0, "value": 2}],
                                                 "cpu2": [{"op": "read", "addr": "A"}]}}})",
                    R"([{"thread": "cpu2", "op": "write", "addr": "A", "value": 1},
                               {"thread": "cpu0", "op": "clear_refs"}])"),
      "linux-6.5");
  // clear_refs in the setup write-protected A and flushed: cpu1's store faults.
  CHECK(reader.step("cpu1") == "access.fault");
  CHECK(reader.step("cpu1") == "fault.lock_vma_under_rcu");
  CHECK_FALSE(reader.enabled("cpu0"));
  CHECK_THAT(reader.model->why_blocked(reader.s, reader.thread("cpu0")),
             Catch::Contains("vma_start_write"));
  reader.finish_op("cpu1");
  CHECK(reader.step("cpu0") == "mprotect.mmap_write_lock");
  CHECK(reader.vma("P", "A").wlocked);
}

TEST_CASE("An anonymous VMA without an anon_vma faults under mmap_lock on every kernel",
          "[vma_lock]") {
  for (const char* preset : {"linux-6.4", "linux-6.7", "latest"}) {
    INFO(preset);
    Sim sim(two_threads("{}", R"({"op": "read", "addr": "A"})", false), preset);
    CHECK_FALSE(sim.vma("P", "A").anon_vma);
    CHECK(sim.step("cpu1") == "access.fault");
    CHECK(sim.step("cpu1") == "fault.mmap_read_lock");
    sim.finish_op("cpu1");
    CHECK(sim.vma("P", "A").anon_vma);  // do_anonymous_page for a store: anon_vma_prepare()
  }
  // A load maps the zero page, which needs no anon_vma: the next fault still takes mmap_lock.
  Sim load(scenario_text(R"({"A": {}})",
                         R"({"P": {"threads": {"cpu1": [{"op": "read", "addr": "A"}]}}})"),
           "latest");
  load.finish_op("cpu1");
  CHECK(load.pte("P", "A").present);
  CHECK_FALSE(load.vma("P", "A").anon_vma);
}

TEST_CASE("A uffd-armed VMA faults under mmap_lock on 6.4 and 6.5, under its VMA lock from 6.6",
          "[vma_lock]") {
  // clear_refs in the setup write-protects A, so cpu1's store faults (and reuses A).
  std::string json = scenario_text(R"({"A": {"uffd_wp": true}})",
                                   R"({"P": {"threads": {"cpu0": [{"op": "pagemap", "addr": "A"}],
                            "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
                                   R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu0", "op": "clear_refs"}])");
  for (const char* preset : {"linux-6.4", "linux-6.5"}) {
    INFO(preset);
    Sim sim(json, preset);
    CHECK(sim.step("cpu1") == "access.fault");
    CHECK(sim.step("cpu1") == "fault.mmap_read_lock");
  }
  Sim sim(json, "linux-6.6");
  CHECK(sim.step("cpu1") == "access.fault");
  CHECK(sim.step("cpu1") == "fault.lock_vma_under_rcu");
}

TEST_CASE("A shmem fault takes mmap_lock until 6.7, its VMA lock from 6.7", "[vma_lock]") {
  std::string json = two_threads(R"({"type": "shmem"})", "", false);
  Sim old(json, "linux-6.6");
  CHECK(old.step("cpu1") == "access.fault");
  CHECK(old.step("cpu1") == "fault.mmap_read_lock");
  Sim now(json, "linux-6.7");
  CHECK(now.step("cpu1") == "access.fault");
  CHECK(now.step("cpu1") == "fault.lock_vma_under_rcu");
}

TEST_CASE("clear_refs_lock: 6.4 write-locks only VMAs with VM_SOFTDIRTY set, 6.5 every VMA",
          "[vma_lock]") {
  // A first clear_refs clears VM_SOFTDIRTY; the second one is the op under test.
  std::string json =
      scenario_text(R"({"A": {}})", R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"}]}}})",
                    R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])");
  Sim first(json, "linux-6.4");
  REQUIRE(first.vma("P", "A").soft_dirty);
  CHECK(first.step("cpu0") == "clear_refs.mmap_lock");
  CHECK(first.vma("P", "A").wlocked);
  std::string second =
      scenario_text(R"({"A": {}})", R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"}]}}})",
                    R"([{"thread": "cpu0", "op": "clear_refs"},
          {"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])");
  Sim v64(second, "linux-6.4");
  REQUIRE_FALSE(v64.vma("P", "A").soft_dirty);
  CHECK(v64.step("cpu0") == "clear_refs.mmap_lock");
  CHECK_FALSE(v64.vma("P", "A").wlocked);
  Sim v65(second, "linux-6.5");
  CHECK(v65.step("cpu0") == "clear_refs.mmap_lock");
  CHECK(v65.vma("P", "A").wlocked);
}

TEST_CASE(
    "C.1: fork against a VMA-locked fault reproduces on 6.4 only "
    "(scenarios/fork-vma-lock-fault-stale-tlb.json)",
    "[vma_lock][race]") {
  auto on = [](const char* preset, const Sets& sets = {}) {
    return run_library("fork-vma-lock-fault-stale-tlb", preset, sets);
  };
  auto v64 = on("linux-6.4");
  CHECK(v64.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(v64.invariant == "no_stale_tlb_at_cow");
  CHECK(last_step(v64) == "cpu1:do_wp_page.copy");
  CHECK(on("linux-6.3").verdict == mmcheck::cli::Outcome::Holds);
  CHECK(on("linux-6.5").verdict == mmcheck::cli::Outcome::Holds);
  // 6.5 without fb49c455323f is 6.4 again; 6.4 with it holds.
  CHECK(on("linux-6.5", {{"fork_vma_wrlock", "false"}}).verdict ==
        mmcheck::cli::Outcome::Violation);
  CHECK(on("linux-6.4", {{"fork_vma_wrlock", "true"}}).verdict == mmcheck::cli::Outcome::Holds);
}

TEST_CASE(
    "C.2: PageAnonExclusive is what keeps 6.4's clear_refs against a VMA-locked fault "
    "safe (scenarios/clear-refs-vma-lock-fault.json)",
    "[vma_lock][race]") {
  auto on = [](const char* preset, const Sets& sets = {}) {
    return run_library("clear-refs-vma-lock-fault", preset, sets);
  };
  Sets refcount = {{"cow_reuse", "refcount"}, {"cow_drain_lru", "false"}};
  CHECK(on("linux-6.4").verdict == mmcheck::cli::Outcome::Holds);
  auto o = on("linux-6.4", refcount);
  CHECK(o.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(o.invariant == "no_stale_tlb_at_cow");
  auto steps = trace_steps(o);
  CHECK(std::find(steps.begin(), steps.end(), "cpu2:fault.lock_vma_under_rcu") != steps.end());
  // The same rule under mmap_lock (6.3) or with the walk's VMA write lock (6.5) holds.
  CHECK(on("linux-6.3", refcount).verdict == mmcheck::cli::Outcome::Holds);
  CHECK(on("linux-6.5", refcount).verdict == mmcheck::cli::Outcome::Holds);
}

// ---- uffd_unwp_try_writable (931298e103c2, 6.3) ----

std::string unprotect(const std::string& region, const std::string& setup) {
  return scenario_text(R"({"A": )" + region + "}",
                       R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}]}}})",
                       setup);
}

TEST_CASE(
    "uffd_unwp_try_writable (931298e103c2, 6.3): an unprotect maps a dirty exclusive anon "
    "PTE writable; 6.2 leaves it read-only",
    "[uffd_unwp_try_writable]") {
  std::string json = unprotect(R"({"uffd_wp": true})",
                               R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                                   {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])");
  Sim v62(json, "linux-6.2");
  v62.finish_op("cpu0");
  CHECK_FALSE(v62.pte("P", "A").write);
  Sim v63(json, "linux-6.3");
  v63.finish_op("cpu0");
  CHECK(v63.pte("P", "A").write);
  CHECK_FALSE(v63.pte("P", "A").uffd_wp);
  Sim off(json, "linux-6.3", {{"uffd_unwp_try_writable", "false"}});
  off.finish_op("cpu0");
  CHECK_FALSE(off.pte("P", "A").write);
}

TEST_CASE(
    "uffd_unwp_try_writable: never the zero page, never a PTE soft-dirty tracking wants "
    "to fault",
    "[uffd_unwp_try_writable]") {
  // A read fault's page is the zero page: vm_normal_page() is NULL, no upgrade.
  Sim zero(unprotect(R"({"uffd_wp": true})",
                     R"([{"thread": "cpu0", "op": "read", "addr": "A"},
                         {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])"),
           "latest");
  zero.finish_op("cpu0");
  CHECK_FALSE(zero.pte("P", "A").write);
  // After clear_refs (SD0 with VM_SOFTDIRTY clear) the upgrade would hide the next store.
  Sim tracked(unprotect(R"({"uffd_wp": true})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "clear_refs"},
                            {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])"),
              "latest");
  tracked.finish_op("cpu0");
  CHECK_FALSE(tracked.pte("P", "A").write);
}

TEST_CASE(
    "uffd_unwp_try_writable: a shmem unprotect takes vm_page_prot, read-only when the VMA "
    "wants write-notify; 6.2 took vm_get_page_prot(vm_flags)",
    "[uffd_unwp_try_writable]") {
  // A clean shmem PTE (mapped by a read): 6.2's protection from the flags makes it writable,
  // 6.3's from vm_page_prot does not (uffd-wp VMAs want write-notify since 51d3d5eb74ff), and
  // can_change_pte_writable() wants a dirty shared PTE.
  std::string json = unprotect(R"({"type": "shmem", "uffd_wp": true})",
                               R"([{"thread": "cpu0", "op": "read", "addr": "A"},
                                   {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])");
  Sim v62(json, "linux-6.2");
  v62.finish_op("cpu0");
  CHECK(v62.pte("P", "A").write);
  Sim v63(json, "linux-6.3");
  v63.finish_op("cpu0");
  CHECK_FALSE(v63.pte("P", "A").write);
}

// ---- uffd_close (c88033efe9a3, 6.9) ----

std::string close_scenario() {
  return scenario_text(R"({"A": {"uffd_wp": true}})",
                       R"({"P": {"threads": {"cpu0": [{"op": "uffd_close"}],
                                             "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
                       R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                           {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])");
}

TEST_CASE(
    "uffd_close_resets_wp (c88033efe9a3, 6.9): close() unprotects the registered PTEs; "
    "before, they keep uffd_wp while the VMA loses VM_UFFD_WP",
    "[uffd_close]") {
  Sim v68(close_scenario(), "linux-6.8");
  REQUIRE(v68.pte("P", "A").uffd_wp);
  CHECK(v68.finish_op("cpu0") ==
        std::vector<std::string>{"uffd_close.mmap_write_lock", "uffd_close.mmap_write_unlock"});
  CHECK(v68.pte("P", "A").uffd_wp);
  CHECK_FALSE(v68.vma("P", "A").uffd_wp);
  Sim v69(close_scenario(), "linux-6.9");
  v69.finish_op("cpu0");
  CHECK_FALSE(v69.pte("P", "A").uffd_wp);
  CHECK_FALSE(v69.vma("P", "A").uffd_wp);
  CHECK(v69.pte("P", "A").write);  // 6.3+: the unprotect maps the exclusive dirty page writable
  CHECK_FALSE(v69.tlb("cpu1", "A").valid);  // W0 -> W1 asks pte_needs_flush for a flush
}

TEST_CASE(
    "close() wakes a store waiting in handle_userfault, which then completes without the "
    "monitor",
    "[uffd_close]") {
  Sim sim(close_scenario(), "linux-6.8");
  sim.run_until("cpu1", "handle_userfault.wait");
  CHECK_FALSE(sim.enabled("cpu1"));
  sim.finish_op("cpu0");
  CHECK(sim.enabled("cpu1"));  // the VMA is no longer registered: the retry goes on
  sim.finish_op("cpu1");
  CHECK(sim.expected("P", "A") == 2);
  CHECK_FALSE(sim.violation.has_value());
}

}  // namespace
}  // namespace mmtest
