// Per-PTE walks (clear_refs, change_protection, copy_page_range): one PTL step per PTE visited,
// and change_protection()'s flush rule, which mprotect and UFFDIO_WRITEPROTECT share.
#pragma once

#include "models/policy.hpp"
#include "models/state.hpp"

namespace mmcheck::vm {

// The first page in [from, end) whose PTE is present (protnone counts), or -1.
inline int next_present(const Mm& mm, int from, int end) {
  for (int p = from; p < end; ++p)
    if (mm.pte[p].present) return p;
  return -1;
}

// The first page in [from, end) whose PTE a walk rewrites: present (protnone counts), or a
// migration entry (change_pte_range makes a writable one readable; clear_soft_dirty clears its
// soft-dirty bit; copy_nonpresent_pte copies it). -1 when none.
inline int next_walked(const Mm& mm, int from, int end) {
  for (int p = from; p < end; ++p)
    if (mm.pte[p].present || mm.pte[p].migration) return p;
  return -1;
}

// A range walk of [start, end) keeps its position in ThreadState::index: 0 before the first
// PTE, then the page after the last one visited. So the walk starts at `start`, never at page 0
// (mwriteprotect_range and mprotect_fixup walk their own range only).
inline int walk_from(const ThreadState& th, int start) { return th.index == 0 ? start : th.index; }

// The change_protection walks keep two page masks in ThreadState::masks: the pages the walk
// rewrites (bits 0-7: mprotect's pages whose VMA flags change) and the pages whose PTE asked for
// a flush (bits 8-15).
inline constexpr int kFlushMaskShift = 8;
static_assert(kMaxPages <= kFlushMaskShift, "the walk masks hold a bit per page");
inline std::uint32_t walk_mask(const ThreadState& th) {
  return th.masks & ((1u << kFlushMaskShift) - 1);
}
inline bool in_walk_mask(const ThreadState& th, int page) { return (walk_mask(th) >> page) & 1u; }
inline void ask_flush(ThreadState& th, int page) { th.masks |= 1u << (kFlushMaskShift + page); }
inline std::uint32_t flush_asked(const ThreadState& th) {
  return (th.masks >> kFlushMaskShift) & ((1u << kMaxPages) - 1);
}

// Whether change_pte_range() asks for a flush after rewriting a present PTE from `before` to
// `after` [P change_prot_flush]:
// - visited (<= 5.18): `pages++` for every present PTE, and change_protection_range() flushes
//   the range `if (pages)`; nothing compares the old and new PTE;
// - needs_flush (5.19+): `if (pte_needs_flush(oldpte, ptent)) tlb_flush_pte_range(...)`. x86's
//   pte_needs_flush() (arch/x86/include/asm/tlbflush.h): false when the old PTE is not present
//   (a protnone PTE has _PAGE_PRESENT clear); true when the pfn changed, the write bit changed
//   either way, or DIRTY or PRESENT went from set to clear. Software bits (soft-dirty, uffd-wp)
//   never ask.
inline bool change_pte_asks_flush(const Policy& policy, const Pte& before, const Pte& after) {
  if (policy.change_prot_flush == ChangeProtFlush::Visited) return true;
  if (!before.present || before.protnone) return false;
  if (!after.present || after.protnone) return true;
  return before.pfn != after.pfn || before.write != after.write || (before.dirty && !after.dirty);
}

}  // namespace mmcheck::vm
