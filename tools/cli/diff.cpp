// `mmcheck diff FILE K1 K2`: the scenario's verdict on two presets and the policies in which the
// two differ, with both values and the commit each follows.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/compare.hpp"
#include "tools/run/interrupt.hpp"

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
  config.search.interrupt = &interrupt_flag();
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

Comparison compare_kernels(const CompareArgs& args) {
  Comparison c;
  c.scenario = vm::load_scenario(args.file);
  c.changes = policy_changes(c.scenario, args.a, args.b);
  c.a = run_on(c.scenario, args, args.a, {});
  c.b = run_on(c.scenario, args, args.b, {});
  c.same = actual_text(c.a) == actual_text(c.b);
  return c;
}

nlohmann::json comparison_json(const Comparison& c) {
  return {{"scenario", {{"name", c.scenario.name}, {"file", c.scenario.file}}},
          {"a", brief_json(c.a)},
          {"b", brief_json(c.b)},
          {"same_verdict", c.same}};
}

void print_verdicts(const Comparison& c) {
  std::printf("%s\n  %-11s %s\n  %-11s %s\n", c.scenario.name.c_str(), c.a.kernel.c_str(),
              actual_text(c.a).c_str(), c.b.kernel.c_str(), actual_text(c.b).c_str());
}

int diff_command(const CompareArgs& args) {
  Comparison c = compare_kernels(args);
  int status = comparison_exit_status({&c.a, &c.b});
  if (args.json) {
    nlohmann::json out = comparison_json(c);
    out["policies"] = nlohmann::json::array();
    for (const PolicyChange& p : c.changes)
      out["policies"].push_back(
          {{"policy", p.policy}, {"a", p.from}, {"b", p.to}, {"history", p.history}});
    out["exit_code"] = status;
    std::cout << json_text(out) << "\n";
    return status;
  }
  print_verdicts(c);
  std::printf("%s\n", c.same ? "Same verdict." : "The verdicts differ.");
  if (c.changes.empty()) {
    std::printf("No modelled policy differs between %s and %s.\n", c.a.kernel.c_str(),
                c.b.kernel.c_str());
    return status;
  }
  std::printf("Policies that differ (%s -> %s):\n", c.a.kernel.c_str(), c.b.kernel.c_str());
  print_changes(c.changes);
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
