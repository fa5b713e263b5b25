// The search's bookkeeping between levels (checker/search.hpp): the findings gathered from the
// workers, the numbering of a level's new states in key order (the same for any number of
// threads), the bounds that end a search incomplete, the statistics and the progress samples.
#pragma once
// Included at the end of checker/search.hpp: member definitions of Search<M>.

namespace mmcheck {

template <Model M>
std::optional<Finding> Search<M>::take_best() {
  std::optional<Finding> best;
  for (Worker& w : workers_) {
    if (w.best) keep_first(best, *w.best);
    w.best.reset();
  }
  return best;
}

// Whether the level's new states can still be numbered.
template <Model M>
bool Search<M>::ids_left() const {
  std::uint64_t total = states_total_;
  for (const Worker& w : workers_) total += w.fresh.size();
  return total <= std::min<std::uint64_t>(options_.max_state_ids, 0xfffffffeu);
}

// Numbers the level's new states by their smallest key; returns the new end of the store.
template <Model M>
std::size_t Search<M>::close_level(std::uint32_t level) {
  // Each worker's new records get their final keys beside them and are sorted by key (inline
  // keys: no pointer chased per comparison); the level is their merge, never copied into one
  // list. With one thread a worker's list is in key order already.
  std::vector<const std::vector<KeyedRecord>*> lists;
  std::size_t total = 0;
  std::size_t numbering = 0;
  for (Worker& w : workers_) {
    std::vector<KeyedRecord>& mine = w.fresh;
    // Resident: the most a worker's list has held (a vector's unused capacity is never touched).
    w.fresh_peak = std::max(w.fresh_peak, mine.size());
    numbering += w.fresh_peak * sizeof(KeyedRecord);
    if (mine.empty()) continue;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, mine.size(), 4096),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t i = range.begin(); i != range.end(); ++i)
                          mine[i].first = mine[i].second->key.load(std::memory_order_relaxed);
                      });
    tbb::parallel_sort(mine.begin(), mine.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    lists.push_back(&mine);
    total += mine.size();
  }
  std::size_t parent_level_begin = level_begin_of_parents_;
  level_begin_of_parents_ = states_total_;
  const std::size_t first = states_total_;
  const bool pack = packed();
  // One pass in number order: numbers, the exact store's index, the links; the packed stores
  // keep where each run of kMergeRun states starts in the lists, so that packing runs in
  // parallel.
  if (!pack) records_.extend(first + total);
  merge_starts_.clear();
  links_.begin_level(first, static_cast<std::uint32_t>(parent_level_begin));
  LevelMerge merge(lists);
  for (std::size_t i = 0; i < total; ++i) {
    if (pack && i % kMergeRun == 0)
      merge_starts_.insert(merge_starts_.end(), merge.at().begin(), merge.at().end());
    const auto& [key, r] = merge.next();
    if (!pack) {  // a packed level's records are freed once it is packed: nothing reads the id
      r->id = static_cast<std::uint32_t>(first + i);
      records_[first + i] = r;
    }
    links_.append(key >> 16, static_cast<std::uint16_t>(key & 0xffff));
  }
  numbering += merge_starts_.size() * sizeof(const KeyedRecord*);
  numbering_bytes_ = std::max(numbering_bytes_, numbering);
  if (pack) {
    // A settled slot holds the fingerprint (or value) instead of the record: in any order.
    for (const auto* mine : lists)
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, mine->size(), 4096),
                        [&](const tbb::blocked_range<std::size_t>& range) {
                          for (std::size_t i = range.begin(); i != range.end(); ++i)
                            table_.settle((*mine)[i].second);
                        });
    // The level just expanded is no longer read: the new one takes its place, packed, when the
    // room --max-memory leaves holds it (estimated from the last level's bytes a state).
    std::size_t reserved = 0;
    for (Worker& w : workers_) reserved += w.level_bytes.bytes_reserved();
    double need = static_cast<double>(total) * std::max(packed_bytes_per_state_, 16.0) * 1.25 -
                  static_cast<double>(reserved);
    if (options_.max_memory != 0 && static_cast<double>(current_rss_bytes()) + std::max(need, 0.0) >
                                        static_cast<double>(options_.max_memory))
      no_room_to_pack_ = true;
    else
      pack_level(first, total, lists);
  }
  states_total_ += total;
  for (Worker& w : workers_) {
    for (auto& [record, violation] : w.state_findings) {
      std::uint64_t key = record->key.load(std::memory_order_relaxed);
      offer(w, Finding{level + 1, violation.property, key, FindingKind::State,
                       static_cast<std::uint32_t>(parent_level_begin + (key >> 16)),
                       static_cast<std::uint16_t>(key & 0xffff), false, std::move(violation)});
    }
    w.state_findings.clear();
    w.fresh.clear();
  }
  // The packed stores: the new level's records are no longer read.
  if (pack)
    for (Worker& w : workers_) w.arenas[0].reset();
  return states_total_;
}

template <Model M>
void Search<M>::pack_level(std::size_t first, std::size_t total,
                           const std::vector<const std::vector<KeyedRecord>*>& lists) {
  constexpr std::size_t kBlock = LevelStore::kBlock;
  static_assert(kMergeRun % kBlock == 0, "a run of the merge starts a block");
  for (Worker& w : workers_) {
    w.level_bytes.reset();
    w.packed_bytes = 0;
  }
  level_.begin(first, total);
  std::vector<const KeyedRecord*> ends;
  for (const auto* l : lists) ends.push_back(l->data() + l->size());
  // Run `run` of the merge (kMergeRun states from where merge_starts_ says), block by block:
  // each block's states' entries, sealed, copied into the worker's part of the level.
  auto pack_run = [&](std::size_t run, Worker& w) {
    LevelMerge merge(merge_starts_.data() + run * lists.size(), ends);
    std::vector<std::uint8_t>& out = w.block_scratch;
    std::size_t end = std::min(total, (run + 1) * kMergeRun);
    for (std::size_t b = run * kMergeRun / kBlock; b * kBlock < end; ++b) {
      out.clear();
      std::uint64_t prev_key = 0;
      for (std::size_t i = b * kBlock; i < std::min(end, (b + 1) * kBlock); ++i) {
        const auto& [key, r] = merge.next();
        std::uint64_t value;  // the compressed store's state
        const std::uint8_t* bytes = r->bytes();
        std::uint32_t length = r->length;
        if (tree_) {
          value = r->value();
          bytes = reinterpret_cast<const std::uint8_t*>(&value);
          length = sizeof value;
        }
        LevelStore::append(out, key, prev_key, bytes, length);
        prev_key = key;
      }
      w.packed_bytes += out.size();
      std::uint8_t* at = w.level_bytes.take(out.size());
      std::memcpy(at, out.data(), out.size());
      level_.set_block(b, at);
    }
  };
  std::size_t runs = (total + kMergeRun - 1) / kMergeRun;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, runs, 1),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      Worker& w = workers_.local();
                      for (std::size_t run = range.begin(); run != range.end(); ++run)
                        pack_run(run, w);
                    });
  std::size_t bytes = 0;
  for (Worker& w : workers_) bytes += w.packed_bytes;
  if (total != 0) packed_bytes_per_state_ = static_cast<double>(bytes) / static_cast<double>(total);
}

template <Model M>
void Search<M>::check_bounds_during_level() {
  if (stop_.load(std::memory_order_relaxed)) return;
  if (interrupted()) {
    stop("interrupted");
  } else if (options_.max_states != 0 && table_.size() > options_.max_states) {
    stop("max-states");
  } else if (options_.max_seconds > 0 && elapsed() > options_.max_seconds) {
    stop("max-seconds");
  } else if (options_.max_memory != 0 && current_rss_bytes() > options_.max_memory) {
    stop("max-memory");
  }
}

template <Model M>
void Search<M>::stop(const char* reason) {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (!stop_.load()) {
    stop_reason_ = reason;
    stop_.store(true);
  }
}

template <Model M>
bool Search<M>::bound_hit() {
  if (interrupted()) {
    incomplete("interrupted");
    return true;
  }
  if (options_.max_states != 0 && states_total_ > options_.max_states) {
    incomplete("max-states");
    return true;
  }
  if (options_.max_seconds > 0 && elapsed() > options_.max_seconds) {
    incomplete("max-seconds");
    return true;
  }
  if (options_.max_memory != 0 && current_rss_bytes() > options_.max_memory) {
    incomplete("max-memory");
    return true;
  }
  return false;
}

// --max-memory: whether the table can grow without passing the bound (the grown table is
// touched whole by the rehash, so it is resident at once, beside the old one).
template <Model M>
bool Search<M>::room_to_grow() const {
  return options_.max_memory == 0 ||
         current_rss_bytes() + table_.grown_bytes() <= options_.max_memory;
}

template <Model M>
void Search<M>::finish_stats() {
  describe_search<M>(result_.stats, options_, states_total_);
  result_.stats.seconds = elapsed();
  result_.stats.peak_rss_bytes = peak_rss_bytes();
  // Exact mode: the records are the store. Fingerprint mode: the store is the table and the
  // links; the frontier, reported apart, is the new levels' records at their peak, and the
  // packed level's bytes and its index of blocks at theirs. In both, the lists a level is
  // numbered with (a pointer per new record, and a key beside it to sort by) at their peak.
  std::size_t arenas = 0;
  for (Worker& w : workers_)
    arenas += packed() ? w.arenas[0].peak_bytes() + w.arenas[1].peak_bytes() +
                             w.level_bytes.bytes_reserved()
                       : w.arenas[0].bytes_reserved() + w.arenas[1].bytes_reserved();
  std::size_t record_index = packed() ? level_.peak_index_bytes() : records_.bytes();
  result_.stats.store_bytes = table_.bytes_used() + links_.bytes();
  // The compressed store: its tables and the leaves' records are the store too.
  if (tree_) {
    result_.stats.store_bytes += tree_->bytes_used();
    for (Worker& w : workers_) result_.stats.store_bytes += w.tree.leaves.bytes_reserved();
  }
  // Every store: the numbering's lists are the frontier's too (a search stopped within a level
  // has its lists as they stand).
  std::size_t lists = merge_starts_.size() * sizeof(const KeyedRecord*);
  for (const Worker& w : workers_)
    lists += std::max(w.fresh_peak, w.fresh.size()) * sizeof(KeyedRecord);
  result_.stats.frontier_bytes = std::max(numbering_bytes_, lists);
  if (table_.fingerprint())
    result_.stats.frontier_bytes += arenas + record_index;
  else
    result_.stats.store_bytes += arenas + record_index;
}

template <Model M>
Progress Search<M>::sample_progress() const {
  Progress p;
  p.seconds = elapsed();
  p.states = table_.size();
  p.depth = depth_.load(std::memory_order_relaxed);
  p.frontier = frontier_size_.load(std::memory_order_relaxed);
  return p;
}

}  // namespace mmcheck
