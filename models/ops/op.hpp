// One descriptor per operation, defined in the op's own file and registered by one line of
// models/ops/ops.def: its names and fields in scenario files, the kernel step names its file
// takes, the lock its first step needs, its step function, its footprint for the partial-order
// reduction, the steps it may take alone, whether threads running it can be symmetric, and the
// kernels it needs. The loader, the dispatcher, the reductions and `mmcheck list ops|steps` all
// loop over the registry; nothing else switches on the kind of an op.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/ops/context.hpp"
#include "models/ops/footprint.hpp"

namespace mmcheck::vm {

using FrameCounts = std::array<std::uint8_t, kMaxFrames>;

// The lock an op's first step acquires (it is enabled only when the lock is free for it).
enum class EntryLock : std::uint8_t { None, Read, Write };

struct OpDescriptor {
  OpKind kind;
  std::vector<std::string> names;   // its name in scenario files, then aliases ("vmsplice")
  std::vector<std::string> fields;  // besides "op" (and "thread" in setup)
  std::vector<std::string> steps;   // the kernel step names it can take
  void (*step)(Ctx&);               // one step; sets Ctx::op_done when the op completes
  EntryLock (*entry_lock)(const Policy&);
  // The union of the footprints of every step it can take (generous where in doubt).
  void (*footprint)(const FootprintScope&, const Op&, Footprint&);
  // Its next step when that step may be explored alone (models/por.cpp), if ever.
  std::optional<LocalStep> (*local_step)(const LocalScope&) = nullptr;
  // Why a kernel cannot run it, if so (uffd-wp before 5.7, ...).
  std::optional<std::string> (*unsupported)(const Scenario&, const Policy&, const Op&) = nullptr;
  // The phase where it sleeps in handle_userfault (a store's WP fault), -1 if it never does:
  // its retry is enabled once the page's uffd_wp bit is clear and its entry lock is free.
  int userfault_retry_phase = -1;
  // Adds the frame references a thread in the middle of it holds outside page tables and
  // handles (for refcounts_sane), if it ever holds any.
  void (*held_references)(const ThreadState&, FrameCounts&) = nullptr;
  // On kernels with per-VMA locks: the pages of the VMAs its entry step write-locks
  // (vma_start_write), if any. The entry step waits for those VMAs' readers; they stay
  // write-locked until the mm's mmap_write_unlock (models/vm_model.cpp does both).
  std::uint32_t (*vma_write_locks)(const Scenario&, const Policy&, const Mm&, const Op&) = nullptr;
  bool stores = false;        // a store: "value", or a fresh one (the ghost tracks it)
  bool extra_handle = false;  // takes an unnamed handle slot of its own (extra_ref)
  bool symmetric = true;      // threads running identical programs with it are interchangeable

  bool has(const char* field) const {
    for (const std::string& f : fields)
      if (f == field) return true;
    return false;
  }
};

// The descriptors, one per line of ops.def, each defined in its op's file.
#define MM_OP(kind, descriptor) extern const OpDescriptor descriptor;
#include "models/ops/ops.def"
#undef MM_OP

// Registration order (ops.def), indexed by OpKind.
const std::vector<const OpDescriptor*>& op_registry();
const OpDescriptor& op_descriptor(OpKind kind);

// Entry locks that do not depend on the kernel.
inline EntryLock no_lock(const Policy&) { return EntryLock::None; }
inline EntryLock read_lock(const Policy&) { return EntryLock::Read; }
inline EntryLock write_lock(const Policy&) { return EntryLock::Write; }
// The VMAs of the op's range (mprotect_fixup, munmap's gather, userfaultfd_register: each
// write-locks the VMAs it changes, a VMA it splits included); every VMA of the mm (exit).
inline std::uint32_t range_vmas(const Scenario& sc, const Policy&, const Mm&, const Op& op) {
  return region_pages(sc, op.page, op.pages);
}
inline std::uint32_t every_vma(const Scenario& sc, const Policy&, const Mm&, const Op&) {
  return all_pages(sc);
}

// Footprints several ops share: a user access and its fault (read, write, and GUP's pin and
// get, models/ops/fault.cpp); an op under mmap_lock write that rewrites PTEs of its mm
// (models/ops/munmap.cpp).
void access_footprint(const FootprintScope& x, const Op& op, Footprint& f);
void exclusive_footprint(const FootprintScope& x, const Op& op, Footprint& f);
// A COW in flight holds one reference on the old frame and the new frame's first one
// (models/ops/fault.cpp; the accesses and GUP).
void fault_references(const ThreadState& th, FrameCounts& refs);
// A migration in flight holds the isolation reference on the old frame and, after the copy, the
// new frame's own one (models/ops/migrate.cpp; move_pages and the NUMA hinting fault).
void migration_references(const ThreadState& th, bool unmapping, bool removing, FrameCounts& refs);
// The frames a zap gathered and frees after its flush (models/ops/munmap.cpp; madvise too).
void gathered_references(const ThreadState& th, FrameCounts& refs);
// Every kernel step name of the accesses and the fault handler (models/ops/fault.cpp).
std::vector<std::string> fault_steps();
// Why a kernel cannot run userfaultfd write-protect on [page, page + pages), if so
// (models/ops/uffd.cpp): the ops that use it, and regions registered before setup.
std::optional<std::string> uffd_wp_unsupported(const Scenario& sc, const Policy& policy, int page,
                                               int pages);
// The same for userfaultfd minor faults and UFFDIO_CONTINUE (shmem, 5.14+).
std::optional<std::string> uffd_minor_unsupported(const Scenario& sc, const Policy& policy,
                                                  int page, int pages);

}  // namespace mmcheck::vm
