// The distributed search: the level-synchronous breadth-first search of checker/search.hpp over
// the processes of a Comm (MPI ranks), each running its oneTBB workers, in the design of the
// distributed explicit-state checkers (DiVinE, LTSmin, PReach, Eddy Murphi): every state is
// owned by one rank, chosen by a hash of its encoding, and stored there only; a rank expands the
// states of the level it owns and sends each successor, in rounds of batches, to its owner,
// which deduplicates it in its local store (exact or fingerprint) and keeps its smallest
// (parent position, action position) key.
//
// Numbering is global and the same as one process's: at the level's end every rank gathers the
// keys of the level's new states (8 bytes a state), so each rank numbers its own new states by
// their place among all of them and appends the whole level to a replica of the parent links.
// Findings are reduced with the single search's ranking, the counterexample is rebuilt from the
// replicated links by every rank, each checking the replayed states it owns. So the verdict,
// the counts and the counterexample are those of a single-process run for any number of ranks
// and threads. Every decision to stop (a bound on any rank, a finding) is taken collectively at
// a round or level boundary, so all ranks end together; a rank that cannot go on aborts the job.
#pragma once

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_sort.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "checker/checkpoint_io.hpp"
#include "checker/comm.hpp"
#include "checker/findings.hpp"
#include "checker/links.hpp"
#include "checker/model.hpp"
#include "checker/progress.hpp"
#include "checker/result.hpp"
#include "checker/store.hpp"
#include "checker/sysinfo.hpp"
#include "checker/threads.hpp"
#include "checker/trace_rebuild.hpp"

namespace mmcheck {

static_assert(std::endian::native == std::endian::little,
              "messages between ranks are written in the host's order, read as little-endian");

// The rank that owns a state: a mix of its fingerprint (so a fingerprint store, which keeps no
// hash, still knows each state's owner when a checkpoint is resumed on another number of ranks).
inline int owner_of(std::uint64_t hash, int ranks) {
  std::uint64_t h = StateTable::fingerprint_of(hash);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return static_cast<int>((static_cast<unsigned __int128>(h) * static_cast<unsigned>(ranks)) >> 64);
}

// Why a distributed search stops: the largest code any rank raises wins.
enum StopCode : std::uint64_t {
  kGoOn = 0,
  kInterrupted,
  kMaxSeconds,
  kMaxStates,
  kMaxMemory,
  kRecordSpace,
  kOutOfMemory,
};

inline const char* stop_reason(std::uint64_t code) {
  switch (code) {
    case kInterrupted:
      return "interrupted";
    case kMaxSeconds:
      return "max-seconds";
    case kMaxStates:
      return "max-states";
    case kMaxMemory:
      return "max-memory";
    case kRecordSpace:
      return "record-space";
    default:
      return "out-of-memory";
  }
}

template <Model M>
class DistributedSearch {
 public:
  using State = typename M::State;
  using Action = typename M::Action;

  DistributedSearch(const M& model, SearchOptions options)
      : model_(model),
        options_(options),
        comm_(*options.comm),
        table_(16, options.fingerprint, options.record_space) {}

  SearchResult<M> run() {
    start_ = Clock::now();
    unsigned threads = worker_count(options_.threads);
    result_.stats.threads = threads;
    result_.stats.ranks = static_cast<unsigned>(comm_.size());
    result_.label_counts.assign(model_.label_names().size(), 0);
    {
      ProgressThread reporter(comm_.rank() == 0 ? options_.progress : nullptr,
                              [this] { return sample_progress(); });
      try {
        run_on_workers(threads, [this] { explore(); });
      } catch (const std::bad_alloc&) {
        // Out of memory outside a round's work, where the ranks cannot agree on stopping: the
        // job ends rather than leave the others waiting.
        std::fprintf(stderr, "mmcheck: rank %d of %d ran out of memory; the job ends\n",
                     comm_.rank(), comm_.size());
        comm_.abort(12);
      }
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
    State next{};
    std::vector<Bytes> out;  // successors for each rank: length, key, encoding
    std::uint64_t transitions = 0;
    std::vector<std::uint64_t> labels;
    std::optional<Finding> best;
    std::vector<std::pair<Record*, Violation>> state_findings;
    std::size_t unreported_inserts = 0;
  };
  // Frontier states expanded by every rank between two exchanges.
  static constexpr std::size_t kRound = 1 << 14;
  static constexpr std::size_t kGrain = 64;

  void explore() {
    if (!options_.resume_dir.empty()) {
      if (!resume()) return;
    } else {
      seed_initial_states();
    }
    for (;;) {
      frontier_size_.store(level_end_ - level_begin_, std::memory_order_relaxed);
      depth_.store(level_, std::memory_order_relaxed);
      if (pending_) {  // initial states violate a state property; a terminal one may rank first
        if (!expand_level(frontier_, level_begin_, level_, /*terminal_only=*/true)) return;
        std::optional<Finding> terminal = take_best();
        if (terminal && terminal->before(*pending_)) pending_ = terminal;
        report(*pending_);
        return;
      }
      if (level_begin_ == level_end_) {
        result_.verdict = Verdict::Holds;
        return;
      }
      if (options_.max_depth != 0 && level_ >= options_.max_depth && any_enabled()) {
        if (!expand_level(frontier_, level_begin_, level_, /*terminal_only=*/true)) return;
        if (std::optional<Finding> terminal = take_best()) return report(*terminal);
        return incomplete("max-depth");
      }
      if (!expand_level(frontier_, level_begin_, level_, /*terminal_only=*/false)) return;
      if (!close_level(level_)) return incomplete("state-ids");
      std::optional<Finding> here = take_best();
      result_.stats.depth = level_;
      if (here && here->depth == level_) return report(*here);
      if (here) {  // step or state findings one level down: check that level's terminals too
        pending_ = here;
        if (!expand_level(next_, level_end_, level_ + 1, /*terminal_only=*/true)) return;
        std::optional<Finding> terminal = take_best();
        if (terminal && terminal->before(*pending_)) pending_ = terminal;
        result_.stats.depth = level_ + 1;
        report(*pending_);
        return;
      }
      if (states_total_ > level_end_) result_.stats.depth = level_ + 1;
      frontier_.swap(next_);
      next_.clear();
      level_begin_ = level_end_;
      level_end_ = states_total_;
      ++level_;
      if (std::uint64_t code = bound_code()) {
        // The level just closed is complete: a checkpoint taken now resumes from it.
        if (code == kInterrupted && !options_.checkpoint_dir.empty()) write_checkpoint();
        return incomplete(stop_reason(code));
      }
      if (checkpoint_due()) write_checkpoint();
    }
  }

  void seed_initial_states();
  bool expand_level(const std::vector<Record*>& states, std::uint64_t begin, std::uint32_t level,
                    bool terminal_only);
  bool go_on(bool after_round);
  void generate(const std::vector<Record*>& states, std::size_t first, std::size_t last,
                std::uint64_t begin, std::uint32_t level, bool terminal_only);
  void insert_received(const Bytes& received, std::uint32_t level);
  bool close_level(std::uint32_t level);
  std::optional<Finding> take_best();
  bool any_enabled();
  std::uint64_t local_bound_code();
  std::uint64_t bound_code();
  void report(const Finding& f);
  void finish_stats();
  bool checkpoint_due();
  void write_checkpoint();
  bool resume();
  void restore_part(checkpoint::Reader& part);

  State decode(const Record* r) const {
    ByteReader reader(r->bytes(), r->length);
    return model_.decode(reader);
  }
  int owner(std::uint64_t hash) const { return owner_of(hash, comm_.size()); }
  static void offer(Worker& w, Finding f) { keep_first(w.best, std::move(f)); }
  static void lower_key(Record* record, std::uint64_t key) {
    std::uint64_t seen = record->key.load(std::memory_order_relaxed);
    while (key < seen && !record->key.compare_exchange_weak(seen, key, std::memory_order_relaxed)) {
    }
  }
  bool symmetric() const { return symmetry_on(options_, model_); }
  void canonicalize(State& s) const { canonicalize_if_on(model_, options_, s); }
  void reduce(const State& s, std::vector<Action>& actions) const {
    reduce_if_on(model_, options_, s, actions);
  }
  bool interrupted() const {
    return options_.interrupt != nullptr && options_.interrupt->load(std::memory_order_relaxed);
  }
  void incomplete(const std::string& reason) {
    result_.verdict = Verdict::Incomplete;
    result_.incomplete_reason = reason;
  }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  Progress sample_progress() const {
    Progress p;
    p.seconds = elapsed();
    p.states = states_total_;
    p.depth = depth_.load(std::memory_order_relaxed);
    p.frontier = frontier_size_.load(std::memory_order_relaxed);
    return p;
  }

  const M& model_;
  SearchOptions options_;
  Comm& comm_;
  SearchResult<M> result_;
  StateTable table_;
  tbb::enumerable_thread_specific<Worker> workers_;
  LinkLog links_;                    // every state's link, replicated on every rank
  std::vector<Record*> frontier_;    // this rank's states of the level, by number
  std::vector<Record*> next_;        // this rank's states of the next level, by number
  std::vector<Record*> owned_;       // exact store: every state of this rank, by number
  std::size_t numbering_bytes_ = 0;  // close_level's lists at their peak (the frontier's)
  std::uint64_t level_begin_ = 0;    // the level's states are numbered [level_begin_, level_end_)
  std::uint64_t level_end_ = 0;
  std::uint64_t states_total_ = 0;
  std::uint32_t level_ = 0;
  std::optional<Finding> pending_;
  std::atomic<std::uint64_t> local_stop_{kGoOn};  // raised by this rank's workers in a round
  std::atomic<std::uint64_t> frontier_size_{0};
  std::atomic<std::uint32_t> depth_{0};
  Clock::time_point start_;
  Clock::time_point last_checkpoint_ = Clock::now();
};

}  // namespace mmcheck

#include "checker/distributed_checkpoint.hpp"  // IWYU pragma: keep
#include "checker/distributed_end.hpp"         // IWYU pragma: keep
#include "checker/distributed_level.hpp"       // IWYU pragma: keep
#include "checker/search.hpp"                  // IWYU pragma: keep

namespace mmcheck {

// The search over the ranks of options.comm (a LocalComm for a checkpointed single process), or
// in this process when it is null; with search()'s second, unreduced search after a finding.
template <Model M>
SearchResult<M> search_with_comm(const M& model, SearchOptions options = {}) {
  return search_unreduced_on_finding<M>(options, [&model](const SearchOptions& o) {
    if (o.comm != nullptr) return DistributedSearch<M>(model, o).run();
    return Search<M>(model, o).run();
  });
}

}  // namespace mmcheck
