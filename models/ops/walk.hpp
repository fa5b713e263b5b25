// Per-PTE walks (clear_refs, change_protection, copy_page_range): one PTL step per present PTE.
#pragma once

#include "models/state.hpp"

namespace mmcheck::vm {

// The first page in [from, end) whose PTE is present (protnone counts), or -1.
inline int next_present(const Mm& mm, int from, int end) {
  for (int p = from; p < end; ++p)
    if (mm.pte[p].present) return p;
  return -1;
}

}  // namespace mmcheck::vm
