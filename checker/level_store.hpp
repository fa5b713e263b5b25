// A closed level of the fingerprint and compressed stores: its states in number order, packed.
//
// Those stores keep no state for the whole search, only the frontier: the level being expanded
// and the new level's pending records. Once a level is numbered, a state needs only its key
// (which orders the findings) and its encoding (the compressed store: its 8-byte value), read in
// number order by the workers that expand it. So the numbered level is written again, packed, and
// the pending records are freed: blocks of kBlock states, each state written as its key's growth
// since the previous state's and its bytes, whole for a block's first state and otherwise as the
// runs of bytes that differ from the previous state's. Sorted by key, a level's neighbours are
// siblings or cousins, which differ in a few places; where their lengths differ (a part grew or
// shrank), the previous state's bytes past that point are compared moved by the difference.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

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

// Where a worker is in a level: the state it read last, whose bytes it holds.
struct LevelCursor {
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::size_t id = kNone;
  const std::uint8_t* next = nullptr;  // the entry after it
  std::uint64_t key = 0;
  std::vector<std::uint8_t> bytes;
  std::uint32_t length = 0;
  std::vector<std::uint8_t> ref;  // the next state's, built from this one's
};

class LevelStore {
 public:
  static constexpr std::size_t kBlock = 16;

  // Appends one state, its key and its bytes, to a block in `out`: `prev` and `prev_key` are the
  // block's previous state's (null and 0 for its first). Keys are (parent position << 16 |
  // action position), in increasing order.
  static void append(std::vector<std::uint8_t>& out, std::uint64_t key, std::uint64_t prev_key,
                     const std::uint8_t* bytes, std::uint32_t length, const std::uint8_t* prev,
                     std::uint32_t prev_length);

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
