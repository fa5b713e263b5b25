// The partial-order reduction keeps what the verdicts depend on: for every scenario of the race
// library on every kernel of its "expect", for small members of the benchmark family and for
// scenarios that mix the tlb_flush_pending movers with loads, stores and other TLB-dirtying ops
// on every kernel that supports them, an independent exhaustive walk of the full graph and of
// the reduced graph reach the same terminal states, the same kernel steps and the same
// violations (with the same messages).
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/vm_model.hpp"
#include "tests/model/harness.hpp"

namespace {

using mmcheck::ByteWriter;
using mmcheck::vm::CheckedModel;
using mmcheck::vm::State;
using mmcheck::vm::VmModel;

struct Reached {
  std::set<std::vector<std::uint8_t>> terminals;
  std::set<std::uint32_t> labels;
  std::set<std::uint32_t> violations;
  std::set<std::pair<std::uint32_t, std::string>> messages;  // every violation with its message
  std::size_t states = 0;
};

std::vector<std::uint8_t> encode(const VmModel& model, const State& s) {
  ByteWriter w;
  model.encode(s, w);
  return w.bytes();
}

// A plain depth-first walk with a visited set: no engine code.
// The reduced graph reaches the full graph's terminal states, kernel steps and violations
// (with their messages), through no more states.
void check_same_outcomes(const Reached& full, const Reached& part) {
  CHECK(part.terminals == full.terminals);
  CHECK(part.labels == full.labels);
  CHECK(part.violations == full.violations);
  CHECK(part.messages == full.messages);
  CHECK(part.states <= full.states);
}

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
    if (auto v = model.check_state(s)) {
      out.violations.insert(v->property);
      out.messages.emplace(v->property, v->message);
    }
    actions.clear();
    model.enabled_actions(s, actions);
    if (reduce && actions.size() > 1) model.reduce(s, actions);
    if (actions.empty()) {
      out.terminals.insert(encode(model, s));
      if (model.finished(s)) {
        if (auto v = model.check_final(s)) {
          out.violations.insert(v->property);
          out.messages.emplace(v->property, v->message);
        }
      } else {
        out.violations.insert(static_cast<std::uint32_t>(mmcheck::vm::Invariant::NoDeadlock));
      }
      continue;
    }
    for (std::uint8_t a : actions) {
      State next{};
      mmcheck::StepInfo info = model.apply(s, a, next);
      out.labels.insert(info.label);
      if (info.violation) {
        out.violations.insert(info.violation->property);
        out.messages.emplace(info.violation->property, info.violation->message);
      }
      if (seen.insert(encode(model, next)).second) stack.push_back(next);
    }
  }
  return out;
}

// A member of the benchmark family (tools/bench/family.py): cpu0 write-protects, then
// un-protects, every page of A while N writers store K values each, writer c's store k going to
// page (c-1+k) % P; every page starts populated by a writer (warm TLB entry) and has an extra
// reference (every write fault copies).
std::string family_member(int writers, int stores, int pages) {
  auto addr = [](int page) { return page == 0 ? std::string("A") : "A+" + std::to_string(page); };
  auto first_page = [&](int c) { return (c - 1) % pages; };
  std::string range = pages > 1 ? ", \"pages\": " + std::to_string(pages) : "";
  std::string threads = "\"cpu0\": [ { \"op\": \"uffd_wp\", \"addr\": \"A\"" + range +
                        " }, { \"op\": \"uffd_unwp\", \"addr\": \"A\"" + range + " } ]";
  for (int c = 1; c <= writers; ++c) {
    threads += ", \"cpu" + std::to_string(c) + "\": [";
    for (int k = 0; k < stores; ++k)
      threads += std::string(k ? ", " : " ") + "{ \"op\": \"write\", \"addr\": \"" +
                 addr((c - 1 + k) % pages) +
                 "\", \"value\": " + std::to_string(2 + (c - 1) * stores + k) + " }";
    threads += " ]";
  }
  std::string setup;
  for (int p = 0; p < pages; ++p) {
    int by = 1;
    for (int c = 1; c <= writers; ++c)
      if (first_page(c) == p) by = c;
    setup += std::string(p ? ", " : "") + "{ \"thread\": \"cpu" + std::to_string(by) +
             "\", \"op\": \"write\", \"addr\": \"" + addr(p) + "\", \"value\": 1 }";
  }
  for (int p = 0; p < pages; ++p)
    setup += ", { \"thread\": \"cpu0\", \"op\": \"extra_ref\", \"addr\": \"" + addr(p) + "\" }";
  return "{ \"name\": \"fam-N" + std::to_string(writers) + "-K" + std::to_string(stores) + "-P" +
         std::to_string(pages) +
         "\", \"memory\": { \"A\": { \"type\": \"anon\", \"pages\": " + std::to_string(pages) +
         ", \"prot\": \"rw\", \"uffd_wp\": true } }, \"processes\": { \"P\": { \"threads\": { " +
         threads + " } } }, \"setup\": [ " + setup + " ] }";
}

// Scenarios where tlb_flush_pending moves while other CPUs load (a walk fills the TLB from a
// read-only PTE), store, fault, and write-protect or clear soft-dirty bits themselves: the
// cases where a pending mover must not be explored alone.
const std::vector<std::string> kPendingMixes = {
    R"({ "name": "unprotect-with-loads",
      "memory": { "A": { "type": "anon", "words": 2, "uffd_wp": true } },
      "processes": { "P": { "threads": {
        "cpu0": [ { "op": "uffd_wp", "addr": "A" }, { "op": "uffd_unwp", "addr": "A" } ],
        "cpu1": [ { "op": "read", "addr": "A", "word": 1 }, { "op": "write", "addr": "A" } ],
        "cpu2": [ { "op": "write", "addr": "A", "word": 1 } ] } } },
      "setup": [ { "thread": "cpu2", "op": "write", "addr": "A", "word": 1, "value": 1 },
                 { "thread": "cpu0", "op": "extra_ref", "addr": "A", "kind": "io" } ] })",
    R"({ "name": "two-unprotects-and-a-protect",
      "memory": { "A": { "type": "anon", "words": 2, "uffd_wp": true } },
      "processes": { "P": { "threads": {
        "cpu0": [ { "op": "uffd_unwp", "addr": "A" } ],
        "cpu1": [ { "op": "uffd_wp", "addr": "A" }, { "op": "uffd_unwp", "addr": "A" } ],
        "cpu2": [ { "op": "write", "addr": "A" } ],
        "cpu3": [ { "op": "write", "addr": "A", "word": 1 } ] } } },
      "setup": [ { "thread": "cpu3", "op": "write", "addr": "A", "word": 1, "value": 1 },
                 { "thread": "cpu0", "op": "extra_ref", "addr": "A", "kind": "io" } ] })",
    R"({ "name": "clear-refs-pending-and-unprotect",
      "policy": { "clear_refs_flush": "pending" },
      "memory": { "A": { "type": "anon", "pages": 2, "uffd_wp": true } },
      "processes": { "P": { "threads": {
        "cpu0": [ { "op": "clear_refs" } ],
        "cpu1": [ { "op": "uffd_unwp", "addr": "A", "pages": 2 } ],
        "cpu2": [ { "op": "write", "addr": "A" }, { "op": "read", "addr": "A+1" } ],
        "cpu3": [ { "op": "write", "addr": "A+1" }, { "op": "pagemap", "addr": "A+1" } ] } } },
      "setup": [ { "thread": "cpu2", "op": "write", "addr": "A", "value": 1 },
                 { "thread": "cpu3", "op": "write", "addr": "A+1", "value": 1 },
                 { "thread": "cpu1", "op": "uffd_wp", "addr": "A+1" },
                 { "thread": "cpu0", "op": "extra_ref", "addr": "A" } ] })",
    R"({ "name": "protect-two-pages-pin-and-load",
      "memory": { "A": { "type": "anon", "pages": 2, "uffd_wp": true } },
      "processes": { "P": { "threads": {
        "cpu0": [ { "op": "uffd_wp", "addr": "A", "pages": 2 },
                  { "op": "uffd_unwp", "addr": "A", "pages": 2 } ],
        "cpu1": [ { "op": "pin", "addr": "A+1", "write": true, "as": "p" },
                  { "op": "unpin", "pin": "p" } ],
        "cpu2": [ { "op": "read", "addr": "A+1" }, { "op": "write", "addr": "A" } ],
        "cpu3": [ { "op": "write", "addr": "A+1" } ] } } },
      "setup": [ { "thread": "cpu3", "op": "write", "addr": "A+1", "value": 1 },
                 { "thread": "cpu2", "op": "write", "addr": "A", "value": 1 },
                 { "thread": "cpu0", "op": "extra_ref", "addr": "A" },
                 { "thread": "cpu0", "op": "extra_ref", "addr": "A+1" } ] })",
};

}  // namespace

TEST_CASE(
    "Partial-order reduction keeps every terminal state, step and violation of the race library",
    "[por]") {
  std::vector<std::string> files = mmtest::race_library_files();
  REQUIRE(files.size() >= 15);
  std::size_t compared = 0, reduced_somewhere = 0;
  for (const std::string& file : files) {
    mmcheck::vm::Scenario sc = mmcheck::vm::load_scenario(file);
    for (const auto& [preset, expectation] : sc.expect) {
      mmcheck::vm::Policy policy = mmcheck::vm::find_preset(preset)->policy;
      if (mmcheck::vm::unsupported_reason(sc, policy)) continue;
      // Check every invariant, so no violation can hide behind the scenario's own selection.
      CheckedModel model(sc, policy, mmcheck::vm::invariant_names());
      Reached full = walk(model, false);
      Reached part = walk(model, true);
      INFO(file << " on " << preset << ": " << full.states << " states, reduced " << part.states);
      check_same_outcomes(full, part);
      if (part.states < full.states) ++reduced_somewhere;
      ++compared;
    }
  }
  CHECK(compared > 100);
  // Not vacuous: a scenario whose threads take mmap_lock for write (fork, mprotect, munmap,
  // clear_refs on 5.11+) cannot reduce, but the others do.
  CHECK(reduced_somewhere > compared / 4);
}

TEST_CASE(
    "Partial-order reduction keeps every terminal state, step and violation of the benchmark "
    "family and of scenarios that move tlb_flush_pending beside loads, stores and faults",
    "[por]") {
  std::vector<mmcheck::vm::Scenario> scenarios;
  for (int writers = 1; writers <= 3; ++writers)
    for (int stores = 1; stores <= 2; ++stores)
      for (int pages = 1; pages <= 2; ++pages)
        if (writers < 3 || stores == 1)
          scenarios.push_back(
              mmcheck::vm::parse_scenario(family_member(writers, stores, pages), "family"));
  for (const std::string& text : kPendingMixes)
    scenarios.push_back(mmcheck::vm::parse_scenario(text, "mix"));
  std::size_t compared = 0, reduced = 0, halved = 0;
  for (const mmcheck::vm::Scenario& sc : scenarios) {
    for (const mmcheck::vm::Preset& preset : mmcheck::vm::presets()) {
      mmcheck::vm::Policy policy = preset.policy;
      for (const auto& [name, value] : sc.policy_overrides)
        REQUIRE(!mmcheck::vm::set_policy(policy, name, value));
      if (mmcheck::vm::unsupported_reason(sc, policy)) continue;
      CheckedModel model(sc, policy, mmcheck::vm::invariant_names());
      Reached full = walk(model, false);
      Reached part = walk(model, true);
      INFO(sc.name << " on " << preset.name << ": " << full.states << " states, reduced "
                   << part.states);
      check_same_outcomes(full, part);
      if (part.states < full.states) ++reduced;
      if (sc.name.starts_with("fam-N3") && preset.name == "linux-5.12") {
        CHECK(2 * part.states <= full.states);
        ++halved;
      }
      ++compared;
    }
  }
  CHECK(compared > 150);
  // Not vacuous: every one reduces, and the family with three writers halves on linux-5.12,
  // where every store fault may test tlb_flush_pending.
  CHECK(reduced == compared);
  CHECK(halved == 2);
}
