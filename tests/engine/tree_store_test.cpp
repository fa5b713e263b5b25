// The compressed store (checker/tree_store.hpp, `check --compress`): interned pairs are one id
// each under concurrent inserts and across growth, an encoding's value is equal for equal
// encodings only, the tables refuse past their load and at the end of their ids, and a
// compressed search gives the exact store's figures, findings and counterexamples at 1 and 4
// threads, through midway growth of every table.
#include "checker/tree_store.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "checker/search.hpp"
#include "tests/engine/reference_explorer.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

TEST_CASE("Concurrent interning gives each pair one id, kept across growth", "[engine][tree]") {
  // Plain std::threads (TSan sees their start and join): 4 threads intern the same 50,000 pairs
  // from different offsets, past the load at which the table is grown between levels.
  constexpr std::uint32_t kPairs = 50000;
  constexpr unsigned kThreads = 4;
  PairTable table(16);  // 65536 slots: 50,000 pairs stay under the 15/16 refusal
  std::vector<std::atomic<std::uint32_t>> id_of(kPairs);
  std::atomic<int> mismatches{0};
  auto intern_all = [&](unsigned worker) {
    PairTable::Block block;
    for (std::uint32_t i = 0; i < kPairs; ++i) {
      std::uint32_t n = (i + worker * 12007) % kPairs;
      std::uint32_t id = table.intern(n + 1, n % 97 + 1, block);
      if (id == PairTable::kFull || id == PairTable::kNoSpace) {
        mismatches.fetch_add(1);
        continue;
      }
      std::uint32_t expected = 0;
      if (!id_of[n].compare_exchange_strong(expected, id) && expected != id)
        mismatches.fetch_add(1);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) threads.emplace_back(intern_all, t);
  for (std::thread& t : threads) t.join();
  CHECK(mismatches.load() == 0);
  CHECK(table.size() == kPairs);
  std::set<std::uint32_t> distinct;
  for (auto& id : id_of) distinct.insert(id.load());
  CHECK(distinct.size() == kPairs);
  CHECK(table.needs_growth());
  table.grow();
  CHECK(table.capacity() == (std::size_t{1} << 17));
  PairTable::Block block;
  for (std::uint32_t n = 0; n < kPairs; ++n) {
    REQUIRE(table.find(n + 1, n % 97 + 1) == id_of[n].load());
    REQUIRE(table.intern(n + 1, n % 97 + 1, block) == id_of[n].load());
  }
  CHECK(table.find(kPairs + 1, 1) == 0);
  CHECK(table.size() == kPairs);
}

TEST_CASE("The pair table refuses past its load and at the end of its ids", "[engine][tree]") {
  PairTable small(4);  // 16 slots: refused once 16 * size passes 15 * 16
  PairTable::Block block;
  std::uint32_t last = 0;
  for (std::uint32_t i = 1; i <= 16; ++i) last = small.intern(i, i, block);
  CHECK(last != PairTable::kFull);
  CHECK(small.intern(99, 99, block) == PairTable::kFull);
  CHECK(small.intern(3, 3, block) == PairTable::kFull);  // a refused table is grown first
  small.grow();
  CHECK(small.intern(99, 99, block) != PairTable::kFull);

  // Ids run out: the smallest reservation (16 MiB) holds 2 Mi ids, handed out in blocks.
  PairTable few(22, 3000);
  PairTable::Block b;
  std::uint32_t got = 0;
  for (std::uint32_t i = 1; i <= 3000000; ++i) {
    std::uint32_t id = few.intern(i, 1, b);
    if (id == PairTable::kNoSpace) break;
    REQUIRE(id != PairTable::kFull);
    ++got;
  }
  CHECK(got > 0);
  CHECK(got < 3000000);
  CHECK(few.intern(3000001, 1, b) == PairTable::kNoSpace);
}

ByteWriter parts(std::initializer_list<std::vector<std::uint8_t>> list) {
  ByteWriter w;
  std::uint32_t cuts[ByteWriter::kMaxCuts];
  int n = 0;
  for (const auto& part : list) {
    for (std::uint8_t b : part) w.u8(b);
    cuts[n++] = static_cast<std::uint32_t>(w.size());
  }
  w.set_cuts(cuts, n - 1);  // the last part ends at size()
  return w;
}

TEST_CASE("Equal encodings, and only they, get equal values", "[engine][tree]") {
  TreeStore store;
  TreeStore::Local local;
  std::map<std::uint64_t, std::vector<std::uint8_t>> seen;
  // Five parts each, from a few shared pieces: shared parts and pairs, different wholes;
  // also cut points that move (equal bytes cut differently are different encodings here,
  // which a model never does: its cuts follow from its bytes).
  std::vector<std::vector<std::uint8_t>> pieces = {{}, {1}, {1, 2}, {2, 1}, {7, 7, 7}};
  int values = 0;
  for (const auto& a : pieces)
    for (const auto& b : pieces)
      for (const auto& c : pieces) {
        ByteWriter w = parts({a, b, {9}, c, {}});
        TreeStore::Value v = store.intern(w, local);
        REQUIRE(v.outcome == TreeStore::Outcome::Ok);
        CHECK(v.value != 0);
        CHECK((v.value & 1) == 0);
        std::vector<std::uint8_t> key = w.bytes();
        key.push_back(static_cast<std::uint8_t>(a.size()));
        key.push_back(static_cast<std::uint8_t>(b.size()));
        auto [it, fresh] = seen.emplace(v.value, key);
        CHECK((fresh || it->second == key));
        CHECK(store.find(w) == v.value);
        CHECK(store.intern(w, local).value == v.value);
        ++values;
      }
  CHECK(seen.size() == static_cast<std::size_t>(values));
  CHECK(store.leaves() == 5 + 1);  // the pieces, and {9}
  CHECK(store.find(parts({{5}, {1}, {9}, {1}, {}})) == 0);
}

TEST_CASE("A value unfolds to the encoding it was interned from, whatever the number of parts",
          "[engine][tree]") {
  // Every shape of the tree of pairs (1 to 16 parts: odd ones out at any level), parts of 0 to
  // 5 bytes shared between encodings.
  for (int n = 1; n <= ByteWriter::kMaxCuts + 1; ++n) {
    INFO(n << " parts");
    TreeStore store;
    TreeStore::Local local;
    std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> interned;
    for (std::uint32_t seed = 0; seed < 40; ++seed) {
      ByteWriter w;
      std::uint32_t cuts[ByteWriter::kMaxCuts];
      for (int i = 0; i < n; ++i) {
        std::uint32_t x = (seed * 7 + static_cast<std::uint32_t>(i) * 13) % 11;
        for (std::uint32_t b = 0; b < x % 6; ++b) w.u8(static_cast<std::uint8_t>(x + b));
        if (i + 1 < n) cuts[i] = static_cast<std::uint32_t>(w.size());
      }
      w.set_cuts(cuts, n - 1);
      TreeStore::Value v = store.intern(w, local);
      REQUIRE(v.outcome == TreeStore::Outcome::Ok);
      interned.emplace_back(v.value, w.bytes());
    }
    for (const auto& [value, bytes] : interned) {
      ByteWriter out;
      store.unfold(value, out);
      CHECK(out.bytes() == bytes);
    }
  }
}

TEST_CASE("A compressed search gives the exact store's figures and counterexamples",
          "[engine][tree]") {
  // The 13-cube (GridWalk cuts its encoding into parts of two walkers): 2^13 states, from
  // tables of 16 slots: its levels overfill them midway, so every table grows and levels are
  // redone.
  toy::GridWalk cube{.walkers = 13, .length = 2};
  for (unsigned threads : {1u, 4u}) {
    for (bool ahead : {false, true}) {
      INFO("threads " << threads << ", growing ahead " << ahead);
      SearchOptions options = testing::with_threads(threads);
      options.compress = true;
      options.grow_ahead = ahead;
      options.tree_capacity_log2 = 4;
      SearchResult<toy::GridWalk> r = search(cube, options);
      CHECK(r.verdict == Verdict::Holds);
      CHECK(r.stats.states == (std::uint64_t{1} << 13));
      CHECK(r.stats.transitions == 13 * (std::uint64_t{1} << 12));
      CHECK(r.stats.depth == 13);
      CHECK(std::string(r.stats.store_mode) == "compressed");
      CHECK(r.stats.omission_probability == 0);
      if (!ahead) CHECK(r.stats.levels_redone >= 1);
    }
  }
  // Its frontier keeps each state's value, not its encoding: smaller than the fingerprint
  // store's, whose records carry the encoding.
  SearchOptions fingerprint = testing::with_threads(1);
  fingerprint.fingerprint = true;
  SearchOptions compressed = testing::with_threads(1);
  compressed.compress = true;
  auto f = search(cube, fingerprint);
  auto t = search(cube, compressed);
  CHECK(t.stats.states == f.stats.states);
  CHECK(t.stats.frontier_bytes < f.stats.frontier_bytes);
  // Findings: the same verdict, depth and counterexample as the exact store.
  toy::BrokenMutex broken;
  toy::Deadlock deadlock;
  for (unsigned threads : {1u, 4u}) {
    SearchOptions exact = testing::with_threads(threads);
    SearchOptions compressed = exact;
    compressed.compress = true;
    auto a = search(broken, exact);
    auto b = search(broken, compressed);
    REQUIRE(a.verdict == Verdict::Violation);
    CHECK(b.verdict == a.verdict);
    CHECK(b.actions == a.actions);
    CHECK(b.stats.states == a.stats.states);
    CHECK(testing::trace_replays(broken, b));
    auto c = search(deadlock, exact);
    auto d = search(deadlock, compressed);
    REQUIRE(c.verdict == Verdict::Deadlock);
    CHECK(d.verdict == Verdict::Deadlock);
    CHECK(d.actions == c.actions);
    CHECK(d.stats.states == c.stats.states);
    CHECK(d.stats.transitions == c.stats.transitions);
  }
}

}  // namespace
}  // namespace mmcheck
