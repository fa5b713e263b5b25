// Bad "private" and "file" values of a region (a MAP_PRIVATE view of a shmem file) and the ops
// the model does not support on such a view: each exits with status 2, located by JSON pointer.
#include "tests/cli/cli_support.hpp"

namespace mmcheck::clitest {
namespace {

// Shared shmem S and V, whose members are `view`; cpu0 runs `ops`; `extra` adds processes.
std::string view_scenario(const std::string& view,
                          const std::string& ops = R"({ "op": "read", "addr": "V" })",
                          const std::string& more_memory = "") {
  return R"({ "name": "private-view", "memory": { "S": { "type": "shmem" })" + more_memory +
         R"(, "V": )" + view + R"( }, "processes": { "P": { "threads": { "cpu0": [ )" + ops +
         " ] } } } }";
}

const std::string kView = R"({ "type": "shmem", "private": true, "file": "S" })";

TEST_CASE("A private view of a shared shmem region loads and holds", "[cli][bad-input][private]") {
  Check c = check_json(write_scenario(
      view_scenario(kView, R"({ "op": "read", "addr": "V" }, { "op": "write", "addr": "V" })")));
  CHECK(c.result.status == 0);
  CHECK(c.report["verdict"] == "holds");
}

TEST_CASE("A region's private must be a boolean", "[cli][bad-input][private]") {
  expect_bad_scenario(view_scenario(R"({ "type": "shmem", "private": "yes" })"),
                      "/memory/V/private", {"expected true or false"});
}

TEST_CASE("An anonymous region cannot be private (it is already)", "[cli][bad-input][private]") {
  expect_bad_scenario(view_scenario(R"({ "private": true })"), "/memory/V/private",
                      {"only a \"shmem\" or \"file\" region can be private"});
}

TEST_CASE("A private view of a regular file loads and holds; its file is of its own type",
          "[cli][bad-input][private]") {
  std::string ops = R"({ "op": "read", "addr": "V" }, { "op": "write", "addr": "V" })";
  Check own =
      check_json(write_scenario(view_scenario(R"({ "type": "file", "private": true })", ops)));
  CHECK(own.result.status == 0);
  CHECK(own.report["verdict"] == "holds");
  Check view = check_json(write_scenario(view_scenario(
      R"({ "type": "file", "private": true, "file": "F" })", ops, R"(, "F": { "type": "file" })")));
  CHECK(view.result.status == 0);
  CHECK(view.report["verdict"] == "holds");
  expect_bad_scenario(view_scenario(R"({ "type": "file", "private": true, "file": "S" })", ops),
                      "/memory/V/file", {"region \"S\" is not a shared \"file\" region"});
}

TEST_CASE("A private region cannot be registered for uffd-wp", "[cli][bad-input][private]") {
  expect_bad_scenario(view_scenario(R"({ "type": "shmem", "private": true, "uffd_wp": true })"),
                      "/memory/V/uffd_wp", {"not modelled"});
}

TEST_CASE("Only a private region names a file", "[cli][bad-input][private]") {
  expect_bad_scenario(view_scenario(R"({ "type": "shmem", "file": "S" })"), "/memory/V/file",
                      {"only a private region"});
}

TEST_CASE("A region's file must be a string", "[cli][bad-input][private]") {
  expect_bad_scenario(view_scenario(R"({ "type": "shmem", "private": true, "file": 3 })"),
                      "/memory/V/file", {"string"});
}

TEST_CASE("A file naming no earlier region is rejected and the regions are listed",
          "[cli][bad-input][private]") {
  expect_bad_scenario(view_scenario(R"({ "type": "shmem", "private": true, "file": "T" })"),
                      "/memory/V/file", {"\"T\" is not a region declared before", "declared: S"});
  expect_bad_scenario(view_scenario(R"({ "type": "shmem", "private": true, "file": "V" })"),
                      "/memory/V/file", {"\"V\" is not a region declared before"});
}

TEST_CASE("A file naming an anonymous or private region is rejected", "[cli][bad-input][private]") {
  expect_bad_scenario(view_scenario(R"({ "type": "shmem", "private": true, "file": "N" })",
                                    R"({ "op": "read", "addr": "V" })", R"(, "N": {})"),
                      "/memory/V/file", {"region \"N\" is not a shared \"shmem\" region"});
  expect_bad_scenario(view_scenario(R"({ "type": "shmem", "private": true, "file": "W" })",
                                    R"({ "op": "read", "addr": "V" })",
                                    R"(, "W": { "type": "shmem", "private": true })"),
                      "/memory/V/file", {"region \"W\" is not a shared \"shmem\" region"});
}

TEST_CASE("A file of another size is rejected", "[cli][bad-input][private]") {
  expect_bad_scenario(
      view_scenario(R"({ "type": "shmem", "private": true, "file": "S", "pages": 2 })"),
      "/memory/V/file", {"has 1 pages of 1 words", "the same"});
  expect_bad_scenario(
      view_scenario(R"({ "type": "shmem", "private": true, "file": "S", "words": 2 })"),
      "/memory/V/file", {"has 1 pages of 1 words"});
}

TEST_CASE("Ops the model does not support on a private view are rejected at their place",
          "[cli][bad-input][private]") {
  expect_bad_scenario(view_scenario(kView, R"({ "op": "pin", "addr": "V", "as": "h" })"),
                      "/processes/P/threads/cpu0/0", {"pin on a private region is not modelled"});
  expect_bad_scenario(view_scenario(kView, R"({ "op": "madvise_dontneed", "addr": "V" })"),
                      "/processes/P/threads/cpu0/0",
                      {"madvise_dontneed on a private region is not modelled"});
  expect_bad_scenario(view_scenario(kView, R"({ "op": "uffdio_copy", "addr": "V" })"),
                      "/processes/P/threads/cpu0/0", {"uffdio_copy on a private region"});
  expect_bad_scenario(
      view_scenario(kView, R"({ "op": "uffd_register", "addr": "V", "mode": "missing" })"),
      "/processes/P/threads/cpu0/0/mode", {"mode \"minor\" only"});
  std::string fork = view_scenario(kView, R"({ "op": "fork", "child": "C" })");
  fork.replace(fork.rfind(" } }"), 4, R"(, "C": { "threads": { "cpu1": [] } } } })");
  expect_bad_scenario(fork, "/processes/P/threads/cpu0/0",
                      {"fork in a scenario with a private region"});
}

}  // namespace
}  // namespace mmcheck::clitest
