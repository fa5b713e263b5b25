// What a search is asked (SearchOptions) and what it answers (SearchResult: the verdict, the
// counts and the counterexample), and the optional reductions a model may offer.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/comm.hpp"
#include "checker/model.hpp"
#include "checker/progress.hpp"

namespace mmcheck {

struct SearchOptions {
  unsigned threads = 0;              // 0: every core
  std::uint64_t max_states = 0;      // 0: unbounded
  double max_seconds = 0;            // 0: unbounded
  std::uint32_t max_depth = 0;       // 0: unbounded
  std::uint64_t max_memory = 0;      // bytes of resident memory; 0: unbounded
  ProgressSink* progress = nullptr;  // told the counts about once a second, when set
  // When set and it becomes true (a signal handler sets it), the search stops at its next batch
  // and ends incomplete ("interrupted") with its counts, like a bound.
  const std::atomic<bool>* interrupt = nullptr;
  bool reduce = false;       // partial-order reduction, when the model offers one
  bool fingerprint = false;  // store 63-bit fingerprints instead of full encodings
  // The compressed exact store (checker/tree_store.hpp): each state is 63 exact bits made of
  // its parts' shared ids; the fingerprint store's machinery without its omissions.
  bool compress = false;
  bool symmetry = false;  // store one representative per orbit, when the model has one
  // Grow the table before a level that would likely overfill it (estimated as twice the level
  // being expanded); off, a level that overfills it is redone after growing (tests use this).
  bool grow_ahead = true;
  // Exact store: bytes of address space for the records (0: 64 GiB); running out of it ends the
  // search incomplete ("record-space"). Tests set it small to reach that end.
  std::size_t record_space = 0;
  // The compressed store's tables start at 2^this slots (tests start them small to grow them).
  std::size_t tree_capacity_log2 = 16;
  // States are numbered with 32 bits (record headers and parent links stay small); a search that
  // would number more ends incomplete ("state-ids") instead of wrapping. Tests set it small.
  std::uint64_t max_state_ids = 0xfffffffeu;
  // Set: the search is distributed over the processes of this Comm (checker/distributed.hpp),
  // each running `threads` workers; the report is the same as a single process's.
  Comm* comm = nullptr;
  // Distributed search only (checker/checkpoint.hpp): the directory the search is written to at
  // level boundaries, at most every `checkpoint_seconds` (0: every level) and when it is
  // interrupted; the directory a search is resumed from; the text that must match between the
  // search that wrote a checkpoint and the one resuming it (the scenario, kernel and options).
  std::string checkpoint_dir;
  double checkpoint_seconds = 600;
  std::string resume_dir;
  std::string identity;
};

// A model may offer symmetry reduction: canonicalize(s) replaces s by the representative of its
// orbit under a permutation group the model's properties are invariant under.
template <class M>
concept SymmetricModel = Model<M> && requires(const M& m, typename M::State& s) {
  {m.canonicalize(s)};
};

// A model may offer a partial-order reduction: reduce(s, actions) shrinks the enabled actions
// of s to an ample set. It must be deterministic, and sound for the model's properties.
template <class M>
concept ReducibleModel = Model<M> &&
    requires(const M& m, const typename M::State& s, std::vector<typename M::Action>& actions) {
  {m.reduce(s, actions)};
};

// A model may count its finished terminal states by a label of its own: terminal_mark(s) is the
// label a state counts under (kNoLabel: not counted), added to label_counts once per distinct
// finished state without successors. The counts are of distinct states, so they do not depend
// on threads, ranks or partial-order reduction (which keeps every terminal state).
template <class M>
concept TerminalMarkModel = Model<M> && requires(const M& m, const typename M::State& s) {
  { m.terminal_mark(s) } -> std::same_as<std::uint32_t>;
};

enum class Verdict { Holds, Violation, Deadlock, Incomplete, Nondeterministic };

inline const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Holds:
      return "holds";
    case Verdict::Violation:
      return "violation";
    case Verdict::Deadlock:
      return "deadlock";
    case Verdict::Incomplete:
      return "incomplete";
    case Verdict::Nondeterministic:
      return "nondeterministic";
  }
  return "?";
}

struct SearchStats {
  std::uint64_t states = 0;       // distinct states stored
  std::uint64_t transitions = 0;  // steps applied
  std::uint32_t depth = 0;        // deepest level reached
  double seconds = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::uint64_t store_bytes = 0;  // the visited set: table, parent links, records (exact)
  // The levels' memory beside the store: the lists a level is numbered with at their peak, and
  // (fingerprint, compressed) the live levels' records and packed states at theirs.
  std::uint64_t frontier_bytes = 0;
  std::uint32_t levels_redone = 0;  // levels expanded again after the table filled up
  unsigned threads = 1;
  const char* store_mode = "exact";  // full encodings are compared: no omission probability
  double omission_probability = 0;   // fingerprint mode: at most n^2 / 2^64
  bool reduced = false;              // partial-order reduction was on for the states counted
  bool symmetric = false;            // symmetry reduction was on
  unsigned ranks = 0;                // processes of a distributed search (0: not distributed)
  std::uint64_t bytes_sent = 0;      // distributed: bytes the ranks sent each other
  std::uint64_t resumed_from = 0;    // the level a resumed search started at (0: not resumed)
  double states_per_second() const { return seconds > 0 ? double(states) / seconds : 0; }
};

template <class M>
struct SearchResult {
  Verdict verdict = Verdict::Holds;
  std::optional<Violation> violation;  // also set for a deadlock
  // The counterexample: states[0] is initial, actions[i] leads from states[i] to states[i+1].
  std::vector<typename M::State> states;
  std::vector<typename M::Action> actions;
  SearchStats stats;
  std::vector<std::uint64_t> label_counts;  // per label of the model: times taken
  std::string incomplete_reason;            // which bound ended the search
  std::string error;                        // for Nondeterministic
};

// What kind of search the counts are of: the reductions on, the store, and (fingerprint store)
// the omission probability, at most n^2 / 2^64 for n states.
template <class M>
void describe_search(SearchStats& stats, const SearchOptions& options, std::uint64_t states) {
  stats.reduced = options.reduce && ReducibleModel<M>;
  stats.symmetric = options.symmetry && SymmetricModel<M>;
  stats.states = states;
  if (options.compress) {
    stats.store_mode = "compressed";  // exact: no omission probability
  } else if (options.fingerprint) {
    stats.store_mode = "fingerprint";
    double n = static_cast<double>(states);
    stats.omission_probability = n * n / 18446744073709551616.0;
  }
}

}  // namespace mmcheck
