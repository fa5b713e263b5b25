// The data invariants: no_lost_write, pin_coherent and no_cross_mm_leak, read from the ghost
// state (the last value each mm stored at each word, the values other mms stored after the
// fork between them) and the handles; private_write_isolated, from the frame a store reaches.
#include "invariants/checks.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {
std::string where(const Scenario& sc, int mm, int page, int word) {
  std::string text = sc.processes[mm].name + ":" + sc.page_name(page);
  if (sc.words_of(page) > 1) text += "." + std::to_string(word);
  return text;
}
}  // namespace

std::optional<std::string> lost_write_at_load(const VmModel& m, const State& s, int mm, int page,
                                              int word, int value, int pfn,
                                              const std::string& who) {
  const Mm& o = s.mm[mm];
  if (!(o.expect_valid[page] >> word & 1) || o.expect[page][word] == value) return std::nullopt;
  const Scenario& sc = m.scenario();
  return "store of " + std::to_string(o.expect[page][word]) + " to " + where(sc, mm, page, word) +
         " lost: " + who + " loads " + std::to_string(value) + " from frame " + std::to_string(pfn);
}

std::optional<std::string> cross_mm_leak(const VmModel& m, const State& s, int mm, int value,
                                         const std::string& who) {
  if (!(s.mm[mm].forbidden & m.value_bit(static_cast<std::uint8_t>(value)))) return std::nullopt;
  return who + " in " + m.scenario().processes[mm].name + " reads " + std::to_string(value) +
         ", which another process stored after the fork that separated them";
}

std::optional<std::string> pin_incoherent(const VmModel& m, const State& s, int handle) {
  const Handle& h = s.handles[handle];
  const Pte& pte = s.mm[h.mm].pte[h.page];
  if (!pte.present || pte.pfn == h.pfn) return std::nullopt;
  const Scenario& sc = m.scenario();
  return "pin " + sc.handle_names[handle] + " holds frame " + std::to_string(h.pfn) + " but " +
         sc.processes[h.mm].name + ":" + sc.page_name(h.page) + " maps frame " +
         std::to_string(pte.pfn);
}

std::optional<std::string> lost_write_at_end(const VmModel& m, const State& s) {
  const Scenario& sc = m.scenario();
  for (int mm = 0; mm < m.shape().processes; ++mm) {
    const Mm& o = s.mm[mm];
    if (!o.live) continue;
    for (int p = 0; p < sc.page_count(); ++p) {
      const Pte& pte = o.pte[p];
      if (!pte.present) continue;
      for (int w = 0; w < sc.words_of(p); ++w) {
        if (!(o.expect_valid[p] >> w & 1)) continue;
        int held = s.frames[pte.pfn].content[w];
        if (held != o.expect[p][w])
          return "store of " + std::to_string(o.expect[p][w]) + " to " + where(sc, mm, p, w) +
                 " lost: " + sc.page_name(p) + " now maps frame " + std::to_string(pte.pfn) +
                 " holding " + std::to_string(held);
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> pin_incoherent_at_end(const VmModel& m, const State& s) {
  for (int h = 0; h < m.shape().handles; ++h) {
    if (!s.handles[h].active || s.handles[h].kind != HandleKind::Pin) continue;
    if (auto msg = pin_incoherent(m, s, h)) return msg;
  }
  return std::nullopt;
}

std::optional<std::string> private_write_leaks(const VmModel& m, const State& s, int mm, int page,
                                               int value, int pfn, const std::string& who) {
  const Scenario& sc = m.scenario();
  const Region& r = sc.region_of(page);
  if (!r.private_map || !s.frames[pfn].shmem) return std::nullopt;
  return "store of " + std::to_string(value) + " by " + who + " through private " +
         sc.processes[mm].name + ":" + sc.page_name(page) + " reaches page-cache frame " +
         std::to_string(pfn) + " of the shared file";
}

}  // namespace mmcheck::vm
