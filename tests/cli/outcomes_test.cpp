// A scenario's "outcomes" (issue 15, vacuity): the values observed reads and pin_reads return,
// counted over the distinct final states of a complete search, as herd7 lists a litmus test's
// final states; and the warnings for an op that never completes normally. Read from --json.
#include "tests/cli/cli_support.hpp"

using namespace mmcheck::clitest;

namespace {

// cpu0 stores 1 while cpu1 loads twice: coherence allows (0,0), (0,1) and (1,1), never (1,0).
const std::string kTwoLoads = R"({
  "name": "two-loads",
  "memory": { "A": { "type": "anon", "pages": 1 } },
  "processes": { "P": { "threads": {
    "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ],
    "cpu1": [ { "op": "read", "addr": "A" }, { "op": "read", "addr": "A" } ] } } },
  "outcomes": ["cpu1.1", "cpu1.2"],
  "check": ["refcounts_sane"]
})";

// The combinations of a report, as "v1,v2" (- for none) -> final states.
std::map<std::string, std::uint64_t> combinations(const json& report) {
  std::map<std::string, std::uint64_t> out;
  for (const json& c : report["outcomes"]["counts"]) {
    std::string key;
    for (const json& o : report["outcomes"]["observed"]) {
      const json& v = c["values"][o["op"].get<std::string>()];
      key += (key.empty() ? "" : ",") +
             (v.is_null() ? std::string("-") : std::to_string(v.get<int>()));
    }
    out[key] = c["final_states"].get<std::uint64_t>();
  }
  return out;
}

std::string with_outcomes(const std::string& file, const std::string& outcomes) {
  std::string text = read_file(file);
  auto at = text.find("\"check\"");
  REQUIRE(at != std::string::npos);
  return text.substr(0, at) + "\"outcomes\": " + outcomes + ",\n  " + text.substr(at);
}

}  // namespace

TEST_CASE("outcomes: the combinations of returned values over the final states, never (1,0)",
          "[outcomes]") {
  std::string file = write_scenario(kTwoLoads, "two-loads");
  Check c = check_json(file, {"--kernel", "linux-6.1"});
  CHECK(c.result.status == 0);
  REQUIRE(c.report.contains("outcomes"));
  CHECK(c.report["outcomes"]["counted"] == true);
  CHECK(c.report["outcomes"]["observed"][0]["op"] == "cpu1.1");
  CHECK(c.report["outcomes"]["observed"][1]["text"] == "read A");
  auto combos = combinations(c.report);
  CHECK(combos.count("0,0") == 1);
  CHECK(combos.count("0,1") == 1);
  CHECK(combos.count("1,1") == 1);
  CHECK(combos.count("1,0") == 0);  // a later load never sees an older value
  std::uint64_t total = 0;
  for (const auto& [k, n] : combos) total += n;
  CHECK(c.report["outcomes"]["final_states"] == total);

  // The same counts at 1 and 2 threads, with and without partial-order reduction (which keeps
  // every terminal state).
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--threads", "1"}, std::vector<std::string>{"--por", "off"},
        std::vector<std::string>{"--threads", "2", "--por", "off"}}) {
    std::vector<std::string> args = {"--kernel", "linux-6.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    Check d = check_json(file, args);
    CHECK(combinations(d.report) == combos);
  }

  Result text = run_mmcheck({"check", file, "--kernel", "linux-6.1"});
  CHECK_THAT(text.out,
             Catch::Contains("outcomes (cpu1.1 = read A, cpu1.2 = read A): 3 combinations"));
  CHECK_THAT(text.out, Catch::Contains("cpu1.1=0 cpu1.2=1"));
}

TEST_CASE("outcomes of the vmsplice race: the parent's pipe reads its own 1 once fixed",
          "[outcomes]") {
  std::string file = write_scenario(
      with_outcomes(kSourceDir + "/scenarios/vmsplice-after-fork-parent-unmap-wrong-way-cow.json",
                    "[\"cpu0.3\"]"),
      "vmsplice-outcomes");
  Check fixed = check_json(file, {"--kernel", "linux-5.8"});
  CHECK(fixed.result.status == 0);
  auto combos = combinations(fixed.report);
  REQUIRE(combos.size() == 1);
  CHECK(combos.count("1") == 1);  // never the child's 2
  // A violation stops the search: the outcomes are not counted, and the report says so.
  Check broken = check_json(file, {"--kernel", "linux-5.7"});
  CHECK(broken.result.status == 10);
  CHECK(broken.report["outcomes"]["counted"] == false);
  CHECK(broken.report["outcomes"]["final_states"].is_null());
  CHECK(broken.report["outcomes"]["counts"].empty());
  // The outcomes are part of the scenario's meaning: a trace records another hash.
  Check plain =
      check_json(kSourceDir + "/scenarios/vmsplice-after-fork-parent-unmap-wrong-way-cow.json",
                 {"--kernel", "linux-5.8"});
  CHECK_FALSE(plain.report.contains("outcomes"));
}

TEST_CASE("outcomes under --symmetry: observed threads are not swapped", "[outcomes]") {
  // Two identical readers; observing one of them keeps it out of the symmetry group.
  std::string file = write_scenario(R"({
    "name": "sym",
    "memory": { "A": { "type": "anon", "pages": 1 } },
    "processes": { "P": { "threads": {
      "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ],
      "cpu1": [ { "op": "read", "addr": "A" } ],
      "cpu2": [ { "op": "read", "addr": "A" } ] } } },
    "outcomes": ["cpu1.1"],
    "check": ["refcounts_sane"]
  })",
                                    "sym");
  auto plain = combinations(check_json(file, {"--kernel", "linux-6.1"}).report);
  auto sym = combinations(check_json(file, {"--kernel", "linux-6.1", "--symmetry"}).report);
  CHECK(plain == sym);
  CHECK(plain.count("0") == 1);
  CHECK(plain.count("1") == 1);
}

TEST_CASE("outcomes: bad entries are located input errors", "[outcomes][bad-input]") {
  auto scenario = [](const std::string& outcomes) {
    std::string text = kTwoLoads;
    text.replace(text.find("[\"cpu1.1\", \"cpu1.2\"]"), 20, outcomes);
    return text;
  };
  expect_bad_scenario(scenario("[\"cpu3.1\"]"), "/outcomes/0",
                      {"unknown thread \"cpu3\"", "threads: cpu0, cpu1"});
  expect_bad_scenario(scenario("[\"cpu.1\"]"), "/outcomes/0", {"did you mean \"cpu0\"?"});
  expect_bad_scenario(scenario("[\"cpu1.3\"]"), "/outcomes/0", {"N from 1 to 2"});
  expect_bad_scenario(scenario("[\"cpu1\"]"), "/outcomes/0", {"expected \"cpu1.N\" with N"});
  expect_bad_scenario(scenario("[\"nothread\"]"), "/outcomes/0", {"expected \"THREAD.N\""});
  expect_bad_scenario(scenario("[\"cpu0.1\"]"), "/outcomes/0",
                      {"write A=1", "outcomes observe what a read or a pin_read returns"});
  expect_bad_scenario(scenario("[\"cpu1.1\", \"cpu1.1\"]"), "/outcomes/1", {"listed twice"});
  expect_bad_scenario(scenario("{\"cpu1.1\": 1}"), "/outcomes", {"expected"});
  std::string three = kTwoLoads;
  three.replace(three.find("{ \"op\": \"read\", \"addr\": \"A\" }, { \"op\""), 0,
                "{ \"op\": \"read\", \"addr\": \"A\" }, ");
  three.replace(three.find("[\"cpu1.1\", \"cpu1.2\"]"), 20, "[\"cpu1.1\", \"cpu1.2\", \"cpu1.3\"]");
  expect_bad_scenario(three, "/outcomes/2", {"at most two outcomes in one thread"});
  std::string big = kTwoLoads;
  big.replace(big.find("\"value\": 1"), 10, "\"value\": 255");
  expect_bad_scenario(big, "/outcomes", {"stores values from 0 to 254"});
}

TEST_CASE("warnings: an op that ends in SIGSEGV, or never runs, in every interleaving",
          "[outcomes][warnings]") {
  std::string segv = write_scenario(R"({
    "name": "store-to-read-only",
    "memory": { "A": { "type": "anon", "pages": 1, "prot": "r" } },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ] } } },
    "check": ["refcounts_sane"]
  })",
                                    "segv");
  Check c = check_json(segv, {"--kernel", "linux-6.1"});
  CHECK(c.result.status == 0);
  std::string warnings = c.report["warnings"].dump();
  CHECK_THAT(warnings, Catch::Contains("cpu0.1 (write A=1) ends in SIGSEGV in every interleaving"));

  std::string library = kSourceDir + "/scenarios/uffdio-continue-minor-shmem.json";
  Check l = check_json(library, {"--kernel", "linux-6.1"});
  CHECK_THAT(
      l.report["warnings"].dump(),
      Catch::Contains("cpu0.2 (uffdio_continue A) fails (its error return) in every interleaving"));
  // The first UFFDIO_CONTINUE succeeds somewhere: no warning names it.
  CHECK_THAT(l.report["warnings"].dump(), !Catch::Contains("cpu0.1 "));

  // A read that waits for a UFFDIO_COPY nobody issues: it never completes, the store after it
  // never runs (no_deadlock is not checked, so the search holds).
  std::string blocked = write_scenario(R"({
    "name": "blocked",
    "memory": { "A": { "type": "anon", "pages": 1 } },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "read", "addr": "A" },
                                                 { "op": "write", "addr": "A", "value": 1 } ] } } },
    "setup": [ { "thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "missing" } ],
    "check": ["refcounts_sane"]
  })",
                                       "blocked");
  Check b = check_json(blocked, {"--kernel", "linux-6.1"});
  CHECK(b.result.status == 0);
  std::string bw = b.report["warnings"].dump();
  CHECK_THAT(bw,
             Catch::Contains("cpu0.1 (read A) never completes: it blocks in every interleaving"));
  CHECK_THAT(bw, Catch::Contains("cpu0.2 (write A=1) never runs: cpu0 never gets that far"));
  // A search stopped by a violation says nothing of the ops: it did not see every interleaving.
  Check v = check_json(kSourceDir + "/scenarios/uffd-wp-unprotect-cow-stale-tlb.json",
                       {"--kernel", "linux-5.10"});
  CHECK(v.result.status == 10);
  CHECK_THAT(v.report["warnings"].dump(), !Catch::Contains("every interleaving"));
}
