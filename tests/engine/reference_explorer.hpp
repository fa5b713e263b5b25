// A naive reference explorer the engine's figures are checked against: a single-threaded
// breadth-first search over a Model that keeps states by value in a queue, visited encodings in
// a std::set, and counts states, steps and labels per BFS level. It shares no code with
// checker/search.hpp or checker/store.hpp (it uses only the Model interface), so an agreement
// between the two is evidence, not a tautology. Also: helpers the engine tests share.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "checker/model.hpp"
#include "checker/search.hpp"

namespace mmcheck::testing {

template <class M>
std::vector<std::uint8_t> encoding_of(const M& model, const typename M::State& s) {
  ByteWriter w;
  model.encode(s, w);
  return w.bytes();
}

// Orders encodings by length, then bytes. (std::less on std::vector<std::uint8_t> would do, but
// GCC 12 misreads its memcmp bound under -O2 and -Werror=stringop-overread rejects it.)
struct EncodingLess {
  bool operator()(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) const {
    if (a.size() != b.size()) return a.size() < b.size();
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return a[i] < b[i];
    return false;
  }
};

struct ReferenceGraph {
  std::vector<std::uint64_t> states_at;       // per BFS depth: distinct states first seen there
  std::vector<std::uint64_t> transitions_at;  // per BFS depth: steps taken from its states
  std::vector<std::vector<std::uint64_t>> labels_at;  // per depth, per label: steps taken
  // The smallest depth of a state failing check_state, and of a terminal state that is a
  // finding (a finished state failing check_final, or an unfinished one: a deadlock).
  std::optional<std::uint32_t> first_bad_state_depth;
  std::optional<std::uint32_t> first_bad_terminal_depth;
  bool decode_round_trips = true;  // decode(encode(s)) == s for every reachable state

  std::uint32_t max_depth() const { return static_cast<std::uint32_t>(states_at.size() - 1); }
  // Totals over depths [0, last].
  std::uint64_t states_through(std::uint32_t last) const { return sum(states_at, last); }
  std::uint64_t transitions_through(std::uint32_t last) const { return sum(transitions_at, last); }
  std::vector<std::uint64_t> labels_through(std::uint32_t last) const {
    std::vector<std::uint64_t> total(labels_at.front().size(), 0);
    for (std::uint32_t d = 0; d <= last && d < labels_at.size(); ++d)
      for (std::size_t l = 0; l < total.size(); ++l) total[l] += labels_at[d][l];
    return total;
  }
  std::uint64_t states() const { return states_through(max_depth()); }
  std::uint64_t transitions() const { return transitions_through(max_depth()); }

 private:
  static std::uint64_t sum(const std::vector<std::uint64_t>& v, std::uint32_t last) {
    std::uint64_t total = 0;
    for (std::uint32_t d = 0; d <= last && d < v.size(); ++d) total += v[d];
    return total;
  }
};

// Explores every reachable state (it does not stop at findings, it records their depth).
template <class M>
ReferenceGraph explore_reference(const M& model) {
  using State = typename M::State;
  ReferenceGraph g;
  std::size_t labels = model.label_names().size();
  std::set<std::vector<std::uint8_t>, EncodingLess> visited;
  std::vector<State> level;
  for (const State& s : model.initial_states())
    if (visited.insert(encoding_of(model, s)).second) level.push_back(s);
  auto note = [](std::optional<std::uint32_t>& first, std::uint32_t depth) {
    if (!first || depth < *first) first = depth;
  };
  for (std::uint32_t depth = 0; !level.empty(); ++depth) {
    g.states_at.push_back(level.size());
    g.transitions_at.push_back(0);
    g.labels_at.emplace_back(labels, 0);
    std::vector<State> next_level;
    for (const State& s : level) {
      ByteWriter w;
      model.encode(s, w);
      ByteReader r(w.data(), w.size());
      if (!(model.decode(r) == s)) g.decode_round_trips = false;
      if (model.check_state(s)) note(g.first_bad_state_depth, depth);
      std::vector<typename M::Action> actions;
      model.enabled_actions(s, actions);
      if (actions.empty()) {
        bool bad = model.finished(s) ? model.check_final(s).has_value()
                                     : model.deadlock_property().has_value();
        if (bad) note(g.first_bad_terminal_depth, depth);
      }
      for (const auto& a : actions) {
        State next{};
        StepInfo info = model.apply(s, a, next);
        ++g.transitions_at[depth];
        if (info.label != kNoLabel) ++g.labels_at[depth][info.label];
        if (visited.insert(encoding_of(model, next)).second) next_level.push_back(next);
      }
    }
    level = std::move(next_level);
  }
  return g;
}

// The counterexample the engine must report, found independently: a sequential BFS numbers
// each level's states in order of first discovery (parent number, then action position), which
// is the order of their smallest (parent position, action position) key. The finding reported
// is at the smallest depth, then of the smallest property index, then of the smallest key: a
// state's own key for a state property or a terminal finding, the step's key for a step
// property.
template <class M>
class ReferenceCounterexample {
 public:
  using State = typename M::State;
  using Action = typename M::Action;

  explicit ReferenceCounterexample(const M& model) : model_(model) {}

  // The actions leading to the finding, or nothing when the model has none.
  std::optional<std::vector<Action>> find() {
    std::vector<State> initial = model_.initial_states();
    for (std::size_t i = 0; i < initial.size(); ++i)
      if (visited_.insert(encoding_of(model_, initial[i])).second)
        nodes_.push_back({initial[i], -1, Action{}, i});
    std::size_t level_begin = 0;
    for (;;) {
      std::size_t level_end = nodes_.size();
      if (level_begin == level_end && !best_) return std::nullopt;
      // Step findings into this level were offered while expanding the level above.
      offer_level_findings(level_begin, level_end);
      if (best_) return trace_to_best();
      expand_level(level_begin, level_end);
      level_begin = level_end;
    }
  }

 private:
  struct Node {
    State state;
    std::int64_t parent;  // index into nodes_, -1 for an initial state
    Action action;        // the step from the parent (unset for an initial state)
    std::uint64_t key;    // position of the parent in its level << 16 | action position
  };
  struct Candidate {
    std::uint32_t rank;
    std::uint64_t key;
    std::int64_t node;                // the violating state, or the parent of a violating step
    std::optional<Action> last_step;  // set for a step property
  };

  void offer(Candidate c) {
    if (!best_ || c.rank < best_->rank || (c.rank == best_->rank && c.key < best_->key)) best_ = c;
  }

  // State properties and terminal findings of the states [begin, end).
  void offer_level_findings(std::size_t begin, std::size_t end) {
    for (std::size_t n = begin; n < end; ++n) {
      const State& s = nodes_[n].state;
      if (auto v = model_.check_state(s)) offer({v->property, nodes_[n].key, std::int64_t(n), {}});
      std::vector<Action> actions;
      model_.enabled_actions(s, actions);
      if (!actions.empty()) continue;
      std::optional<Violation> v;
      if (model_.finished(s))
        v = model_.check_final(s);
      else if (model_.deadlock_property())
        v = Violation{*model_.deadlock_property(), ""};
      if (v) offer({v->property, nodes_[n].key, std::int64_t(n), {}});
    }
  }

  void expand_level(std::size_t begin, std::size_t end) {
    for (std::size_t n = begin; n < end; ++n) {
      const State s = nodes_[n].state;  // a copy: nodes_ grows below
      std::vector<Action> actions;
      model_.enabled_actions(s, actions);
      for (std::size_t i = 0; i < actions.size(); ++i) {
        State next{};
        StepInfo info = model_.apply(s, actions[i], next);
        std::uint64_t key = (std::uint64_t(n - begin) << 16) | i;
        if (info.violation)
          offer({info.violation->property, key, std::int64_t(n), actions[i]});
        else if (visited_.insert(encoding_of(model_, next)).second)
          nodes_.push_back({next, std::int64_t(n), actions[i], key});
      }
    }
  }

  std::vector<Action> trace_to_best() const {
    std::vector<Action> actions;
    if (best_->last_step) actions.push_back(*best_->last_step);
    for (std::int64_t n = best_->node; nodes_[n].parent >= 0; n = nodes_[n].parent)
      actions.push_back(nodes_[n].action);
    return std::vector<Action>(actions.rbegin(), actions.rend());
  }

  const M& model_;
  std::vector<Node> nodes_;
  std::set<std::vector<std::uint8_t>, EncodingLess> visited_;
  std::optional<Candidate> best_;
};

template <class M>
std::optional<std::vector<typename M::Action>> reference_counterexample(const M& model) {
  return ReferenceCounterexample<M>(model).find();
}

// True when the counterexample is a real run of the model: states[0] is initial, each action
// is enabled in its state, and applying it gives the next state of the trace.
template <class M>
bool trace_replays(const M& model, const SearchResult<M>& result) {
  if (result.states.empty() || result.states.size() != result.actions.size() + 1) return false;
  bool initial = false;
  for (const auto& s : model.initial_states()) initial = initial || s == result.states[0];
  if (!initial) return false;
  for (std::size_t i = 0; i < result.actions.size(); ++i) {
    std::vector<typename M::Action> enabled;
    model.enabled_actions(result.states[i], enabled);
    bool found = false;
    for (const auto& a : enabled) found = found || a == result.actions[i];
    if (!found) return false;
    typename M::State next{};
    model.apply(result.states[i], result.actions[i], next);
    if (!(next == result.states[i + 1])) return false;
  }
  return true;
}

template <class M>
std::vector<std::vector<std::uint8_t>> trace_encodings(const M& model,
                                                       const SearchResult<M>& result) {
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto& s : result.states) out.push_back(encoding_of(model, s));
  return out;
}

inline SearchOptions with_threads(unsigned threads) {
  SearchOptions options;
  options.threads = threads;
  return options;
}

}  // namespace mmcheck::testing
