// The state of the Linux VM model as plain value types (the README's "The model"): CPUs with TLBs,
// processes (page table, VMA flags per page, mmap_lock, tlb_flush_pending, has_pinned), page
// frames, pin/get/transient-reference handles, each thread's position in its program, and the
// ghost state the invariants read. Fixed-size arrays sized by the limits in scenario.hpp; the
// canonical encoding writes only the parts the scenario uses, in a fixed order, so equal
// situations are equal states.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "checker/model.hpp"
#include "models/scenario.hpp"

namespace mmcheck::vm {

// The structs are packed: flags are one-bit fields sharing a byte, so a state is about 900
// bytes to copy instead of 1.5 KB, and the encoder copies a struct's flag byte instead of
// gathering its flags one by one. Each struct keeps its flags in its first byte (see
// flag_byte() in state.cpp); padding is never read.
//
// One source of truth: each struct's flags are declared by one list (MM_*_FLAGS below), which
// makes the bit-fields, the codec's masks (state.cpp) and the codec test's flag sets
// (tests/model/state_codec_test.cpp). Equality is defaulted, so it covers every member. Every
// other member is copied by the codec by offset and size: the static_asserts on sizes and
// offsets after each struct fail to compile when a member is added, pointing at the codec.
#define MM_FLAG_FIELD(name) bool name : 1 = false;
#define MM_SET_FLAG(name) v.name = true;
#define MM_COUNT_FLAG(name) +1
// A struct's flags share its first byte.
#define MM_FLAGS_FIT(LIST) \
  static_assert((0 LIST(MM_COUNT_FLAG)) <= 8, "more flags than a byte holds")

struct TlbEntry {
  bool valid : 1 = false;
  bool writable : 1 = false;
  bool dirty : 1 = false;
  std::uint8_t pfn : 5 = 0;  // kMaxFrames is 32
  bool operator==(const TlbEntry&) const = default;
};
static_assert(sizeof(TlbEntry) == 1 && kMaxFrames <= 32);

// protnone: present to software but inaccessible to the MMU (a PROT_NONE VMA, or a NUMA hinting
// PTE in an accessible one). marker: not present, a PTE_MARKER_UFFD_WP (5.19+, shmem): a none PTE
// that remembers the uffd-wp protection, so the fault that maps the page keeps uffd_wp; no frame.
// migration: not present, a migration entry for frame `pfn` (write: a writable entry; dirty,
// soft_dirty, uffd_wp: the bits the entry carries); an access waits until it is removed.
#define MM_PTE_FLAGS(X) \
  X(present) X(protnone) X(write) X(dirty) X(soft_dirty) X(uffd_wp) X(marker) X(migration)
struct Pte {
  MM_PTE_FLAGS(MM_FLAG_FIELD)
  std::uint8_t pfn = 0;
  bool operator==(const Pte&) const = default;
};
static_assert(sizeof(Pte) == 2, "a new Pte member: encode it in state.cpp");
MM_FLAGS_FIT(MM_PTE_FLAGS);

// The VMA flags of one page: VMAs are modelled split at page granularity, so an mprotect or
// munmap of part of a region needs no VMA splitting.
// uffd_wp: VM_UFFD_WP; soft_dirty: VM_SOFTDIRTY; uffd_missing: VM_UFFD_MISSING. With per-VMA locks
// (6.4+), kept the same on every page of a region (the region is the VMA whose lock they are):
// wlocked, the VMA is write-locked (vma_start_write) until its mm's mmap_write_unlock; anon_vma,
// the VMA has an anon_vma (an anonymous page was mapped in it, or it was forked from a VMA that had
// one). Both stay clear on kernels without per-VMA locks, where nothing reads them.
#define MM_VMA_FLAGS(X) \
  X(mapped) X(read) X(write) X(uffd_wp) X(soft_dirty) X(wlocked) X(anon_vma) X(uffd_missing)
struct VmaPage {
  MM_VMA_FLAGS(MM_FLAG_FIELD)
  bool operator==(const VmaPage&) const = default;
};
static_assert(sizeof(VmaPage) == 1, "a new VmaPage member: encode it in state.cpp");
MM_FLAGS_FIT(MM_VMA_FLAGS);

// anon_exclusive: PageAnonExclusive; dirty: PageDirty; zero: a read fault's frame of an anonymous
// VMA, which the kernel maps as the shared zero page (vm_normal_page() is NULL for it, so
// can_change_pte_writable() never maps it writable) until a write fault replaces it.
#define MM_FRAME_FLAGS(X) X(in_use) X(shmem) X(anon_exclusive) X(dirty) X(zero)
struct Frame {
  MM_FRAME_FLAGS(MM_FLAG_FIELD)
  // The counts and the content follow the flag byte without gaps: the codec copies them as one
  // run.
  std::uint8_t refcount = 0;
  std::uint8_t mapcount = 0;
  std::uint8_t pincount = 0;
  std::array<std::uint8_t, kMaxWords> content{};
  bool operator==(const Frame&) const = default;
};
static_assert(sizeof(Frame) == 4 + kMaxWords, "a new Frame member: encode it in state.cpp");
MM_FLAGS_FIT(MM_FRAME_FLAGS);

// exists: created (a child mm exists from the start of its fork); live: its threads may run (a
// child's from the return of its fork); writer: mmap_lock held for write.
#define MM_MM_FLAGS(X) X(exists) X(live) X(writer) X(has_pinned) X(clear_refs_busy)
struct Mm {
  MM_MM_FLAGS(MM_FLAG_FIELD)
  std::uint8_t readers = 0;
  std::uint8_t tlb_flush_pending = 0;
  std::uint8_t clear_refs_done = 0;  // clear_refs completed (generation)
  std::array<Pte, kMaxPages> pte{};
  std::array<VmaPage, kMaxPages> vma{};
  // Ghost state.
  std::array<std::array<std::uint8_t, kMaxWords>, kMaxPages> expect{};  // last value stored
  std::array<std::uint8_t, kMaxPages> expect_valid{};                   // bit per word
  std::uint64_t forbidden = 0;     // value indices another mm stored after the fork between them
  std::uint16_t wp_protected = 0;  // bit per page: uffd_wp completed, no unprotect started
  std::uint16_t sd_required = 0;   // bit per page: a store after a completed clear_refs
  // VM_UFFD_MINOR, a bit per page (the VMA flag byte is full).
  std::uint8_t uffd_minor = 0;
  // The registering userfaultfd's features, a bit per page (vma->vm_userfaultfd_ctx.ctx->
  // features): UFFD_FEATURE_WP_UNPOPULATED (6.4) and UFFD_FEATURE_WP_ASYNC (6.7).
  std::uint8_t uffd_wp_unpopulated = 0;
  std::uint8_t uffd_wp_async = 0;
  bool operator==(const Mm&) const = default;
};
// encode_to() and decode_from() write these members one by one.
static_assert(sizeof(Mm) == 88 && offsetof(Mm, pte) == 4 && offsetof(Mm, sd_required) == 82 &&
                  offsetof(Mm, uffd_minor) == 84 && offsetof(Mm, uffd_wp_async) == 86,
              "a new Mm member: encode it in state.cpp, then update this check");
MM_FLAGS_FIT(MM_MM_FLAGS);

enum class HandleKind : std::uint8_t { Pin, Get, Extra };

// lru: an extra reference of kind "lru" (dropped by cow_drain_lru).
#define MM_HANDLE_FLAGS(X) X(active) X(write) X(lru)
struct Handle {
  MM_HANDLE_FLAGS(MM_FLAG_FIELD)
  HandleKind kind = HandleKind::Pin;
  std::uint8_t pfn = 0;
  std::uint8_t mm = 0;
  std::uint8_t page = 0;
  bool operator==(const Handle&) const = default;
};
static_assert(sizeof(Handle) == 5, "a new Handle member: encode it in state.cpp");
MM_FLAGS_FIT(MM_HANDLE_FLAGS);

// Where a thread is inside its current operation. Fields not in use are zero (canonical). The
// locals (fault to new_pfn, then masks) are the bytes the encoding suppresses when zero.
struct ThreadState {
  std::uint8_t pc = 0;     // index of the current op in the thread's list
  std::uint8_t phase = 0;  // step within the op (see models/ops/*.cpp)
  std::uint8_t fault = 0;  // the fault in progress: FaultKind, 0 when none
  std::uint8_t index = 0;  // loop position (per-PTE walks)
  // failed: the op ended in an error (SIGSEGV, -EFAULT, -ENOENT); retried: the access faulted
  // at least once; vma_locked: its fault holds the VMA read lock of its page's VMA
  // (lock_vma_under_rcu) instead of mmap_lock.
#define MM_THREAD_FLAGS(X) X(failed) X(retried) X(vma_locked)
  MM_THREAD_FLAGS(MM_FLAG_FIELD)
  std::uint8_t sd_generation = 0;  // ghost: clear_refs generation when a store started
  Pte saved{};                     // orig_pte of a COW in progress
  std::uint8_t old_pfn = 0;
  std::uint8_t new_pfn = 0;
  // The scenario's "outcomes": what the thread's observed loads and pin reads returned, value + 1
  // (0: none yet, or the op failed). Zero in a scenario without outcomes. Kept when an op ends.
  std::uint8_t observed[2] = {};
  // munmap: a bit per frame whose mapping reference is dropped after the flush. The
  // change_protection walks (mprotect, uffd_wp, uffd_unwp): a bit per page, see walk.hpp.
  std::uint32_t masks = 0;
  bool operator==(const ThreadState&) const = default;
};
static_assert(sizeof(ThreadState) == 16, "a new ThreadState member: encode it in state.cpp");
MM_FLAGS_FIT(MM_THREAD_FLAGS);

struct State {
  std::array<ThreadState, kMaxThreads> threads{};
  std::array<std::array<TlbEntry, kMaxPages>, kMaxThreads> tlb{};
  std::array<Mm, kMaxProcesses> mm{};
  std::array<Frame, kMaxFrames> frames{};
  std::array<Handle, kMaxHandles> handles{};
  std::array<std::uint8_t, kMaxPages> page_cache{};  // shmem page -> frame + 1, 0 when none
  bool operator==(const State&) const = default;
};
static_assert(sizeof(State) == 888, "a new State member: encode it in state.cpp");

// The dimensions of a scenario that the encoding needs.
struct Shape {
  int threads = 0;
  int processes = 0;
  int pages = 0;
  int words = 1;
  int handles = 0;
  int frames = 0;
};

void encode_state(const State& s, const Shape& shape, ByteWriter& w);
// One thread's part of the encoding (its position, locals and TLB row): the key symmetry
// reduction sorts identical threads by.
void encode_thread(const State& s, int thread, const Shape& shape, ByteWriter& w);
State decode_state(ByteReader& r, const Shape& shape);

}  // namespace mmcheck::vm
