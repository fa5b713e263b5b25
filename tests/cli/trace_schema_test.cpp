// Counterexample traces (`mmcheck check --trace`, format mmcheck-trace/1, the README's "Using it")
// validate against tools/schema/mmcheck-trace-1.schema.json, on races that exercise forks,
// pins, pipes and soft-dirty; and the schema is not vacuous: broken traces are refused.
#include "tests/cli/cli_support.hpp"

namespace mmcheck::clitest {
namespace {

struct Race {
  const char* kernel;
  const char* invariant;
  std::string text;
};

// Small races from the scenario library (comments, summaries and expectations dropped).
const std::vector<Race> kRaces = {
    {"linux-5.8", "pinned_page_never_cowed", R"({"name": "pin-fork-parent-write-cow",
      "memory": {"A": {"type": "anon"}},
      "processes": {"P": {"threads": {"cpu0": [{"op": "fork", "child": "C"}, {"op": "write", "addr": "A", "value": 2},
                                               {"op": "pin_read", "pin": "dma"}]}},
                    "C": {"threads": {"cpu1": [{"op": "read", "addr": "A"}]}}},
      "setup": [{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                {"thread": "cpu0", "op": "pin", "addr": "A", "write": true, "as": "dma"}],
      "check": ["pinned_page_never_cowed", "pin_coherent"]})"},
    {"linux-5.7", "no_cross_mm_leak", R"({"name": "vmsplice-child-unmap-wrong-way-cow",
      "memory": {"A": {}},
      "processes": {"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 2}]}},
                    "C": {"threads": {"cpu1": [{"op": "vmsplice", "addr": "A", "as": "pipe"}, {"op": "munmap", "addr": "A"},
                                               {"op": "pin_read", "pin": "pipe"}]}}},
      "setup": [{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}, {"thread": "cpu0", "op": "fork", "child": "C"}],
      "check": ["no_cross_mm_leak"]})"},
    {"linux-5.10", "soft_dirty_sound", R"({"name": "clear-refs-no-flush-soft-dirty-missed",
      "memory": {"A": {}},
      "processes": {"P": {"threads": {"cpu0": [{"op": "clear_refs"}, {"op": "pagemap", "addr": "A"}],
                                      "cpu1": [{"op": "write", "addr": "A", "value": 2}]}}},
      "setup": [{"thread": "cpu1", "op": "write", "addr": "A", "value": 1}],
      "check": ["soft_dirty_sound"]})"},
    {"linux-5.10", "no_lost_write", kSpecExample},
};

TEST_CASE("The trace, report, suite and compare schemas are valid JSON Schemas",
          "[cli][trace][schema]") {
  require_jsonschema();
  for (const std::string& schema : {kTraceSchema, kReportSchema, kSuiteSchema, kCompareSchema}) {
    Result r = run_shell(shell_quote(kPython) +
                         " -c 'import jsonschema,json,sys; s=json.load(open(sys.argv[1])); "
                         "jsonschema.validators.validator_for(s).check_schema(s)' " +
                         shell_quote(schema));
    INFO(schema << "\n" << r.err);
    CHECK(r.status == 0);
  }
}

TEST_CASE("Traces of races with forks, pins, pipes and soft-dirty validate against the schema",
          "[cli][trace][schema]") {
  for (const Race& race : kRaces) {
    std::string file = write_scenario(race.text, "race");
    std::string trace = temp_dir().fresh("trace", ".json");
    Check c = check_json(file, {"--kernel", race.kernel, "--trace", trace});
    INFO(race.kernel << " " << race.invariant << "\n" << describe(c.result));
    CHECK(c.result.status == 10);
    CHECK(c.report["invariant"] == race.invariant);
    validate_trace(trace);
    json t = parse_json(read_file(trace), "the trace");
    CHECK(t["verdict"] == "violation");
    CHECK(t["invariant"] == race.invariant);
    CHECK(t["kernel"] == race.kernel);
    // Every step's thread is one of the scenario's threads, and its changes really change.
    for (const auto& step : t["steps"]) {
      CHECK_THAT(race.text, Catch::Contains("\"" + step["thread"].get<std::string>() + "\""));
      for (const auto& change : step["changes"]) CHECK(change["from"] != change["to"]);
    }
  }
}

// Writes `trace` (a valid trace, edited) to a file and returns whether the schema accepts it.
bool trace_accepted(const json& trace) {
  require_jsonschema();
  std::string path = temp_dir().fresh("edited-trace", ".json");
  write_file(path, trace.dump(2));
  Result r = run_shell(
      shell_quote(kPython) +
      " -c 'import jsonschema,json,sys; jsonschema.validate(json.load(open(sys.argv[1])), "
      "json.load(open(sys.argv[2])))' " +
      shell_quote(path) + " " + shell_quote(kTraceSchema));
  return r.status == 0;
}

TEST_CASE("The trace schema refuses broken traces", "[cli][trace][schema]") {
  std::string file = write_scenario(kSpecExample);
  std::string trace_path = temp_dir().fresh("trace", ".json");
  Check c = check_json(file, {"--trace", trace_path});
  REQUIRE(c.result.status == 10);
  const json good = parse_json(read_file(trace_path), "the trace");
  REQUIRE(trace_accepted(good));

  auto edited = [&](auto&& edit) {
    json t = good;
    edit(t);
    return t;
  };
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["format"] = "mmcheck-trace/2"; })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["verdict"] = "holds"; })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["invariant"] = "no_lost_writes"; })));
  CHECK_FALSE(
      trace_accepted(edited([](json& t) { t["invariant"] = "no_deadlock"; })));  // with a violation
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["scenario"]["sha256"] = "d238059c"; })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["scenario"].erase("file"); })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["policy"]["cow_reuse"] = "sometimes"; })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["policy"].erase("uffd_wp"); })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["steps"] = json::array(); })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["steps"][0].erase("changes"); })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["steps"][0]["op_index"] = -1; })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["steps"][0]["colour"] = "red"; })));
  CHECK_FALSE(trace_accepted(edited([](json& t) {
    t["steps"][0]["changes"] = json::parse(R"([{"path": "P.pte.A.write", "from": 1}])");
  })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["final_state"]["P.pte.A.write"] = "1"; })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["stats"].erase("states"); })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["stats"]["seconds"] = -1; })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t.erase("final_state"); })));
  CHECK_FALSE(trace_accepted(edited([](json& t) { t["extra"] = 1; })));
  // A deadlock trace names no_deadlock.
  CHECK(trace_accepted(edited([](json& t) {
    t["verdict"] = "deadlock";
    t["invariant"] = "no_deadlock";
  })));
}

}  // namespace
}  // namespace mmcheck::clitest
