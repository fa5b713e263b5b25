// What the model tells the invariants. Ops publish plain observation records at the moment an
// event happens (a COW decision, a completed store or load, a pagemap read); an Observer
// (invariants/checker.hpp) decides which invariants watch which events and what they conclude.
// The model knows no invariant: it keeps the ghost state an observer asks for (GhostNeeds) and
// forwards the engine's property questions to the observer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/model.hpp"
#include "models/state.hpp"

namespace mmcheck::vm {

class VmModel;

enum class Event : std::uint8_t {
  // do_wp_page decides to copy: mm, page, pfn = the frame to be copied. Published before the
  // copy takes its reference.
  CowCopyDecided,
  // wp_page_copy's install passed pte_same: mm, page, pfn = the frame being replaced. Published
  // before the flush and the new PTE.
  CowInstall,
  // A store completes (the hardware's, or a pin_write through a handle): thread, mm, page,
  // word, value, pfn, handle (-1 for the hardware). Published before the frame changes and
  // before the value ghost records it.
  Store,
  // A load completes: thread, mm, page, word, value (read), pfn.
  Load,
  // A read through a GUP reference: thread, handle, mm and page (the handle's), word, value,
  // pfn.
  RefRead,
  // A pagemap read: mm, page.
  PagemapRead,
  // A PTE's dirty bit went from 1 to 0 by neither writeback nor a zap: thread, mm, page.
  // Published by the step that wrote the PTE (PAGEMAP_SCAN's stale commit, 6.7-6.8).
  PteDirtyLost,
};
inline constexpr int kEventCount = 7;
constexpr std::uint32_t event_bit(Event e) { return 1u << static_cast<int>(e); }

struct Observation {
  Event event;
  int thread = -1;
  int mm = -1;
  int page = -1;
  int word = 0;
  int value = 0;
  int pfn = -1;
  int handle = -1;
};

// The ghost state (in State, but not the kernel's) an observer reads, which the model then
// maintains: the protection ghost (Mm::wp_protected) and the soft-dirty ghost (when each store
// started, which pages must read soft-dirty). The value ghost (expect, forbidden) is always
// kept. Ghost state nobody reads would only split states.
struct GhostNeeds {
  bool wp = false;
  bool soft_dirty = false;
};

class Observer {
 public:
  virtual ~Observer() = default;
  // The events observe() wants (event_bit), and the ghost it reads.
  virtual std::uint32_t watched_events() const = 0;
  virtual GhostNeeds ghost_needs() const = 0;
  // An event of a step, with the state as it is at that moment; a violation goes into `info`
  // (the lowest-ranked one of a step wins).
  virtual void observe(const VmModel& m, const State& s, const Observation& o,
                       StepInfo& info) const = 0;
  // The engine's property questions (checker/model.hpp), answered for the model.
  virtual std::optional<Violation> check_state(const VmModel& m, const State& s) const = 0;
  virtual std::optional<Violation> check_final(const VmModel& m, const State& s) const = 0;
  virtual const std::vector<std::string>& property_names() const = 0;
  virtual std::optional<std::uint32_t> deadlock_property() const = 0;
};

}  // namespace mmcheck::vm
