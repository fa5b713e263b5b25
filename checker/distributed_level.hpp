// The distributed search's levels (checker/distributed.hpp): the initial states, the rounds of
// a level (expand a batch of the frontier, exchange the successors, insert the ones received),
// and the global numbering at the level's end.
#pragma once
// Included at the end of checker/distributed.hpp: member definitions of DistributedSearch<M>.

namespace mmcheck {

// Every rank computes the initial states and numbers them alike; each stores the ones it owns.
template <Model M>
void DistributedSearch<M>::seed_initial_states() {
  std::vector<State> initial = model_.initial_states();
  MM_ASSERT(!initial.empty(), "a model needs at least one initial state");
  Worker& w = workers_.local();
  links_.begin_level(0, LinkLog::kNoParent);
  std::vector<Bytes> seen;  // the distinct initial encodings so far
  for (std::size_t i = 0; i < initial.size(); ++i) {
    canonicalize(initial[i]);
    w.writer.clear();
    model_.encode(initial[i], w.writer);
    Bytes bytes(w.writer.data(), w.writer.data() + w.writer.size());
    if (std::find(seen.begin(), seen.end(), bytes) != seen.end()) continue;
    seen.push_back(bytes);
    auto id = static_cast<std::uint32_t>(states_total_++);
    links_.append(0, static_cast<std::uint16_t>(i));
    std::uint64_t hash = StateTable::hash_bytes(bytes.data(), bytes.size());
    if (owner(hash) == comm_.rank()) {
      auto r = table_.insert(hash, bytes.data(), static_cast<std::uint32_t>(bytes.size()), i,
                             w.arenas[0]);
      MM_ASSERT(r.outcome == StateTable::Outcome::Inserted, "an initial state was not stored");
      r.record->id = id;
      if (table_.fingerprint()) table_.settle(r.record);
      frontier_.push_back(r.record);
      if (!table_.fingerprint()) owned_.push_back(r.record);
    }
    if (auto v = model_.check_state(initial[i])) {
      Finding f{0, v->property, i, FindingKind::Terminal, id, 0, false, *v};
      if (!pending_ || f.before(*pending_)) pending_ = f;
    }
  }
  level_begin_ = 0;
  level_end_ = states_total_;
}

// Expands this rank's states of `level` (numbered from `begin`) in rounds: every rank expands
// up to kRound states, the successors go to their owners, the owners insert them; after each
// round the ranks agree whether to stop. A terminal-only pass (the terminal checks of a level
// whose successors are not wanted) sends nothing. Returns false when a bound stopped the search.
template <Model M>
bool DistributedSearch<M>::expand_level(const std::vector<Record*>& states, std::uint64_t begin,
                                        std::uint32_t level, bool terminal_only) {
  for (Worker& w : workers_) {
    w.transitions = 0;
    w.labels.assign(result_.label_counts.size(), 0);
    w.best.reset();
  }
  // Out of memory in a round's work is a bound like the others, agreed on at the round's end.
  auto guarded = [this](auto&& work) {
    try {
      if (local_stop_.load() == kGoOn) work();
    } catch (const std::bad_alloc&) {
      local_stop_.store(kOutOfMemory);
    }
  };
  if (terminal_only) {
    guarded([&] { generate(states, 0, states.size(), begin, level, true); });
    if (!go_on(/*after_round=*/false)) return false;
  } else {
    // Fingerprint mode: the arena the new level goes to held the level before this one, whose
    // states are all expanded.
    if (table_.fingerprint())
      for (Worker& w : workers_) w.arenas[(level + 1) & 1].reset();
    std::vector<std::uint64_t> rounds{(states.size() + kRound - 1) / kRound};
    comm_.max(rounds);
    for (std::size_t round = 0; round < rounds[0]; ++round) {
      std::size_t first = std::min(states.size(), round * kRound);
      std::size_t last = std::min(states.size(), first + kRound);
      guarded([&] { generate(states, first, last, begin, level, false); });
      std::vector<std::vector<const Bytes*>> send(static_cast<std::size_t>(comm_.size()));
      for (Worker& w : workers_) {
        w.out.resize(send.size());  // a worker that generated nothing this level has none yet
        for (std::size_t r = 0; r < send.size(); ++r) send[r].push_back(&w.out[r]);
      }
      Bytes received = comm_.exchange(send);
      for (Worker& w : workers_)
        for (Bytes& out : w.out) out.clear();
      guarded([&] { insert_received(received, level); });
      if (!go_on(/*after_round=*/true)) return false;
    }
  }
  for (Worker& w : workers_) {
    result_.stats.transitions += w.transitions;
    for (std::size_t i = 0; i < w.labels.size(); ++i) result_.label_counts[i] += w.labels[i];
  }
  return true;
}

// Collective, after a round (or a terminal-only pass): whether every rank goes on. After a round
// the bounds count too (this rank's time, memory and interrupt, and the states numbered or
// pending over all ranks); an interrupted level's start is checkpointed (SIGTERM from a batch
// scheduler). A stop ends the search incomplete on every rank.
template <Model M>
bool DistributedSearch<M>::go_on(bool after_round) {
  std::vector<std::uint64_t> stop{local_stop_.load()};
  if (after_round) stop[0] = std::max(stop[0], local_bound_code());
  comm_.max(stop);
  if (after_round && stop[0] == kGoOn && options_.max_states != 0) {
    std::vector<std::uint64_t> fresh{0};
    for (Worker& w : workers_) fresh[0] += w.fresh.size();
    comm_.sum(fresh);
    if (states_total_ + fresh[0] > options_.max_states) stop[0] = kMaxStates;
  }
  if (stop[0] == kGoOn) return true;
  if (after_round && stop[0] == kInterrupted && !options_.checkpoint_dir.empty())
    write_checkpoint();
  incomplete(stop_reason(stop[0]));
  return false;
}

// Expands states[first, last): terminal checks, step findings, and each successor's encoding
// appended to the outgoing batch of its owner.
template <Model M>
void DistributedSearch<M>::generate(const std::vector<Record*>& states, std::size_t first,
                                    std::size_t last, std::uint64_t begin, std::uint32_t level,
                                    bool terminal_only) {
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(first, last, kGrain),
      [&](const tbb::blocked_range<std::size_t>& range) {
        Worker& w = workers_.local();  // made on a thread's first use: sized here
        if (w.labels.size() != result_.label_counts.size())
          w.labels.assign(result_.label_counts.size(), 0);
        w.out.resize(static_cast<std::size_t>(comm_.size()));
        for (std::size_t k = range.begin(); k != range.end(); ++k) {
          const Record* record = states[k];
          State s = decode(record);
          w.actions.clear();
          model_.enabled_actions(s, w.actions);
          reduce(s, w.actions);
          if (w.actions.empty()) {
            std::optional<Violation> v;
            bool deadlock = false;
            if (model_.finished(s)) {
              v = model_.check_final(s);
              if constexpr (TerminalMarkModel<M>)
                if (std::uint32_t mark = model_.terminal_mark(s); mark != kNoLabel)
                  ++w.labels[mark];
            } else if (auto p = model_.deadlock_property()) {
              v = Violation{*p, ""};
              deadlock = true;
            }
            if (v)
              offer(w, Finding{level, v->property, record->key.load(std::memory_order_relaxed),
                               FindingKind::Terminal, record->id, 0, deadlock, *v});
            continue;
          }
          if (terminal_only) continue;
          std::size_t n = w.actions.size();
          MM_ASSERT(n < 0x10000, "more than 65535 enabled actions in one state");
          std::uint64_t position = record->id - begin;
          for (std::size_t i = 0; i < n; ++i) {
            ++w.transitions;
            StepInfo info = model_.apply(s, w.actions[i], w.next);
            canonicalize(w.next);
            if (info.label != kNoLabel) ++w.labels[info.label];
            if (info.mark != kNoLabel) ++w.labels[info.mark];
            std::uint64_t key = (position << 16) | i;
            if (info.violation) {  // the violating successor is not stored
              offer(w,
                    Finding{level + 1, info.violation->property, key, FindingKind::Step, record->id,
                            static_cast<std::uint16_t>(i), false, std::move(*info.violation)});
              continue;
            }
            w.writer.clear();
            model_.encode(w.next, w.writer);
            std::uint64_t hash = StateTable::hash_bytes(w.writer.data(), w.writer.size());
            Bytes& out = w.out[owner(hash)];
            std::size_t at = out.size();
            out.resize(at + 12 + w.writer.size());
            std::uint8_t* p = out.data() + at;
            auto length = static_cast<std::uint32_t>(w.writer.size());
            std::memcpy(p, &length, 4);  // little-endian, as get_u32 reads it (x86-64, arm64)
            std::memcpy(p + 4, &key, 8);
            std::memcpy(p + 12, w.writer.data(), length);
          }
        }
      });
}

// Inserts the successors this rank owns: a new one is pending in the next level with its key
// (and its state properties are checked), one found pending again keeps the smaller key.
template <Model M>
void DistributedSearch<M>::insert_received(const Bytes& received, std::uint32_t level) {
  std::vector<const std::uint8_t*> messages;
  for (std::size_t at = 0; at < received.size(); at += 12 + get_u32(received.data() + at))
    messages.push_back(received.data() + at);
  while (table_.needs_growth(messages.size())) {
    if (options_.max_memory != 0 &&
        current_rss_bytes() + table_.grown_bytes() > options_.max_memory) {
      local_stop_.store(kMaxMemory);
      return;
    }
    table_.grow();
  }
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, messages.size(), kGrain),
      [&](const tbb::blocked_range<std::size_t>& range) {
        Worker& w = workers_.local();
        // In batches, as the one-process search does: hash and prefetch every slot of the
        // batch, then the records they point to, then insert, so the cache misses overlap.
        constexpr std::size_t kBatch = 32;
        std::uint64_t hashes[kBatch];
        for (std::size_t k = range.begin(); k != range.end(); ++k) {
          std::size_t j = (k - range.begin()) % kBatch;
          if (j == 0) {
            std::size_t end = std::min(range.end(), k + kBatch);
            for (std::size_t i = k; i != end; ++i) {
              hashes[i - k] = StateTable::hash_bytes(messages[i] + 12, get_u32(messages[i]));
              table_.prefetch(hashes[i - k]);
            }
            for (std::size_t i = k; i != end; ++i) table_.prefetch_record(hashes[i - k]);
          }
          std::uint32_t length = get_u32(messages[k]);
          std::uint64_t key = get_u64(messages[k] + 4);
          const std::uint8_t* bytes = messages[k] + 12;
          std::uint64_t hash = hashes[j];
          auto r = table_.insert(hash, bytes, length, key, w.arenas[(level + 1) & 1],
                                 /*count=*/false);
          if (r.outcome == StateTable::Outcome::NoSpace) {
            local_stop_.store(kRecordSpace);
            return;
          }
          MM_ASSERT(r.outcome != StateTable::Outcome::Full, "the table was grown for the round");
          if (r.outcome == StateTable::Outcome::Inserted) {
            w.fresh.push_back(r.record);
            ++w.unreported_inserts;
            ByteReader reader(bytes, length);
            if (auto v = model_.check_state(model_.decode(reader)))
              w.state_findings.emplace_back(r.record, std::move(*v));
          } else if (r.record != nullptr && r.record->id == Record::kPending) {
            lower_key(r.record, key);
          }
        }
      });
  // The table was grown for every message of the round, so the sizes are added after it.
  for (Worker& w : workers_) {
    table_.add_size(w.unreported_inserts);
    w.unreported_inserts = 0;
  }
}

// Numbers the level's new states: every rank sorts its own by key and gathers everyone's keys;
// a state's number is its place among all of them. Every rank appends the whole level's links.
// False when the new states cannot all be numbered (32-bit state numbers).
template <Model M>
bool DistributedSearch<M>::close_level(std::uint32_t level) {
  std::vector<std::pair<std::uint64_t, Record*>> mine;
  std::size_t lists = 0;  // the workers' lists of new records, before they are cleared
  for (const Worker& w : workers_) lists += w.fresh.size() * sizeof(Record*);
  for (Worker& w : workers_) {
    for (Record* r : w.fresh) mine.emplace_back(r->key.load(std::memory_order_relaxed), r);
    w.fresh.clear();
  }
  tbb::parallel_sort(mine.begin(), mine.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::uint64_t> total{mine.size()};
  comm_.sum(total);
  if (states_total_ + total[0] > std::min<std::uint64_t>(options_.max_state_ids, 0xfffffffeu))
    return false;
  Bytes keys;
  keys.reserve(8 * mine.size());
  for (const auto& [key, r] : mine) put_u64(keys, key);
  std::vector<Bytes> all = comm_.all_gather(keys);
  std::vector<std::uint64_t> merged;
  merged.reserve(total[0]);
  for (const Bytes& from : all)
    for (std::size_t at = 0; at < from.size(); at += 8) merged.push_back(get_u64(from.data() + at));
  tbb::parallel_sort(merged.begin(), merged.end());
  // The numbering's memory at its peak, by what the lists hold (as the one-process search
  // counts): this rank's keyed records, its keys, everyone's keys (received and merged), the
  // workers' lists of new records and the levels' lists.
  std::size_t numbering = lists + mine.size() * sizeof mine[0] + keys.size() +
                          merged.size() * sizeof merged[0] +
                          (frontier_.size() + mine.size()) * sizeof(Record*);
  for (const Bytes& from : all) numbering += from.size();
  numbering_bytes_ = std::max(numbering_bytes_, numbering);
  const std::uint64_t first = states_total_;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, mine.size(), 4096),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i) {
                        auto at = std::lower_bound(merged.begin(), merged.end(), mine[i].first);
                        Record* r = mine[i].second;
                        r->id = static_cast<std::uint32_t>(first + (at - merged.begin()));
                        if (table_.fingerprint()) table_.settle(r);
                      }
                    });
  links_.begin_level(first, static_cast<std::uint32_t>(level_begin_));
  for (std::uint64_t key : merged)
    links_.append(key >> 16, static_cast<std::uint16_t>(key & 0xffff));
  next_.clear();
  for (const auto& [key, r] : mine) next_.push_back(r);
  if (!table_.fingerprint()) owned_.insert(owned_.end(), next_.begin(), next_.end());
  for (Worker& w : workers_) {
    for (auto& [record, violation] : w.state_findings) {
      std::uint64_t key = record->key.load(std::memory_order_relaxed);
      offer(w, Finding{level + 1, violation.property, key, FindingKind::State,
                       static_cast<std::uint32_t>(level_begin_ + (key >> 16)),
                       static_cast<std::uint16_t>(key & 0xffff), false, std::move(violation)});
    }
    w.state_findings.clear();
  }
  states_total_ += merged.size();
  return true;
}

}  // namespace mmcheck
