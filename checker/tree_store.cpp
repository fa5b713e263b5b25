// The compressed exact store's tables (checker/tree_store.hpp).
#include "checker/tree_store.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "checker/assert.hpp"

namespace mmcheck {

namespace {
constexpr std::uint32_t kBlockIds = 1024;  // ids a thread takes at a time
constexpr std::size_t kPairsPage = 4096;

BigArray<std::atomic<std::uint32_t>> zeroed_slots(std::size_t n) {
  Unmapper deleter;
  void* p = big_alloc(n * sizeof(std::uint32_t), deleter, /*populate=*/true);
  return BigArray<std::atomic<std::uint32_t>>(static_cast<std::atomic<std::uint32_t>*>(p), deleter);
}
}  // namespace

PairTable::PairTable(std::size_t initial_capacity_log2, std::uint32_t max_ids)
    : slots_(zeroed_slots(std::size_t{1} << initial_capacity_log2)),
      capacity_(std::size_t{1} << initial_capacity_log2) {
  // Address space for every id, its pages faulted in (zeroed) as ids reach them; where the
  // address space is limited (ulimit -v), less, down to 16 MiB.
  std::size_t want =
      ((std::size_t{std::min(max_ids, kMaxIds)} + 1) * 8 + kPairsPage - 1) & ~(kPairsPage - 1);
  for (std::size_t size = want; size >= std::min(want, std::size_t{16} << 20); size /= 2) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      pairs_ = static_cast<std::atomic<std::uint64_t>*>(p);
      reserved_bytes_ = size;
      max_ids_ = static_cast<std::uint32_t>(size / 8 - 1);
      return;
    }
  }
  throw std::bad_alloc();
}

PairTable::~PairTable() {
  if (pairs_ != nullptr) munmap(pairs_, reserved_bytes_);
}

std::size_t PairTable::home(std::uint64_t pair) const {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(mix_bits(pair)) * capacity_) >>
                                  64);
}

std::uint32_t PairTable::intern(std::uint32_t a, std::uint32_t b, Block& block) {
  MM_ASSERT(a != 0 && b != 0 && a <= kMaxIds && b <= kMaxIds, "a pair of ids out of range");
  // Refuse past 15/16 load, as the visited set does: the search grows the table and redoes
  // the level.
  if (size() * 16 > capacity_ * 15) return kFull;
  const std::uint64_t pair = std::uint64_t{a} << 32 | b;
  std::uint32_t mine = 0;  // the id this pair gets if it is new: its pair written first
  std::size_t index = home(pair);
  for (std::size_t probes = 0; probes < capacity_; ++probes) {
    std::atomic<std::uint32_t>& slot = slots_[index];
    std::uint32_t seen = slot.load(std::memory_order_acquire);
    if (seen == 0) {
      if (mine == 0) {
        if (block.next == block.end) {
          std::uint64_t start = next_id_.fetch_add(kBlockIds, std::memory_order_relaxed);
          if (start > max_ids_) return kNoSpace;
          block.next = static_cast<std::uint32_t>(start);
          block.end = static_cast<std::uint32_t>(
              std::min<std::uint64_t>(start + kBlockIds, std::uint64_t{max_ids_} + 1));
        }
        mine = block.next;
        pair_at(mine).store(pair, std::memory_order_relaxed);
      }
      // The release publishes the pair to whoever reads the slot.
      if (slot.compare_exchange_strong(seen, mine, std::memory_order_acq_rel)) {
        ++block.next;
        size_.fetch_add(1, std::memory_order_relaxed);
        return mine;
      }
      // Lost the slot: `seen` is the winner's id. If it is this pair, `mine` stays unused (no
      // slot names it) and is handed out next time.
    }
    if (this->pair(seen) == pair) return seen;
    index = next(index);
  }
  return kFull;
}

std::uint32_t PairTable::find(std::uint32_t a, std::uint32_t b) const {
  const std::uint64_t pair = std::uint64_t{a} << 32 | b;
  std::size_t index = home(pair);
  for (std::size_t probes = 0; probes < capacity_; ++probes) {
    std::uint32_t seen = slots_[index].load(std::memory_order_acquire);
    if (seen == 0) return 0;
    if (this->pair(seen) == pair) return seen;
    index = next(index);
  }
  return 0;
}

void PairTable::grow() {
  std::size_t old_capacity = capacity_;
  auto fresh = zeroed_slots(old_capacity * 2);
  capacity_ = old_capacity * 2;
  for (std::size_t i = 0; i < old_capacity; ++i) {
    std::uint32_t id = slots_[i].load(std::memory_order_relaxed);
    if (id == 0) continue;
    std::size_t index = home(pair(id));
    while (fresh[index].load(std::memory_order_relaxed) != 0) index = next(index);
    fresh[index].store(id, std::memory_order_relaxed);
  }
  slots_ = std::move(fresh);
}

std::size_t PairTable::bytes_used() const {
  std::uint64_t ids = std::min<std::uint64_t>(next_id_.load(std::memory_order_relaxed),
                                              std::uint64_t{max_ids_} + 1);
  return capacity_ * sizeof(std::uint32_t) + static_cast<std::size_t>(ids) * 8;
}

TreeStore::TreeStore(std::size_t leaf_space, std::uint32_t max_pair_ids, std::size_t capacity_log2)
    : leaves_(std::min<std::size_t>(capacity_log2, 12), /*fingerprint=*/false, leaf_space),
      pairs_(capacity_log2, max_pair_ids) {}

int TreeStore::parts_of(const ByteWriter& w) const {
  int n = w.cuts() + 1;
  int expected = parts_.load(std::memory_order_relaxed);
  MM_ASSERT(expected == 0 || expected == n,
            "the compressed store was given encodings cut into different numbers of parts");
  return n;
}

// The value of the encoding `w` holds in `n` parts: leaf(part, length) gives a part's id,
// pair(a, b) the id of two ids, each as {outcome, id}; the first outcome that is not Ok ends it.
template <class Leaf, class Pair>
TreeStore::Value TreeStore::fold(const ByteWriter& w, int n, Leaf leaf, Pair pair) {
  std::uint32_t ids[ByteWriter::kMaxCuts + 1];
  std::uint32_t begin = 0;
  for (int i = 0; i < n; ++i) {
    std::uint32_t end = i + 1 < n ? w.cut(i) : static_cast<std::uint32_t>(w.size());
    Id r = leaf(w.data() + begin, end - begin);
    if (r.outcome != Outcome::Ok) return {r.outcome, 0};
    ids[i] = r.id;
    begin = end;
  }
  // Pairs, a level at a time, until two ids are left (an odd one out moves up unpaired).
  while (n > 2) {
    int m = 0;
    for (int i = 0; i + 1 < n; i += 2) {
      Id r = pair(ids[i], ids[i + 1]);
      if (r.outcome != Outcome::Ok) return {r.outcome, 0};
      ids[m++] = r.id;
    }
    if (n % 2 != 0) ids[m++] = ids[n - 1];
    n = m;
  }
  std::uint64_t top = n == 2 ? std::uint64_t{ids[0]} << 32 | ids[1] : ids[0];
  return {Outcome::Ok, top << 1};
}

TreeStore::Value TreeStore::intern(const ByteWriter& w, Local& local) {
  int n = parts_of(w);
  if (parts_.load(std::memory_order_relaxed) == 0) parts_.store(n, std::memory_order_relaxed);
  auto leaf = [&](const std::uint8_t* part, std::uint32_t length) -> Id {
    auto r = leaves_.insert(StateTable::hash_bytes(part, length), part, length, 0, local.leaves);
    if (r.outcome == StateTable::Outcome::Full) return {Outcome::Full, 0};
    if (r.outcome == StateTable::Outcome::NoSpace) return {Outcome::NoSpace, 0};
    std::uint64_t handle = leaves_.handle(r.record);
    if (handle > PairTable::kMaxIds) return {Outcome::NoSpace, 0};
    return {Outcome::Ok, static_cast<std::uint32_t>(handle)};
  };
  auto pair = [&](std::uint32_t a, std::uint32_t b) -> Id {
    std::uint32_t id = pairs_.intern(a, b, local.pairs);
    if (id == PairTable::kFull) return {Outcome::Full, 0};
    if (id == PairTable::kNoSpace) return {Outcome::NoSpace, 0};
    return {Outcome::Ok, id};
  };
  return fold(w, n, leaf, pair);
}

std::uint64_t TreeStore::find(const ByteWriter& w) const {
  // A part or a pair never stored: the encoding was not (Full stands for "absent" here).
  auto leaf = [&](const std::uint8_t* part, std::uint32_t length) -> Id {
    const Record* r = leaves_.find(StateTable::hash_bytes(part, length), part, length);
    if (r == nullptr) return {Outcome::Full, 0};
    return {Outcome::Ok, static_cast<std::uint32_t>(leaves_.handle(r))};
  };
  auto pair = [&](std::uint32_t a, std::uint32_t b) -> Id {
    std::uint32_t id = pairs_.find(a, b);
    return {id == 0 ? Outcome::Full : Outcome::Ok, id};
  };
  Value v = fold(w, parts_of(w), leaf, pair);
  return v.outcome == Outcome::Ok ? v.value : 0;
}

void TreeStore::unfold(std::uint64_t value, ByteWriter& out) const {
  // fold() paired the ids level by level: n parts, then n/2 pairs (plus an odd one out moving
  // up), and so on down to two. Walk those levels back from the top, a pair id into its pair.
  int n = parts_.load(std::memory_order_relaxed);
  int sizes[ByteWriter::kMaxCuts + 2];
  int levels = 0;
  for (sizes[0] = n; sizes[levels] > 2; ++levels) sizes[levels + 1] = (sizes[levels] + 1) / 2;
  std::uint64_t top = value >> 1;
  std::uint32_t ids[ByteWriter::kMaxCuts + 1];
  if (sizes[levels] == 2) {
    ids[0] = static_cast<std::uint32_t>(top >> 32);
    ids[1] = static_cast<std::uint32_t>(top);
  } else {
    ids[0] = static_cast<std::uint32_t>(top);
  }
  for (int level = levels; level > 0; --level) {
    int below = sizes[level - 1];
    // In place from the right: the ids below the odd one out's and every pair's place.
    if (below % 2 != 0) ids[below - 1] = ids[sizes[level] - 1];
    for (int i = below / 2 - 1; i >= 0; --i) {
      std::uint64_t p = pairs_.pair(ids[i]);
      ids[2 * i] = static_cast<std::uint32_t>(p >> 32);
      ids[2 * i + 1] = static_cast<std::uint32_t>(p);
    }
  }
  for (int i = 0; i < n; ++i) {
    const Record* leaf = leaves_.record_at(ids[i]);
    std::uint8_t* to = out.reserve(leaf->length);
    std::memcpy(to, leaf->bytes(), leaf->length);
    out.commit(to + leaf->length);
  }
}

bool TreeStore::needs_growth(std::size_t expected) const {
  return leaves_.needs_growth(0) || pairs_.needs_growth(expected);
}

void TreeStore::grow(std::size_t expected) {
  if (leaves_.needs_growth(0)) leaves_.grow();
  if (pairs_.needs_growth(expected)) pairs_.grow();
}

std::size_t TreeStore::bytes_used() const { return leaves_.bytes_used() + pairs_.bytes_used(); }

}  // namespace mmcheck
