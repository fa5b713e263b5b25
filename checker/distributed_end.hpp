// The distributed search's collective decisions (checker/distributed.hpp): the first finding
// over all ranks, the bounds, the counterexample rebuilt by every rank, and the statistics.
#pragma once
// Included at the end of checker/distributed.hpp: member definitions of DistributedSearch<M>.

namespace mmcheck {

namespace distributed_detail {

inline void put_finding(Bytes& out, const Finding& f) {
  put_u32(out, f.depth);
  put_u32(out, f.rank);
  put_u64(out, f.key);
  put_u32(out, static_cast<std::uint32_t>(f.kind));
  put_u32(out, f.state);
  put_u32(out, f.action);
  put_u32(out, f.deadlock ? 1 : 0);
  put_u32(out, f.violation.property);
  put_u32(out, static_cast<std::uint32_t>(f.violation.message.size()));
  out.insert(out.end(), f.violation.message.begin(), f.violation.message.end());
}

inline Finding get_finding(const Bytes& in) {
  const std::uint8_t* p = in.data();
  Finding f;
  f.depth = get_u32(p);
  f.rank = get_u32(p + 4);
  f.key = get_u64(p + 8);
  f.kind = static_cast<FindingKind>(get_u32(p + 16));
  f.state = get_u32(p + 20);
  f.action = static_cast<std::uint16_t>(get_u32(p + 24));
  f.deadlock = get_u32(p + 28) != 0;
  f.violation.property = get_u32(p + 32);
  std::uint32_t length = get_u32(p + 36);
  f.violation.message.assign(reinterpret_cast<const char*>(p + 40), length);
  return f;
}

}  // namespace distributed_detail

// Collective: the first finding of every rank's workers, by the single search's ranking.
template <Model M>
std::optional<Finding> DistributedSearch<M>::take_best() {
  std::optional<Finding> best;
  for (Worker& w : workers_) {
    if (w.best) keep_first(best, *w.best);
    w.best.reset();
  }
  Bytes mine;
  if (best) distributed_detail::put_finding(mine, *best);
  std::optional<Finding> first;
  for (const Bytes& theirs : comm_.all_gather(mine))
    if (!theirs.empty()) keep_first(first, distributed_detail::get_finding(theirs));
  return first;
}

// Collective: whether any state of the level has an enabled action.
template <Model M>
bool DistributedSearch<M>::any_enabled() {
  std::vector<std::uint64_t> any{0};
  std::vector<Action> actions;
  for (const Record* r : frontier_) {
    State s = decode(r);
    actions.clear();
    model_.enabled_actions(s, actions);
    if (!actions.empty()) {
      any[0] = 1;
      break;
    }
  }
  comm_.max(any);
  return any[0] != 0;
}

// This rank's own reason to stop now, if any.
template <Model M>
std::uint64_t DistributedSearch<M>::local_bound_code() {
  if (interrupted()) return kInterrupted;
  if (options_.max_seconds > 0 && elapsed() > options_.max_seconds) return kMaxSeconds;
  if (options_.max_memory != 0 && current_rss_bytes() > options_.max_memory) return kMaxMemory;
  return kGoOn;
}

// Collective, between levels: the reason to stop that wins over the ranks, or kGoOn.
template <Model M>
std::uint64_t DistributedSearch<M>::bound_code() {
  std::vector<std::uint64_t> code{local_bound_code()};
  if (code[0] == kGoOn && options_.max_states != 0 && states_total_ > options_.max_states)
    code[0] = kMaxStates;
  comm_.max(code);
  return code[0];
}

// Collective: the verdict of `f` and its counterexample. Every rank replays it from the
// replicated links, checking the replayed states it owns against its store; a difference on
// any rank makes the result nondeterministic everywhere.
template <Model M>
void DistributedSearch<M>::report(const Finding& f) {
  result_.verdict = f.deadlock ? Verdict::Deadlock : Verdict::Violation;
  result_.violation = f.violation;
  TraceRebuild<M> rebuild(model_, options_, links_, result_,
                          [this](const ByteWriter& w, std::uint32_t id) {
                            std::uint64_t hash = StateTable::hash_bytes(w.data(), w.size());
                            if (owner(hash) != comm_.rank()) return true;
                            auto length = static_cast<std::uint32_t>(w.size());
                            if (table_.fingerprint())
                              return table_.contains(hash, w.data(), length);
                            const Record* r = table_.find(hash, w.data(), length);
                            return r != nullptr && r->id == id;
                          });
  rebuild.run(f);
  Bytes error;
  if (result_.verdict == Verdict::Nondeterministic)
    error.assign(result_.error.begin(), result_.error.end());
  for (const Bytes& theirs : comm_.all_gather(error)) {
    if (theirs.empty()) continue;
    result_.verdict = Verdict::Nondeterministic;
    result_.error.assign(theirs.begin(), theirs.end());
    result_.states.clear();
    result_.actions.clear();
    break;
  }
}

// Collective: the counts over every rank. The states, transitions and labels are the single
// search's; the memory is the largest rank's resident peak and the sum of the stores.
template <Model M>
void DistributedSearch<M>::finish_stats() {
  describe_search<M>(result_.stats, options_, states_total_);
  std::uint64_t arenas = 0;
  for (Worker& w : workers_)
    arenas += table_.fingerprint() ? w.arenas[0].peak_bytes() + w.arenas[1].peak_bytes()
                                   : w.arenas[0].bytes_reserved() + w.arenas[1].bytes_reserved();
  std::uint64_t store = table_.bytes_used() + links_.bytes() + owned_.capacity() * 8;
  std::uint64_t frontier = numbering_bytes_;  // every store: the numbering's lists
  if (table_.fingerprint())
    frontier += arenas;
  else
    store += arenas;
  std::vector<std::uint64_t> sums{result_.stats.transitions, store, frontier, comm_.bytes_sent()};
  sums.insert(sums.end(), result_.label_counts.begin(), result_.label_counts.end());
  comm_.sum(sums);
  result_.stats.transitions = sums[0];
  result_.stats.store_bytes = sums[1];
  result_.stats.frontier_bytes = sums[2];
  result_.stats.bytes_sent = sums[3];
  std::copy(sums.begin() + 4, sums.end(), result_.label_counts.begin());
  std::vector<std::uint64_t> peaks{peak_rss_bytes()};
  comm_.max(peaks);
  result_.stats.peak_rss_bytes = peaks[0];
  result_.stats.seconds = elapsed();
}

}  // namespace mmcheck
