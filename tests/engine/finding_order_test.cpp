// Two corners of the finding order: findings among the initial states follow the same rank
// rule as at any other depth, and a terminal finding at exactly the depth bound is reported,
// not hidden behind "incomplete".
#include <catch2/catch.hpp>

#include "checker/search.hpp"
#include "tests/engine/reference_explorer.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

// Two initial states: the first violates the state property of rank 1, the second is stuck
// and unfinished, a deadlock of rank 0.
struct TwoStarts {
  struct State {
    std::uint8_t which = 0;
    bool operator==(const State&) const = default;
  };
  using Action = std::uint8_t;
  std::vector<State> initial_states() const { return {State{0}, State{1}}; }
  void enabled_actions(const State& s, std::vector<Action>& out) const {
    if (s.which == 0) out.push_back(0);
  }
  StepInfo apply(const State&, Action, State& next) const {
    next.which = 2;
    return {};
  }
  std::optional<Violation> check_state(const State& s) const {
    if (s.which == 0) return Violation{1, "a bad start"};
    return std::nullopt;
  }
  bool finished(const State& s) const { return s.which == 2; }
  std::optional<Violation> check_final(const State&) const { return std::nullopt; }
  void encode(const State& s, ByteWriter& w) const { w.u8(s.which); }
  State decode(ByteReader& r) const { return State{r.u8()}; }
  const std::vector<std::string>& property_names() const {
    static const std::vector<std::string> kNames{"no_deadlock", "good_start"};
    return kNames;
  }
  std::optional<std::uint32_t> deadlock_property() const { return 0; }
  const std::vector<std::string>& label_names() const {
    static const std::vector<std::string> kNames{};
    return kNames;
  }
  std::string describe_action(const State&, Action) const { return "go"; }
};

TEST_CASE("Among the initial states a deadlock of lower rank is reported before a state violation",
          "[engine][order]") {
  for (unsigned threads : {1u, 4u}) {
    SearchResult<TwoStarts> r = search(TwoStarts{}, testing::with_threads(threads));
    CHECK(r.verdict == Verdict::Deadlock);
    REQUIRE(r.violation.has_value());
    CHECK(r.violation->property == 0);
    REQUIRE(r.states.size() == 1);
    CHECK(r.states[0].which == 1);
  }
}

TEST_CASE("A deadlock at exactly the depth bound is reported, not hidden as incomplete",
          "[engine][bounds]") {
  // The lock-order deadlock is at depth 2; level 2 also holds states that can go on.
  for (unsigned threads : {1u, 4u}) {
    SearchOptions options = testing::with_threads(threads);
    options.max_depth = 2;
    SearchResult<toy::Deadlock> r = search(toy::Deadlock{}, options);
    CHECK(r.verdict == Verdict::Deadlock);
    CHECK(r.actions == std::vector<toy::Deadlock::Action>{0, 1});
    options.max_depth = 1;
    CHECK(search(toy::Deadlock{}, options).verdict == Verdict::Incomplete);
  }
}

}  // namespace
}  // namespace mmcheck
