// One scenario on one kernel, from policy resolution to exit status.
#include "tools/run/run.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "checker/distributed.hpp"
#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "models/scenario_ops.hpp"
#include "models/suggest.hpp"

namespace mmcheck::run {

using nlohmann::json;
namespace fs = std::filesystem;

vm::Policy resolve_policy(const vm::Scenario& scenario, const std::string& kernel,
                          const std::vector<std::pair<std::string, std::string>>& sets,
                          std::string* kernel_used) {
  std::string name = kernel.empty() ? scenario.kernel : kernel;
  const vm::Preset* preset = vm::find_preset(name);
  if (preset == nullptr) {
    std::string valid;
    for (const auto& n : vm::preset_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw vm::InputError("--kernel", "",
                         "unknown preset \"" + name + "\"" +
                             vm::did_you_mean(name, vm::preset_names()) +
                             "; valid presets: " + valid);
  }
  vm::Policy policy = preset->policy;
  for (const auto& [key, value] : scenario.policy_overrides)
    if (auto err = vm::set_policy(policy, key, value))
      throw vm::InputError(scenario.file, "/policy/" + key, *err);
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const auto& [key, value] = sets[i];
    for (std::size_t k = 0; k < i; ++k)
      if (sets[k].first == key && sets[k].second != value)
        throw vm::InputError("--set", "",
                             "policy " + key + " is set twice, to \"" + sets[k].second +
                                 "\" and to \"" + value + "\"; give it once");
    if (auto err = vm::set_policy(policy, key, value)) throw vm::InputError("--set", "", *err);
  }
  if (kernel_used) *kernel_used = name;
  return policy;
}

std::vector<TraceStep> describe_schedule(const vm::VmModel& model,
                                         const std::vector<vm::State>& states,
                                         const std::vector<std::uint8_t>& actions) {
  std::vector<TraceStep> out;
  const vm::Scenario& sc = model.scenario();
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const vm::State& before = states[i];
    int t = actions[i];
    TraceStep step;
    step.thread = sc.threads[t].name;
    step.process = sc.processes[sc.threads[t].process].name;
    const vm::Op* op = model.current_op(before, t);
    step.op = op ? op->text : "";
    step.op_index = before.threads[t].pc;
    vm::State next{};
    StepInfo info = model.apply_traced(before, static_cast<std::uint8_t>(t), next, step.note);
    step.step = info.label == kNoLabel ? "" : vm::step_names()[info.label];
    std::map<std::string, vm::StateValue> a, b;
    for (auto& v : model.flatten(before)) a[v.path.text] = v;
    for (auto& v : model.flatten(next)) b[v.path.text] = v;
    for (auto& [k, v] : b) {
      auto it = a.find(k);
      int from = it == a.end() ? 0 : it->second.value;
      if (from != v.value) step.changes.push_back({k, from, v.value, v.path.page, v.path.frame});
    }
    for (auto& [k, v] : a)
      if (!b.count(k) && v.value != 0)
        step.changes.push_back({k, v.value, 0, v.path.page, v.path.frame});
    out.push_back(std::move(step));
  }
  return out;
}

namespace {

constexpr std::pair<Outcome, const char*> kOutcomeNames[] = {
    {Outcome::Holds, "holds"},
    {Outcome::Violation, "violation"},
    {Outcome::Deadlock, "deadlock"},
    {Outcome::Incomplete, "incomplete"},
    {Outcome::Unsupported, "unsupported"},
    {Outcome::Nondeterministic, "nondeterministic"},
};

Outcome outcome_of(Verdict v) {
  switch (v) {
    case Verdict::Holds:
      return Outcome::Holds;
    case Verdict::Violation:
      return Outcome::Violation;
    case Verdict::Deadlock:
      return Outcome::Deadlock;
    case Verdict::Incomplete:
      return Outcome::Incomplete;
    case Verdict::Nondeterministic:
      return Outcome::Nondeterministic;
  }
  return Outcome::Nondeterministic;
}

// The ops' ends and the outcomes' final states, from the labels the model counts beside its
// steps (VmModel::label_names).
void add_op_ends(RunOutcome& out, const vm::VmModel& model,
                 const std::vector<std::uint64_t>& counts) {
  const vm::Scenario& sc = model.scenario();
  for (std::size_t t = 0; t < sc.threads.size(); ++t)
    for (std::size_t i = 0; i < sc.threads[t].ops.size(); ++i) {
      int thread = static_cast<int>(t), pc = static_cast<int>(i);
      out.op_ends.push_back({sc.threads[t].name + "." + std::to_string(i + 1),
                             sc.threads[t].ops[i].text,
                             counts[model.op_end_label(thread, pc, false)] > 0,
                             counts[model.op_end_label(thread, pc, true)] > 0});
    }
  std::uint64_t combinations = vm::outcome_combinations(sc);
  for (std::uint32_t c = 0; c < combinations; ++c)
    if (std::uint64_t n = counts[model.outcome_label(c)])
      out.outcomes.push_back({model.outcome_values(c), n});
}

bool reached(const std::map<std::string, std::uint64_t>& coverage, const std::string& name) {
  for (const auto& [step, count] : coverage) {
    if (count == 0) continue;
    if (step == name) return true;
    if (name.find('.') == std::string::npos && step.rfind(name + ".", 0) == 0) return true;
  }
  return false;
}

}  // namespace

const char* outcome_name(Outcome o) {
  for (const auto& [outcome, name] : kOutcomeNames)
    if (outcome == o) return name;
  return "?";
}

std::optional<Outcome> find_outcome(const std::string& name) {
  for (const auto& [outcome, text] : kOutcomeNames)
    if (name == text) return outcome;
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& out, Outcome o) { return out << outcome_name(o); }

RunOutcome run_scenario(const vm::Scenario& scenario, const RunConfig& config) {
  RunOutcome out;
  out.policy = resolve_policy(scenario, config.kernel, config.sets, &out.kernel);
  out.overrides = vm::policy_differences(vm::find_preset(out.kernel)->policy, out.policy);
  if (auto why = vm::unsupported_reason(scenario, out.policy)) {
    out.verdict = Outcome::Unsupported;
    out.unsupported_reason = *why;
    out.exit_code = kExitUnsupported;
    return out;
  }
  vm::CheckedModel checked(scenario, out.policy);
  const vm::VmModel& model = checked;
  SearchResult<vm::VmModel> result = search_with_comm(model, config.search);
  out.stats = result.stats;
  out.verdict = outcome_of(result.verdict);
  out.incomplete_reason = result.incomplete_reason;
  for (std::size_t i = 0; i < vm::step_names().size(); ++i)
    out.coverage[vm::step_names()[i]] = result.label_counts[i];
  if (result.verdict == Verdict::Holds) add_op_ends(out, model, result.label_counts);
  if (result.verdict == Verdict::Nondeterministic) {
    out.message = result.error;
    out.exit_code = kExitInternal;
    return out;
  }
  if (result.violation) {
    out.invariant = vm::invariant_names()[result.violation->property];
    out.message = result.verdict == Verdict::Deadlock
                      ? model.describe_deadlock(result.states.back())
                      : result.violation->message;
    out.trace = describe_schedule(model, result.states, result.actions);
    for (auto& v : model.flatten(result.states.back())) out.final_state[v.path.text] = v.value;
  }
  out.must_reach = scenario.must_reach_for(out.kernel);
  for (const std::string& name : out.must_reach)
    if (!reached(out.coverage, name)) out.unreached.push_back(name);
  switch (result.verdict) {
    case Verdict::Holds:
      out.exit_code = out.unreached.empty() ? kExitHolds : kExitExpectation;
      break;
    case Verdict::Violation:
      out.exit_code = kExitViolation;
      break;
    case Verdict::Deadlock:
      out.exit_code = kExitDeadlock;
      break;
    case Verdict::Incomplete:
      out.exit_code = kExitIncomplete;
      break;
    case Verdict::Nondeterministic:
      out.exit_code = kExitInternal;
      break;
  }
  return out;
}

json policy_json(const vm::Policy& policy) {
  json j = json::object();
  for (const auto& info : vm::policy_infos()) j[info.name] = vm::policy_value(policy, info.name);
  return j;
}

json stats_json(const SearchStats& s) {
  json j = {{"states", s.states},
            {"transitions", s.transitions},
            {"depth", s.depth},
            {"seconds", s.seconds},
            {"states_per_second", s.states_per_second()},
            {"peak_rss_bytes", s.peak_rss_bytes},
            {"store_bytes", s.store_bytes},
            {"bytes_per_state", s.states ? double(s.store_bytes) / double(s.states) : 0.0},
            {"frontier_bytes", s.frontier_bytes},
            {"threads", s.threads},
            {"store", s.store_mode},
            {"omission_probability", s.omission_probability},
            {"por", s.reduced},
            {"symmetry", s.symmetric}};
  // A distributed or checkpointed search (the engine of checker/distributed.hpp) says so.
  if (s.ranks != 0) {
    j["ranks"] = s.ranks;
    j["bytes_sent"] = s.bytes_sent;
    if (s.resumed_from != 0) j["resumed_from_level"] = s.resumed_from;
  }
  return j;
}

json step_json(const TraceStep& s) {
  json changes = json::array();
  for (const Change& c : s.changes)
    changes.push_back({{"path", c.path}, {"from", c.from}, {"to", c.to}});
  return {{"thread", s.thread},     {"process", s.process}, {"op", s.op},
          {"op_index", s.op_index}, {"step", s.step},       {"note", s.note},
          {"changes", changes}};
}

json steps_json(const std::vector<TraceStep>& steps) {
  json out = json::array();
  for (const TraceStep& s : steps) out.push_back(step_json(s));
  return out;
}

std::string kernel_label(const std::string& kernel, const std::vector<std::string>& overrides) {
  std::string out = kernel;
  for (std::size_t i = 0; i < overrides.size(); ++i) out += (i == 0 ? " + " : ", ") + overrides[i];
  return out;
}

json report_json(const vm::Scenario& scenario, const RunOutcome& o) {
  json j;
  j["scenario"] = {{"name", scenario.name}, {"file", scenario.file}, {"sha256", scenario.sha256}};
  j["kernel"] = o.kernel;
  j["overrides"] = o.overrides;
  j["policy"] = policy_json(o.policy);
  j["verdict"] = outcome_name(o.verdict);
  j["exit_code"] = o.exit_code;
  if (!o.unsupported_reason.empty()) j["unsupported_reason"] = o.unsupported_reason;
  if (!o.incomplete_reason.empty()) j["incomplete_reason"] = o.incomplete_reason;
  if (!o.invariant.empty()) j["invariant"] = o.invariant;
  if (!o.message.empty()) j["message"] = o.message;
  j["checks"] = scenario.check;
  if (o.verdict != Outcome::Unsupported) {
    j["stats"] = stats_json(o.stats);
    json reach = json::array();
    for (const auto& name : o.must_reach)
      reach.push_back({{"step", name},
                       {"reached", std::find(o.unreached.begin(), o.unreached.end(), name) ==
                                       o.unreached.end()}});
    j["must_reach"] = reach;
    j["coverage"] = o.coverage;
  }
  if (!o.trace.empty()) j["steps"] = steps_json(o.trace);
  return j;
}

json trace_json(const vm::Scenario& scenario, const RunOutcome& o, const std::string& trace_path) {
  json j;
  j["format"] = "mmcheck-trace/1";
  // Where the scenario is, three ways (as given, absolute, from the trace's directory), so a
  // replay from another directory finds it; and the scenario itself, so a trace copied where
  // there is no scenario file still replays.
  std::error_code ec;
  fs::path absolute = fs::absolute(scenario.file, ec).lexically_normal();
  fs::path trace_dir = fs::absolute(trace_path, ec).lexically_normal().parent_path();
  j["scenario"] = {
      {"name", scenario.name},     {"file", scenario.file},
      {"sha256", scenario.sha256}, {"meaning_sha256", scenario.meaning_sha256},
      {"path", absolute.string()}, {"from_trace", absolute.lexically_relative(trace_dir).string()},
      {"source", scenario.text}};
  j["kernel"] = o.kernel;
  j["overrides"] = o.overrides;
  j["policy"] = policy_json(o.policy);
  if (o.witness.empty()) {
    j["verdict"] = outcome_name(o.verdict);
    j["invariant"] = o.invariant;
  } else {  // check --witness: the interleaving reaches a step, no invariant is violated
    j["verdict"] = "witness";
    j["witness"] = o.witness;
  }
  j["message"] = o.message;
  j["steps"] = steps_json(o.trace);
  j["final_state"] = o.final_state;
  j["stats"] = stats_json(o.stats);
  return j;
}

std::string json_text(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace mmcheck::run
