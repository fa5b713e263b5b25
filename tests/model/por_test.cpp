// The partial-order reduction keeps what the verdicts depend on: for every scenario of the race
// library on every kernel of its "expect", an independent exhaustive walk of the full graph and
// of the reduced graph reach the same terminal states, the same kernel steps and the same
// violations.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/vm_model.hpp"

namespace {

using mmcheck::ByteWriter;
using mmcheck::vm::State;
using mmcheck::vm::VmModel;

struct Reached {
  std::set<std::vector<std::uint8_t>> terminals;
  std::set<std::uint32_t> labels;
  std::set<std::uint32_t> violations;
  std::size_t states = 0;
};

std::vector<std::uint8_t> encode(const VmModel& model, const State& s) {
  ByteWriter w;
  model.encode(s, w);
  return w.bytes();
}

// A plain depth-first walk with a visited set: no engine code.
Reached walk(const VmModel& model, bool reduce) {
  Reached out;
  std::set<std::vector<std::uint8_t>> seen;
  std::vector<State> stack = model.initial_states();
  for (const State& s : stack) seen.insert(encode(model, s));
  std::vector<std::uint8_t> actions;
  while (!stack.empty()) {
    State s = stack.back();
    stack.pop_back();
    ++out.states;
    if (auto v = model.check_state(s)) out.violations.insert(v->property);
    actions.clear();
    model.enabled_actions(s, actions);
    if (reduce && actions.size() > 1) model.reduce(s, actions);
    if (actions.empty()) {
      out.terminals.insert(encode(model, s));
      if (model.finished(s)) {
        if (auto v = model.check_final(s)) out.violations.insert(v->property);
      } else {
        out.violations.insert(static_cast<std::uint32_t>(mmcheck::vm::Invariant::NoDeadlock));
      }
      continue;
    }
    for (std::uint8_t a : actions) {
      State next{};
      mmcheck::StepInfo info = model.apply(s, a, next);
      out.labels.insert(info.label);
      if (info.violation) out.violations.insert(info.violation->property);
      if (seen.insert(encode(model, next)).second) stack.push_back(next);
    }
  }
  return out;
}

}  // namespace

TEST_CASE(
    "Partial-order reduction keeps every terminal state, step and violation of the race library",
    "[por]") {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(MMCHECK_SOURCE_DIR "/scenarios"))
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 15);
  std::size_t compared = 0, reduced_somewhere = 0;
  for (const std::string& file : files) {
    mmcheck::vm::Scenario sc = mmcheck::vm::load_scenario(file);
    for (const auto& [preset, expectation] : sc.expect) {
      mmcheck::vm::Policy policy = mmcheck::vm::find_preset(preset)->policy;
      if (mmcheck::vm::unsupported_reason(sc, policy)) continue;
      // Check every invariant, so no violation can hide behind the scenario's own selection.
      VmModel model(sc, policy, mmcheck::vm::invariant_names());
      Reached full = walk(model, false);
      Reached part = walk(model, true);
      INFO(file << " on " << preset << ": " << full.states << " states, reduced " << part.states);
      CHECK(part.terminals == full.terminals);
      CHECK(part.labels == full.labels);
      CHECK(part.violations == full.violations);
      CHECK(part.states <= full.states);
      if (part.states < full.states) ++reduced_somewhere;
      ++compared;
    }
  }
  CHECK(compared > 100);
  // Not vacuous: a scenario whose threads take mmap_lock for write (fork, mprotect, munmap,
  // clear_refs on 5.11+) cannot reduce, but the others do.
  CHECK(reduced_somewhere > compared / 4);
}
