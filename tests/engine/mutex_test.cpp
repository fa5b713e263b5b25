// The engine on two-thread locks: Peterson's lock keeps mutual exclusion (bounded and looping
// forever, an acyclic and a cyclic graph) with figures equal to the reference explorer's, and
// the broken test-then-set lock loses it after the shortest possible 4 steps.
#include <catch2/catch.hpp>

#include "checker/search.hpp"
#include "tests/engine/reference_explorer.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

using testing::explore_reference;
using testing::with_threads;
using toy::BrokenMutex;
using toy::Peterson;

TEST_CASE("Peterson's lock keeps mutual exclusion over every interleaving", "[engine][peterson]") {
  // Golden figures from the reference explorer; rounds 0 loops forever (a cyclic graph).
  struct Expected {
    unsigned rounds;
    std::uint64_t states;
    std::uint64_t transitions;
    std::uint32_t depth;
  };
  const Expected expected[] = {
      {0, 20, 34, 6}, {1, 26, 34, 8}, {2, 90, 132, 16}, {3, 194, 298, 24}, {10, 2042, 3364, 80}};
  for (const Expected& e : expected) {
    INFO("rounds " << e.rounds);
    Peterson model{.rounds = e.rounds};
    testing::ReferenceGraph g = explore_reference(model);
    REQUIRE(g.decode_round_trips);
    CHECK_FALSE(g.first_bad_state_depth.has_value());
    CHECK_FALSE(g.first_bad_terminal_depth.has_value());
    CHECK(g.states() == e.states);
    CHECK(g.transitions() == e.transitions);
    CHECK(g.max_depth() == e.depth);
    for (unsigned threads : {1u, 4u}) {
      SearchResult<Peterson> r = search(model, with_threads(threads));
      CHECK(r.verdict == Verdict::Holds);
      CHECK(r.stats.states == g.states());
      CHECK(r.stats.transitions == g.transitions());
      CHECK(r.stats.depth == g.max_depth());
      CHECK(r.label_counts == g.labels_through(g.max_depth()));
      // Not vacuous: the critical section is entered.
      CHECK(r.label_counts[Peterson::kEnter] > 0);
    }
  }
}

// Peterson's lock with one more state property: "not both threads waiting with both flags up".
// The engine finding it shows the contended case, where only the turn keeps mutual exclusion,
// is reached, so the passing test above is not vacuous.
struct PetersonBothWaiting : Peterson {
  std::optional<Violation> check_state(const State& s) const {
    if (s.pc[0] == 2 && s.pc[1] == 2 && s.flag[0] == 1 && s.flag[1] == 1)
      return Violation{kMutualExclusion, "both threads wait"};
    return Peterson::check_state(s);
  }
};

TEST_CASE("Peterson's lock reaches the contended state where only the turn decides who enters",
          "[engine][peterson]") {
  PetersonBothWaiting model;
  model.rounds = 1;
  SearchResult<PetersonBothWaiting> r = search(model, with_threads(2));
  REQUIRE(r.verdict == Verdict::Violation);
  REQUIRE(testing::trace_replays(model, r));
  // Each thread raises its flag and gives the turn away: 4 steps at least.
  CHECK(r.actions.size() == 4);
  const Peterson::State& last = r.states.back();
  std::vector<Peterson::Action> enabled;
  model.enabled_actions(last, enabled);
  // Exactly one thread may enter: the one the other gave the turn to.
  REQUIRE(enabled.size() == 1);
  CHECK(enabled[0] == last.turn);
}

// Peterson's lock with the classic slip: a thread keeps the turn (turn = i) instead of giving
// it away. The same search must now find two threads in the critical section.
struct PetersonKeepsTurn : Peterson {
  StepInfo apply(const State& s, Action a, State& next) const {
    StepInfo info = Peterson::apply(s, a, next);
    if (info.label == kGiveTurn) next.turn = a;
    return info;
  }
};

TEST_CASE("Peterson's lock that keeps the turn instead of giving it loses mutual exclusion",
          "[engine][peterson]") {
  // By hand: thread 0 raises its flag, keeps the turn and enters (thread 1's flag is down);
  // thread 1 raises its flag, takes the turn and enters too: 6 steps, and none shorter, since
  // each thread needs 3 steps to enter.
  PetersonKeepsTurn model;
  model.rounds = 1;
  std::optional<std::vector<Peterson::Action>> expected = testing::reference_counterexample(model);
  REQUIRE(expected.has_value());
  for (unsigned threads : {1u, 4u}) {
    SearchResult<PetersonKeepsTurn> r = search(model, with_threads(threads));
    REQUIRE(r.verdict == Verdict::Violation);
    CHECK(model.property_names()[r.violation->property] == "mutual_exclusion");
    CHECK(r.actions == std::vector<Peterson::Action>{0, 0, 0, 1, 1, 1});
    CHECK(r.actions == *expected);
    CHECK(testing::trace_replays(model, r));
  }
}

TEST_CASE("The broken test-then-set lock loses mutual exclusion after 4 steps", "[engine][mutex]") {
  // By hand: a thread reaches the critical section with 2 steps (test, set), so both need 4;
  // 4 suffice when both test the flag before either sets it: test0, test1, set0, set1. BFS gives
  // the smallest schedule among the shortest: thread 0 first at each tie.
  constexpr std::size_t kShortest = 4;
  BrokenMutex model;
  testing::ReferenceGraph g = explore_reference(model);
  REQUIRE(g.first_bad_state_depth.has_value());
  CHECK(*g.first_bad_state_depth == kShortest);
  for (unsigned threads : {1u, 4u}) {
    SearchResult<BrokenMutex> r = search(model, with_threads(threads));
    REQUIRE(r.verdict == Verdict::Violation);
    CHECK(model.property_names()[r.violation->property] == "mutual_exclusion");
    CHECK(r.actions.size() == kShortest);
    CHECK(r.actions == std::vector<BrokenMutex::Action>{0, 1, 0, 1});
    REQUIRE(testing::trace_replays(model, r));
    // Only the last state violates.
    for (std::size_t i = 0; i + 1 < r.states.size(); ++i)
      CHECK_FALSE(model.check_state(r.states[i]));
    CHECK(model.check_state(r.states.back()).has_value());
    // The search stops after the level the violation was found in: levels 0..4 stored, levels
    // 0..3 expanded.
    CHECK(r.stats.depth == kShortest);
    CHECK(r.stats.states == g.states_through(kShortest));
    CHECK(r.stats.transitions == g.transitions_through(kShortest - 1));
    CHECK(r.label_counts == g.labels_through(kShortest - 1));
  }
}

TEST_CASE("A depth bound below the broken lock's shortest violation hides it; at it, it is found",
          "[engine][bounds]") {
  BrokenMutex model;
  SearchOptions options = with_threads(2);
  options.max_depth = 3;
  SearchResult<BrokenMutex> r = search(model, options);
  CHECK(r.verdict == Verdict::Incomplete);
  CHECK(r.incomplete_reason == "max-depth");
  options.max_depth = 4;
  r = search(model, options);
  CHECK(r.verdict == Verdict::Violation);
  CHECK(r.actions.size() == 4);
}

}  // namespace
}  // namespace mmcheck
