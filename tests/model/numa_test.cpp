// NUMA hinting: the scan (change_prot_numa) and the hinting fault (do_numa_page's restore).
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

// P's cpu0 scans A; cpu1 then runs `ops` on A. The setup stores 1 to A from cpu1 and runs
// `more_setup` after it.
std::string scan_scenario(const std::string& region, const std::string& ops,
                          const std::string& more_setup = "") {
  return scenario_text(
      R"({"A": )" + region + "}",
      R"({"P": {"threads": {"cpu0": [{"op": "numa_scan", "addr": "A"}], "cpu1": )" + ops + "}}}",
      R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1})" + more_setup + "]");
}

TEST_CASE(
    "numa_scan makes the PTE protnone under mmap_lock read with a deferred flush; the stale "
    "entry stays usable until the flush",
    "[numa]") {
  Sim sim(scan_scenario("{}", R"([{"op": "write", "addr": "A", "value": 2}])"), "linux-6.1");
  int pfn = sim.pte("P", "A").pfn;
  CHECK(sim.step("cpu0") == "numa_scan.mmap_read_lock");
  CHECK(sim.mm("P").readers == 1);
  CHECK(sim.step("cpu0") == "numa_scan.inc_tlb_flush_pending");
  CHECK(sim.mm("P").tlb_flush_pending == 1);
  CHECK(sim.step("cpu0") == "numa_scan.pte");
  CHECK(sim.pte("P", "A").present);
  CHECK(sim.pte("P", "A").protnone);
  CHECK(sim.pte("P", "A").pfn == pfn);
  CHECK(sim.pte("P", "A").write);  // 6.1: savedwrite
  CHECK(sim.tlb("cpu1", "A").valid);
  // The store through the stale entry lands in the same frame: nothing moved it.
  CHECK(sim.step("cpu1") == "access.tlb_hit");
  CHECK(sim.frame(pfn).content[0] == 2);
  CHECK(sim.step("cpu0") == "numa_scan.flush_tlb_range");
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);
  CHECK(sim.step("cpu0") == "numa_scan.dec_tlb_flush_pending");
  CHECK(sim.step("cpu0") == "numa_scan.mmap_read_unlock");
  CHECK(sim.mm("P").readers == 0);
  CHECK(sim.mm("P").tlb_flush_pending == 0);
  CHECK(sim.done("cpu0"));
}

TEST_CASE(
    "An access to a protnone PTE never fills the TLB: it takes the hinting fault, which maps "
    "the page where it is, and retries",
    "[numa]") {
  for (const char* preset : {"linux-6.1", "latest"}) {
    INFO(preset);
    Sim sim(scan_scenario("{}", R"([{"op": "read", "addr": "A"}, {"op": "write", "addr": "A"}])"),
            preset);
    int pfn = sim.pte("P", "A").pfn;
    sim.finish_op("cpu0");
    CHECK(sim.pte("P", "A").protnone);
    CHECK(sim.pte("P", "A").write == (std::string(preset) == "linux-6.1"));  // savedwrite
    CHECK(sim.step("cpu1") == "access.fault");
    CHECK_FALSE(sim.tlb("cpu1", "A").valid);
    auto taken = sim.run_until("cpu1", "do_numa_page.restore");
    CHECK_FALSE(sim.pte("P", "A").protnone);
    CHECK(sim.pte("P", "A").pfn == pfn);
    // An exclusive anonymous page: savedwrite (6.1) or can_change_pte_writable() (6.2+).
    CHECK(sim.pte("P", "A").write);
    sim.finish_op("cpu1");
    std::string store = sim.step("cpu1");  // the store needs no fault: no copy
    CHECK((store == "access.walk" || store == "access.tlb_hit"));
    CHECK(sim.frame_at("P", "A").content[0] == sim.frame(pfn).content[0]);
    CHECK_FALSE(sim.violation.has_value());
  }
}

TEST_CASE(
    "numa_restore_write: after clear_refs the hinting fault maps the page read-only under both "
    "rules, so the store faults and sets soft-dirty",
    "[numa]") {
  for (const char* rule : {"savedwrite", "can_change"}) {
    INFO(rule);
    Sim sim(scan_scenario("{}", R"([{"op": "write", "addr": "A", "value": 2}])",
                          R"(, {"thread": "cpu0", "op": "clear_refs"})"),
            "latest", {{"numa_restore_write", rule}});
    sim.finish_op("cpu0");
    REQUIRE(sim.pte("P", "A").protnone);
    CHECK_FALSE(sim.pte("P", "A").write);
    sim.run_until("cpu1", "do_numa_page.restore");
    CHECK_FALSE(sim.pte("P", "A").write);
    sim.run_until("cpu1", "do_wp_page.reuse");
    CHECK(sim.pte("P", "A").soft_dirty);
  }
}

TEST_CASE(
    "numa_skip_shared: a page with a GUP reference is skipped by refcount kernels, scanned by "
    "mapcount and pinned_or_shared ones; a pinned page is skipped by all",
    "[numa]") {
  struct Row {
    const char* rule;
    const char* ref;  // the op that holds the extra reference
    bool scanned;
  };
  for (Row row : {Row{"mapcount", "get", true}, Row{"refcount", "get", false},
                  Row{"pinned_or_shared", "get", true}, Row{"refcount", "pin", false},
                  Row{"pinned_or_shared", "pin", false}}) {
    INFO(row.rule << " with a " << row.ref);
    Sim sim(scan_scenario("{}", "[]",
                          std::string(R"(, {"thread": "cpu1", "op": ")") + row.ref +
                              R"(", "addr": "A", "as": "h"})"),
            "latest", {{"numa_skip_shared", row.rule}});
    sim.finish_op("cpu0");
    CHECK(sim.pte("P", "A").protnone == row.scanned);
    bool took =
        std::find(sim.steps.begin(), sim.steps.end(), "cpu0:numa_scan.pte") != sim.steps.end();
    CHECK(took == row.scanned);
  }
}

TEST_CASE("numa_scan skips the zero page and a shared COW page after fork", "[numa]") {
  Sim zero(scenario_text(R"({"A": {}})",
                         R"({"P": {"threads": {"cpu0": [{"op": "numa_scan", "addr": "A"}]}}})",
                         R"([{"thread": "cpu0", "op": "read", "addr": "A"}])"),
           "latest");
  REQUIRE(zero.frame_at("P", "A").zero);
  zero.finish_op("cpu0");
  CHECK_FALSE(zero.pte("P", "A").protnone);

  for (const char* rule : {"mapcount", "refcount", "pinned_or_shared"}) {
    INFO(rule);
    Sim forked(scenario_text(R"({"A": {}})",
                             R"({"P": {"threads": {"cpu0": [{"op": "numa_scan", "addr": "A"}]}},
                          "C": {"threads": {"c0": []}}})",
                             R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                          {"thread": "cpu0", "op": "fork", "child": "C"}])"),
               "latest", {{"numa_skip_shared", rule}});
    forked.finish_op("cpu0");
    CHECK_FALSE(forked.pte("P", "A").protnone);
  }
}

TEST_CASE("A pin of a protnone page takes the hinting fault first (FOLL_NUMA)", "[numa]") {
  Sim sim(scan_scenario("{}", R"([{"op": "pin", "addr": "A", "as": "p"}])"), "latest");
  sim.finish_op("cpu0");
  REQUIRE(sim.pte("P", "A").protnone);
  auto taken = sim.run_until("cpu1", "do_numa_page.restore");
  CHECK(std::find(taken.begin(), taken.end(), "gup.fault") != taken.end());
  sim.finish_op("cpu1");
  CHECK(sim.frame_at("P", "A").pincount == 1);
  CHECK_FALSE(sim.pte("P", "A").protnone);
}

TEST_CASE("uffd_wp and mprotect rebuild a NUMA protnone PTE from the VMA's protection", "[numa]") {
  Sim sim(scenario_text(R"({"A": {"uffd_wp": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "numa_scan", "addr": "A"},
                                                       {"op": "uffd_wp", "addr": "A"}]}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
          "latest");
  sim.finish_op("cpu0");
  REQUIRE(sim.pte("P", "A").protnone);
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.pte("P", "A").protnone);
  CHECK(sim.pte("P", "A").uffd_wp);
  CHECK_FALSE(sim.pte("P", "A").write);
}

TEST_CASE(
    "numa-restore-uffd-wp-shmem.json: the hinting fault maps a uffd-wp shmem PTE writable on "
    "5.19-6.1, not on 6.2+",
    "[numa][race]") {
  auto o = run_library("numa-restore-uffd-wp-shmem", "linux-6.1");
  REQUIRE(o.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(o.invariant == "uffd_wp_sound");
  auto steps = trace_steps(o);
  CHECK(std::find(steps.begin(), steps.end(), "cpu1:do_numa_page.restore") != steps.end());
  CHECK(run_library("numa-restore-uffd-wp-shmem", "linux-6.2").verdict ==
        mmcheck::cli::Outcome::Holds);
  // 6.2 with the old write rule alone still holds: vm_page_prot is read-only (write-notify).
  CHECK(
      run_library("numa-restore-uffd-wp-shmem", "linux-6.2", {{"numa_restore_write", "savedwrite"}})
          .verdict == mmcheck::cli::Outcome::Holds);
  // 6.1 with write-notify for uffd-wp VMAs (51d3d5eb74ff) alone holds too.
  CHECK(run_library("numa-restore-uffd-wp-shmem", "linux-6.1", {{"uffd_wp_writenotify", "true"}})
            .verdict == mmcheck::cli::Outcome::Holds);
}

}  // namespace
}  // namespace mmtest

namespace mmtest {
namespace {

// P's cpu1 migrates A; cpu0 runs `ops`. The setup stores 1 to A from cpu0, then `more_setup`.
std::string migrate_scenario(const std::string& region, const std::string& ops,
                             const std::string& more_setup = "", const std::string& children = "") {
  return scenario_text(
      R"({"A": )" + region + "}",
      R"({"P": {"threads": {"cpu1": [{"op": "migrate", "addr": "A"}], "cpu0": )" + ops + "}}" +
          children + "}",
      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1})" + more_setup + "]");
}

TEST_CASE(
    "migrate: isolate under mmap_lock, then unmap with a flush, copy, and remove the entry to "
    "the new frame; the old frame is freed",
    "[numa][migrate]") {
  Sim sim(migrate_scenario("{}", "[]"), "latest");
  int old = sim.pte("P", "A").pfn;
  CHECK(sim.tlb("cpu0", "A").valid);
  CHECK(sim.step("cpu1") == "migrate.mmap_read_lock");
  CHECK(sim.step("cpu1") == "migrate.isolate");
  CHECK(sim.frame(old).refcount == 2);
  CHECK(sim.step("cpu1") == "migrate.mmap_read_unlock");
  CHECK(sim.mm("P").readers == 0);
  CHECK(sim.step("cpu1") == "migrate.unmap");
  CHECK(sim.pte("P", "A").migration);
  CHECK_FALSE(sim.pte("P", "A").present);
  CHECK(sim.pte("P", "A").write);           // a writable entry
  CHECK_FALSE(sim.tlb("cpu0", "A").valid);  // ptep_clear_flush of a present PTE
  CHECK(sim.frame(old).mapcount == 0);
  CHECK_FALSE(sim.state_violation.has_value());
  CHECK(sim.step("cpu1") == "migrate.copy");
  CHECK(sim.step("cpu1") == "migrate.remove");
  int moved = sim.pte("P", "A").pfn;
  CHECK(moved != old);
  CHECK(sim.pte("P", "A").present);
  CHECK(sim.pte("P", "A").write);
  CHECK(sim.frame(moved).content[0] == 1);
  CHECK(sim.frame(moved).anon_exclusive);
  CHECK(sim.step("cpu1") == "migrate.done");
  CHECK_FALSE(sim.frame(old).in_use);
  CHECK(sim.frame(moved).refcount == 1);
  CHECK(sim.frame(moved).mapcount == 1);
  CHECK_FALSE(sim.state_violation.has_value());
}

TEST_CASE("An access to a migration entry sleeps until the entry is removed, then retries",
          "[numa][migrate]") {
  Sim sim(migrate_scenario("{}", R"([{"op": "read", "addr": "A"}])"), "latest");
  sim.run_until("cpu1", "migrate.unmap");
  CHECK(sim.step("cpu0") == "access.fault");
  sim.run_until("cpu0", "do_swap_page.migration_wait");
  CHECK_FALSE(sim.enabled("cpu0"));
  sim.run_until("cpu1", "migrate.remove");
  CHECK(sim.step("cpu0") == "migration_entry_wait.woken");
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.violation.has_value());
  CHECK(sim.tlb("cpu0", "A").pfn == sim.pte("P", "A").pfn);
}

TEST_CASE("A pinned page is not migrated: the entries go back to the old frame",
          "[numa][migrate]") {
  Sim sim(
      migrate_scenario("{}", "[]", R"(, {"thread": "cpu0", "op": "pin", "addr": "A", "as": "p"})"),
      "latest");
  int old = sim.pte("P", "A").pfn;
  sim.run_until("cpu1", "migrate.unmap");
  CHECK(sim.step("cpu1") == "migrate.abort");
  CHECK(sim.step("cpu1") == "migrate.remove");
  CHECK(sim.pte("P", "A").pfn == old);
  sim.finish_op("cpu1");
  CHECK(sim.frame(old).pincount == 1);
  CHECK_FALSE(sim.state_violation.has_value());
}

TEST_CASE("Migration reaches every mm that maps the page; fork copies a migration entry readable",
          "[numa][migrate]") {
  Sim sim(migrate_scenario("{}", "[]", R"(, {"thread": "cpu0", "op": "fork", "child": "C"})",
                           R"(, "C": {"threads": {"c0": []}})"),
          "latest");
  int old = sim.pte("P", "A").pfn;
  REQUIRE(sim.pte("C", "A").pfn == old);
  sim.finish_op("cpu1");
  CHECK(sim.pte("P", "A").pfn == sim.pte("C", "A").pfn);
  CHECK(sim.pte("P", "A").pfn != old);
  CHECK(sim.frame_at("P", "A").mapcount == 2);
  CHECK_FALSE(sim.frame(old).in_use);
}

TEST_CASE(
    "mprotect and uffd_wp make a writable migration entry readable, and the removed entry maps "
    "the page read-only",
    "[numa][migrate]") {
  Sim sim(migrate_scenario("{}", R"([{"op": "mprotect", "addr": "A", "prot": "r"},
                                     {"op": "mprotect", "addr": "A", "prot": "rw"}])"),
          "latest");
  sim.run_until("cpu1", "migrate.unmap");
  REQUIRE(sim.pte("P", "A").write);
  sim.finish_op("cpu0");
  CHECK_FALSE(sim.pte("P", "A").write);
  CHECK(sim.pte("P", "A").migration);
  sim.finish_op("cpu0");
  sim.finish_op("cpu1");
  CHECK_FALSE(sim.pte("P", "A").write);
  CHECK(sim.pte("P", "A").present);
}

TEST_CASE(
    "numa-migrate-stale-tlb.json: without protnone_pending_accessible (20841405940e) a store "
    "through the scan's stale entry reaches the old frame after the copy",
    "[numa][migrate][race]") {
  CHECK(run_library("numa-migrate-stale-tlb", "latest").verdict == mmcheck::cli::Outcome::Holds);
  CHECK(run_library("numa-migrate-stale-tlb", "linux-5.4").verdict == mmcheck::cli::Outcome::Holds);
  auto o =
      run_library("numa-migrate-stale-tlb", "latest", {{"protnone_pending_accessible", "false"}});
  REQUIRE(o.verdict == mmcheck::cli::Outcome::Violation);
  CHECK((o.invariant == "refcounts_sane" || o.invariant == "no_lost_write"));
  auto steps = trace_steps(o);
  auto copy = std::find(steps.begin(), steps.end(), "cpu1:migrate.copy");
  auto hit = std::find(steps.begin(), steps.end(), "cpu2:access.tlb_hit");
  CHECK(copy != steps.end());
  CHECK(hit != steps.end());
  CHECK(copy < hit);
}

TEST_CASE(
    "numa-hint-migrate-stale-tlb.json: the hinting fault migrates a misplaced page; without "
    "protnone_pending_accessible a store through the scan's stale entry misses the copy",
    "[numa][migrate][race]") {
  auto holds = run_library("numa-hint-migrate-stale-tlb", "latest");
  CHECK(holds.verdict == mmcheck::cli::Outcome::Holds);
  CHECK(holds.unreached.empty());
  auto o = run_library("numa-hint-migrate-stale-tlb", "linux-6.1",
                       {{"protnone_pending_accessible", "false"}});
  REQUIRE(o.verdict == mmcheck::cli::Outcome::Violation);
  CHECK((o.invariant == "refcounts_sane" || o.invariant == "no_lost_write"));
  auto steps = trace_steps(o);
  auto migrate = std::find(steps.begin(), steps.end(), "cpu1:do_numa_page.migrate");
  auto copy = std::find(steps.begin(), steps.end(), "cpu1:migrate.copy");
  auto hit = std::find(steps.begin(), steps.end(), "cpu2:access.tlb_hit");
  CHECK(migrate < copy);
  CHECK(copy < hit);
  CHECK(hit != steps.end());
}

}  // namespace
}  // namespace mmtest
