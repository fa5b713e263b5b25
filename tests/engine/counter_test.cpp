// The engine on the shared counter: figures counted by hand for two threads, the lost update and
// its shortest schedule, figures for more threads against the reference explorer, and the
// search bounds (states, depth, time), which must end a search as incomplete, never as holds.
#include <catch2/catch.hpp>

#include "checker/search.hpp"
#include "tests/engine/reference_explorer.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

using testing::explore_reference;
using testing::with_threads;
using toy::Counter;

// Two threads, each `read` (tmp = counter) then `write` (counter = tmp + 1). A thread is at pc 0
// (tmp 0), pc 1 (tmp = the value it read) or pc 2 (done, tmp back to 0). By (pc0, pc1):
//   (0,0): c=0                                                   1 state
//   (1,0), (0,1): the reader saw 0                               2 states
//   (2,0), (0,2): c=1;  (1,1): both saw 0, c=0                    3 states
//   (2,1): thread 1 read after the write (tmp 1) or before (tmp 0), c=1 either way; (1,2) the
//          same mirrored                                         4 states
//   (2,2): c=2 (serial) or c=1 (lost update)                     2 states
// Levels by BFS depth are these five rows: 1, 2, 3, 4, 2; 12 states, depth 4.
// Steps = enabled threads summed over states: (0,0) 2; (1,0),(0,1) 2 each; (2,0),(0,2) 1 each;
// (1,1) 2; the four (2,1)/(1,2) states 1 each; (2,2) none: 2 + 4 + 2 + 2 + 4 = 14 steps.
// Reads: (0,0) 2, (1,0) 1, (0,1) 1, (2,0) 1, (0,2) 1 = 6; writes: the other 8.
constexpr std::uint64_t kTwoThreadStates = 12;
constexpr std::uint64_t kTwoThreadSteps = 14;
constexpr std::uint32_t kTwoThreadDepth = 4;
const std::vector<std::uint64_t> kTwoThreadLabels{6, 8};  // read, write

TEST_CASE(
    "Two threads incrementing a counter reach exactly the 12 states and 14 steps counted by hand",
    "[engine][counter]") {
  Counter model{.threads = 2, .check_total = false};
  for (unsigned threads : {1u, 4u}) {
    SearchResult<Counter> r = search(model, with_threads(threads));
    CHECK(r.verdict == Verdict::Holds);
    CHECK(r.stats.states == kTwoThreadStates);
    CHECK(r.stats.transitions == kTwoThreadSteps);
    CHECK(r.stats.depth == kTwoThreadDepth);
    CHECK(r.label_counts == kTwoThreadLabels);
    CHECK(r.states.empty());
    CHECK_FALSE(r.violation.has_value());
  }
}

TEST_CASE("The reference explorer agrees with the hand count for two threads",
          "[engine][counter]") {
  // The reference explorer is trusted for the bigger models below; it earns that trust here.
  testing::ReferenceGraph g = explore_reference(Counter{.threads = 2, .check_total = false});
  CHECK(g.states_at == std::vector<std::uint64_t>{1, 2, 3, 4, 2});
  CHECK(g.transitions() == kTwoThreadSteps);
  CHECK(g.labels_through(g.max_depth()) == kTwoThreadLabels);
  CHECK(g.decode_round_trips);
}

TEST_CASE("Two non-atomic increments lose an update under the schedule read, read, write, write",
          "[engine][counter]") {
  Counter model{.threads = 2};
  SearchResult<Counter> r = search(model, with_threads(1));
  REQUIRE(r.verdict == Verdict::Violation);
  REQUIRE(r.violation.has_value());
  CHECK(model.property_names()[r.violation->property] == "no_lost_update");
  CHECK(r.violation->message == "counter is 1, expected 2");
  // The lost update needs both reads before either write: 4 steps, the length of every run.
  // The smallest schedule (thread order breaks ties level by level) is 0, 1, 0, 1.
  CHECK(r.actions == std::vector<Counter::Action>{0, 1, 0, 1});
  REQUIRE(r.states.size() == 5);
  CHECK(r.states.back().counter == 1);
  CHECK(model.finished(r.states.back()));
  CHECK(testing::trace_replays(model, r));
  // The finding is a terminal state at the last level, so the whole graph was explored.
  CHECK(r.stats.states == kTwoThreadStates);
  CHECK(r.stats.transitions == kTwoThreadSteps);
  CHECK(r.stats.depth == kTwoThreadDepth);
}

TEST_CASE("One thread incrementing a counter loses no update", "[engine][counter]") {
  SearchResult<Counter> r = search(Counter{.threads = 1}, with_threads(1));
  CHECK(r.verdict == Verdict::Holds);
  CHECK(r.stats.states == 3);
  CHECK(r.stats.transitions == 2);
}

TEST_CASE("Counter figures for three to six threads equal the reference explorer's",
          "[engine][counter]") {
  // Pinned golden figures (from the reference explorer) guard the reference as well.
  struct Expected {
    unsigned threads;
    std::uint64_t states;
    std::uint64_t transitions;
  };
  const Expected expected[] = {{3, 59, 99}, {4, 330, 740}, {5, 2027, 5755}, {6, 13494, 46590}};
  for (const Expected& e : expected) {
    INFO("threads in the model: " << e.threads);
    Counter model{.threads = e.threads, .check_total = false};
    testing::ReferenceGraph g = explore_reference(model);
    REQUIRE(g.decode_round_trips);
    CHECK(g.states() == e.states);
    CHECK(g.transitions() == e.transitions);
    CHECK(g.max_depth() == 2 * e.threads);
    for (unsigned threads : {1u, 4u}) {
      SearchResult<Counter> r = search(model, with_threads(threads));
      CHECK(r.verdict == Verdict::Holds);
      CHECK(r.stats.states == g.states());
      CHECK(r.stats.transitions == g.transitions());
      CHECK(r.stats.depth == g.max_depth());
      CHECK(r.label_counts == g.labels_through(g.max_depth()));
    }
    // With the final check on, the violation sits at the last level: same figures.
    SearchResult<Counter> v = search(Counter{.threads = e.threads}, with_threads(4));
    CHECK(v.verdict == Verdict::Violation);
    CHECK(v.stats.states == g.states());
    CHECK(v.stats.transitions == g.transitions());
    CHECK(v.actions.size() == 2 * e.threads);
    CHECK(testing::trace_replays(Counter{.threads = e.threads}, v));
  }
}

TEST_CASE("A max_states bound below the state count ends the search incomplete, never holds",
          "[engine][bounds]") {
  Counter model{.threads = 4, .check_total = false};
  testing::ReferenceGraph g = explore_reference(model);
  for (unsigned threads : {1u, 4u}) {
    SearchOptions options = with_threads(threads);
    options.max_states = g.states() - 1;
    SearchResult<Counter> r = search(model, options);
    CHECK(r.verdict == Verdict::Incomplete);
    CHECK(r.incomplete_reason == "max-states");
    // A tiny bound stops the search during its first levels.
    options.max_states = 10;
    r = search(model, options);
    CHECK(r.verdict == Verdict::Incomplete);
    CHECK(r.incomplete_reason == "max-states");
    CHECK(r.stats.states < g.states());
    // A bound equal to the state count is not hit: the bound is "more than", not off by one.
    options.max_states = g.states();
    r = search(model, options);
    CHECK(r.verdict == Verdict::Holds);
    CHECK(r.stats.states == g.states());
  }
}

TEST_CASE("An exact search that uses up its record space ends incomplete, never holds",
          "[engine][bounds]") {
  Counter model{.threads = 7, .check_total = false};
  testing::ReferenceGraph g = explore_reference(model);
  REQUIRE(g.states() > 20000);  // more records than 256 KiB holds
  for (unsigned threads : {1u, 4u}) {
    SearchOptions options = with_threads(threads);
    options.record_space = std::size_t{256} << 10;
    SearchResult<Counter> r = search(model, options);
    CHECK(r.verdict == Verdict::Incomplete);
    CHECK(r.incomplete_reason == "record-space");
    CHECK(r.stats.states < g.states());
    // Too small for even the first chunk: the initial state finds no room.
    options.record_space = 4096;
    r = search(model, options);
    CHECK(r.verdict == Verdict::Incomplete);
    CHECK(r.incomplete_reason == "record-space");
    CHECK(r.stats.states == 0);
    options.record_space = std::size_t{1} << 30;
    r = search(model, options);
    CHECK(r.verdict == Verdict::Holds);
    CHECK(r.stats.states == g.states());
  }
}

TEST_CASE("A max_depth bound below the depth ends the search incomplete with every shallower state",
          "[engine][bounds]") {
  Counter model{.threads = 4, .check_total = false};
  testing::ReferenceGraph g = explore_reference(model);
  REQUIRE(g.max_depth() == 8);
  for (unsigned threads : {1u, 4u}) {
    SearchOptions options = with_threads(threads);
    for (std::uint32_t bound = 1; bound < g.max_depth(); ++bound) {
      INFO("max_depth " << bound << ", search threads " << threads);
      options.max_depth = bound;
      SearchResult<Counter> r = search(model, options);
      CHECK(r.verdict == Verdict::Incomplete);
      CHECK(r.incomplete_reason == "max-depth");
      // Levels 0..bound are stored; only the states above the bound were expanded.
      CHECK(r.stats.states == g.states_through(bound));
      CHECK(r.stats.transitions == g.transitions_through(bound - 1));
      CHECK(r.stats.depth == bound);
    }
    // At the depth of the graph every state at the bound is terminal: the search completes.
    options.max_depth = g.max_depth();
    SearchResult<Counter> r = search(model, options);
    CHECK(r.verdict == Verdict::Holds);
    CHECK(r.stats.states == g.states());
  }
}

TEST_CASE("A tiny max_seconds bound ends a big counter search incomplete, never holds",
          "[engine][bounds]") {
  // 96679 states (counted by the reference explorer); the bound is checked after every level
  // at the latest, so the search stops long before.
  Counter model{.threads = 7, .check_total = false};
  for (unsigned threads : {1u, 4u}) {
    SearchOptions options = with_threads(threads);
    options.max_seconds = 1e-9;
    SearchResult<Counter> r = search(model, options);
    CHECK(r.verdict == Verdict::Incomplete);
    CHECK(r.incomplete_reason == "max-seconds");
    CHECK(r.stats.states < 96679);
    CHECK_FALSE(r.violation.has_value());
  }
}

TEST_CASE("A bound reached before the lost update reports incomplete, not a violation or holds",
          "[engine][bounds]") {
  Counter model{.threads = 3};
  SearchOptions options = with_threads(4);
  options.max_depth = 5;  // the lost update is a final state at depth 6
  SearchResult<Counter> r = search(model, options);
  CHECK(r.verdict == Verdict::Incomplete);
  CHECK(r.incomplete_reason == "max-depth");
  CHECK(r.states.empty());
}

TEST_CASE("A search that would number more states than its ids hold ends incomplete, never wraps",
          "[engine][bounds]") {
  Counter model{.threads = 7, .check_total = false};
  testing::ReferenceGraph g = explore_reference(model);
  for (unsigned threads : {1u, 4u}) {
    SearchOptions options = with_threads(threads);
    options.max_state_ids = 1000;
    SearchResult<Counter> r = search(model, options);
    CHECK(r.verdict == Verdict::Incomplete);
    CHECK(r.incomplete_reason == "state-ids");
    CHECK(r.stats.states <= 1000);
    options.max_state_ids = g.states();
    r = search(model, options);
    CHECK(r.verdict == Verdict::Holds);
    CHECK(r.stats.states == g.states());
  }
}

}  // namespace
}  // namespace mmcheck
