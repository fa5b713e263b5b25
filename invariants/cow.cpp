// The COW invariants: no_stale_tlb_at_cow (the assumption wp_page_copy makes, in Andrea
// Arcangeli's words: "if the CPU issued a write fault and the write bit in the pagetable is not
// set, no CPU can write to the page") and pinned_page_never_cowed.
#include "invariants/checks.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

std::optional<std::string> stale_tlb_at_cow(const VmModel& m, const State& s, int mm, int page,
                                            int pfn) {
  const Scenario& sc = m.scenario();
  for (int t = 0; t < m.shape().threads; ++t) {
    if (sc.threads[t].process != mm) continue;
    const TlbEntry& e = s.tlb[t][page];
    if (e.valid && e.writable)
      return sc.threads[t].name + " holds a writable TLB entry for " + sc.processes[mm].name + ":" +
             sc.page_name(page) + " (frame " + std::to_string(e.pfn) +
             ") while a write fault decides to copy frame " + std::to_string(pfn);
  }
  return std::nullopt;
}

std::optional<std::string> pinned_page_cowed(const VmModel& m, const State& s, int mm, int page,
                                             int pfn) {
  const Scenario& sc = m.scenario();
  for (int h = 0; h < m.shape().handles; ++h) {
    const Handle& hd = s.handles[h];
    if (hd.active && hd.kind == HandleKind::Pin && hd.mm == mm && hd.pfn == pfn)
      return "COW replaces pinned frame " + std::to_string(pfn) + " (pin " + sc.handle_names[h] +
             ") at " + sc.processes[mm].name + ":" + sc.page_name(page);
  }
  return std::nullopt;
}

}  // namespace mmcheck::vm
