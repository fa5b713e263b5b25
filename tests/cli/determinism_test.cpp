// Determinism through the command line (the README's "Using it"): the verdict, the counts, the
// coverage and the counterexample do not depend on the number of worker threads. The --json
// reports of --threads 1 and --threads 2 are byte-identical except the timing and memory
// figures ("seconds", "states_per_second", "peak_rss_bytes", "store_bytes", "bytes_per_state",
// "frontier_bytes") and "threads" itself; so are the traces.
#include <set>

#include "tests/cli/cli_support.hpp"

namespace mmcheck::clitest {
namespace {

// Four CPUs: a write-protect and an un-protect defer their flushes while a write fault copies
// the page and a fourth CPU stores through a stale writable TLB entry. Some 18,000 states on
// linux-5.10 (a violation), some 21,000 on linux-5.12 (holds).
const std::string kFourCpus = R"({
  "name": "uffd-wp-protect-unprotect-cow-stale-tlb",
  "kernel": "linux-5.10",
  "memory": { "A": { "type": "anon", "pages": 1, "words": 2, "prot": "rw", "uffd_wp": true } },
  "processes": { "P": { "threads": {
    "cpu0": [ { "op": "uffd_wp", "addr": "A" }, { "op": "uffd_unwp", "addr": "A" } ],
    "cpu1": [ { "op": "uffd_unwp", "addr": "A" } ],
    "cpu2": [ { "op": "write", "addr": "A", "word": 0, "value": 2 } ],
    "cpu3": [ { "op": "write", "addr": "A", "word": 1, "value": 3 } ] } } },
  "setup": [
    { "thread": "cpu3", "op": "write", "addr": "A", "word": 1, "value": 1 },
    { "thread": "cpu0", "op": "extra_ref", "addr": "A", "kind": "io" } ],
  "check": ["no_lost_write"],
  "must_reach": ["do_wp_page"]
})";

const std::set<std::string> kVarying = {"seconds",     "states_per_second", "peak_rss_bytes",
                                        "store_bytes", "bytes_per_state",   "frontier_bytes",
                                        "threads"};

// The output with every line holding one of the varying members removed. The JSON is printed
// one member per line, so what remains must match byte for byte.
std::string without_varying_lines(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    bool varying = false;
    for (const auto& key : kVarying)
      if (line.find("\"" + key + "\":") != std::string::npos) varying = true;
    if (!varying) out += line + "\n";
  }
  return out;
}

// The same on the parsed document: the varying members of "stats" erased.
json without_varying_stats(json j) {
  if (j.contains("stats"))
    for (const auto& key : kVarying) j["stats"].erase(key);
  return j;
}

void require_same_across_threads(const std::string& scenario_text, const std::string& kernel,
                                 int expected_status) {
  std::string file = write_scenario(scenario_text, "determinism");
  std::vector<std::string> outputs, traces;
  std::vector<json> reports;
  for (const std::string threads : {"1", "2"}) {
    std::string trace = temp_dir().fresh("trace-threads" + threads, ".json");
    Check c = check_json(file, {"--kernel", kernel, "--threads", threads, "--trace", trace});
    INFO("--threads " << threads << "\n" << describe(c.result));
    REQUIRE(c.result.status == expected_status);
    CHECK(c.report["stats"]["threads"] == std::stoi(threads));
    outputs.push_back(c.result.out);
    reports.push_back(c.report);
    if (fs::exists(trace)) {
      validate_trace(trace);
      traces.push_back(read_file(trace));
    }
  }
  CHECK(without_varying_stats(reports[0]) == without_varying_stats(reports[1]));
  CHECK(without_varying_lines(outputs[0]) == without_varying_lines(outputs[1]));
  if (expected_status == 10 || expected_status == 11) {
    REQUIRE(traces.size() == 2);
    CHECK(without_varying_lines(traces[0]) == without_varying_lines(traces[1]));
    CHECK(without_varying_stats(parse_json(traces[0], "trace 1")) ==
          without_varying_stats(parse_json(traces[1], "trace 2")));
  } else {
    CHECK(traces.empty());
  }
}

TEST_CASE("A violation's report and trace are the same with one and two worker threads",
          "[cli][determinism]") {
  require_same_across_threads(kFourCpus, "linux-5.10", 10);
}

TEST_CASE("A passing report is the same with one and two worker threads", "[cli][determinism]") {
  require_same_across_threads(kFourCpus, "linux-5.12", 0);
}

TEST_CASE("A deadlock's report and trace are the same with one and two worker threads",
          "[cli][determinism]") {
  // Two writers and an unprotect that only one of them may wait for: the search must find the
  // same shortest deadlock whatever the thread count.
  require_same_across_threads(kTwoWritersDeadlock, "latest", 11);
}

TEST_CASE("The varying fields are the only ones that differ between repeated runs",
          "[cli][determinism]") {
  // Two runs with the same thread count: a sanity check of the filter itself.
  std::string file = write_scenario(kFourCpus, "determinism");
  Check a = check_json(file, {"--threads", "2"});
  Check b = check_json(file, {"--threads", "2"});
  REQUIRE(a.result.status == 10);
  REQUIRE(b.result.status == 10);
  CHECK(without_varying_lines(a.result.out) == without_varying_lines(b.result.out));
  CHECK_THAT(without_varying_lines(a.result.out), Catch::Contains("\"states\":"));
  CHECK_THAT(without_varying_lines(a.result.out), Catch::Contains("\"coverage\":"));
}

}  // namespace
}  // namespace mmcheck::clitest
