// The invariants of the README's invariant table: stable names in a fixed order (the order breaks
// ties between violations found at the same depth), a one-line description each, and the predicates
// (one family per file in invariants/). An unknown name is an input error that lists the valid
// ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mmcheck::vm {

enum class Invariant : std::uint8_t {
  NoStaleTlbAtCow,
  PinnedPageNeverCowed,
  NoLostWrite,
  PinCoherent,
  NoCrossMmLeak,
  SoftDirtySound,
  UffdWpSound,
  RefcountsSane,
  NoDeadlock,
};
inline constexpr int kInvariantCount = 9;

struct InvariantInfo {
  Invariant id;
  std::string name;
  std::string description;
  std::string checked;
};

const std::vector<InvariantInfo>& invariant_infos();
const std::vector<std::string>& invariant_names();
std::optional<Invariant> find_invariant(const std::string& name);

}  // namespace mmcheck::vm
