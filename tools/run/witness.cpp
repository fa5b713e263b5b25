// `check FILE --witness STEP`: the shortest interleaving that takes a named kernel step, to see
// that a passing run really went where the scenario meant it to (vacuity). The model is wrapped
// so that taking the step is the one "violation" and the invariants are not checked; the
// breadth-first search then stops at the smallest depth, with the smallest schedule, as it does
// for a counterexample. Neither partial-order nor symmetry reduction applies (the wrapper offers
// neither): a step's shortest witness is not something a reduced graph keeps.
#include <algorithm>

#include "checker/distributed.hpp"
#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "models/suggest.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::run {

namespace {

class WitnessModel {
 public:
  using State = vm::VmModel::State;
  using Action = vm::VmModel::Action;

  WitnessModel(const vm::VmModel& model, std::vector<std::uint32_t> labels, std::string step)
      : model_(model), labels_(std::move(labels)), step_(std::move(step)) {}

  std::vector<State> initial_states() const { return model_.initial_states(); }
  void enabled_actions(const State& s, std::vector<Action>& out) const {
    model_.enabled_actions(s, out);
  }
  StepInfo apply(const State& s, const Action& a, State& next) const {
    StepInfo info = model_.apply(s, a, next);
    info.violation.reset();
    if (std::find(labels_.begin(), labels_.end(), info.label) != labels_.end())
      info.violation = Violation{0, "reached " + vm::step_names()[info.label]};
    return info;
  }
  std::optional<Violation> check_state(const State&) const { return std::nullopt; }
  bool finished(const State& s) const { return model_.finished(s); }
  std::optional<Violation> check_final(const State&) const { return std::nullopt; }
  void encode(const State& s, ByteWriter& w) const { model_.encode(s, w); }
  State decode(ByteReader& r) const { return model_.decode(r); }
  const std::vector<std::string>& property_names() const { return names_; }
  std::optional<std::uint32_t> deadlock_property() const { return std::nullopt; }
  const std::vector<std::string>& label_names() const { return model_.label_names(); }
  std::string describe_action(const State& s, const Action& a) const {
    return model_.describe_action(s, a);
  }

 private:
  const vm::VmModel& model_;
  std::vector<std::uint32_t> labels_;
  std::string step_;
  std::vector<std::string> names_ = {"witness"};
};

}  // namespace

std::vector<std::uint32_t> witness_labels(const std::string& step) {
  std::vector<std::uint32_t> out;
  const auto& names = vm::step_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == step ||
        (step.find('.') == std::string::npos && names[i].rfind(step + ".", 0) == 0))
      out.push_back(static_cast<std::uint32_t>(i));
  if (out.empty())
    throw vm::InputError("--witness", "",
                         "unknown kernel step \"" + step + "\"" +
                             vm::did_you_mean(step, vm::step_names()) +
                             "; `mmcheck list steps` lists them (a name before its dot, "
                             "\"do_wp_page\", stands for all its steps)");
  return out;
}

RunOutcome run_witness(const vm::Scenario& scenario, const RunConfig& config,
                       const std::string& step) {
  std::vector<std::uint32_t> labels = witness_labels(step);
  RunOutcome out;
  out.policy = resolve_policy(scenario, config.kernel, config.sets, &out.kernel);
  out.overrides = vm::policy_differences(vm::find_preset(out.kernel)->policy, out.policy);
  out.witness = step;
  if (auto why = vm::unsupported_reason(scenario, out.policy)) {
    out.verdict = Outcome::Unsupported;
    out.unsupported_reason = *why;
    out.exit_code = kExitUnsupported;
    return out;
  }
  vm::CheckedModel checked(scenario, out.policy);
  const vm::VmModel& model = checked;
  SearchOptions options = config.search;
  options.reduce = false;
  options.symmetry = false;
  SearchResult<WitnessModel> result = search_with_comm(WitnessModel(model, labels, step), options);
  out.stats = result.stats;
  out.incomplete_reason = result.incomplete_reason;
  for (std::size_t i = 0; i < vm::step_names().size(); ++i)
    out.coverage[vm::step_names()[i]] = result.label_counts[i];
  if (result.verdict == Verdict::Nondeterministic) {
    out.verdict = Outcome::Nondeterministic;
    out.message = result.error;
    out.exit_code = kExitInternal;
  } else if (result.violation) {
    out.verdict = Outcome::Holds;
    out.message =
        result.violation->message + " after " + std::to_string(result.actions.size()) + " steps";
    out.trace = describe_schedule(model, result.states, result.actions);
    for (auto& v : model.flatten(result.states.back())) out.final_state[v.path.text] = v.value;
    out.exit_code = kExitHolds;
  } else if (result.verdict == Verdict::Incomplete) {
    out.verdict = Outcome::Incomplete;
    out.exit_code = kExitIncomplete;
  } else {
    out.verdict = Outcome::Holds;
    out.message = "no interleaving takes " + step;
    out.exit_code = kExitExpectation;
  }
  return out;
}

}  // namespace mmcheck::run
