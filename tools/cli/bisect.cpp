// `mmcheck bisect FILE K1 K2`: when the two presets' verdicts differ, each policy in which they
// differ is applied alone to K1 (with K2's value) and the scenario run again; the policies whose
// change alone flips K1's verdict are printed with their commits; when none does, the pairs
// that flip it together.
#include <cstdio>
#include <iostream>
#include <utility>

#include "tools/cli/commands.hpp"
#include "tools/cli/compare.hpp"

namespace mmcheck::cli {

int bisect_command(const CompareArgs& args) {
  Comparison c = compare_kernels(args);
  const std::vector<PolicyChange>& changes = c.changes;
  std::vector<RunOutcome> tries;
  if (!c.same)
    for (const PolicyChange& p : changes)
      tries.push_back(run_on(c.scenario, args, args.a, {{p.policy, p.to}}));
  std::vector<const RunOutcome*> runs = {&c.a, &c.b};
  for (const RunOutcome& t : tries) runs.push_back(&t);
  auto flips = [&](std::size_t i) { return actual_text(tries[i]) != actual_text(c.a); };
  // When no policy flips it alone, the pairs that flip it together (each one minimal, since
  // neither of its policies does alone).
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::vector<RunOutcome> pair_runs;
  bool single = false;
  for (std::size_t i = 0; i < tries.size(); ++i) single = single || flips(i);
  if (!c.same && !single)
    for (std::size_t i = 0; i < changes.size(); ++i)
      for (std::size_t k = i + 1; k < changes.size(); ++k) {
        RunOutcome o =
            run_on(c.scenario, args, args.a,
                   {{changes[i].policy, changes[i].to}, {changes[k].policy, changes[k].to}});
        if (actual_text(o) == actual_text(c.a)) continue;
        pairs.emplace_back(i, k);
        pair_runs.push_back(std::move(o));
      }
  for (const RunOutcome& t : pair_runs) runs.push_back(&t);
  int status = comparison_exit_status(runs);
  if (args.json) {
    nlohmann::json out = comparison_json(c);
    out["candidates"] = nlohmann::json::array();
    out["flipping"] = nlohmann::json::array();
    for (std::size_t i = 0; i < tries.size(); ++i) {
      const PolicyChange& p = changes[i];
      out["candidates"].push_back({{"policy", p.policy},
                                   {"from", p.from},
                                   {"to", p.to},
                                   {"history", p.history},
                                   {"result", actual_text(tries[i])},
                                   {"verdict", outcome_name(tries[i].verdict)},
                                   {"flips", flips(i)}});
      if (flips(i)) out["flipping"].push_back(p.policy);
    }
    out["flipping_pairs"] = nlohmann::json::array();
    for (std::size_t n = 0; n < pairs.size(); ++n)
      out["flipping_pairs"].push_back(
          {{"policies", {changes[pairs[n].first].policy, changes[pairs[n].second].policy}},
           {"result", actual_text(pair_runs[n])}});
    out["exit_code"] = status;
    std::cout << json_text(out) << "\n";
    return status;
  }
  print_verdicts(c);
  if (c.same) {
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
  const std::string& ka = c.a.kernel;
  const std::string& kb = c.b.kernel;
  if (flipping.empty()) {
    std::printf("No single policy of %s flips %s's verdict alone (%zu tried).\n", kb.c_str(),
                ka.c_str(), changes.size());
    if (pairs.empty())
      std::printf("No pair flips it either: it takes three or more together.\n");
    else
      std::printf("Pairs that flip it together:\n");
    for (std::size_t n = 0; n < pairs.size(); ++n) {
      const PolicyChange& p = changes[pairs[n].first];
      const PolicyChange& q = changes[pairs[n].second];
      std::printf("  %s=%s + %s=%s: %s\n      %s\n      %s\n", p.policy.c_str(), p.to.c_str(),
                  q.policy.c_str(), q.to.c_str(), actual_text(pair_runs[n]).c_str(),
                  p.history.c_str(), q.history.c_str());
    }
  } else {
    std::printf("Policies of %s that alone flip %s's verdict:\n", kb.c_str(), ka.c_str());
    for (std::size_t i : flipping) {
      const PolicyChange& p = changes[i];
      std::printf("  %s=%s (was %s): %s + %s=%s %s\n      %s\n", p.policy.c_str(), p.to.c_str(),
                  p.from.c_str(), ka.c_str(), p.policy.c_str(), p.to.c_str(),
                  actual_text(tries[i]).c_str(), p.history.c_str());
    }
  }
  if (!others.empty()) {
    std::string list;
    for (const PolicyChange& p : others) list += (list.empty() ? "" : ", ") + p.policy + "=" + p.to;
    std::printf("Alone, these leave it unchanged: %s\n", list.c_str());
  }
  return status;
}

}  // namespace mmcheck::cli
