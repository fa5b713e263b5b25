// The checker: which selected invariant looks at which event, in rank order.
#include "invariants/checker.hpp"

#include "checker/assert.hpp"
#include "invariants/checks.hpp"

namespace mmcheck::vm {

InvariantChecker::InvariantChecker(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    auto inv = find_invariant(name);
    MM_ASSERT(inv.has_value(), "an invariant name the loader accepted is unknown");
    checked_ |= 1u << static_cast<int>(*inv);
  }
  for (const InvariantInfo& row : invariant_infos()) {
    if (!checks(row.id)) continue;
    events_ |= row.events;
    ghost_.wp = ghost_.wp || row.ghost.wp;
    ghost_.soft_dirty = ghost_.soft_dirty || row.ghost.soft_dirty;
  }
}

std::optional<std::uint32_t> InvariantChecker::deadlock_property() const {
  if (!checks(Invariant::NoDeadlock)) return std::nullopt;
  return static_cast<std::uint32_t>(Invariant::NoDeadlock);
}

namespace {

// One event's evaluation: the step's violation is the lowest-ranked one found.
struct Evaluation {
  const InvariantChecker& checker;
  const VmModel& m;
  const State& s;
  const Observation& o;
  StepInfo& info;

  bool wants(Invariant inv) const {
    if (!checker.checks(inv)) return false;
    return !info.violation || info.violation->property > static_cast<std::uint32_t>(inv);
  }
  void record(Invariant inv, std::optional<std::string> message) {
    if (message) info.violation = Violation{static_cast<std::uint32_t>(inv), std::move(*message)};
  }
  // Who made the access: "P/cpu1", or the handle's name for an access through a reference.
  std::string who() const {
    const Scenario& sc = m.scenario();
    if (o.handle >= 0) return sc.handle_names[o.handle];
    return sc.processes[sc.threads[o.thread].process].name + "/" + sc.threads[o.thread].name;
  }
  bool frame_free() const { return !s.frames[o.pfn].in_use; }
  bool through_pin() const { return o.handle >= 0 && s.handles[o.handle].kind == HandleKind::Pin; }

  void store() {
    if (wants(Invariant::PinCoherent) && through_pin())
      record(Invariant::PinCoherent, pin_incoherent(m, s, o.handle));
    if (wants(Invariant::UffdWpSound) && (s.mm[o.mm].wp_protected >> o.page & 1))
      record(Invariant::UffdWpSound, "store of " + std::to_string(o.value) + " by " + who() +
                                         " to " + m.scenario().processes[o.mm].name + ":" +
                                         m.scenario().page_name(o.page) +
                                         " completes while it is uffd write-protected, without "
                                         "a WP fault");
    if (wants(Invariant::PrivateWriteIsolated))
      record(Invariant::PrivateWriteIsolated,
             private_write_leaks(m, s, o.mm, o.page, o.value, o.pfn, who()));
    if (wants(Invariant::RefcountsSane) && frame_free())
      record(Invariant::RefcountsSane,
             o.handle >= 0 ? who() + " writes free frame " + std::to_string(o.pfn)
                           : "store of " + std::to_string(o.value) + " by " + who() +
                                 " reaches free frame " + std::to_string(o.pfn));
  }

  void load() {
    if (wants(Invariant::NoLostWrite))
      record(Invariant::NoLostWrite,
             lost_write_at_load(m, s, o.mm, o.page, o.word, o.value, o.pfn, who()));
    if (wants(Invariant::PinCoherent)) {
      for (int h = 0; h < m.shape().handles && wants(Invariant::PinCoherent); ++h) {
        const Handle& hd = s.handles[h];
        if (!hd.active || hd.kind != HandleKind::Pin || hd.mm != o.mm || hd.page != o.page)
          continue;
        record(Invariant::PinCoherent, pin_incoherent(m, s, h));
      }
    }
    if (wants(Invariant::NoCrossMmLeak))
      record(Invariant::NoCrossMmLeak, cross_mm_leak(m, s, o.mm, o.value, who()));
    if (wants(Invariant::RefcountsSane) && frame_free())
      record(Invariant::RefcountsSane,
             "load by " + who() + " reaches free frame " + std::to_string(o.pfn));
  }

  void ref_read() {
    if (wants(Invariant::PinCoherent) && through_pin())
      record(Invariant::PinCoherent, pin_incoherent(m, s, o.handle));
    if (wants(Invariant::NoCrossMmLeak))
      record(Invariant::NoCrossMmLeak, cross_mm_leak(m, s, o.mm, o.value, who()));
    if (wants(Invariant::RefcountsSane) && frame_free())
      record(Invariant::RefcountsSane, who() + " reads free frame " + std::to_string(o.pfn));
  }
};

}  // namespace

void InvariantChecker::observe(const VmModel& m, const State& s, const Observation& o,
                               StepInfo& info) const {
  Evaluation e{*this, m, s, o, info};
  switch (o.event) {
    case Event::CowCopyDecided:
      if (e.wants(Invariant::NoStaleTlbAtCow))
        e.record(Invariant::NoStaleTlbAtCow, stale_tlb_at_cow(m, s, o.mm, o.page, o.pfn));
      return;
    case Event::CowInstall:
      if (e.wants(Invariant::PinnedPageNeverCowed))
        e.record(Invariant::PinnedPageNeverCowed, pinned_page_cowed(m, s, o.mm, o.page, o.pfn));
      return;
    case Event::Store:
      return e.store();
    case Event::Load:
      return e.load();
    case Event::RefRead:
      return e.ref_read();
    case Event::PagemapRead:
      if (e.wants(Invariant::SoftDirtySound))
        e.record(Invariant::SoftDirtySound, soft_dirty_missed(m, s, o.mm, o.page));
      return;
    case Event::PteDirtyLost:
      if (e.wants(Invariant::PteDirtyKept))
        e.record(Invariant::PteDirtyKept,
                 "PTE " + m.scenario().processes[o.mm].name + ":" + m.scenario().page_name(o.page) +
                     " went D1 -> D0 by " + e.who() +
                     ": the hardware's dirty bit, set by a store after the PTE was read, is lost");
      return;
  }
}

std::optional<Violation> InvariantChecker::check_state(const VmModel& m, const State& s) const {
  if (!checks(Invariant::RefcountsSane)) return std::nullopt;
  if (auto msg = refcounts_insane(m, s))
    return Violation{static_cast<std::uint32_t>(Invariant::RefcountsSane), *msg};
  return std::nullopt;
}

std::optional<Violation> InvariantChecker::check_final(const VmModel& m, const State& s) const {
  auto make = [](Invariant inv, std::string msg) {
    return Violation{static_cast<std::uint32_t>(inv), std::move(msg)};
  };
  if (checks(Invariant::NoLostWrite))
    if (auto msg = lost_write_at_end(m, s))
      return make(Invariant::NoLostWrite, *msg + " at the end");
  if (checks(Invariant::PinCoherent))
    if (auto msg = pin_incoherent_at_end(m, s))
      return make(Invariant::PinCoherent, *msg + " at the end");
  if (checks(Invariant::SoftDirtySound))
    if (auto msg = soft_dirty_missed_at_end(m, s))
      return make(Invariant::SoftDirtySound, *msg + " (at the end)");
  return std::nullopt;
}

}  // namespace mmcheck::vm
