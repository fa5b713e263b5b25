// Writing a scenario without guessing (the README's "Writing a scenario"): `mmcheck list ops -v`
// prints each op's fields with their types, defaults and limits and its kernel steps, and what it
// prints is what the loader accepts; near-miss names get a "did you mean"; trailing commas are
// accepted; the JSON Schema of scenario files accepts the library and lists every op; `mmcheck
// init NAME` prints a template that checks.
#include <algorithm>
#include <map>
#include <set>

#include "models/json_reader.hpp"
#include "tests/cli/cli_support.hpp"

namespace mmcheck::clitest {
namespace {

struct VerboseOp {
  std::vector<std::string> names;                    // the name, then its aliases
  std::vector<std::string> fields;                   // in order
  std::map<std::string, std::string> field_details;  // field -> "TYPE, required; LIMITS"
  std::vector<std::string> steps;
};

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string::npos) return out;
    start = at + sep.size();
  }
}

// Parses `mmcheck list ops -v`: "NAME (alias: A, B)", then "  FIELD: TYPE, ...; LIMITS" lines
// (or "  (no fields)") and "  kernel steps: S, S".
std::vector<VerboseOp> list_ops_verbose() {
  Result r = run_mmcheck({"list", "ops", "-v"});
  INFO(describe(r));
  REQUIRE(r.status == 0);
  std::vector<VerboseOp> ops;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] != ' ') {
      VerboseOp op;
      std::string name = line.substr(0, line.find(' '));
      op.names.push_back(name);
      auto alias = line.find("(alias: ");
      if (alias != std::string::npos)
        for (const auto& a : split(line.substr(alias + 8, line.rfind(')') - alias - 8), ", "))
          op.names.push_back(a);
      ops.push_back(op);
      continue;
    }
    REQUIRE(!ops.empty());
    std::string body = line.substr(2);
    if (body == "(no fields)") continue;
    if (body.rfind("kernel steps: ", 0) == 0) {
      ops.back().steps = split(body.substr(14), ", ");
      continue;
    }
    auto colon = body.find(": ");
    REQUIRE(colon != std::string::npos);
    ops.back().fields.push_back(body.substr(0, colon));
    ops.back().field_details[body.substr(0, colon)] = body.substr(colon + 2);
  }
  return ops;
}

std::string one_op_scenario(const std::string& op) {
  return R"({ "name": "fields", "memory": { "A": { "pages": 2, "words": 2 } },
    "processes": { "P": { "threads": { "cpu0": [ )" +
         op + " ] } }, \"C\": { \"threads\": {} } } }";
}

TEST_CASE("list ops -v prints every op with its aliases, fields and kernel steps",
          "[cli][list][authoring]") {
  std::vector<VerboseOp> ops = list_ops_verbose();
  std::vector<std::string> names;
  for (const auto& op : ops) names.insert(names.end(), op.names.begin(), op.names.end());
  CHECK(names == kOps);
  std::set<std::string> all_steps;
  for (const auto& s : split(run_mmcheck({"list", "steps"}).out, "\n"))
    if (!s.empty()) all_steps.insert(s);
  for (const auto& op : ops) {
    INFO(op.names.front());
    CHECK(!op.steps.empty());
    for (const auto& s : op.steps) {
      INFO(s);
      CHECK(all_steps.count(s) == 1);  // each a step `list steps` names (and must_reach takes)
    }
  }
  std::map<std::string, VerboseOp> by_name;
  for (const auto& op : ops) by_name[op.names.front()] = op;
  CHECK(by_name["write"].fields == std::vector<std::string>{"addr", "word", "value"});
  CHECK(by_name["clear_refs"].fields.empty());
  CHECK(by_name["get"].names == std::vector<std::string>{"get", "vmsplice"});
  // The limits the loader enforces: 8 pages, 4 words, values 0-255, the choices of mode.
  CHECK_THAT(by_name["munmap"].field_details["pages"], Catch::StartsWith("integer, default 1"));
  CHECK_THAT(by_name["munmap"].field_details["pages"], Catch::Contains("1 to 8"));
  CHECK_THAT(by_name["write"].field_details["word"],
             Catch::StartsWith("integer, default 0; 0 to 3"));
  CHECK_THAT(by_name["write"].field_details["value"], Catch::Contains("0 to 255"));
  CHECK_THAT(by_name["write"].field_details["value"], Catch::Contains("a fresh value"));
  CHECK_THAT(by_name["write"].field_details["addr"], Catch::StartsWith("address, required"));
  CHECK_THAT(by_name["uffd_register"].field_details["mode"],
             Catch::Contains(R"("wp", "missing", "missing+wp")"));
  CHECK_THAT(by_name["mprotect"].field_details["prot"], Catch::StartsWith("choice, required"));
  CHECK_THAT(by_name["fork"].field_details["child"], Catch::StartsWith("process, required"));
  CHECK_THAT(by_name["write"].steps.front(), Catch::Contains("."));
}

TEST_CASE("The fields list ops -v prints are exactly the keys the loader accepts for each op",
          "[cli][list][authoring]") {
  for (const auto& op : list_ops_verbose()) {
    INFO(op.names.front());
    // An unknown key makes the loader list the op's valid keys.
    std::string file = write_scenario(
        one_op_scenario(R"({ "op": ")" + op.names.front() + R"(", "no_such_field": 1 })"));
    Result r = run_mmcheck({"check", file});
    INFO(describe(r));
    CHECK(r.status == 2);
    std::vector<std::string> keys = {"op"};
    keys.insert(keys.end(), op.fields.begin(), op.fields.end());
    CHECK_THAT(r.err, Catch::Contains("valid keys here: " + joined(keys)));
    // With the required fields left out, the loader names one of them as missing.
    std::set<std::string> required;
    for (const auto& [field, details] : op.field_details)
      if (details.find(", required") != std::string::npos) required.insert(field);
    if (required.empty()) continue;
    std::string missing =
        write_scenario(one_op_scenario(R"({ "op": ")" + op.names.front() + R"(" })"));
    Result m = run_mmcheck({"check", missing});
    INFO(describe(m));
    CHECK(m.status == 2);
    auto at = m.err.find("needs \"");
    REQUIRE(at != std::string::npos);
    std::string named = m.err.substr(at + 7, m.err.find('"', at + 7) - at - 7);
    CHECK(required.count(named) == 1);
  }
}

TEST_CASE("The integer limits list ops -v prints are the loader's", "[cli][list][authoring]") {
  // One past the printed maximum is refused with the same range.
  std::string too_many = write_scenario(R"({ "name": "limits", "memory": { "A": { "pages": 9 } },
    "processes": { "P": { "threads": { "cpu0": [] } } } })");
  CHECK_THAT(run_mmcheck({"check", too_many}).err, Catch::Contains("from 1 to 8"));
  std::string big_value =
      write_scenario(one_op_scenario(R"({ "op": "write", "addr": "A", "value": 256 })"));
  CHECK_THAT(run_mmcheck({"check", big_value}).err, Catch::Contains("from 0 to 255"));
}

// --- did you mean ------------------------------------------------------------------------------

std::string base_scenario(const std::string& ops, const std::string& extra = "") {
  return R"({ "name": "near-miss", "memory": { "A": { "words": 2 } },
    "processes": { "P": { "threads": { "cpu0": [ )" +
         ops + " ] } } }" + extra + " }";
}

const std::string kOp0 = "/processes/P/threads/cpu0/0";

TEST_CASE("A near-miss op, key, region or choice gets a did-you-mean with the valid names",
          "[cli][bad-input][authoring]") {
  expect_bad_scenario(base_scenario(R"({ "op": "wirte", "addr": "A" })"), kOp0 + "/op",
                      {R"(unknown op "wirte" (did you mean "write"?); valid ops: read, write)"});
  expect_bad_scenario(base_scenario(R"({ "op": "write", "adr": "A" })"), kOp0 + "/adr",
                      {R"(unknown key "adr" (did you mean "addr"?); valid keys here: op, addr)"});
  expect_bad_scenario(base_scenario(R"({ "op": "read", "addr": "a" })"), kOp0 + "/addr",
                      {R"(unknown region "a" (did you mean "A"?); regions: A)"});
  expect_bad_scenario(base_scenario(R"({ "op": "uffd_register", "addr": "A", "mode": "missng" })"),
                      kOp0 + "/mode",
                      {R"(got "missng" (did you mean "missing"?))", R"("missing+wp")"});
  expect_bad_scenario(base_scenario(R"({ "op": "read", "addr": "A" })", R"(, "chek": "all")"),
                      "/chek", {R"(unknown key "chek" (did you mean "check"?))"});
}

TEST_CASE("uffd_register's features and pagemap_scan's wp are checked where they are written",
          "[cli][bad-input][authoring]") {
  expect_bad_scenario(
      base_scenario(R"({ "op": "uffd_register", "addr": "A", "features": "wp_asnyc" })"),
      kOp0 + "/features", {R"(got "wp_asnyc" (did you mean "wp_async"?))", R"("wp_unpopulated")"});
  expect_bad_scenario(base_scenario(R"({ "op": "uffd_register", "addr": "A", "mode": "missing",
                                        "features": "wp_unpopulated" })"),
                      kOp0 + "/features", {R"(it needs a mode with "wp")"});
  expect_bad_scenario(base_scenario(R"({ "op": "pagemap_scan", "addr": "A", "wp": "yes" })"),
                      kOp0 + "/wp", {"true or false"});
}

TEST_CASE("A near-miss invariant, preset, policy, step or thread gets a did-you-mean",
          "[cli][bad-input][authoring]") {
  const std::string read = R"({ "op": "read", "addr": "A" })";
  expect_bad_scenario(base_scenario(read, R"(, "check": ["no_lost_writes"])"), "/check/0",
                      {R"(unknown invariant "no_lost_writes" (did you mean "no_lost_write"?))",
                       "valid invariants: "});
  expect_bad_scenario(base_scenario(read, R"(, "kernel": "linux-5.100")"), "/kernel",
                      {R"((did you mean "linux-5.10"?); valid presets: )"});
  expect_bad_scenario(base_scenario(read, R"(, "expect": { "lastest": "holds" })"),
                      "/expect/lastest", {R"((did you mean "latest"?))"});
  expect_bad_scenario(base_scenario(read, R"(, "policy": { "cow_reuze": "mapcount" })"),
                      "/policy/cow_reuze",
                      {R"(unknown policy "cow_reuze" (did you mean "cow_reuse"?))"});
  expect_bad_scenario(base_scenario(read, R"(, "policy": { "cow_reuse": "refcont" })"),
                      "/policy/cow_reuse", {R"((got "refcont" (did you mean "refcount"?)))"});
  expect_bad_scenario(base_scenario(read, R"(, "must_reach": ["do_wp_pge"])"), "/must_reach/0",
                      {R"(unknown kernel step "do_wp_pge" (did you mean "do_wp_page"?))"});
  expect_bad_scenario(base_scenario(read, R"(, "setup": [ { "thread": "cpu", "op": "read",
                      "addr": "A" } ])"),
                      "/setup/0/thread", {R"(unknown thread "cpu" (did you mean "cpu0"?))"});
  // On the command line too: --kernel and --set.
  std::string file = write_scenario(base_scenario(read));
  Result r = run_mmcheck({"check", file, "--kernel", "linux-6.4x"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains(R"((did you mean "linux-6.4"?))"));
  r = run_mmcheck({"check", file, "--set", "fault_lok=mmap"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains(R"((did you mean "fault_lock"?))"));
}

TEST_CASE("A name far from every valid one gets no did-you-mean", "[cli][bad-input][authoring]") {
  expect_bad_scenario(base_scenario(R"({ "op": "frobnicate", "addr": "A" })"), kOp0 + "/op",
                      {R"(unknown op "frobnicate"; valid ops: )"});
  std::string file = write_scenario(base_scenario(R"({ "op": "zz", "addr": "A" })"));
  CHECK_THAT(run_mmcheck({"check", file}).err, !Catch::Contains("did you mean"));
}

// --- trailing commas ---------------------------------------------------------------------------

TEST_CASE("Trailing commas are accepted in objects and arrays, also before comments",
          "[cli][authoring]") {
  Check c = check_json(write_scenario(R"({
    "name": "trailing-commas",  // a comment with a comma, }
    "memory": { "A": { "words": 2, }, },
    "processes": { "P": { "threads": {
      "cpu0": [ { "op": "write", "addr": "A", "value": 1, }, ],
      "cpu1": [ { "op": "read", "addr": "A", }, /* last, */ ],
    } } },
    "check": [ "no_lost_write", ],
    "references": [ "a string with ,] and ,} inside", ],
  })"));
  INFO(describe(c.result));
  CHECK(c.result.status == 0);
  CHECK(c.report["verdict"] == "holds");
  CHECK(c.report["checks"] == json::array({"no_lost_write"}));
}

TEST_CASE("A comma that is not trailing is still an error, located by line and column",
          "[cli][bad-input][authoring]") {
  // Two commas in a row, and a leading comma, are not trailing commas.
  expect_bad_scenario("{ \"name\": \"x\",, \"memory\": {} }", "", {"not valid JSON", "line 1"});
  expect_bad_scenario("{\n  \"name\": \"x\",\n  \"memory\": { , \"A\": {} }\n}", "/memory",
                      {"not valid JSON", "line 3, column"});
}

// --- the JSON Schema of scenario files --------------------------------------------------------

const std::string kScenarioSchema = kSourceDir + "/tools/schema/mmcheck-scenario-1.schema.json";

// Validates scenario text (comments and trailing commas allowed: parsed as mmcheck does, then
// written as plain JSON) against the scenario schema; true when it validates.
bool scenario_validates(const std::string& text) {
  std::string path = temp_dir().fresh("plain", ".json");
  write_file(path, json::parse(vm::blank_trailing_commas(text), nullptr, true,
                               /*ignore_comments=*/true)
                       .dump());
  Result r = run_validator(path, kScenarioSchema);
  INFO(r.err.substr(0, 3000));
  return r.status == 0;
}

TEST_CASE("The scenario schema is a valid JSON Schema and accepts every scenario of the library",
          "[cli][schema][authoring]") {
  require_jsonschema();
  Result r = run_shell(shell_quote(kPython) +
                       " -c 'import jsonschema,json,sys; s=json.load(open(sys.argv[1])); "
                       "jsonschema.validators.validator_for(s).check_schema(s)' " +
                       shell_quote(kScenarioSchema));
  INFO(r.err);
  CHECK(r.status == 0);
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kSourceDir + "/scenarios")) {
    if (entry.path().extension() != ".json") continue;
    ++count;
    INFO(entry.path());
    CHECK(scenario_validates(read_file(entry.path().string())));
  }
  CHECK(count > 20);
  CHECK(scenario_validates(kSpecExample));
  // A scenario may name the schema for its editor; mmcheck ignores the key.
  std::string named = R"({ "$schema": "../tools/schema/mmcheck-scenario-1.schema.json",
    "name": "with-schema", "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "read", "addr": "A" } ] } } } })";
  CHECK(scenario_validates(named));
  CHECK(check_json(write_scenario(named)).result.status == 0);
}

TEST_CASE("The scenario schema refuses broken scenarios", "[cli][schema][authoring]") {
  auto with_op = [](const std::string& op, const std::string& extra = "") {
    return R"({ "name": "s", "memory": { "A": { "words": 2 } },
      "processes": { "P": { "threads": { "cpu0": [ )" +
           op + " ] } } }" + extra + " }";
  };
  CHECK(scenario_validates(with_op(R"({ "op": "write", "addr": "A", "word": 1, "value": 3 })")));
  CHECK_FALSE(scenario_validates(with_op(R"({ "op": "wirte", "addr": "A" })")));
  CHECK_FALSE(scenario_validates(with_op(R"({ "op": "write" })")));  // addr is required
  CHECK_FALSE(scenario_validates(with_op(R"({ "op": "read", "addr": "A", "value": 1 })")));
  CHECK_FALSE(scenario_validates(with_op(R"({ "op": "write", "addr": "A", "value": 256 })")));
  CHECK_FALSE(scenario_validates(with_op(R"({ "op": "munmap", "addr": "A", "pages": 9 })")));
  CHECK_FALSE(scenario_validates(with_op(R"({ "op": "read", "addr": "A" })", R"(, "chek": [])")));
  CHECK_FALSE(scenario_validates(
      with_op(R"({ "op": "read", "addr": "A" })", R"(, "expect": { "linux-9.9": "holds" })")));
  // A setup op names its thread; a thread's op may not.
  CHECK(scenario_validates(
      with_op(R"({ "op": "read", "addr": "A" })",
              R"(, "setup": [ { "thread": "cpu0", "op": "read", "addr": "A" } ])")));
  CHECK_FALSE(scenario_validates(with_op(R"({ "thread": "cpu0", "op": "read", "addr": "A" })")));
}

TEST_CASE("The scenario schema lists exactly the ops of list ops, each with its fields",
          "[cli][schema][list][authoring]") {
  json schema = parse_json(read_file(kScenarioSchema), "the scenario schema");
  std::vector<std::string> listed;
  for (const auto& line : split(run_mmcheck({"list", "ops"}).out, "\n"))
    if (!line.empty()) listed.push_back(line);
  CHECK(listed == kOps);
  CHECK(schema["$defs"]["op_body"]["properties"]["op"]["enum"].get<std::vector<std::string>>() ==
        listed);
  for (const auto& op : list_ops_verbose()) {
    INFO(op.names.front());
    const json& def = schema["$defs"]["op_" + op.names.front()];
    REQUIRE(def.is_object());
    std::vector<std::string> fields;
    for (const auto& [key, value] : def["properties"].items())
      if (key != "op") fields.push_back(key);
    std::vector<std::string> want = op.fields;
    std::sort(want.begin(), want.end());
    std::sort(fields.begin(), fields.end());
    CHECK(fields == want);
  }
  // And the committed file is what tools/scenario-schema.py makes from this mmcheck.
  Result r =
      run_shell(shell_quote(kPython) + " " + shell_quote(kSourceDir + "/tools/scenario-schema.py") +
                " " + shell_quote(kBinary));
  INFO(r.err);
  REQUIRE(r.status == 0);
  INFO("regenerate it: tools/scenario-schema.py build/release/mmcheck > " << kScenarioSchema);
  CHECK(parse_json(r.out, "the generated schema") == schema);
}

// --- mmcheck init --------------------------------------------------------------------------------

TEST_CASE("init NAME prints a commented template that checks, holds and reaches its must_reach",
          "[cli][authoring]") {
  Result r = run_mmcheck({"init", "my-race"});
  INFO(describe(r));
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::StartsWith("//"));
  CHECK_THAT(r.out, Catch::Contains(R"("name": "my-race")"));
  CHECK_THAT(r.out, Catch::Contains("mmcheck list ops -v"));
  std::string file = write_scenario(r.out, "init");
  Check c = check_json(file);
  INFO(describe(c.result));
  CHECK(c.result.status == 0);
  CHECK(c.report["verdict"] == "holds");
  CHECK(c.report["scenario"]["name"] == "my-race");
  REQUIRE(c.report["must_reach"].size() == 1);
  CHECK(c.report["must_reach"][0]["reached"] == true);
  CHECK(c.report["expectation"]["met"] == true);
  CHECK(c.report["warnings"] == json::array());
  CHECK(scenario_validates(r.out.substr(0)) == true);
  // A name that needs escaping stays one JSON string.
  Result quoted = run_mmcheck({"init", "a \"quoted\" name"});
  CHECK(check_json(write_scenario(quoted.out, "init")).report["scenario"]["name"] ==
        "a \"quoted\" name");
}

// --- check: the scenario's own expect, and the warnings -----------------------------------------

TEST_CASE("check says whether the scenario's expect for the preset matched, in JSON and text",
          "[cli][authoring]") {
  std::string file = write_scenario(kSpecExample);
  Check violates = check_json(file, {"--kernel", "linux-5.10"});
  CHECK(violates.result.status == 10);
  CHECK(violates.report["expectation"] == json({{"preset", "linux-5.10"},
                                                {"expected", "violates no_lost_write"},
                                                {"result", "violates no_lost_write"},
                                                {"met", true}}));
  CHECK(violates.report["warnings"] == json::array());
  // A patch that fixes the race: linux-5.10's expect is no longer met.
  Check patched =
      check_json(file, {"--kernel", "linux-5.10", "--set", "uffd_wp_pending_flush=true"});
  CHECK(patched.report["verdict"] == "holds");
  CHECK(patched.report["expectation"]["met"] == false);
  CHECK(patched.report["expectation"]["result"] == "holds");
  Result text =
      run_mmcheck({"check", file, "--kernel", "linux-5.10", "--set", "uffd_wp_pending_flush=true"});
  CHECK_THAT(text.out, Catch::Contains("expect (linux-5.10): violates no_lost_write: NOT MATCHED"));
  CHECK_THAT(run_mmcheck({"check", file, "--kernel", "linux-5.12"}).out,
             Catch::Contains("expect (linux-5.12): holds: matched"));
  // No expect for this preset.
  Check none = check_json(file, {"--kernel", "linux-6.1"});
  CHECK(none.report["expectation"].is_null());
  CHECK_THAT(run_mmcheck({"check", file, "--kernel", "linux-6.1"}).out,
             Catch::Contains("expect: the scenario has none for linux-6.1"));
}

TEST_CASE("check warns when the preset has no must_reach", "[cli][authoring]") {
  std::string file = write_scenario(R"({ "name": "no-must-reach", "memory": { "A": {} },
    "processes": { "P": { "threads": { "cpu0": [ { "op": "write", "addr": "A" } ] } } },
    "must_reach": { "linux-5.10": ["do_anonymous_page"] } })");
  Check latest = check_json(file, {"--kernel", "latest"});
  REQUIRE(latest.report["warnings"].size() == 1);
  CHECK_THAT(latest.report["warnings"][0].get<std::string>(),
             Catch::Contains("no must_reach for latest"));
  CHECK_THAT(run_mmcheck({"check", file, "--kernel", "latest"}).out,
             Catch::Contains("warning: no must_reach for latest"));
  Check with = check_json(file, {"--kernel", "linux-5.10"});
  CHECK(with.report["warnings"] == json::array());
}

// --- the wrong kind of file ---------------------------------------------------------------------

TEST_CASE("A trace given to check says to use replay; a scenario given to replay says the converse",
          "[cli][bad-input][authoring]") {
  std::string scenario = write_scenario(kSpecExample);
  std::string trace = temp_dir().fresh("trace", ".json");
  REQUIRE(run_mmcheck({"check", scenario, "--trace", trace}).status == 10);
  require_bad_input(run_mmcheck({"check", trace, "--json"}), trace, "",
                    {"this is a trace (mmcheck-trace/1), not a scenario: use mmcheck replay"});
  require_bad_input(run_mmcheck({"replay", scenario, "--json"}), scenario, "",
                    {"this is a scenario, not a trace: use mmcheck check"});
  require_bad_input(run_mmcheck({"explain", scenario}), scenario, "",
                    {"this is a scenario, not a trace"});
  // A report given to check.
  std::string report = temp_dir().fresh("report", ".json");
  write_file(report, run_mmcheck({"check", scenario, "--json"}).out);
  require_bad_input(run_mmcheck({"check", report}), report, "",
                    {"this is a report (check --json output), not a scenario", scenario});
}

TEST_CASE("A file that cannot be read is reported with the system's reason",
          "[cli][bad-input][authoring]") {
  std::string missing = temp_dir().fresh("missing", ".json");
  require_bad_input(run_mmcheck({"check", missing}), missing, "",
                    {"cannot read the scenario file: No such file or directory"});
  require_bad_input(run_mmcheck({"replay", missing}), missing, "",
                    {"cannot read the trace file: No such file or directory"});
}

}  // namespace
}  // namespace mmcheck::clitest
