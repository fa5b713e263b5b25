// The visited set: a lock-free open-addressing table with per-thread append-only arenas.
//
// Exact mode: a slot is 8 bytes, the top 31 bits of the encoding's hash beside a 33-bit handle
// of its record (the record's place in the table's record space, in 8-byte units); records
// never move and are kept for the whole search, and a state is found only by comparing its
// full encoding, so no state is ever lost. The capacity is a power of two below 2^31, so the
// hash bits a slot keeps are the ones that place it: a growing table rehashes without reading
// a record.
//
// Fingerprint mode: a slot is 8 bytes, a 63-bit fingerprint of the encoding; records live only
// while their state is in the frontier (the search in one process packs a level once it is
// numbered, checker/level_store.hpp, the distributed search keeps two levels' records), so a
// state costs its slot plus its parent link. Two states with the same fingerprint are taken for one
// (an omission), with probability at most n^2 / 2^64 for n states, which the report prints. During
// a level a new slot holds its pending record's address with the low bit set; the level's end
// settles it to the fingerprint.
//
// In both modes every new record is "pending" during its BFS level and carries the smallest
// (parent position, action position) key that produced it; at the level's end the engine sorts
// the level by that key and numbers it, which makes state numbering, parents and traces
// independent of thread timing.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace mmcheck {

// MurmurHash3's 64-bit finalizer: every bit of x moves every bit of the result (tables placing
// values that are not hashes: the compressed store's state values and pairs of ids).
inline std::uint64_t mix_bits(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

// A state's record: a 16-byte header, then the encoding. In fingerprint mode a record is
// preceded by 8 more bytes, the table slot that holds it while it is pending (slot()); the
// exact store, which keeps every record for the whole search, does without them.
struct Record {
  std::atomic<std::uint64_t> key;  // smallest (parent position << 16 | action position)
  std::uint32_t id;                // state number once its level is closed; kPending before
  std::uint32_t length;            // encoding length in bytes
  // followed by `length` bytes of encoding
  const std::uint8_t* bytes() const { return reinterpret_cast<const std::uint8_t*>(this + 1); }
  std::uint8_t* bytes() { return reinterpret_cast<std::uint8_t*>(this + 1); }
  // Fingerprint mode only: the 8 bytes before the record.
  std::uint64_t& slot() { return *(reinterpret_cast<std::uint64_t*>(this) - 1); }
  std::uint64_t slot() const { return *(reinterpret_cast<const std::uint64_t*>(this) - 1); }
  // The compressed store only: the state's value (checker/tree_store.hpp), the 8 bytes before
  // slot().
  std::uint64_t& value() { return *(reinterpret_cast<std::uint64_t*>(this) - 2); }
  std::uint64_t value() const { return *(reinterpret_cast<const std::uint64_t*>(this) - 2); }
  static constexpr std::uint32_t kPending = 0xffffffffu;
};
static_assert(sizeof(Record) == 16);

// The big arrays (table, arena chunks) are mapped directly; arena chunks with their pages
// populated up front: one system call instead of a page fault per 4 KiB, which cost 15% of a
// long run. (Transparent huge pages were measured slower: their faults compact memory.)
struct Unmapper {
  std::size_t bytes = 0;
  void operator()(void* p) const;
};
template <class T>
using BigArray = std::unique_ptr<T[], Unmapper>;
// Zeroed memory for `bytes` (its pages faulted in now when `populate`); the deleter to free it.
void* big_alloc(std::size_t bytes, Unmapper& deleter, bool populate);

// Exact mode's records live in one reserved range of address space (64 GiB, no memory until
// used), so that a 33-bit handle names one: arenas take their chunks from it, populated.
class RecordSpace {
 public:
  static constexpr std::size_t kUnit = 8;  // records are 8-byte aligned; handles count units
  static constexpr int kHandleBits = 33;
  static constexpr std::size_t kMaxBytes = (std::size_t{1} << kHandleBits) * kUnit;  // 64 GiB
  // Reserves `bytes` (at most kMaxBytes; less where the address space is limited); 0: an empty
  // space (fingerprint mode needs none).
  explicit RecordSpace(std::size_t bytes);
  ~RecordSpace();
  RecordSpace(const RecordSpace&) = delete;
  RecordSpace& operator=(const RecordSpace&) = delete;
  // A populated chunk of `bytes` (a multiple of 4 KiB), or null when the space is used up.
  std::uint8_t* take(std::size_t bytes);
  std::uint64_t handle(const Record* r) const {
    return static_cast<std::uint64_t>(reinterpret_cast<const std::uint8_t*>(r) - base_) / kUnit + 1;
  }
  Record* record(std::uint64_t handle) const {
    return reinterpret_cast<Record*>(base_ + (handle - 1) * kUnit);
  }

 private:
  std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
  std::atomic<std::size_t> used_{0};
};

// One thread's arena: chunks of memory records are carved from.
class Arena {
 public:
  // A record with its encoding, preceded by `prefix_words` zeroed 8-byte words (1: slot(); 2:
  // value() and slot()). Its chunks come from `space` when given (null when the space is used
  // up), else from mmap.
  Record* make_record(const std::uint8_t* bytes, std::uint32_t length, std::uint64_t key,
                      int prefix_words, RecordSpace* space = nullptr);
  // Drops every record (fingerprint mode: the level they belonged to is done); the chunks are
  // kept for the next level's records.
  void reset();
  std::size_t bytes_reserved() const { return reserved_; }
  std::size_t peak_bytes() const { return peak_; }

 private:
  std::vector<BigArray<std::uint8_t>> chunks_;
  std::vector<std::size_t> chunk_bytes_;  // their sizes
  std::size_t current_ = 0;               // the chunk records are carved from
  std::size_t used_ = 0;
  std::size_t capacity_ = 0;
  std::size_t reserved_ = 0;
  std::size_t peak_ = 0;
};

// Records by state number (the exact store), in chunks of 2^16 pointers: growing never copies.
class RecordIndex {
 public:
  static constexpr std::size_t kChunkLog2 = 16;
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkLog2;
  Record*& operator[](std::size_t id) { return chunks_[id >> kChunkLog2][id & (kChunk - 1)]; }
  Record* operator[](std::size_t id) const { return chunks_[id >> kChunkLog2][id & (kChunk - 1)]; }
  // Makes room for every id below `end`.
  void extend(std::size_t end);
  std::size_t bytes() const { return chunks_.size() * kChunk * sizeof(Record*); }

 private:
  std::vector<BigArray<Record*>> chunks_;
};

class StateTable {
 public:
  // `record_space`: exact mode's bytes of address space for records (0: RecordSpace::kMaxBytes;
  // tests use less to reach its end).
  // `exact_values` (fingerprint mode, the compressed store): the "hash" insert() and contains()
  // are given is the state's exact 63-bit value (checker/tree_store.hpp), kept as it is instead
  // of a fingerprint of a hash, and placed by a mix of its bits.
  explicit StateTable(std::size_t initial_capacity_log2 = 16, bool fingerprint = false,
                      std::size_t record_space = 0, bool exact_values = false);

  // NoSpace: exact mode's record space is used up (64 GiB of records).
  enum class Outcome { Inserted, Found, Full, NoSpace };
  struct Result {
    Outcome outcome;
    Record* record;  // Found in fingerprint mode: the pending record, or null for an old state
  };
  // Thread-safe. Inserts the encoding unless present; a new record is made in `arena` with
  // `key`. Returns Full when the table is too loaded to guarantee progress (grow and retry).
  // With count = false the caller counts its insertions and reports them with add_size() in
  // batches, so the hot path writes no shared counter; the load check then lags by at most
  // those batches, which the 15/16 limit leaves room for (a full probe sequence still returns
  // Full).
  Result insert(std::uint64_t hash, const std::uint8_t* bytes, std::uint32_t length,
                std::uint64_t key, Arena& arena, bool count = true);
  void add_size(std::size_t n) { size_.fetch_add(n, std::memory_order_relaxed); }
  // Brings the slot a hash starts probing at into the cache.
  void prefetch(std::uint64_t hash) const {
    __builtin_prefetch(&slots_[home(fingerprint_ ? place(fp_of(hash)) : hash)]);
  }
  // Exact mode: when the slot a hash starts probing at holds that hash, brings the record it
  // points to into the cache (the comparison that follows would miss on it).
  void prefetch_record(std::uint64_t hash) const {
    if (fingerprint_) return;
    std::uint64_t seen = slots_[home(hash)].load(std::memory_order_relaxed);
    if (seen == 0 || (seen & kTagMask) != (hash & kTagMask)) return;
    const Record* r = space_.record(seen & kHandleMask);
    __builtin_prefetch(r);
    __builtin_prefetch(reinterpret_cast<const char*>(r) + 64);
  }
  // Fingerprint mode, not thread-safe: a closed level's record leaves its slot.
  void settle(const Record* record);
  // Whether a state with this hash was stored (fingerprint mode: by fingerprint).
  bool contains(std::uint64_t hash, const std::uint8_t* bytes, std::uint32_t length) const;
  // Fingerprint mode, between levels (checkpoints): the settled fingerprints, and inserting one
  // (false when it is there already).
  std::vector<std::uint64_t> settled_fingerprints() const;
  bool insert_settled(std::uint64_t fingerprint);
  // Exact mode: the record of this encoding (pending or numbered), or null.
  const Record* find(std::uint64_t hash, const std::uint8_t* bytes, std::uint32_t length) const;
  // Not thread-safe (call between levels): exact mode doubles the capacity (a power of two);
  // fingerprint mode, where the table is most of the memory, grows it by a third.
  void grow();
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return capacity_; }
  // Exact mode keeps the load below 3/4; fingerprint mode below 7/8 (8-byte slots, so a probe
  // sequence at that load still spans few cache lines). Either may pass it within a level, up
  // to the 15/16 at which insert() refuses.
  // `expected` more insertions are coming (the next level, estimated).
  bool needs_growth(std::size_t expected = 0) const {
    std::size_t n = size() + expected;
    return fingerprint_ ? n * 8 > capacity() * 7 : n * 4 > capacity() * 3;
  }
  std::size_t bytes_used() const { return capacity() * 8; }
  std::size_t grown_bytes() const {  // bytes_used() after the next grow()
    return (fingerprint_ ? capacity_ + capacity_ / 3 : capacity_ * 2) * 8;
  }
  bool fingerprint() const { return fingerprint_; }
  bool exact_values() const { return exact_values_; }
  // Exact mode: the handle of a record (its place in the record space, from 1), and back.
  std::uint64_t handle(const Record* r) const { return space_.handle(r); }
  const Record* record_at(std::uint64_t handle) const { return space_.record(handle); }

  static std::uint64_t hash_bytes(const std::uint8_t* bytes, std::size_t length);
  static std::uint64_t fingerprint_of(std::uint64_t hash) {
    std::uint64_t fp = hash & ~std::uint64_t{1};
    return fp == 0 ? 2 : fp;
  }

 private:
  static constexpr std::uint64_t kHandleMask = (std::uint64_t{1} << RecordSpace::kHandleBits) - 1;
  static constexpr std::uint64_t kTagMask = ~kHandleMask;  // the hash's top 31 bits
  Result insert_exact(std::uint64_t hash, const std::uint8_t* bytes, std::uint32_t length,
                      std::uint64_t key, Arena& arena);
  Result insert_fingerprint(std::uint64_t hash, const std::uint8_t* bytes, std::uint32_t length,
                            std::uint64_t key, Arena& arena);
  // The slot a hash starts probing at: the high part of hash * capacity (any capacity works).
  std::size_t home(std::uint64_t hash) const {
    return static_cast<std::size_t>((static_cast<unsigned __int128>(hash) * capacity_) >> 64);
  }
  std::size_t next(std::size_t index) const { return index + 1 == capacity_ ? 0 : index + 1; }
  // Fingerprint mode: what a slot holds for a hash, and the hash its home is taken of.
  std::uint64_t fp_of(std::uint64_t hash) const {
    return exact_values_ ? hash : fingerprint_of(hash);
  }
  // An exact value's bits are ids, not hash bits: it is placed by a mix of them.
  std::uint64_t place(std::uint64_t fp) const { return exact_values_ ? mix_bits(fp) : fp; }
  // A pending record's fingerprint (or exact value).
  std::uint64_t fp_of(const Record* pending) const;
  bool fingerprint_;
  bool exact_values_;
  RecordSpace space_;  // exact mode
  // Exact mode: hash tag | record handle. Fingerprint mode: a fingerprint, or a pending record's
  // address | kTag.
  BigArray<std::atomic<std::uint64_t>> slots_;
  std::size_t capacity_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace mmcheck
