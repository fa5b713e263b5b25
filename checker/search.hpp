// The exhaustive search: a level-synchronous parallel breadth-first search over every
// interleaving of a Model, with an exact visited set of canonical encodings. Each level is a
// oneTBB parallel_for over the frontier with a barrier between levels; new states are numbered
// at the level's end in the order of their smallest (parent position, action position) key, so
// the numbering, the counts, the verdict and the counterexample are the same for any number of
// threads. The first finding is reported at the smallest depth, ties broken by property rank
// and then by the smallest schedule; the counterexample is rebuilt from parent links and
// replayed, and every replayed state is checked against the stored encoding.
#pragma once

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_sort.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "checker/findings.hpp"
#include "checker/links.hpp"
#include "checker/model.hpp"
#include "checker/progress.hpp"
#include "checker/result.hpp"
#include "checker/store.hpp"
#include "checker/sysinfo.hpp"
#include "checker/trace_rebuild.hpp"

namespace mmcheck {

template <Model M>
class Search {
 public:
  using State = typename M::State;
  using Action = typename M::Action;

  Search(const M& model, SearchOptions options)
      : model_(model), options_(options), table_(16, options.fingerprint, options.record_space) {}

  SearchResult<M> run() {
    start_ = Clock::now();
    unsigned threads = options_.threads == 0 ? hardware_threads() : options_.threads;
    result_.stats.threads = threads;
    result_.label_counts.assign(model_.label_names().size(), 0);
    // oneTBB caps its worker pool at the core count and ignores, with a warning on stderr, an
    // arena asking for more; lift the cap while this search runs, so that `threads` threads
    // run and the figure reported is true.
    std::optional<tbb::global_control> parallelism;
    if (threads > tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism))
      parallelism.emplace(tbb::global_control::max_allowed_parallelism, threads);
    tbb::task_arena arena(static_cast<int>(threads));
    {
      // Stopped and joined on every way out of the search, an exception from the model (a
      // setup op that blocks is bad input) included.
      ProgressThread reporter(options_.progress, [this] { return sample_progress(); });
      arena.execute([this] { explore(); });
    }
    finish_stats();
    return std::move(result_);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Worker {
    Arena arenas[2];  // records of even and odd levels (fingerprint mode frees old levels)
    std::vector<Record*> fresh;
    ByteWriter writer;
    std::vector<Action> actions;
    std::uint64_t transitions = 0;
    std::vector<std::uint64_t> labels;
    std::optional<Finding> best;
    std::vector<std::pair<Record*, Violation>> state_findings;
    std::uint64_t since_check = 0;
    std::vector<State> successors;      // the batch's successors (reused: a violating step's)
    std::vector<ByteWriter> encodings;  // their encodings
    std::vector<std::uint64_t> hashes;
    std::vector<std::uint64_t> keys;     // their (parent position, action position) keys
    std::size_t unreported_inserts = 0;  // insertions not yet added to the table's size
  };

  static constexpr std::uint32_t kNoParent = LinkLog::kNoParent;
  static constexpr std::size_t kGrain = 64;
  // States expanded together: their successors are generated first and inserted after, so the
  // cache misses of a batch's table probes and record comparisons overlap.
  static constexpr std::size_t kBatch = 32;

  void explore() {
    if (!seed_initial_states()) return;
    std::size_t level_begin = 0;
    std::size_t level_end = states_total_;
    std::uint32_t level = 0;
    for (;;) {
      frontier_size_.store(level_end - level_begin, std::memory_order_relaxed);
      depth_.store(level, std::memory_order_relaxed);
      if (pending_) {  // initial states violate a state property; a terminal one may rank first
        if (!expand_level(level_begin, level_end, level, /*terminal_only=*/true)) return;
        std::optional<Finding> terminal = take_best();
        if (terminal && terminal->before(*pending_)) pending_ = terminal;
        report(*pending_);
        return;
      }
      if (level_begin == level_end) {
        result_.verdict = Verdict::Holds;
        return;
      }
      if (options_.max_depth != 0 && level >= options_.max_depth &&
          any_enabled(level_begin, level_end)) {
        // The level at the bound is stored and its state properties checked; its terminal
        // states (deadlocks, final checks) are findings too, not a reason to give up.
        if (!expand_level(level_begin, level_end, level, /*terminal_only=*/true)) return;
        if (std::optional<Finding> terminal = take_best()) return report(*terminal);
        return incomplete("max-depth");
      }
      if (!expand_level(level_begin, level_end, level, /*terminal_only=*/false)) return;
      if (!ids_left()) return incomplete("state-ids");
      std::size_t next_end = close_level(level);
      std::optional<Finding> here = take_best();
      result_.stats.depth = level;
      if (here && here->depth == level) {
        report(*here);
        return;
      }
      if (here) {  // step or state findings one level down: check that level's terminals too
        pending_ = here;
        if (!expand_level(level_end, next_end, level + 1, /*terminal_only=*/true)) return;
        std::optional<Finding> terminal = take_best();
        if (terminal && terminal->before(*pending_)) pending_ = terminal;
        result_.stats.depth = level + 1;
        report(*pending_);
        return;
      }
      if (next_end > level_end) result_.stats.depth = level + 1;
      if (bound_hit()) return;
      level_begin = level_end;
      level_end = next_end;
      ++level;
    }
  }

  bool seed_initial_states() {
    std::vector<State> initial = model_.initial_states();
    MM_ASSERT(!initial.empty(), "a model needs at least one initial state");
    Worker& w = workers_.local();
    links_.begin_level(0, LinkLog::kNoParent);
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
      records_.extend(states_total_ + 1);
      records_[states_total_] = r.record;
      ++states_total_;
      if (table_.fingerprint()) table_.settle(r.record);
      links_.append(0, static_cast<std::uint16_t>(i));
      if (auto v = model_.check_state(initial[i])) {
        Finding f{0, v->property, i, FindingKind::Terminal, r.record->id, 0, false, *v};
        if (!pending_ || f.before(*pending_)) pending_ = f;
      }
    }
    w.fresh.clear();
    return true;
  }

  StateTable::Result insert_with_growth(const ByteWriter& bytes, std::uint64_t key, Worker& w) {
    for (;;) {
      auto r = table_.insert(StateTable::hash_bytes(bytes.data(), bytes.size()), bytes.data(),
                             static_cast<std::uint32_t>(bytes.size()), key, w.arenas[0]);
      if (r.outcome != StateTable::Outcome::Full) return r;
      table_.grow();
    }
  }

  bool any_enabled(std::size_t begin, std::size_t end) {
    std::vector<Action> actions;
    for (std::size_t id = begin; id < end; ++id) {
      State s = decode(id);
      actions.clear();
      model_.enabled_actions(s, actions);
      if (!actions.empty()) return true;
    }
    return false;
  }

  State decode(std::size_t id) const {
    const Record* r = record(id);
    ByteReader reader(r->bytes(), r->length);
    return model_.decode(reader);
  }

  // Expands the states [begin, end) of `level`. Returns false when a bound stopped the search.
  // A level that overfills the table is redone after growing it: records made by the first
  // attempt stay pending in this level and are found again, so the result is unchanged.
  bool expand_level(std::size_t begin, std::size_t end, std::uint32_t level, bool terminal_only) {
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
      while (table_.needs_growth(expected)) table_.grow();
      // Fingerprint mode: the arena the new level goes to held the level before this one,
      // whose states are all expanded; free it (once, not on a redo).
      if (table_.fingerprint() && !terminal_only && !arena_reset_done_) {
        for (Worker& w : workers_) w.arenas[(level + 1) & 1].reset();
        arena_reset_done_ = true;
      }
      tbb::parallel_for(
          tbb::blocked_range<std::size_t>(begin, end, kGrain),
          [&](const tbb::blocked_range<std::size_t>& range) {
            Worker& w = workers_.local();
            if (w.labels.size() != result_.label_counts.size())
              w.labels.assign(result_.label_counts.size(), 0);
            for (std::size_t id = range.begin(); id < range.end(); id += kBatch) {
              if (stop_.load(std::memory_order_relaxed) || full_.load(std::memory_order_relaxed))
                return;
              expand_batch(id, std::min(id + kBatch, range.end()), begin, level, terminal_only, w);
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
      table_.grow();
    }
    for (Worker& w : workers_) {
      result_.stats.transitions += w.transitions;
      for (std::size_t i = 0; i < w.labels.size(); ++i) result_.label_counts[i] += w.labels[i];
    }
    return true;
  }

  // The terminal checks of a state without successors (deadlock, final properties).
  void check_terminal(const State& s, std::size_t id, std::uint32_t level, Worker& w) {
    std::optional<Violation> v;
    bool deadlock = false;
    if (model_.finished(s)) {
      v = model_.check_final(s);
    } else if (auto p = model_.deadlock_property()) {
      v = Violation{*p, ""};
      deadlock = true;
    }
    if (v) {
      Finding f{level,
                v->property,
                record(id)->key.load(std::memory_order_relaxed),
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
  void expand_batch(std::size_t first, std::size_t last, std::size_t begin, std::uint32_t level,
                    bool terminal_only, Worker& w) {
    for (std::size_t id = first; id < last; ++id) __builtin_prefetch(record(id));
    std::size_t m = 0;  // successors to insert
    for (std::size_t id = first; id < last; ++id) {
      State s = decode(id);
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
        w.hashes[m] = StateTable::hash_bytes(bytes.data(), bytes.size());
        w.keys[m] = key;
        table_.prefetch(w.hashes[m]);
        ++m;
      }
    }
    for (std::size_t j = 0; j < m; ++j) table_.prefetch_record(w.hashes[j]);
    for (std::size_t j = 0; j < m; ++j) {
      const ByteWriter& bytes = w.encodings[j];
      auto r = table_.insert(w.hashes[j], bytes.data(), static_cast<std::uint32_t>(bytes.size()),
                             w.keys[j], w.arenas[(level + 1) & 1], /*count=*/false);
      if (r.outcome == StateTable::Outcome::Full) {
        full_.store(true, std::memory_order_relaxed);
        return;
      }
      if (r.outcome == StateTable::Outcome::NoSpace) [[unlikely]] {
        stop("record-space");  // 64 GiB of records: a bound like --max-memory
        return;
      }
      if (r.outcome == StateTable::Outcome::Inserted) {
        w.fresh.push_back(r.record);
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

  bool symmetric() const { return symmetry_on(options_, model_); }
  void canonicalize(State& s) const { canonicalize_if_on(model_, options_, s); }
  void reduce(const State& s, std::vector<Action>& actions) const {
    reduce_if_on(model_, options_, s, actions);
  }

  static void lower_key(Record* record, std::uint64_t key) {
    std::uint64_t seen = record->key.load(std::memory_order_relaxed);
    while (key < seen && !record->key.compare_exchange_weak(seen, key, std::memory_order_relaxed)) {
    }
  }

  static void offer(Worker& w, Finding f) { keep_first(w.best, std::move(f)); }

  std::optional<Finding> take_best() {
    std::optional<Finding> best;
    for (Worker& w : workers_) {
      if (w.best) keep_first(best, *w.best);
      w.best.reset();
    }
    return best;
  }

  // Whether the level's new states can still be numbered.
  bool ids_left() const {
    std::uint64_t total = states_total_;
    for (const Worker& w : workers_) total += w.fresh.size();
    return total <= std::min<std::uint64_t>(options_.max_state_ids, 0xfffffffeu);
  }

  // Numbers the level's new states by their smallest key; returns the new end of the store.
  std::size_t close_level(std::uint32_t level) {
    // The level's new records with their final keys beside them, so that sorting compares
    // inline keys instead of chasing a pointer per comparison.
    std::vector<std::pair<std::uint64_t, Record*>>& fresh = keyed_;
    std::size_t total = 0;
    for (Worker& w : workers_) total += w.fresh.size();
    fresh.resize(total);
    std::size_t offset = 0;
    for (Worker& w : workers_) {
      std::vector<Record*>& mine = w.fresh;
      tbb::parallel_for(
          tbb::blocked_range<std::size_t>(0, mine.size(), 4096),
          [&, offset](const tbb::blocked_range<std::size_t>& range) {
            for (std::size_t i = range.begin(); i != range.end(); ++i)
              fresh[offset + i] = {mine[i]->key.load(std::memory_order_relaxed), mine[i]};
          });
      offset += mine.size();
      mine.clear();
    }
    tbb::parallel_sort(fresh.begin(), fresh.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    std::size_t parent_level_begin = level_begin_of_parents_;
    level_begin_of_parents_ = states_total_;
    arena_reset_done_ = false;
    // Fingerprint mode keeps the records of the level just expanded and the new one only.
    if (table_.fingerprint()) records_.drop_before(parent_level_begin);
    // Numbering and (fingerprint mode) settling run in parallel; the links are appended in order.
    std::size_t first = states_total_;
    records_.extend(first + fresh.size());
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, fresh.size(), 4096),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t i = range.begin(); i != range.end(); ++i) {
                          Record* r = fresh[i].second;
                          r->id = static_cast<std::uint32_t>(first + i);
                          records_[first + i] = r;
                          if (table_.fingerprint()) table_.settle(r);
                        }
                      });
    states_total_ += fresh.size();
    links_.begin_level(first, static_cast<std::uint32_t>(parent_level_begin));
    for (const auto& [key, r] : fresh)
      links_.append(key >> 16, static_cast<std::uint16_t>(key & 0xffff));
    states_.store(states_total_, std::memory_order_relaxed);
    for (Worker& w : workers_) {
      for (auto& [record, violation] : w.state_findings) {
        std::uint64_t key = record->key.load(std::memory_order_relaxed);
        offer(w, Finding{level + 1, violation.property, key, FindingKind::State,
                         static_cast<std::uint32_t>(parent_level_begin + (key >> 16)),
                         static_cast<std::uint16_t>(key & 0xffff), false, std::move(violation)});
      }
      w.state_findings.clear();
    }
    return states_total_;
  }

  const Record* record(std::size_t id) const { return records_[id]; }

  void check_bounds_during_level() {
    if (stop_.load(std::memory_order_relaxed)) return;
    if (options_.max_states != 0 && table_.size() > options_.max_states) {
      stop("max-states");
    } else if (options_.max_seconds > 0 && elapsed() > options_.max_seconds) {
      stop("max-seconds");
    } else if (options_.max_memory != 0 && current_rss_bytes() > options_.max_memory) {
      stop("max-memory");
    }
  }

  void stop(const char* reason) {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    if (!stop_.load()) {
      stop_reason_ = reason;
      stop_.store(true);
    }
  }

  bool bound_hit() {
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

  void incomplete(const std::string& reason) {
    result_.verdict = Verdict::Incomplete;
    result_.incomplete_reason = reason;
  }

  void report(const Finding& f) {
    result_.verdict = f.deadlock ? Verdict::Deadlock : Verdict::Violation;
    result_.violation = f.violation;
    rebuild_trace(f);
  }

  // The counterexample of `f`, replayed and checked against the stored states (trace_rebuild.hpp).
  void rebuild_trace(const Finding& f) {
    TraceRebuild<M> rebuild(
        model_, options_, links_, result_, [this](const ByteWriter& w, std::uint32_t id) {
          if (table_.fingerprint())
            return table_.contains(StateTable::hash_bytes(w.data(), w.size()), w.data(),
                                   static_cast<std::uint32_t>(w.size()));
          const Record* r = record(id);
          return w.size() == r->length && std::memcmp(w.data(), r->bytes(), r->length) == 0;
        });
    rebuild.run(f);
  }

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void finish_stats() {
    result_.stats.reduced = options_.reduce && ReducibleModel<M>;
    result_.stats.symmetric = options_.symmetry && SymmetricModel<M>;
    result_.stats.states = states_total_;
    if (table_.fingerprint()) {
      result_.stats.store_mode = "fingerprint";
      double n = static_cast<double>(states_total_);
      result_.stats.omission_probability = n * n / 18446744073709551616.0;
    }
    result_.stats.seconds = elapsed();
    result_.stats.peak_rss_bytes = peak_rss_bytes();
    // Exact mode: the records are the store. Fingerprint mode: the store is the table and the
    // links; the records of the two live levels are the frontier, reported apart at its peak.
    std::size_t arenas = 0;
    for (Worker& w : workers_)
      arenas += table_.fingerprint() ? w.arenas[0].peak_bytes() + w.arenas[1].peak_bytes()
                                     : w.arenas[0].bytes_reserved() + w.arenas[1].bytes_reserved();
    std::size_t record_index = table_.fingerprint() ? records_.peak_bytes() : records_.bytes();
    result_.stats.store_bytes = table_.bytes_used() + links_.bytes();
    if (table_.fingerprint())
      result_.stats.frontier_bytes = arenas + record_index;
    else
      result_.stats.store_bytes += arenas + record_index;
  }

  Progress sample_progress() const {
    Progress p;
    p.seconds = elapsed();
    p.states = table_.size();
    p.depth = depth_.load(std::memory_order_relaxed);
    p.frontier = frontier_size_.load(std::memory_order_relaxed);
    return p;
  }

  const M& model_;
  SearchOptions options_;
  SearchResult<M> result_;
  StateTable table_;
  tbb::enumerable_thread_specific<Worker> workers_;
  RecordIndex records_;  // by state number (fingerprint mode: the live levels' only)
  std::size_t states_total_ = 0;
  bool arena_reset_done_ = false;
  LinkLog links_;
  std::vector<std::pair<std::uint64_t, Record*>> keyed_;  // close_level's buffer
  std::size_t level_begin_of_parents_ = 0;
  std::optional<Finding> pending_;
  std::atomic<bool> full_{false};
  std::atomic<bool> stop_{false};
  std::string stop_reason_;
  std::atomic<std::uint64_t> states_{0};
  std::atomic<std::uint64_t> frontier_size_{0};
  std::atomic<std::uint32_t> depth_{0};
  Clock::time_point start_;
  std::mutex stop_mutex_;
};

// Partial-order reduction only speeds up proofs: the reduced graph keeps every terminal state
// and every reachable violation, but its shortest counterexample can be longer than the full
// graph's. So a violation or deadlock found with reduction is searched again without it (the
// full search stops at the same or a smaller depth), and the report is exactly the one of the
// unreduced search: same verdict, counts and counterexample with reduction on or off.
template <Model M>
SearchResult<M> search(const M& model, SearchOptions options = {}) {
  SearchResult<M> result = Search<M>(model, options).run();
  if (options.reduce &&
      (result.verdict == Verdict::Violation || result.verdict == Verdict::Deadlock)) {
    options.reduce = false;
    double spent = result.stats.seconds;
    result = Search<M>(model, options).run();
    result.stats.seconds += spent;
  }
  return result;
}

}  // namespace mmcheck
