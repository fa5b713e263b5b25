// What `mmcheck diff` and `mmcheck bisect` share: the policies in which two presets differ (as
// the scenario resolves them, its own "policy" object included), and one run of the scenario.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "models/scenario.hpp"
#include "tools/cli/commands.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

struct PolicyChange {
  std::string policy;
  std::string from;  // the value on the first preset
  std::string to;    // the value on the second
  std::string history;
};

// Throws vm::InputError for an unknown preset.
std::vector<PolicyChange> policy_changes(const vm::Scenario& scenario, const std::string& from,
                                         const std::string& to);
RunOutcome run_on(const vm::Scenario& scenario, const CompareArgs& args, const std::string& kernel,
                  const std::vector<std::pair<std::string, std::string>>& sets);
// The kernel, overrides, verdict, result phrase, exit status and states of one run.
nlohmann::json brief_json(const RunOutcome& o);
// One scenario run on two presets, and the policies in which they differ.
struct Comparison {
  vm::Scenario scenario;
  std::vector<PolicyChange> changes;
  RunOutcome a;
  RunOutcome b;
  bool same = false;  // the same verdict (and invariant) on both
};
Comparison compare_kernels(const CompareArgs& args);
// {"scenario", "a", "b", "same_verdict"}: what diff's and bisect's --json begin with.
nlohmann::json comparison_json(const Comparison& c);
// The scenario's name and its verdict on each preset, one line each.
void print_verdicts(const Comparison& c);
// "  policy from -> to   history", aligned.
void print_changes(const std::vector<PolicyChange>& changes);

}  // namespace mmcheck::cli
