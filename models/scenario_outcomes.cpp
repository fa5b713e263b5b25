// A scenario's "outcomes" (README "Outcomes: what a passing run did"): the reads and pin_reads
// whose returned values the final states are counted by, as herd7 lists a litmus test's final
// register values. Each is named "THREAD.N", the op at position N (from 1) of that thread's list.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "models/json_reader.hpp"
#include "models/ops/op.hpp"
#include "models/scenario.hpp"
#include "models/scenario_ops.hpp"
#include "models/suggest.hpp"

namespace mmcheck::vm {

namespace {

// The values an observed op may return, and "none": the radix of one outcome in a final
// state's count.
int radix_of(const Scenario& sc) {
  int values = 1;  // 0, the content of a page no store reached
  for (std::uint8_t v : sc.values)
    if (v != 0) ++values;
  return values + 1;  // and none
}

}  // namespace

std::uint64_t outcome_combinations(const Scenario& sc) {
  std::uint64_t n = 1;
  for (std::size_t i = 0; i < sc.outcomes.size(); ++i)
    n *= static_cast<std::uint64_t>(radix_of(sc));
  return sc.outcomes.empty() ? 0 : n;
}

void load_outcomes(const JsonReader& reader, const json& j, Scenario& sc) {
  reader.expect_array(j, "/outcomes");
  if (j.size() > kMaxOutcomes)
    reader.fail("/outcomes", "at most " + std::to_string(kMaxOutcomes) + " outcomes, got " +
                                 std::to_string(j.size()));
  std::vector<std::string> thread_names;
  for (const Thread& t : sc.threads) thread_names.push_back(t.name);
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string ptr = "/outcomes/" + std::to_string(i);
    std::string name = reader.string_at(j[i], ptr);
    auto dot = name.rfind('.');
    std::string thread = dot == std::string::npos ? name : name.substr(0, dot);
    std::string position = dot == std::string::npos ? "" : name.substr(dot + 1);
    auto t = std::find(thread_names.begin(), thread_names.end(), thread);
    if (t == thread_names.end())
      reader.fail(ptr, "expected \"THREAD.N\" (the Nth op of a thread, from 1): unknown thread \"" +
                           thread + "\"" + did_you_mean(thread, thread_names) +
                           "; threads: " + join(thread_names));
    Thread& th = sc.threads[static_cast<std::size_t>(t - thread_names.begin())];
    bool digits =
        !position.empty() && position.size() <= 3 &&
        std::all_of(position.begin(), position.end(), [](char c) { return c >= '0' && c <= '9'; });
    int n = digits ? std::stoi(position) : 0;
    if (n < 1 || n > static_cast<int>(th.ops.size()))
      reader.fail(ptr, "expected \"" + thread + ".N\" with N from 1 to " +
                           std::to_string(th.ops.size()) + " (the position of a " + thread +
                           " op), got \"" + name + "\"");
    Op& op = th.ops[static_cast<std::size_t>(n - 1)];
    if (op.kind != OpKind::Read && op.kind != OpKind::PinRead)
      reader.fail(ptr, "\"" + name + "\" is " + op.text +
                           ": outcomes observe what a read or a pin_read returns");
    if (op.observe >= 0) reader.fail(ptr, "\"" + name + "\" is listed twice");
    std::int8_t slot = 0;
    for (const ObservedOp& o : sc.outcomes)
      if (sc.threads[o.thread].name == thread) ++slot;
    if (slot >= 2)
      reader.fail(ptr, "at most two outcomes in one thread, and " + thread + " has two already");
    op.observe = slot;
    sc.outcomes.push_back({thread + "." + std::to_string(n),
                           static_cast<std::uint8_t>(t - thread_names.begin()),
                           static_cast<std::uint8_t>(n - 1)});
  }
  // A thread keeps value + 1 in a byte, 0 standing for none.
  if (std::find(sc.values.begin(), sc.values.end(), kMaxValue) != sc.values.end())
    reader.fail("/outcomes", "a scenario with outcomes stores values from 0 to " +
                                 std::to_string(kMaxValue - 1) + " (one stores " +
                                 std::to_string(kMaxValue) + ")");
  if (outcome_combinations(sc) > kMaxOutcomeCombinations)
    reader.fail("/outcomes", std::to_string(sc.outcomes.size()) + " outcomes of " +
                                 std::to_string(radix_of(sc)) + " possible values each (" +
                                 std::to_string(radix_of(sc) - 2) +
                                 " stored values, 0 and none) make more than " +
                                 std::to_string(kMaxOutcomeCombinations) +
                                 " combinations: observe fewer ops");
}

}  // namespace mmcheck::vm
