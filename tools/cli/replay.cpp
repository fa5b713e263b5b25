// `mmcheck replay`: reads a counterexample trace (mmcheck-trace/1), re-executes its schedule on
// its scenario under its recorded policy, and confirms every step (thread, op, kernel step, state
// changes) and the ending (the recorded violation or deadlock). A trace that no longer reproduces
// is a finding, reported at the first step that differs, with the field that differs.
#include "tools/cli/replay.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "checker/sha256.hpp"
#include "invariants/checker.hpp"
#include "invariants/registry.hpp"
#include "models/json_reader.hpp"
#include "models/policy.hpp"
#include "tools/cli/commands.hpp"

namespace mmcheck::cli {

using nlohmann::json;
namespace fs = std::filesystem;

// --- Replaying ---------------------------------------------------------------------------

namespace {

std::string transition(int from, int to) {
  return std::to_string(from) + "->" + std::to_string(to);
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// The recorded scenario file: as given (relative to the current directory, where `check` ran,
// or absolute), from the trace's directory, at its recorded absolute path, or as given relative
// to the trace's directory. Empty when none of them exists.
std::string find_scenario_file(const RecordedTrace& t) {
  fs::path dir = fs::path(t.path).parent_path();
  std::vector<fs::path> candidates = {t.scenario_file};
  if (!t.scenario_from_trace.empty()) candidates.push_back(dir / t.scenario_from_trace);
  if (!t.scenario_absolute.empty()) candidates.push_back(t.scenario_absolute);
  candidates.push_back(dir / t.scenario_file);
  std::error_code ec;
  // The first that exists: one that is not a readable regular file is bad input, as given.
  for (const fs::path& c : candidates)
    if (fs::exists(c, ec)) return c.string();
  return "";
}

// Loads the scenario to replay on (ReplayOptions says which) into `r`.
void load_replay_scenario(const RecordedTrace& t, const ReplayOptions& o, Replay& r) {
  std::string file = o.scenario;
  r.scenario_origin = "option";
  if (file.empty() && !(o.embedded && t.scenario_source)) {
    file = find_scenario_file(t);
    r.scenario_origin = "file";
  }
  if (!file.empty()) {
    r.scenario_path = file;
    r.scenario = std::make_unique<vm::Scenario>(vm::load_scenario(file));
    return;
  }
  if (!t.scenario_source)
    throw vm::InputError(t.path, "/scenario/file",
                         "scenario file " + quoted(t.scenario_file) +
                             " not found (relative to the current directory or to the trace), "
                             "and the trace does not embed it (an older trace); pass "
                             "--scenario FILE");
  r.scenario_origin = "embedded";
  r.scenario_path = t.path + "#/scenario/source";
  r.scenario =
      std::make_unique<vm::Scenario>(vm::parse_scenario(*t.scenario_source, r.scenario_path));
}

// The recorded policy, every field; a field the trace lacks (a policy newer than the trace)
// comes from the recorded preset, with a warning.
vm::Policy recorded_policy(const RecordedTrace& t, std::vector<std::string>* warnings) {
  const vm::Preset* preset = vm::find_preset(t.kernel);
  vm::Policy policy = preset ? preset->policy : vm::Policy{};
  for (const auto& [name, value] : t.policy)
    if (auto err = vm::set_policy(policy, name, value))
      throw vm::InputError(t.path, "/policy/" + vm::escape_pointer(name), *err);
  for (const auto& info : vm::policy_infos()) {
    bool recorded = std::any_of(t.policy.begin(), t.policy.end(),
                                [&](const auto& p) { return p.first == info.name; });
    if (recorded) continue;
    if (preset == nullptr)
      throw vm::InputError(t.path, "/policy",
                           "policy " + quoted(info.name) + " is not recorded, and " +
                               quoted(t.kernel) + " is not a preset to take it from");
    warnings->push_back("policy " + info.name + " is not recorded in the trace; using " + t.kernel +
                        "'s value " + vm::policy_value(policy, info.name));
  }
  return policy;
}

// Why a thread cannot take a step now: finished, or the model's reason.
std::string why_disabled(const vm::VmModel& model, const vm::State& s, int thread,
                         const std::vector<std::uint8_t>& enabled) {
  const vm::Thread& th = model.scenario().threads[thread];
  std::string why;
  if (model.current_op(s, thread) == nullptr)
    why = "it has finished its " + std::to_string(th.ops.size()) + " op" +
          (th.ops.size() == 1 ? "" : "s");
  else
    why = "at " + model.current_op(s, thread)->text + ": " + model.why_blocked(s, thread);
  std::vector<std::string> names;
  for (auto t : enabled) names.push_back(model.scenario().threads[t].name);
  return why + "; enabled: " + (names.empty() ? "none" : join(names));
}

class Replayer {
 public:
  Replayer(const RecordedTrace& trace, Replay& out) : t_(trace), r_(out) {}

  void run(const ReplayOptions& options) {
    r_.kernel = t_.kernel;
    load_replay_scenario(t_, options, r_);
    if (!same_scenario(options.force)) return;
    vm::Policy policy = recorded_policy(t_, &r_.warnings);
    if (auto why = vm::unsupported_reason(*r_.scenario, policy)) {
      differ(0, "unsupported", "", "", "",
             "the scenario cannot run on " + t_.kernel + "'s policy: " + *why);
      r_.outcome = "unsupported";
      return;
    }
    r_.model = std::make_unique<vm::CheckedModel>(*r_.scenario, policy, r_.scenario->check);
    std::vector<vm::State> initial = r_.model->initial_states();
    MM_ASSERT(!initial.empty(), "a model needs at least one initial state");
    r_.states.push_back(initial.front());
    StepInfo last;
    for (std::size_t i = 0; i < t_.steps.size(); ++i) {
      if (!step(i, &last)) {
        r_.outcome = "diverged";
        r_.diverged_at = i + 1;
        return;
      }
    }
    check_ending(last);
  }

 private:
  const vm::VmModel& model() const { return *r_.model; }

  void differ(std::size_t step, std::string field, std::string path, std::string recorded,
              std::string replayed, std::string text) {
    r_.differences.push_back({step, std::move(field), std::move(path), std::move(recorded),
                              std::move(replayed), std::move(text)});
  }

  // Compares what the scenario means (memory, processes, setup, check) with the recording, so
  // an edited comment, name, reference or expectation changes nothing; an older trace has only
  // the hash of the file's bytes.
  bool same_scenario(bool force) {
    const vm::Scenario& sc = *r_.scenario;
    bool meaning = !t_.scenario_meaning_sha256.empty();
    const std::string& recorded = meaning ? t_.scenario_meaning_sha256 : t_.scenario_sha256;
    const std::string& now = meaning ? sc.meaning_sha256 : sc.sha256;
    if (recorded == now) return true;
    std::string text = "scenario " + r_.scenario_path + " changed since the trace was recorded: " +
                       (meaning ? "the sha256 of its meaning (memory, processes, setup, check) "
                                : "the sha256 of its bytes ") +
                       recorded + " recorded, " + now + " now";
    if (sc.name != t_.scenario_name)
      text +=
          " (and its name: " + quoted(t_.scenario_name) + " recorded, " + quoted(sc.name) + " now)";
    if (force) {
      r_.scenario_changed = true;
      r_.warnings.push_back(text + "; replayed on it all the same (--force)");
      return true;
    }
    differ(0, "scenario", r_.scenario_path, recorded, now,
           text + "; replay --force replays on it and reports the first step that differs");
    r_.outcome = "scenario_changed";
    return false;
  }

  // Replays step i; false at a divergence (recorded in r_.differences).
  bool step(std::size_t i, StepInfo* info) {
    const TraceStep& rec = t_.steps[i];
    const std::size_t n = i + 1;
    const vm::Scenario& sc = *r_.scenario;
    const vm::State& before = r_.states.back();
    std::string label = "step " + std::to_string(n) + " (" + rec.thread + " " + rec.step + ")";
    auto found = std::find_if(sc.threads.begin(), sc.threads.end(),
                              [&](const vm::Thread& th) { return th.name == rec.thread; });
    if (found == sc.threads.end()) {
      std::vector<std::string> names;
      for (const auto& th : sc.threads) names.push_back(th.name);
      differ(n, "thread", "", rec.thread, "",
             label + ": the scenario has no thread " + quoted(rec.thread) +
                 " (threads: " + join(names) + ")");
      return false;
    }
    int thread = static_cast<int>(found - sc.threads.begin());
    std::vector<std::uint8_t> enabled;
    model().enabled_actions(before, enabled);
    if (std::find(enabled.begin(), enabled.end(), thread) == enabled.end()) {
      differ(n, "enabled", "", rec.thread, "",
             "step " + std::to_string(n) + ": thread " + rec.thread + " is no longer enabled (" +
                 why_disabled(model(), before, thread, enabled) + ")");
      return false;
    }
    TraceStep got =
        describe_schedule(model(), {before}, {static_cast<std::uint8_t>(thread)}).front();
    vm::State next{};
    std::string note;
    *info = model().apply_traced(before, static_cast<std::uint8_t>(thread), next, note);
    std::size_t differences = r_.differences.size();
    compare_step(n, label, rec, got, flat_state(model(), before));
    r_.steps.push_back(got);
    r_.states.push_back(next);
    if (r_.differences.size() != differences) return false;
    // A witness's search does not check invariants: a violation on its way is no divergence.
    if (n < t_.steps.size() && t_.witness.empty()) return no_early_violation(n, label, *info, next);
    return true;
  }

  void compare_field(std::size_t n, const std::string& label, const char* field,
                     const std::string& what, const std::string& recorded,
                     const std::string& replayed) {
    if (recorded == replayed) return;
    differ(n, field, "", recorded, replayed,
           label + ": " + what + " recorded " + recorded + ", replayed " + replayed);
  }

  void compare_step(std::size_t n, const std::string& label, const TraceStep& rec,
                    const TraceStep& got, const FlatState& before) {
    std::size_t first = r_.differences.size();
    compare_field(n, label, "process", "process", rec.process, got.process);
    compare_field(n, label, "op", "op", quoted(rec.op), quoted(got.op));
    compare_field(n, label, "op_index", "op index", std::to_string(rec.op_index),
                  std::to_string(got.op_index));
    compare_field(n, label, "step", "kernel step", rec.step, got.step);
    compare_changes(n, label, rec.changes, got.changes, before);
    if (rec.note == got.note) return;
    // A reworded note alone is harmless (the model's wording changed); next to a real
    // difference it says what the replay did instead.
    std::string text =
        label + ": note recorded " + quoted(rec.note) + ", replayed " + quoted(got.note);
    if (r_.differences.size() == first)
      r_.notes.push_back(text);
    else
      differ(n, "note", "", rec.note, got.note, text);
  }

  void compare_changes(std::size_t n, const std::string& label, const std::vector<Change>& rec,
                       const std::vector<Change>& got, const FlatState& before) {
    auto find = [](const std::vector<Change>& list, const std::string& path) {
      return std::find_if(list.begin(), list.end(),
                          [&](const Change& c) { return c.path == path; });
    };
    auto unchanged = [&](const std::string& path) {
      auto it = before.find(path);
      return it == before.end() ? std::string("unchanged (absent)")
                                : "unchanged (" + std::to_string(it->second) + ")";
    };
    for (const Change& c : rec) {
      auto g = find(got, c.path);
      std::string recorded = transition(c.from, c.to);
      std::string replayed = g == got.end() ? unchanged(c.path) : transition(g->from, g->to);
      if (recorded != replayed)
        differ(n, "change", c.path, recorded, replayed,
               label + ": " + c.path + " recorded " + recorded + ", replayed " + replayed);
    }
    for (const Change& c : got) {
      if (find(rec, c.path) != rec.end()) continue;
      std::string replayed = transition(c.from, c.to);
      differ(n, "change", c.path, "unchanged", replayed,
             label + ": " + c.path + " recorded unchanged, replayed " + replayed);
    }
  }

  // The search stops a run at its first violation, so a recorded step past one cannot be right.
  bool no_early_violation(std::size_t n, const std::string& label, const StepInfo& info,
                          const vm::State& next) {
    std::optional<Violation> v = info.violation ? info.violation : model().check_state(next);
    if (!v) return true;
    std::string name = vm::invariant_names()[v->property];
    differ(n, "early_violation", "", "", name,
           label + ": the replay already violates " + name + " here (" + v->message +
               "), but the trace goes on for " + std::to_string(t_.steps.size() - n) +
               " more step" + (t_.steps.size() - n == 1 ? "" : "s"));
    return false;
  }

  struct Ending {
    std::string invariant;
    std::string message;
    bool deadlock = false;
  };

  // What the replayed run ends in, in the order the search could have reported it: the last
  // step's own violation, the state's, then the terminal checks (end of run, or deadlock).
  std::vector<Ending> endings(const StepInfo& last) const {
    std::vector<Ending> out;
    const vm::State& s = r_.states.back();
    const auto& names = vm::invariant_names();
    if (!t_.steps.empty() && last.violation)
      out.push_back({names[last.violation->property], last.violation->message});
    if (auto v = model().check_state(s)) out.push_back({names[v->property], v->message});
    std::vector<std::uint8_t> enabled;
    model().enabled_actions(s, enabled);
    if (enabled.empty()) {
      if (model().finished(s)) {
        if (auto v = model().check_final(s)) out.push_back({names[v->property], v->message});
      } else if (auto p = model().deadlock_property()) {
        out.push_back({names[*p], model().describe_deadlock(s), true});
      }
    }
    return out;
  }

  std::string not_ending_reason() const {
    const vm::State& s = r_.states.back();
    std::vector<std::uint8_t> enabled;
    model().enabled_actions(s, enabled);
    std::string after =
        t_.steps.empty() ? "in the initial state" : "after step " + std::to_string(t_.steps.size());
    if (!enabled.empty()) {
      std::vector<std::string> names;
      for (auto t : enabled) names.push_back(r_.scenario->threads[t].name);
      return after + " no invariant is violated and " + join(names) +
             (names.size() == 1 ? " is" : " are") + " still enabled";
    }
    if (model().finished(s))
      return after + " every thread has finished and every checked invariant holds";
    return after + " no thread can move, but the scenario does not check no_deadlock";
  }

  // A --witness trace ends when its last step takes the step it names.
  void check_witness_ending() {
    std::string last = r_.steps.empty() ? "" : r_.steps.back().step;
    bool reached = last == t_.witness || (t_.witness.find('.') == std::string::npos &&
                                          last.rfind(t_.witness + ".", 0) == 0);
    if (!reached) {
      r_.outcome = "different_ending";
      differ(0, "ending", "", t_.witness, last,
             "the replay's last step is " + (last.empty() ? std::string("none") : last) +
                 ", not the recorded witness's " + t_.witness);
      return;
    }
    if (!compare_final_state()) return;
    r_.outcome = "reproduced";
    r_.message = t_.message;
    r_.exit_code = kExitHolds;
  }

  void check_ending(const StepInfo& last) {
    if (!t_.witness.empty()) return check_witness_ending();
    bool want_deadlock = t_.verdict == Outcome::Deadlock;
    std::vector<Ending> got = endings(last);
    for (const Ending& e : got) {
      if (e.invariant == t_.invariant && e.message == t_.message && e.deadlock == want_deadlock) {
        r_.invariant = e.invariant;
        r_.message = e.message;
        r_.deadlock = e.deadlock;
        if (!compare_final_state()) return;
        r_.outcome = "reproduced";
        r_.exit_code = e.deadlock ? kExitDeadlock : kExitViolation;
        return;
      }
    }
    r_.outcome = "different_ending";
    std::string recorded = t_.invariant + ": " + t_.message;
    if (got.empty()) {
      differ(0, "ending", "", recorded, "",
             "the replay does not end in the recorded " + std::string(outcome_name(t_.verdict)) +
                 " " + t_.invariant + ": " + not_ending_reason());
      return;
    }
    const Ending& e = got.front();
    r_.invariant = e.invariant;
    r_.message = e.message;
    r_.deadlock = e.deadlock;
    std::string replayed = e.invariant + ": " + e.message;
    if (e.invariant == t_.invariant && e.message != t_.message)
      differ(0, "ending", "", t_.message, e.message,
             "the replay ends in " + e.invariant +
                 " as recorded, but with a different message: recorded " + quoted(t_.message) +
                 ", replayed " + quoted(e.message));
    else
      differ(0, "ending", "", recorded, replayed,
             "the replay ends in " + std::string(e.deadlock ? "a deadlock " : "") + replayed +
                 ", not in the recorded " + recorded);
  }

  // The steps' changes only prove the differences; the final state also covers what no step
  // touched (the setup's effect).
  bool compare_final_state() {
    if (!t_.final_state) return true;
    FlatState now = flat_state(model(), r_.states.back());
    const FlatState& rec = *t_.final_state;
    auto value = [](const FlatState& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end() ? std::string("absent") : std::to_string(it->second);
    };
    std::set<std::string> keys;
    for (const auto& [k, v] : rec) keys.insert(k);
    for (const auto& [k, v] : now) keys.insert(k);
    for (const std::string& k : keys) {
      std::string a = value(rec, k), b = value(now, k);
      if (a != b)
        differ(0, "final_state", k, a, b,
               "final state: " + k + " recorded " + a + ", replayed " + b);
    }
    if (r_.differences.empty()) return true;
    r_.outcome = "different_final_state";
    return false;
  }

  const RecordedTrace& t_;
  Replay& r_;
};

}  // namespace

Replay replay_trace(const RecordedTrace& trace, const ReplayOptions& options) {
  Replay out;
  Replayer(trace, out).run(options);
  return out;
}

}  // namespace mmcheck::cli
