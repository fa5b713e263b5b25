// Comparing kernels: `check FILE --kernel all` (one line per preset), `diff FILE K1 K2` (both
// verdicts and the policies that differ) and `bisect FILE K1 K2` (the single policies whose
// change alone flips the first preset's verdict). Every claim is checked against separate
// `check --json` runs.
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <utility>

#include "cli_support.hpp"

namespace mmcheck::clitest {
namespace {

json run_json(const std::vector<std::string>& args, Result* out = nullptr) {
  return mmcheck_json(args, kCompareSchema, out);
}

TEST_CASE("check --kernel all runs every preset, each entry a valid report", "[cli][all]") {
  std::string file = write_scenario(kSpecExample);
  Result r;
  json j = run_json({"check", file, "--kernel", "all"}, &r);
  CHECK(r.status == 0);
  CHECK(j["exit_code"] == 0);
  REQUIRE(j["presets"].size() == kPresets.size());
  for (std::size_t i = 0; i < kPresets.size(); ++i) {
    const json& p = j["presets"][i];
    INFO(kPresets[i]);
    CHECK(p["kernel"] == kPresets[i]);
    CHECK(p["report"]["kernel"] == kPresets[i]);
    CHECK(p["verdict"] == p["report"]["verdict"]);
    CHECK(p["result"] == result_text(p["report"]));
    validate_report_text(p["report"].dump());
  }
  // The same verdicts as one `check` per preset, and the scenario's expect where it has one.
  for (std::size_t i : {3u, 4u, 6u}) {  // linux-5.9, linux-5.10, linux-5.12
    Check one = check_json(file, {"--kernel", kPresets[i]});
    CHECK(j["presets"][i]["result"] == result_text(one.report));
  }
  CHECK(j["presets"][4]["expected"] == "violates no_lost_write");
  CHECK(j["presets"][4]["result"] == j["presets"][4]["expected"]);
  CHECK(j["presets"][3]["expected"].is_null());  // no expect for linux-5.9
  Result text = run_mmcheck({"check", file, "--kernel", "all"});
  for (const std::string& k : kPresets) CHECK_THAT(text.out, Catch::Contains("  " + k + " "));
}

TEST_CASE("check --kernel all needs no expect, and a bound hit on any preset exits 12",
          "[cli][all]") {
  std::string text = kSpecExample;
  text = text.substr(0, text.find("\"must_reach\"")) + "\"check\": [\"no_lost_write\"] }";
  text.erase(text.find("\"check\": [\"no_lost_write\"],"), 27);
  std::string file = write_scenario(text);
  Result r;
  json j = run_json({"check", file, "--kernel", "all"}, &r);
  CHECK(r.status == 0);
  for (const json& p : j["presets"]) CHECK(p["expected"].is_null());
  Result bounded;
  json b = run_json({"check", file, "--kernel", "all", "--max-states", "2"}, &bounded);
  CHECK(bounded.status == 12);
  CHECK(b["exit_code"] == 12);
  bool incomplete = false;
  for (const json& p : b["presets"]) incomplete = incomplete || p["verdict"] == "incomplete";
  CHECK(incomplete);
  Result trace =
      run_mmcheck({"check", file, "--kernel", "all", "--trace", temp_dir().fresh("t", ".json")});
  CHECK(trace.status == 2);
}

TEST_CASE("diff prints both verdicts and exactly the policies that differ, with values",
          "[cli][diff]") {
  std::string file = write_scenario(kSpecExample);
  Result r;
  json d = run_json({"diff", file, "linux-5.10", "linux-5.12"}, &r);
  CHECK(r.status == 0);
  Check a = check_json(file, {"--kernel", "linux-5.10"});
  Check b = check_json(file, {"--kernel", "linux-5.12"});
  CHECK(d["a"]["kernel"] == "linux-5.10");
  CHECK(d["b"]["kernel"] == "linux-5.12");
  CHECK(d["a"]["result"] == result_text(a.report));
  CHECK(d["b"]["result"] == result_text(b.report));
  CHECK(d["same_verdict"] == (result_text(a.report) == result_text(b.report)));
  json want = json::array();
  for (const std::string& p : kPolicies)
    if (a.report["policy"][p] != b.report["policy"][p])
      want.push_back({{"policy", p}, {"a", a.report["policy"][p]}, {"b", b.report["policy"][p]}});
  json got = json::array();
  for (const json& p : d["policies"]) {
    got.push_back({{"policy", p["policy"]}, {"a", p["a"]}, {"b", p["b"]}});
    CHECK_FALSE(p["history"].get<std::string>().empty());
  }
  CHECK(got == want);
  CHECK_FALSE(got.empty());
  Result text = run_mmcheck({"diff", file, "linux-5.10", "linux-5.12"});
  CHECK_THAT(text.out, Catch::Contains("uffd_wp_pending_flush"));
  CHECK_THAT(text.out, Catch::Contains("false -> true"));
  Result bad = run_mmcheck({"diff", file, "linux-5.10", "linux-9.9", "--json"});
  CHECK(bad.status == 2);
  check_no_report(bad);
}

TEST_CASE("bisect names the single policies whose change alone flips the verdict, with commits",
          "[cli][bisect]") {
  std::string file = write_scenario(kSpecExample);
  Result r;
  json j = run_json({"bisect", file, "linux-5.10", "linux-5.12"}, &r);
  CHECK(r.status == 0);
  REQUIRE(j["same_verdict"] == false);
  json d = run_json({"diff", file, "linux-5.10", "linux-5.12"});
  REQUIRE(j["candidates"].size() == d["policies"].size());  // every differing policy is tried
  std::string stock = j["a"]["result"];
  json flipping = json::array();
  for (const json& c : j["candidates"]) {
    std::string set = c["policy"].get<std::string>() + "=" + c["to"].get<std::string>();
    Check one = check_json(file, {"--kernel", "linux-5.10", "--set", set});
    INFO(set);
    CHECK(c["result"] == result_text(one.report));
    CHECK(c["flips"] == (result_text(one.report) != stock));
    if (c["flips"] == true) flipping.push_back(c["policy"]);
    CHECK(std::regex_search(c["history"].get<std::string>(), std::regex("[0-9a-f]{12}|<=")));
  }
  CHECK(j["flipping"] == flipping);
  CHECK_FALSE(flipping.empty());
  Result text = run_mmcheck({"bisect", file, "linux-5.10", "linux-5.12"});
  for (const json& p : flipping) CHECK_THAT(text.out, Catch::Contains(p.get<std::string>() + "="));

  // The same verdict on both: nothing is tried.
  json same = run_json({"bisect", file, "linux-5.12", "linux-6.18"});
  CHECK(same["same_verdict"] == true);
  CHECK(same["candidates"].empty());
}

TEST_CASE("bisect tries the pairs when no single policy flips the verdict, and finds every one",
          "[cli][bisect]") {
  // clear_refs's lost write on 5.10 needs both the mmap_lock write of 5.11 and the flush of 5.12.
  std::string file = kSourceDir + "/scenarios/clear-refs-soft-dirty-lost-write.json";
  json j = run_json({"bisect", file, "linux-5.10", "linux-5.12"});
  REQUIRE(j["same_verdict"] == false);
  REQUIRE(j["flipping"].empty());
  std::string stock = j["a"]["result"];
  std::set<std::pair<std::string, std::string>> listed, found;
  for (const json& p : j["flipping_pairs"])
    listed.insert({p["policies"][0].get<std::string>(), p["policies"][1].get<std::string>()});
  const json& c = j["candidates"];
  for (std::size_t i = 0; i < c.size(); ++i)
    for (std::size_t k = i + 1; k < c.size(); ++k) {
      Check both = check_json(
          file, {"--kernel", "linux-5.10", "--set",
                 c[i]["policy"].get<std::string>() + "=" + c[i]["to"].get<std::string>(), "--set",
                 c[k]["policy"].get<std::string>() + "=" + c[k]["to"].get<std::string>()});
      if (result_text(both.report) != stock)
        found.insert({c[i]["policy"].get<std::string>(), c[k]["policy"].get<std::string>()});
    }
  CHECK(listed == found);
  CHECK_FALSE(listed.empty());
  Result text = run_mmcheck({"bisect", file, "linux-5.10", "linux-5.12"});
  CHECK_THAT(text.out, Catch::Contains("Pairs that flip it together"));
}

}  // namespace
}  // namespace mmcheck::clitest
