// `mmcheck check`: one scenario, one kernel, every interleaving.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "checker/sysinfo.hpp"
#include "invariants/checker.hpp"
#include "tools/cli/commands.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

std::vector<std::pair<std::string, std::string>> parse_sets(const std::vector<std::string>& sets) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw vm::InputError("--set", "", "expected POLICY=VALUE, got \"" + s + "\"");
    out.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return out;
}

std::uint64_t mib_to_bytes(std::uint64_t mib) {
  constexpr std::uint64_t kMaxMib = ~std::uint64_t{0} >> 20;
  return mib > kMaxMib ? ~std::uint64_t{0} : mib << 20;
}

namespace {

// The progress line on a terminal: refreshed in place, erased when the search ends.
class TerminalProgress : public ProgressSink {
 public:
  void update(const Progress& p) override {
    std::fprintf(stderr, "\r\033[K%.0fs  states %llu  %.2f M states/s  depth %u  frontier %llu",
                 p.seconds, static_cast<unsigned long long>(p.states), p.states_per_second / 1e6,
                 p.depth, static_cast<unsigned long long>(p.frontier));
    std::fflush(stderr);
  }
  void finish() override { std::fprintf(stderr, "\r\033[K"); }
};

}  // namespace

int check_command(const CheckArgs& args) {
  vm::Scenario scenario = vm::load_scenario(args.file);
  RunConfig config;
  config.kernel = args.kernel;
  config.sets = parse_sets(args.sets);
  config.search.threads = args.threads;
  config.search.max_states = args.max_states;
  config.search.max_seconds = args.max_seconds;
  config.search.max_depth = args.max_depth;
  config.search.max_memory = mib_to_bytes(args.max_memory_mib);
  TerminalProgress progress;
  if (!args.quiet && !args.json && stderr_is_terminal()) config.search.progress = &progress;
  config.search.reduce = args.por == "on";
  config.search.fingerprint = args.fingerprint;
  config.search.symmetry = args.symmetry;
  RunOutcome outcome = run_scenario(scenario, config);
  if (!args.trace.empty()) {
    if (outcome.trace.empty()) {
      std::fprintf(stderr, "mmcheck: no counterexample, so no trace written to %s\n",
                   args.trace.c_str());
    } else {
      std::ofstream out(args.trace);
      if (!out) throw vm::InputError("--trace", "", "cannot write " + args.trace);
      out << trace_json(scenario, outcome).dump(2) << "\n";
    }
  }
  if (args.json) {
    nlohmann::json report = report_json(scenario, outcome);
    add_check_notes(report, scenario, outcome);
    std::cout << report.dump(2) << "\n";
    return outcome.exit_code;
  }
  bool colour = isatty(STDOUT_FILENO) != 0;
  if (!outcome.trace.empty()) {
    std::cout << "Counterexample (" << outcome.trace.size() << " steps, shortest):\n"
              << timeline_text(scenario, outcome.trace, colour) << "\n";
    std::cout << (outcome.verdict == Outcome::Deadlock ? "no_deadlock" : outcome.invariant) << ": "
              << outcome.message << "\n\n";
  }
  std::cout << summary_text(scenario, outcome);
  if (!outcome.unreached.empty() && outcome.verdict == Outcome::Holds)
    std::cout << "FAILED: must_reach steps not reached on " << outcome.kernel
              << ": the pass would be vacuous\n";
  if (outcome.verdict == Outcome::Nondeterministic) std::cout << outcome.message << "\n";
  std::cout << check_notes_text(scenario, outcome);
  return outcome.exit_code;
}

}  // namespace mmcheck::cli
