// The invariants of the README's invariant table, one row each: a stable name, its rank (the
// table's order, which breaks ties between violations found at the same depth and within a
// step), a one-line description, where it is checked, the model events it watches and the ghost
// state it reads (models/observe.hpp). The predicates are in one file per family; the checker
// (checker.hpp) evaluates the selected rows. An unknown name is an input error that lists the
// valid ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/observe.hpp"

namespace mmcheck::vm {

enum class Invariant : std::uint8_t {
  NoStaleTlbAtCow,
  PinnedPageNeverCowed,
  NoLostWrite,
  PinCoherent,
  NoCrossMmLeak,
  SoftDirtySound,
  UffdWpSound,
  PrivateWriteIsolated,
  RefcountsSane,
  NoDeadlock,
  PteDirtyKept,
};
inline constexpr int kInvariantCount = 10;

struct InvariantInfo {
  Invariant id;
  std::string name;
  std::string description;
  std::string checked;
  std::uint32_t events = 0;  // event_bit()s it watches
  GhostNeeds ghost;
};

const std::vector<InvariantInfo>& invariant_infos();
const std::vector<std::string>& invariant_names();
std::optional<Invariant> find_invariant(const std::string& name);

}  // namespace mmcheck::vm
