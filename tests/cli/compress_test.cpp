// `check --compress`, the compressed exact store (checker/tree_store.hpp), through the command
// line: its report and trace are the exact store's but for the store's name and memory figures,
// with one and two threads, for a violation, a pass and a deadlock; it refuses the options it
// cannot serve (--fingerprint, --checkpoint, --resume) as bad input.
#include "tests/cli/cli_support.hpp"

namespace mmcheck::clitest {
namespace {

// The memory and timing figures, and the store's name, are all that may differ.
json without_store_figures(json j) {
  for (const char* key : {"seconds", "states_per_second", "peak_rss_bytes", "store_bytes",
                          "bytes_per_state", "store", "frontier_bytes", "threads"})
    j["stats"].erase(key);
  return j;
}

void require_same_as_exact(const std::string& file, const std::string& kernel, int status) {
  for (const std::string threads : {"1", "2"}) {
    INFO("--threads " << threads << ", --kernel " << kernel);
    std::string exact_trace = temp_dir().fresh("exact-trace", ".json");
    std::string packed_trace = temp_dir().fresh("packed-trace", ".json");
    Check exact =
        check_json(file, {"--kernel", kernel, "--threads", threads, "--trace", exact_trace});
    Check packed = check_json(
        file, {"--kernel", kernel, "--threads", threads, "--trace", packed_trace, "--compress"});
    REQUIRE(exact.result.status == status);
    CHECK(packed.result.status == status);
    CHECK(exact.report["stats"]["store"] == "exact");
    CHECK(packed.report["stats"]["store"] == "compressed");
    CHECK(packed.report["stats"]["bytes_per_state"].get<double>() <
          exact.report["stats"]["bytes_per_state"].get<double>());
    CHECK(without_store_figures(packed.report) == without_store_figures(exact.report));
    if (status == 10 || status == 11) {
      validate_trace(packed_trace);
      json a = parse_json(read_file(exact_trace), "the exact store's trace");
      json b = parse_json(read_file(packed_trace), "the compressed store's trace");
      CHECK(without_store_figures(b) == without_store_figures(a));
    }
  }
}

TEST_CASE("check --compress gives the exact store's report and trace", "[cli][compress]") {
  const std::string& race = kUffdScenario;
  require_same_as_exact(race, "linux-5.10", 10);
  require_same_as_exact(race, "linux-5.12", 0);
  std::string deadlock = write_scenario(kTwoWritersDeadlock, "compress-deadlock");
  require_same_as_exact(deadlock, "latest", 11);
}

TEST_CASE("check --compress refuses the fingerprint store and checkpoints", "[cli][compress]") {
  const std::string& race = kUffdScenario;
  std::string dir = temp_dir().fresh("compress-checkpoint", "");
  for (std::vector<std::string> extra :
       {std::vector<std::string>{"--fingerprint"}, {"--checkpoint", dir}, {"--resume", dir}}) {
    std::vector<std::string> args = {"check", race, "--compress"};
    args.insert(args.end(), extra.begin(), extra.end());
    Result r = run_mmcheck(args);
    INFO(describe(r));
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains("--compress") && Catch::Contains(extra[0]));
  }
}

}  // namespace
}  // namespace mmcheck::clitest
