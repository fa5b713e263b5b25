// The VM model under the engine gives the same answer whatever the number of search threads
// (the README's "Using it"): states, transitions, depth, step coverage, verdict and the
// counterexample, state by state.
#include <catch2/catch.hpp>

#include "invariants/checker.hpp"
#include "tests/model/harness.hpp"

namespace mmtest {
namespace {

using Result = mmcheck::SearchResult<vm::VmModel>;

Result search_with(const vm::VmModel& model, unsigned threads) {
  mmcheck::SearchOptions options;
  options.threads = threads;
  Result r = mmcheck::search(model, options);
  REQUIRE(r.stats.threads == threads);
  return r;
}

std::vector<std::vector<std::uint8_t>> encodings(const vm::VmModel& model, const Result& r) {
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto& s : r.states) {
    mmcheck::ByteWriter w;
    model.encode(s, w);
    out.push_back(w.bytes());
  }
  return out;
}

// Returns the 1-thread result for further checks.
Result check_same_with_1_and_2_threads(const std::string& json, const std::string& preset) {
  assert_throws();
  vm::Scenario sc = vm::parse_scenario(json, "test.json");
  vm::CheckedModel model(sc, policy_of(preset), sc.check);
  Result one = search_with(model, 1);
  REQUIRE(one.verdict != mmcheck::Verdict::Nondeterministic);
  // Several runs: a level's numbering must not follow the threads' timing.
  for (int run = 0; run < 3; ++run) {
    Result two = search_with(model, 2);
    CHECK(two.verdict == one.verdict);
    CHECK(two.stats.states == one.stats.states);
    CHECK(two.stats.transitions == one.stats.transitions);
    CHECK(two.stats.depth == one.stats.depth);
    CHECK(two.label_counts == one.label_counts);
    REQUIRE(two.violation.has_value() == one.violation.has_value());
    if (one.violation) {
      CHECK(two.violation->property == one.violation->property);
      CHECK(two.violation->message == one.violation->message);
    }
    CHECK(two.actions == one.actions);
    CHECK(encodings(model, two) == encodings(model, one));
  }
  return one;
}

TEST_CASE("scenario 1 on 5.10 gives the same counterexample with 1 and 2 search threads",
          "[determinism]") {
  std::string s1 = scenario_text(R"({"A": {"uffd_wp": true}})",
                                 R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                            "cpu1": [{"op": "write", "addr": "A", "value": 2}],
                            "cpu2": [{"op": "write", "addr": "A", "value": 3}]}}})",
                                 R"([{"thread": "cpu2", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu0", "op": "extra_ref", "addr": "A"}])");
  Result one = check_same_with_1_and_2_threads(s1, "linux-5.10");
  CHECK(one.verdict == mmcheck::Verdict::Violation);
  CHECK(one.actions.size() == 6);
  Result fixed = check_same_with_1_and_2_threads(s1, "linux-5.12");
  CHECK(fixed.verdict == mmcheck::Verdict::Holds);
  CHECK(fixed.stats.states == 441);
}

TEST_CASE("a lost write found deep in a wide search is the same with 1 and 2 search threads",
          "[determinism]") {
  // Scenario 1 with a load after cpu2's store (10 steps to the violation), plus cpu3 working on
  // another page so that every level up to the violation is wide enough to be split between
  // threads, and many shortest counterexamples tie.
  std::string wide = scenario_text(R"({"A": {"uffd_wp": true}, "B": {}, "C": {}})",
                                   R"({"P": {"threads": {"cpu0": [{"op": "uffd_unwp", "addr": "A"}],
                            "cpu1": [{"op": "write", "addr": "A", "value": 2}],
                            "cpu2": [{"op": "write", "addr": "A", "value": 3}, {"op": "read", "addr": "A"}],
                            "cpu3": [{"op": "write", "addr": "B", "value": 10}, {"op": "read", "addr": "B"},
                                     {"op": "clear_refs"}, {"op": "write", "addr": "B", "value": 11},
                                     {"op": "read", "addr": "B"}],
                            "cpu4": [{"op": "write", "addr": "C", "value": 12}, {"op": "read", "addr": "C"},
                                     {"op": "write", "addr": "C", "value": 13}]}}})",
                                   R"([{"thread": "cpu2", "op": "write", "addr": "A", "value": 1},
          {"thread": "cpu0", "op": "extra_ref", "addr": "A"}])",
                                   R"(["no_lost_write", "refcounts_sane", "no_deadlock"])");
  Result one = check_same_with_1_and_2_threads(wide, "linux-5.10");
  CHECK(one.verdict == mmcheck::Verdict::Violation);
  CHECK(one.actions.size() == 10);
  CHECK(one.stats.states > 1000);
}

TEST_CASE("fork, pins and COW give the same state space with 1 and 2 search threads",
          "[determinism]") {
  std::string forked = scenario_text(
      R"({"A": {"words": 2}})",
      R"({"P": {"threads": {"cpu0": [{"op": "fork", "child": "C"}, {"op": "write", "addr": "A", "value": 2},
                                     {"op": "pin_read", "pin": "p"}],
                            "cpu1": [{"op": "pin", "addr": "A", "as": "p"},
                                     {"op": "write", "addr": "A", "word": 1, "value": 4}]}},
          "C": {"threads": {"c0": [{"op": "write", "addr": "A", "value": 3}, {"op": "read", "addr": "A", "word": 1},
                                   {"op": "exit"}]}}})",
      R"([{"thread": "cpu0", "op": "write", "addr": "A", "value": 1}])");
  Result one = check_same_with_1_and_2_threads(forked, "linux-5.19");
  CHECK(one.stats.states > 1000);
  check_same_with_1_and_2_threads(forked, "linux-5.8");
}

}  // namespace
}  // namespace mmtest
