// The lock-free visited set (exact and fingerprint modes) and the arenas records live in.
#include "checker/store.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <sys/mman.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>

#include "checker/assert.hpp"

namespace mmcheck {

namespace {
constexpr std::size_t kBlock = std::size_t{2} << 20;
constexpr std::size_t kChunkBytes = kBlock;
constexpr std::size_t kFirstChunkBytes = std::size_t{64} << 10;
constexpr std::size_t kPage = 4096;
constexpr std::size_t kAlign = alignof(Record);
constexpr std::uint64_t kTag = 1;  // fingerprint mode: the slot holds a pending record's address
template <class T>
BigArray<T> big_array(std::size_t n) {
  static_assert(std::is_trivially_destructible_v<T>);
  Unmapper deleter;
  // Populated: faulting a table's pages in from the threads of a parallel rehash was measured
  // three times slower in the kernel. A big table is populated by the search's threads
  // together, a block each (MADV_POPULATE_WRITE: the kernel zeroes the pages, which on a
  // virtual machine costs more than the rehash itself); a kernel without it (before 5.14) gets
  // MAP_POPULATE from one thread. The zero-filled pages already hold every slot's empty value
  // (atomics of integers and pointers, whose zero is all-zero bits), so no pass writes them
  // first.
  std::size_t bytes = n * sizeof(T);
  if (bytes >= 4 * kBlock) {
    auto* p = static_cast<std::uint8_t*>(big_alloc(bytes, deleter, /*populate=*/false));
    std::atomic<bool> unsupported{false};
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, deleter.bytes / kBlock, 1),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t b = range.begin(); b != range.end(); ++b)
                          if (madvise(p + b * kBlock, kBlock, MADV_POPULATE_WRITE) != 0)
                            unsupported.store(true, std::memory_order_relaxed);
                      });
    if (!unsupported.load()) return BigArray<T>(reinterpret_cast<T*>(p), deleter);
    deleter(p);
  }
  T* p = static_cast<T*>(big_alloc(bytes, deleter, /*populate=*/true));
  return BigArray<T>(p, deleter);
}
}  // namespace

void* big_alloc(std::size_t bytes, Unmapper& deleter, bool populate) {
  std::size_t unit = bytes >= kBlock ? kBlock : kPage;
  std::size_t rounded = (bytes + unit - 1) & ~(unit - 1);
  void* p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();  // the search ends incomplete (out-of-memory)
  deleter.bytes = rounded;
  return p;
}

void Unmapper::operator()(void* p) const {
  if (p != nullptr && bytes != 0) munmap(p, bytes);  // 0: a chunk of a record space
}

RecordSpace::RecordSpace(std::size_t bytes) {
  if (bytes == 0) return;
  // Address space only: an inaccessible private mapping commits no memory. Where the address
  // space is limited (ulimit -v), a smaller range is taken, down to 16 MiB; a search that
  // fills it ends incomplete (record-space).
  std::size_t want = (std::min(bytes, kMaxBytes) + kPage - 1) & ~(kPage - 1);
  for (std::size_t size = want; size >= std::min(want, std::size_t{16} << 20); size /= 2) {
    void* p = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      base_ = static_cast<std::uint8_t*>(p);
      size_ = size;
      return;
    }
  }
  throw std::bad_alloc();  // not even 16 MiB of address space: out of memory
}

RecordSpace::~RecordSpace() {
  if (base_ != nullptr) munmap(base_, size_);
}

std::uint8_t* RecordSpace::take(std::size_t bytes) {
  std::size_t at = used_.fetch_add(bytes, std::memory_order_relaxed);
  if (at + bytes > size_) return nullptr;
  void* p = mmap(base_ + at, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<std::uint8_t*>(p);
}

Record* Arena::make_record(const std::uint8_t* bytes, std::uint32_t length, std::uint64_t key,
                           int prefix_words, RecordSpace* space) {
  std::size_t prefix = static_cast<std::size_t>(prefix_words) * sizeof(std::uint64_t);
  std::size_t need = (prefix + sizeof(Record) + length + kAlign - 1) & ~(kAlign - 1);
  if (used_ + need > capacity_) {
    MM_ASSERT(need <= kChunkBytes, "a state encoding larger than an arena chunk");
    if (!chunks_.empty() && current_ + 1 < chunks_.size()) {
      ++current_;  // a chunk kept from an earlier level
    } else {
      // Chunks start at 64 KiB and double up to 2 MiB, so a small search stays small.
      std::size_t size =
          std::min(kChunkBytes, kFirstChunkBytes << std::min<std::size_t>(chunks_.size(), 16));
      Unmapper deleter;
      std::uint8_t* chunk;
      std::size_t bytes = size;
      if (space != nullptr) {
        chunk = space->take(size);  // unmapped with the space (the deleter's size stays 0)
        if (chunk == nullptr) return nullptr;
      } else {
        chunk = static_cast<std::uint8_t*>(big_alloc(size, deleter, /*populate=*/true));
        bytes = deleter.bytes;
      }
      chunks_.emplace_back(chunk, deleter);
      chunk_bytes_.push_back(bytes);
      current_ = chunks_.size() - 1;
      reserved_ += bytes;
      peak_ = std::max(peak_, reserved_);
    }
    used_ = 0;
    capacity_ = chunk_bytes_[current_];
  }
  void* where = chunks_[current_].get() + used_ + prefix;
  used_ += need;
  auto* record = new (where) Record{};
  record->key.store(key, std::memory_order_relaxed);
  record->id = Record::kPending;
  record->length = length;
  if (prefix_words > 0) std::memset(static_cast<std::uint8_t*>(where) - prefix, 0, prefix);
  std::memcpy(record->bytes(), bytes, length);
  return record;
}

void Arena::reset() {
  current_ = 0;
  used_ = 0;
  capacity_ = chunks_.empty() ? 0 : chunk_bytes_[0];
}

void RecordIndex::extend(std::size_t end) {
  while (chunks_.size() * kChunk < end) {
    Unmapper deleter;
    auto* chunk = static_cast<Record**>(big_alloc(kChunk * sizeof(Record*), deleter, true));
    chunks_.emplace_back(chunk, deleter);
  }
}

StateTable::StateTable(std::size_t initial_capacity_log2, bool fingerprint,
                       std::size_t record_space, bool exact_values)
    : fingerprint_(fingerprint),
      exact_values_(exact_values),
      space_(fingerprint         ? 0
             : record_space == 0 ? RecordSpace::kMaxBytes
                                 : record_space),
      capacity_(std::size_t{1} << initial_capacity_log2) {
  MM_ASSERT(fingerprint || !exact_values, "exact values are kept by the fingerprint store");
  slots_ = big_array<std::atomic<std::uint64_t>>(capacity_);
}

std::uint64_t StateTable::fp_of(const Record* pending) const {
  return exact_values_ ? pending->value()
                       : fingerprint_of(hash_bytes(pending->bytes(), pending->length));
}

std::uint64_t StateTable::hash_bytes(const std::uint8_t* bytes, std::size_t length) {
  std::uint64_t h = XXH3_64bits(bytes, length);
  return h == 0 ? 1 : h;  // 0 marks an empty slot
}

StateTable::Result StateTable::insert(std::uint64_t hash, const std::uint8_t* bytes,
                                      std::uint32_t length, std::uint64_t key, Arena& arena,
                                      bool count) {
  // Refuse past 15/16 load: linear probing degrades sharply there, and the engine grows the
  // table and redoes the level instead.
  if (size_.load(std::memory_order_relaxed) * 16 > capacity_ * 15) return {Outcome::Full, nullptr};
  Result r = fingerprint_ ? insert_fingerprint(hash, bytes, length, key, arena)
                          : insert_exact(hash, bytes, length, key, arena);
  if (count && r.outcome == Outcome::Inserted) size_.fetch_add(1, std::memory_order_relaxed);
  return r;
}

StateTable::Result StateTable::insert_exact(std::uint64_t hash, const std::uint8_t* bytes,
                                            std::uint32_t length, std::uint64_t key, Arena& arena) {
  const std::uint64_t tag = hash & kTagMask;
  std::size_t index = home(hash);
  Record* mine = nullptr;  // made when an empty slot is found, before claiming it
  for (std::size_t probes = 0; probes < capacity_; ++probes, index = next(index)) {
    std::atomic<std::uint64_t>& slot = slots_[index];
    std::uint64_t seen = slot.load(std::memory_order_acquire);
    if (seen == 0) {
      if (mine == nullptr) {
        mine = arena.make_record(bytes, length, key, /*prefix_words=*/0, &space_);
        if (mine == nullptr) return {Outcome::NoSpace, nullptr};
      }
      if (slot.compare_exchange_strong(seen, tag | space_.handle(mine), std::memory_order_acq_rel))
        return {Outcome::Inserted, mine};
      // Lost the race for this slot: `seen` is what the winner put there. If it is this state,
      // the record made stays unused in the arena.
    }
    if ((seen & kTagMask) != tag) continue;
    const Record* record = space_.record(seen & kHandleMask);
    if (record->length == length && std::memcmp(record->bytes(), bytes, length) == 0)
      return {Outcome::Found, const_cast<Record*>(record)};
  }
  return {Outcome::Full, nullptr};
}

StateTable::Result StateTable::insert_fingerprint(std::uint64_t hash, const std::uint8_t* bytes,
                                                  std::uint32_t length, std::uint64_t key,
                                                  Arena& arena) {
  std::uint64_t fp = fp_of(hash);
  std::size_t index = home(place(fp));
  Record* mine = nullptr;
  for (std::size_t probes = 0; probes < capacity_; ++probes, index = next(index)) {
    std::atomic<std::uint64_t>& slot = slots_[index];
    std::uint64_t seen = slot.load(std::memory_order_acquire);
    if (seen == 0) {
      if (mine == nullptr) {
        // An exact value stands for the encoding (the compressed store unfolds it), so its
        // record keeps the value alone.
        mine = arena.make_record(bytes, exact_values_ ? 0 : length, key, exact_values_ ? 2 : 1);
        if (exact_values_) mine->value() = fp;
      }
      mine->slot() = index;
      std::uint64_t tagged = reinterpret_cast<std::uint64_t>(mine) | kTag;
      if (slot.compare_exchange_strong(seen, tagged, std::memory_order_acq_rel)) {
        return {Outcome::Inserted, mine};
      }
      // Lost the race for this slot: `seen` is what the winner put there.
    }
    if (seen & kTag) {
      // A pending state of this level: compare encodings (a record made for a lost race stays
      // unused in the arena until its level is freed).
      Record* pending = reinterpret_cast<Record*>(seen & ~kTag);
      if (exact_values_
              ? pending->value() == fp
              : pending->length == length && std::memcmp(pending->bytes(), bytes, length) == 0)
        return {Outcome::Found, pending};
    } else if (seen == fp) {
      return {Outcome::Found, nullptr};
    }
  }
  return {Outcome::Full, nullptr};
}

void StateTable::settle(const Record* record) {
  MM_ASSERT(fingerprint_, "settle() is for the fingerprint store");
  slots_[record->slot()].store(fp_of(record), std::memory_order_relaxed);
}

bool StateTable::contains(std::uint64_t hash, const std::uint8_t* bytes,
                          std::uint32_t length) const {
  std::size_t index = home(fingerprint_ ? place(fp_of(hash)) : hash);
  for (std::size_t probes = 0; probes < capacity_; ++probes, index = next(index)) {
    if (fingerprint_) {
      std::uint64_t seen = slots_[index].load(std::memory_order_relaxed);
      if (seen == 0) return false;
      if (seen == fp_of(hash)) return true;
      if (seen & kTag) {
        const Record* r = reinterpret_cast<const Record*>(seen & ~kTag);
        if (exact_values_ ? r->value() == hash
                          : r->length == length && std::memcmp(r->bytes(), bytes, length) == 0)
          return true;
      }
    } else {
      std::uint64_t seen = slots_[index].load(std::memory_order_relaxed);
      if (seen == 0) return false;
      if ((seen & kTagMask) != (hash & kTagMask)) continue;
      const Record* r = space_.record(seen & kHandleMask);
      if (r->length == length && std::memcmp(r->bytes(), bytes, length) == 0) return true;
    }
  }
  return false;
}

const Record* StateTable::find(std::uint64_t hash, const std::uint8_t* bytes,
                               std::uint32_t length) const {
  if (fingerprint_) return nullptr;
  std::size_t index = home(hash);
  for (std::size_t probes = 0; probes < capacity_; ++probes, index = next(index)) {
    std::uint64_t seen = slots_[index].load(std::memory_order_relaxed);
    if (seen == 0) return nullptr;
    if ((seen & kTagMask) != (hash & kTagMask)) continue;
    const Record* r = space_.record(seen & kHandleMask);
    if (r->length == length && std::memcmp(r->bytes(), bytes, length) == 0) return r;
  }
  return nullptr;
}

std::vector<std::uint64_t> StateTable::settled_fingerprints() const {
  MM_ASSERT(fingerprint_, "settled_fingerprints() is for the fingerprint store");
  std::vector<std::uint64_t> out;
  out.reserve(size());
  for (std::size_t i = 0; i < capacity_; ++i) {
    std::uint64_t v = slots_[i].load(std::memory_order_relaxed);
    if (v != 0 && !(v & kTag)) out.push_back(v);
  }
  return out;
}

bool StateTable::insert_settled(std::uint64_t fingerprint) {
  MM_ASSERT(fingerprint_ && fingerprint != 0 && !(fingerprint & kTag), "not a fingerprint");
  std::size_t index = home(place(fingerprint));
  for (std::size_t probes = 0; probes < capacity_; ++probes, index = next(index)) {
    std::uint64_t seen = slots_[index].load(std::memory_order_relaxed);
    if (seen == fingerprint) return false;
    if (seen == 0) {
      slots_[index].store(fingerprint, std::memory_order_relaxed);
      size_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  MM_ASSERT(false, "insert_settled() into a full table");
  return false;
}

void StateTable::grow() {
  std::size_t old_capacity = capacity_;
  capacity_ = fingerprint_ ? old_capacity + old_capacity / 3 : old_capacity * 2;
  // The rehash runs in parallel, each entry claiming its slot with a compare-and-swap: which slot
  // an entry lands in then depends on timing, but membership, keys and records do not, and
  // nothing the search reports depends on slot positions.
  constexpr std::size_t kGrain = std::size_t{1} << 16;
  // Exact mode: a slot's tag is the hash's top 31 bits, which are all the home of a power-of-two
  // capacity below 2^31 depends on.
  MM_ASSERT(fingerprint_ || capacity_ < (std::size_t{1} << 31),
            "the exact table's capacity passed 2^31 slots");
  auto fresh = big_array<std::atomic<std::uint64_t>>(capacity_);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, old_capacity, kGrain),
      [&](const tbb::blocked_range<std::size_t>& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
          std::uint64_t v = slots_[i].load(std::memory_order_relaxed);
          if (v == 0) continue;
          // Fingerprint mode indexes by fingerprint, which a pending record recomputes from its
          // bytes.
          Record* pending =
              fingerprint_ && (v & kTag) ? reinterpret_cast<Record*>(v & ~kTag) : nullptr;
          std::uint64_t key = !fingerprint_ ? v & kTagMask : place(pending ? fp_of(pending) : v);
          std::size_t index = home(key);
          for (;; index = next(index)) {
            std::uint64_t empty = 0;
            if (fresh[index].load(std::memory_order_relaxed) == 0 &&
                fresh[index].compare_exchange_strong(empty, v, std::memory_order_relaxed))
              break;
          }
          if (pending) pending->slot() = index;
        }
      });
  slots_ = std::move(fresh);
}

}  // namespace mmcheck
