// The exit statuses of `mmcheck check` (the README's "Using it") on tiny scenarios, read together
// with the --json report: 0 holds, 1 a must_reach step not reached, 3 unsupported, 10 violation, 11
// deadlock, 12 incomplete. Every trace written is validated against
// tools/schema/mmcheck-trace-1.schema.json and every report against mmcheck-report-1.schema.json.
#include <iostream>

#include "tests/cli/cli_support.hpp"
#include "tools/cli/commands.hpp"

namespace mmcheck::clitest {
namespace {

// One thread populating and overwriting a page: holds everywhere.
const std::string kHolds = R"({
  "name": "single-writer",
  "memory": { "A": { "words": 2 } },
  "processes": { "P": { "threads": { "cpu0": [
    { "op": "write", "addr": "A", "value": 1 },
    { "op": "read", "addr": "A" },
    { "op": "write", "addr": "A", "word": 1, "value": 2 } ] } } },
  "check": "all"
})";

// A store to a page write-protected (uffd-wp) in setup that nobody unprotects: the writer waits
// in handle_userfault forever.
const std::string kDeadlock = R"({
  "name": "uffd-wp-never-unprotected",
  "memory": { "A": { "uffd_wp": true } },
  "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A", "value": 2 } ] } } },
  "setup": [ { "thread": "cpu0", "op": "write", "addr": "A", "value": 1 },
             { "thread": "cpu0", "op": "uffd_wp", "addr": "A" } ],
  "check": ["no_deadlock"]
})";

std::string sha256_of(const std::string& file) {
  Result r = run_shell("sha256sum " + shell_quote(file));
  REQUIRE(r.status == 0);
  return r.out.substr(0, 64);
}

// The trace agrees with the report it came with.
void check_trace_matches(const std::string& trace_path, const json& report,
                         const std::string& file) {
  validate_trace(trace_path);
  json trace = parse_json(read_file(trace_path), "the trace");
  CHECK(trace["format"] == "mmcheck-trace/1");
  // The trace's scenario says more (its meaning hash, where it is, its text): the report's part
  // is the same.
  for (const char* key : {"name", "file", "sha256"})
    CHECK(trace["scenario"][key] == report["scenario"][key]);
  CHECK(trace["scenario"]["source"] == read_file(file));
  CHECK(trace["scenario"]["file"] == file);
  CHECK(trace["scenario"]["sha256"] == sha256_of(file));
  CHECK(trace["kernel"] == report["kernel"]);
  CHECK(trace["policy"] == report["policy"]);
  CHECK(trace["verdict"] == report["verdict"]);
  CHECK(trace["invariant"] == report["invariant"]);
  CHECK(trace["message"] == report["message"]);
  CHECK(trace["steps"] == report["steps"]);
  CHECK(trace["stats"]["states"] == report["stats"]["states"]);
  CHECK(trace["stats"]["transitions"] == report["stats"]["transitions"]);
  CHECK(trace["stats"]["depth"] == report["stats"]["depth"]);
}

TEST_CASE("check exits 0 when every invariant holds", "[cli][exit-status]") {
  std::string file = write_scenario(kHolds);
  std::string trace = temp_dir().fresh("trace", ".json");
  Check c = check_json(file, {"--trace", trace});
  INFO(describe(c.result));
  CHECK(c.result.status == 0);
  CHECK(c.report["verdict"] == "holds");
  CHECK(c.report["exit_code"] == 0);
  CHECK(c.report["kernel"] == "latest");  // the default preset
  CHECK(c.report["checks"] == json(kInvariants));
  CHECK(c.report["stats"]["states"].get<std::uint64_t>() > 1);
  CHECK_FALSE(c.report.contains("steps"));
  // No counterexample, so no trace file; a note says so.
  CHECK_FALSE(fs::exists(trace));
  CHECK_THAT(c.result.err, Catch::Contains(trace));
}

TEST_CASE("check exits 10 on a violation and writes a schema-valid trace",
          "[cli][exit-status][trace]") {
  std::string file = write_scenario(kSpecExample);
  std::string trace = temp_dir().fresh("trace", ".json");
  Check c = check_json(file, {"--trace", trace});
  INFO(describe(c.result));
  CHECK(c.result.status == 10);
  CHECK(c.report["exit_code"] == 10);
  CHECK(c.report["verdict"] == "violation");
  CHECK(c.report["invariant"] == "no_lost_write");
  CHECK(c.report["kernel"] == "linux-5.10");  // the scenario's "kernel"
  REQUIRE(c.report.contains("steps"));
  CHECK(!c.report["steps"].empty());
  check_trace_matches(trace, c.report, file);
}

TEST_CASE("The README's example holds on the kernels that fixed the race and with the fix as --set",
          "[cli][exit-status]") {
  std::string file = write_scenario(kSpecExample);
  for (const std::string kernel : {"linux-5.8", "linux-5.12"}) {
    Check c = check_json(file, {"--kernel", kernel});
    INFO(kernel << "\n" << describe(c.result));
    CHECK(c.result.status == 0);
    CHECK(c.report["verdict"] == "holds");
    CHECK(c.report["kernel"] == kernel);
  }
  // 6ce64428d620 (5.12) applied to 5.10 as a policy override.
  Check c = check_json(file, {"--set", "uffd_wp_pending_flush=true"});
  INFO(describe(c.result));
  CHECK(c.result.status == 0);
  CHECK(c.report["kernel"] == "linux-5.10");
  CHECK(c.report["policy"]["uffd_wp_pending_flush"] == "true");
  CHECK(c.report["policy"]["cow_reuse"] == "refcount");
}

TEST_CASE("check exits 11 on a deadlock and writes a schema-valid trace",
          "[cli][exit-status][trace]") {
  std::string file = write_scenario(kDeadlock);
  std::string trace = temp_dir().fresh("trace", ".json");
  Check c = check_json(file, {"--trace", trace});
  INFO(describe(c.result));
  CHECK(c.result.status == 11);
  CHECK(c.report["exit_code"] == 11);
  CHECK(c.report["verdict"] == "deadlock");
  CHECK(c.report["invariant"] == "no_deadlock");
  REQUIRE(c.report.contains("steps"));
  REQUIRE(!c.report["steps"].empty());
  CHECK(c.report["steps"].back()["step"] == "handle_userfault.wait");
  check_trace_matches(trace, c.report, file);
}

TEST_CASE("check exits 12 when --max-states stops the search early", "[cli][exit-status]") {
  std::string file = write_scenario(kSpecExample);
  // The full search on linux-5.12 holds after a few hundred states.
  Check full = check_json(file, {"--kernel", "linux-5.12"});
  REQUIRE(full.result.status == 0);
  REQUIRE(full.report["stats"]["states"].get<std::uint64_t>() > 50);
  std::string trace = temp_dir().fresh("trace", ".json");
  Check c = check_json(file, {"--kernel", "linux-5.12", "--max-states", "5", "--trace", trace});
  INFO(describe(c.result));
  CHECK(c.result.status == 12);
  CHECK(c.report["exit_code"] == 12);
  CHECK(c.report["verdict"] == "incomplete");
  CHECK(c.report.contains("incomplete_reason"));
  CHECK(c.report["stats"]["states"].get<std::uint64_t>() <
        full.report["stats"]["states"].get<std::uint64_t>());
  CHECK_FALSE(fs::exists(trace));
}

TEST_CASE("check exits 3 when the kernel lacks uffd-wp", "[cli][exit-status]") {
  std::string file = write_scenario(kSpecExample);
  std::string trace = temp_dir().fresh("trace", ".json");
  Check c = check_json(file, {"--kernel", "linux-5.4", "--trace", trace});
  INFO(describe(c.result));
  CHECK(c.result.status == 3);
  CHECK(c.report["exit_code"] == 3);
  CHECK(c.report["verdict"] == "unsupported");
  CHECK(c.report["kernel"] == "linux-5.4");
  CHECK(c.report.contains("unsupported_reason"));
  CHECK_FALSE(c.report.contains("stats"));  // nothing explored
  CHECK_FALSE(fs::exists(trace));
}

TEST_CASE("check exits 3 for a uffd_wp op alone on linux-5.4 and through --set uffd_wp=none",
          "[cli][exit-status]") {
  std::string file = write_scenario(R"({ "name": "uffd-op",
    "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [
      { "op": "uffd_register", "addr": "A" }, { "op": "uffd_wp", "addr": "A" }, { "op": "uffd_unwp", "addr": "A" } ] } } } })");
  Check on_54 = check_json(file, {"--kernel", "linux-5.4"});
  INFO(describe(on_54.result));
  CHECK(on_54.result.status == 3);
  CHECK(on_54.report["verdict"] == "unsupported");
  Check none = check_json(file, {"--set", "uffd_wp=none"});
  INFO(describe(none.result));
  CHECK(none.result.status == 3);
  Check latest = check_json(file);
  INFO(describe(latest.result));
  CHECK(latest.result.status == 0);
}

TEST_CASE("check exits 3 for uffd-wp on shmem before linux-5.19", "[cli][exit-status]") {
  std::string file = write_scenario(R"({ "name": "uffd-shmem",
    "memory": { "S": { "type": "shmem", "uffd_wp": true } },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "S" } ] } } } })");
  Check old = check_json(file, {"--kernel", "linux-5.18"});
  INFO(describe(old.result));
  CHECK(old.result.status == 3);
  CHECK(old.report["verdict"] == "unsupported");
  Check recent = check_json(file, {"--kernel", "linux-5.19"});
  INFO(describe(recent.result));
  CHECK(recent.result.status == 0);
}

TEST_CASE("check exits 1 when a must_reach step is never reached although the verdict holds",
          "[cli][exit-status]") {
  // A single writer never copies on write.
  std::string file = write_scenario(R"({ "name": "no-cow",
    "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ] } } },
    "must_reach": ["do_anonymous_page", "do_wp_page.copy"] })");
  Check c = check_json(file);
  INFO(describe(c.result));
  CHECK(c.result.status == 1);
  CHECK(c.report["exit_code"] == 1);
  CHECK(c.report["verdict"] == "holds");
  CHECK(c.report["must_reach"] == json::parse(R"([{"step": "do_anonymous_page", "reached": true},
                                                  {"step": "do_wp_page.copy", "reached": false}])"));
}

TEST_CASE("check exits 0 when every must_reach step is reached", "[cli][exit-status]") {
  std::string file = write_scenario(R"({ "name": "anon-fault",
    "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ] } } },
    "must_reach": ["do_anonymous_page.map", "access"] })");
  Check c = check_json(file);
  INFO(describe(c.result));
  CHECK(c.result.status == 0);
  for (const auto& entry : c.report["must_reach"]) CHECK(entry["reached"] == true);
}

TEST_CASE("A must_reach object applies the list of the kernel checked", "[cli][exit-status]") {
  std::string file = write_scenario(R"({ "name": "per-preset",
    "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A", "value": 1 } ] } } },
    "must_reach": { "linux-5.10": ["do_wp_page.copy"], "latest": ["do_anonymous_page.map"] } })");
  Check latest = check_json(file);
  INFO(describe(latest.result));
  CHECK(latest.result.status == 0);
  CHECK(latest.report["must_reach"].size() == 1);
  Check old = check_json(file, {"--kernel", "linux-5.10"});
  INFO(describe(old.result));
  CHECK(old.result.status == 1);
  Check unlisted =
      check_json(file, {"--kernel", "linux-6.0"});  // no list for 6.0: nothing required
  INFO(describe(unlisted.result));
  CHECK(unlisted.result.status == 0);
  CHECK(unlisted.report["must_reach"].empty());
}

TEST_CASE("The human-readable check prints the same exit status as --json", "[cli][exit-status]") {
  for (const std::string& text : {kHolds, kSpecExample, kDeadlock}) {
    std::string file = write_scenario(text);
    Check c = check_json(file);
    Result plain = run_mmcheck({"check", file});
    INFO(describe(plain));
    CHECK(plain.status == c.result.status);
    CHECK(!plain.out.empty());
  }
}

TEST_CASE("A setup op that blocks exits 2 with its message on a terminal too",
          "[cli][exit-status]") {
  // On a terminal the progress thread runs; the loader's error used to leave it unjoined
  // (std::terminate, status 134). script(1) gives the command a pseudo-terminal.
  REQUIRE(std::system("command -v script >/dev/null") == 0);
  std::string file = write_scenario(R"({"name": "blocked", "memory": {"A": {"uffd_wp": true}},
    "processes": {"P": {"threads": {"cpu0": [{"op": "read", "addr": "A"}]}}},
    "setup": [{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
              {"thread": "cpu0", "op": "uffd_wp", "addr": "A"},
              {"thread": "cpu0", "op": "write", "addr": "A", "value": 2}]})",
                                    "blocked-setup");
  for (const std::string extra : {"", " --quiet"}) {
    Result r = run_shell("script -qec " +
                         shell_quote(shell_quote(kBinary) + " check " + shell_quote(file) + extra) +
                         " /dev/null");
    INFO(describe(r));
    CHECK(r.status == 2);
    CHECK_THAT(r.out, Catch::Contains("/setup/2") && Catch::Contains("cannot complete"));
    CHECK_THAT(r.out, !Catch::Contains("terminate"));
  }
  Result plain = run_mmcheck({"check", file});
  INFO(describe(plain));
  CHECK(plain.status == 2);
  CHECK_THAT(plain.err, Catch::Contains("cannot complete"));
}

TEST_CASE("A search that runs out of memory ends incomplete with its counts, not as a bug",
          "[cli][exit-status][limits]") {
  if (sanitized_binary()) {
    // tools/test.sh runs the [limits] tests against the release build's mmcheck.
    std::cout << "MMCHECK-SKIPPED: a sanitizer build cannot run under ulimit -v; set "
                 "MMCHECK_TEST_BINARY to a release mmcheck\n";
    return;
  }
  // Under ulimit -v the store's mmap and the vectors fail: std::bad_alloc used to end the run as
  // "internal error ... a bug in mmcheck" (abort). A scenario far bigger than 600 MB of states.
  std::string dir = temp_dir().fresh("family", "");
  Result gen = run_shell(kPython + " " + shell_quote(kSourceDir + "/tools/bench/family.py") +
                         " --out " + shell_quote(dir) + " -N 4 -K 2 -P 2");
  REQUIRE(gen.status == 0);
  std::string file = dir + "/fam-N4-K2-P2.json";
  Result r = run_shell("ulimit -v 600000; " + shell_quote(kBinary) + " check " + shell_quote(file) +
                       " --threads 1 --json");
  INFO(describe(r));
  REQUIRE(r.status == 12);
  json report = parse_json(r.out, "report");
  CHECK(report["verdict"] == "incomplete");
  CHECK(report["incomplete_reason"] == "out-of-memory");
  CHECK(report["stats"]["states"].get<std::uint64_t>() > 0);
  CHECK_THAT(r.err, !Catch::Contains("bug in mmcheck"));
}

TEST_CASE("suite exits 70 when any run met a nondeterministic model, whatever matched",
          "[cli][exit-status]") {
  // No scenario file makes the VM model nondeterministic, so the rule is checked on its own.
  CHECK(mmcheck::cli::suite_exit_status({0, 10, 3}, 0) == 0);
  CHECK(mmcheck::cli::suite_exit_status({0, 10, 3}, 2) == 1);
  CHECK(mmcheck::cli::suite_exit_status({0, 70, 10}, 0) == 70);
  CHECK(mmcheck::cli::suite_exit_status({70}, 1) == 70);
}

}  // namespace
}  // namespace mmcheck::clitest
