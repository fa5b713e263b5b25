// What `check` says besides the verdict: whether the scenario's own "expect" for this preset
// matched, the scenario's outcomes, and the warnings that a pass may not mean much (no
// must_reach for the preset, an op that never completes normally).
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
  // An op that never completes normally in a search that explored everything: the scenario may
  // not test what it means to (a store to a read-only region, a thread that never gets there).
  std::size_t k = 0;
  for (const vm::Thread& t : scenario.threads) {
    bool reached = true;  // the op before this one ended somewhere (or there is none)
    for (const vm::Op& op : t.ops) {
      if (k >= o.op_ends.size()) break;
      const RunOutcome::OpEnd& e = o.op_ends[k++];
      std::string what = e.op + " (" + e.text + ") ";
      bool access = op.kind == vm::OpKind::Read || op.kind == vm::OpKind::Write;
      if (!e.done && e.failed)
        out.push_back(what + (access ? "ends in SIGSEGV" : "fails (its error return)") +
                      " in every interleaving");
      else if (!e.done && reached)
        out.push_back(what + "never completes: it blocks in every interleaving");
      else if (!e.done)
        out.push_back(what + "never runs: " + t.name + " never gets that far in any interleaving");
      reached = e.done || e.failed;
    }
  }
  return out;
}

// The scenario's outcomes (README "Outcomes"): each combination of returned values with its
// number of final states, or why they were not counted.
nlohmann::json outcomes_json(const vm::Scenario& scenario, const RunOutcome& o) {
  nlohmann::json observed = nlohmann::json::array();
  for (const vm::ObservedOp& x : scenario.outcomes)
    observed.push_back({{"op", x.name}, {"text", scenario.threads[x.thread].ops[x.op].text}});
  bool counted = o.verdict == Outcome::Holds;
  nlohmann::json counts = nlohmann::json::array();
  std::uint64_t total = 0;
  for (const RunOutcome::OutcomeCount& c : o.outcomes) {
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t i = 0; i < c.values.size(); ++i)
      values[scenario.outcomes[i].name] =
          c.values[i] < 0 ? nlohmann::json() : nlohmann::json(c.values[i]);
    counts.push_back({{"values", values}, {"final_states", c.final_states}});
    total += c.final_states;
  }
  return {{"observed", observed},
          {"counted", counted},
          {"final_states", counted ? nlohmann::json(total) : nlohmann::json()},
          {"counts", counts}};
}

std::string outcomes_text(const vm::Scenario& scenario, const RunOutcome& o) {
  std::string names;
  for (const vm::ObservedOp& x : scenario.outcomes)
    names +=
        (names.empty() ? "" : ", ") + x.name + " = " + scenario.threads[x.thread].ops[x.op].text;
  if (o.verdict != Outcome::Holds)
    return "  outcomes (" + names +
           "): not counted, the search stopped before it explored every state\n";
  std::uint64_t total = 0;
  for (const RunOutcome::OutcomeCount& c : o.outcomes) total += c.final_states;
  std::string out = "  outcomes (" + names + "): " + std::to_string(o.outcomes.size()) +
                    (o.outcomes.size() == 1 ? " combination" : " combinations") + " in " +
                    std::to_string(total) + " final states (-: no value)\n";
  for (const RunOutcome::OutcomeCount& c : o.outcomes) {
    std::string line = "   ";
    for (std::size_t i = 0; i < c.values.size(); ++i)
      line += " " + scenario.outcomes[i].name + "=" +
              (c.values[i] < 0 ? std::string("-") : std::to_string(c.values[i]));
    out += line + "  " + std::to_string(c.final_states) + " final state" +
           (c.final_states == 1 ? "" : "s") + "\n";
  }
  return out;
}

void add_check_notes(nlohmann::json& report, const vm::Scenario& scenario, const RunOutcome& o) {
  report["expectation"] = expectation_json(scenario, o);
  report["warnings"] = check_warnings(scenario, o);
  if (!scenario.outcomes.empty()) report["outcomes"] = outcomes_json(scenario, o);
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
  if (!scenario.outcomes.empty() && o.verdict != Outcome::Unsupported)
    out += outcomes_text(scenario, o);
  for (const std::string& w : check_warnings(scenario, o)) out += "warning: " + w + "\n";
  return out;
}

}  // namespace mmcheck::cli
