// The visited set: a lock-free open-addressing table of canonical state encodings (exact mode)
// with per-thread append-only arenas. A slot holds the encoding's 64-bit hash and a pointer to
// its record; records never move, so a state's bytes stay valid for the whole search. During a
// BFS level every new record is "pending" and carries the smallest (parent position, action
// position) key that produced it; at the level's end the engine sorts them by that key and
// numbers them, which makes state numbering, parents and traces independent of thread timing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace mmcheck {

struct Record {
  std::atomic<std::uint64_t> key;  // smallest (parent position << 16 | action position)
  std::uint32_t id;                // state number once its level is closed; kPending before
  std::uint32_t length;            // encoding length in bytes
  // followed by `length` bytes of encoding
  const std::uint8_t* bytes() const { return reinterpret_cast<const std::uint8_t*>(this + 1); }
  std::uint8_t* bytes() { return reinterpret_cast<std::uint8_t*>(this + 1); }
  static constexpr std::uint32_t kPending = 0xffffffffu;
};

// One thread's arena: chunks of memory records are carved from; never freed before the search.
class Arena {
 public:
  Record* make_record(const std::uint8_t* bytes, std::uint32_t length, std::uint64_t key);
  std::size_t bytes_reserved() const { return reserved_; }

 private:
  std::vector<std::unique_ptr<std::uint8_t[]>> chunks_;
  std::size_t used_ = 0;
  std::size_t capacity_ = 0;
  std::size_t reserved_ = 0;
};

class StateTable {
 public:
  explicit StateTable(std::size_t initial_capacity_log2 = 16);

  enum class Outcome { Inserted, Found, Full };
  struct Result {
    Outcome outcome;
    Record* record;
  };
  // Thread-safe. Inserts the encoding unless present; a new record is made in `arena` with
  // `key`. Returns Full when the table is too loaded to guarantee progress (grow and retry).
  Result insert(std::uint64_t hash, const std::uint8_t* bytes, std::uint32_t length,
                std::uint64_t key, Arena& arena);
  // Not thread-safe: doubles the capacity (call between levels).
  void grow();
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return mask_ + 1; }
  bool needs_growth() const { return size() * 4 > capacity() * 3; }
  std::size_t bytes_used() const { return capacity() * sizeof(Slot); }

  static std::uint64_t hash_bytes(const std::uint8_t* bytes, std::size_t length);

 private:
  struct Slot {
    std::atomic<std::uint64_t> hash;
    std::atomic<Record*> record;
  };
  std::unique_ptr<Slot[]> slots_;
  std::size_t mask_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace mmcheck
