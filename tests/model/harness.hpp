// A small harness for driving the VM model by hand in tests: a scenario written inline, one
// kernel (a preset plus overrides), the state after setup, and helpers that step one thread at a
// time (or until it takes a named kernel step) and read PTEs, TLB entries, frames and mms by
// name. Also the whole-scenario runners (cli::run_scenario and the engine's search) with the
// scenario kept alive for as long as the model that refers to it.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checker/assert.hpp"
#include "checker/search.hpp"
#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/state.hpp"
#include "models/vm_model.hpp"
#include "tools/run/run.hpp"

namespace mmtest {

namespace vm = mmcheck::vm;
using Sets = std::vector<std::pair<std::string, std::string>>;

// A scenario file's text from its parts (each part is JSON text).
inline std::string scenario_text(const std::string& memory, const std::string& processes,
                                 const std::string& setup = "[]",
                                 const std::string& check = "\"all\"") {
  return R"({"name": "test", "memory": )" + memory + R"(, "processes": )" + processes +
         R"(, "setup": )" + setup + R"(, "check": )" + check + "}";
}

// mprotect(R) then mprotect(RW) by cpu0 on an exclusive anon page that an R/O pin's unshare
// (after a fork to C) left mapped read-only and clean: wp_page_copy maps the copy that way.
inline std::string clean_exclusive_mprotect_scenario() {
  return scenario_text(R"({"A": {}})",
                       R"({"P": {"threads": {"cpu0": [{"op": "mprotect", "addr": "A", "prot": "r"},
                                                      {"op": "mprotect", "addr": "A", "prot": "rw"}]}},
                           "C": {"threads": {"c0": []}}})",
                       R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1},
                           {"thread": "cpu0", "op": "fork", "child": "C"},
                           {"thread": "cpu0", "op": "pin", "addr": "A", "as": "p"}])");
}

// The race library's scenario files, sorted.
inline std::vector<std::string> race_library_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(MMCHECK_SOURCE_DIR "/scenarios"))
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// A model bug that trips an MM_ASSERT fails the test at hand instead of aborting the binary.
inline void assert_throws() { mmcheck::set_assert_throws(true); }

inline vm::Policy policy_of(const std::string& preset, const Sets& sets = {}) {
  const vm::Preset* p = vm::find_preset(preset);
  REQUIRE(p != nullptr);
  vm::Policy policy = p->policy;
  for (const auto& [name, value] : sets) {
    auto err = vm::set_policy(policy, name, value);
    INFO(name << "=" << value << ": " << err.value_or(""));
    REQUIRE_FALSE(err.has_value());
  }
  return policy;
}

// The model with its scenario, stepped by hand from the state after setup.
class Sim {
 public:
  Sim(const std::string& json, const std::string& preset, const Sets& sets = {})
      : sc((assert_throws(), vm::parse_scenario(json, "test.json"))),
        policy(policy_of(preset, sets)) {
    model = std::make_unique<vm::CheckedModel>(sc, policy, sc.check);
    auto initial = model->initial_states();
    REQUIRE(initial.size() == 1);
    s = initial[0];
  }
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  int thread(const std::string& name) const {
    for (std::size_t t = 0; t < sc.threads.size(); ++t)
      if (sc.threads[t].name == name) return static_cast<int>(t);
    FAIL("no thread " << name);
    return -1;
  }
  int process(const std::string& name) const {
    for (std::size_t p = 0; p < sc.processes.size(); ++p)
      if (sc.processes[p].name == name) return static_cast<int>(p);
    FAIL("no process " << name);
    return -1;
  }
  int page(const std::string& name) const {
    for (int p = 0; p < sc.page_count(); ++p)
      if (sc.page_name(p) == name) return p;
    FAIL("no page " << name);
    return -1;
  }

  std::vector<int> enabled() const {
    std::vector<std::uint8_t> actions;
    model->enabled_actions(s, actions);
    return {actions.begin(), actions.end()};
  }
  bool enabled(const std::string& t) const {
    auto e = enabled();
    return std::find(e.begin(), e.end(), thread(t)) != e.end();
  }
  bool done(const std::string& t) const { return model->current_op(s, thread(t)) == nullptr; }
  int op_index(const std::string& t) const { return s.threads[thread(t)].pc; }

  // One step of thread `t`, which must be enabled. Returns the kernel step name; the step's
  // violation (an invariant name) and the new state's check_state violation are kept.
  std::string step(const std::string& t) {
    INFO("stepping " << t << " after " << history());
    REQUIRE(enabled(t));
    vm::State next{};
    note.clear();
    mmcheck::StepInfo info =
        model->apply_traced(s, static_cast<std::uint8_t>(thread(t)), next, note);
    REQUIRE(info.label != mmcheck::kNoLabel);
    s = next;
    std::string name = vm::step_names()[info.label];
    steps.push_back(t + ":" + name);
    violation.reset();
    if (info.violation) violation = vm::invariant_names()[info.violation->property];
    state_violation.reset();
    if (auto v = model->check_state(s)) state_violation = vm::invariant_names()[v->property];
    return name;
  }

  // Steps `t` until it takes the kernel step `name` (that step included). Returns the step names
  // taken on the way, `name` last.
  std::vector<std::string> run_until(const std::string& t, const std::string& name) {
    std::vector<std::string> taken;
    for (int i = 0; i < 64; ++i) {
      INFO(t << " did not reach " << name << "; took " << join(taken));
      REQUIRE_FALSE(done(t));
      taken.push_back(step(t));
      if (taken.back() == name) return taken;
    }
    FAIL(t << " did not reach " << name << " in 64 steps");
    return taken;
  }

  // Steps `t` until its current op completes. Returns the step names.
  std::vector<std::string> finish_op(const std::string& t) {
    std::vector<std::string> taken;
    int pc = op_index(t);
    for (int i = 0; i < 64 && op_index(t) == pc; ++i) taken.push_back(step(t));
    REQUIRE(op_index(t) == pc + 1);
    return taken;
  }

  const vm::Pte& pte(const std::string& proc, const std::string& pg) const {
    return s.mm[process(proc)].pte[page(pg)];
  }
  const vm::VmaPage& vma(const std::string& proc, const std::string& pg) const {
    return s.mm[process(proc)].vma[page(pg)];
  }
  const vm::TlbEntry& tlb(const std::string& t, const std::string& pg) const {
    return s.tlb[thread(t)][page(pg)];
  }
  const vm::Mm& mm(const std::string& proc) const { return s.mm[process(proc)]; }
  const vm::Frame& frame(int pfn) const { return s.frames[pfn]; }
  const vm::Frame& frame_at(const std::string& proc, const std::string& pg) const {
    const vm::Pte& p = pte(proc, pg);
    REQUIRE(p.present);
    return s.frames[p.pfn];
  }
  int handle(const std::string& name) const {
    for (std::size_t h = 0; h < sc.handle_names.size(); ++h)
      if (sc.handle_names[h] == name) return static_cast<int>(h);
    FAIL("no handle " << name);
    return -1;
  }
  // The ghost: the last value stored through `proc` at `pg`, or -1.
  int expected(const std::string& proc, const std::string& pg, int word = 0) const {
    const vm::Mm& m = mm(proc);
    int p = page(pg);
    return (m.expect_valid[p] >> word & 1) ? m.expect[p][word] : -1;
  }
  int frames_in_use() const {
    int n = 0;
    for (const auto& f : s.frames) n += f.in_use ? 1 : 0;
    return n;
  }

  std::string history() const { return join(steps); }
  static std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
  }

  vm::Scenario sc;
  vm::Policy policy;
  std::unique_ptr<vm::CheckedModel> model;
  vm::State s;
  std::vector<std::string> steps;              // "thread:step" taken so far
  std::string note;                            // the last step's note
  std::optional<std::string> violation;        // the last step's violation (invariant name)
  std::optional<std::string> state_violation;  // check_state of the last state
};

// A whole scenario under a preset (and overrides), as `mmcheck check` runs it.
inline mmcheck::cli::RunOutcome run(const std::string& json, const std::string& preset,
                                    const Sets& sets = {}, unsigned threads = 1) {
  assert_throws();
  vm::Scenario sc = vm::parse_scenario(json, "test.json");
  mmcheck::cli::RunConfig config;
  config.kernel = preset;
  config.sets = sets;
  config.search.threads = threads;
  return mmcheck::cli::run_scenario(sc, config);
}

// A scenario of the race library (scenarios/NAME.json) under a preset (and overrides).
inline mmcheck::cli::RunOutcome run_library(const std::string& name, const std::string& preset,
                                            const Sets& sets = {}) {
  assert_throws();
  vm::Scenario sc = vm::load_scenario(MMCHECK_SOURCE_DIR "/scenarios/" + name + ".json");
  mmcheck::cli::RunConfig config;
  config.kernel = preset;
  config.sets = sets;
  return mmcheck::cli::run_scenario(sc, config);
}

inline std::vector<std::string> trace_steps(const mmcheck::cli::RunOutcome& o) {
  std::vector<std::string> out;
  for (const auto& st : o.trace) out.push_back(st.thread + ":" + st.step);
  return out;
}

// The last step of the counterexample, "" when there is none.
inline std::string last_step(const mmcheck::cli::RunOutcome& o) {
  auto steps = trace_steps(o);
  return steps.empty() ? "" : steps.back();
}

inline std::uint64_t coverage_of(const mmcheck::cli::RunOutcome& o, const std::string& step) {
  auto it = o.coverage.find(step);
  return it == o.coverage.end() ? 0 : it->second;
}

}  // namespace mmtest
