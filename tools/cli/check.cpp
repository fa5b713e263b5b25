// `mmcheck check`: one scenario, one kernel, every interleaving.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "checker/sha256.hpp"
#include "checker/sysinfo.hpp"
#include "invariants/checker.hpp"
#include "tools/cli/commands.hpp"
#include "tools/run/interrupt.hpp"
#include "tools/run/output.hpp"
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
  // Saturating: an absurdly large bound is no bound, never a wrapped small one.
  constexpr std::uint64_t kMaxMib = ~std::uint64_t{0} >> 20;
  return mib > kMaxMib ? ~std::uint64_t{0} : mib << 20;
}

SearchOptions search_options(const CheckArgs& args) {
  SearchOptions o;
  o.threads = args.threads;
  o.max_states = args.max_states;
  o.max_seconds = args.max_seconds;
  o.max_depth = args.max_depth;
  o.max_memory = mib_to_bytes(args.max_memory_mib);
  o.reduce = args.por == "on";
  o.fingerprint = args.fingerprint;
  o.compress = args.compress;
  o.symmetry = args.symmetry;
  o.interrupt = &interrupt_flag();
  return o;
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

// The verdict, the counterexample and the counts, as text or as the --json report.
int print_outcome(const CheckArgs& args, const vm::Scenario& scenario, const RunOutcome& outcome) {
  if (args.json) {
    nlohmann::json report = report_json(scenario, outcome);
    add_check_notes(report, scenario, outcome);
    std::cout << json_text(report) << "\n";
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

// What a checkpoint must match to be resumed: the scenario file's bytes, the kernel, the
// policies set and the options that change the state graph or its numbering.
std::string search_identity(const CheckArgs& args) {
  std::ifstream in(args.file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string id = "scenario " + sha256_hex(text.str()) + "\nkernel " + args.kernel;
  for (const std::string& s : args.sets) id += "\nset " + s;
  id += "\npor " + args.por + "\nfingerprint " + std::to_string(args.fingerprint) + "\nsymmetry " +
        std::to_string(args.symmetry) + "\nmax-depth " + std::to_string(args.max_depth);
  return id;
}

}  // namespace

int check_command(const CheckArgs& args) {
  vm::Scenario scenario = vm::load_scenario(args.file);
  // Under mpirun every rank searches; rank 0 alone prints and writes files.
  const bool writer = args.comm == nullptr || args.comm->rank() == 0;
  if (!args.trace.empty())
    if (auto why = unusable_output_path(args.trace)) throw vm::InputError("--trace", "", *why);
  if (!args.checkpoint.empty() && writer)
    if (auto why = unusable_checkpoint_dir(args.checkpoint))
      throw vm::InputError("--checkpoint", "", *why);
  // The compressed store's ids are handed out by the threads as they go: a checkpoint or another
  // rank could not name its states.
  if (args.compress && args.comm != nullptr)
    throw vm::InputError(
        "--compress", "",
        "the compressed store runs in one process: leave out mpirun or --compress");
  RunConfig config;
  config.kernel = args.kernel;
  config.sets = parse_sets(args.sets);
  config.search = search_options(args);
  TerminalProgress progress;
  if (!args.quiet && !args.json && stderr_is_terminal()) config.search.progress = &progress;
  // A distributed search under mpirun; a checkpointed one runs the same engine on one process.
  LocalComm local;
  config.search.comm = args.comm;
  if (config.search.comm == nullptr && (!args.checkpoint.empty() || !args.resume.empty()))
    config.search.comm = &local;
  config.search.checkpoint_dir = args.checkpoint;
  config.search.checkpoint_seconds = args.checkpoint_every_minutes * 60;
  config.search.resume_dir = args.resume;
  if (config.search.comm != nullptr) config.search.identity = search_identity(args);
  RunOutcome outcome = run_scenario(scenario, config);
  if (!writer) return outcome.exit_code;
  // A trace that cannot be written is reported after the verdict, which is printed all the same.
  std::optional<std::string> write_error;
  if (!args.trace.empty()) {
    if (outcome.trace.empty())
      std::fprintf(stderr, "mmcheck: no counterexample, so no trace written to %s\n",
                   args.trace.c_str());
    else
      write_error = write_output_file(args.trace,
                                      json_text(trace_json(scenario, outcome, args.trace)) + "\n");
  }
  int status = print_outcome(args, scenario, outcome);
  if (write_error) {
    std::fprintf(stderr, "mmcheck: --trace: %s\n", write_error->c_str());
    return kExitOutput;
  }
  return status;
}

}  // namespace mmcheck::cli
