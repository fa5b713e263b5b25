// Each op of the VM model, step by step on a small state (the README's "The model"): which
// kernel step it takes, and what that step changes in the PTEs, TLBs, frames, locks and ghost.
#include <catch2/catch.hpp>

#include "models/ops/phases.hpp"
#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

using Steps = std::vector<std::string>;

const char* kOneThreadOneWrite =
    R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 5}]}}})";

// ---- user accesses (the model's user accesses) ----

TEST_CASE("a store through a writable+dirty TLB entry changes the frame and not the PTE", "[ops]") {
  // clear_refs on 5.10 write-protects the PTE and never flushes: cpu1's entry stays W1 D1.
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu0": [],
                              "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
                        R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "clear_refs"}])"),
          "linux-5.10");
  const vm::Pte before = sim.pte("P", "A");
  REQUIRE(before.present);
  REQUIRE_FALSE(before.write);
  REQUIRE(sim.tlb("cpu1", "A").valid);
  REQUIRE(sim.tlb("cpu1", "A").writable);
  REQUIRE(sim.tlb("cpu1", "A").dirty);
  REQUIRE(sim.frame(before.pfn).content[0] == 1);

  CHECK(sim.step("cpu1") == "access.tlb_hit");
  CHECK(sim.frame(before.pfn).content[0] == 2);
  CHECK(sim.pte("P", "A") == before);  // no PTE check, no dirty or soft-dirty update
  CHECK(sim.expected("P", "A") == 2);
  CHECK(sim.done("cpu1"));
}

TEST_CASE("a store whose TLB entry is missing walks the PTE, sets dirty and fills the TLB",
          "[ops]") {
  // A shmem page with VM_SOFTDIRTY set wants no write-notify: a load maps it W1 D0.
  Sim sim(scenario_text(R"({"A": {"type": "shmem", "soft_dirty": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 5}],
                              "cpu1": [{"op": "write", "addr": "A", "value": 6},
                                       {"op": "write", "addr": "A", "value": 7}],
                              "cpu2": [{"op": "read", "addr": "A"},
                                       {"op": "write", "addr": "A", "value": 8}]}}})",
                        R"([{"thread": "cpu0", "op": "read", "addr": "A"}])"),
          "linux-5.10");
  vm::Pte p = sim.pte("P", "A");
  REQUIRE(p.present);
  REQUIRE(p.write);
  REQUIRE_FALSE(p.dirty);
  REQUIRE(sim.tlb("cpu0", "A") == vm::TlbEntry{true, true, false, p.pfn});

  SECTION("a writable but clean entry is no hit: the store walks and sets the PTE's dirty bit") {
    CHECK(sim.step("cpu0") == "access.walk");
    CHECK(sim.pte("P", "A").dirty);
    CHECK_FALSE(sim.pte("P", "A").soft_dirty);  // hardware never sets soft_dirty
    CHECK(sim.tlb("cpu0", "A") == vm::TlbEntry{true, true, true, p.pfn});
    CHECK(sim.frame(p.pfn).content[0] == 5);
  }
  SECTION("a missing entry is filled from the PTE, which the store first makes dirty") {
    REQUIRE_FALSE(sim.tlb("cpu1", "A").valid);
    CHECK(sim.step("cpu1") == "access.walk");
    CHECK(sim.pte("P", "A").dirty);
    CHECK(sim.pte("P", "A").write);
    CHECK_FALSE(sim.pte("P", "A").soft_dirty);
    CHECK(sim.tlb("cpu1", "A") == vm::TlbEntry{true, true, true, p.pfn});
    CHECK(sim.frame(p.pfn).content[0] == 6);
    CHECK(sim.tlb("cpu0", "A").dirty == false);   // other CPUs' entries are left alone
    CHECK(sim.step("cpu1") == "access.tlb_hit");  // the next store uses the filled entry
    CHECK(sim.frame(p.pfn).content[0] == 7);
  }
  SECTION("a load of a writable dirty PTE leaves an entry that a later store uses") {
    sim.step("cpu0");  // the PTE is now dirty
    CHECK(sim.step("cpu2") == "access.walk");
    CHECK(sim.tlb("cpu2", "A") == vm::TlbEntry{true, true, true, p.pfn});
    CHECK(sim.step("cpu2") == "access.tlb_hit");
    CHECK(sim.frame(p.pfn).content[0] == 8);
  }
}

TEST_CASE("a write fault on a none PTE maps a new exclusive frame W1 D1 SD1", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})", kOneThreadOneWrite), "linux-5.10");
  REQUIRE_FALSE(sim.pte("P", "A").present);
  REQUIRE(sim.frames_in_use() == 0);

  CHECK(sim.step("cpu0") == "access.fault");
  CHECK(sim.mm("P").readers == 0);
  CHECK(sim.step("cpu0") == "fault.mmap_read_lock");
  CHECK(sim.mm("P").readers == 1);
  CHECK(sim.step("cpu0") == "do_anonymous_page.map");
  const vm::Pte& p = sim.pte("P", "A");
  CHECK(p.present);
  CHECK(p.pfn == 0);  // the lowest free frame
  CHECK(p.write);
  CHECK(p.dirty);
  CHECK(p.soft_dirty);
  CHECK_FALSE(p.uffd_wp);
  const vm::Frame& f = sim.frame(0);
  CHECK(f.in_use);
  CHECK(f.refcount == 1);
  CHECK(f.mapcount == 1);
  CHECK(f.pincount == 0);
  CHECK(f.anon_exclusive);
  CHECK(f.content[0] == 0);  // a zeroed frame: the store has not happened yet
  CHECK(sim.step("cpu0") == "fault.mmap_read_unlock");
  CHECK(sim.mm("P").readers == 0);
  CHECK_FALSE(sim.done("cpu0"));
  CHECK(sim.step("cpu0") == "access.walk");  // the retried access
  CHECK(sim.frame(0).content[0] == 5);
  CHECK(sim.tlb("cpu0", "A") == vm::TlbEntry{true, true, true, 0});
  CHECK(sim.done("cpu0"));
}

TEST_CASE("a read fault on a none PTE maps a read-only, clean frame", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "read", "addr": "A"}]}}})"),
          "linux-5.10");
  CHECK(sim.finish_op("cpu0") == Steps{"access.fault", "fault.mmap_read_lock",
                                       "do_anonymous_page.map", "fault.mmap_read_unlock",
                                       "access.walk"});
  const vm::Pte& p = sim.pte("P", "A");
  CHECK(p.present);
  CHECK_FALSE(p.write);
  CHECK_FALSE(p.dirty);
  CHECK_FALSE(p.soft_dirty);
  CHECK(sim.tlb("cpu0", "A") == vm::TlbEntry{true, false, false, p.pfn});
}

TEST_CASE("the faulting CPU drops its own TLB entry and no other", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu1": [{"op": "write", "addr": "A", "value": 3}],
                                              "cpu2": []}}})",
                        R"([{"thread": "cpu1", "op": "read", "addr": "A"},
                            {"thread": "cpu2", "op": "read", "addr": "A"}])"),
          "linux-5.10");
  REQUIRE(sim.tlb("cpu1", "A").valid);  // read-only entries from the loads
  REQUIRE(sim.tlb("cpu2", "A").valid);
  CHECK(sim.step("cpu1") == "access.fault");
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);
  CHECK(sim.tlb("cpu2", "A").valid);
}

// ---- userfaultfd ----

TEST_CASE("uffd_wp clears write, sets uffd_wp, and flushes only after the loop", "[ops]") {
  Sim sim(scenario_text(R"({"A": {"pages": 2, "uffd_wp": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A", "pages": 2}],
                                              "cpu1": []}}})",
                        R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu1", "op": "write", "addr": "A+1", "value": 2}])"),
          "linux-5.10");
  REQUIRE(sim.pte("P", "A").write);
  REQUIRE(sim.tlb("cpu1", "A").writable);
  REQUIRE(sim.tlb("cpu1", "A+1").writable);

  CHECK(sim.step("cpu0") == "uffd_wp.mmap_read_lock");
  CHECK(sim.mm("P").readers == 1);  // mmap_lock READ (the root of the uffd-wp races)
  CHECK_FALSE(sim.mm("P").writer);
  CHECK(sim.mm("P").tlb_flush_pending == 0);
  CHECK(sim.step("cpu0") == "uffd_wp.inc_tlb_flush_pending");
  CHECK(sim.mm("P").tlb_flush_pending == 1);

  CHECK(sim.step("cpu0") == "uffd_wp.pte");
  CHECK_FALSE(sim.pte("P", "A").write);
  CHECK(sim.pte("P", "A").uffd_wp);
  CHECK(sim.pte("P", "A").dirty);       // pte_modify keeps dirty
  CHECK(sim.pte("P", "A").soft_dirty);  // and soft_dirty
  CHECK(sim.pte("P", "A+1").write);     // one PTL step per PTE
  CHECK_FALSE(sim.pte("P", "A+1").uffd_wp);
  CHECK(sim.tlb("cpu1", "A").valid);  // the TLB stays warm: the flush is deferred
  CHECK(sim.tlb("cpu1", "A").writable);
  CHECK(sim.mm("P").tlb_flush_pending == 1);

  CHECK(sim.step("cpu0") == "uffd_wp.pte");
  CHECK_FALSE(sim.pte("P", "A+1").write);
  CHECK(sim.pte("P", "A+1").uffd_wp);
  CHECK(sim.tlb("cpu1", "A+1").valid);

  CHECK(sim.step("cpu0") == "uffd_wp.flush_tlb_range");
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);
  CHECK_FALSE(sim.tlb("cpu1", "A+1").valid);
  CHECK(sim.mm("P").tlb_flush_pending == 1);
  CHECK(sim.step("cpu0") == "uffd_wp.dec_tlb_flush_pending");
  CHECK(sim.mm("P").tlb_flush_pending == 0);
  CHECK(sim.mm("P").wp_protected == 0);  // not protected (ghost) until the ioctl completes
  CHECK(sim.step("cpu0") == "uffd_wp.mmap_read_unlock");
  CHECK(sim.mm("P").readers == 0);
  CHECK(sim.mm("P").wp_protected == 0b11);
  CHECK(sim.done("cpu0"));
}

TEST_CASE("uffd_unwp on a private mapping clears write", "[ops]") {
  Sim sim(scenario_text(
              R"({"A": {"uffd_wp": true}})",
              R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}], "cpu1": []}}})",
              R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  REQUIRE(sim.pte("P", "A").write);
  REQUIRE(sim.tlb("cpu1", "A").writable);
  CHECK(sim.run_until("cpu0", "uffd_unwp.pte") ==
        Steps{"uffd_unwp.mmap_read_lock", "uffd_unwp.inc_tlb_flush_pending", "uffd_unwp.pte"});
  CHECK_FALSE(sim.pte("P", "A").write);  // vm_get_page_prot of a private VMA: never W (COW)
  CHECK_FALSE(sim.pte("P", "A").uffd_wp);
  CHECK(sim.pte("P", "A").dirty);
  CHECK(sim.tlb("cpu1", "A").writable);  // stale until the flush: race (c)
  CHECK(sim.finish_op("cpu0") == Steps{"uffd_unwp.flush_tlb_range",
                                       "uffd_unwp.dec_tlb_flush_pending",
                                       "uffd_unwp.mmap_read_unlock"});
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);
}

TEST_CASE("uffd_unwp that changes no PTE takes no flush step (pte_needs_flush, 5.19+)", "[ops]") {
  // This test said so on linux-5.10, which is wrong there: up to 5.18 change_protection_range()
  // flushes whenever a present PTE was visited (`if (pages) flush_tlb_range(...)`, see
  // revision2_test.cpp). From 5.19 x86's pte_needs_flush() asks no flush for an unchanged PTE.
  Sim sim(scenario_text(R"({"A": {"uffd_wp": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}]}}})",
                        R"([{"thread": "cpu0", "op": "read", "addr": "A"}])"),
          "linux-5.19");
  REQUIRE_FALSE(sim.pte("P", "A").write);
  CHECK(sim.finish_op("cpu0") ==
        Steps{"uffd_unwp.mmap_read_lock", "uffd_unwp.inc_tlb_flush_pending", "uffd_unwp.pte",
              "uffd_unwp.dec_tlb_flush_pending", "uffd_unwp.mmap_read_unlock"});
  CHECK(sim.tlb("cpu0", "A").valid);
  CHECK(sim.mm("P").tlb_flush_pending == 0);
}

TEST_CASE("uffd_unwp on a shmem mapping sets write from the VMA's flags", "[ops]") {
  // mwriteprotect_range (5.19-6.2) resolves with vm_get_page_prot(vm_flags): W for VM_SHARED.
  Sim sim(scenario_text(R"({"A": {"type": "shmem", "uffd_wp": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}]}}})",
                        R"([{"thread": "cpu0", "op": "read", "addr": "A"},
                            {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])"),
          "linux-5.19");
  REQUIRE_FALSE(sim.pte("P", "A").write);
  REQUIRE(sim.pte("P", "A").uffd_wp);
  sim.run_until("cpu0", "uffd_unwp.pte");
  CHECK(sim.pte("P", "A").write);
  CHECK_FALSE(sim.pte("P", "A").uffd_wp);
}

TEST_CASE("uffd_wp of a range not registered for WP fails with -ENOENT and changes nothing",
          "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"}]}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  const vm::Pte before = sim.pte("P", "A");
  CHECK(sim.finish_op("cpu0") == Steps{"uffd_wp.mmap_read_lock", "uffd_wp.mmap_read_unlock"});
  CHECK(sim.pte("P", "A") == before);
  CHECK(sim.mm("P").wp_protected == 0);
  CHECK(sim.mm("P").readers == 0);
}

TEST_CASE("uffd_register takes mmap_lock for write and sets VM_UFFD_WP on its range", "[ops]") {
  Sim sim(scenario_text(R"({"A": {"pages": 2}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_register", "addr": "A"}],
                                              "cpu1": [{"op": "read", "addr": "A+1"}]}}})"),
          "linux-5.10");
  REQUIRE_FALSE(sim.vma("P", "A").uffd_wp);
  CHECK(sim.step("cpu1") == "access.fault");  // next: fault.mmap_read_lock
  CHECK(sim.step("cpu0") == "uffd_register.mmap_write_lock");
  CHECK(sim.mm("P").writer);
  CHECK(sim.vma("P", "A").uffd_wp);
  CHECK_FALSE(sim.vma("P", "A+1").uffd_wp);
  CHECK_FALSE(sim.enabled("cpu1"));  // a reader waits for the writer
  CHECK(sim.step("cpu0") == "uffd_register.mmap_write_unlock");
  CHECK_FALSE(sim.mm("P").writer);
  CHECK(sim.enabled("cpu1"));
}

TEST_CASE("handle_userfault blocks the write until the page is unprotected", "[ops]") {
  Sim sim(scenario_text(R"({"A": {"uffd_wp": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                                              "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
                        R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])"),
          "linux-5.10");
  REQUIRE(sim.pte("P", "A").uffd_wp);
  CHECK(sim.run_until("cpu1", "handle_userfault.wait") ==
        Steps{"access.fault", "fault.mmap_read_lock", "do_wp_page.userfault",
              "handle_userfault.wait"});
  CHECK(sim.mm("P").readers == 0);  // handle_userfault released mmap_lock
  CHECK_FALSE(sim.enabled("cpu1"));
  CHECK(sim.enabled() == std::vector<int>{sim.thread("cpu0")});
  CHECK(sim.step("cpu0") == "uffd_unwp.mmap_read_lock");
  CHECK_FALSE(sim.enabled("cpu1"));
  CHECK(sim.step("cpu0") == "uffd_unwp.inc_tlb_flush_pending");
  CHECK_FALSE(sim.enabled("cpu1"));
  CHECK(sim.step("cpu0") == "uffd_unwp.pte");  // uffd_wp cleared: the waiter may retry
  CHECK(sim.enabled("cpu1"));
  Steps retry = sim.finish_op("cpu1");
  CHECK(retry == Steps{"access.fault", "fault.mmap_read_lock", "do_wp_page.reuse",
                       "fault.mmap_read_unlock", "access.walk"});
  CHECK(sim.frame_at("P", "A").content[0] == 2);
  CHECK_FALSE(sim.violation.has_value());
}

// ---- COW: do_wp_page and wp_page_copy ----

TEST_CASE(
    "wp_page_copy copies the current content and install drops two references on the old frame",
    "[ops]") {
  // 5.10: clear_refs leaves cpu0's writable entry; the io reference makes do_wp_page copy.
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 3}],
                                              "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "extra_ref", "addr": "A", "kind": "io"},
                            {"thread": "cpu1", "op": "clear_refs"}])"),
          "linux-5.10");
  REQUIRE(sim.pte("P", "A").pfn == 0);
  REQUIRE(sim.frame(0).refcount == 2);

  CHECK(sim.run_until("cpu1", "do_wp_page.copy").back() == "do_wp_page.copy");
  CHECK(sim.violation == std::optional<std::string>("no_stale_tlb_at_cow"));  // cpu0's entry
  CHECK(sim.frame(0).refcount == 3);            // the reference taken at the decision
  CHECK(sim.step("cpu0") == "access.tlb_hit");  // the stale store lands in the old frame
  CHECK(sim.frame(0).content[0] == 3);

  CHECK(sim.step("cpu1") == "wp_page_copy.copy");
  CHECK(sim.frame(1).in_use);
  CHECK(sim.frame(1).content[0] == 3);  // the current content, not the one at the decision
  CHECK(sim.frame(1).refcount == 1);
  CHECK(sim.frame(1).mapcount == 0);
  CHECK(sim.pte("P", "A").pfn == 0);  // nothing installed yet
  CHECK_FALSE(sim.state_violation.has_value());

  CHECK(sim.step("cpu1") == "wp_page_copy.install");
  const vm::Pte& p = sim.pte("P", "A");
  CHECK(p.pfn == 1);
  CHECK(p.write);
  CHECK(p.dirty);
  CHECK(p.soft_dirty);
  CHECK(sim.frame(1).mapcount == 1);
  CHECK(sim.frame(1).anon_exclusive);
  CHECK(sim.frame(0).mapcount == 0);
  CHECK(sim.frame(0).refcount == 1);  // 3 - the mapping's - the decision's: the io ref is left
  CHECK(sim.frame(0).in_use);
  CHECK_FALSE(sim.tlb("cpu0", "A").valid);  // ptep_clear_flush
  CHECK_FALSE(sim.state_violation.has_value());
  CHECK(sim.finish_op("cpu1") == Steps{"fault.mmap_read_unlock", "access.walk"});
  CHECK(sim.frame(1).content[0] == 2);
}

TEST_CASE(
    "wp_page_copy install frees the old frame when the decision's reference was the last other one",
    "[ops]") {
  // The child exits while the parent copies: the parent's mapping and the decision's reference
  // are then the last two.
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu1": [{"op": "write", "addr": "A", "value": 2}]}},
                            "C": {"threads": {"c0": [{"op": "exit"}]}}})",
                        R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu1", "op": "fork", "child": "C"}])"),
          "linux-5.10");
  REQUIRE(sim.frame(0).mapcount == 2);
  REQUIRE(sim.frame(0).refcount == 2);
  sim.run_until("cpu1", "do_wp_page.copy");
  CHECK(sim.frame(0).refcount == 3);
  sim.finish_op("c0");  // the child exits while the parent copies
  CHECK(sim.frame(0).mapcount == 1);
  CHECK(sim.frame(0).refcount == 2);
  CHECK(sim.step("cpu1") == "wp_page_copy.copy");
  CHECK(sim.step("cpu1") == "wp_page_copy.install");
  CHECK_FALSE(sim.frame(0).in_use);    // both references dropped: freed
  CHECK(sim.frame(0) == vm::Frame{});  // and cleared
  CHECK(sim.pte("P", "A").pfn == 1);
}

TEST_CASE("a PTE changed between decision and install aborts the copy and frees the new frame",
          "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu0": [],
                                              "cpu1": [{"op": "write", "addr": "A", "value": 2}],
                                              "cpu2": [{"op": "write", "addr": "A", "value": 3}]}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "extra_ref", "addr": "A", "kind": "io"},
                            {"thread": "cpu0", "op": "clear_refs"}])"),
          "linux-5.12");
  REQUIRE_FALSE(sim.pte("P", "A").write);
  REQUIRE(sim.frame(0).refcount == 2);
  sim.run_until("cpu1", "do_wp_page.copy");
  sim.run_until("cpu2", "do_wp_page.copy");
  CHECK(sim.mm("P").readers == 2);
  CHECK(sim.frame(0).refcount == 4);
  CHECK(sim.step("cpu1") == "wp_page_copy.copy");
  CHECK(sim.step("cpu2") == "wp_page_copy.copy");
  CHECK(sim.frame(1).in_use);
  CHECK(sim.frame(2).in_use);
  CHECK(sim.step("cpu1") == "wp_page_copy.install");
  CHECK(sim.pte("P", "A").pfn == 1);
  CHECK(sim.frame(0).refcount == 2);

  CHECK(sim.step("cpu2") == "wp_page_copy.abort");
  CHECK(sim.pte("P", "A").pfn == 1);   // cpu1's copy stays
  CHECK(sim.frame(2) == vm::Frame{});  // the new frame is freed and cleared
  CHECK(sim.frame(0).refcount == 1);   // one reference dropped: the io ref remains
  CHECK(sim.frame(0).mapcount == 0);
  CHECK_FALSE(sim.state_violation.has_value());
  CHECK(sim.finish_op("cpu2") == Steps{"fault.mmap_read_unlock", "access.walk"});
  CHECK(sim.frame(1).content[0] == 3);
}

// ---- soft-dirty ----

TEST_CASE("clear_refs clears write and soft_dirty of every present PTE, then flushes (5.12)",
          "[ops]") {
  Sim sim(scenario_text(R"({"A": {"pages": 2, "soft_dirty": true}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "clear_refs"}], "cpu1": []}}})",
                        R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.12");
  REQUIRE(sim.vma("P", "A").soft_dirty);
  REQUIRE(sim.pte("P", "A").soft_dirty);
  REQUIRE_FALSE(sim.pte("P", "A+1").present);

  CHECK(sim.step("cpu0") == "clear_refs.mmap_lock");
  CHECK(sim.mm("P").writer);
  CHECK_FALSE(sim.vma("P", "A").soft_dirty);  // VM_SOFTDIRTY cleared
  CHECK_FALSE(sim.vma("P", "A+1").soft_dirty);
  CHECK(sim.step("cpu0") == "clear_refs.inc_tlb_flush_pending");
  CHECK(sim.mm("P").tlb_flush_pending == 1);
  CHECK(sim.step("cpu0") == "clear_refs.pte");
  CHECK_FALSE(sim.pte("P", "A").write);
  CHECK_FALSE(sim.pte("P", "A").soft_dirty);
  CHECK(sim.pte("P", "A").dirty);
  CHECK(sim.tlb("cpu1", "A").writable);                  // until the flush
  CHECK(sim.step("cpu0") == "clear_refs.flush_tlb_mm");  // A+1 is not present: no step for it
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);
  CHECK(sim.step("cpu0") == "clear_refs.dec_tlb_flush_pending");
  CHECK(sim.mm("P").tlb_flush_pending == 0);
  CHECK(sim.step("cpu0") == "clear_refs.mmap_unlock");
  CHECK_FALSE(sim.mm("P").writer);
  CHECK(sim.done("cpu0"));
}

TEST_CASE("pagemap reads the soft-dirty and uffd-wp bits in one step and changes nothing else",
          "[ops]") {
  auto check_pagemap = [](Sim& sim, const std::string& bits) {
    auto before = sim.model->flatten(sim.s);
    CHECK(sim.step("cpu0") == "pagemap.read");
    CHECK_THAT(sim.note, Catch::Contains(bits));
    auto after = sim.model->flatten(sim.s);
    REQUIRE(before.size() == after.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (before[i].path.text == "cpu0.op") continue;  // the thread moved to its next op
      INFO(before[i].path.text);
      CHECK(before[i] == after[i]);
    }
    CHECK(sim.done("cpu0"));
  };
  SECTION("a protected dirty page") {
    Sim sim(scenario_text(R"({"A": {"uffd_wp": true}})",
                          R"({"P": {"threads": {"cpu0": [{"op": "pagemap", "addr": "A"}]}}})",
                          R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                              {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])"),
            "linux-5.10");
    check_pagemap(sim, "soft-dirty 1, uffd-wp 1");
  }
  SECTION("a page cleaned by clear_refs") {
    Sim sim(scenario_text(R"({"A": {}})",
                          R"({"P": {"threads": {"cpu0": [{"op": "pagemap", "addr": "A"}]}}})",
                          R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                              {"thread": "cpu0", "op": "clear_refs"}])"),
            "linux-5.12");
    check_pagemap(sim, "soft-dirty 0, uffd-wp 0");
  }
  SECTION("VM_SOFTDIRTY makes an unpopulated page soft-dirty") {
    Sim sim(scenario_text(R"({"A": {"soft_dirty": true}})",
                          R"({"P": {"threads": {"cpu0": [{"op": "pagemap", "addr": "A"}]}}})"),
            "linux-5.12");
    check_pagemap(sim, "soft-dirty 1, uffd-wp 0");
  }
}

// ---- mprotect ----

TEST_CASE("mprotect to read-only then read-write leaves a private PTE read-only", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "r"},
                                                       {"op": "mprotect", "addr": "A", "prot": "rw"}],
                                              "cpu1": [{"op": "read", "addr": "A"}]}}})",
                        R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  REQUIRE(sim.tlb("cpu1", "A").writable);
  CHECK(sim.step("cpu0") == "mprotect.mmap_write_lock");
  CHECK(sim.mm("P").writer);
  CHECK(sim.vma("P", "A").read);
  CHECK_FALSE(sim.vma("P", "A").write);
  CHECK(sim.step("cpu0") == "mprotect.pte");
  CHECK_FALSE(sim.pte("P", "A").write);
  CHECK(sim.pte("P", "A").dirty);  // pte_modify keeps dirty and soft_dirty
  CHECK(sim.pte("P", "A").soft_dirty);
  CHECK(sim.tlb("cpu1", "A").valid);
  CHECK(sim.step("cpu0") == "mprotect.flush_tlb_range");
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);
  CHECK(sim.step("cpu0") == "mprotect.mmap_write_unlock");
  CHECK_FALSE(sim.mm("P").writer);
  // Back to rw: a private VMA's vm_page_prot never has W, and 5.10 has no
  // can_change_pte_writable; the PTE does not change, but 5.10's change_protection_range()
  // flushes the range because a present PTE was visited (`pages++`, `if (pages)
  // flush_tlb_range(...)`; this test pinned "no flush step" before Revision 2).
  CHECK(sim.finish_op("cpu0") == Steps{"mprotect.mmap_write_lock", "mprotect.pte",
                                       "mprotect.flush_tlb_range", "mprotect.mmap_write_unlock"});
  CHECK(sim.vma("P", "A").write);
  CHECK_FALSE(sim.pte("P", "A").write);
}

TEST_CASE("mprotect PROT_NONE makes the PTE protnone and an access ends with SIGSEGV", "[ops]") {
  Sim sim(
      scenario_text(R"({"A": {}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "none"}],
                                              "cpu1": [{"op": "read", "addr": "A"},
                                                       {"op": "write", "addr": "A", "value": 7}]}}})",
                    R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])"),
      "linux-5.10");
  sim.finish_op("cpu0");
  CHECK(sim.pte("P", "A").present);
  CHECK(sim.pte("P", "A").protnone);
  CHECK_FALSE(sim.vma("P", "A").read);
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);
  CHECK(sim.finish_op("cpu1") ==
        Steps{"access.fault", "fault.mmap_read_lock", "fault.sigsegv", "fault.mmap_read_unlock"});
  CHECK(sim.finish_op("cpu1") ==
        Steps{"access.fault", "fault.mmap_read_lock", "fault.sigsegv", "fault.mmap_read_unlock"});
  CHECK(sim.frame_at("P", "A").content[0] == 1);  // the store never happened
  CHECK(sim.expected("P", "A") == 1);
}

// ---- fork ----

const char* kForkProcesses = R"({"P": {"threads": {"cpu0": [{"op": "fork", "child": "C"}]}},
                                "C": {"threads": {"c0": [{"op": "read", "addr": "A"}]}}})";

TEST_CASE("fork on linux-5.9 copies a pinned page for the child", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})", kForkProcesses,
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "pin", "addr": "A", "write": true, "as": "p"}])"),
          "linux-5.9");
  REQUIRE(sim.mm("P").has_pinned);
  REQUIRE(sim.frame(0).pincount == 1);
  REQUIRE(sim.frame(0).refcount == 2);
  const vm::Pte parent = sim.pte("P", "A");
  REQUIRE(parent.write);

  CHECK(sim.step("cpu0") == "fork.mmap_write_lock");
  CHECK(sim.mm("P").writer);
  CHECK(sim.mm("C").exists);
  CHECK_FALSE(sim.mm("C").live);
  CHECK(sim.vma("C", "A").mapped);
  CHECK_FALSE(sim.pte("C", "A").present);
  CHECK(sim.step("cpu0") == "fork.copy_pinned");
  CHECK(sim.pte("P", "A") == parent);  // the parent PTE stays as it was, writable
  const vm::Pte& child = sim.pte("C", "A");
  CHECK(child.present);
  CHECK(child.pfn == 1);
  CHECK(child.write);
  CHECK(child.dirty);
  CHECK(child.soft_dirty);
  CHECK(sim.frame(1).content[0] == 1);
  CHECK(sim.frame(1).refcount == 1);
  CHECK(sim.frame(1).mapcount == 1);
  CHECK(sim.frame(1).anon_exclusive);
  CHECK(sim.frame(0).mapcount == 1);
  CHECK(sim.frame(0).refcount == 2);
  CHECK(sim.expected("C", "A") == 1);
  CHECK(sim.step("cpu0") == "fork.flush_tlb_mm");
  CHECK_FALSE(sim.tlb("cpu0", "A").valid);
  CHECK(sim.step("cpu0") == "fork.return");
  CHECK(sim.mm("C").live);
  CHECK_FALSE(sim.mm("P").writer);
}

TEST_CASE("fork shares an unpinned page read-only and bumps mapcount and refcount", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})", kForkProcesses,
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.19");
  REQUIRE(sim.frame(0).anon_exclusive);
  REQUIRE(sim.tlb("cpu0", "A").writable);
  sim.run_until("cpu0", "fork.share");
  const vm::Pte& parent = sim.pte("P", "A");
  const vm::Pte& child = sim.pte("C", "A");
  CHECK_FALSE(parent.write);
  CHECK(parent.dirty);
  CHECK(parent.soft_dirty);
  CHECK(child.present);
  CHECK(child.pfn == parent.pfn);
  CHECK_FALSE(child.write);
  CHECK(child.dirty);
  CHECK(child.soft_dirty);
  CHECK(sim.frame(0).mapcount == 2);
  CHECK(sim.frame(0).refcount == 2);
  CHECK_FALSE(sim.frame(0).anon_exclusive);  // page_try_dup_anon_rmap (5.19)
  CHECK(sim.tlb("cpu0", "A").writable);      // the parent's flush comes after the walk
  CHECK(sim.step("cpu0") == "fork.flush_tlb_mm");
  CHECK_FALSE(sim.tlb("cpu0", "A").valid);
}

TEST_CASE("a forked child's threads are not runnable before fork returns", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})", kForkProcesses,
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  for (const char* expected : {"fork.mmap_write_lock", "fork.share", "fork.flush_tlb_mm"}) {
    CHECK(sim.enabled() == std::vector<int>{sim.thread("cpu0")});
    CHECK(sim.step("cpu0") == expected);
  }
  CHECK_FALSE(sim.enabled("c0"));
  CHECK(sim.step("cpu0") == "fork.return");
  CHECK(sim.enabled() == std::vector<int>{sim.thread("c0")});
  CHECK(sim.finish_op("c0").back() == "access.walk");  // the shared read-only PTE serves the load
}

TEST_CASE("the child of fork drops uffd_wp from its PTEs and VMAs", "[ops]") {
  Sim sim(scenario_text(R"({"A": {"uffd_wp": true}})", kForkProcesses,
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "uffd_wp", "addr": "A"}])"),
          "linux-5.10");
  sim.finish_op("cpu0");
  CHECK(sim.pte("P", "A").uffd_wp);
  CHECK(sim.vma("P", "A").uffd_wp);
  CHECK(sim.pte("C", "A").present);
  CHECK_FALSE(sim.pte("C", "A").uffd_wp);
  CHECK_FALSE(sim.vma("C", "A").uffd_wp);
}

TEST_CASE("fork leaves a shared mapping's PTEs none in the child", "[ops]") {
  Sim sim(scenario_text(R"({"A": {"type": "shmem"}})", kForkProcesses,
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  CHECK(sim.finish_op("cpu0") == Steps{"fork.mmap_write_lock", "fork.flush_tlb_mm", "fork.return"});
  CHECK_FALSE(sim.pte("C", "A").present);
  CHECK(sim.vma("C", "A").mapped);
  CHECK(sim.pte("P", "A").write);  // shared: not write-protected
  CHECK(sim.frame_at("P", "A").mapcount == 1);
  CHECK(sim.finish_op("c0").back() == "access.walk");
  CHECK(sim.pte("C", "A").pfn == sim.pte("P", "A").pfn);  // the child faults in the same frame
}

// ---- GUP: pin, get and the references ----

TEST_CASE("pin takes pincount, refcount and has_pinned; unpin drops them", "[ops]") {
  Sim sim(scenario_text(
              R"({"A": {}})",
              R"({"P": {"threads": {"cpu1": [{"op": "pin", "addr": "A", "write": true, "as": "p"},
                                                       {"op": "unpin", "pin": "p"}]}}})",
              R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  REQUIRE_FALSE(sim.mm("P").has_pinned);
  CHECK(sim.step("cpu1") == "gup.mmap_read_lock");
  CHECK(sim.mm("P").readers == 1);
  CHECK(sim.step("cpu1") == "gup.pin");
  CHECK(sim.frame(0).pincount == 1);
  CHECK(sim.frame(0).refcount == 2);
  CHECK(sim.mm("P").has_pinned);
  const vm::Handle& h = sim.s.handles[sim.handle("p")];
  CHECK(h.active);
  CHECK(h.kind == vm::HandleKind::Pin);
  CHECK(h.write);
  CHECK(h.pfn == 0);
  CHECK(sim.step("cpu1") == "gup.mmap_read_unlock");
  CHECK(sim.mm("P").readers == 0);
  CHECK(sim.step("cpu1") == "gup.unpin");
  CHECK(sim.frame(0).pincount == 0);
  CHECK(sim.frame(0).refcount == 1);
  CHECK_FALSE(sim.s.handles[sim.handle("p")].active);
  CHECK(sim.mm("P").has_pinned);  // the flag is never cleared
  CHECK_FALSE(sim.state_violation.has_value());
}

TEST_CASE("a pin of an unpopulated page faults it in under GUP's mmap_lock", "[ops]") {
  Sim sim(
      scenario_text(
          R"({"A": {}})",
          R"({"P": {"threads": {"cpu1": [{"op": "pin", "addr": "A", "write": true, "as": "p"}]}}})"),
      "linux-5.10");
  CHECK(sim.step("cpu1") == "gup.mmap_read_lock");
  CHECK(sim.step("cpu1") == "gup.fault");
  CHECK(sim.mm("P").readers == 1);
  CHECK(sim.step("cpu1") == "do_anonymous_page.map");  // no second mmap_read_lock
  CHECK(sim.mm("P").readers == 1);
  CHECK(sim.step("cpu1") == "gup.pin");
  CHECK(sim.step("cpu1") == "gup.mmap_read_unlock");
  CHECK(sim.frame(0).pincount == 1);
  CHECK(sim.frame(0).refcount == 2);
  CHECK(sim.pte("P", "A").write);
}

TEST_CASE("a R/W pin of a read-only COW page breaks COW before pinning", "[ops]") {
  Sim sim(
      scenario_text(
          R"({"A": {}})",
          R"({"P": {"threads": {"cpu0": [{"op": "pin", "addr": "A", "write": true, "as": "p"}]}},
                            "C": {"threads": {"c0": []}}})",
          R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "fork", "child": "C"}])"),
      "linux-5.10");
  CHECK(sim.finish_op("cpu0") == Steps{"gup.mmap_read_lock", "gup.fault", "do_wp_page.copy",
                                       "wp_page_copy.copy", "wp_page_copy.install", "gup.pin",
                                       "gup.mmap_read_unlock"});
  CHECK(sim.pte("P", "A").pfn == 1);
  CHECK(sim.pte("C", "A").pfn == 0);
  CHECK(sim.s.handles[sim.handle("p")].pfn == 1);
  CHECK(sim.frame(1).pincount == 1);
  CHECK(sim.frame(0).pincount == 0);
}

TEST_CASE("get takes a reference without pincount or has_pinned, and vmsplice is get", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}})",
                        R"({"P": {"threads": {"cpu1": [{"op": "vmsplice", "addr": "A", "as": "g"},
                                                       {"op": "put", "pin": "g"}]}}})",
                        R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  CHECK(sim.sc.threads[sim.thread("cpu1")].ops[0].kind == vm::OpKind::Get);
  CHECK(sim.finish_op("cpu1") == Steps{"gup.mmap_read_lock", "gup.get", "gup.mmap_read_unlock"});
  CHECK(sim.frame(0).refcount == 2);
  CHECK(sim.frame(0).pincount == 0);
  CHECK_FALSE(sim.mm("P").has_pinned);
  CHECK(sim.s.handles[sim.handle("g")].kind == vm::HandleKind::Get);
  CHECK(sim.step("cpu1") == "gup.put");
  CHECK(sim.frame(0).refcount == 1);
  CHECK_FALSE(sim.s.handles[sim.handle("g")].active);
}

TEST_CASE("pin_write stores into the pinned frame as a store by the pinning mm; pin_read reads it",
          "[ops]") {
  Sim sim(scenario_text(
              R"({"A": {"words": 2}})",
              R"({"P": {"threads": {"cpu1": [{"op": "pin_write", "pin": "p", "word": 1, "value": 9},
                                                       {"op": "pin_read", "pin": "p", "word": 1}]}}})",
              R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu1", "op": "pin", "addr": "A", "write": true, "as": "p"}])"),
          "linux-5.10");
  const vm::Pte before = sim.pte("P", "A");
  CHECK(sim.step("cpu1") == "pin.write");
  CHECK(sim.frame(0).content[1] == 9);
  CHECK(sim.frame(0).content[0] == 1);
  CHECK(sim.expected("P", "A", 1) == 9);
  CHECK(sim.pte("P", "A") == before);  // the device does not go through the page table
  auto flat = sim.model->flatten(sim.s);
  CHECK(sim.step("cpu1") == "pin.read");
  CHECK_THAT(sim.note, Catch::Contains("reads 9"));
  auto after = sim.model->flatten(sim.s);
  for (std::size_t i = 0; i < flat.size(); ++i)
    if (flat[i].path.text != "cpu1.op") CHECK(flat[i] == after[i]);
  CHECK_FALSE(sim.violation.has_value());
}

TEST_CASE("extra_ref takes a transient reference of its kind and drop_ref returns it", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}, "B": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "extra_ref", "addr": "A"},
                                                       {"op": "extra_ref", "addr": "A", "kind": "io"},
                                                       {"op": "extra_ref", "addr": "B"},
                                                       {"op": "drop_ref", "addr": "A"},
                                                       {"op": "drop_ref", "addr": "A"}]}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  CHECK(sim.step("cpu0") == "extra_ref.get");
  CHECK(sim.frame(0).refcount == 2);
  CHECK(sim.step("cpu0") == "extra_ref.get");
  CHECK(sim.frame(0).refcount == 3);
  int lru = 0, io = 0;
  for (const auto& h : sim.s.handles)
    if (h.active && h.kind == vm::HandleKind::Extra) (h.lru ? lru : io)++;
  CHECK(lru == 1);
  CHECK(io == 1);
  CHECK(sim.step("cpu0") == "extra_ref.get");  // B is not populated: nothing to reference
  CHECK(sim.frames_in_use() == 1);
  CHECK(sim.step("cpu0") == "extra_ref.put");
  CHECK(sim.frame(0).refcount == 2);
  CHECK(sim.step("cpu0") == "extra_ref.put");
  CHECK(sim.frame(0).refcount == 1);
  CHECK_FALSE(sim.state_violation.has_value());
}

// ---- munmap and exit ----

TEST_CASE("munmap clears the PTE, frees the frame after the flush, and the cleared frame is reused",
          "[ops]") {
  Sim sim(scenario_text(R"({"A": {}, "B": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "munmap", "addr": "A"},
                                                       {"op": "write", "addr": "B", "value": 2}],
                                              "cpu1": [{"op": "read", "addr": "A"}]}}})",
                        R"([{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}])"),
          "linux-5.10");
  REQUIRE(sim.tlb("cpu1", "A").valid);
  CHECK(sim.step("cpu0") == "munmap.mmap_write_lock");
  CHECK(sim.mm("P").writer);
  CHECK(sim.step("cpu0") == "munmap.zap");
  CHECK_FALSE(sim.pte("P", "A").present);
  CHECK_FALSE(sim.vma("P", "A").mapped);
  CHECK(sim.expected("P", "A") == -1);
  CHECK(sim.frame(0).in_use);  // the reference is dropped only after the flush
  CHECK(sim.frame(0).mapcount == 0);
  CHECK(sim.frame(0).refcount == 1);
  CHECK(sim.tlb("cpu1", "A").valid);
  CHECK_FALSE(sim.state_violation.has_value());
  CHECK(sim.step("cpu0") == "munmap.flush_and_free");
  CHECK_FALSE(sim.tlb("cpu1", "A").valid);
  CHECK(sim.frame(0) == vm::Frame{});  // freed and cleared
  CHECK(sim.step("cpu0") == "munmap.mmap_write_unlock");
  CHECK_FALSE(sim.mm("P").writer);
  sim.finish_op("cpu0");  // write B: the lowest free frame is 0 again
  CHECK(sim.pte("P", "B").pfn == 0);
  CHECK(sim.frame(0).content[0] == 2);
  CHECK(sim.finish_op("cpu1") ==
        Steps{"access.fault", "fault.mmap_read_lock", "fault.sigsegv", "fault.mmap_read_unlock"});
}

TEST_CASE("exit unmaps every page of the process and frees what no one else maps", "[ops]") {
  Sim sim(scenario_text(R"({"A": {}, "B": {}})",
                        R"({"P": {"threads": {"cpu0": [{"op": "exit"}]}},
                            "C": {"threads": {"c0": [{"op": "exit"}]}}})",
                        R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                            {"thread": "cpu0", "op": "write", "addr": "B", "value": 2},
                            {"thread": "cpu0", "op": "fork", "child": "C"}])"),
          "linux-5.10");
  REQUIRE(sim.frame(0).mapcount == 2);
  REQUIRE(sim.frame(1).mapcount == 2);
  CHECK(sim.finish_op("c0") == Steps{"munmap.mmap_write_lock", "munmap.zap",
                                     "munmap.flush_and_free", "munmap.mmap_write_unlock"});
  CHECK_FALSE(sim.pte("C", "A").present);
  CHECK_FALSE(sim.pte("C", "B").present);
  CHECK(sim.frame(0).mapcount == 1);
  CHECK(sim.frame(0).refcount == 1);
  CHECK(sim.frame(1).refcount == 1);
  CHECK(sim.frames_in_use() == 2);
  sim.finish_op("cpu0");
  CHECK(sim.frames_in_use() == 0);
  CHECK_FALSE(sim.vma("P", "A").mapped);
  CHECK_FALSE(sim.vma("P", "B").mapped);
}

}  // namespace
}  // namespace mmtest
