// A closed level of the fingerprint and compressed stores: its states in number order, packed.
//
// Those stores keep no state for the whole search, only the frontier: the level being expanded
// and the new level's pending records. Once a level is numbered, a state needs only its key
// (which orders the findings) and its encoding (the compressed store: its 8-byte value), read in
// number order by the workers that expand it. So the numbered level is written again, packed,
// and the pending records are freed: blocks of kBlock states, each state written as its key (the
// growth of its parent position since the previous state's, and its action, about two bytes),
// its length and its bytes, with no header, slot or index of its own. (Writing a state as the
// bytes that differ from the previous one's was measured: 38 bytes a state instead of 65 on
// fam-N4-K2-P1, for a sixth more time in the whole fingerprint search; not done.)
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "checker/assert.hpp"
#include "checker/store.hpp"

namespace mmcheck {

// Append-only bytes in populated chunks; reset() keeps the chunks for the next level.
class ByteChunks {
 public:
  std::uint8_t* take(std::size_t n);
  void reset() {
    current_ = 0;
    used_ = 0;
    capacity_ = chunks_.empty() ? 0 : sizes_[0];
  }
  std::size_t bytes_reserved() const { return reserved_; }
  std::size_t chunk_count() const { return chunks_.size(); }

 private:
  std::vector<BigArray<std::uint8_t>> chunks_;
  std::vector<std::size_t> sizes_;
  std::size_t current_ = 0;
  std::size_t used_ = 0;
  std::size_t capacity_ = 0;
  std::size_t reserved_ = 0;
};

// Where a worker is in a level: the state it read last (its bytes, in the level's memory).
struct LevelCursor {
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::size_t id = kNone;
  const std::uint8_t* next = nullptr;  // the entry after it
  std::uint64_t key = 0;
  const std::uint8_t* bytes = nullptr;
  std::uint32_t length = 0;
};

// A new record with its key (parent position << 16 | action position), which sorting compares
// inline instead of through the record.
using KeyedRecord = std::pair<std::uint64_t, Record*>;

// A level's new records in number order, without a list of the whole level: each worker's list
// is sorted by key, and the level is their merge (keys are unique: a parent and an action make
// one successor). A merge can start anywhere from the lists' positions there (at()).
class LevelMerge {
 public:
  explicit LevelMerge(const std::vector<const std::vector<KeyedRecord>*>& lists) {
    for (const auto* l : lists) {
      at_.push_back(l->data());
      end_.push_back(l->data() + l->size());
    }
  }
  LevelMerge(const KeyedRecord* const* at, const std::vector<const KeyedRecord*>& end)
      : at_(at, at + end.size()), end_(end) {}
  // The next record in key order (there must be one). A linear scan of the lists' heads: as
  // many lists as threads.
  const KeyedRecord& next() {
    std::size_t best = at_.size();
    for (std::size_t i = 0; i < at_.size(); ++i)
      if (at_[i] != end_[i] && (best == at_.size() || at_[i]->first < at_[best]->first)) best = i;
    MM_ASSERT(best != at_.size(), "a level's merge read past its last record");
    return *at_[best]++;
  }
  // Where each list stands (a merge started from these continues this one).
  const std::vector<const KeyedRecord*>& at() const { return at_; }

 private:
  std::vector<const KeyedRecord*> at_;
  std::vector<const KeyedRecord*> end_;
};

class LevelStore {
 public:
  static constexpr std::size_t kBlock = 16;

  // Appends one state, its key and its bytes, to a block in `out`: `prev_key` is the block's
  // previous state's (0 for its first). Keys are (parent position << 16 | action position), in
  // increasing order.
  static void append(std::vector<std::uint8_t>& out, std::uint64_t key, std::uint64_t prev_key,
                     const std::uint8_t* bytes, std::uint32_t length);

  // A new level of `count` states numbered from `first`; its blocks are set with set_block().
  void begin(std::size_t first, std::size_t count) {
    first_ = first;
    count_ = count;
    blocks_.assign((count + kBlock - 1) / kBlock, nullptr);
    peak_index_ = std::max(peak_index_, blocks_.capacity() * sizeof(const std::uint8_t*));
  }
  std::size_t blocks() const { return blocks_.size(); }
  void set_block(std::size_t block, const std::uint8_t* at) { blocks_[block] = at; }
  std::size_t first() const { return first_; }
  std::size_t end() const { return first_ + count_; }

  // Moves the cursor to state `id` of this level (cheap from the state before it).
  void seek(LevelCursor& c, std::size_t id) const;

  std::size_t peak_index_bytes() const { return peak_index_; }

 private:
  static void read_entry(LevelCursor& c, bool first_in_block);
  std::size_t first_ = 0;
  std::size_t count_ = 0;
  std::vector<const std::uint8_t*> blocks_;
  std::size_t peak_index_ = 0;
};

}  // namespace mmcheck
