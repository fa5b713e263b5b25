// Reductions keep every verdict: every scenario of the repository, on every kernel of its
// "expect", gives the same verdict, the same reported invariant and a counterexample of the
// same length with partial-order reduction on and off, symmetry reduction on and off, the
// fingerprint store, and 1 or 2 search threads; the compressed store gives the same states too.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "checker/model.hpp"
#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/vm_model.hpp"
#include "tests/model/harness.hpp"
#include "tools/run/run.hpp"

namespace {

namespace cli = mmcheck::cli;
namespace vm = mmcheck::vm;

struct Outcome {
  cli::Outcome verdict = cli::Outcome::Holds;
  std::string invariant;
  std::size_t steps = 0;
  std::uint64_t states = 0;
  bool operator==(const Outcome& o) const {
    return verdict == o.verdict && invariant == o.invariant && steps == o.steps;
  }
};

Outcome run(const vm::Scenario& sc, const std::string& kernel, bool por, bool symmetry,
            bool fingerprint, unsigned threads, bool compress = false) {
  cli::RunConfig config;
  config.kernel = kernel;
  config.search.threads = threads;
  config.search.reduce = por;
  config.search.symmetry = symmetry;
  config.search.fingerprint = fingerprint;
  config.search.compress = compress;
  cli::RunOutcome o = cli::run_scenario(sc, config);
  return {o.verdict, o.invariant, o.trace.size(), o.stats.states};
}

const char* kSymmetric = R"({
  "name": "three-identical-writers-unprotect",
  "memory": { "A": { "type": "anon", "pages": 1, "words": 2, "uffd_wp": true } },
  "processes": { "P": { "threads": {
      "cpu0": [ { "op": "uffd_unwp", "addr": "A" } ],
      "w1": [ { "op": "write", "addr": "A", "value": 2 }, { "op": "read", "addr": "A", "word": 1 } ],
      "w2": [ { "op": "write", "addr": "A", "value": 2 }, { "op": "read", "addr": "A", "word": 1 } ],
      "w3": [ { "op": "write", "addr": "A", "value": 2 }, { "op": "read", "addr": "A", "word": 1 } ],
      "cpu2": [ { "op": "write", "addr": "A", "word": 1, "value": 3 } ] } } },
  "setup": [ { "thread": "cpu2", "op": "write", "addr": "A", "word": 1, "value": 1 },
             { "thread": "cpu0", "op": "extra_ref", "addr": "A" } ],
  "check": ["no_lost_write", "refcounts_sane", "no_deadlock"]
})";

}  // namespace

TEST_CASE("Every scenario gives the same verdict and counterexample length with every reduction",
          "[reductions]") {
  std::size_t runs = 0;
  for (const std::string& file : mmtest::race_library_files()) {
    vm::Scenario sc = vm::load_scenario(file);
    for (const auto& [kernel, expected] : sc.expect) {
      INFO(file << " on " << kernel);
      Outcome plain = run(sc, kernel, false, false, false, 1);
      CHECK(run(sc, kernel, true, false, false, 1) == plain);
      CHECK(run(sc, kernel, false, true, false, 1) == plain);
      Outcome reduced = run(sc, kernel, true, true, false, 2);
      CHECK(reduced == plain);
      CHECK(run(sc, kernel, true, false, true, 2) == plain);
      // The compressed store is exact: the same states as the exact store, not only the verdict
      // (with both reductions: the states of the two-thread run above).
      Outcome packed = run(sc, kernel, true, true, false, 2, true);
      CHECK(packed == plain);
      CHECK(packed.states == reduced.states);
      ++runs;
    }
  }
  CHECK(runs > 200);
}

TEST_CASE("Symmetry reduction merges identical threads and keeps the verdict",
          "[reductions][symmetry]") {
  vm::Scenario sc = vm::parse_scenario(kSymmetric, "symmetric.json");
  for (const char* kernel : {"linux-5.10", "linux-5.12"}) {
    INFO(kernel);
    Outcome plain = run(sc, kernel, false, false, false, 2);
    Outcome merged = run(sc, kernel, false, true, false, 2);
    CHECK(merged == plain);
    CHECK(merged.states * 3 < plain.states);  // three interchangeable writers: close to 3! fewer
    CHECK(run(sc, kernel, true, true, false, 2) == plain);
  }
}

TEST_CASE("A permutation of identical threads has the same representative",
          "[reductions][symmetry]") {
  vm::Scenario sc = vm::parse_scenario(kSymmetric, "symmetric.json");
  vm::CheckedModel model(sc, vm::find_preset("linux-5.10")->policy, sc.check);
  REQUIRE(model.symmetry_groups().size() == 1);
  REQUIRE(model.symmetry_groups()[0] == std::vector<int>{1, 2, 3});
  // Walk random schedules; at each state, swapping two writers' threads and TLB rows must not
  // change the canonical encoding.
  std::mt19937 random(42);
  for (int walk = 0; walk < 200; ++walk) {
    vm::State s = model.initial_states()[0];
    for (int depth = 0; depth < 30; ++depth) {
      std::vector<std::uint8_t> actions;
      model.enabled_actions(s, actions);
      if (actions.empty()) break;
      vm::State next{};
      model.apply(s, actions[random() % actions.size()], next);
      s = next;
      vm::State a = s, b = s;
      int i = 1 + static_cast<int>(random() % 3), j = 1 + static_cast<int>(random() % 3);
      std::swap(b.threads[i], b.threads[j]);
      std::swap(b.tlb[i], b.tlb[j]);
      model.canonicalize(a);
      model.canonicalize(b);
      mmcheck::ByteWriter wa, wb;
      model.encode(a, wa);
      model.encode(b, wb);
      REQUIRE(wa.bytes() == wb.bytes());
    }
  }
}
