// The engine's deadlock check: two threads taking two locks in opposite orders deadlock after
// two steps; in the same order they cannot; and terminal states where every thread finished are
// never deadlocks.
#include <catch2/catch.hpp>

#include "checker/search.hpp"
#include "tests/engine/reference_explorer.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

using testing::explore_reference;
using testing::with_threads;
using toy::Deadlock;

TEST_CASE("Two threads taking two locks in opposite orders deadlock after two steps",
          "[engine][deadlock]") {
  // By hand: thread 0 takes A, thread 1 takes B; each now waits for the other's lock and no
  // step is enabled. Nothing shorter exists: a thread holding both locks can always go on.
  constexpr std::uint32_t kShortest = 2;
  Deadlock model;
  testing::ReferenceGraph g = explore_reference(model);
  REQUIRE(g.first_bad_terminal_depth.has_value());
  CHECK(*g.first_bad_terminal_depth == kShortest);
  CHECK(g.states() == 19);  // golden figures of the whole graph
  CHECK(g.transitions() == 22);
  for (unsigned threads : {1u, 4u}) {
    SearchResult<Deadlock> r = search(model, with_threads(threads));
    REQUIRE(r.verdict == Verdict::Deadlock);
    REQUIRE(r.violation.has_value());
    CHECK(r.violation->property == *model.deadlock_property());
    CHECK(model.property_names()[r.violation->property] == "no_deadlock");
    CHECK(r.actions == std::vector<Deadlock::Action>{0, 1});
    REQUIRE(testing::trace_replays(model, r));
    const Deadlock::State& last = r.states.back();
    CHECK(last.owner == std::array<std::uint8_t, 2>{1, 2});  // A held by thread 0, B by 1
    std::vector<Deadlock::Action> enabled;
    model.enabled_actions(last, enabled);
    CHECK(enabled.empty());
    CHECK_FALSE(model.finished(last));
    // A terminal finding at level 2: levels 0..2 expanded, level 3 stored.
    CHECK(r.stats.depth == kShortest);
    CHECK(r.stats.states == g.states_through(kShortest + 1));
    CHECK(r.stats.transitions == g.transitions_through(kShortest));
  }
}

TEST_CASE("Two threads taking two locks in the same order never deadlock", "[engine][deadlock]") {
  Deadlock model{.opposite_order = false};
  testing::ReferenceGraph g = explore_reference(model);
  CHECK_FALSE(g.first_bad_terminal_depth.has_value());
  for (unsigned threads : {1u, 4u}) {
    SearchResult<Deadlock> r = search(model, with_threads(threads));
    CHECK(r.verdict == Verdict::Holds);
    CHECK(r.stats.states == g.states());
    CHECK(r.stats.states == 16);
    CHECK(r.stats.transitions == g.transitions());
    CHECK(r.label_counts == g.labels_through(g.max_depth()));
  }
}

// A model whose only terminal state is finished must not be reported as a deadlock, however
// its deadlock property is set; the same model claiming "not finished" must be.
template <bool kFinished>
struct Stopper : Deadlock {
  bool finished(const State&) const { return kFinished; }
};

TEST_CASE("Finished terminal states are not deadlocks, unfinished ones are", "[engine][deadlock]") {
  Deadlock same_order{.opposite_order = false};
  Stopper<true> finished;
  finished.opposite_order = false;
  Stopper<false> unfinished;
  unfinished.opposite_order = false;
  for (unsigned threads : {1u, 4u}) {
    CHECK(search(same_order, with_threads(threads)).verdict == Verdict::Holds);
    CHECK(search(finished, with_threads(threads)).verdict == Verdict::Holds);
    SearchResult<Stopper<false>> r = search(unfinished, with_threads(threads));
    CHECK(r.verdict == Verdict::Deadlock);
    // The only terminal state is the one where both threads ran to the end: 8 steps.
    CHECK(r.actions.size() == 8);
    CHECK(r.states.back().pc == std::array<std::uint8_t, 2>{4, 4});
  }
  // The other toy models end in finished states too and hold.
  CHECK(search(toy::Counter{.threads = 3, .check_total = false}, with_threads(4)).verdict ==
        Verdict::Holds);
  CHECK(search(toy::Peterson{.rounds = 2}, with_threads(4)).verdict == Verdict::Holds);
}

// No deadlock property: a stuck state is then not a finding.
struct DeadlockUnchecked : Deadlock {
  std::optional<std::uint32_t> deadlock_property() const { return std::nullopt; }
};

TEST_CASE("Stuck states are not reported when the model names no deadlock property",
          "[engine][deadlock]") {
  DeadlockUnchecked model;
  testing::ReferenceGraph g = explore_reference(model);
  SearchResult<DeadlockUnchecked> r = search(model, with_threads(4));
  CHECK(r.verdict == Verdict::Holds);
  CHECK(r.stats.states == g.states());
  CHECK(r.stats.transitions == g.transitions());
}

}  // namespace
}  // namespace mmcheck
