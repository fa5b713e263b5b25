// The packed level of the fingerprint and compressed stores: every state reads back as it was
// written, key and bytes, in order and from anywhere, whatever its length beside its
// neighbours'; a state costs its bytes and a few more; and searches that pack levels of every
// size give the exact store's figures.
#include "checker/level_store.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "checker/search.hpp"
#include "tests/toy_models.hpp"

namespace mmcheck {
namespace {

struct Packed {
  std::vector<std::vector<std::uint8_t>> states;
  std::vector<std::uint64_t> keys;
  std::vector<std::vector<std::uint8_t>> blocks;  // owns the bytes
  LevelStore level;
  std::size_t bytes = 0;
};

// Packs `states` with `keys` as the levels are packed: first state `first`.
void pack(Packed& p, std::size_t first) {
  p.level.begin(first, p.states.size());
  p.blocks.assign(p.level.blocks(), {});
  for (std::size_t b = 0; b < p.level.blocks(); ++b) {
    std::uint64_t prev_key = 0;
    for (std::size_t i = b * LevelStore::kBlock;
         i < std::min(p.states.size(), (b + 1) * LevelStore::kBlock); ++i) {
      const auto& s = p.states[i];
      LevelStore::append(p.blocks[b], p.keys[i], prev_key, s.data(),
                         static_cast<std::uint32_t>(s.size()));
      prev_key = p.keys[i];
    }
    p.bytes += p.blocks[b].size();
    p.level.set_block(b, p.blocks[b].data());
  }
}

void check_reads(const Packed& p, std::size_t first, LevelCursor& c, std::size_t i) {
  p.level.seek(c, first + i);
  INFO("state " << i);
  REQUIRE(c.key == p.keys[i]);
  REQUIRE(c.length == p.states[i].size());
  REQUIRE(std::vector<std::uint8_t>(c.bytes, c.bytes + c.length) == p.states[i]);
}

TEST_CASE("A packed level reads back every state, in order and from anywhere", "[store]") {
  std::mt19937_64 random(7);
  Packed p;
  std::vector<std::uint8_t> s(60);
  for (auto& b : s) b = static_cast<std::uint8_t>(random());
  std::uint64_t parent = 3;
  for (int i = 0; i < 1000; ++i) {
    // A neighbour: a few bytes changed, sometimes a part grown or shrunk in the middle, now and
    // then a state unlike the one before (or empty, or longer than the reference buffer).
    switch (random() % 8) {
      case 0:
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(random() % (s.size() + 1)),
                 static_cast<std::uint8_t>(random()));
        break;
      case 1:
        if (!s.empty()) s.erase(s.begin() + static_cast<std::ptrdiff_t>(random() % s.size()));
        break;
      case 2:
        s.assign(random() % 5 == 0 ? 0 : 1 + random() % 700, 0);
        for (auto& b : s) b = static_cast<std::uint8_t>(random());
        break;
      default:
        for (int k = 0; k < 3 && !s.empty(); ++k)
          s[random() % s.size()] = static_cast<std::uint8_t>(random());
    }
    p.states.push_back(s);
    parent += random() % 3 == 0 ? random() % 100000 : 0;
    p.keys.push_back(parent << 16 | (random() % 70000 & 0xffff));
    if (i > 0 && p.keys[i] < p.keys[i - 1]) p.keys[i] = p.keys[i - 1];
  }
  const std::size_t first = 123457;
  pack(p, first);
  LevelCursor in_order;
  for (std::size_t i = 0; i < p.states.size(); ++i) check_reads(p, first, in_order, i);
  LevelCursor anywhere;
  for (int k = 0; k < 3000; ++k) check_reads(p, first, anywhere, random() % p.states.size());
  // Backwards, and the same state twice.
  for (std::size_t i = p.states.size(); i-- > 0;) {
    check_reads(p, first, anywhere, i);
    check_reads(p, first, anywhere, i);
  }
}

TEST_CASE("A packed state costs its bytes and three more", "[store]") {
  Packed p;
  std::vector<std::uint8_t> s(100, 0x11);
  for (int i = 0; i < 64; ++i) {
    p.states.push_back(s);
    p.keys.push_back(std::uint64_t(i / 2) << 16 | (i % 2));  // siblings, parents one apart
  }
  pack(p, 0);
  CHECK(p.bytes == 64 * (100 + 3));  // parent growth, action, length: a byte each
  LevelCursor c;
  for (std::size_t i = 0; i < p.states.size(); ++i) check_reads(p, 0, c, i);
}

TEST_CASE("A packed level's chunks stop growing at 2 MiB, past any number of chunks", "[store]") {
  // 140 MB in pieces of 1,000 bytes: more than 64 chunks. A 2 MiB chunk holds 2,097 of them
  // whole, so the chunks' slack stays under a chunk or two; each piece is written.
  ByteChunks chunks;
  std::size_t taken = 0;
  for (int round = 0; round < 2; ++round) {  // the second level reuses the first one's chunks
    chunks.reset();
    std::size_t reserved = chunks.bytes_reserved();
    for (std::size_t i = 0; i < 140'000; ++i) {
      std::uint8_t* p = chunks.take(1000);
      std::memset(p, static_cast<int>(i), 1000);
      taken += 1000;
    }
    if (round == 1) CHECK(chunks.bytes_reserved() == reserved);
  }
  CHECK(chunks.bytes_reserved() >= taken / 2);
  CHECK(chunks.bytes_reserved() <= taken / 2 + (std::size_t{4} << 20));
  // 64 KiB to 1 MiB (five chunks), then 2 MiB each.
  CHECK(chunks.chunk_count() <= 5 + (taken / 2 - (std::size_t{1984} << 10)) / 2'097'000 + 1);
}

TEST_CASE("Fingerprint and compressed searches, whose levels are packed, count as the exact one",
          "[store]") {
  // Levels from one state to thousands, blocks cut anywhere; one and two threads.
  for (unsigned walkers : {1u, 3u, 5u}) {
    for (unsigned threads : {1u, 2u}) {
      CAPTURE(walkers, threads);
      toy::GridWalk model{.walkers = walkers, .length = 6};
      SearchOptions exact;
      exact.threads = threads;
      auto e = search(model, exact);
      std::uint64_t states = 1;
      for (unsigned w = 0; w < walkers; ++w) states *= 6;
      REQUIRE(e.stats.states == states);
      for (bool compress : {false, true}) {
        SearchOptions o = exact;
        (compress ? o.compress : o.fingerprint) = true;
        auto r = search(model, o);
        CHECK(r.verdict == e.verdict);
        CHECK(r.stats.states == e.stats.states);
        CHECK(r.stats.transitions == e.stats.transitions);
        CHECK(r.stats.depth == e.stats.depth);
        CHECK(r.stats.frontier_bytes > 0);
      }
    }
  }
  // A finding: the same counterexample from the packed levels.
  toy::Counter counter{.threads = 3};
  auto e = search(counter, SearchOptions{});
  REQUIRE(e.verdict == Verdict::Violation);
  for (bool compress : {false, true}) {
    SearchOptions o;
    (compress ? o.compress : o.fingerprint) = true;
    auto r = search(counter, o);
    CHECK(r.verdict == Verdict::Violation);
    CHECK(r.actions == e.actions);
    CHECK(r.stats.states == e.stats.states);
  }
}

// Store 0: exact, 1: fingerprint, 2: compressed.
SearchOptions store_options(int store, unsigned threads) {
  SearchOptions o;
  o.threads = threads;
  o.fingerprint = store == 1;
  o.compress = store == 2;
  return o;
}

TEST_CASE("Every store counts the lists a level is numbered with in its frontier", "[store]") {
  // Five walkers of six steps: 7,776 states, the widest level (the tuples summing to 12 or 13)
  // 780 of them. Numbering it takes a key and a pointer per new state in its worker's list: at
  // least 16 bytes a state of that level, in every store.
  toy::GridWalk model{.walkers = 5, .length = 6};
  std::vector<std::size_t> level(26, 0);
  for (unsigned t = 0; t < 7776; ++t) {
    unsigned sum = 0;
    for (unsigned x = t; x != 0; x /= 6) sum += x % 6;
    ++level[sum];
  }
  std::size_t widest = *std::max_element(level.begin(), level.end());
  REQUIRE(widest == 780);
  for (int store = 0; store < 3; ++store) {
    for (unsigned threads : {1u, 2u}) {
      CAPTURE(store, threads);
      auto r = search(model, store_options(store, threads));
      REQUIRE(r.stats.states == 7776);
      CHECK(r.stats.frontier_bytes >= 16 * widest);
    }
  }
}

TEST_CASE("A level's merge gives the keys of every worker's sorted list in order", "[store]") {
  // Three lists, one used up early, one empty; a merge started from where another stands goes
  // on as it would have.
  std::vector<KeyedRecord> a{{1, nullptr}, {4, nullptr}, {7, nullptr}, {10, nullptr}};
  std::vector<KeyedRecord> b{{2, nullptr}, {3, nullptr}, {11, nullptr}, {12, nullptr}};
  std::vector<KeyedRecord> c{{5, nullptr}};
  std::vector<KeyedRecord> d;
  LevelMerge merge({&a, &b, &c, &d});
  std::vector<std::uint64_t> keys;
  for (int i = 0; i < 5; ++i) keys.push_back(merge.next().first);
  std::vector<const KeyedRecord*> at = merge.at();
  std::vector<const KeyedRecord*> ends{a.data() + a.size(), b.data() + b.size(),
                                       c.data() + c.size(), d.data() + d.size()};
  LevelMerge again(at.data(), ends);
  std::vector<std::uint64_t> rest;
  for (int i = 0; i < 4; ++i) {
    rest.push_back(merge.next().first);
    CHECK(again.next().first == rest.back());
  }
  CHECK(keys == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(rest == std::vector<std::uint64_t>{7, 10, 11, 12});
}

TEST_CASE("Packed levels of thousands of states give the exact store's counterexample", "[store]") {
  // Six walkers of five steps: levels of up to 1,751 states (two runs of the merge), the bad
  // cells at depth 12, among thousands of shortest schedules: the one reported is fixed by the
  // numbering, which must be the same in every store and at any number of threads (one list
  // per thread).
  toy::GridWalk model{.walkers = 6, .length = 5};
  model.bad = std::array<std::uint8_t, 32>{4, 4, 0, 4, 0, 0};
  SearchOptions one;  // one list, already in key order: nothing to merge
  one.threads = 1;
  auto e = search(model, one);
  REQUIRE(e.verdict == Verdict::Violation);
  REQUIRE(e.actions.size() == 12);
  for (int store = 0; store < 3; ++store) {
    for (unsigned threads : {1u, 2u, 3u}) {
      CAPTURE(store, threads);
      auto r = search(model, store_options(store, threads));
      CHECK(r.verdict == Verdict::Violation);
      CHECK(r.actions == e.actions);
      CHECK(r.stats.states == e.stats.states);
      CHECK(r.stats.transitions == e.stats.transitions);
    }
  }
}

}  // namespace
}  // namespace mmcheck
