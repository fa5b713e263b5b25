// `mmcheck replay`'s output: the replay as JSON (--json) or as text (the replayed steps, then
// the warnings, the differences and the conclusion).
#include <cstdio>
#include <iostream>

#include "tools/cli/commands.hpp"
#include "tools/cli/replay.hpp"

namespace mmcheck::cli {

using nlohmann::json;

json replay_json(const RecordedTrace& t, const Replay& r) {
  json j;
  j["trace"] = t.path;
  j["scenario"] = {
      {"name", t.scenario_name},
      {"file", r.scenario_path},
      {"origin", r.scenario_origin},
      {"sha256_recorded", t.scenario_sha256},
      {"sha256", r.scenario ? r.scenario->sha256 : ""},
      {"meaning_sha256_recorded",
       t.scenario_meaning_sha256.empty() ? json(nullptr) : json(t.scenario_meaning_sha256)},
      {"meaning_sha256", r.scenario ? r.scenario->meaning_sha256 : ""},
      {"changed", r.scenario_changed || r.outcome == "scenario_changed"}};
  j["kernel"] = t.kernel;
  j["witness"] = t.witness.empty() ? json(nullptr) : json(t.witness);
  j["outcome"] = r.outcome;
  j["exit_code"] = r.exit_code;
  j["steps_recorded"] = t.steps.size();
  j["steps_replayed"] = r.steps.size();
  j["diverged_at"] = r.diverged_at == 0 ? json(nullptr) : json(r.diverged_at);
  j["recorded"] = {
      {"verdict", outcome_name(t.verdict)}, {"invariant", t.invariant}, {"message", t.message}};
  if (!r.invariant.empty())
    j["replayed"] = {{"verdict", r.deadlock ? "deadlock" : "violation"},
                     {"invariant", r.invariant},
                     {"message", r.message}};
  json diffs = json::array();
  for (const Difference& d : r.differences) {
    json item = {
        {"field", d.field}, {"recorded", d.recorded}, {"replayed", d.replayed}, {"text", d.text}};
    item["step"] = d.step == 0 ? json(nullptr) : json(d.step);
    if (!d.path.empty()) item["path"] = d.path;
    diffs.push_back(item);
  }
  j["differences"] = diffs;
  // The first difference, as expected (recorded) and found (replayed): what --force is for.
  j["first_divergence"] = diffs.empty() ? json(nullptr)
                                        : json{{"step", diffs[0]["step"]},
                                               {"field", diffs[0]["field"]},
                                               {"expected", diffs[0]["recorded"]},
                                               {"found", diffs[0]["replayed"]},
                                               {"text", diffs[0]["text"]}};
  j["notes"] = r.notes;
  j["warnings"] = r.warnings;
  j["steps"] = steps_json(r.steps);
  return j;
}

// --- The command ---------------------------------------------------------------------------

namespace {

void print_steps(const Replay& r) {
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    const TraceStep& s = r.steps[i];
    std::printf("%3zu  %-6s %-22s %s: %s\n", i + 1, s.thread.c_str(), s.op.c_str(), s.step.c_str(),
                s.note.c_str());
    for (const Change& c : s.changes)
      std::printf("       %s %d -> %d\n", c.path.c_str(), c.from, c.to);
  }
}

void print_replay_conclusion(const RecordedTrace& t, const Replay& r) {
  for (const std::string& w : r.warnings) std::printf("warning: %s\n", w.c_str());
  for (const std::string& n : r.notes) std::printf("note: %s\n", n.c_str());
  for (const Difference& d : r.differences) std::printf("%s\n", d.text.c_str());
  if (r.reproduced() && !t.witness.empty()) {
    std::printf("replayed: reaches the recorded witness %s\n", t.witness.c_str());
  } else if (r.reproduced()) {
    std::printf("replayed: ends in the recorded %s %s: %s\n", r.deadlock ? "deadlock" : "violation",
                r.invariant.c_str(), r.message.c_str());
  } else if (r.outcome == "diverged") {
    const Difference& d = r.differences.front();
    std::printf(
        "replay FAILED: the trace diverges at step %zu of %zu (%s: expected %s, found %s)\n",
        r.diverged_at, t.steps.size(), d.field.c_str(),
        d.recorded.empty() ? "-" : d.recorded.c_str(),
        d.replayed.empty() ? "-" : d.replayed.c_str());
  } else if (r.outcome == "scenario_changed") {
    std::printf("replay FAILED: the scenario is not the one the trace was recorded on\n");
  } else if (r.outcome == "different_final_state") {
    std::printf("replay FAILED: the run ends in the recorded %s %s, but in another final state\n",
                outcome_name(t.verdict), t.invariant.c_str());
  } else if (r.outcome == "unsupported") {
    std::printf("replay FAILED: the scenario does not run on %s\n", t.kernel.c_str());
  } else {
    std::printf("replay FAILED: the run does not end in the recorded %s %s\n",
                outcome_name(t.verdict), t.invariant.c_str());
  }
}

}  // namespace

int replay_command(const ReplayArgs& args) {
  RecordedTrace trace = read_trace(args.trace);
  Replay replay = replay_trace(trace, {.scenario = args.scenario, .force = args.force});
  if (args.json) {
    std::cout << json_text(replay_json(trace, replay)) << "\n";
    return replay.exit_code;
  }
  if (!args.quiet) {
    std::string from =
        replay.scenario_origin == "embedded"
            ? "the scenario embedded in the trace; " + trace.scenario_file + " not found"
            : "scenario " + replay.scenario_path;
    std::printf("replaying %s: %s on %s, %zu steps (%s)\n", trace.path.c_str(),
                trace.scenario_name.c_str(), kernel_label(trace.kernel, trace.overrides).c_str(),
                trace.steps.size(), from.c_str());
    print_steps(replay);
  }
  print_replay_conclusion(trace, replay);
  return replay.exit_code;
}

}  // namespace mmcheck::cli
