// The invariant table: names, descriptions, where each is checked.
#include "invariants/registry.hpp"

namespace mmcheck::vm {

namespace {
constexpr std::uint32_t kCow = event_bit(Event::CowCopyDecided);
constexpr std::uint32_t kInstall = event_bit(Event::CowInstall);
constexpr std::uint32_t kStore = event_bit(Event::Store);
constexpr std::uint32_t kLoad = event_bit(Event::Load);
constexpr std::uint32_t kRefRead = event_bit(Event::RefRead);
constexpr std::uint32_t kPagemap = event_bit(Event::PagemapRead);
constexpr std::uint32_t kDirtyLost = event_bit(Event::PteDirtyLost);
}  // namespace

const std::vector<InvariantInfo>& invariant_infos() {
  static const std::vector<InvariantInfo> table = {
      {Invariant::NoStaleTlbAtCow,
       "no_stale_tlb_at_cow",
       "when a write fault decides to copy a !write PTE, no CPU holds a writable TLB entry for "
       "that page of that mm",
       "at the copy decision",
       kCow,
       {}},
      {Invariant::PinnedPageNeverCowed,
       "pinned_page_never_cowed",
       "a COW copy never replaces, in the mm holding a FOLL_PIN pin on it, the pinned frame",
       "at the copy's install step",
       kInstall,
       {}},
      {Invariant::NoLostWrite,
       "no_lost_write",
       "every completed store stays visible through its mm's page table until that mm "
       "overwrites or unmaps it",
       "at every load, and at the end",
       kLoad,
       {}},
      {Invariant::PinCoherent,
       "pin_coherent",
       "while a long-term pin is held, the pinned frame is the frame the pinning mm maps there",
       "at pin reads/writes, loads, and the end",
       kStore | kLoad | kRefRead,
       {}},
      {Invariant::NoCrossMmLeak,
       "no_cross_mm_leak",
       "a load in one mm never returns a value another mm stored after the fork between them",
       "at every load and reference read",
       kLoad | kRefRead,
       {}},
      {Invariant::SoftDirtySound, "soft_dirty_sound",
       "a store that starts after a clear_refs completed leaves the page soft-dirty for every "
       "later pagemap read",
       "at pagemap, and at the end", kPagemap, GhostNeeds{.soft_dirty = true}},
      {Invariant::UffdWpSound, "uffd_wp_sound",
       "no store completes to a uffd write-protected page without a WP fault", "at every store",
       kStore, GhostNeeds{.wp = true}},
      {Invariant::PrivateWriteIsolated,
       "private_write_isolated",
       "a store through a MAP_PRIVATE mapping never reaches a page-cache frame (the shared "
       "views of the file never see it)",
       "at every store",
       kStore,
       {}},
      {Invariant::RefcountsSane,
       "refcounts_sane",
       "refcount >= mapcount + pins + gets + transient refs; a free frame is never mapped, "
       "pinned, or reached by a store or load",
       "every step",
       kStore | kLoad | kRefRead,
       {}},
      {Invariant::NoDeadlock,
       "no_deadlock",
       "in every state where some thread is unfinished, some step is enabled",
       "every state",
       0,
       {}},
      {Invariant::PteDirtyKept,
       "pte_dirty_kept",
       "a present PTE's dirty bit never goes from 1 to 0 except by writeback or a zap (a "
       "hardware dirty-bit update is never overwritten by a stale PTE value)",
       "at every PTE write that lowers it",
       kDirtyLost,
       {}},
  };
  return table;
}

const std::vector<std::string>& invariant_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& i : invariant_infos()) out.push_back(i.name);
    return out;
  }();
  return names;
}

std::optional<Invariant> find_invariant(const std::string& name) {
  for (const auto& i : invariant_infos())
    if (i.name == name) return i.id;
  return std::nullopt;
}

}  // namespace mmcheck::vm
