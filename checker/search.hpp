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
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "checker/findings.hpp"
#include "checker/level_store.hpp"
#include "checker/links.hpp"
#include "checker/model.hpp"
#include "checker/progress.hpp"
#include "checker/result.hpp"
#include "checker/store.hpp"
#include "checker/sysinfo.hpp"
#include "checker/threads.hpp"
#include "checker/trace_rebuild.hpp"
#include "checker/tree_store.hpp"

namespace mmcheck {

template <Model M>
class Search {
 public:
  using State = typename M::State;
  using Action = typename M::Action;

  Search(const M& model, SearchOptions options)
      : model_(model),
        options_(options),
        table_(16, options.fingerprint || options.compress, options.record_space,
               options.compress) {
    if (options.compress)
      tree_ = std::make_unique<TreeStore>(0, PairTable::kMaxIds, options.tree_capacity_log2);
  }

  SearchResult<M> run() {
    start_ = Clock::now();
    unsigned threads = worker_count(options_.threads);
    result_.stats.threads = threads;
    result_.label_counts.assign(model_.label_names().size(), 0);
    {
      // Stopped and joined on every way out of the search, an exception from the model (a
      // setup op that blocks is bad input) included.
      ProgressThread reporter(options_.progress, [this] { return sample_progress(); });
      try {
        run_on_workers(threads, [this] { explore(); });
      } catch (const std::bad_alloc&) {
        // Running out of memory is a bound like the others: the counts so far are reported.
        out_of_memory();
      } catch (const std::runtime_error& e) {
        // oneTBB could not start a worker (pthread_create fails when the address space for its
        // stack is used up, e.g. under ulimit -v): memory running out too. Anything else (a
        // setup op that blocks is bad input) goes on to the caller.
        if (std::strncmp(e.what(), "pthread_create", 14) != 0) throw;
        out_of_memory();
      }
    }
    finish_stats();
    return std::move(result_);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Worker {
    Arena arenas[2];  // records of even and odd levels (fingerprint mode frees old levels)
    std::vector<KeyedRecord> fresh;  // the level's new records, each with its key
    std::size_t fresh_peak = 0;      // the most `fresh` has held
    ByteWriter writer;  // the initial states' encodings; a compressed record's, unfolded to decode
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
    TreeStore::Local tree;               // the compressed store's leaves and ids
    // The fingerprint and compressed stores: this worker's part of the packed level, the block
    // it packs, and where it reads.
    ByteChunks level_bytes;
    std::vector<std::uint8_t> block_scratch;
    LevelCursor cursor;
    std::size_t packed_bytes = 0;  // of the level packed last
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
      if (no_room_to_pack_) {  // the new level is numbered and counted, but not stored
        if (next_end > level_end) result_.stats.depth = level + 1;
        return incomplete("max-memory");
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

  bool seed_initial_states();

  StateTable::Result insert_with_growth(const ByteWriter& bytes, std::uint64_t key, Worker& w);

  // What the table is given for an encoding: its hash, or (compressed store) its exact value,
  // its new parts stored; Full when a table of the compressed store must grow first.
  TreeStore::Value key_of(const ByteWriter& bytes, Worker& w) {
    if (!tree_) return {TreeStore::Outcome::Ok, StateTable::hash_bytes(bytes.data(), bytes.size())};
    return tree_->intern(bytes, w.tree);
  }
  // Between levels: grows the compressed store's tables that `expected` states could overfill.
  bool grow_tree(std::size_t expected) {
    while (tree_ && tree_->needs_growth(expected)) {
      if (!room_to_grow()) return false;
      tree_->grow(expected);
    }
    return true;
  }

  bool any_enabled(std::size_t begin, std::size_t end);

  // The fingerprint and compressed stores keep no state once it is expanded: a numbered level
  // is packed (checker/level_store.hpp) and its pending records are freed.
  bool packed() const { return table_.fingerprint(); }

  // State `id` of the level being expanded. The compressed store keeps a state as its value:
  // its encoding is unfolded into `scratch` first.
  State decode(std::size_t id, ByteWriter& scratch, LevelCursor& cursor) const {
    if (!packed()) {
      const Record* r = record(id);
      ByteReader reader(r->bytes(), r->length);
      return model_.decode(reader);
    }
    level_.seek(cursor, id);
    ByteReader reader(cursor.bytes, cursor.length);
    if (tree_) {
      std::uint64_t value;
      std::memcpy(&value, cursor.bytes, sizeof value);
      scratch.clear();
      tree_->unfold(value, scratch);
      reader = ByteReader(scratch.data(), scratch.size());
    }
    return model_.decode(reader);
  }
  // The key of state `id` of the level being expanded.
  std::uint64_t key_of_state(std::size_t id, LevelCursor& cursor) const {
    if (!packed()) return record(id)->key.load(std::memory_order_relaxed);
    level_.seek(cursor, id);
    return cursor.key;
  }
  // The arena a level's new records are made in: the fingerprint and compressed stores free it
  // once the level is packed, so one serves every level.
  Arena& new_records(Worker& w, std::uint32_t level) const {
    return w.arenas[packed() ? 0 : (level + 1) & 1];
  }
  // Packs the numbered level of `total` states whose first state is `first`: the merge of
  // `lists` (each sorted by key), whose runs of kMergeRun states start where merge_starts_
  // says; the caller frees the records once nothing reads them.
  void pack_level(std::size_t first, std::size_t total,
                  const std::vector<const std::vector<KeyedRecord>*>& lists);

  // Expands the states [begin, end) of `level`. Returns false when a bound stopped the search.
  // A level that overfills the table is redone after growing it: records made by the first
  // attempt stay pending in this level and are found again, so the result is unchanged.
  bool expand_level(std::size_t begin, std::size_t end, std::uint32_t level, bool terminal_only);

  // The terminal checks of a state without successors (deadlock, final properties).
  void check_terminal(const State& s, std::size_t id, std::uint32_t level, Worker& w);

  // Expands the states [first, last) of the level starting at `begin`, in three passes over
  // their successors: generate, encode, hash and prefetch the table slot; prefetch the record a
  // matching slot points to; insert.
  void expand_batch(std::size_t first, std::size_t last, std::size_t begin, std::uint32_t level,
                    bool terminal_only, Worker& w);

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

  std::optional<Finding> take_best();

  // Whether the level's new states can still be numbered.
  bool ids_left() const;

  // Numbers the level's new states by their smallest key; returns the new end of the store.
  std::size_t close_level(std::uint32_t level);

  const Record* record(std::size_t id) const { return records_[id]; }

  void check_bounds_during_level();

  void stop(const char* reason);

  bool bound_hit();

  bool interrupted() const {
    return options_.interrupt != nullptr && options_.interrupt->load(std::memory_order_relaxed);
  }

  bool room_to_grow() const;

  void incomplete(const std::string& reason) {
    result_.verdict = Verdict::Incomplete;
    result_.incomplete_reason = reason;
  }

  void out_of_memory() {
    result_.states.clear();
    result_.actions.clear();
    incomplete("out-of-memory");
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
          if (tree_) {
            std::uint64_t value = tree_->find(w);
            return value != 0 &&
                   table_.contains(value, w.data(), static_cast<std::uint32_t>(w.size()));
          }
          if (table_.fingerprint())
            return table_.contains(StateTable::hash_bytes(w.data(), w.size()), w.data(),
                                   static_cast<std::uint32_t>(w.size()));
          const Record* r = record(id);
          return w.size() == r->length && std::memcmp(w.data(), r->bytes(), r->length) == 0;
        });
    rebuild.run(f);
  }

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void finish_stats();

  Progress sample_progress() const;

  const M& model_;
  SearchOptions options_;
  SearchResult<M> result_;
  StateTable table_;
  std::unique_ptr<TreeStore> tree_;  // the compressed store's parts and pairs
  tbb::enumerable_thread_specific<Worker> workers_;
  RecordIndex records_;  // by state number (the exact store only)
  LevelStore level_;     // the fingerprint and compressed stores: the level being expanded
  double packed_bytes_per_state_ = 0;  // in the level packed last
  bool no_room_to_pack_ = false;       // --max-memory left too little to pack the new level
  std::size_t states_total_ = 0;
  LinkLog links_;
  // The packed stores: where each run of kMergeRun states of the new level starts in the
  // workers' sorted lists (a position per list), so that the level is packed in parallel.
  static constexpr std::size_t kMergeRun = 1024;
  std::vector<const KeyedRecord*> merge_starts_;
  // The numbering's memory at its peak: the workers' lists of new records and merge_starts_.
  std::size_t numbering_bytes_ = 0;
  std::size_t level_begin_of_parents_ = 0;
  std::optional<Finding> pending_;
  std::atomic<bool> full_{false};
  std::atomic<bool> stop_{false};
  std::string stop_reason_;
  std::atomic<std::uint64_t> frontier_size_{0};
  std::atomic<std::uint32_t> depth_{0};
  Clock::time_point start_;
  std::mutex stop_mutex_;
};

}  // namespace mmcheck

#include "checker/search_expand.hpp"  // IWYU pragma: keep
#include "checker/search_levels.hpp"  // IWYU pragma: keep

namespace mmcheck {

// Partial-order reduction only speeds up proofs: the reduced graph keeps every terminal state
// and every reachable violation, but its shortest counterexample can be longer than the full
// graph's. So a violation or deadlock found with reduction is searched again without it (the
// full search stops at the same or a smaller depth), and the report is exactly the one of the
// unreduced search: same verdict, counts and counterexample with reduction on or off.
// `once(options)` runs one search; a search that cannot even set up its store ends incomplete.
template <Model M, class Once>
SearchResult<M> search_unreduced_on_finding(SearchOptions options, Once once) {
  auto guarded = [&once](const SearchOptions& o) {
    try {
      return once(o);
    } catch (const std::bad_alloc&) {  // not even the store could be set up
      SearchResult<M> result;
      result.verdict = Verdict::Incomplete;
      result.incomplete_reason = "out-of-memory";
      return result;
    }
  };
  SearchResult<M> result = guarded(options);
  if (options.reduce &&
      (result.verdict == Verdict::Violation || result.verdict == Verdict::Deadlock)) {
    options.reduce = false;
    // The search again without reduction is a new search: it neither resumes the reduced
    // search's checkpoint nor overwrites it.
    options.resume_dir.clear();
    options.checkpoint_dir.clear();
    double spent = result.stats.seconds;
    result = guarded(options);
    result.stats.seconds += spent;
  }
  return result;
}

// The search in this process. A search over the ranks of a Comm (options.comm) is
// search_with_comm's, in checker/distributed.hpp: kept out of this header, so a model that is
// never searched distributed (the tests' toy models) does not compile the distributed search.
template <Model M>
SearchResult<M> search(const M& model, SearchOptions options = {}) {
  if (options.comm != nullptr)
    throw std::invalid_argument("search: options.comm is set; use search_with_comm");
  return search_unreduced_on_finding<M>(
      options, [&model](const SearchOptions& o) { return Search<M>(model, o).run(); });
}

}  // namespace mmcheck
