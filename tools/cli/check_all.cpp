// `mmcheck check FILE --kernel all`: the scenario on every preset, one line each, with the
// scenario's own expectation for the preset when it has one (no "expect" is needed).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/suite.hpp"
#include "tools/run/interrupt.hpp"

namespace mmcheck::cli {

int comparison_exit_status(const std::vector<const RunOutcome*>& runs) {
  int status = kExitHolds;
  for (const RunOutcome* o : runs) {
    if (o->verdict == Outcome::Nondeterministic) return kExitInternal;
    if (o->verdict == Outcome::Incomplete) status = kExitIncomplete;
  }
  return status;
}

int check_all_command(const CheckArgs& args) {
  if (!args.trace.empty())
    throw vm::InputError("--trace", "",
                         "--kernel all writes no trace (one file would hold 29 runs): check one "
                         "preset with --trace");
  if (!args.checkpoint.empty() || !args.resume.empty())
    throw vm::InputError(args.checkpoint.empty() ? "--resume" : "--checkpoint", "",
                         "--kernel all is 29 searches: checkpoint one preset at a time");
  vm::Scenario scenario = vm::load_scenario(args.file);
  RunConfig config;
  config.sets = parse_sets(args.sets);
  resolve_policy(scenario, vm::presets().front().name, config.sets, nullptr);  // bad --set: 2
  config.search = search_options(args);
  config.search.comm = args.comm;  // under mpirun, each preset's search is distributed
  std::vector<RunOutcome> outcomes;
  for (const auto& preset : vm::presets()) {
    config.kernel = preset.name;
    outcomes.push_back(run_scenario(scenario, config));
  }
  // The exit status says whether every preset ran to a verdict; the verdicts, the expect and
  // must_reach are in the lines (a must_reach written for some presets may not apply to all).
  std::vector<const RunOutcome*> runs;
  for (const RunOutcome& o : outcomes) runs.push_back(&o);
  int status = comparison_exit_status(runs);
  auto expectation = [&](const RunOutcome& o) -> std::string {
    auto it = scenario.expect.find(o.kernel);
    return it == scenario.expect.end() ? "" : expected_text(it->second);
  };
  if (args.json) {
    nlohmann::json presets = nlohmann::json::array();
    for (const RunOutcome& o : outcomes) {
      nlohmann::json report = report_json(scenario, o);
      std::string want = expectation(o);
      presets.push_back(
          {{"kernel", o.kernel},
           {"verdict", outcome_name(o.verdict)},
           {"result", actual_text(o)},
           {"expected", want.empty() ? nlohmann::json(nullptr) : nlohmann::json(want)},
           {"exit_code", o.exit_code},
           {"report", report}});
    }
    nlohmann::json out = {
        {"scenario", {{"name", scenario.name}, {"file", scenario.file}}},
        {"kernel", "all"},
        {"overrides", args.sets},
        {"presets", presets},
        {"exit_code", status},
    };
    std::cout << json_text(out) << "\n";
    return status;
  }
  std::string patch;
  for (const std::string& s : args.sets) patch += (patch.empty() ? " + " : ", ") + s;
  std::printf("%s on every preset%s:\n", scenario.name.c_str(), patch.c_str());
  std::size_t width = 0;
  for (const RunOutcome& o : outcomes) width = std::max(width, actual_text(o).size());
  for (const RunOutcome& o : outcomes) {
    std::string result = actual_text(o);
    std::string want = expectation(o);
    std::string note;
    if (o.verdict == Outcome::Unsupported)
      note = o.unsupported_reason;
    else
      note = std::to_string(o.stats.states) + " states";
    if (!o.unreached.empty()) note += "; must_reach not reached (vacuous)";
    if (!want.empty()) note += want == result ? "; as expected" : "; EXPECTED " + want;
    std::printf("  %-11s %-*s  %s\n", o.kernel.c_str(), static_cast<int>(width), result.c_str(),
                note.c_str());
  }
  return status;
}

}  // namespace mmcheck::cli
