// refcounts_sane: every reference the model knows of is counted, and a free frame is never
// mapped or pinned (stores and loads reaching a free frame are caught at the access).
#include <algorithm>

#include "invariants/checks.hpp"
#include "models/ops/op.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

std::optional<std::string> refcounts_insane(const VmModel& m, const State& s) {
  const Shape& shape = m.shape();
  // Whole arrays, cleared with a few vector stores (it runs on every successor).
  std::array<std::uint8_t, kMaxFrames> mapped{}, refs{}, pins{};
  for (int mm = 0; mm < shape.processes; ++mm)
    for (int p = 0; p < shape.pages; ++p)
      if (s.mm[mm].pte[p].present) mapped[s.mm[mm].pte[p].pfn]++;
  for (int h = 0; h < shape.handles; ++h) {
    const Handle& hd = s.handles[h];
    if (!hd.active) continue;
    refs[hd.pfn]++;
    if (hd.kind == HandleKind::Pin) pins[hd.pfn]++;
  }
  for (int p = 0; p < shape.pages; ++p)
    if (s.page_cache[p] != 0) refs[s.page_cache[p] - 1]++;
  // References an op in progress holds (a COW in flight, munmap's gathered frames): its
  // descriptor says which. A thread between ops (phase 0) holds none.
  for (int t = 0; t < shape.threads; ++t) {
    const ThreadState& th = s.threads[t];
    if (th.phase == 0) continue;
    const OpDescriptor& d = op_descriptor(m.current_op(s, t)->kind);
    if (d.held_references != nullptr) d.held_references(th, refs);
  }
  for (int f = 0; f < shape.frames; ++f) {
    const Frame& fr = s.frames[f];
    if (!fr.in_use) {
      if (mapped[f] || refs[f])
        return "free frame " + std::to_string(f) + " is still " +
               (mapped[f] ? "mapped" : "referenced");
      continue;
    }
    int needed = fr.mapcount + refs[f];
    if (fr.mapcount < mapped[f] || fr.refcount < needed || fr.pincount != pins[f])
      return "frame " + std::to_string(f) + ": refcount " + std::to_string(fr.refcount) +
             ", mapcount " + std::to_string(fr.mapcount) + " (mapped " + std::to_string(mapped[f]) +
             " times), pincount " + std::to_string(fr.pincount) + ", other references " +
             std::to_string(refs[f]);
  }
  return std::nullopt;
}

}  // namespace mmcheck::vm
