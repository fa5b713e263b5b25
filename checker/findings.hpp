// A finding is a violation or a deadlock the search met, with what it takes to rank it and to
// rebuild its counterexample. The search reports the first finding in this order: the smallest
// depth, then the property's rank (the order of the model's property names), then the
// smallest key (the schedule: parent position, action position), so the report does not
// depend on the number of threads.
#pragma once

#include <cstdint>
#include <optional>

#include "checker/model.hpp"

namespace mmcheck {

enum class FindingKind : std::uint8_t {
  Step,     // a step violated a property: `state` is its parent, `action` its position
  State,    // a new state violated a state property: the same
  Terminal  // a state without successors: a deadlock or a final property; `state` is it
};

struct Finding {
  std::uint32_t depth = 0;
  std::uint32_t rank = 0;
  std::uint64_t key = 0;
  FindingKind kind = FindingKind::Terminal;
  std::uint32_t state = 0;   // Step/State: the parent; Terminal: the state itself
  std::uint16_t action = 0;  // Step/State: position of the action in the parent's list
  bool deadlock = false;
  Violation violation;
  bool before(const Finding& o) const {
    if (depth != o.depth) return depth < o.depth;
    if (rank != o.rank) return rank < o.rank;
    return key < o.key;
  }
};

// Keeps the first of the findings offered to it.
inline void keep_first(std::optional<Finding>& best, Finding f) {
  if (!best || f.before(*best)) best = std::move(f);
}

}  // namespace mmcheck
