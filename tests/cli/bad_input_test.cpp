// Bad scenario files and bad command-line values (the README's "Scenario files" and "Using it"):
// every one exits with status 2 before anything is explored (under --json only an error object on
// stdout, no counts), and the message names the file, the JSON pointer of the offending value and
// what was expected, listing the valid names where there is a list.
//
// The tests at the end pin down bugs found in the loader and the CLI (crashes, wrapped numbers,
// wrong locations), now fixed.
#include "tests/cli/cli_support.hpp"

namespace mmcheck::clitest {
namespace {

// A valid scenario: region A (1 page, 2 words), process P whose thread cpu0 runs `ops`, plus
// `extra` top-level members (each starting with a comma).
std::string scenario(const std::string& ops, const std::string& extra = "",
                     const std::string& memory = R"({ "A": { "words": 2 } })") {
  return R"({ "name": "bad-input", "memory": )" + memory +
         R"(, "processes": { "P": { "threads": { "cpu0": [ )" + ops + " ] } } }" + extra + " }";
}

const std::string kRead = R"({ "op": "read", "addr": "A" })";
const std::string kOpPointer = "/processes/P/threads/cpu0/0";

TEST_CASE("The base scenario of the bad-input tests is valid and holds", "[cli][bad-input]") {
  Check c = check_json(write_scenario(
      scenario(kRead + R"(, { "op": "write", "addr": "A", "word": 1, "value": 3 })")));
  CHECK(c.result.status == 0);
  CHECK(c.report["verdict"] == "holds");
}

TEST_CASE("A scenario's syntax error is located by JSON pointer, line and column",
          "[cli][bad-input]") {
  // One JSON reader for scenarios and traces: the pointer of the value being read when the
  // parser stopped, and where in the text.
  expect_bad_scenario(R"({"name": "t", "memory": {"A": {"pages": }}})", "/memory/A/pages",
                      {"not valid JSON", "line 1, column"});
}

// --- unknown names ---------------------------------------------------------------------------

TEST_CASE("An unknown top-level key is rejected and the valid keys are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(scenario(kRead, R"(, "bogus": 1)"), "/bogus",
                      {"\"bogus\"", "name", "summary", "references", "kernel", "policy", "memory",
                       "processes", "setup", "check", "must_reach", "expect"});
}

TEST_CASE("An unknown key's JSON pointer escapes '/' and '~'", "[cli][bad-input]") {
  expect_bad_scenario(scenario(kRead, R"(, "a/b~c": 1)"), "/a~1b~0c", {"\"a/b~c\""});
}

TEST_CASE("An unknown key inside a region is rejected and the region's keys are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(scenario(kRead, "", R"({ "A": { "pages": 1, "size": 4096 } })"),
                      "/memory/A/size",
                      {"\"size\"", "type", "pages", "words", "prot", "uffd_wp", "soft_dirty"});
}

TEST_CASE("An unknown op is rejected and every op is listed", "[cli][bad-input]") {
  std::string file = write_scenario(scenario(R"({ "op": "reed", "addr": "A" })"));
  Result r = run_mmcheck({"check", file, "--json"});
  require_bad_input(r, file, kOpPointer + "/op", {"\"reed\""});
  for (const auto& op : kOps) {
    INFO("op " << op);
    CHECK_THAT(r.err, Catch::Contains(op));
  }
}

TEST_CASE("An unknown op in setup is rejected at its place in setup", "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(kRead, R"(, "setup": [ { "thread": "cpu0", "op": "poke", "addr": "A" } ])"),
      "/setup/0/op", {"\"poke\"", "read", "write", "pin_write"});
}

TEST_CASE("An unknown invariant in check is rejected and every invariant is listed",
          "[cli][bad-input]") {
  std::string file =
      write_scenario(scenario(kRead, R"(, "check": ["no_lost_write", "no_lost_writes"])"));
  Result r = run_mmcheck({"check", file, "--json"});
  require_bad_input(r, file, "/check/1", {"\"no_lost_writes\""});
  for (const auto& inv : kInvariants) {
    INFO("invariant " << inv);
    CHECK_THAT(r.err, Catch::Contains(inv));
  }
}

TEST_CASE("An unknown preset in kernel is rejected and every preset is listed",
          "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead, R"(, "kernel": "linux-4.19")"));
  Result r = run_mmcheck({"check", file, "--json"});
  require_bad_input(r, file, "/kernel", {"\"linux-4.19\""});
  for (const auto& p : kPresets) {
    INFO("preset " << p);
    CHECK_THAT(r.err, Catch::Contains(p));
  }
}

TEST_CASE("An unknown preset in expect is rejected and the presets are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(kRead, R"(, "expect": { "latest": "holds", "linux-4.19": "holds" })"),
      "/expect/linux-4.19", {"\"linux-4.19\"", "linux-5.4", "linux-6.2", "latest"});
}

TEST_CASE("An unknown preset in a must_reach object is rejected and the presets are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(kRead, R"(, "must_reach": { "latest": ["access"], "linux-9.9": ["access"] })"),
      "/must_reach/linux-9.9", {"\"linux-9.9\"", "linux-5.4", "linux-6.2", "latest"});
}

TEST_CASE("An unknown preset given with --kernel is rejected and the presets are listed",
          "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead));
  Result r = run_mmcheck({"check", file, "--json", "--kernel", "linux-4.19"});
  require_bad_input(r, "--kernel", "", {"\"linux-4.19\""});
  for (const auto& p : kPresets) {
    INFO("preset " << p);
    CHECK_THAT(r.err, Catch::Contains(p));
  }
}

// --- policies --------------------------------------------------------------------------------

TEST_CASE("An unknown policy in the scenario's policy is rejected and every policy is listed",
          "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead, R"(, "policy": { "cow_reus": "refcount" })"));
  Result r = run_mmcheck({"check", file, "--json"});
  require_bad_input(r, file, "/policy/cow_reus", {"\"cow_reus\""});
  for (const auto& p : kPolicies) {
    INFO("policy " << p);
    CHECK_THAT(r.err, Catch::Contains(p));
  }
}

TEST_CASE("A bad policy value in the scenario's policy is rejected and the valid values are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(scenario(kRead, R"(, "policy": { "cow_reuse": "sometimes" })"),
                      "/policy/cow_reuse",
                      {"cow_reuse", "\"sometimes\"", "mapcount", "refcount", "anon_exclusive"});
}

TEST_CASE("A bad boolean policy value in the scenario's policy is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(kRead, R"(, "policy": { "cow_drain_lru": "maybe" })"),
                      "/policy/cow_drain_lru", {"cow_drain_lru", "maybe", "true", "false"});
}

TEST_CASE("A number given for a boolean policy names true and false as the valid values",
          "[cli][bad-input]") {
  // Was: only "expected a string, got a number", although true/false (JSON booleans) are what a
  // boolean policy takes.
  expect_bad_scenario(scenario(kRead, R"(, "policy": { "cow_drain_lru": 1 })"),
                      "/policy/cow_drain_lru", {"cow_drain_lru", "true", "false", "number"});
}

TEST_CASE("A number given for an enumerated policy names the policy's values", "[cli][bad-input]") {
  expect_bad_scenario(scenario(kRead, R"(, "policy": { "cow_reuse": 2 })"), "/policy/cow_reuse",
                      {"cow_reuse", "mapcount", "refcount", "anon_exclusive", "number"});
}

TEST_CASE("An unknown policy given with --set is rejected and every policy is listed",
          "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead));
  Result r = run_mmcheck({"check", file, "--json", "--set", "cow_reus=refcount"});
  require_bad_input(r, "--set", "", {"\"cow_reus\""});
  for (const auto& p : kPolicies) {
    INFO("policy " << p);
    CHECK_THAT(r.err, Catch::Contains(p));
  }
}

TEST_CASE("A bad policy value given with --set is rejected and the valid values are listed",
          "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead));
  require_bad_input(run_mmcheck({"check", file, "--json", "--set", "clear_refs_flush=always"}),
                    "--set", "", {"clear_refs_flush", "\"always\"", "deferred", "none", "pending"});
}

TEST_CASE("A --set without '=' is rejected as expecting POLICY=VALUE", "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead));
  require_bad_input(run_mmcheck({"check", file, "--json", "--set", "cow_reuse"}), "--set", "",
                    {"POLICY=VALUE", "\"cow_reuse\""});
  require_bad_input(run_mmcheck({"check", file, "--json", "--set", "=refcount"}), "--set", "",
                    {"POLICY=VALUE"});
}

// --- addresses and ranges --------------------------------------------------------------------

TEST_CASE("An address naming an unknown region is rejected and the regions are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(R"({ "op": "read", "addr": "B" })", "", R"({ "A": { "words": 2 }, "C": {} })"),
      kOpPointer + "/addr", {"\"B\"", "A", "C"});
}

TEST_CASE("uffdio_move's src must name a known region and another page than addr",
          "[cli][bad-input]") {
  const std::string memory = R"({ "A": {}, "B": {} })";
  expect_bad_scenario(scenario(R"({ "op": "uffdio_move", "addr": "B", "src": "C" })", "", memory),
                      kOpPointer + "/src", {"\"C\"", "A", "B"});
  expect_bad_scenario(scenario(R"({ "op": "uffdio_move", "addr": "B", "src": "B" })", "", memory),
                      kOpPointer + "/src", {"\"src\"", "\"addr\""});
  expect_bad_scenario(scenario(R"({ "op": "uffdio_move", "addr": "B" })", "", memory), kOpPointer,
                      {"needs \"src\""});
}

TEST_CASE("An address A+5 outside a one-page region is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "read", "addr": "A+5" })"), kOpPointer + "/addr",
                      {"A+5", "outside", "1 page"});
}

TEST_CASE("A malformed address A+x is rejected with the address form", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "read", "addr": "A+x" })"), kOpPointer + "/addr",
                      {"\"A+x\"", "\"A+1\""});
}

TEST_CASE("An address that is not a string is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "read", "addr": 0 })"), kOpPointer + "/addr", {"string"});
}

TEST_CASE("A page range that runs past its region is rejected", "[cli][bad-input]") {
  // A has 2 pages; B follows it, so A+1 with 2 pages would spill into B.
  expect_bad_scenario(scenario(R"({ "op": "munmap", "addr": "A+1", "pages": 2 })", "",
                               R"({ "A": { "pages": 2 }, "B": {} })"),
                      kOpPointer + "/addr", {"A+1", "2 pages", "outside", "region A"});
}

TEST_CASE("A page range of zero pages is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "uffd_wp", "addr": "A", "pages": 0 })"),
                      kOpPointer + "/pages", {"integer", "got 0"});
}

// --- missing required fields -----------------------------------------------------------------

TEST_CASE("A write without addr is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "write", "value": 1 })"), kOpPointer,
                      {"write", "\"addr\""});
}

TEST_CASE("A fork without child is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "fork" })"), kOpPointer, {"fork", "\"child\""});
}

TEST_CASE("A pin without as is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "pin", "addr": "A" })"), kOpPointer, {"pin", "\"as\""});
}

TEST_CASE("A scenario without name is rejected", "[cli][bad-input]") {
  expect_bad_scenario(
      R"({ "memory": { "A": {} }, "processes": { "P": { "threads": { "cpu0": [] } } } })", "",
      {"\"name\""});
}

TEST_CASE("A scenario with an empty name is rejected", "[cli][bad-input]") {
  // Reports and traces require a non-empty scenario name.
  expect_bad_scenario(
      R"({ "name": "", "memory": { "A": {} }, "processes": { "P": { "threads": { "cpu0": [] } } } })",
      "/name", {"non-empty"});
}

// --- processes, threads and forks ------------------------------------------------------------

TEST_CASE("A child forked twice is rejected at the second fork", "[cli][bad-input]") {
  std::string text = R"({ "name": "fork-twice", "memory": { "A": {} },
    "processes": {
      "P": { "threads": { "cpu0": [ { "op": "fork", "child": "C" }, { "op": "fork", "child": "C" } ] } },
      "C": { "threads": { "c0": [] } } } })";
  expect_bad_scenario(text, "/processes/P/threads/cpu0/1/child",
                      {"\"C\"", "/processes/P/threads/cpu0/0/child"});
}

TEST_CASE("A child forked by two threads is rejected", "[cli][bad-input]") {
  std::string text = R"({ "name": "fork-twice", "memory": { "A": {} },
    "processes": {
      "P": { "threads": { "cpu0": [ { "op": "fork", "child": "C" } ], "cpu1": [ { "op": "fork", "child": "C" } ] } },
      "C": { "threads": { "c0": [] } } } })";
  std::string file = write_scenario(text);
  Result r = run_mmcheck({"check", file, "--json"});
  require_bad_input(r, file, "/processes/P/threads/cpu1/0/child",
                    {"\"C\"", "/processes/P/threads/cpu0/0/child"});
}

TEST_CASE("A fork naming an undeclared process is rejected and the declared ones are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "fork", "child": "Q" })"), kOpPointer + "/child",
                      {"\"Q\"", "processes", "P"});
}

TEST_CASE("A thread name used in two processes is rejected naming both places",
          "[cli][bad-input]") {
  std::string text = R"({ "name": "dup-thread", "memory": { "A": {} },
    "processes": {
      "P": { "threads": { "cpu0": [ { "op": "fork", "child": "C" } ] } },
      "C": { "threads": { "cpu0": [] } } } })";
  std::string file = write_scenario(text);
  Result r = run_mmcheck({"check", file, "--json"});
  INFO(describe(r));
  CHECK(r.status == 2);
  check_no_report(r);
  CHECK_THAT(r.err, Catch::Contains(file + ": /processes/"));
  CHECK_THAT(r.err, Catch::Contains("/processes/P/threads/cpu0"));
  CHECK_THAT(r.err, Catch::Contains("/processes/C/threads/cpu0"));
  CHECK_THAT(r.err, Catch::Contains("\"cpu0\""));
}

TEST_CASE("A setup op naming an unknown thread is rejected and the threads are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(kRead, R"(, "setup": [ { "thread": "cpu9", "op": "read", "addr": "A" } ])"),
      "/setup/0/thread", {"\"cpu9\"", "cpu0"});
}

TEST_CASE("A handle that no pin or get defines is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "pin_read", "pin": "h" })"), kOpPointer + "/pin",
                      {"\"h\""});
}

TEST_CASE("A bad handle name is echoed and the rule mentions '-'", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "pin", "addr": "A", "as": "2nd pin" })"),
                      kOpPointer + "/as", {"\"2nd pin\"", "handle", "'-'"});
}

TEST_CASE("A handle that no pin or get defines is rejected and the defined handles are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(R"({ "op": "pin", "addr": "A", "as": "g" }, { "op": "pin_read", "pin": "h" })"),
      "/processes/P/threads/cpu0/1/pin", {"\"h\"", "g"});
}

// --- duplicated keys -------------------------------------------------------------------------

TEST_CASE("A key duplicated in one object is rejected naming the key", "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead, "", R"({ "A": { "pages": 1, "pages": 2 } })"));
  Result r = run_mmcheck({"check", file, "--json"});
  INFO(describe(r));
  CHECK(r.status == 2);
  check_no_report(r);
  CHECK_THAT(r.err, Catch::Contains(file + ": "));
  CHECK_THAT(r.err, Catch::Contains("\"pages\""));
}

TEST_CASE("A key duplicated in one object is located by the JSON pointer of that object",
          "[cli][bad-input]") {
  // Was: "FILE: /: the key ..." wherever the object was (the parser callback kept no path).
  expect_bad_scenario(scenario(kRead, "", R"({ "A": { "pages": 1, "pages": 2 } })"), "/memory/A",
                      {"\"pages\"", "twice"});
}

TEST_CASE("A key duplicated in an op is located by the op's index in its thread",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(kRead + R"(, [ 1, [] ], { "op": "read", "addr": "A", "addr": "A" })"),
      "/processes/P/threads/cpu0/2", {"\"addr\"", "twice"});
}

TEST_CASE("A key duplicated at the top level is located at the root", "[cli][bad-input]") {
  expect_bad_scenario(scenario(kRead, R"(, "name": "again")"), "/", {"\"name\"", "twice"});
}

// --- values ----------------------------------------------------------------------------------

TEST_CASE("A stored value of 256 is rejected as out of range", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "write", "addr": "A", "value": 256 })"),
                      kOpPointer + "/value", {"0 to 255", "256"});
}

TEST_CASE("A stored value of -1 is rejected as out of range", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "write", "addr": "A", "value": -1 })"),
                      kOpPointer + "/value", {"0 to 255", "-1"});
}

TEST_CASE("A stored value given as a string is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "write", "addr": "A", "value": "3" })"),
                      kOpPointer + "/value", {"0 to 255", "string"});
}

TEST_CASE("A pin_write value out of range is rejected", "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(
          R"({ "op": "pin", "addr": "A", "write": true, "as": "h" }, { "op": "pin_write", "pin": "h", "value": 300 })"),
      "/processes/P/threads/cpu0/1/value", {"0 to 255", "300"});
}

TEST_CASE("A huge stored value is reported as given, not wrapped around", "[cli][bad-input]") {
  // Was: read with get<long>(), so 2^64-1 was reported as "got -1" (and 2^63 as negative).
  expect_bad_scenario(scenario(R"({ "op": "write", "addr": "A", "value": 18446744073709551615 })"),
                      kOpPointer + "/value", {"0 to 255", "got 18446744073709551615"});
  expect_bad_scenario(scenario(R"({ "op": "write", "addr": "A", "value": 9223372036854775808 })"),
                      kOpPointer + "/value", {"0 to 255", "got 9223372036854775808"});
  expect_bad_scenario(scenario(R"({ "op": "write", "addr": "A", "value": -9223372036854775808 })"),
                      kOpPointer + "/value", {"0 to 255", "got -9223372036854775808"});
}

TEST_CASE("A fractional stored value is reported as a fraction", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "write", "addr": "A", "value": 1.5 })"),
                      kOpPointer + "/value", {"0 to 255", "got 1.5"});
}

TEST_CASE("A 65th distinct stored value is rejected at the op that stores it", "[cli][bad-input]") {
  std::string explicit_values, fresh_values;
  for (int v = 1; v <= 65; ++v) {
    explicit_values += std::string(v > 1 ? ", " : "") +
                       R"({ "op": "write", "addr": "A", "value": )" + std::to_string(v) + " }";
    fresh_values += std::string(v > 1 ? ", " : "") + R"({ "op": "write", "addr": "A" })";
  }
  expect_bad_scenario(scenario(explicit_values), "/processes/P/threads/cpu0/64/value",
                      {"at most 64", "65"});
  expect_bad_scenario(scenario(fresh_values), "/processes/P/threads/cpu0/64",
                      {"at most 64", "fresh"});
}

TEST_CASE("A word beyond the region's words is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(R"({ "op": "write", "addr": "A", "word": 2, "value": 1 })"),
                      kOpPointer + "/word", {"0 to 1", "2"});
}

TEST_CASE("A word beyond a one-word region's word is rejected in setup too", "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(kRead,
               R"(, "setup": [ { "thread": "cpu0", "op": "read", "addr": "B", "word": 1 } ])",
               R"({ "A": { "words": 2 }, "B": {} })"),
      "/setup/0/word", {"0 to 0", "1"});
}

TEST_CASE("A pin_read word beyond the pinned region's words is rejected", "[cli][bad-input]") {
  // Was: bounded by kMaxWords (4), not by the words of the region the handle was pinned from, so
  // word 3 of a one-word region was accepted and the scenario explored (exit 0).
  expect_bad_scenario(R"({ "name": "pin-word", "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [
      { "op": "pin", "addr": "A", "write": true, "as": "h" },
      { "op": "pin_write", "pin": "h", "word": 3, "value": 7 },
      { "op": "pin_read", "pin": "h", "word": 3 } ] } } } })",
                      "/processes/P/threads/cpu0/1/word",
                      {"0 to 0", "\"h\"", "region A", "1 word"});
}

TEST_CASE("A pin_read word is bounded by the region of a handle taken later, on another CPU",
          "[cli][bad-input]") {
  expect_bad_scenario(
      R"({ "name": "pin-word", "memory": { "A": { "words": 4 }, "B": { "words": 2 } },
    "processes": { "P": { "threads": {
      "cpu0": [ { "op": "pin_read", "pin": "h", "word": 1 }, { "op": "pin_read", "pin": "h", "word": 2 } ],
      "cpu1": [ { "op": "get", "addr": "B", "as": "h" } ] } } } })",
      "/processes/P/threads/cpu0/1/word", {"0 to 1", "got 2", "region B", "2 words"});
}

// --- the file itself -------------------------------------------------------------------------

TEST_CASE("A file that is not JSON is rejected with the line and column of the error",
          "[cli][bad-input]") {
  // The comma after the memory object is missing: the error is on line 4.
  std::string file = write_scenario(
      "{\n  \"name\": \"t\",\n  \"memory\": { \"A\": {} }\n  \"processes\": {}\n}\n");
  Result r = run_mmcheck({"check", file, "--json"});
  require_bad_input(r, file, "", {"JSON", "line 4, column "});
  auto at = r.err.find("line 4, column ");
  REQUIRE(at != std::string::npos);
  int column = std::atoi(r.err.c_str() + at + std::string("line 4, column ").size());
  CHECK(column >= 3);
  CHECK(column <= 14);
}

TEST_CASE("An empty file is rejected as not JSON", "[cli][bad-input]") {
  std::string file = write_scenario("");
  require_bad_input(run_mmcheck({"check", file, "--json"}), file, "", {"JSON"});
}

TEST_CASE("A file holding only a comment is rejected as not JSON", "[cli][bad-input]") {
  std::string file = write_scenario("// nothing here\n");
  require_bad_input(run_mmcheck({"check", file, "--json"}), file, "", {"JSON"});
}

TEST_CASE("A JSON document that is not an object is rejected", "[cli][bad-input]") {
  std::string file = write_scenario("[1, 2]");
  require_bad_input(run_mmcheck({"check", file, "--json"}), file, "", {"object", "array"});
}

TEST_CASE("A missing file is rejected naming the file", "[cli][bad-input]") {
  std::string file = (temp_dir().path() / "no-such-scenario.json").string();
  require_bad_input(run_mmcheck({"check", file, "--json"}), file, "", {"read"});
}

TEST_CASE("A directory given as the scenario file is reported as unreadable, not as bad JSON",
          "[cli][bad-input]") {
  // Was: std::ifstream opens a directory and reads nothing from it, so the error was
  // "not valid JSON (line 1, column 1): ... unexpected end of input".
  std::string dir = temp_dir().fresh("a-directory", "");
  fs::create_directory(dir);
  Result r = run_mmcheck({"check", dir, "--json"});
  require_bad_input(r, dir, "", {"read", "directory"});
  CHECK_THAT(r.err, !Catch::Contains("JSON"));
}

// --- must_reach and expect -------------------------------------------------------------------

TEST_CASE("An unknown must_reach step is rejected and the valid steps are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(kRead, R"(, "must_reach": ["access", "do_wp_page.copyy"])"), "/must_reach/1",
      {"\"do_wp_page.copyy\"", "do_wp_page.copy", "handle_userfault.wait", "fork.copy_pinned"});
}

TEST_CASE("An unknown must_reach step inside a preset's list is rejected", "[cli][bad-input]") {
  expect_bad_scenario(scenario(kRead, R"(, "must_reach": { "latest": ["do_wp"] })"),
                      "/must_reach/latest/0", {"\"do_wp\"", "do_wp_page"});
}

TEST_CASE("An expected violation of an invariant that check does not list is rejected",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(
          kRead,
          R"(, "check": ["no_lost_write"], "expect": { "latest": { "violates": "uffd_wp_sound" } })"),
      "/expect/latest/violates", {"uffd_wp_sound", "no_lost_write"});
}

TEST_CASE("An expected violation of an unknown invariant is rejected and the invariants are listed",
          "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(kRead, R"(, "expect": { "latest": { "violates": "no_lost_writes" } })"),
      "/expect/latest/violates", {"\"no_lost_writes\"", "no_lost_write", "refcounts_sane"});
}

// --- crashes and other bugs found by these tests ---------------------------------------------

TEST_CASE("An address with a page offset too large for a long is rejected, not a crash",
          "[cli][bad-input]") {
  // Was: std::stol on the digits threw std::out_of_range and mmcheck terminated (exit 134).
  expect_bad_scenario(scenario(R"({ "op": "read", "addr": "A+99999999999999999999999" })"),
                      kOpPointer + "/addr", {"A+99999999999999999999999", "outside"});
}

TEST_CASE("An address with the largest long page offset is rejected, not an internal error",
          "[cli][bad-input]") {
  // Was: offset + pages overflowed a long, the range check passed, and Scenario::region_of()
  // later failed an MM_ASSERT (exit 134, "internal error: a page outside every region").
  expect_bad_scenario(scenario(R"({ "op": "read", "addr": "A+9223372036854775807" })"),
                      kOpPointer + "/addr", {"A+9223372036854775807", "outside"});
}

TEST_CASE("A handle name taken by two pins is rejected", "[cli][bad-input]") {
  // Was: accepted; both pins shared one handle slot, the second overwrote the first's handle, and
  // the model then reported refcounts_sane ("refcount 3, mapcount 1 ..., pincount 2, other
  // references 1") for a scenario that only pins a page twice.
  expect_bad_scenario(
      scenario(
          R"({ "op": "pin", "addr": "A", "as": "h" }, { "op": "pin", "addr": "A", "as": "h" })"),
      "/processes/P/threads/cpu0/1/as",
      {"\"h\"", "already taken at /processes/P/threads/cpu0/0/as"});
}

TEST_CASE("A handle name taken in setup and again by a thread is rejected", "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(R"({ "op": "get", "addr": "A", "as": "h" }, { "op": "put", "pin": "h" })",
               R"(, "setup": [ { "thread": "cpu0", "op": "pin", "addr": "A", "as": "h" } ])"),
      "/setup/0/as", {"\"h\"", "already taken at /processes/P/threads/cpu0/0/as"});
}

TEST_CASE("A negative --max-states is bad usage", "[cli][bad-input]") {
  // Was: CLI11 converted "-5" into a huge std::uint64_t, so the bound was silently dropped and
  // the whole search ran (exit 0 on this scenario).
  std::string file = write_scenario(scenario(kRead));
  Result r = run_mmcheck({"check", file, "--json", "--max-states", "-5"});
  INFO(describe(r));
  CHECK(r.status == 2);
  check_no_report(r);
  CHECK_THAT(r.err, Catch::Contains("--max-states"));
}

TEST_CASE("A negative --max-seconds is bad usage", "[cli][bad-input]") {
  // Was: a negative time bound was accepted and ignored.
  std::string file = write_scenario(scenario(kRead));
  Result r = run_mmcheck({"check", file, "--json", "--max-seconds", "-1"});
  INFO(describe(r));
  CHECK(r.status == 2);
  check_no_report(r);
  CHECK_THAT(r.err, Catch::Contains("--max-seconds"));
}

TEST_CASE("A negative --max-depth, --max-memory or --threads is bad usage", "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead));
  for (const std::string option : {"--max-depth", "--max-memory", "--threads"}) {
    Result r = run_mmcheck({"check", file, "--json", option, "-2"});
    INFO(describe(r));
    CHECK(r.status == 2);
    check_no_report(r);
    CHECK_THAT(r.err, Catch::Contains(option));
  }
  Result s = run_mmcheck({"suite", file, "--json", "--threads", "-2"});
  INFO(describe(s));
  CHECK(s.status == 2);
  check_no_report(s);
  CHECK_THAT(s.err, Catch::Contains("--threads"));
}

TEST_CASE("A non-numeric --max-states or --threads is bad usage", "[cli][bad-input]") {
  std::string file = write_scenario(scenario(kRead));
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--max-states", "abc"}, {"--threads", "-1"}}) {
    std::vector<std::string> all = {"check", file, "--json"};
    all.insert(all.end(), args.begin(), args.end());
    Result r = run_mmcheck(all);
    INFO(describe(r));
    CHECK(r.status == 2);
    check_no_report(r);
    CHECK_THAT(r.err, Catch::Contains(args[0]));
  }
}

TEST_CASE("An unwritable --trace path is bad usage and prints no report", "[cli][bad-input]") {
  // The the README's "Scenario files" example on linux-5.10: a violation, so a trace would be
  // written.
  std::string file = write_scenario(kSpecExample);
  std::string trace = (temp_dir().path() / "no-such-dir" / "trace.json").string();
  Result r = run_mmcheck({"check", file, "--json", "--kernel", "linux-5.10", "--trace", trace});
  INFO(describe(r));
  CHECK(r.status == 2);
  check_no_report(r);
  CHECK_THAT(r.err, Catch::Contains("--trace"));
  CHECK_THAT(r.err, Catch::Contains(trace));
}

TEST_CASE("check without a file and list with an unknown subject are bad usage",
          "[cli][bad-input]") {
  Result r = run_mmcheck({"check"});
  INFO(describe(r));
  CHECK(r.status == 2);
  check_no_report(r);
  Result l = run_mmcheck({"list", "kernels"});
  INFO(describe(l));
  CHECK(l.status == 2);
  CHECK_THAT(l.err, Catch::Contains("presets"));
}

// --- file order ----------------------------------------------------------------------------

// Regions, processes and threads keep the order of the file (JSON objects are unordered, and a
// std::map-backed parser would sort them): the lists in errors and the CPUs of a counterexample
// come in the order the scenario declares them.
TEST_CASE("Regions are listed in file order", "[cli][bad-input]") {
  expect_bad_scenario(
      scenario(R"({ "op": "read", "addr": "B" })", "", R"({ "Z": {}, "A": { "words": 2 } })"),
      kOpPointer + "/addr", {"\"B\"", "regions: Z, A"});
}

TEST_CASE("Processes and threads are listed in file order", "[cli][bad-input]") {
  std::string text = R"({ "name": "order", "memory": { "A": {} },
    "processes": { "Q": { "threads": { "zeta": [ { "op": "fork", "child": "X" } ] } },
                   "P": { "threads": { "beta": [], "alpha": [] } } },
    "setup": [ { "thread": "omega", "op": "read", "addr": "A" } ] })";
  expect_bad_scenario(text, "/setup/0/thread", {"\"omega\"", "threads: zeta, beta, alpha"});
  std::string no_setup = text.substr(0, text.find(",\n    \"setup\"")) + " }";
  expect_bad_scenario(no_setup, "/processes/Q/threads/zeta/0/child", {"\"X\"", "declared: Q, P"});
}

TEST_CASE("A counterexample shows the CPUs in file order", "[cli][bad-input]") {
  // The README's example with its CPUs renamed so that file order is not alphabetical order.
  std::string text = kSpecExample;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"cpu0", "zeta"}, {"cpu1", "alpha"}, {"cpu2", "mid"}}) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at))
      text.replace(at, from.size(), to);
  }
  std::string file = write_scenario(text);
  Result r = run_mmcheck({"check", file, "--kernel", "linux-5.10"});
  INFO(describe(r));
  REQUIRE(r.status == 10);
  auto header = r.out.find("  #  ");
  REQUIRE(header != std::string::npos);
  std::string line = r.out.substr(header, r.out.find('\n', header) - header);
  INFO(line);
  auto zeta = line.find("zeta"), alpha = line.find("alpha"), mid = line.find("mid");
  REQUIRE(zeta != std::string::npos);
  REQUIRE(alpha != std::string::npos);
  REQUIRE(mid != std::string::npos);
  CHECK(zeta < alpha);
  CHECK(alpha < mid);
}

TEST_CASE("A suite directory that cannot be walked is bad input with its path, never an abort",
          "[cli][bad-input]") {
  // A symlink loop made std::filesystem throw out of main (std::terminate, status 134).
  std::filesystem::path dir = temp_dir().path() / "loop";
  std::filesystem::create_directories(dir);
  std::filesystem::create_symlink(dir / "a", dir / "b");
  std::filesystem::create_symlink(dir / "b", dir / "a");
  for (bool json : {false, true}) {
    std::vector<std::string> args = {"suite", dir.string()};
    if (json) args.push_back("--json");
    Result r = run_mmcheck(args);
    INFO(describe(r));
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains(dir.string()));
    check_no_report(r);
  }
}

}  // namespace
}  // namespace mmcheck::clitest
