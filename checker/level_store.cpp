// A closed level of the fingerprint and compressed stores, packed (checker/level_store.hpp).
#include "checker/level_store.hpp"

#include <algorithm>

#include "checker/assert.hpp"

namespace mmcheck {

namespace {
constexpr std::size_t kFirstChunk = std::size_t{64} << 10;
constexpr std::size_t kMaxChunk = std::size_t{2} << 20;

void put(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

std::uint64_t get(const std::uint8_t*& at) {
  std::uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    std::uint8_t b = *at++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

// An entry's bytes: whole, or the runs that differ from the previous state's (same length).
constexpr std::uint8_t kWhole = 0;
constexpr std::uint8_t kRuns = 1;
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

namespace {
// What a state's byte i is compared with: the previous state's bytes, with those from `split` on
// moved by the difference of the lengths (a part that grew or shrank, its tail unchanged).
void reference(const std::uint8_t* prev, std::uint32_t prev_length, std::uint32_t length,
               std::uint32_t split, std::uint8_t* ref) {
  std::int64_t shift = static_cast<std::int64_t>(length) - prev_length;
  for (std::uint32_t i = 0; i < length; ++i) {
    std::int64_t from = i < split ? i : i - shift;
    ref[i] = from >= 0 && from < prev_length ? prev[from] : 0;
  }
}

// Runs: (equal bytes skipped, then differing bytes copied)... and a last skip to the end. Two
// differing runs apart by one or two equal bytes are copied as one (a run costs two bytes).
void put_runs(std::vector<std::uint8_t>& out, const std::uint8_t* bytes, const std::uint8_t* ref,
              std::uint32_t length) {
  std::uint32_t pos = 0;
  for (;;) {
    std::uint32_t i = pos;
    while (i < length && bytes[i] == ref[i]) ++i;
    put(out, i - pos);
    if (i == length) return;
    std::uint32_t j = i;
    while (j < length) {
      if (bytes[j] != ref[j]) {
        ++j;
      } else if (j + 1 < length && bytes[j + 1] != ref[j + 1]) {
        j += 2;
      } else if (j + 2 < length && bytes[j + 2] != ref[j + 2]) {
        j += 3;
      } else {
        break;
      }
    }
    put(out, j - i);
    out.insert(out.end(), bytes + i, bytes + j);
    pos = j;
  }
}
}  // namespace

void LevelStore::append(std::vector<std::uint8_t>& out, std::uint64_t key, std::uint64_t prev_key,
                        const std::uint8_t* bytes, std::uint32_t length, const std::uint8_t* prev,
                        std::uint32_t prev_length) {
  // The key: the growth of its parent position (a level is sorted by key), then its action.
  MM_ASSERT(key >= prev_key, "a packed level's keys decrease");
  put(out, (key >> 16) - (prev_key >> 16));
  put(out, key & 0xffff);
  if (prev == nullptr) {
    out.push_back(kWhole);
    put(out, length);
    out.insert(out.end(), bytes, bytes + length);
    return;
  }
  // The split: where the previous state's bytes start to be compared moved (lengths that
  // differ): after the common beginning, or before the common end, whichever writes less.
  std::uint32_t common = std::min(length, prev_length);
  std::uint32_t begin = 0;
  while (begin < common && bytes[begin] == prev[begin]) ++begin;
  std::uint32_t end = 0;
  while (end < common && bytes[length - 1 - end] == prev[prev_length - 1 - end]) ++end;
  std::uint32_t splits[2] = {begin, length - end};
  int tries = length == prev_length || splits[0] == splits[1] ? 1 : 2;
  std::uint8_t ref[512];
  std::vector<std::uint8_t> big;
  std::uint8_t* r = ref;
  if (length > sizeof ref) {
    big.resize(length);
    r = big.data();
  }
  std::size_t start = out.size();
  std::size_t best = 0;
  for (int t = 0; t < tries; ++t) {
    std::size_t at = out.size();
    out.push_back(kRuns);
    put(out, length);
    put(out, splits[t]);
    reference(prev, prev_length, length, splits[t], r);
    put_runs(out, bytes, r, length);
    if (t == 0) {
      best = out.size() - start;
    } else if (out.size() - at < best) {
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(start),
                out.begin() + static_cast<std::ptrdiff_t>(at));
    } else {
      out.resize(at);
    }
  }
  if (out.size() - start > length + 2) {  // whole is shorter
    out.resize(start);
    out.push_back(kWhole);
    put(out, length);
    out.insert(out.end(), bytes, bytes + length);
  }
}

void LevelStore::read_entry(LevelCursor& c, bool first_in_block) {
  const std::uint8_t* at = c.next;
  std::uint64_t parent = (first_in_block ? 0 : c.key >> 16) + get(at);
  c.key = parent << 16 | get(at);
  std::uint8_t kind = *at++;
  auto length = static_cast<std::uint32_t>(get(at));
  if (c.bytes.size() < length) c.bytes.resize(std::max<std::size_t>(length, 256));
  if (kind == kWhole) {
    if (length != 0) std::memcpy(c.bytes.data(), at, length);
    at += length;
  } else {
    MM_ASSERT(kind == kRuns && !first_in_block, "a packed level's entry is malformed");
    auto split = static_cast<std::uint32_t>(get(at));
    if (c.ref.size() < length) c.ref.resize(std::max<std::size_t>(length, 256));
    reference(c.bytes.data(), c.length, length, split, c.ref.data());
    std::uint32_t pos = 0;
    for (;;) {
      pos += static_cast<std::uint32_t>(get(at));
      if (pos >= length) break;
      auto n = static_cast<std::uint32_t>(get(at));
      std::memcpy(c.ref.data() + pos, at, n);
      at += n;
      pos += n;
    }
    c.bytes.swap(c.ref);
  }
  c.length = length;
  c.next = at;
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
