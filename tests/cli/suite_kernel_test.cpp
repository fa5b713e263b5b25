// `mmcheck suite --kernel K --set P=V`: the library on one patched kernel against the base
// preset's expectations, and what the patch changed; the suite's CI safety (per-run bounds, a
// malformed file as one failing test case) and its KTAP output as kselftest prints it.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "cli_support.hpp"

namespace mmcheck::clitest {
namespace {

// A directory holding the README's example (violates on 5.10, holds on 5.8 and 5.12) with
// `expect` replaced, and optionally more files.
std::string example_dir(const std::string& expect,
                        const std::vector<std::pair<std::string, std::string>>& more = {}) {
  std::string dir = temp_dir().fresh("suite", "");
  fs::create_directories(dir);
  std::string text = kSpecExample;
  auto at = text.find("\"expect\"");
  REQUIRE(at != std::string::npos);
  text = text.substr(0, at) + "\"expect\": " + expect + "\n}\n";
  write_file(dir + "/example.json", text);
  for (const auto& [name, body] : more) write_file(dir + "/" + name, body);
  return dir;
}

json suite_json(const std::vector<std::string>& args, Result* out = nullptr) {
  std::vector<std::string> all = {"suite"};
  all.insert(all.end(), args.begin(), args.end());
  return mmcheck_json(all, kSuiteSchema, out);
}

TEST_CASE("suite --kernel --set lists what the patch changed against the base preset's expect",
          "[cli][suite][patch]") {
  std::string lib = kSourceDir + "/scenarios";
  Result stock_run, patched_run;
  json stock = suite_json({lib, "--kernel", "linux-5.10"}, &stock_run);
  json patched = suite_json({lib, "--kernel", "linux-5.10", "--set", "uffd_wp_pending_flush=true"},
                            &patched_run);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(lib)) files += e.path().extension() == ".json";
  REQUIRE(stock["results"].size() == files);
  REQUIRE(patched["results"].size() == files);
  CHECK(patched["kernel"] == "linux-5.10");
  CHECK(patched["overrides"] == json::array({"uffd_wp_pending_flush=true"}));
  // The stock kernel meets its own expectations: nothing changed.
  CHECK(stock["changed"].empty());
  CHECK(stock["failures"] == 0);
  CHECK(stock_run.status == 0);
  // What the patch changed is exactly where its outcome differs from stock 5.10's.
  std::set<std::string> differing, listed;
  for (std::size_t i = 0; i < files; ++i) {
    const json& s = stock["results"][i];
    const json& p = patched["results"][i];
    REQUIRE(s["scenario"]["name"] == p["scenario"]["name"]);
    CHECK(p["kernel"] == "linux-5.10");
    if (p["verdict"] != "unsupported")
      CHECK(p["overrides"] == json::array({"uffd_wp_pending_flush=true"}));
    if (result_text(s) != result_text(p)) differing.insert(p["scenario"]["name"]);
    CHECK(p["changed"] == (result_text(p) != p["expected"]));
  }
  for (const json& c : patched["changed"]) {
    listed.insert(c["scenario"].get<std::string>());
    // 6ce64428d620 only closes races: every change is a fix.
    CHECK(c["fixed"] == true);
    CHECK(c["got"] == "holds");
  }
  CHECK(listed == differing);
  CHECK_FALSE(listed.empty());
  CHECK(patched_run.status == (patched["failures"] == 0 ? 0 : 1));
  // The text report names the patch and each change.
  Result text =
      run_mmcheck({"suite", lib, "--kernel", "linux-5.10", "--set", "uffd_wp_pending_flush=true"});
  CHECK_THAT(text.out, Catch::Contains("linux-5.10 + uffd_wp_pending_flush=true"));
  for (const std::string& name : listed) CHECK_THAT(text.out, Catch::Contains(name + ": violates"));
}

TEST_CASE("suite --kernel --set: a fix passes, a patch that reopens a race fails",
          "[cli][suite][patch]") {
  std::string dir = example_dir(
      R"({ "linux-5.8": "holds", "linux-5.10": { "violates": "no_lost_write" }, "linux-5.12": "holds" })");
  Result fixed_run;
  json fixed = suite_json({dir, "--kernel", "linux-5.10", "--set", "uffd_wp_pending_flush=true"},
                          &fixed_run);
  REQUIRE(fixed["results"].size() == 1);
  CHECK(fixed["results"][0]["verdict"] == "holds");
  CHECK(fixed["results"][0]["fixed"] == true);
  CHECK(fixed["results"][0]["pass"] == true);
  CHECK(fixed["changed"].size() == 1);
  CHECK(fixed_run.status == 0);

  Result broken_run;
  json broken = suite_json({dir, "--kernel", "linux-5.12", "--set", "uffd_wp_pending_flush=false"},
                           &broken_run);
  REQUIRE(broken["results"].size() == 1);
  CHECK(broken["results"][0]["verdict"] == "violation");
  CHECK(broken["results"][0]["pass"] == false);
  CHECK_FALSE(broken["results"][0].contains("fixed"));
  REQUIRE(broken["changed"].size() == 1);
  CHECK(broken["changed"][0]["fixed"] == false);
  CHECK(broken_run.status == 1);

  // A preset the scenario has no expectation for is run and reported, not judged.
  json unjudged = suite_json({dir, "--kernel", "linux-6.18"});
  REQUIRE(unjudged["results"].size() == 1);
  CHECK(unjudged["results"][0]["expected"].is_null());
  CHECK(unjudged["results"][0]["pass"] == true);
}

TEST_CASE("suite --set without --kernel, an unknown preset or policy is bad input",
          "[cli][suite][patch][bad-input]") {
  std::string dir = example_dir(R"({ "linux-5.10": { "violates": "no_lost_write" } })");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--set", "uffd_wp_pending_flush=true"},
           {"--kernel", "linux-9.9"},
           {"--kernel", "linux-5.10", "--set", "no_such_policy=true"},
           {"--kernel", "linux-5.10", "--set", "cow_reuse=refcount", "--set",
            "cow_reuse=mapcount"}}) {
    std::vector<std::string> all = {"suite", dir, "--json"};
    all.insert(all.end(), args.begin(), args.end());
    Result r = run_mmcheck(all);
    INFO(describe(r));
    CHECK(r.status == 2);
    check_no_report(r);
  }
}

TEST_CASE("suite's per-run bounds make a run incomplete: a failing case, never a hang",
          "[cli][suite][ci]") {
  std::string dir = example_dir(R"({ "linux-5.10": { "violates": "no_lost_write" } })");
  std::string junit = temp_dir().fresh("junit", ".xml");
  Result r;
  json j = suite_json({dir, "--max-states", "2", "--junit", junit}, &r);
  REQUIRE(j["results"].size() == 1);
  CHECK(j["results"][0]["verdict"] == "incomplete");
  CHECK(j["results"][0]["pass"] == false);
  CHECK(j["failures"] == 1);
  CHECK(r.status == 1);
  CHECK_THAT(read_file(junit), Catch::Contains("<failure"));
  // Without the bound the same run completes and passes.
  json unbounded = suite_json({dir});
  CHECK(unbounded["results"][0]["verdict"] == "violation");
  CHECK(unbounded["results"][0]["pass"] == true);
  for (const std::string option : {"--max-seconds", "--max-memory"}) {
    json loose = suite_json({dir, option, "100000"});
    CHECK(loose["results"][0]["pass"] == true);
  }
}

TEST_CASE("A malformed scenario is one failing test case, and the others still run",
          "[cli][suite][ci]") {
  std::string dir = example_dir(R"({ "linux-5.10": { "violates": "no_lost_write" } })",
                                {{"broken.json", "{ \"name\": \"broken\", \"memory\": [ }"}});
  std::string broken = dir + "/broken.json";
  std::string junit = temp_dir().fresh("junit", ".xml");
  Result r;
  json j = suite_json({dir, "--junit", junit}, &r);
  REQUIRE(j["results"].size() == 1);  // the good scenario ran
  CHECK(j["results"][0]["pass"] == true);
  REQUIRE(j["errors"].size() == 1);
  CHECK(j["errors"][0]["file"] == broken);
  CHECK(j["failures"] == 1);
  CHECK(r.status == 1);
  std::string xml = read_file(junit);
  CHECK_THAT(xml, Catch::Contains("errors=\"1\""));
  CHECK_THAT(xml, Catch::Contains("<error type=\"input\""));
  CHECK_THAT(xml, Catch::Contains(broken));
  CHECK_THAT(xml, Catch::Contains("classname=\"uffd-wp-unprotect-cow-stale-tlb\""));
  Result tap = run_mmcheck({"suite", dir, "--tap"});
  INFO(describe(tap));
  CHECK(tap.status == 1);
  CHECK_THAT(tap.out, Catch::Contains("not ok 2 " + broken + " # error"));
  CHECK_THAT(tap.out, Catch::Contains("ok 1 uffd-wp-unprotect-cow-stale-tlb.linux-5.10"));
  // The matrix names it too; no progress line when stderr is not a terminal.
  Result matrix = run_mmcheck({"suite", dir});
  CHECK(matrix.status == 1);
  CHECK_THAT(matrix.err, Catch::Contains("ERROR " + broken));
  CHECK(matrix.err.find('\r') == std::string::npos);
}

TEST_CASE("suite prints a progress line when stderr is a terminal, and erases it",
          "[cli][suite][ci]") {
  // script(1) (util-linux, Debian's essential bsdutils) gives the command a terminal; stdout goes
  // to a file, so what the terminal shows is stderr alone.
  std::string dir =
      example_dir(R"({ "linux-5.8": "holds", "linux-5.10": { "violates": "no_lost_write" } })");
  std::string out = temp_dir().fresh("stdout", ".txt");
  Result r = run_shell(
      "script -qec " +
      shell_quote(shell_quote(kBinary) + " suite " + shell_quote(dir) + " >" + shell_quote(out)) +
      " /dev/null");
  INFO(describe(r));
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("[1/2] uffd-wp-unprotect-cow-stale-tlb on linux-"));
  CHECK_THAT(r.out, Catch::Contains("[2/2] uffd-wp-unprotect-cow-stale-tlb on linux-"));
  CHECK(r.out.size() >= 4);
  CHECK(r.out.substr(r.out.size() - 4) == "\r\033[K");  // erased at the end
  CHECK_THAT(read_file(out), Catch::Contains("uffd-wp-unprotect-cow-stale-tlb"));
  CHECK(read_file(out).find('\r') == std::string::npos);
}

TEST_CASE("A scenario whose setup blocks is one failing test case too", "[cli][suite][ci]") {
  // The loader accepts it; the error shows when the initial state is built, inside the run.
  std::string dir =
      example_dir(R"({ "linux-5.10": { "violates": "no_lost_write" } })",
                  {{"blocked.json", R"({"name": "blocked", "memory": {"A": {"uffd_wp": true}},
    "processes": {"P": {"threads": {"cpu0": [{"op": "read", "addr": "A"}]}}},
    "setup": [{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
              {"thread": "cpu0", "op": "uffd_wp", "addr": "A"},
              {"thread": "cpu0", "op": "write", "addr": "A", "value": 2}],
    "expect": {"linux-6.18": "holds", "latest": "holds"}})"}});
  Result r;
  json j = suite_json({dir}, &r);
  REQUIRE(j["results"].size() == 1);
  CHECK(j["results"][0]["pass"] == true);
  REQUIRE(j["errors"].size() == 1);  // one case for the file, not one per preset
  CHECK(j["errors"][0]["file"] == dir + "/blocked.json");
  CHECK(j["errors"][0]["pointer"] == "/setup/2");
  CHECK(r.status == 1);
}

// The counts of the Totals line as kselftest prints it: "# Totals: pass:N fail:N ...".
std::map<std::string, int> totals(const std::string& tap) {
  std::smatch m;
  std::regex line(
      "\n# Totals: pass:([0-9]+) fail:([0-9]+) xfail:([0-9]+) xpass:([0-9]+) skip:([0-9]+) "
      "error:([0-9]+)\n");
  REQUIRE(std::regex_search(tap, m, line));
  return {{"pass", std::stoi(m[1])},  {"fail", std::stoi(m[2])}, {"xfail", std::stoi(m[3])},
          {"xpass", std::stoi(m[4])}, {"skip", std::stoi(m[5])}, {"error", std::stoi(m[6])}};
}

TEST_CASE("suite --tap prints KTAP as kselftest does: SKIP, XFAIL, XPASS and the Totals line",
          "[cli][suite][ktap]") {
  std::string dir = example_dir(
      R"({ "linux-5.4": "unsupported", "linux-5.8": "holds", "linux-5.10": { "violates": "no_lost_write" }, "linux-5.12": { "violates": "no_lost_write" } })",
      {{"broken.json", "not json"}});
  json j = suite_json({dir});
  Result tap = run_mmcheck({"suite", dir, "--tap"});
  INFO(describe(tap));
  CHECK(tap.out.rfind("KTAP version 1\n1.." + std::to_string(j["results"].size() + 1) + "\n", 0) ==
        0);
  // Each result's line follows from its JSON: an expected violation is XFAIL, an expected
  // unsupported pair SKIP, an expected violation that did not happen XPASS (a failure).
  std::map<std::string, int> want = {{"pass", 0},  {"fail", 0}, {"xfail", 0},
                                     {"xpass", 0}, {"skip", 0}, {"error", 1}};
  int n = 0;
  for (const json& r : j["results"]) {
    std::string name =
        r["scenario"]["name"].get<std::string>() + "." + r["kernel"].get<std::string>();
    std::string prefix = (r["pass"] == true ? "ok " : "not ok ") + std::to_string(++n) + " " + name;
    std::string expected = r["expected"];
    bool race = expected.rfind("violates", 0) == 0 || expected == "deadlock";
    std::string line;
    if (r["pass"] == true && r["verdict"] == "unsupported") {
      line = prefix + " # SKIP";
      ++want["skip"];
    } else if (r["pass"] == true && race) {
      line = prefix + " # XFAIL " + expected;
      ++want["xfail"];
    } else if (r["pass"] == true) {
      line = prefix + "\n";
      ++want["pass"];
    } else if (race && r["verdict"] == "holds") {
      line = prefix + " # XPASS";
      ++want["xpass"];
    } else {
      line = prefix + "\n";
      ++want["fail"];
    }
    INFO(line);
    CHECK_THAT(tap.out, Catch::Contains(line));
  }
  CHECK(totals(tap.out) == want);
  // This example has each kind once.
  for (const std::string kind : {"pass", "xfail", "xpass", "skip", "error"}) CHECK(want[kind] == 1);
  CHECK(tap.status == 1);
}

}  // namespace
}  // namespace mmcheck::clitest
