// `mmcheck replay`: every counterexample the suite finds re-executes to the same violation, and
// a trace edited by hand (steps swapped, a change altered, the scenario changed, a newer format,
// the last step gone, broken JSON) is refused with the step and field that differ. Verdicts are
// read from `replay --json` and from the trace files, never from the human-readable text.
#include <algorithm>

#include "checker/sha256.hpp"
#include "tests/cli/cli_support.hpp"

using namespace mmcheck::clitest;

namespace {

std::string write_trace(const json& trace) {
  std::string path = temp_dir().fresh("edited", ".trace.json");
  write_file(path, trace.dump(2));
  return path;
}

struct Replayed {
  Result result;
  json report;
};

Replayed replay_json(const std::string& trace, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"replay", trace, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  Replayed r;
  r.result = run_mmcheck(args);
  INFO(describe(r.result));
  REQUIRE(!r.result.out.empty());
  r.report = parse_json(r.result.out, "replay --json");
  return r;
}

// The index (0-based) of the first step taken by `thread` at kernel step `step`.
std::size_t find_step(const json& trace, const std::string& thread, const std::string& step) {
  const json& steps = trace["steps"];
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i]["thread"] == thread && steps[i]["step"] == step) return i;
  FAIL("no step " << thread << " " << step << " in the trace");
  return 0;
}

}  // namespace

TEST_CASE("Every violation the race suite finds replays to the same violation", "[replay][suite]") {
  std::string dir = (temp_dir().path() / "suite-traces").string();
  Result suite = run_mmcheck({"suite", kSourceDir + "/scenarios", "--traces", dir, "--json"});
  INFO(describe(suite));
  REQUIRE(fs::is_directory(dir));
  std::vector<std::string> traces;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().string().ends_with(".trace.json")) traces.push_back(entry.path().string());
  std::sort(traces.begin(), traces.end());
  REQUIRE(traces.size() >= 10);
  for (const std::string& path : traces) {
    json recorded = read_json(path);
    Replayed r = replay_json(path);
    INFO(path << "\n" << describe(r.result));
    int expected = recorded["verdict"] == "deadlock" ? 11 : 10;
    CHECK(r.result.status == expected);
    CHECK(r.report["outcome"] == "reproduced");
    CHECK(r.report["differences"].empty());
    CHECK(r.report["replayed"]["invariant"] == recorded["invariant"]);
    CHECK(r.report["replayed"]["message"] == recorded["message"]);
    CHECK(r.report["steps"] == recorded["steps"]);
  }
}

TEST_CASE("The uffd-wp race's trace replays step by step to its lost write (6ce64428d620)",
          "[replay]") {
  std::string trace = uffd_trace();
  Replayed r = replay_json(trace);
  CHECK(r.result.status == 10);
  CHECK(r.report["outcome"] == "reproduced");
  CHECK(r.report["steps_replayed"] == 14);
  CHECK(r.report["replayed"]["invariant"] == "no_lost_write");
  CHECK(r.report["steps"] == read_json(trace)["steps"]);

  // The human-readable form exits the same, and --quiet keeps only the conclusion.
  Result text = run_mmcheck({"replay", trace});
  CHECK(text.status == 10);
  Result quiet = run_mmcheck({"replay", trace, "--quiet"});
  CHECK(quiet.status == 10);
  CHECK(quiet.out.size() < text.out.size());
}

TEST_CASE("Replay reports two swapped steps of different threads at the first step that differs",
          "[replay]") {
  json trace = read_json(uffd_trace());
  // cpu2's store through its stale TLB entry, then cpu0's range flush: swapped, the flush
  // removes the entry first and cpu2's store can no longer hit the TLB.
  std::size_t hit = find_step(trace, "cpu2", "access.tlb_hit");
  REQUIRE(trace["steps"][hit + 1]["thread"] == "cpu0");
  std::swap(trace["steps"][hit], trace["steps"][hit + 1]);
  Replayed r = replay_json(write_trace(trace));
  CHECK(r.result.status == 1);
  CHECK(r.report["outcome"] == "diverged");
  // The flush, now first, flushes the same entry and replays as recorded; cpu2's store then
  // misses the TLB and faults on the write-protected PTE.
  CHECK(r.report["diverged_at"] == hit + 2);
  REQUIRE(!r.report["differences"].empty());
  const json& first = r.report["differences"][0];
  CHECK(first["field"] == "step");
  CHECK(first["recorded"] == "access.tlb_hit");
  CHECK(first["replayed"] == "access.fault");
  CHECK(first["text"] ==
        "step " + std::to_string(hit + 2) +
            " (cpu2 access.tlb_hit): kernel step recorded access.tlb_hit, replayed access.fault");
  bool store_missing = false;
  for (const json& d : r.report["differences"]) {
    CHECK(d["step"] == hit + 2);
    if (d["field"] == "change" && d["path"] == "frame.0.content.1" &&
        d["replayed"] == "unchanged (1)")
      store_missing = true;
  }
  CHECK(store_missing);
  CHECK(r.report["steps_replayed"] == hit + 2);
}

TEST_CASE("Replay reports a changed value in a change record with its step and path", "[replay]") {
  json trace = read_json(uffd_trace());
  std::size_t hit = find_step(trace, "cpu2", "access.tlb_hit");
  json* change = nullptr;
  for (json& c : trace["steps"][hit]["changes"])
    if (c["path"] == "frame.0.content.1") change = &c;
  REQUIRE(change != nullptr);
  int from = (*change)["from"], to = (*change)["to"];
  (*change)["to"] = to + 2;
  Replayed r = replay_json(write_trace(trace));
  CHECK(r.result.status == 1);
  CHECK(r.report["outcome"] == "diverged");
  CHECK(r.report["diverged_at"] == hit + 1);
  REQUIRE(r.report["differences"].size() == 1);
  const json& d = r.report["differences"][0];
  CHECK(d["field"] == "change");
  CHECK(d["path"] == "frame.0.content.1");
  CHECK(d["recorded"] == std::to_string(from) + "->" + std::to_string(to + 2));
  CHECK(d["replayed"] == std::to_string(from) + "->" + std::to_string(to));
  CHECK(d["text"] == "step " + std::to_string(hit + 1) +
                         " (cpu2 access.tlb_hit): frame.0.content.1 recorded " +
                         std::to_string(from) + "->" + std::to_string(to + 2) + ", replayed " +
                         std::to_string(from) + "->" + std::to_string(to));
}

TEST_CASE("Replay refuses a trace whose scenario changed since it was recorded (sha256)",
          "[replay]") {
  json trace = read_json(uffd_trace());
  std::string text = read_file(kUffdScenario);
  const std::string value = "\"word\": 1, \"value\": 3 }";
  REQUIRE(text.find(value) != std::string::npos);
  text.replace(text.find(value), value.size(), "\"word\": 1, \"value\": 4 }");
  std::string changed = write_scenario(text, "changed-scenario");
  trace["scenario"]["file"] = changed;
  Replayed r = replay_json(write_trace(trace));
  CHECK(r.result.status == 1);
  CHECK(r.report["outcome"] == "scenario_changed");
  REQUIRE(r.report["differences"].size() == 1);
  const json& d = r.report["differences"][0];
  CHECK(d["field"] == "scenario");
  // The meaning is compared, not the bytes: a changed value changes it.
  CHECK(d["recorded"] == trace["scenario"]["meaning_sha256"]);
  CHECK(d["replayed"] == r.report["scenario"]["meaning_sha256"]);
  CHECK(d["replayed"] != d["recorded"]);
  CHECK(r.report["scenario"]["sha256"] == mmcheck::sha256_hex(text));
  CHECK(r.report["scenario"]["changed"] == true);
  CHECK(r.report["steps_replayed"] == 0);

  // --scenario points replay at the original again.
  Replayed back = replay_json(write_trace(trace), {"--scenario", kUffdScenario});
  CHECK(back.result.status == 10);
}

TEST_CASE("Replay refuses an unknown trace format naming the one it reads", "[replay][input]") {
  json trace = read_json(uffd_trace());
  trace["format"] = "mmcheck-trace/2";
  std::string path = write_trace(trace);
  require_bad_input(run_mmcheck({"replay", path, "--json"}), path, "/format",
                    {"\"mmcheck-trace/2\"", "\"mmcheck-trace/1\""});
}

TEST_CASE("Replay refuses malformed JSON naming the file and where it broke", "[replay][input]") {
  std::string text = read_file(uffd_trace());
  std::size_t cut = text.find("\"changes\"", text.find("\"steps\""));
  REQUIRE(cut != std::string::npos);
  std::string path = temp_dir().fresh("broken", ".trace.json");
  write_file(path, text.substr(0, cut) + "\"changes\": [ { \"path\": } ] } ] }");
  require_bad_input(run_mmcheck({"replay", path, "--json"}), path, "/steps/0/changes/0/path",
                    {"not valid JSON", "(line ", ", column "});

  // A well-formed trace with a field of the wrong type: the pointer names the field.
  json trace = read_json(uffd_trace());
  trace["steps"][3]["op_index"] = "zero";
  std::string typed = write_trace(trace);
  require_bad_input(run_mmcheck({"replay", typed, "--json"}), typed, "/steps/3/op_index",
                    {"expected an integer"});
}

TEST_CASE("Replay of a trace without its last step does not end in the violation", "[replay]") {
  json trace = read_json(uffd_trace());
  trace["steps"].erase(trace["steps"].size() - 1);
  Replayed r = replay_json(write_trace(trace));
  CHECK(r.result.status == 1);
  CHECK(r.report["outcome"] == "different_ending");
  CHECK(r.report["steps_replayed"] == 13);
  REQUIRE(r.report["differences"].size() == 1);
  CHECK(r.report["differences"][0]["field"] == "ending");
  CHECK(r.report["differences"][0]["recorded"] ==
        trace["invariant"].get<std::string>() + ": " + trace["message"].get<std::string>());
}

TEST_CASE("Replay reports a thread that is no longer enabled at its step", "[replay]") {
  json trace = read_json(uffd_trace());
  // One more step for cpu0, whose only op (the unprotect) is done by the end.
  json extra = trace["steps"][0];
  trace["steps"].push_back(extra);
  Replayed r = replay_json(write_trace(trace));
  CHECK(r.result.status == 1);
  CHECK(r.report["outcome"] == "diverged");
  CHECK(r.report["diverged_at"] == trace["steps"].size());
  REQUIRE(r.report["differences"].size() == 1);
  CHECK(r.report["differences"][0]["field"] == "enabled");
  CHECK(r.report["differences"][0]["text"] ==
        "step " + std::to_string(trace["steps"].size()) +
            ": thread cpu0 is no longer enabled (it has finished its 1 op; "
            "enabled: none)");
}

TEST_CASE("A deadlock's trace replays to the same deadlock (exit 11)", "[replay]") {
  // uffd-wp protect, then a store that waits in handle_userfault for an unprotect nobody does.
  std::string scenario = write_scenario(R"({
    "name": "uffd-wp-store-waits-forever",
    "kernel": "linux-6.2",
    "memory": { "A": { "type": "anon", "pages": 1, "words": 1, "prot": "rw", "uffd_wp": true } },
    "processes": { "P": { "threads": {
      "cpu0": [ { "op": "uffd_wp", "addr": "A" } ],
      "cpu1": [ { "op": "write", "addr": "A", "word": 0, "value": 2 } ] } } },
    "setup": [ { "thread": "cpu1", "op": "write", "addr": "A", "word": 0, "value": 1 } ],
    "check": ["no_deadlock"],
    "must_reach": ["handle_userfault.wait"],
    "expect": { "linux-6.2": "deadlock" }
  })",
                                        "deadlock");
  std::string trace = temp_dir().fresh("deadlock", ".trace.json");
  Result check = run_mmcheck({"check", scenario, "--trace", trace, "--quiet"});
  INFO(describe(check));
  REQUIRE(check.status == 11);
  Replayed r = replay_json(trace);
  CHECK(r.result.status == 11);
  CHECK(r.report["outcome"] == "reproduced");
  CHECK(r.report["replayed"]["verdict"] == "deadlock");
  CHECK(r.report["replayed"]["message"] == read_json(trace)["message"]);

  // One more step for the sleeping store: the model says why it cannot move.
  json longer = read_json(trace);
  json extra = longer["steps"][longer["steps"].size() - 1];
  REQUIRE(extra["thread"] == "cpu1");
  longer["steps"].push_back(extra);
  Replayed blocked = replay_json(write_trace(longer));
  CHECK(blocked.report["outcome"] == "diverged");
  REQUIRE(blocked.report["differences"].size() == 1);
  CHECK(blocked.report["differences"][0]["text"].get<std::string>().find(
            "thread cpu1 is no longer enabled (at write A=2: waits in handle_userfault for P:A "
            "to be unprotected; enabled: none)") != std::string::npos);
}

TEST_CASE("Replay compares the final state, and a reworded note alone is only a note", "[replay]") {
  json trace = read_json(uffd_trace());
  json final_changed = trace;
  final_changed["final_state"]["frame.0.content.0"] = 9;
  Replayed r = replay_json(write_trace(final_changed));
  CHECK(r.result.status == 1);
  CHECK(r.report["outcome"] == "different_final_state");
  REQUIRE(r.report["differences"].size() == 1);
  CHECK(r.report["differences"][0]["path"] == "frame.0.content.0");
  CHECK(r.report["differences"][0]["recorded"] == "9");

  json reworded = trace;
  reworded["steps"][2]["note"] = "said otherwise";
  Replayed n = replay_json(write_trace(reworded));
  CHECK(n.result.status == 10);
  CHECK(n.report["outcome"] == "reproduced");
  CHECK(n.report["notes"].size() == 1);
}
