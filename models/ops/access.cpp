// read and write: the user's load and store, one step when the TLB or a page walk serves them,
// else the fault handler (models/ops/fault.cpp), whose steps and references they share with
// GUP's faultin.
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

// The user accesses' footprint, which GUP shares (models/ops/gup.cpp): the access, its fault
// and the fault's locks.
void access_footprint(const FootprintScope& x, const Op& op, Footprint& f) {
  using namespace res;
  f.read = lock_writer(x.mm) | vma(x.mm) | x.range | x.cpus | kFrames | kHandles | x.ghost |
           (x.policy.uffd_wp_pending_flush ? pending(x.mm) : 0);
  // With per-VMA locks a fault may take its VMA's lock instead (an increment of the readers,
  // which writers wait for) and give the VMA an anon_vma.
  f.write =
      x.range | x.cpus | kFrames | kHandles | x.ghost | (per_vma_locks(x.policy) ? vma(x.mm) : 0);
  f.inc = lock_readers(x.mm);
  // A store fault (a write, or GUP's faultin for a write pin) may test tlb_flush_pending; a
  // load's walk fills the TLB from a read-only PTE. GUP fills no TLB, and a fault's PTE changes
  // keep every page TLB-clean (none -> present, an upgrade, or an install after a flush).
  f.flush_test = op.kind != OpKind::Read && x.policy.uffd_wp_pending_flush ? x.range : 0;
  f.tlb_dirtying = op.kind == OpKind::Read ? x.range : 0;
  // A NUMA hinting fault that migrates walks the rmap like move_pages.
  if (x.migrates) migration_footprint(f);
}

namespace {

std::optional<LocalStep> access_local_step(const LocalScope& x) {
  if (x.phase >= kFaultLock) return fault_local_step(x);
  return std::nullopt;
}

// read and write: the hardware access, and the fault handler when it faults.
OpDescriptor access_op(OpKind kind, const char* name, std::vector<std::string> fields,
                       bool stores) {
  return {.kind = kind,
          .names = {name},
          .fields = std::move(fields),
          .steps = fault_steps(),
          .step = step_access,
          .entry_lock = no_lock,
          .footprint = access_footprint,
          .local_step = access_local_step,
          .userfault_retry_phase = kAccessAfterUserfault,
          .held_references = fault_references,
          .stores = stores};
}

}  // namespace

const OpDescriptor kReadOp = access_op(OpKind::Read, "read", {"addr", "word"}, false);
const OpDescriptor kWriteOp = access_op(OpKind::Write, "write", {"addr", "word", "value"}, true);

}  // namespace mmcheck::vm
