// `check FILE --witness STEP`: the shortest interleaving that takes a kernel step, so a passing
// run can be seen to go where it was meant to (issue 15, vacuity). Its trace replays and
// explains like a counterexample's. Read from --json and from the trace files.
#include "tests/cli/cli_support.hpp"

using namespace mmcheck::clitest;

namespace {

json witness(const std::string& step, std::vector<std::string> extra, Result* out) {
  std::vector<std::string> args = {"check",     kUffdScenario, "--kernel", "linux-5.10",
                                   "--witness", step,          "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  *out = run_mmcheck(args);
  INFO(describe(*out));
  REQUIRE(!out->out.empty());
  return parse_json(out->out, "check --witness --json");
}

}  // namespace

TEST_CASE(
    "check --witness writes the shortest interleaving that takes do_wp_page.copy, which "
    "replays and explains",
    "[witness]") {
  std::string trace = temp_dir().fresh("witness", ".trace.json");
  Result r;
  json j = witness("do_wp_page.copy", {"--trace", trace}, &r);
  CHECK(r.status == 0);
  CHECK(j["reached"] == true);
  CHECK(j["witness"] == "do_wp_page.copy");
  // cpu0 demotes the PTE (3 steps), cpu1 faults, locks and copies: 6 steps, none shorter.
  REQUIRE(j["steps"].size() == 6);
  CHECK(j["steps"].back()["step"] == "do_wp_page.copy");
  CHECK(j["steps"].back()["thread"] == "cpu1");

  validate_trace(trace);
  json t = parse_json(read_file(trace), trace);
  CHECK(t["verdict"] == "witness");
  CHECK(t["witness"] == "do_wp_page.copy");
  CHECK_FALSE(t.contains("invariant"));
  CHECK(t["steps"] == j["steps"]);

  Result replay = run_mmcheck({"replay", trace, "--json"});
  INFO(describe(replay));
  CHECK(replay.status == 0);
  json rj = parse_json(replay.out, "replay --json");
  CHECK(rj["outcome"] == "reproduced");
  CHECK(rj["witness"] == "do_wp_page.copy");

  Result explain = run_mmcheck({"explain", trace, "--json"});
  INFO(describe(explain));
  CHECK(explain.status == 0);
  json ej = parse_json(explain.out, "explain --json");
  CHECK(ej["reproduced"] == true);
  CHECK(ej["witness"] == "do_wp_page.copy");
  CHECK(ej["steps"].back()["marks"][0]["kind"] == "cow_decision");

  // The same witness whatever the thread count.
  Result one;
  CHECK(witness("do_wp_page.copy", {"--threads", "1"}, &one)["steps"] == j["steps"]);
}

TEST_CASE(
    "check --witness names a step no interleaving takes (exit 1), and an op's steps by "
    "the name before the dot",
    "[witness]") {
  Result r;
  json none = witness("do_wp_page.reuse", {}, &r);
  CHECK(r.status == 1);
  CHECK(none["reached"] == false);
  CHECK(none["steps"].empty());

  json any = witness("do_wp_page", {}, &r);
  CHECK(r.status == 0);
  REQUIRE(!any["steps"].empty());
  CHECK(any["steps"].back()["step"].get<std::string>().rfind("do_wp_page.", 0) == 0);
}

TEST_CASE("check --witness refuses an unknown step, naming the near miss", "[witness][input]") {
  Result r = run_mmcheck({"check", kUffdScenario, "--witness", "do_wp_page.cpy", "--json"});
  require_bad_input(r, "--witness", "", {"unknown kernel step", "\"do_wp_page.copy\""});
}
