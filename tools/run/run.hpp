// Running one scenario on one kernel: resolve the policy, refuse unsupported pairs, search,
// rebuild the counterexample as readable steps, check must_reach, pick the exit status.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "checker/search.hpp"
#include "models/scenario.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::run {

// Exit statuses (the README's "Using it").
inline constexpr int kExitHolds = 0;
inline constexpr int kExitExpectation = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnsupported = 3;
inline constexpr int kExitViolation = 10;
inline constexpr int kExitDeadlock = 11;
inline constexpr int kExitIncomplete = 12;
inline constexpr int kExitInternal = 70;  // a nondeterministic model: a bug in mmcheck
// An output (a --trace, --junit, --traces or --html file, or stdout) could not be written; the
// verdict was printed all the same (sysexits' EX_IOERR).
inline constexpr int kExitOutput = 74;

struct RunConfig {
  std::string kernel;                                     // empty: the scenario's
  std::vector<std::pair<std::string, std::string>> sets;  // --set POLICY=VALUE
  SearchOptions search;
};

struct Change {
  std::string path;
  int from = 0;
  int to = 0;
  // What the path is about (vm::StatePath), when the change comes from the model rather than
  // from a trace file: -1 for none.
  int page = -1;
  int frame = -1;
};

struct TraceStep {
  std::string thread;
  std::string process;
  std::string op;
  int op_index = 0;
  std::string step;
  std::string note;
  std::vector<Change> changes;
};

// What a run concluded. Names appear only at the JSON and text edges (outcome_name).
enum class Outcome { Holds, Violation, Deadlock, Incomplete, Unsupported, Nondeterministic };
const char* outcome_name(Outcome o);
std::optional<Outcome> find_outcome(const std::string& name);
std::ostream& operator<<(std::ostream& out, Outcome o);

struct RunOutcome {
  std::string kernel;
  vm::Policy policy;
  // The policies that differ from the preset's ("cow_reuse=mapcount"): the scenario's "policy"
  // object and --set. Shown wherever the kernel is named.
  std::vector<std::string> overrides;
  Outcome verdict = Outcome::Holds;
  std::string unsupported_reason;
  std::string invariant;
  std::string message;
  std::string incomplete_reason;
  SearchStats stats;
  std::vector<TraceStep> trace;
  nlohmann::json final_state;
  std::map<std::string, std::uint64_t> coverage;  // step name -> times taken
  std::vector<std::string> must_reach;
  std::vector<std::string> unreached;
  // check --witness: the kernel step sought; `trace` reaches it (empty when it was not reached).
  std::string witness;
  // Filled when the search explored every state (verdict holds): per op of the threads' lists,
  // in thread order, whether some step ended it done and whether some ended it failed (SIGSEGV
  // or an error); and the scenario's outcomes, each combination of returned values (-1: none)
  // with the number of distinct final states that have it.
  struct OpEnd {
    std::string op;  // "cpu0.3"
    std::string text;
    bool done = false;
    bool failed = false;
  };
  std::vector<OpEnd> op_ends;
  struct OutcomeCount {
    std::vector<int> values;
    std::uint64_t final_states = 0;
  };
  std::vector<OutcomeCount> outcomes;
  int exit_code = 0;
};

// Throws vm::InputError for an unknown preset or policy.
vm::Policy resolve_policy(const vm::Scenario& scenario, const std::string& kernel,
                          const std::vector<std::pair<std::string, std::string>>& sets,
                          std::string* kernel_used);

RunOutcome run_scenario(const vm::Scenario& scenario, const RunConfig& config);

// `check --witness STEP` (tools/run/witness.cpp): the shortest interleaving that takes STEP (a
// step name, or the name before its dot for all its steps), invariants not checked. Reached:
// exit 0 with the trace; not reached: exit 1; bounds: 12. Throws vm::InputError for an unknown
// step (naming near misses) or preset.
RunOutcome run_witness(const vm::Scenario& scenario, const RunConfig& config,
                       const std::string& step);
// The labels a --witness STEP stands for; throws vm::InputError for an unknown step.
std::vector<std::uint32_t> witness_labels(const std::string& step);

// "linux-5.9", or "linux-5.9 + cow_reuse=mapcount" when policies were overridden.
std::string kernel_label(const std::string& kernel, const std::vector<std::string>& overrides);

// Rebuilds readable steps from a schedule of thread indices (used by check and replay).
std::vector<TraceStep> describe_schedule(const vm::VmModel& model,
                                         const std::vector<vm::State>& states,
                                         const std::vector<std::uint8_t>& actions);

nlohmann::json policy_json(const vm::Policy& policy);
nlohmann::json stats_json(const SearchStats& stats);
// One trace step as the report, the trace, replay and the HTML timeline write it.
nlohmann::json step_json(const TraceStep& step);
nlohmann::json steps_json(const std::vector<TraceStep>& steps);
nlohmann::json report_json(const vm::Scenario& scenario, const RunOutcome& outcome);
// The trace to be written at `trace_path` (its directory locates the scenario relative to it).
nlohmann::json trace_json(const vm::Scenario& scenario, const RunOutcome& outcome,
                          const std::string& trace_path);
// The text of a JSON document as mmcheck prints and writes it: a string that is not valid UTF-8
// (a file name is bytes) has its invalid bytes replaced by U+FFFD instead of failing the dump.
std::string json_text(const nlohmann::json& j, int indent = 2);
// Word-wraps text into lines of at most `width` characters (longer words are cut).
std::vector<std::string> wrap(const std::string& text, std::size_t width);
std::string timeline_text(const vm::Scenario& scenario, const std::vector<TraceStep>& steps,
                          bool colour);
std::string summary_text(const vm::Scenario& scenario, const RunOutcome& outcome);
// Escapes & < > " for XML and HTML text and attribute values.
std::string xml_escape(const std::string& s);

}  // namespace mmcheck::run

// The command line (tools/cli) speaks of these as its own.
namespace mmcheck::cli {
using namespace mmcheck::run;  // NOLINT(google-build-using-namespace)
}  // namespace mmcheck::cli
