// Counterexamples after the search: reading a trace (mmcheck-trace/1, the README's "Using it"),
// re-executing its schedule on its scenario step by step, and the views of the replayed states
// that `mmcheck replay`, `mmcheck explain` and the HTML timeline print.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "invariants/checker.hpp"
#include "models/scenario.hpp"
#include "models/vm_model.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

inline constexpr const char* kTraceFormat = "mmcheck-trace/1";

// A state as flatten() names it: "P.pte.A.write" -> 1.
using FlatState = std::map<std::string, int>;

struct RecordedTrace {
  std::string path;
  std::string scenario_name;
  std::string scenario_file;
  std::string scenario_sha256;                 // of the file's bytes
  std::string scenario_meaning_sha256;         // of its meaning (empty in older traces)
  std::string scenario_absolute;               // the file's absolute path when recorded
  std::string scenario_from_trace;             // the file's path from the trace's directory
  std::optional<std::string> scenario_source;  // the scenario's text, embedded
  std::string kernel;
  std::vector<std::string> overrides;  // policies that differ from the preset's
  std::vector<std::pair<std::string, std::string>> policy;  // as recorded, in file order
  Outcome verdict = Outcome::Violation;                     // Violation or Deadlock
  // A --witness trace ("verdict": "witness"): the step its last step takes; no invariant.
  std::string witness;
  std::string invariant;
  std::string message;
  std::vector<TraceStep> steps;
  std::optional<FlatState> final_state;
};

// Reads and checks the shape of a trace. Throws vm::InputError naming the file and the JSON
// pointer: malformed JSON, a format other than kTraceFormat, a missing or mistyped field.
RecordedTrace read_trace(const std::string& path);
// The same from the text of a trace file (`path` names it in errors).
RecordedTrace parse_trace(const std::string& text, const std::string& path);

// One way the replay differs from the recording. `field` is one of scenario, unsupported,
// thread, enabled, process, op, op_index, step, change, note, early_violation, ending,
// final_state; `text` is the full sentence ("step 7 (cpu2 access.tlb_hit): frame.0.content.1
// recorded 0->3, replayed 0->5").
struct Difference {
  std::size_t step = 0;  // 1-based; 0 when not about one step
  std::string field;
  std::string path;  // for change and final_state
  std::string recorded;
  std::string replayed;
  std::string text;
};

struct Replay {
  std::unique_ptr<vm::Scenario> scenario;  // owned here: the model keeps a reference
  std::unique_ptr<vm::CheckedModel> model;
  std::string scenario_path;    // where it was loaded from ("TRACE#/scenario/source" if embedded)
  std::string scenario_origin;  // file, embedded or option (--scenario)
  // The scenario's meaning (or, for an older trace, its bytes) differs from the recorded one and
  // --force replayed it anyway.
  bool scenario_changed = false;
  std::string kernel;
  std::vector<std::string> warnings;  // a policy missing from the trace, taken from the preset
  std::vector<vm::State> states;      // the initial state, then the state after each step
  std::vector<TraceStep> steps;       // as replayed, described the way describe_schedule does
  // reproduced, diverged, scenario_changed, unsupported, different_ending, different_final_state
  std::string outcome;
  std::size_t diverged_at = 0;  // the first step that differs, 1-based; 0 when none
  std::vector<Difference> differences;
  std::vector<std::string> notes;  // harmless: a step's note reworded
  std::string invariant;           // what the replayed run ends in, if anything
  std::string message;
  bool deadlock = false;
  int exit_code = kExitExpectation;
  bool reproduced() const { return outcome == "reproduced"; }
};

struct ReplayOptions {
  std::string scenario;   // --scenario FILE: replay on it instead of the recorded one
  bool force = false;     // --force: replay even when the scenario's meaning changed
  bool embedded = false;  // replay on the scenario embedded in the trace, not its file (explain)
};

// Replays `trace` on its scenario: `options.scenario`; else the embedded one when
// `options.embedded`; else the recorded file, found as given (from the current directory), from
// the trace's directory or at its absolute path; else the embedded one. Findings (a divergence,
// a changed scenario) are data in the result; bad input (an unreadable scenario, an unknown
// policy, a trace with neither a scenario file nor an embedded scenario) throws vm::InputError.
Replay replay_trace(const RecordedTrace& trace, const ReplayOptions& options);

nlohmann::json replay_json(const RecordedTrace& trace, const Replay& replay);

// --- Views of replayed states, shared by explain and the HTML timeline. ---

FlatState flat_state(const vm::VmModel& model, const vm::State& state);

// The pages a step is about: its op's range (or its pin's page), the pages its changes name,
// and the pages mapping (PTE) or caching (TLB) a frame it changed. Sorted page indices.
std::vector<int> pages_involved(const vm::VmModel& model, const vm::State& before,
                                const vm::State& after, int thread, const TraceStep& step);

// The frames that matter for some pages: mapped (PTE), cached (TLB) or referenced (a pin, get
// or extra reference) for them before or after the step, or changed by it.
std::vector<int> frames_involved(const vm::VmModel& model, const vm::State& before,
                                 const vm::State& after, const std::vector<int>& pages,
                                 const std::vector<Change>& changes);

// The processes whose mm exists and maps (VMA) or has a PTE for the page, in either state.
std::vector<int> processes_mapping(const vm::VmModel& model, const FlatState& before,
                                   const FlatState& after, int page);

// --- What the timeline points at (tools/cli/timeline_marks.cpp). ---

struct StepMark {
  // deferred_pte, flush, cow_decision, stale_store or install
  std::string kind;
  std::string text;  // one line naming the objects
};

struct TimelineMarks {
  std::vector<std::vector<StepMark>> marks;  // per step
  std::vector<bool> flush_pending;           // after each step
  // The fields this kernel does not have ("excl" before 5.19, "UW" before 5.7), unless `all`.
  std::vector<std::string> hidden;
  bool all = false;  // --all: every field and the ghost bookkeeping shown
  bool shows(const std::string& field) const;
  // Whether a state path is shown: not ghost bookkeeping, not a hidden field (unless `all`).
  bool shows_path(const std::string& path) const;
};

struct LegendEntry {
  std::string symbol;  // W, D, SD, UW, ref, map, pin, excl, *, ~, =>
  std::string meaning;
};

TimelineMarks mark_timeline(const Replay& replay, bool all);
std::vector<LegendEntry> timeline_legend(const TimelineMarks& marks);
// "Hidden: excl (no PageAnonExclusive on linux-5.10), ...; --all shows them." ("" with --all)
std::string hidden_text(const TimelineMarks& marks, const std::string& kernel);
bool is_ghost_path(const std::string& path);
// `explain --json`: the replayed steps with their marks and flush window, the legend, the
// hidden fields, the ending.
nlohmann::json explain_json(const RecordedTrace& trace, const Replay& replay,
                            const TimelineMarks& marks);

// `mmcheck explain`'s terminal timeline of a replay (one column per CPU, the relevant state
// after every step, the steps that matter marked, the violation last).
std::string explain_text(const RecordedTrace& trace, const Replay& replay,
                         const TimelineMarks& marks, bool colour);

// The self-contained HTML timeline (inline CSS and JS, the data as embedded JSON).
std::string explain_html(const RecordedTrace& trace, const Replay& replay,
                         const TimelineMarks& marks);

}  // namespace mmcheck::cli
