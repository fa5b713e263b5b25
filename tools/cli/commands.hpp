// The subcommands and their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tools/run/run.hpp"

namespace mmcheck::cli {

struct CheckArgs {
  std::string file;
  std::string kernel;
  std::vector<std::string> sets;
  unsigned threads = 0;
  std::string trace;
  bool json = false;
  std::uint64_t max_states = 0;
  double max_seconds = 0;
  std::uint32_t max_depth = 0;
  std::uint64_t max_memory_mib = 0;
  bool quiet = false;
  std::string por = "on";
  bool fingerprint = false;
  bool compress = false;  // --compress: the compressed exact store
  bool symmetry = false;
  std::string checkpoint;                // --checkpoint DIR
  double checkpoint_every_minutes = 10;  // --checkpoint-every
  std::string resume;                    // --resume DIR
  Comm* comm = nullptr;                  // under mpirun: the job's ranks
  std::string witness;                   // --witness STEP: the shortest interleaving that takes it
};

struct SuiteArgs {
  std::vector<std::string> paths;
  std::string junit;
  bool tap = false;
  bool markdown = false;
  bool json = false;
  unsigned threads = 0;
  std::string traces_dir;
  std::string por = "on";
  // `suite --kernel K --set P=V...`: every scenario on K (patched), judged by K's expectations.
  std::string kernel;
  std::vector<std::string> sets;
  // Bounds of each run: a run that hits one is incomplete (a failing cell).
  std::uint64_t max_states = 0;
  double max_seconds = 0;
  std::uint64_t max_memory_mib = 0;
};

// `mmcheck diff FILE K1 K2` and `mmcheck bisect FILE K1 K2`.
struct CompareArgs {
  std::string file;
  std::string a;
  std::string b;
  unsigned threads = 0;
  bool json = false;
};

struct ReplayArgs {
  std::string trace;
  std::string scenario;
  bool force = false;  // replay even when the scenario's meaning changed
  bool quiet = false;
  bool json = false;
};

struct ExplainArgs {
  std::string trace;
  std::string scenario;
  std::string html;
  bool no_colour = false;
  bool all = false;   // every field and the ghost bookkeeping too
  bool json = false;  // the timeline's marks, flush window and legend as JSON
};

int check_command(const CheckArgs& args);
// `check FILE --witness STEP` (tools/cli/check_witness.cpp).
int check_witness_command(const CheckArgs& args);
int suite_command(const SuiteArgs& args);
// The suite's exit status from its runs' exit statuses and its mismatches: 70 when a run met a
// nondeterministic model (a bug in mmcheck, whatever the expectations), else 0 or 1.
int suite_exit_status(const std::vector<int>& run_statuses, std::size_t mismatches);
int replay_command(const ReplayArgs& args);
// `check FILE --kernel all`: every preset, one line each.
int check_all_command(const CheckArgs& args);
int diff_command(const CompareArgs& args);
int bisect_command(const CompareArgs& args);
// The exit status of a command that ran several searches to compare them: 70 when one met a
// nondeterministic model, else 12 when one was incomplete, else 0.
int comparison_exit_status(const std::vector<const RunOutcome*>& runs);
// A verdict as one phrase: "holds", "violates no_lost_write", "incomplete (max-states)".
std::string actual_text(const RunOutcome& o);
int explain_command(const ExplainArgs& args);
// `mmcheck init NAME`: a commented scenario template on stdout (tools/cli/init.cpp).
int init_command(const std::string& name);

// check's notes (tools/cli/check_notes.cpp): the scenario's "expect" for the preset (null when
// it has none) and whether it matched; the warnings (no must_reach for the preset). Added to
// the --json report as "expectation" and "warnings", printed after the summary as text.
nlohmann::json expectation_json(const vm::Scenario& scenario, const RunOutcome& o);
std::vector<std::string> check_warnings(const vm::Scenario& scenario, const RunOutcome& o);
void add_check_notes(nlohmann::json& report, const vm::Scenario& scenario, const RunOutcome& o);
std::string check_notes_text(const vm::Scenario& scenario, const RunOutcome& o);

// --max-memory's MiB to bytes, saturating: an absurdly large bound is no bound, never a wrapped
// small one.
std::uint64_t mib_to_bytes(std::uint64_t mib);

// The search `check` asks for: its threads, bounds, reductions and store, stopped by a signal.
SearchOptions search_options(const CheckArgs& args);

// "POLICY=VALUE" pairs; throws vm::InputError naming --set.
std::vector<std::pair<std::string, std::string>> parse_sets(const std::vector<std::string>& sets);

}  // namespace mmcheck::cli
