// `check FILE --witness STEP [--trace OUT]`: the shortest interleaving that takes a kernel step
// (tools/run/witness.cpp), printed as a timeline and written as a trace that `replay` and
// `explain` read like a counterexample's.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "invariants/checker.hpp"
#include "tools/cli/commands.hpp"
#include "tools/run/interrupt.hpp"
#include "tools/run/output.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

namespace {

nlohmann::json witness_json(const vm::Scenario& scenario, const RunOutcome& o) {
  nlohmann::json j;
  j["scenario"] = {{"name", scenario.name}, {"file", scenario.file}, {"sha256", scenario.sha256}};
  j["kernel"] = o.kernel;
  j["overrides"] = o.overrides;
  j["witness"] = o.witness;
  j["reached"] = !o.trace.empty();
  j["result"] = outcome_name(o.verdict);
  j["exit_code"] = o.exit_code;
  if (!o.message.empty()) j["message"] = o.message;
  if (!o.unsupported_reason.empty()) j["unsupported_reason"] = o.unsupported_reason;
  if (!o.incomplete_reason.empty()) j["incomplete_reason"] = o.incomplete_reason;
  if (o.verdict != Outcome::Unsupported) j["stats"] = stats_json(o.stats);
  j["steps"] = steps_json(o.trace);
  return j;
}

void print_witness(const vm::Scenario& scenario, const RunOutcome& o) {
  std::string on = scenario.name + " on " + kernel_label(o.kernel, o.overrides);
  if (o.verdict == Outcome::Unsupported) {
    std::cout << on << ": unsupported: " << o.unsupported_reason << "\n";
    return;
  }
  if (!o.trace.empty())
    std::cout << "Witness for " << o.witness << " (" << o.trace.size() << " steps, shortest):\n"
              << timeline_text(scenario, o.trace, isatty(STDOUT_FILENO) != 0) << "\n";
  std::cout << on << ": ";
  if (o.verdict == Outcome::Incomplete)
    std::cout << "INCOMPLETE (" << o.incomplete_reason << "): " << o.witness
              << " not reached so far\n";
  else if (o.trace.empty())
    std::cout << "NOT REACHED: " << o.message << "\n";
  else
    std::cout << o.message << "\n";
  std::cout << "  " << o.stats.states << " states, " << o.stats.transitions
            << " transitions (invariants not checked, no reductions)\n";
  if (o.verdict == Outcome::Nondeterministic) std::cout << o.message << "\n";
}

}  // namespace

int check_witness_command(const CheckArgs& args) {
  vm::Scenario scenario = vm::load_scenario(args.file);
  if (!args.trace.empty())
    if (auto why = unusable_output_path(args.trace)) throw vm::InputError("--trace", "", *why);
  RunConfig config;
  config.kernel = args.kernel;
  config.sets = parse_sets(args.sets);
  config.search = search_options(args);
  config.search.fingerprint = false;  // the witness search keeps the exact store, unreduced
  RunOutcome o = run_witness(scenario, config, args.witness);
  std::optional<std::string> write_error;
  if (!args.trace.empty()) {
    if (o.trace.empty())
      std::fprintf(stderr, "mmcheck: %s not reached, so no trace written to %s\n",
                   args.witness.c_str(), args.trace.c_str());
    else
      write_error =
          write_output_file(args.trace, json_text(trace_json(scenario, o, args.trace)) + "\n");
  }
  if (args.json)
    std::cout << json_text(witness_json(scenario, o)) << "\n";
  else
    print_witness(scenario, o);
  if (write_error) {
    std::fprintf(stderr, "mmcheck: --trace: %s\n", write_error->c_str());
    return kExitOutput;
  }
  return o.exit_code;
}

}  // namespace mmcheck::cli
