// What every op's step works with: the scenario, the policy, the state being changed, the
// thread taking the step and its op, and what the step reports (its kernel step name, a note
// for traces, and what the observer concluded from the events it published). Also the small kernel
// primitives several ops share: allocating and freeing frames, TLB flushes, vm_page_prot, and the
// user store/load the hardware performs.
#pragma once

#include <array>
#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checker/model.hpp"
#include "models/observe.hpp"
#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/state.hpp"

// A step's note, built only when a trace wants it: the arguments (page names, PTE texts) are
// not evaluated while searching, where they would cost more than the step itself.
#define MM_SAY(ctx, ...)                               \
  do {                                                 \
    if ((ctx).note != nullptr) (ctx).say(__VA_ARGS__); \
  } while (0)

namespace mmcheck::vm {

class VmModel;

std::uint32_t step_label(const char* name);

// A kernel step name as a template argument, so each call site looks its label up once.
template <std::size_t N>
struct StepName {
  char text[N];
  constexpr StepName(const char (&s)[N]) {
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
};
// The kernel step names one op file takes (its descriptor lists them): step<kSteps, "name">()
// does not compile when "name" is not in the file's kSteps.
template <std::size_t N>
using StepList = std::array<std::string_view, N>;
template <std::size_t N, std::size_t M>
constexpr bool step_listed(const StepList<N>& list, const char (&name)[M]) {
  for (std::string_view s : list)
    if (s == std::string_view(name, M - 1)) return true;
  return false;
}
template <const auto& List, StepName Name>
std::uint32_t step() {
  static_assert(step_listed(List, Name.text), "a kernel step name missing from the op's kSteps");
  static const std::uint32_t id = step_label(Name.text);
  return id;
}
template <std::size_t N>
std::vector<std::string> step_vector(const StepList<N>& list) {
  return {list.begin(), list.end()};
}
// The names of `list` whose part before the dot is `prefix` ("uffd_wp" of "uffd_wp.pte"): the
// steps of one op when a file holds several.
template <std::size_t N>
std::vector<std::string> step_vector(const StepList<N>& list, std::string_view prefix) {
  std::vector<std::string> out;
  for (std::string_view s : list)
    if (s.substr(0, s.find('.')) == prefix) out.emplace_back(s);
  return out;
}

// Phases of the fault handler (shared by read/write and by GUP's faultin); op phases are below.
enum FaultPhase : std::uint8_t {
  kFaultLock = 100,     // mmap_read_lock
  kFaultPtl,            // handle_pte_fault under the PTL: the branch
  kFaultCopy,           // wp_page_copy: allocate and copy, PTL dropped
  kFaultInstall,        // wp_page_copy: PTL again, pte_same, install
  kFaultUnlock,         // mmap_read_unlock
  kFaultUserfault,      // handle_userfault: releases mmap_lock and blocks until woken
  kFaultMigrationWait,  // migration_entry_wait: sleeps (fault lock held) until the entry goes
  kFaultNumaUnmap,      // do_numa_page -> migrate_misplaced_folio: the rmap walk's unmaps
  kFaultNumaRemove,     // ... and its remove_migration_pte()s
};

enum class FaultKind : std::uint8_t { None, Load, Store, Unshare };

struct Ctx {
  const VmModel& model;
  const Scenario& sc;
  const Policy& policy;
  State& s;
  int thread;
  int mm;
  const Op& op;
  std::string* note;  // null while searching: notes are only built for traces
  StepInfo info{};
  bool op_done = false;  // the op completed with this step

  ThreadState& th() { return s.threads[thread]; }
  Mm& m() { return s.mm[mm]; }
  void label(std::uint32_t step) { info.label = step; }
  // Appends to the note (printf style) when a note is wanted. Call it through MM_SAY, which
  // does not even evaluate the arguments while searching.
  void say(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  // Publishes an event to the observer (models/observe.hpp), which may record a violation.
  void observe(const Observation& o);
  std::string who() const;  // "P/cpu1"
  std::string page_name(int page) const { return sc.page_name(page); }
  std::string mm_name(int m) const { return sc.processes[m].name; }
  void finish_op() { op_done = true; }
  // An op's mmap_read_lock step: one more reader, labelled `step`, then phase `next`.
  void mmap_read_lock(std::uint32_t step, std::uint8_t next) {
    m().readers++;
    th().phase = next;
    label(step);
    MM_SAY(*this, "mmap_lock read (readers=%d)", m().readers);
  }
};

// Kernel primitives.
std::uint8_t alloc_frame(Ctx& c);
void put_frame(State& s, int pfn);
void flush_page(Ctx& c, int mm, int page);
void flush_mm(Ctx& c, int mm);
bool vm_page_prot_writable(const Scenario& sc, const Policy& policy, int page, const VmaPage& vma);
bool wants_writenotify(const Scenario& sc, const Policy& policy, int page, const VmaPage& vma);
// VM_SHARED clear: an anonymous region, or a private view of a shmem file.
bool is_private(const Scenario& sc, int page);
// The page-cache page of the file-backed `page` (shmem_get_folio: allocated on first use, with
// the cache's reference).
std::uint8_t cache_frame(Ctx& c, int page);
// do_wp_page's reuse-or-copy decision for an anonymous page [P cow_reuse, cow_drain_lru]
// (models/ops/fault_private.cpp).
bool may_reuse(Ctx& c, int pfn);
// A private shmem view's fault on a none PTE whose page is not waited for (do_read_fault or
// do_cow_fault, models/ops/fault_private.cpp).
void fault_private_none_pte(Ctx& c, int page, bool store);
std::vector<std::string> private_fault_steps();
// vma_wants_manual_pte_write_upgrade(): a private VMA with VM_WRITE, or a shared writable one
// whose filesystem has page_mkwrite (never shmem: see context.cpp).
bool wants_manual_write_upgrade(const Scenario& sc, const Policy& policy, int page,
                                const VmaPage& vma);
// can_change_pte_writable() for a PTE of the thread's mm at `page` (mm/mprotect.c): mprotect's
// and, since 931298e103c2 (6.3), un-protect's MM_CP_TRY_CHANGE_WRITABLE upgrade.
bool can_change_pte_writable(Ctx& c, int page, const Pte& pte);
// Ends a change_protection walk (mprotect, uffd_wp, uffd_unwp): the flush, from the pages the
// walk asked to flush (ThreadState::masks): with `visited`, every page of `range` (a bit per
// page) when any was asked; with `needs_flush`, tlb_finish_mmu(): the whole mm when `nested`
// (mm_tlb_flush_nested), else the gathered range, from the first page asked to the last. Then
// clears the walk's position and masks. Returns whether anything was flushed; the note says
// what.
bool end_change_prot_walk(Ctx& c, std::uint32_t range, bool nested);
// The hardware's store and load (after translation): their events and the ghost's bookkeeping.
void user_store(Ctx& c, int pfn, int page, int word, std::uint8_t value);
void user_load(Ctx& c, int pfn, int page, int word);
// A store by mm `m` at `page` into frame `pfn` (a user store or a pin_write): the ghost
// state's bookkeeping.
void record_store(Ctx& c, int m, int page, int word, std::uint8_t value, int pfn);
// The ghost's part of a completed store by mm `m` at `page` (a user store, or a pin_write
// through a handle mm `m` took there), after its Store event: the last value and cross-mm
// bookkeeping, and the soft-dirty requirement when the store started after a clear_refs of `m`
// completed.
void tracked_store(Ctx& c, int m, int page, int word, std::uint8_t value, int pfn,
                   bool after_clear_refs);
std::string pte_text(const Pte& p);  // "frame 2 W1 D1 SD1 UW0" or "none"

// An unprotect of a present PTE (UFFDIO_WRITEPROTECT without MODE_WP, and 6.9's reset at
// unregister): uffd_wp cleared, the write bit the release's protection gives
// [P uffd_unwp_try_writable]. Returns a note of the upgrade ("" when none).
const char* uffd_unprotect_pte(Ctx& c, int page, Pte& pte);
// A WP fault on a uffd-wp PTE of a VMA whose userfaultfd has WP_ASYNC: clears the bit in place
// and returns true; false (nothing done) without WP_ASYNC (models/ops/uffd.cpp).
bool uffd_wp_async_resolve(Ctx& c, int page);

// Per-VMA locks (6.4+, [P fault_lock]). A region is a VMA; its lock state is kept on every page
// of it (VmaPage::wlocked, ::anon_vma) and in the threads whose fault holds its read lock
// (ThreadState::vma_locked, at the page of their op).
bool per_vma_locks(const Policy& policy);
// A bit per page of the regions that pages [first, first + count) belong to.
std::uint32_t region_pages(const Scenario& sc, int first, int count);
std::uint32_t all_pages(const Scenario& sc);
// lock_vma_under_rcu() for a fault at `page` of `mm`: the VMA qualifies for the policy and is
// not write-locked.
bool fault_takes_vma_lock(const Scenario& sc, const Policy& policy, const Mm& mm, int page);
// Whether a thread other than `except` of process `mm` holds the read lock of a VMA with a page
// in `pages` (vma_start_write() waits for those readers).
bool vma_read_locked(const VmModel& model, const State& s, int mm, std::uint32_t pages, int except);
// anon_vma_prepare(): the anonymous page just mapped at `page` gives its VMA an anon_vma.
void note_anon_vma(Ctx& c, int page);

// Op steps (models/ops/*.cpp). Each sets c.op_done when its op completes.
void step_access(Ctx& c);  // read, write
void step_fault(Ctx& c);   // every fault phase
void step_clear_refs(Ctx& c);
void step_pagemap(Ctx& c);
void step_uffd_register(Ctx& c);
void step_uffd_writeprotect(Ctx& c);  // uffd_wp, uffd_unwp
void step_mprotect(Ctx& c);
void step_fork(Ctx& c);
void step_gup(Ctx& c);     // pin, get
void step_munmap(Ctx& c);  // munmap, exit
void step_numa_scan(Ctx& c);
void step_migrate(Ctx& c);
// The migration's rmap steps (models/ops/migrate.cpp), for move_pages and for the NUMA hinting
// fault: unmap the next mapping of th.old_pfn (the thread holds its isolation reference), or,
// past the last, the refcount freeze and the copy, then `remove_phase`; remove the next
// migration entry, or, past the last, drop the references (true: the migration is over).
void migrate_unmap_step(Ctx& c, std::uint8_t remove_phase);
bool migrate_remove_step(Ctx& c);
std::vector<std::string> migration_steps();
// mfill_atomic_install_pte()'s PTE for frame `pfn` at `page` (UFFDIO_COPY, UFFDIO_CONTINUE),
// with the op's MODE_WP [P uffdio_copy_mkdirty]; marks the page protected in the ghost when WP.
Pte mfill_install_pte(Ctx& c, int page, int pfn, bool page_in_cache);
// The three steps of an mfill ioctl (UFFDIO_COPY, UFFDIO_CONTINUE): mmap_lock read, `install`
// under the PTL (it labels itself), the unlock.
// UFFDIO_COPY's and UFFDIO_CONTINUE's destination check: a VMA registered with a userfaultfd
// (any mode) holds the page, else the op fails -ENOENT (validate_dst_vma()).
bool mfill_dst_registered(Ctx& c, int page);
void step_mfill(Ctx& c, void (*install)(Ctx&), std::uint32_t lock_label,
                std::uint32_t unlock_label);

// do_numa_page() on the protnone PTE at `page` (models/ops/numa.cpp): maps it again where it is,
// with the release's write rule, and returns true (the caller leaves the fault and retries the
// access); or, for a page of a "misplaced" region, takes its reference to migrate it and returns
// false (the fault continues at kFaultNumaUnmap).
bool do_numa_page(Ctx& c, int page);
std::vector<std::string> numa_fault_steps();

// Enters the fault handler from an access or from GUP (which already holds mmap_lock).
void enter_fault(Ctx& c, FaultKind kind, bool lock_held);

}  // namespace mmcheck::vm
