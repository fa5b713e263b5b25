// The compressed exact store's tables (`check --compress`): a state's encoding is cut into the
// parts its model names (a thread, a process, the frames: ByteWriter::set_cuts), each part is
// interned once in a table of leaves, and the parts' ids are paired up a binary tree's levels
// at a time in a table of pairs, each pair interned once (LTSmin's tree compression). The two
// ids left at the top are the state: 63 bits, equal for two encodings exactly when the
// encodings are equal, so the visited set keeps them as the fingerprint store keeps its
// fingerprints, without the fingerprint's chance of an omission. A step changes one or two
// parts, whose new leaves and pairs are the only memory a new state adds beside its 8 bytes.
// A value unfolds back into its encoding (pairs into ids, ids into leaves), so the search's
// frontier keeps values, not encodings.
//
// Thread-safe apart from growth (between BFS levels). Ids are handed out by the threads in
// blocks, so they depend on thread timing; nothing that is reported depends on them (states
// are numbered by their keys, checker/search_levels.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "checker/model.hpp"
#include "checker/store.hpp"

namespace mmcheck {

// Interned pairs of 31-bit ids: the pairs by id in one reserved range of address space (pages
// faulted in as ids reach them: 512 pairs a page), and an open-addressing table of 4-byte ids
// that finds a pair's id by comparing the pair it names.
class PairTable {
 public:
  static constexpr std::uint32_t kMaxIds = 0x7fffffffu;
  // `max_ids`: ids the reserved range holds (tests use fewer to reach its end).
  explicit PairTable(std::size_t initial_capacity_log2 = 16, std::uint32_t max_ids = kMaxIds);
  ~PairTable();
  PairTable(const PairTable&) = delete;
  PairTable& operator=(const PairTable&) = delete;

  // A thread's block of ids to hand out.
  struct Block {
    std::uint32_t next = 0;
    std::uint32_t end = 0;
  };
  static constexpr std::uint32_t kFull = 0;               // grow between levels and retry
  static constexpr std::uint32_t kNoSpace = 0xffffffffu;  // every id is used
  // The id of (a, b) (each below 2^31), interned when new: an id from 1, kFull or kNoSpace.
  std::uint32_t intern(std::uint32_t a, std::uint32_t b, Block& block);
  // The id of (a, b), or 0 when it was never interned.
  std::uint32_t find(std::uint32_t a, std::uint32_t b) const;
  // The pair an id names (a << 32 | b).
  std::uint64_t pair(std::uint32_t id) const { return pair_at(id).load(std::memory_order_relaxed); }
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }
  bool needs_growth(std::size_t expected = 0) const {
    return (size() + expected) * 4 > capacity_ * 3;
  }
  // Not thread-safe: doubles the table.
  void grow();
  // The table's bytes and the pairs' (the ids handed out so far).
  std::size_t bytes_used() const;

 private:
  std::size_t home(std::uint64_t pair) const;
  std::size_t next(std::size_t index) const { return index + 1 == capacity_ ? 0 : index + 1; }
  std::atomic<std::uint64_t>& pair_at(std::uint32_t id) const { return pairs_[id]; }
  BigArray<std::atomic<std::uint32_t>> slots_;
  std::size_t capacity_ = 0;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::uint64_t>* pairs_ = nullptr;  // reserved for max_ids_ + 1 pairs; id 0 unused
  std::size_t reserved_bytes_ = 0;
  std::uint32_t max_ids_ = 0;
  std::atomic<std::uint64_t> next_id_{1};
};

class TreeStore {
 public:
  // `leaf_space`: the leaves' bytes of address space (0: the most; tests use less).
  // `capacity_log2`: both tables' first size, in slots.
  explicit TreeStore(std::size_t leaf_space = 0, std::uint32_t max_pair_ids = PairTable::kMaxIds,
                     std::size_t capacity_log2 = 16);

  // A thread's arena for leaves and block of pair ids.
  struct Local {
    Arena leaves;
    PairTable::Block pairs;
  };
  enum class Outcome { Ok, Full, NoSpace };
  struct Value {
    Outcome outcome;
    std::uint64_t value;  // Ok: the state's value, nonzero with bit 0 clear
  };
  // The value of the encoding `w` holds, cut into its parts (the same number of parts for every
  // state of a search), its new parts and pairs interned.
  Value intern(const ByteWriter& w, Local& local);
  // The value of an encoding whose every part and pair is stored, or 0.
  std::uint64_t find(const ByteWriter& w) const;
  // The encoding a value stands for, appended to `out` (its parts' cuts not set): the search
  // keeps a frontier state as its value alone and decodes it through the tables.
  void unfold(std::uint64_t value, ByteWriter& out) const;

  // Between levels: whether `expected` more states could overfill a table, and growing them.
  bool needs_growth(std::size_t expected = 0) const;
  void grow(std::size_t expected = 0);  // the tables needs_growth(expected) finds short
  std::size_t bytes_used() const;       // both tables, the leaves' records and the pairs
  std::size_t leaves() const { return leaves_.size(); }
  std::size_t pairs() const { return pairs_.size(); }

 private:
  int parts_of(const ByteWriter& w) const;
  struct Id {
    Outcome outcome;
    std::uint32_t id;
  };
  template <class Leaf, class Pair>
  static Value fold(const ByteWriter& w, int n, Leaf leaf, Pair pair);
  StateTable leaves_;
  PairTable pairs_;
  std::atomic<int> parts_{0};  // the number of parts, fixed by the first state
};

}  // namespace mmcheck
