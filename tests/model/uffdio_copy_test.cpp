// UFFDIO_COPY and missing faults (mfill_atomic_install_pte, handle_userfault(VM_UFFD_MISSING)).
#include <catch2/catch.hpp>

#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

std::string missing_scenario(const std::string& region, const std::string& copy) {
  return scenario_text(
      R"({"A": )" + region + "}", R"({"P": {"threads": {"cpu0": [)" + copy + R"(],
                                             "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}})",
      R"([{"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "missing"}])");
}

TEST_CASE(
    "A store to a none PTE of a VM_UFFD_MISSING VMA waits in handle_userfault until "
    "UFFDIO_COPY populates it",
    "[uffdio_copy]") {
  Sim sim(missing_scenario("{}", R"({"op": "uffdio_copy", "addr": "A", "value": 1})"), "latest");
  CHECK(sim.vma("P", "A").uffd_missing);
  sim.run_until("cpu1", "fault.userfault_missing");
  CHECK(sim.step("cpu1") == "handle_userfault.wait");
  CHECK_FALSE(sim.enabled("cpu1"));
  CHECK_THAT(sim.model->why_blocked(sim.s, sim.thread("cpu1")), Catch::Contains("populated"));
  CHECK(sim.finish_op("cpu0") == std::vector<std::string>{"uffdio_copy.mmap_read_lock",
                                                          "uffdio_copy.install",
                                                          "uffdio_copy.mmap_read_unlock"});
  const vm::Pte& pte = sim.pte("P", "A");
  CHECK((pte.present && pte.write && pte.dirty && pte.soft_dirty && !pte.uffd_wp));
  CHECK(sim.frame_at("P", "A").content[0] == 1);
  CHECK(sim.expected("P", "A") == 1);
  CHECK(sim.enabled("cpu1"));  // the copy woke it
  sim.finish_op("cpu1");
  CHECK(sim.expected("P", "A") == 2);
  CHECK_FALSE(sim.violation.has_value());
}

TEST_CASE(
    "UFFDIO_COPY with MODE_WP installs a read-only uffd-wp PTE; a populated page is "
    "-EEXIST",
    "[uffdio_copy]") {
  Sim sim(
      scenario_text(
          R"({"A": {}})",
          R"({"P": {"threads": {"cpu0": [{"op": "uffdio_copy", "addr": "A", "value": 1, "wp": true},
                                                       {"op": "uffdio_copy", "addr": "A", "value": 3}]}}})",
          R"([{"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "missing+wp"}])"),
      "latest");
  sim.finish_op("cpu0");
  CHECK((sim.pte("P", "A").uffd_wp && !sim.pte("P", "A").write && sim.pte("P", "A").dirty));
  auto steps = sim.finish_op("cpu0");
  CHECK(std::find(steps.begin(), steps.end(), "uffdio_copy.eexist") != steps.end());
  CHECK(sim.frame_at("P", "A").content[0] == 1);
}

TEST_CASE("uffdio_copy_mkdirty (9ae0f87d009c, 5.16): before it a read-only shmem PTE stays clean",
          "[uffdio_copy]") {
  std::string json = scenario_text(
      R"({"A": {"type": "shmem"}})",
      R"({"P": {"threads": {"cpu0": [{"op": "uffdio_copy", "addr": "A", "value": 1, "wp": true}]}}})",
      R"([{"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "missing+wp"}])");
  Sim now(json, "latest");
  now.finish_op("cpu0");
  CHECK(now.pte("P", "A").dirty);
  Sim old(json, "linux-5.19", {{"uffdio_copy_mkdirty", "false"}});
  old.finish_op("cpu0");
  CHECK_FALSE(old.pte("P", "A").dirty);
}

TEST_CASE(
    "Hugh Dickins's dirty_accountable route is never taken on shmem: with write-notify "
    "5.19 keeps the copied uffd-wp PTE read-only (uffdio-copy-wp-shmem-mprotect.json)",
    "[uffdio_copy][race]") {
  auto as_is = run_library("uffdio-copy-wp-shmem-mprotect", "linux-5.19");
  CHECK(as_is.verdict == mmcheck::cli::Outcome::Violation);
  CHECK(as_is.invariant == "uffd_wp_sound");
  for (const auto& st : as_is.trace) CHECK_THAT(st.note, !Catch::Contains("dirty_accountable"));
  CHECK(
      run_library("uffdio-copy-wp-shmem-mprotect", "linux-5.19", {{"uffd_wp_writenotify", "true"}})
          .verdict == mmcheck::cli::Outcome::Holds);
}

TEST_CASE(
    "UFFDIO_COPY and UFFDIO_CONTINUE into a VMA no userfaultfd registered fail -ENOENT "
    "(validate_dst_vma()) and change nothing",
    "[uffdio_copy]") {
  Sim copy(scenario_text(R"({"A": {}})",
                         R"({"P": {"threads": {"cpu0": [{"op": "uffdio_copy", "addr": "A"}]}}})"),
           "latest");
  auto taken = copy.finish_op("cpu0");
  CHECK(std::find(taken.begin(), taken.end(), "uffdio_copy.enoent") != taken.end());
  CHECK_FALSE(copy.pte("P", "A").present);
  Sim cont(
      scenario_text(R"({"A": {"type": "shmem"}})",
                    R"({"P": {"threads": {"cpu0": [{"op": "uffdio_continue", "addr": "A"}]}}})",
                    R"([{"thread": "cpu0", "op": "write", "addr": "A"}])"),
      "latest");
  taken = cont.finish_op("cpu0");
  CHECK(std::find(taken.begin(), taken.end(), "uffdio_continue.enoent") != taken.end());
}

TEST_CASE(
    "A registration with the same features replaces the VMA's mode unless the VMA has it "
    "already; one with other features "
    "is another userfaultfd, -EBUSY on a VMA the first holds; none on an unmapped range is "
    "-EINVAL",
    "[uffd]") {
  // wp, then missing with the same (no) features: the mode is replaced, WP is gone
  // (userfaultfd_register_range(): new_flags = (vm_flags & ~__VM_UFFD_FLAGS) | vm_flags).
  Sim same(scenario_text(R"({"A": {}})",
                         R"({"P": {"threads": {"cpu0": [
                               {"op": "uffd_register", "addr": "A", "mode": "wp"},
                               {"op": "uffd_register", "addr": "A", "mode": "missing"}]}}})"),
           "latest");
  same.finish_op("cpu0");
  CHECK(same.vma("P", "A").uffd_wp);
  same.finish_op("cpu0");
  CHECK_FALSE(same.vma("P", "A").uffd_wp);
  CHECK(same.vma("P", "A").uffd_missing);
  CHECK_FALSE(same.s.threads[same.thread("cpu0")].failed);
  // missing+wp, then wp: the context already holds both ("Nothing to do"), missing stays.
  Sim covered(scenario_text(R"({"A": {}})",
                            R"({"P": {"threads": {"cpu0": [
                                  {"op": "uffd_register", "addr": "A", "mode": "missing+wp"},
                                  {"op": "uffd_register", "addr": "A", "mode": "wp"}]}}})"),
              "latest");
  covered.finish_op("cpu0");
  covered.finish_op("cpu0");
  CHECK(covered.vma("P", "A").uffd_wp);
  CHECK(covered.vma("P", "A").uffd_missing);
  // wp, then wp with WP_UNPOPULATED: another context, -EBUSY, the first registration stays.
  Sim other(scenario_text(R"({"A": {}})",
                          R"({"P": {"threads": {"cpu0": [
                                {"op": "uffd_register", "addr": "A", "mode": "wp"},
                                {"op": "uffd_register", "addr": "A", "mode": "missing+wp",
                                 "features": "wp_unpopulated"},
                                {"op": "read", "addr": "A"}]}}})"),
            "latest");
  other.finish_op("cpu0");
  other.run_until("cpu0", "uffd_register.mmap_write_lock");
  CHECK(other.s.threads[other.thread("cpu0")].failed);
  CHECK(other.vma("P", "A").uffd_wp);
  CHECK_FALSE(other.vma("P", "A").uffd_missing);
  CHECK(other.s.mm[other.process("P")].uffd_wp_unpopulated == 0);
  // After munmap, no VMA: -EINVAL.
  Sim gone(scenario_text(R"({"A": {}})",
                         R"({"P": {"threads": {"cpu0": [{"op": "munmap", "addr": "A"},
                               {"op": "uffd_register", "addr": "A", "mode": "wp"},
                               {"op": "read", "addr": "A"}]}}})"),
           "latest");
  gone.finish_op("cpu0");
  gone.run_until("cpu0", "uffd_register.mmap_write_lock");
  CHECK(gone.s.threads[gone.thread("cpu0")].failed);
  CHECK_FALSE(gone.vma("P", "A").uffd_wp);
}

TEST_CASE(
    "A forked child's VMAs lose VM_UFFD_MISSING as VM_UFFD_WP (dup_userfaultfd() without "
    "UFFD_FEATURE_EVENT_FORK): its load of a none page does not wait for a monitor",
    "[uffd]") {
  Sim sim(scenario_text(
              R"({"A": {}})", R"({"P": {"threads": {"cpu0": [{"op": "fork", "child": "C"}]}},
                                          "C": {"threads": {"c": [{"op": "read", "addr": "A"}]}}})",
              R"([{"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "missing+wp"}])"),
          "latest");
  sim.finish_op("cpu0");
  CHECK(sim.vma("P", "A").uffd_missing);
  CHECK_FALSE(sim.vma("C", "A").uffd_missing);
  CHECK_FALSE(sim.vma("C", "A").uffd_wp);
  sim.finish_op("c");
  CHECK(sim.pte("C", "A").present);
}

}  // namespace
}  // namespace mmtest
