// The engine's output does not depend on the thread count: for every toy model, 1 and 4 search
// threads give the same verdict, figures, labels and counterexample, state by state. And a
// model that is itself nondeterministic (its steps read state kept outside the State value) is
// reported as such when its counterexample is replayed.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>

#include "checker/search.hpp"
#include "tests/engine/reference_explorer.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

using testing::trace_encodings;
using testing::with_threads;

// Also checks the counterexample is the one the reference explorer picks independently.
template <class M>
void check_same_with_1_and_4_threads(const M& model) {
  SearchResult<M> one = search(model, with_threads(1));
  REQUIRE(one.stats.threads == 1);
  std::optional<std::vector<typename M::Action>> expected =
      testing::reference_counterexample(model);
  CHECK(expected.has_value() == one.violation.has_value());
  if (expected) CHECK(one.actions == *expected);
  // Several 4-thread runs: the numbering of a level's new states must not follow thread timing.
  for (int run = 0; run < 3; ++run) {
    SearchResult<M> four = search(model, with_threads(4));
    REQUIRE(four.stats.threads == 4);
    CHECK(verdict_name(four.verdict) == std::string(verdict_name(one.verdict)));
    CHECK(four.stats.states == one.stats.states);
    CHECK(four.stats.transitions == one.stats.transitions);
    CHECK(four.stats.depth == one.stats.depth);
    CHECK(four.label_counts == one.label_counts);
    CHECK(four.violation.has_value() == one.violation.has_value());
    if (four.violation && one.violation) {
      CHECK(four.violation->property == one.violation->property);
      CHECK(four.violation->message == one.violation->message);
    }
    CHECK(four.actions == one.actions);
    CHECK(trace_encodings(model, four) == trace_encodings(model, one));
    CHECK(four.error == one.error);
  }
}

TEST_CASE("The counter gives the same results with 1 and 4 search threads", "[engine][threads]") {
  // Six threads: 13494 states in levels of up to 3555, many parallel chunks per level.
  check_same_with_1_and_4_threads(toy::Counter{.threads = 6});
  check_same_with_1_and_4_threads(toy::Counter{.threads = 6, .check_total = false});
  check_same_with_1_and_4_threads(toy::Counter{.threads = 2});
}

TEST_CASE("Peterson's lock gives the same results with 1 and 4 search threads",
          "[engine][threads]") {
  check_same_with_1_and_4_threads(toy::Peterson{.rounds = 10});
  check_same_with_1_and_4_threads(toy::Peterson{.rounds = 0});
}

TEST_CASE("The broken lock gives the same counterexample with 1 and 4 search threads",
          "[engine][threads]") {
  check_same_with_1_and_4_threads(toy::BrokenMutex{});
}

TEST_CASE("The lock-order deadlock gives the same counterexample with 1 and 4 search threads",
          "[engine][threads]") {
  check_same_with_1_and_4_threads(toy::Deadlock{});
  check_same_with_1_and_4_threads(toy::Deadlock{.opposite_order = false});
}

TEST_CASE("The grid walk gives the same results with 1 and 4 search threads", "[engine][threads]") {
  check_same_with_1_and_4_threads(toy::GridWalk{.walkers = 6, .length = 5});
}

// A lost update hidden deep in a wide graph: the counterexample is the smallest schedule among
// many equally short ones, so any dependence on thread timing would show in the trace.
struct CounterStopsAtLostUpdate : toy::Counter {
  std::optional<Violation> check_state(const State& s) const {
    unsigned written = 0;
    for (unsigned t = 0; t < threads; ++t) written += s.thread[t].pc == 2 ? 1 : 0;
    if (written == 3 && s.counter == 2) return Violation{kNoLostUpdate, "an update was lost"};
    return std::nullopt;
  }
};

TEST_CASE("A state violation in a wide graph has the same counterexample with 1 and 4 threads",
          "[engine][threads]") {
  CounterStopsAtLostUpdate model;
  model.threads = 6;
  check_same_with_1_and_4_threads(model);
  SearchResult<CounterStopsAtLostUpdate> r = search(model, with_threads(4));
  REQUIRE(r.verdict == Verdict::Violation);
  CHECK(testing::trace_replays(model, r));
  // Three writes with one lost: three reads, at least two of them before a write, then three
  // writes: 6 steps, the first depth where the state exists.
  CHECK(r.actions.size() == 6);
}

// The grid walk with one forbidden combination of cells in its widest levels: the smallest
// schedule to it runs through states that many parents share, spread over parallel chunks, so
// the trace depends on every level being numbered by smallest key, not by thread timing.
struct GridWalkAvoiding : toy::GridWalk {
  std::array<std::uint8_t, kMaxWalkers> forbidden{};
  std::optional<Violation> check_state(const State& s) const {
    if (s.position == forbidden) return Violation{kNoDeadlock, "the forbidden cells are taken"};
    return std::nullopt;
  }
};

TEST_CASE(
    "A deep state violation in the grid walk has the same counterexample with 1 and 4 threads",
    "[engine][threads]") {
  // Depth 12 of 21, in levels of 1918 to 2128 states. Every 80th of the 1918 cell combinations
  // at depth 12 (in lexicographic order) is a target: most sit far from the start of their
  // levels, in the chunks other threads expand, and the smallest schedule to them is sensitive
  // to how each level above was numbered.
  std::vector<std::array<std::uint8_t, 7>> targets;
  std::array<std::uint8_t, 7> cells{};
  for (unsigned code = 0, seen = 0; code < (1u << 14); ++code) {
    unsigned depth = 0;
    for (unsigned w = 0; w < 7; ++w) {
      cells[w] = static_cast<std::uint8_t>((code >> (2 * w)) & 3u);
      depth += cells[w];
    }
    if (depth == 12 && seen++ % 80 == 0) targets.push_back(cells);
  }
  REQUIRE(targets.size() == 24);
  for (const auto& target : targets) {
    GridWalkAvoiding model;
    model.walkers = 7;
    model.length = 4;
    std::copy(target.begin(), target.end(), model.forbidden.begin());
    check_same_with_1_and_4_threads(model);
    SearchResult<GridWalkAvoiding> r = search(model, with_threads(4));
    REQUIRE(r.verdict == Verdict::Violation);
    CHECK(r.actions.size() == 12);
    CHECK(testing::trace_replays(model, r));
  }
}

// ---- Nondeterministic models ----

// apply() stamps every successor with a global call count, so the states the search stored are
// not the ones a replay of the same actions produces.
std::atomic<std::uint32_t> g_apply_calls{0};

struct StampingModel {
  struct State {
    std::uint8_t pc = 0;
    std::uint32_t stamp = 0;
    bool operator==(const State&) const = default;
  };
  using Action = std::uint8_t;
  unsigned threads = 2;

  std::vector<State> initial_states() const { return {State{}}; }
  void enabled_actions(const State& s, std::vector<Action>& out) const {
    if (s.pc < 3)
      for (unsigned t = 0; t < threads; ++t) out.push_back(static_cast<Action>(t));
  }
  StepInfo apply(const State& s, Action, State& next) const {
    next.pc = static_cast<std::uint8_t>(s.pc + 1);
    next.stamp = g_apply_calls.fetch_add(1, std::memory_order_relaxed) + 1;
    return {0, std::nullopt};
  }
  std::optional<Violation> check_state(const State& s) const {
    if (s.pc == 3) return Violation{0, "the end is reached"};
    return std::nullopt;
  }
  bool finished(const State& s) const { return s.pc == 3; }
  std::optional<Violation> check_final(const State&) const { return std::nullopt; }
  void encode(const State& s, ByteWriter& w) const {
    w.u8(s.pc);
    w.u32(s.stamp);
  }
  State decode(ByteReader& r) const {
    State s;
    s.pc = r.u8();
    s.stamp = r.u32();
    return s;
  }
  const std::vector<std::string>& property_names() const {
    static const std::vector<std::string> kNames{"never_ends"};
    return kNames;
  }
  std::optional<std::uint32_t> deadlock_property() const { return std::nullopt; }
  const std::vector<std::string>& label_names() const {
    static const std::vector<std::string> kNames{"step"};
    return kNames;
  }
  std::string describe_action(const State&, Action a) const { return "step " + std::to_string(a); }
};
static_assert(Model<StampingModel>);

TEST_CASE("A model whose steps read a global counter is reported as nondeterministic",
          "[engine][nondeterminism]") {
  for (unsigned threads : {1u, 4u}) {
    SearchResult<StampingModel> r = search(StampingModel{}, with_threads(threads));
    CHECK(r.verdict == Verdict::Nondeterministic);
    CHECK_THAT(r.error, Catch::Contains("nondeterministic model"));
    CHECK_THAT(r.error, Catch::Contains("a replayed state differs from the stored one"));
    CHECK_THAT(r.error, Catch::Contains("state kept outside the State value"));
  }
}

// check_state() reports the violation only the first time: the replay of the counterexample
// no longer violates.
std::atomic<bool> g_reported{false};

struct ForgetfulModel : toy::BrokenMutex {
  std::optional<Violation> check_state(const State& s) const {
    std::optional<Violation> v = toy::BrokenMutex::check_state(s);
    if (v && g_reported.exchange(true)) return std::nullopt;
    return v;
  }
};

TEST_CASE("A model whose state check changes its answer on replay is reported as nondeterministic",
          "[engine][nondeterminism]") {
  // Only the first violating state the search meets counts; others it then meets at the same
  // level pass. Either way, the replay sees no violation.
  for (unsigned threads : {1u, 4u}) {
    g_reported.store(false);
    SearchResult<ForgetfulModel> r = search(ForgetfulModel{}, with_threads(threads));
    CHECK(r.verdict == Verdict::Nondeterministic);
    CHECK_THAT(r.error, Catch::Contains("the violating step no longer violates"));
  }
}

}  // namespace
}  // namespace mmcheck
