// Rebuilding a finding's counterexample: walk the parent links back to an initial state, then
// replay the action positions forward, checking every re-encoded state against the stored one
// (a difference means a nondeterministic model, reported as such). Also the reductions'
// switches, which the search and the replay share.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checker/findings.hpp"
#include "checker/links.hpp"
#include "checker/model.hpp"
#include "checker/result.hpp"

namespace mmcheck {

template <Model M>
bool symmetry_on(const SearchOptions& options, const M&) {
  if constexpr (SymmetricModel<M>) return options.symmetry;
  return false;
}

template <Model M>
void canonicalize_if_on(const M& model, const SearchOptions& options, typename M::State& s) {
  if constexpr (SymmetricModel<M>) {
    if (options.symmetry) model.canonicalize(s);
  }
}

template <Model M>
void reduce_if_on(const M& model, const SearchOptions& options, const typename M::State& s,
                  std::vector<typename M::Action>& actions) {
  if constexpr (ReducibleModel<M>) {
    if (options.reduce && actions.size() > 1) model.reduce(s, actions);
  }
}

template <Model M>
class TraceRebuild {
 public:
  using State = typename M::State;
  using Action = typename M::Action;
  // `stored(encoding, id)`: whether `encoding` is the one the search stored as state `id`.
  using Stored = std::function<bool(const ByteWriter&, std::uint32_t)>;

  TraceRebuild(const M& model, const SearchOptions& options, const LinkLog& links,
               SearchResult<M>& result, Stored stored)
      : model_(model),
        options_(options),
        links_(links),
        result_(result),
        stored_(std::move(stored)) {}

  // Fills the result's states, actions and (with symmetry) the violation's message; or marks
  // the result nondeterministic.
  // Walks parent links back to an initial state, then replays the action positions forward,
  // checking every re-encoded state against the stored one. With symmetry reduction the stored
  // states are orbit representatives: the replay runs the actual execution, taking at each
  // step the first enabled action whose successor has the stored representative.
  void run(const Finding& f) {
    Path path = walk_back(f.state);
    std::vector<State> initial = model_.initial_states();
    State actual = initial.at(path.positions[0]);
    State rep = actual;
    canonicalize(rep);
    if (!matches(rep, path.ids[0])) return;
    result_.states.push_back(actual);
    if (!replay_path(path, actual, rep)) return;
    if (f.kind == FindingKind::Terminal) {
      if (symmetric() && model_.finished(actual))
        if (auto v = model_.check_final(actual); v && v->property == f.violation.property)
          result_.violation = *v;  // the message names the objects of the actual execution
      return;
    }
    replay_violating_step(f, path.ids.size(), actual, rep);
  }

 private:
  // The states from an initial one to `last`, and the action position leading to each.
  struct Path {
    std::vector<std::uint32_t> ids;
    std::vector<std::uint16_t> positions;  // positions[k]: the action leading to ids[k]
  };
  Path walk_back(std::uint32_t last) const {
    Path path;
    for (std::uint32_t id = last; id != LinkLog::kNoParent;) {
      LinkLog::Link link = links_.lookup(id);
      path.ids.push_back(id);
      path.positions.push_back(link.action);
      id = link.parent;
    }
    std::reverse(path.positions.begin(), path.positions.end());
    std::reverse(path.ids.begin(), path.ids.end());
    return path;
  }

  // Replays the path's actions from its initial state; `actual` ends as the last state of the
  // actual execution, `rep` as its stored representative. False when the model disagrees.
  bool replay_path(const Path& path, State& actual, State& rep) {
    std::vector<Action> actions;
    State next{};
    for (std::size_t k = 1; k < path.ids.size(); ++k) {
      actions.clear();
      model_.enabled_actions(rep, actions);
      reduce(rep, actions);
      std::uint16_t position = path.positions[k];
      if (position >= actions.size()) {
        nondeterministic(k, "the action is no longer enabled");
        return false;
      }
      model_.apply(rep, actions[position], next);
      canonicalize(next);
      if (!matches(next, path.ids[k])) return false;
      if (!symmetric()) {
        result_.actions.push_back(actions[position]);
        result_.states.push_back(next);
        actual = rep = next;
        continue;
      }
      auto step = actual_step(actual, next, std::nullopt);
      if (!step) {
        nondeterministic(k, "no action of the actual state reaches the stored one");
        return false;
      }
      result_.actions.push_back(step->first);
      result_.states.push_back(step->second);
      actual = step->second;
      rep = next;
    }
    return true;
  }

  // The last step of a step or state violation, which the search did not store.
  void replay_violating_step(const Finding& f, std::size_t at, const State& actual,
                             const State& rep) {
    std::vector<Action> actions;
    model_.enabled_actions(rep, actions);
    reduce(rep, actions);
    if (f.action >= actions.size()) return nondeterministic(at, "the last action is gone");
    State next{};
    StepInfo info = model_.apply(rep, actions[f.action], next);
    std::optional<Violation> again =
        f.kind == FindingKind::Step ? info.violation : model_.check_state(next);
    if (!again || again->property != f.violation.property)
      return nondeterministic(at, "the violating step no longer violates");
    if (!symmetric()) {
      result_.actions.push_back(actions[f.action]);
      result_.states.push_back(next);
      return;
    }
    canonicalize(next);
    auto step = actual_step(actual, next, again->property);
    if (!step) return nondeterministic(at, "no action of the actual state violates as stored");
    result_.actions.push_back(step->first);
    result_.states.push_back(step->second);
    // The message names the objects of the actual execution.
    if (step->third) result_.violation = *step->third;
  }

  struct ActualStep {
    Action first;
    State second;
    std::optional<Violation> third;
  };
  // The first enabled action of `actual` whose successor's representative is `rep` (and, for the
  // last step of a step or state violation, that violates `property`). Without symmetry this is
  // the recorded action itself, as `actual` is the representative.
  std::optional<ActualStep> actual_step(const State& actual, const State& rep,
                                        std::optional<std::uint32_t> property) {
    std::vector<Action> actions;
    model_.enabled_actions(actual, actions);
    ByteWriter want, got;
    model_.encode(rep, want);
    for (const Action& a : actions) {
      State next{};
      StepInfo info = model_.apply(actual, a, next);
      std::optional<Violation> v;
      if (property) {
        v = info.violation ? info.violation : model_.check_state(next);
        if (!v || v->property != *property) continue;
      }
      State canon = next;
      canonicalize(canon);
      got.clear();
      model_.encode(canon, got);
      if (got.size() == want.size() && std::memcmp(got.data(), want.data(), got.size()) == 0)
        return ActualStep{a, next, v};
    }
    return std::nullopt;
  }

  bool matches(const State& s, std::uint32_t id) {
    ByteWriter w;
    model_.encode(s, w);
    if (stored_(w, id)) return true;
    nondeterministic(result_.states.size(), "a replayed state differs from the stored one");
    return false;
  }

  void nondeterministic(std::size_t step, const char* what) {
    result_.verdict = Verdict::Nondeterministic;
    result_.error = std::string("nondeterministic model: ") + what + " at step " +
                    std::to_string(step) +
                    " of the trace; usual causes: reading uninitialised or padding bytes, "
                    "iterating an unordered container, state kept outside the State value";
  }

  bool symmetric() const { return symmetry_on(options_, model_); }
  void canonicalize(State& s) const { canonicalize_if_on(model_, options_, s); }
  void reduce(const State& s, std::vector<Action>& actions) const {
    reduce_if_on(model_, options_, s, actions);
  }

  const M& model_;
  const SearchOptions& options_;
  const LinkLog& links_;
  SearchResult<M>& result_;
  Stored stored_;
};

}  // namespace mmcheck
