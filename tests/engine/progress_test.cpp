// The progress seam: the engine samples its counters and hands them to the front end's sink,
// and the sampling thread is stopped and joined on every way out of a search.
#include <catch2/catch.hpp>
#include <stdexcept>

#include "checker/search.hpp"
#include "tests/engine/reference_explorer.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

using testing::with_threads;
using toy::Counter;

struct CountingSink : ProgressSink {
  int updates = 0;
  int finishes = 0;
  std::uint64_t last_states = 0;
  void update(const Progress& p) override {
    ++updates;
    last_states = p.states;
  }
  void finish() override { ++finishes; }
};

// A model whose initial state cannot be built: bad input found by the model (a setup op that
// blocks) is an exception out of the search.
struct Unbuildable : Counter {
  std::vector<State> initial_states() const { throw std::runtime_error("setup blocks"); }
};

TEST_CASE("A search that throws stops and joins its progress thread", "[engine][progress]") {
  CountingSink sink;
  SearchOptions options = with_threads(2);
  options.progress = &sink;
  Unbuildable model;
  CHECK_THROWS_WITH(search(model, options), "setup blocks");
  CHECK(sink.finishes == 0);  // stopped before its first sample: no line to erase
}

TEST_CASE("A search with a progress sink has the same result as one without",
          "[engine][progress]") {
  Counter model{.threads = 6, .check_total = false};
  SearchOptions plain = with_threads(2);
  SearchResult<Counter> without = search(model, plain);
  CountingSink sink;
  SearchOptions options = plain;
  options.progress = &sink;
  SearchResult<Counter> with = search(model, options);
  CHECK(with.verdict == without.verdict);
  CHECK(with.stats.states == without.stats.states);
  CHECK(with.stats.transitions == without.stats.transitions);
  CHECK(sink.finishes == (sink.updates > 0 ? 1 : 0));
  CHECK(sink.last_states <= with.stats.states);
}

}  // namespace
}  // namespace mmcheck
