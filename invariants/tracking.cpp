// The write-tracking invariants: soft_dirty_sound (CRIU's incremental dumps rely on it) and
// uffd_wp_sound (checked at every store by the hardware access itself, models/ops/context.cpp).
#include "invariants/checks.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

std::optional<std::string> soft_dirty_missed(const VmModel& m, const State& s, int mm, int page) {
  const Mm& o = s.mm[mm];
  if (!(o.sd_required >> page & 1)) return std::nullopt;
  const Pte& pte = o.pte[page];
  if (((pte.present || pte.migration) && pte.soft_dirty) || o.vma[page].soft_dirty)
    return std::nullopt;
  const Scenario& sc = m.scenario();
  return "pagemap reports " + sc.processes[mm].name + ":" + sc.page_name(page) +
         " clean, but it was stored to after clear_refs completed";
}

std::optional<std::string> soft_dirty_missed_at_end(const VmModel& m, const State& s) {
  for (int mm = 0; mm < m.shape().processes; ++mm) {
    if (!s.mm[mm].live) continue;
    for (int p = 0; p < m.scenario().page_count(); ++p)
      if (auto msg = soft_dirty_missed(m, s, mm, p)) return msg;
  }
  return std::nullopt;
}

}  // namespace mmcheck::vm
