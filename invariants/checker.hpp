// The checker: evaluates the selected invariants' rows (registry.hpp) on the events the model
// publishes, on every state and at the end of a run, and answers the engine's property
// questions. CheckedModel is the model with its checker, which the tools and tests explore.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "invariants/registry.hpp"
#include "models/observe.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

class InvariantChecker final : public Observer {
 public:
  // `names` are invariant names (the loader has validated them).
  explicit InvariantChecker(const std::vector<std::string>& names);

  bool checks(Invariant inv) const { return (checked_ >> static_cast<int>(inv)) & 1; }

  std::uint32_t watched_events() const override { return events_; }
  GhostNeeds ghost_needs() const override { return ghost_; }
  void observe(const VmModel& m, const State& s, const Observation& o,
               StepInfo& info) const override;
  std::optional<Violation> check_state(const VmModel& m, const State& s) const override;
  std::optional<Violation> check_final(const VmModel& m, const State& s) const override;
  const std::vector<std::string>& property_names() const override { return invariant_names(); }
  std::optional<std::uint32_t> deadlock_property() const override;

 private:
  std::uint32_t checked_ = 0;
  std::uint32_t events_ = 0;
  GhostNeeds ghost_;
};

namespace detail {
struct CheckerBase {
  InvariantChecker checker;
};
}  // namespace detail

// The model and the checker of the invariants the scenario selects (Scenario::check), or of
// `names` when given.
class CheckedModel : private detail::CheckerBase, public VmModel {
 public:
  CheckedModel(const Scenario& scenario, const Policy& policy)
      : CheckedModel(scenario, policy, scenario.check) {}
  CheckedModel(const Scenario& scenario, const Policy& policy,
               const std::vector<std::string>& names)
      : detail::CheckerBase{InvariantChecker(names)}, VmModel(scenario, policy, checker) {}
  const InvariantChecker& invariants() const { return checker; }
};

// The loader with the registry's invariant names.
inline Scenario load_scenario(const std::string& path) {
  return load_scenario(path, invariant_names());
}
inline Scenario parse_scenario(const std::string& text, const std::string& file) {
  return parse_scenario(text, file, invariant_names());
}

}  // namespace mmcheck::vm
