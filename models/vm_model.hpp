// The Linux VM model as an engine Model: a scenario, a resolved policy and an observer (the
// selected invariants, invariants/checker.hpp), which answers the engine's property questions.
// An action is a thread index; each thread runs its ops one atomic step at a time
// (models/ops/*.cpp). Setup runs in initial_states(), sequentially, without exploration.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/model.hpp"
#include "models/observe.hpp"
#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/state.hpp"

namespace mmcheck::vm {

// The kernel step names used in traces and must_reach (the index is the engine's label).
const std::vector<std::string>& step_names();
std::uint32_t step_label(const char* name);

// What a step reads, writes and increments (models/por.cpp), as resource bit sets.
struct Footprint {
  std::uint64_t read = 0;
  std::uint64_t write = 0;
  std::uint64_t inc = 0;  // increments and decrements of a counter, which commute
  // PTE bits (the `read`/`write` resource numbering) of the pages where a store fault may test
  // tlb_flush_pending and flush the page's TLB entries (uffd_wp_pending_flush); the test's
  // read of tlb_flush_pending is in `read` too.
  std::uint64_t flush_test = 0;
  // PTE bits of the pages where a step may leave a CPU of the mm with a TLB entry for the page
  // while the PTE is not present and writable: a PTE write that does not flush first, or a
  // walk that fills the TLB from a read-only PTE (models/por.cpp, "TLB-clean pages").
  std::uint64_t tlb_dirtying = 0;
  bool conflicts(const Footprint& o) const;
  void add(const Footprint& o);
};

// Where a value of the flattened state is: its path ("P.pte.A.write", "frame.3.refcount",
// "cpu1.tlb.A+1.valid"), and the page (PTE, VMA, TLB entry, ghost of a page) and the frame it
// is about, -1 for none. Readers use the page and frame rather than parsing the text.
struct StatePath {
  std::string text;
  int page = -1;
  int frame = -1;
  bool operator==(const StatePath&) const = default;
};
struct StateValue {
  StatePath path;
  int value = 0;
  bool operator==(const StateValue&) const = default;
};

class VmModel {
 public:
  using State = vm::State;
  using Action = std::uint8_t;

  // Throws InputError when a setup op cannot complete. The observer outlives the model.
  VmModel(const Scenario& scenario, const Policy& policy, const Observer& observer);

  std::vector<State> initial_states() const;
  void enabled_actions(const State& s, std::vector<Action>& out) const;
  StepInfo apply(const State& s, const Action& a, State& next) const;
  std::optional<Violation> check_state(const State& s) const {
    return observer_.check_state(*this, s);
  }
  bool finished(const State& s) const;
  std::optional<Violation> check_final(const State& s) const {
    return observer_.check_final(*this, s);
  }
  void encode(const State& s, ByteWriter& w) const { encode_state(s, shape_, w); }
  State decode(ByteReader& r) const { return decode_state(r, shape_); }
  const std::vector<std::string>& property_names() const { return observer_.property_names(); }
  std::optional<std::uint32_t> deadlock_property() const { return observer_.deadlock_property(); }
  // The kernel steps' names (step_names()), then two labels per op of the threads' lists (it
  // ended done, or failed: SIGSEGV or an error; StepInfo::mark), then one per combination of
  // the scenario's outcomes (terminal_mark).
  const std::vector<std::string>& label_names() const { return labels_; }
  std::uint32_t op_end_label(int thread, int pc, bool failed) const {
    return op_end_base_ + 2 * static_cast<std::uint32_t>(op_offset_[thread] + pc) + failed;
  }
  std::uint32_t outcome_label(std::uint32_t combination) const {
    return outcome_base_ + combination;
  }
  // A finished state's label by what the observed ops returned; kNoLabel without outcomes.
  std::uint32_t terminal_mark(const State& s) const;
  // The values of a combination, one per outcome: the value, or -1 for none.
  std::vector<int> outcome_values(std::uint32_t combination) const;
  std::string describe_action(const State& s, const Action& a) const;
  // Partial-order reduction: shrinks `actions` to one step when it is safe (models/por.cpp).
  void reduce(const State& s, std::vector<Action>& actions) const;
  // Symmetry reduction: threads of one process with identical programs are interchangeable;
  // sorts each such group by its threads' state (models/symmetry.cpp).
  void canonicalize(State& s) const;
  const std::vector<std::vector<int>>& symmetry_groups() const { return symmetry_groups_; }

  // The same step as apply(), also producing a one-line note of what it did (for traces).
  StepInfo apply_traced(const State& s, Action a, State& next, std::string& note) const;
  // Why an unfinished thread cannot move now ("waits for P's mmap_lock").
  std::string why_blocked(const State& s, int thread) const;
  // A thread waiting in handle_userfault: the page, and whether it waits for an unprotect (a
  // WP fault on a present PTE or a marker) rather than a UFFDIO_COPY (a missing fault).
  struct UserfaultWait {
    int page = 0;
    bool unprotect = false;
  };
  std::optional<UserfaultWait> userfault_wait(const State& s, int thread) const;
  // Why each unfinished thread cannot move (for a deadlock's message).
  std::string describe_deadlock(const State& s) const;
  // A flat view of the state for diffs and timelines: ("P.pte.A.write", page A) = 1 ...
  std::vector<StateValue> flatten(const State& s) const;

  const Scenario& scenario() const { return scenario_; }
  const Policy& policy() const { return policy_; }
  const Shape& shape() const { return shape_; }
  // Publishes an event of a step to the observer when it watches that kind.
  void publish(const State& s, const Observation& o, StepInfo& info) const {
    if (watched_ & event_bit(o.event)) observer_.observe(*this, s, o, info);
  }
  // The ghost state the observer reads (models/observe.hpp).
  const GhostNeeds& ghost() const { return ghost_; }
  // The op a thread is at, nullptr when its list is done.
  const Op* current_op(const State& s, int thread) const;
  // The ghost's bit for a stored value (values are dense-indexed at load time).
  std::uint64_t value_bit(std::uint8_t value) const { return value_bits_[value]; }
  // Whether the soft-dirty ghost (when each store started) is kept: only scenarios with a
  // clear_refs need it, and the others should not pay for it in states.
  bool tracks_soft_dirty() const { return tracks_soft_dirty_; }

 private:
  void run_setup(State& s) const;
  Footprint op_footprint(int thread, const Op& op) const;
  void build_reduction_tables();

  const Scenario& scenario_;
  Policy policy_;
  Shape shape_;
  const Observer& observer_;
  std::uint32_t watched_ = 0;
  GhostNeeds ghost_;
  std::array<std::uint64_t, 256> value_bits_{};
  bool tracks_soft_dirty_ = false;
  std::vector<std::vector<Footprint>> future_;  // [thread][pc]: every op from pc on
  std::vector<std::vector<int>> symmetry_groups_;
  void build_symmetry_groups();
  void build_labels();
  std::vector<std::string> labels_;
  std::vector<int> op_offset_;  // [thread]: its first op's number among every thread's
  std::uint32_t op_end_base_ = 0;
  std::uint32_t outcome_base_ = 0;
  std::array<std::uint8_t, 256> outcome_digit_{};  // a returned value's digit; 0 is none
  std::vector<int> digit_value_;                   // and back
};

}  // namespace mmcheck::vm

namespace mmcheck::vm {
// Why a scenario cannot run on a kernel (an op or region feature the policy lacks), if so.
std::optional<std::string> unsupported_reason(const Scenario& scenario, const Policy& policy);
}  // namespace mmcheck::vm
