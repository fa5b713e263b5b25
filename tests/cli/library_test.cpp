// What the README's "Adding a scenario to the library" promises CI checks: every scenario of
// scenarios/ has an expect for every preset and a must_reach for every preset it supports.
#include <catch2/catch.hpp>

#include "cli_support.hpp"

namespace mmcheck::clitest {
namespace {

TEST_CASE("Every library scenario has an expect for every preset and must_reach where supported",
          "[library]") {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(kSourceDir + "/scenarios"))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  REQUIRE(files.size() >= 20);
  for (const std::string& file : files) {
    Result r = run_mmcheck({"check", file, "--kernel", "all", "--json"});
    INFO(describe(r));
    REQUIRE(r.status == 0);
    json j = parse_json(r.out, "check --kernel all --json");
    REQUIRE(j["presets"].size() == kPresets.size());
    for (const json& p : j["presets"]) {
      INFO(file << " on " << p["kernel"]);
      CHECK(p["expected"].is_string());
      CHECK(p["result"] == p["expected"]);
      if (p["verdict"] != "unsupported") CHECK_FALSE(p["report"]["must_reach"].empty());
    }
  }
}

}  // namespace
}  // namespace mmcheck::clitest
