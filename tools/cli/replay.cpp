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

namespace {

// --- Reading the trace ---------------------------------------------------------------------

// The trace reader: the scenario's JSON reader (models/json_reader.hpp: comments allowed,
// duplicate keys refused, every error located by file and JSON pointer) and the shapes a trace
// has.
class TraceReader : public vm::JsonReader {
 public:
  using JsonReader::JsonReader;

  const vm::json& need(const vm::json& object, const std::string& pointer,
                       const std::string& key) const {
    expect_object(object, pointer);
    auto it = object.find(key);
    if (it == object.end()) fail(pointer, "missing \"" + key + "\"");
    return *it;
  }
  std::string text(const vm::json& object, const std::string& pointer,
                   const std::string& key) const {
    return string_at(need(object, pointer, key), pointer + "/" + key);
  }
  int integer(const vm::json& value, const std::string& pointer) const {
    return static_cast<int>(int_at(value, pointer, -(1L << 30), 1L << 30));
  }
  int integer(const vm::json& object, const std::string& pointer, const std::string& key) const {
    return integer(need(object, pointer, key), pointer + "/" + key);
  }
  const vm::json& array(const vm::json& object, const std::string& pointer,
                        const std::string& key) const {
    const vm::json& v = need(object, pointer, key);
    expect_array(v, pointer + "/" + key);
    return v;
  }
};

TraceStep read_step(const TraceReader& r, const vm::json& j, const std::string& ptr) {
  TraceStep s;
  s.thread = r.text(j, ptr, "thread");
  s.process = r.text(j, ptr, "process");
  s.op = r.text(j, ptr, "op");
  s.op_index = r.integer(j, ptr, "op_index");
  s.step = r.text(j, ptr, "step");
  s.note = r.text(j, ptr, "note");
  const vm::json& changes = r.array(j, ptr, "changes");
  for (std::size_t c = 0; c < changes.size(); ++c) {
    std::string cptr = ptr + "/changes/" + std::to_string(c);
    s.changes.push_back({r.text(changes[c], cptr, "path"), r.integer(changes[c], cptr, "from"),
                         r.integer(changes[c], cptr, "to")});
  }
  return s;
}

}  // namespace

namespace {
RecordedTrace read_trace_document(const std::string& path, const std::string& text);
}  // namespace

RecordedTrace read_trace(const std::string& path) {
  return parse_trace(vm::JsonReader(path).read_file("trace"), path);
}

RecordedTrace parse_trace(const std::string& text, const std::string& path) {
  try {
    return read_trace_document(path, text);
  } catch (const nlohmann::json::exception& e) {
    // Every value's type is checked before it is read; should one still escape that, it is bad
    // input in this file, never a crash.
    throw vm::InputError(path, "", std::string("cannot read the trace: ") + e.what());
  }
}

namespace {

RecordedTrace read_trace_document(const std::string& path, const std::string& text) {
  TraceReader r(path);
  vm::json doc = r.parse(text);
  if (!doc.is_object())
    r.fail("", "expected a trace object (\"format\": \"" + std::string(kTraceFormat) + "\")");
  auto format = doc.find("format");
  if (format == doc.end() && (doc.contains("processes") || doc.contains("memory")))
    r.fail("", "this is a scenario, not a trace: use mmcheck check " + path +
                   " (its --trace FILE writes a trace to replay)");
  if (format == doc.end())
    r.fail("/format",
           "missing \"format\"; this mmcheck reads \"" + std::string(kTraceFormat) + "\"");
  if (!format->is_string() || format->get<std::string>() != kTraceFormat)
    r.fail("/format", "unsupported trace format " + format->dump() + "; this mmcheck reads \"" +
                          kTraceFormat + "\" only");
  RecordedTrace t;
  t.path = path;
  const vm::json& scenario = r.need(doc, "", "scenario");
  t.scenario_name = r.text(scenario, "/scenario", "name");
  t.scenario_file = r.text(scenario, "/scenario", "file");
  t.scenario_sha256 = r.text(scenario, "/scenario", "sha256");
  t.kernel = r.text(doc, "", "kernel");
  if (auto o = doc.find("overrides"); o != doc.end()) {  // optional: older traces lack it
    r.expect_array(*o, "/overrides");
    for (std::size_t i = 0; i < o->size(); ++i)
      t.overrides.push_back(r.string_at((*o)[i], "/overrides/" + std::to_string(i)));
  }
  const vm::json& policy = r.need(doc, "", "policy");
  if (!policy.is_object()) r.fail("/policy", "expected an object of policy values");
  for (const auto& [name, value] : policy.items()) {
    if (value.is_string())
      t.policy.emplace_back(name, value.get<std::string>());
    else if (value.is_boolean())
      t.policy.emplace_back(name, value.get<bool>() ? "true" : "false");
    else
      r.fail("/policy/" + vm::escape_pointer(name), "expected a string");
  }
  std::string verdict = r.text(doc, "", "verdict");
  auto outcome = find_outcome(verdict);
  if (outcome != Outcome::Violation && outcome != Outcome::Deadlock)
    r.fail("/verdict", "expected \"violation\" or \"deadlock\", got \"" + verdict + "\"");
  t.verdict = *outcome;
  t.invariant = r.text(doc, "", "invariant");
  t.message = r.text(doc, "", "message");
  const vm::json& steps = r.array(doc, "", "steps");
  for (std::size_t i = 0; i < steps.size(); ++i)
    t.steps.push_back(read_step(r, steps[i], "/steps/" + std::to_string(i)));
  if (auto fin = doc.find("final_state"); fin != doc.end() && !fin->is_null()) {
    if (!fin->is_object()) r.fail("/final_state", "expected an object of state values");
    FlatState state;
    for (const auto& [key, value] : fin->items())
      state[key] = r.integer(value, "/final_state/" + vm::escape_pointer(key));
    t.final_state = std::move(state);
  }
  return t;
}

}  // namespace

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

// The scenario as recorded: relative to the current directory (where `check` ran), else
// relative to the trace's own directory.
std::string scenario_path(const RecordedTrace& t, const std::string& override_path) {
  if (!override_path.empty()) return override_path;
  fs::path recorded(t.scenario_file);
  std::error_code ec;
  if (fs::exists(recorded, ec) || recorded.is_absolute()) return t.scenario_file;
  fs::path beside = fs::path(t.path).parent_path() / recorded;
  if (fs::exists(beside, ec)) return beside.string();
  throw vm::InputError(t.path, "/scenario/file",
                       "scenario file " + quoted(t.scenario_file) +
                           " not found (relative to the current directory or to the trace); pass "
                           "--scenario FILE");
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

  void run(const std::string& scenario_override) {
    r_.kernel = t_.kernel;
    r_.scenario_path = scenario_path(t_, scenario_override);
    r_.scenario = std::make_unique<vm::Scenario>(vm::load_scenario(r_.scenario_path));
    if (!same_scenario()) return;
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

  bool same_scenario() {
    const vm::Scenario& sc = *r_.scenario;
    if (sc.sha256 == t_.scenario_sha256) return true;
    std::string text = "scenario " + r_.scenario_path +
                       " changed since the trace was recorded: sha256 " + t_.scenario_sha256 +
                       " recorded, " + sc.sha256 + " now";
    if (sc.name != t_.scenario_name)
      text +=
          " (and its name: " + quoted(t_.scenario_name) + " recorded, " + quoted(sc.name) + " now)";
    differ(0, "scenario", r_.scenario_path, t_.scenario_sha256, sc.sha256, text);
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
    if (n < t_.steps.size()) return no_early_violation(n, label, *info, next);
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

  void check_ending(const StepInfo& last) {
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

Replay replay_trace(const RecordedTrace& trace, const std::string& scenario_override) {
  Replay out;
  Replayer(trace, out).run(scenario_override);
  return out;
}

json replay_json(const RecordedTrace& t, const Replay& r) {
  json j;
  j["trace"] = t.path;
  j["scenario"] = {{"name", t.scenario_name},
                   {"file", r.scenario_path},
                   {"sha256_recorded", t.scenario_sha256},
                   {"sha256", r.scenario ? r.scenario->sha256 : ""}};
  j["kernel"] = t.kernel;
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
  if (r.reproduced()) {
    std::printf("replayed: ends in the recorded %s %s: %s\n", r.deadlock ? "deadlock" : "violation",
                r.invariant.c_str(), r.message.c_str());
  } else if (r.outcome == "diverged") {
    std::printf("replay FAILED: the trace diverges at step %zu of %zu\n", r.diverged_at,
                t.steps.size());
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
  Replay replay = replay_trace(trace, args.scenario);
  if (args.json) {
    std::cout << json_text(replay_json(trace, replay)) << "\n";
    return replay.exit_code;
  }
  if (!args.quiet) {
    std::printf("replaying %s: %s on %s, %zu steps (scenario %s)\n", trace.path.c_str(),
                trace.scenario_name.c_str(), trace.kernel.c_str(), trace.steps.size(),
                replay.scenario_path.c_str());
    print_steps(replay);
  }
  print_replay_conclusion(trace, replay);
  return replay.exit_code;
}

}  // namespace mmcheck::cli
