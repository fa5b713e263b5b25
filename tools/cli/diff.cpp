// `mmcheck diff FILE K1 K2`: the scenario's verdict on two presets and the policies in which the
// two differ, with both values and the commit each follows.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/compare.hpp"

namespace mmcheck::cli {

std::vector<PolicyChange> policy_changes(const vm::Scenario& scenario, const std::string& from,
                                         const std::string& to) {
  vm::Policy a = resolve_policy(scenario, from, {}, nullptr);
  vm::Policy b = resolve_policy(scenario, to, {}, nullptr);
  std::vector<PolicyChange> out;
  for (const auto& info : vm::policy_infos()) {
    std::string va = vm::policy_value(a, info.name), vb = vm::policy_value(b, info.name);
    if (va != vb) out.push_back({info.name, va, vb, info.history});
  }
  return out;
}

RunOutcome run_on(const vm::Scenario& scenario, const CompareArgs& args, const std::string& kernel,
                  const std::vector<std::pair<std::string, std::string>>& sets) {
  RunConfig config;
  config.kernel = kernel;
  config.sets = sets;
  config.search.threads = args.threads;
  return run_scenario(scenario, config);
}

nlohmann::json brief_json(const RunOutcome& o) {
  nlohmann::json j = {{"kernel", o.kernel},
                      {"overrides", o.overrides},
                      {"verdict", outcome_name(o.verdict)},
                      {"result", actual_text(o)},
                      {"exit_code", o.exit_code}};
  if (!o.invariant.empty()) j["invariant"] = o.invariant;
  if (o.verdict != Outcome::Unsupported) j["states"] = o.stats.states;
  return j;
}

int diff_command(const CompareArgs& args) {
  vm::Scenario scenario = vm::load_scenario(args.file);
  std::vector<PolicyChange> changes = policy_changes(scenario, args.a, args.b);
  RunOutcome a = run_on(scenario, args, args.a, {});
  RunOutcome b = run_on(scenario, args, args.b, {});
  int status = comparison_exit_status({&a, &b});
  bool same = actual_text(a) == actual_text(b);
  if (args.json) {
    nlohmann::json policies = nlohmann::json::array();
    for (const PolicyChange& c : changes)
      policies.push_back(
          {{"policy", c.policy}, {"a", c.from}, {"b", c.to}, {"history", c.history}});
    nlohmann::json out = {{"scenario", {{"name", scenario.name}, {"file", scenario.file}}},
                          {"a", brief_json(a)},
                          {"b", brief_json(b)},
                          {"same_verdict", same},
                          {"policies", policies},
                          {"exit_code", status}};
    std::cout << out.dump(2) << "\n";
    return status;
  }
  std::printf("%s\n  %-11s %s\n  %-11s %s\n", scenario.name.c_str(), a.kernel.c_str(),
              actual_text(a).c_str(), b.kernel.c_str(), actual_text(b).c_str());
  std::printf("%s\n", same ? "Same verdict." : "The verdicts differ.");
  if (changes.empty()) {
    std::printf("No modelled policy differs between %s and %s.\n", a.kernel.c_str(),
                b.kernel.c_str());
    return status;
  }
  std::printf("Policies that differ (%s -> %s):\n", a.kernel.c_str(), b.kernel.c_str());
  print_changes(changes);
  return status;
}

void print_changes(const std::vector<PolicyChange>& changes) {
  std::size_t name = 0, values = 0;
  for (const PolicyChange& c : changes) {
    name = std::max(name, c.policy.size());
    values = std::max(values, c.from.size() + c.to.size() + 4);
  }
  for (const PolicyChange& c : changes)
    std::printf("  %-*s  %-*s  %s\n", static_cast<int>(name), c.policy.c_str(),
                static_cast<int>(values), (c.from + " -> " + c.to).c_str(), c.history.c_str());
}

}  // namespace mmcheck::cli
