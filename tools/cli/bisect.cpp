// `mmcheck bisect FILE K1 K2`: when the two presets' verdicts differ, each policy in which they
// differ is applied alone to K1 (with K2's value) and the scenario run again; the policies whose
// change alone flips K1's verdict are printed with their commits.
#include <cstdio>
#include <iostream>

#include "invariants/checker.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/compare.hpp"

namespace mmcheck::cli {

int bisect_command(const CompareArgs& args) {
  vm::Scenario scenario = vm::load_scenario(args.file);
  std::vector<PolicyChange> changes = policy_changes(scenario, args.a, args.b);
  RunOutcome a = run_on(scenario, args, args.a, {});
  RunOutcome b = run_on(scenario, args, args.b, {});
  bool same = actual_text(a) == actual_text(b);
  std::vector<RunOutcome> tries;
  if (!same)
    for (const PolicyChange& c : changes)
      tries.push_back(run_on(scenario, args, args.a, {{c.policy, c.to}}));
  std::vector<const RunOutcome*> runs = {&a, &b};
  for (const RunOutcome& t : tries) runs.push_back(&t);
  int status = comparison_exit_status(runs);
  auto flips = [&](std::size_t i) { return actual_text(tries[i]) != actual_text(a); };
  if (args.json) {
    nlohmann::json candidates = nlohmann::json::array();
    nlohmann::json flipping = nlohmann::json::array();
    for (std::size_t i = 0; i < tries.size(); ++i) {
      const PolicyChange& c = changes[i];
      candidates.push_back({{"policy", c.policy},
                            {"from", c.from},
                            {"to", c.to},
                            {"history", c.history},
                            {"result", actual_text(tries[i])},
                            {"verdict", outcome_name(tries[i].verdict)},
                            {"flips", flips(i)}});
      if (flips(i)) flipping.push_back(c.policy);
    }
    nlohmann::json out = {{"scenario", {{"name", scenario.name}, {"file", scenario.file}}},
                          {"a", brief_json(a)},
                          {"b", brief_json(b)},
                          {"same_verdict", same},
                          {"candidates", candidates},
                          {"flipping", flipping},
                          {"exit_code", status}};
    std::cout << out.dump(2) << "\n";
    return status;
  }
  std::printf("%s\n  %-11s %s\n  %-11s %s\n", scenario.name.c_str(), a.kernel.c_str(),
              actual_text(a).c_str(), b.kernel.c_str(), actual_text(b).c_str());
  if (same) {
    std::printf("Same verdict on both: nothing to bisect.\n");
    return status;
  }
  std::vector<std::size_t> flipping;
  std::vector<PolicyChange> others;
  for (std::size_t i = 0; i < tries.size(); ++i) {
    if (flips(i))
      flipping.push_back(i);
    else
      others.push_back(changes[i]);
  }
  if (flipping.empty()) {
    std::printf(
        "No single policy of %s flips %s's verdict alone (%zu tried): it takes several "
        "together.\n",
        b.kernel.c_str(), a.kernel.c_str(), changes.size());
  } else {
    std::printf("Policies of %s that alone flip %s's verdict:\n", b.kernel.c_str(),
                a.kernel.c_str());
    for (std::size_t i : flipping) {
      const PolicyChange& c = changes[i];
      std::printf("  %s=%s (was %s): %s + %s=%s %s\n      %s\n", c.policy.c_str(), c.to.c_str(),
                  c.from.c_str(), a.kernel.c_str(), c.policy.c_str(), c.to.c_str(),
                  actual_text(tries[i]).c_str(), c.history.c_str());
    }
  }
  if (!others.empty()) {
    std::string list;
    for (const PolicyChange& c : others) list += (list.empty() ? "" : ", ") + c.policy + "=" + c.to;
    std::printf("Alone, these leave it unchanged: %s\n", list.c_str());
  }
  return status;
}

}  // namespace mmcheck::cli
