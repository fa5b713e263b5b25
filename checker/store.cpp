// The lock-free visited set and the arenas records live in.
#include "checker/store.hpp"

#include <xxhash.h>

#include <cstring>

#include "checker/assert.hpp"

namespace mmcheck {

namespace {
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kAlign = alignof(Record);
}  // namespace

Record* Arena::make_record(const std::uint8_t* bytes, std::uint32_t length, std::uint64_t key) {
  std::size_t need = (sizeof(Record) + length + kAlign - 1) & ~(kAlign - 1);
  if (used_ + need > capacity_) {
    std::size_t size = need > kChunkBytes ? need : kChunkBytes;
    chunks_.emplace_back(new std::uint8_t[size]);
    used_ = 0;
    capacity_ = size;
    reserved_ += size;
  }
  void* where = chunks_.back().get() + used_;
  used_ += need;
  auto* record = new (where) Record{};
  record->key.store(key, std::memory_order_relaxed);
  record->id = Record::kPending;
  record->length = length;
  std::memcpy(record->bytes(), bytes, length);
  return record;
}

StateTable::StateTable(std::size_t initial_capacity_log2)
    : slots_(new Slot[std::size_t{1} << initial_capacity_log2]),
      mask_((std::size_t{1} << initial_capacity_log2) - 1) {
  for (std::size_t i = 0; i <= mask_; ++i) {
    slots_[i].hash.store(0, std::memory_order_relaxed);
    slots_[i].record.store(nullptr, std::memory_order_relaxed);
  }
}

std::uint64_t StateTable::hash_bytes(const std::uint8_t* bytes, std::size_t length) {
  std::uint64_t h = XXH3_64bits(bytes, length);
  return h == 0 ? 1 : h;  // 0 marks an empty slot
}

StateTable::Result StateTable::insert(std::uint64_t hash, const std::uint8_t* bytes,
                                      std::uint32_t length, std::uint64_t key, Arena& arena) {
  // Refuse past 15/16 load: linear probing degrades sharply there, and the engine grows the
  // table and redoes the level instead.
  if (size_.load(std::memory_order_relaxed) * 16 > (mask_ + 1) * 15) return {Outcome::Full, nullptr};
  std::size_t index = hash & mask_;
  for (std::size_t probes = 0; probes <= mask_; ++probes, index = (index + 1) & mask_) {
    Slot& slot = slots_[index];
    std::uint64_t seen = slot.hash.load(std::memory_order_acquire);
    if (seen == 0) {
      if (slot.hash.compare_exchange_strong(seen, hash, std::memory_order_acq_rel)) {
        Record* record = arena.make_record(bytes, length, key);
        slot.record.store(record, std::memory_order_release);
        size_.fetch_add(1, std::memory_order_relaxed);
        return {Outcome::Inserted, record};
      }
      // `seen` now holds the hash another thread claimed the slot with.
    }
    if (seen != hash) continue;
    Record* record;
    while ((record = slot.record.load(std::memory_order_acquire)) == nullptr) {
      // The claiming thread is writing the record; it is a handful of instructions away.
    }
    if (record->length == length && std::memcmp(record->bytes(), bytes, length) == 0)
      return {Outcome::Found, record};
  }
  return {Outcome::Full, nullptr};
}

void StateTable::grow() {
  std::size_t new_capacity = (mask_ + 1) * 2;
  std::unique_ptr<Slot[]> fresh(new Slot[new_capacity]);
  std::size_t new_mask = new_capacity - 1;
  for (std::size_t i = 0; i < new_capacity; ++i) {
    fresh[i].hash.store(0, std::memory_order_relaxed);
    fresh[i].record.store(nullptr, std::memory_order_relaxed);
  }
  for (std::size_t i = 0; i <= mask_; ++i) {
    std::uint64_t hash = slots_[i].hash.load(std::memory_order_relaxed);
    if (hash == 0) continue;
    std::size_t index = hash & new_mask;
    while (fresh[index].hash.load(std::memory_order_relaxed) != 0) index = (index + 1) & new_mask;
    fresh[index].hash.store(hash, std::memory_order_relaxed);
    fresh[index].record.store(slots_[i].record.load(std::memory_order_relaxed),
                              std::memory_order_relaxed);
  }
  slots_ = std::move(fresh);
  mask_ = new_mask;
}

}  // namespace mmcheck
