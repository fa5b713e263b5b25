// A closed level of the fingerprint and compressed stores, packed (checker/level_store.hpp).
#include "checker/level_store.hpp"

#include <algorithm>

#include "checker/assert.hpp"
#include "checker/varint.hpp"

namespace mmcheck {

namespace {
constexpr std::size_t kFirstChunk = std::size_t{64} << 10;
constexpr std::size_t kMaxChunk = std::size_t{2} << 20;
}  // namespace

std::uint8_t* ByteChunks::take(std::size_t n) {
  if (used_ + n > capacity_) {
    if (current_ + 1 < chunks_.size()) {
      ++current_;  // a chunk kept from an earlier level
    } else {
      // Chunks start at 64 KiB and double up to 2 MiB (the shift stops there).
      std::size_t size =
          std::max(n, std::min(kMaxChunk, kFirstChunk << std::min<std::size_t>(chunks_.size(), 5)));
      Unmapper deleter;
      auto* chunk = static_cast<std::uint8_t*>(big_alloc(size, deleter, /*populate=*/true));
      chunks_.emplace_back(chunk, deleter);
      sizes_.push_back(deleter.bytes);
      reserved_ += deleter.bytes;
      current_ = chunks_.size() - 1;
    }
    used_ = 0;
    capacity_ = sizes_[current_];
    if (n > capacity_) return take(n);  // a kept chunk too small for this block: the next one
  }
  std::uint8_t* p = chunks_[current_].get() + used_;
  used_ += n;
  return p;
}

void LevelStore::append(std::vector<std::uint8_t>& out, std::uint64_t key, std::uint64_t prev_key,
                        const std::uint8_t* bytes, std::uint32_t length) {
  MM_ASSERT(key >= prev_key, "a packed level's keys decrease");
  std::size_t start = out.size();
  out.resize(start + 3 * 10 + length);  // three varints, then the bytes
  std::uint8_t* at = out.data() + start;
  // The key: the growth of its parent position (a level is sorted by key), then its action.
  at = varint_put(at, (key >> 16) - (prev_key >> 16));
  at = varint_put(at, key & 0xffff);
  at = varint_put(at, length);
  if (length != 0) std::memcpy(at, bytes, length);
  out.resize(static_cast<std::size_t>(at + length - out.data()));
}

void LevelStore::read_entry(LevelCursor& c, bool first_in_block) {
  const std::uint8_t* at = c.next;
  std::uint64_t parent = (first_in_block ? 0 : c.key >> 16) + varint_get(at);
  c.key = parent << 16 | varint_get(at);
  c.length = static_cast<std::uint32_t>(varint_get(at));
  c.bytes = at;
  c.next = at + c.length;
}

void LevelStore::seek(LevelCursor& c, std::size_t id) const {
  MM_ASSERT(id >= first_ && id < end(), "a state outside the packed level");
  if (c.id == id) return;
  std::size_t offset = id - first_;
  std::size_t block_start = first_ + offset / kBlock * kBlock;
  if (c.id == LevelCursor::kNone || c.id < block_start || c.id > id) {
    c.next = blocks_[offset / kBlock];
    c.id = block_start;
    read_entry(c, true);
  }
  while (c.id < id) {
    read_entry(c, false);
    ++c.id;
  }
}

}  // namespace mmcheck
