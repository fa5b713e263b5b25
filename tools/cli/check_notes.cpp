// What `check` says besides the verdict: whether the scenario's own "expect" for this preset
// matched, and the warnings that a pass may not mean much (no must_reach for the preset).
#include <string>

#include "tools/cli/commands.hpp"
#include "tools/cli/suite.hpp"

namespace mmcheck::cli {

nlohmann::json expectation_json(const vm::Scenario& scenario, const RunOutcome& o) {
  auto it = scenario.expect.find(o.kernel);
  if (it == scenario.expect.end()) return nullptr;
  std::string want = expected_text(it->second), got = actual_text(o);
  return {{"preset", o.kernel}, {"expected", want}, {"result", got}, {"met", want == got}};
}

std::vector<std::string> check_warnings(const vm::Scenario& scenario, const RunOutcome& o) {
  std::vector<std::string> out;
  if (o.verdict != Outcome::Unsupported && scenario.must_reach_for(o.kernel).empty())
    out.push_back("no must_reach for " + o.kernel +
                  ": nothing shows the race's steps were explored, so a pass may be vacuous "
                  "(add \"must_reach\"; `mmcheck list steps`)");
  return out;
}

void add_check_notes(nlohmann::json& report, const vm::Scenario& scenario, const RunOutcome& o) {
  report["expectation"] = expectation_json(scenario, o);
  report["warnings"] = check_warnings(scenario, o);
}

std::string check_notes_text(const vm::Scenario& scenario, const RunOutcome& o) {
  std::string out;
  nlohmann::json e = expectation_json(scenario, o);
  std::string label = kernel_label(o.kernel, o.overrides);
  if (e.is_null())
    out += "  expect: the scenario has none for " + o.kernel + "\n";
  else if (e["met"].get<bool>())
    out += "  expect (" + o.kernel + "): " + e["expected"].get<std::string>() + ": matched\n";
  else
    out += "  expect (" + o.kernel + "): " + e["expected"].get<std::string>() +
           ": NOT MATCHED on " + label + " (got " + e["result"].get<std::string>() + ")\n";
  for (const std::string& w : check_warnings(scenario, o)) out += "warning: " + w + "\n";
  return out;
}

}  // namespace mmcheck::cli
