// The seam between the model and its invariants: the model publishes the events an observer
// watches, with the state as it is at that moment, keeps only the ghost the observer reads, and
// asks the observer every property question.
#include "models/observe.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "harness.hpp"

namespace {

namespace vm = mmcheck::vm;

// Records every event it is shown; checks nothing.
class Recorder final : public vm::Observer {
 public:
  explicit Recorder(std::uint32_t events, vm::GhostNeeds ghost = {})
      : events_(events), ghost_(ghost) {}
  std::uint32_t watched_events() const override { return events_; }
  vm::GhostNeeds ghost_needs() const override { return ghost_; }
  void observe(const vm::VmModel&, const vm::State& s, const vm::Observation& o,
               mmcheck::StepInfo&) const override {
    seen.push_back(o);
    // The frame as the event saw it: a store is published before it changes the frame.
    contents.push_back(o.pfn >= 0 ? s.frames[o.pfn].content[o.word] : -1);
  }
  std::optional<mmcheck::Violation> check_state(const vm::VmModel&,
                                                const vm::State&) const override {
    return std::nullopt;
  }
  std::optional<mmcheck::Violation> check_final(const vm::VmModel&,
                                                const vm::State&) const override {
    return std::nullopt;
  }
  const std::vector<std::string>& property_names() const override { return names_; }
  std::optional<std::uint32_t> deadlock_property() const override { return std::nullopt; }

  mutable std::vector<vm::Observation> seen;
  mutable std::vector<int> contents;

 private:
  std::uint32_t events_;
  vm::GhostNeeds ghost_;
  std::vector<std::string> names_;
};

// Runs every thread to completion, in thread order, from the state after setup.
vm::State run_all(const vm::VmModel& model) {
  vm::State s = model.initial_states().at(0);
  for (int guard = 0; guard < 1000 && !model.finished(s); ++guard) {
    std::vector<std::uint8_t> actions;
    model.enabled_actions(s, actions);
    REQUIRE_FALSE(actions.empty());
    vm::State next;
    model.apply(s, actions.front(), next);
    s = next;
  }
  REQUIRE(model.finished(s));
  return s;
}

const std::string kStoreLoadPagemap = mmtest::scenario_text(
    R"({"A": {}})", R"({"P": {"threads": {"cpu0": [{"op": "write", "addr": "A", "value": 7},
                                                   {"op": "read", "addr": "A"},
                                                   {"op": "pagemap", "addr": "A"}]}}})");

}  // namespace

TEST_CASE(
    "The model publishes a store, a load and a pagemap read to the observer that watches them") {
  mmtest::assert_throws();
  vm::Scenario sc = vm::parse_scenario(kStoreLoadPagemap, "test.json");
  vm::Policy policy = mmtest::policy_of("linux-6.2");
  Recorder all(vm::event_bit(vm::Event::Store) | vm::event_bit(vm::Event::Load) |
               vm::event_bit(vm::Event::PagemapRead));
  vm::VmModel model(sc, policy, all);
  run_all(model);
  REQUIRE(all.seen.size() == 3);
  CHECK(all.seen[0].event == vm::Event::Store);
  CHECK(all.seen[0].value == 7);
  CHECK(all.seen[0].thread == 0);
  CHECK(all.seen[0].handle == -1);
  CHECK(all.contents[0] == 0);  // before the store changes the frame
  CHECK(all.seen[1].event == vm::Event::Load);
  CHECK(all.seen[1].value == 7);
  CHECK(all.seen[1].pfn == all.seen[0].pfn);
  CHECK(all.seen[2].event == vm::Event::PagemapRead);
  CHECK(all.seen[2].page == 0);
}

TEST_CASE("An observer is shown only the events it watches") {
  mmtest::assert_throws();
  vm::Scenario sc = vm::parse_scenario(kStoreLoadPagemap, "test.json");
  vm::Policy policy = mmtest::policy_of("linux-6.2");
  Recorder loads(vm::event_bit(vm::Event::Load));
  vm::VmModel model(sc, policy, loads);
  run_all(model);
  REQUIRE(loads.seen.size() == 1);
  CHECK(loads.seen[0].event == vm::Event::Load);
}

TEST_CASE("The model keeps the uffd-wp ghost only for an observer that reads it") {
  mmtest::assert_throws();
  std::string json = mmtest::scenario_text(
      R"({"A": {}})", R"({"P": {"threads": {"cpu0": [{"op": "uffd_wp", "addr": "A"}]}}})",
      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu0", "op": "uffd_register", "addr": "A", "mode": "wp"}])");
  vm::Scenario sc = vm::parse_scenario(json, "test.json");
  vm::Policy policy = mmtest::policy_of("linux-6.2");
  Recorder without(0), with(0, vm::GhostNeeds{.wp = true});
  vm::VmModel blind(sc, policy, without), reading(sc, policy, with);
  CHECK(run_all(blind).mm[0].wp_protected == 0);
  CHECK(run_all(reading).mm[0].wp_protected == 1);
}

TEST_CASE("The checker watches what its selected invariants' rows name") {
  vm::InvariantChecker none({});
  CHECK(none.watched_events() == 0);
  CHECK_FALSE(none.ghost_needs().wp);
  vm::InvariantChecker wp({"uffd_wp_sound"});
  CHECK(wp.watched_events() == vm::event_bit(vm::Event::Store));
  CHECK(wp.ghost_needs().wp);
  CHECK_FALSE(wp.ghost_needs().soft_dirty);
  vm::InvariantChecker cow({"no_stale_tlb_at_cow", "soft_dirty_sound"});
  CHECK(cow.watched_events() ==
        (vm::event_bit(vm::Event::CowCopyDecided) | vm::event_bit(vm::Event::PagemapRead)));
  CHECK(cow.ghost_needs().soft_dirty);
  CHECK(cow.deadlock_property() == std::nullopt);
  CHECK(vm::InvariantChecker({"no_deadlock"}).deadlock_property().has_value());
}
