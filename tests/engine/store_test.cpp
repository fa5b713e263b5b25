// The visited set: the lock-free table refuses inserts when too loaded and keeps every record
// across growth, concurrent inserts of one encoding make one record, and a search whose BFS
// level overfills the table in its middle (so the level is redone after growing) still gives
// exact figures, equal to a closed form and to the reference explorer.
#include "checker/store.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <thread>

#include "checker/search.hpp"
#include "tests/engine/reference_explorer.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

std::vector<std::uint8_t> encoding_of_number(std::uint32_t n) {
  ByteWriter w;
  w.u32(n);
  w.u8(static_cast<std::uint8_t>(n * 7));  // odd length on purpose
  return w.bytes();
}

StateTable::Result insert_number(StateTable& table, std::uint32_t n, Arena& arena) {
  std::vector<std::uint8_t> bytes = encoding_of_number(n);
  return table.insert(StateTable::hash_bytes(bytes.data(), bytes.size()), bytes.data(),
                      static_cast<std::uint32_t>(bytes.size()), n, arena);
}

TEST_CASE("The state table refuses inserts when full and keeps every record when it grows",
          "[engine][store]") {
  StateTable table(4);  // 16 slots
  Arena arena;
  std::map<std::uint32_t, Record*> records;
  std::uint32_t n = 0;
  for (;; ++n) {
    StateTable::Result r = insert_number(table, n, arena);
    if (r.outcome == StateTable::Outcome::Full) break;
    REQUIRE(r.outcome == StateTable::Outcome::Inserted);
    records[n] = r.record;
  }
  // Refused past 15/16 load: the 16-slot table took 16 encodings at most, and at least 15.
  CHECK(n >= 15);
  CHECK(n <= 16);
  CHECK(table.size() == n);
  CHECK(table.needs_growth());
  table.grow();
  CHECK(table.capacity() == 32);
  CHECK_FALSE(table.needs_growth());
  for (const auto& [number, record] : records) {
    StateTable::Result r = insert_number(table, number, arena);
    CHECK(r.outcome == StateTable::Outcome::Found);
    CHECK(r.record == record);  // records never move
    CHECK(r.record->key.load() == number);
    std::vector<std::uint8_t> bytes = encoding_of_number(number);
    CHECK(std::vector<std::uint8_t>(r.record->bytes(), r.record->bytes() + r.record->length) ==
          bytes);
  }
  StateTable::Result fresh = insert_number(table, n, arena);
  CHECK(fresh.outcome == StateTable::Outcome::Inserted);
  CHECK(table.size() == n + 1);
}

TEST_CASE("An exact table whose record space is used up refuses new states, and finds old ones",
          "[engine][store]") {
  StateTable table(16, false, std::size_t{1} << 20);  // 1 MiB of records
  Arena arena;
  std::uint32_t n = 0;
  StateTable::Result r{};
  for (;; ++n) {
    r = insert_number(table, n, arena);
    if (r.outcome != StateTable::Outcome::Inserted) break;
  }
  CHECK(r.outcome == StateTable::Outcome::NoSpace);
  // 64 KiB, 128, 256 and 512 KiB chunks fit in 1 MiB; the next one does not. A record of a
  // 5-byte encoding takes 24 bytes.
  CHECK(n >= (960u << 10) / 24 - 4);  // each chunk may end with a record-sized gap
  CHECK(n <= (1u << 20) / 24);
  for (std::uint32_t old : {0u, n / 2, n - 1}) {
    StateTable::Result again = insert_number(table, old, arena);
    CHECK(again.outcome == StateTable::Outcome::Found);
    CHECK(again.record->key.load() == old);
  }
}

TEST_CASE("Concurrent inserts of the same encodings make exactly one record each",
          "[engine][store]") {
  // Plain std::threads, not oneTBB: ThreadSanitizer sees their start and join, so under the
  // tsan preset any report from this test is a race in the table or the arenas themselves.
  constexpr std::uint32_t kDistinct = 20000;
  constexpr std::uint32_t kCopies = 4;
  constexpr unsigned kThreads = 4;
  StateTable table(16);  // 65536 slots: 20000 encodings stay under the refusal load
  std::vector<std::unique_ptr<Arena>> arenas;
  for (unsigned i = 0; i < kThreads; ++i) arenas.push_back(std::make_unique<Arena>());
  std::vector<std::atomic<int>> inserted(kDistinct);
  std::vector<std::atomic<Record*>> record_of(kDistinct);
  std::atomic<int> mismatches{0};
  auto insert_all = [&](unsigned worker) {
    // Each worker walks every copy of every encoding, starting at a different offset.
    for (std::uint32_t i = 0; i < kDistinct * kCopies; ++i) {
      std::uint32_t n = (i + worker * 4999) % kDistinct;
      StateTable::Result r = insert_number(table, n, *arenas[worker]);
      if (r.outcome == StateTable::Outcome::Inserted) {
        inserted[n].fetch_add(1);
        Record* expected = nullptr;
        if (!record_of[n].compare_exchange_strong(expected, r.record)) mismatches.fetch_add(1);
      } else if (r.outcome == StateTable::Outcome::Found) {
        // The record found must be complete: its bytes are the encoding looked up.
        std::vector<std::uint8_t> bytes = encoding_of_number(n);
        if (r.record->length != bytes.size() ||
            !std::equal(bytes.begin(), bytes.end(), r.record->bytes()))
          mismatches.fetch_add(1);
        Record* seen = record_of[n].load();
        if (seen != nullptr && seen != r.record) mismatches.fetch_add(1);
      } else {
        mismatches.fetch_add(1);
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) threads.emplace_back(insert_all, t);
  for (std::thread& t : threads) t.join();
  CHECK(table.size() == kDistinct);
  CHECK(mismatches.load() == 0);
  int not_once = 0;
  for (auto& count : inserted) not_once += count.load() == 1 ? 0 : 1;
  CHECK(not_once == 0);
}

// The binomial coefficient C(n, k).
std::uint64_t choose(unsigned n, unsigned k) {
  std::uint64_t c = 1;
  for (unsigned i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return c;
}

// Replays the engine's growth policy without look-ahead (checker/search.hpp and
// checker/store.cpp with grow_ahead off: a 2^16-slot table, grown before a level past 3/4 load,
// refusing inserts past 15/16) over BFS level sizes and returns the number of levels that
// overfill the table mid-level.
unsigned levels_growing_midway(const std::vector<std::uint64_t>& states_at) {
  std::uint64_t capacity = std::uint64_t{1} << 16;
  std::uint64_t size = states_at[0];
  unsigned midway = 0;
  for (std::size_t d = 0; d + 1 < states_at.size(); ++d) {
    if (size * 4 > capacity * 3) capacity *= 2;
    std::uint64_t end = size + states_at[d + 1];
    if (end * 16 > capacity * 15 + 16) ++midway;  // at least one insert past the limit
    size = end;
  }
  return midway;
}

TEST_CASE("A BFS level that overfills the state table midway still gives exact figures",
          "[engine][store]") {
  // 17 walkers on 2 cells: the 17-cube. Closed forms: 2^17 states, 17 * 2^16 steps, depth 17,
  // and C(17, d) states at depth d. Levels 0..7 hold 41226 states (under 3/4 of 65536, so no
  // growth before level 7 is expanded) and level 8 adds 24310, past 15/16: the table fills up
  // in the middle of the level, grows, and the level is redone.
  toy::GridWalk model{.walkers = 17, .length = 2};
  constexpr std::uint64_t kStates = std::uint64_t{1} << 17;
  constexpr std::uint64_t kSteps = 17 * (std::uint64_t{1} << 16);
  std::vector<std::uint64_t> levels;
  for (unsigned d = 0; d <= 17; ++d) levels.push_back(choose(17, d));
  REQUIRE(levels_growing_midway(levels) >= 1);

  testing::ReferenceGraph g = testing::explore_reference(model);
  CHECK(g.states_at == levels);
  CHECK(g.states() == kStates);
  CHECK(g.transitions() == kSteps);

  for (auto [threads, ahead] : {std::pair{1u, false}, std::pair{4u, false}, std::pair{1u, true}}) {
    INFO("search threads " << threads << ", growing ahead " << ahead);
    SearchOptions options = testing::with_threads(threads);
    options.grow_ahead = ahead;
    SearchResult<toy::GridWalk> r = search(model, options);
    if (!ahead) CHECK(r.stats.levels_redone >= 1);
    CHECK(r.verdict == Verdict::Holds);
    CHECK(r.stats.states == kStates);
    CHECK(r.stats.transitions == kSteps);  // a redone level is not counted twice
    CHECK(r.stats.depth == 17);
    CHECK(r.label_counts == std::vector<std::uint64_t>{kSteps});
    // The table ended at 2^18 slots of 16 bytes (131072 states > 3/4 of 2^17).
    CHECK(r.stats.store_bytes >= (std::uint64_t{1} << 18) * 16);
  }
}

// The same growth with a finding: the 17-cube with "no walker set complete" as a state
// property. The violation is the all-ones state at depth 17, reached after the midway growth.
struct GridWalkToTheEnd : toy::GridWalk {
  std::optional<Violation> check_state(const State& s) const {
    if (finished(s)) return Violation{kNoDeadlock, "every walker arrived"};
    return std::nullopt;
  }
};

TEST_CASE("A counterexample found after a midway growth replays exactly", "[engine][store]") {
  GridWalkToTheEnd model;
  model.walkers = 17;
  model.length = 2;
  for (unsigned threads : {1u, 4u}) {
    SearchOptions options = testing::with_threads(threads);
    options.grow_ahead = false;
    SearchResult<GridWalkToTheEnd> r = search(model, options);
    CHECK(r.stats.levels_redone >= 1);
    REQUIRE(r.verdict == Verdict::Violation);
    REQUIRE(testing::trace_replays(model, r));
    // The smallest schedule: walkers in index order.
    std::vector<toy::GridWalk::Action> in_order;
    for (std::uint8_t i = 0; i < 17; ++i) in_order.push_back(i);
    CHECK(r.actions == in_order);
  }
}

}  // namespace
}  // namespace mmcheck
