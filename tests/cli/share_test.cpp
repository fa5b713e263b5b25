// Sharing a counterexample (issue 15, "Share a counterexample that still works tomorrow"): a
// trace hashes what its scenario means, not its bytes, so edited comments, names, references,
// expectations and formatting still replay; it embeds the scenario and locates it three ways,
// so it replays from another directory and where no scenario file is; `replay --force` replays
// on a changed scenario and names the first step that differs; an older trace (bytes hash, no
// embedded scenario) is still read. Results are read from `replay --json` and the trace files.
#include "tests/cli/cli_support.hpp"

using namespace mmcheck::clitest;

namespace {

// A private directory holding a copy of the uffd-wp race's scenario ("race.json") and its
// trace on linux-5.10 ("trace.json"), recorded from inside the directory with relative paths.
struct Shared {
  fs::path dir;
  fs::path scenario;
  fs::path trace;
};

Shared record(const std::string& scenario_text) {
  Shared s;
  s.dir = temp_dir().fresh("shared", "");
  fs::create_directories(s.dir / "traces");
  s.scenario = s.dir / "race.json";
  s.trace = s.dir / "traces" / "trace.json";
  write_file(s.scenario.string(), scenario_text);
  Result r = run_shell("cd " + shell_quote(s.dir.string()) + " && " + shell_quote(kBinary) +
                       " check race.json --kernel linux-5.10 --quiet --trace traces/trace.json");
  INFO(describe(r));
  REQUIRE(r.status == 10);
  return s;
}

// `mmcheck replay TRACE --json EXTRA...` run in `cwd`.
json replay_in(const fs::path& cwd, const std::string& trace, const std::string& extra,
               Result* out) {
  *out = run_shell("cd " + shell_quote(cwd.string()) + " && " + shell_quote(kBinary) + " replay " +
                   shell_quote(trace) + " --json " + extra);
  INFO(describe(*out));
  REQUIRE(!out->out.empty());
  return parse_json(out->out, "replay --json");
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("A trace embeds its scenario, its meaning hash and where it is", "[replay][share]") {
  Shared s = record(read_file(kUffdScenario));
  validate_trace(s.trace.string());
  json trace = read_json(s.trace.string());
  const json& sc = trace["scenario"];
  CHECK(sc["file"] == "race.json");
  CHECK(sc["path"] == fs::absolute(s.scenario).lexically_normal().string());
  CHECK(sc["from_trace"] == "../race.json");
  CHECK(sc["source"] == read_file(kUffdScenario));
  CHECK(sc["meaning_sha256"].get<std::string>().size() == 64);
  CHECK(sc["meaning_sha256"] != sc["sha256"]);
}

TEST_CASE("Editing comments, name, references, expect and formatting keeps a trace replaying",
          "[replay][share]") {
  std::string text = read_file(kUffdScenario);
  Shared s = record(text);
  std::string edited = "// a new first comment\n" + text;
  edited = replace_once(edited, "\"name\": \"uffd-wp-unprotect-cow-stale-tlb\"",
                        "\"name\":    \"renamed-race\"");
  edited = replace_once(edited, "\"references\": [", "\"references\": [\"one more\", ");
  edited = replace_once(edited, "\"summary\": \"", "\"summary\": \"Edited. ");
  edited = replace_once(edited, "\"linux-5.8\":  \"holds\"", "\"linux-5.8\": \"unsupported\"");
  write_file(s.scenario.string(), edited);
  Result r;
  json report = replay_in(s.dir, "traces/trace.json", "", &r);
  CHECK(r.status == 10);
  CHECK(report["outcome"] == "reproduced");
  CHECK(report["scenario"]["origin"] == "file");
  CHECK(report["scenario"]["changed"] == false);
  CHECK(report["scenario"]["sha256"] != report["scenario"]["sha256_recorded"]);
  CHECK(report["scenario"]["meaning_sha256"] == report["scenario"]["meaning_sha256_recorded"]);

  // The order of an op's keys is formatting too; the order of the threads is meaning.
  std::string reordered = replace_once(text, "{ \"op\": \"write\", \"addr\": \"A\", \"word\": 0,",
                                       "{ \"word\": 0, \"addr\": \"A\", \"op\": \"write\",");
  write_file(s.scenario.string(), reordered);
  report = replay_in(s.dir, "traces/trace.json", "", &r);
  CHECK(r.status == 10);
  CHECK(report["scenario"]["changed"] == false);
}

TEST_CASE("A trace replays from another directory, finding its scenario from the trace's",
          "[replay][share]") {
  Shared s = record(read_file(kUffdScenario));
  Result r;
  json report = replay_in(temp_dir().path(), s.trace.string(), "", &r);
  CHECK(r.status == 10);
  CHECK(report["outcome"] == "reproduced");
  CHECK(report["scenario"]["origin"] == "file");
  CHECK(fs::equivalent(report["scenario"]["file"].get<std::string>(), s.scenario));
}

TEST_CASE("A trace copied where there is no scenario file replays on its embedded scenario",
          "[replay][share]") {
  Shared s = record(read_file(kUffdScenario));
  fs::path elsewhere = temp_dir().fresh("elsewhere", "");
  fs::create_directories(elsewhere);
  fs::copy_file(s.trace, elsewhere / "copy.json");
  fs::remove(s.scenario);
  Result r;
  json report = replay_in(elsewhere, "copy.json", "", &r);
  CHECK(r.status == 10);
  CHECK(report["outcome"] == "reproduced");
  CHECK(report["scenario"]["origin"] == "embedded");
  CHECK(report["scenario"]["file"] == "copy.json#/scenario/source");
  CHECK(report["steps"] == read_json(s.trace.string())["steps"]);

  // explain renders it from the trace alone.
  Result explain = run_shell("cd " + shell_quote(elsewhere.string()) + " && " +
                             shell_quote(kBinary) + " explain copy.json --json");
  INFO(describe(explain));
  CHECK(explain.status == 0);
  json timeline = parse_json(explain.out, "explain --json");
  CHECK(timeline["reproduced"] == true);
  CHECK(timeline["scenario"]["origin"] == "embedded");
}

TEST_CASE("replay --force replays on a changed scenario and reports the first divergence",
          "[replay][share]") {
  std::string text = read_file(kUffdScenario);
  Shared s = record(text);
  // cpu2 now stores 4, not 3: its store through the stale TLB entry differs.
  write_file(s.scenario.string(),
             replace_once(text, "\"word\": 1, \"value\": 3 }", "\"word\": 1, \"value\": 4 }"));
  Result r;
  json refused = replay_in(s.dir, "traces/trace.json", "", &r);
  CHECK(r.status == 1);
  CHECK(refused["outcome"] == "scenario_changed");
  CHECK(refused["first_divergence"]["field"] == "scenario");
  CHECK(refused["first_divergence"]["step"].is_null());

  json forced = replay_in(s.dir, "traces/trace.json", "--force", &r);
  CHECK(r.status == 1);
  CHECK(forced["outcome"] == "diverged");
  CHECK(forced["scenario"]["changed"] == true);
  REQUIRE(forced["warnings"].size() == 1);
  CHECK_THAT(forced["warnings"][0].get<std::string>(), Catch::Contains("--force"));
  json trace = read_json(s.trace.string());
  std::size_t hit = 0;
  while (trace["steps"][hit]["step"] != "access.tlb_hit") ++hit;
  const json& first = forced["first_divergence"];
  CHECK(forced["diverged_at"] == hit + 1);
  // cpu2's first step: its op is not the recorded one, and it stores 4, not 3.
  CHECK(first["step"] == hit + 1);
  CHECK(first["field"] == "op");
  CHECK(first["expected"] == "\"write A.1=3\"");
  CHECK(first["found"] == "\"write A.1=4\"");
  bool store = false;
  for (const json& d : forced["differences"])
    if (d["field"] == "change" && d["path"] == "frame.0.content.1")
      store = d["recorded"] == "1->3" && d["replayed"] == "1->4";
  CHECK(store);

  // The text names the step and what was expected and found.
  Result plain = run_shell("cd " + shell_quote(s.dir.string()) + " && " + shell_quote(kBinary) +
                           " replay traces/trace.json --force --quiet");
  CHECK(plain.status == 1);
  CHECK_THAT(plain.out, Catch::Contains("diverges at step " + std::to_string(hit + 1) +
                                        " of 14 (op: expected \"write A.1=3\", found "
                                        "\"write A.1=4\")"));
}

TEST_CASE("An older trace (bytes hash, no embedded scenario) is still read", "[replay][share]") {
  std::string text = read_file(kUffdScenario);
  Shared s = record(text);
  json trace = read_json(s.trace.string());
  for (const char* key : {"meaning_sha256", "path", "from_trace", "source"})
    trace["scenario"].erase(key);
  std::string old = (s.dir / "traces" / "old.json").string();
  write_file(old, trace.dump(2));
  validate_trace(old);
  Result r;
  json report = replay_in(s.dir, "traces/old.json", "", &r);
  CHECK(r.status == 10);
  CHECK(report["scenario"]["meaning_sha256_recorded"].is_null());

  // Its bytes are what it recorded: a new comment is a change, which --force replays anyway.
  write_file(s.scenario.string(), "// edited\n" + text);
  report = replay_in(s.dir, "traces/old.json", "", &r);
  CHECK(r.status == 1);
  CHECK(report["outcome"] == "scenario_changed");
  report = replay_in(s.dir, "traces/old.json", "--force", &r);
  CHECK(r.status == 10);

  // Without its scenario file it cannot replay: bad input naming where the trace says it is.
  fs::remove(s.scenario);
  Result missing = run_mmcheck({"replay", old, "--json"});
  require_bad_input(missing, old, "/scenario/file", {"\"race.json\" not found", "--scenario"});
}
