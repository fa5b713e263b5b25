// Symmetry reduction for the VM model. Threads of one process whose programs are identical op
// for op are interchangeable: a thread index appears in the state only as its position in the
// thread and TLB arrays, the invariants name no thread, and every op treats the CPUs of an mm
// alike (a flush reaches them all). So permuting such threads maps states to equivalent states,
// and sorting each group of them by their encoded part picks one representative per orbit.
// Threads named by setup ops are fine: setup's effect is part of the initial state.
#include <algorithm>
#include <array>
#include <tuple>

#include "models/ops/op.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

bool same_op(const Op& a, const Op& b) {
  return std::tie(a.kind, a.page, a.pages, a.src, a.word, a.value, a.write, a.prot, a.handle,
                  a.child, a.ref_kind) == std::tie(b.kind, b.page, b.pages, b.src, b.word, b.value,
                                                   b.write, b.prot, b.handle, b.child, b.ref_kind);
}

bool same_program(const Thread& a, const Thread& b) {
  if (a.process != b.process || a.ops.size() != b.ops.size()) return false;
  for (std::size_t i = 0; i < a.ops.size(); ++i)
    if (!same_op(a.ops[i], b.ops[i])) return false;
  // An op may rule it out (a fork names its child: two threads cannot both fork it); so does
  // an op of the scenario's outcomes, which names its thread.
  auto alike = [](const Op& op) { return op_descriptor(op.kind).symmetric && op.observe < 0; };
  return std::all_of(a.ops.begin(), a.ops.end(), alike) &&
         std::all_of(b.ops.begin(), b.ops.end(), alike);
}

}  // namespace

void VmModel::build_symmetry_groups() {
  std::vector<bool> grouped(shape_.threads, false);
  for (int t = 0; t < shape_.threads; ++t) {
    if (grouped[t]) continue;
    std::vector<int> group = {t};
    for (int u = t + 1; u < shape_.threads; ++u)
      if (!grouped[u] && same_program(scenario_.threads[t], scenario_.threads[u])) {
        group.push_back(u);
        grouped[u] = true;
      }
    if (group.size() > 1) symmetry_groups_.push_back(group);
  }
}

void VmModel::canonicalize(State& s) const {
  for (const std::vector<int>& group : symmetry_groups_) {
    std::array<std::vector<std::uint8_t>, kMaxThreads> keys;
    std::array<int, kMaxThreads> order{};
    ByteWriter w;
    for (std::size_t i = 0; i < group.size(); ++i) {
      w.clear();
      encode_thread(s, group[i], shape_, w);
      keys[i] = w.bytes();
      order[i] = static_cast<int>(i);
    }
    std::stable_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(group.size()),
                     [&](int a, int b) { return keys[a] < keys[b]; });
    bool sorted = true;
    for (std::size_t i = 0; i < group.size(); ++i)
      sorted = sorted && order[i] == static_cast<int>(i);
    if (sorted) continue;
    std::array<ThreadState, kMaxThreads> threads;
    std::array<std::array<TlbEntry, kMaxPages>, kMaxThreads> tlbs;
    for (std::size_t i = 0; i < group.size(); ++i) {
      threads[i] = s.threads[group[order[i]]];
      tlbs[i] = s.tlb[group[order[i]]];
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
      s.threads[group[i]] = threads[i];
      s.tlb[group[i]] = tlbs[i];
    }
  }
}

}  // namespace mmcheck::vm
