// A kernel with overridden policies is never shown as the stock preset: the report, the text,
// the trace and explain name the overrides; a policy given twice with two values is an error.
#include <catch2/catch.hpp>

#include "cli_support.hpp"

namespace mmcheck::clitest {
namespace {

const std::string kLibrary = MMCHECK_SOURCE_DIR "/scenarios/";

TEST_CASE("Overrides given with --set are named in the report, the text and the trace",
          "[cli][overrides]") {
  std::string file = kLibrary + "clear-refs-vma-lock-fault.json";
  Check stock = check_json(file, {"--kernel", "linux-6.4"});
  CHECK(stock.report["overrides"] == json::array());
  std::string trace = temp_dir().fresh("trace", ".json");
  Check patched = check_json(file, {"--kernel", "linux-6.4", "--set", "cow_reuse=refcount", "--set",
                                    "cow_drain_lru=false", "--trace", trace});
  CHECK(patched.report["verdict"] == "violation");
  CHECK(patched.report["overrides"] == json::array({"cow_reuse=refcount", "cow_drain_lru=false"}));
  validate_trace(trace);
  json t = parse_json(read_file(trace), "the trace");
  CHECK(t["overrides"] == patched.report["overrides"]);

  Result text = run_mmcheck({"check", file, "--kernel", "linux-6.4", "--set", "cow_reuse=refcount",
                             "--set", "cow_drain_lru=false"});
  CHECK_THAT(text.out, Catch::Contains("on linux-6.4 + cow_reuse=refcount, cow_drain_lru=false: "
                                       "VIOLATES"));
  Result explained = run_mmcheck({"explain", trace, "--no-colour"});
  CHECK_THAT(explained.out, Catch::Contains("on linux-6.4 + cow_reuse=refcount"));
}

TEST_CASE("Setting a policy to the preset's own value is no override", "[cli][overrides]") {
  Check c = check_json(kLibrary + "clear-refs-vma-lock-fault.json",
                       {"--kernel", "linux-6.4", "--set", "cow_reuse=anon_exclusive"});
  CHECK(c.report["overrides"] == json::array());  // the preset's own value: nothing differs
}

TEST_CASE("A policy set twice to two values is an error, not last-wins", "[cli][overrides]") {
  Result r = run_mmcheck({"check", kLibrary + "clear-refs-vma-lock-fault.json", "--set",
                          "cow_reuse=refcount", "--set", "cow_reuse=mapcount"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("cow_reuse is set twice"));
  CHECK(r.out.empty());
}

}  // namespace
}  // namespace mmcheck::clitest
