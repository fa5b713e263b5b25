// The search's expansion of a level (checker/search.hpp): every state of the frontier in
// parallel, in batches whose successors are generated, encoded, hashed and prefetched before
// they are inserted; the terminal checks of states without successors; the initial states.
#pragma once
// Included at the end of checker/search.hpp: member definitions of Search<M>.

namespace mmcheck {

template <Model M>
bool Search<M>::seed_initial_states() {
  std::vector<State> initial = model_.initial_states();
  MM_ASSERT(!initial.empty(), "a model needs at least one initial state");
  Worker& w = workers_.local();
  links_.begin_level(0, LinkLog::kNoParent);
  std::vector<KeyedRecord> fresh;  // the packed stores' level 0
  for (std::size_t i = 0; i < initial.size(); ++i) {
    canonicalize(initial[i]);
    w.writer.clear();
    model_.encode(initial[i], w.writer);
    auto r = insert_with_growth(w.writer, i, w);
    if (r.outcome == StateTable::Outcome::Found) continue;
    if (r.outcome == StateTable::Outcome::NoSpace) {
      incomplete("record-space");
      return false;
    }
    r.record->id = static_cast<std::uint32_t>(states_total_);
    if (packed()) {
      fresh.emplace_back(i, r.record);
      table_.settle(r.record);
    } else {
      records_.extend(states_total_ + 1);
      records_[states_total_] = r.record;
    }
    ++states_total_;
    links_.append(0, static_cast<std::uint16_t>(i));
    if (auto v = model_.check_state(initial[i])) {
      Finding f{0, v->property, i, FindingKind::Terminal, r.record->id, 0, false, *v};
      if (!pending_ || f.before(*pending_)) pending_ = f;
    }
  }
  w.fresh.clear();
  if (packed()) {
    // One list, in key order: each run of the merge starts at its place in it.
    merge_starts_.clear();
    for (std::size_t i = 0; i < fresh.size(); i += kMergeRun) merge_starts_.push_back(&fresh[i]);
    pack_level(0, fresh.size(), {&fresh});
    w.arenas[0].reset();  // the records are packed
  }
  return true;
}

template <Model M>
StateTable::Result Search<M>::insert_with_growth(const ByteWriter& bytes, std::uint64_t key,
                                                 Worker& w) {
  for (;;) {
    TreeStore::Value k = key_of(bytes, w);
    if (k.outcome == TreeStore::Outcome::NoSpace) return {StateTable::Outcome::NoSpace, nullptr};
    if (k.outcome == TreeStore::Outcome::Full) {
      tree_->grow();
      continue;
    }
    auto r = table_.insert(k.value, bytes.data(), static_cast<std::uint32_t>(bytes.size()), key,
                           w.arenas[0]);
    if (r.outcome != StateTable::Outcome::Full) return r;
    table_.grow();
  }
}

template <Model M>
bool Search<M>::any_enabled(std::size_t begin, std::size_t end) {
  std::vector<Action> actions;
  ByteWriter scratch;
  LevelCursor cursor;
  for (std::size_t id = begin; id < end; ++id) {
    State s = decode(id, scratch, cursor);
    actions.clear();
    model_.enabled_actions(s, actions);
    if (!actions.empty()) return true;
  }
  return false;
}

// Expands the states [begin, end) of `level`. Returns false when a bound stopped the search.
// A level that overfills the table is redone after growing it: records made by the first
// attempt stay pending in this level and are found again, so the result is unchanged.
template <Model M>
bool Search<M>::expand_level(std::size_t begin, std::size_t end, std::uint32_t level,
                             bool terminal_only) {
  for (;;) {
    for (Worker& w : workers_) {
      w.transitions = 0;
      w.labels.assign(result_.label_counts.size(), 0);
      w.best.reset();
    }
    full_.store(false, std::memory_order_relaxed);
    // Grow before the level when the next level, estimated as twice this one, would pass the
    // load limit, rather than redo the level when it overfills the table.
    std::size_t expected = options_.grow_ahead && !terminal_only ? 2 * (end - begin) : 0;
    while (table_.needs_growth(expected)) {
      if (!room_to_grow()) {
        // No room to grow ahead under --max-memory: the level runs in the table it has while
        // the table's load allows (a level that fills it ends the search below).
        if (!table_.needs_growth()) break;
        incomplete("max-memory");
        return false;
      }
      table_.grow();
    }
    if (!grow_tree(expected)) {
      incomplete("max-memory");
      return false;
    }
    // The level in grains of kGrain states from its first: a packed level's blocks (kGrain states
    // too) are opened once each.
    static_assert(kGrain % LevelStore::kBlock == 0);
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, (end - begin + kGrain - 1) / kGrain, 1),
        [&](const tbb::blocked_range<std::size_t>& grains) {
          Worker& w = workers_.local();
          if (w.labels.size() != result_.label_counts.size())
            w.labels.assign(result_.label_counts.size(), 0);
          std::size_t last = std::min(end, begin + grains.end() * kGrain);
          for (std::size_t id = begin + grains.begin() * kGrain; id < last; id += kBatch) {
            if (stop_.load(std::memory_order_relaxed) || full_.load(std::memory_order_relaxed))
              return;
            expand_batch(id, std::min(id + kBatch, last), begin, level, terminal_only, w);
          }
        });
    for (Worker& w : workers_) {
      table_.add_size(w.unreported_inserts);
      w.unreported_inserts = 0;
    }
    if (stop_.load()) {
      incomplete(stop_reason_);
      return false;
    }
    if (!full_.load()) break;
    ++result_.stats.levels_redone;
    if (!room_to_grow()) {
      incomplete("max-memory");
      return false;
    }
    // The compressed store: the table that filled up grows (the level's estimate was short).
    if (!tree_ || table_.needs_growth()) table_.grow();
    if (!grow_tree(0)) {
      incomplete("max-memory");
      return false;
    }
  }
  for (Worker& w : workers_) {
    result_.stats.transitions += w.transitions;
    for (std::size_t i = 0; i < w.labels.size(); ++i) result_.label_counts[i] += w.labels[i];
  }
  return true;
}

// The terminal checks of a state without successors (deadlock, final properties).
template <Model M>
void Search<M>::check_terminal(const State& s, std::size_t id, std::uint32_t level, Worker& w) {
  std::optional<Violation> v;
  bool deadlock = false;
  if (model_.finished(s)) {
    v = model_.check_final(s);
    if constexpr (TerminalMarkModel<M>)
      if (std::uint32_t mark = model_.terminal_mark(s); mark != kNoLabel) ++w.labels[mark];
  } else if (auto p = model_.deadlock_property()) {
    v = Violation{*p, ""};
    deadlock = true;
  }
  if (v) {
    Finding f{level,
              v->property,
              key_of_state(id, w.cursor),
              FindingKind::Terminal,
              static_cast<std::uint32_t>(id),
              0,
              deadlock,
              *v};
    offer(w, f);
  }
}

// Expands the states [first, last) of the level starting at `begin`, in three passes over
// their successors: generate, encode, hash and prefetch the table slot; prefetch the record a
// matching slot points to; insert.
// One function of about 80 lines on purpose: its three passes over the batch's successors
// (generate and prefetch, prefetch the records, insert) share the batch's buffers, and each
// pass must issue its prefetches before the next one reads; split, the passes would pass the
// worker's six buffers around and the control flow would hide that order.
template <Model M>
void Search<M>::expand_batch(std::size_t first, std::size_t last, std::size_t begin,
                             std::uint32_t level, bool terminal_only, Worker& w) {
  if (!packed())
    for (std::size_t id = first; id < last; ++id) __builtin_prefetch(record(id));
  std::size_t m = 0;  // successors to insert
  for (std::size_t id = first; id < last; ++id) {
    State s = decode(id, w.writer, w.cursor);
    w.actions.clear();
    model_.enabled_actions(s, w.actions);
    reduce(s, w.actions);
    if (w.actions.empty()) {
      check_terminal(s, id, level, w);
      continue;
    }
    if (terminal_only) continue;
    std::size_t n = w.actions.size();
    MM_ASSERT(n < 0x10000, "more than 65535 enabled actions in one state");
    if (w.encodings.size() < m + n) {
      std::size_t size = std::max(m + n, 2 * w.encodings.size());
      w.encodings.resize(size);
      w.successors.resize(size);
      w.hashes.resize(size);
      w.keys.resize(size);
    }
    std::uint64_t position = id - begin;
    for (std::size_t i = 0; i < n; ++i) {
      ++w.transitions;
      State& next = w.successors[m];
      StepInfo info = model_.apply(s, w.actions[i], next);
      canonicalize(next);
      if (info.label != kNoLabel) ++w.labels[info.label];
      if (info.mark != kNoLabel) ++w.labels[info.mark];
      std::uint64_t key = (position << 16) | i;
      if (info.violation) {  // the violating successor is not stored
        offer(w, Finding{level + 1, info.violation->property, key, FindingKind::Step,
                         static_cast<std::uint32_t>(id), static_cast<std::uint16_t>(i), false,
                         std::move(*info.violation)});
        continue;
      }
      ByteWriter& bytes = w.encodings[m];
      bytes.clear();
      model_.encode(next, bytes);
      TreeStore::Value k = key_of(bytes, w);
      if (k.outcome != TreeStore::Outcome::Ok) [[unlikely]] {
        if (k.outcome == TreeStore::Outcome::Full)
          full_.store(true, std::memory_order_relaxed);
        else
          stop("record-space");
        return;
      }
      w.hashes[m] = k.value;
      w.keys[m] = key;
      table_.prefetch(w.hashes[m]);
      ++m;
    }
  }
  for (std::size_t j = 0; j < m; ++j) table_.prefetch_record(w.hashes[j]);
  for (std::size_t j = 0; j < m; ++j) {
    const ByteWriter& bytes = w.encodings[j];
    auto r = table_.insert(w.hashes[j], bytes.data(), static_cast<std::uint32_t>(bytes.size()),
                           w.keys[j], new_records(w, level), /*count=*/false);
    if (r.outcome == StateTable::Outcome::Full) {
      full_.store(true, std::memory_order_relaxed);
      return;
    }
    if (r.outcome == StateTable::Outcome::NoSpace) [[unlikely]] {
      stop("record-space");  // 64 GiB of records: a bound like --max-memory
      return;
    }
    if (r.outcome == StateTable::Outcome::Inserted) {
      w.fresh.emplace_back(w.keys[j], r.record);
      if (++w.unreported_inserts >= 1024) {
        table_.add_size(w.unreported_inserts);
        w.unreported_inserts = 0;
      }
      // State properties are checked on new states only: a state found again was checked
      // when it was new. A finding takes the state's final (smallest) key when the level
      // closes.
      if (auto v = model_.check_state(w.successors[j]))
        w.state_findings.emplace_back(r.record, std::move(*v));
    } else if (r.record != nullptr && r.record->id == Record::kPending) {
      lower_key(r.record, w.keys[j]);
    }
  }
  w.since_check += last - first;
  if (w.since_check >= 256) {
    w.since_check = 0;
    check_bounds_during_level();
  }
}

}  // namespace mmcheck
