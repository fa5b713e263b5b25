// Page migration: move_pages(2) of one page to another node.
//
// Abstracts: kernel_move_pages -> add_page_for_migration (mmap_lock read: follow_page, then
// isolate the folio, holding a reference) -> migrate_pages -> migrate_folio_unmap
// (try_to_migrate -> try_to_migrate_one for every mapping of the page, found by the rmap walk)
// -> move_to_new_folio (folio_migrate_mapping, which freezes the refcount, then the copy) ->
// remove_migration_ptes (mm/migrate.c, mm/rmap.c). The migration runs without mmap_lock.
//
// Steps and locks:
//   migrate.mmap_read_lock    mmap_lock read
//   migrate.isolate           mmap_lock read + PTL: follow_page on a present PTE (protnone
//                             included: move_pages does not honour NUMA hinting) takes the
//                             isolation reference; a none PTE, a migration entry or the zero page
//                             fail the op (-ENOENT / -EFAULT, as the status array reports)
//   migrate.mmap_read_unlock
//   migrate.unmap             PTL, one per mapping: ptep_clear_flush() flushes the old PTE only
//                             if x86's pte_accessible() says a TLB may hold it: a present PTE,
//                             or a protnone one while a flush is pending in its mm
//                             [P protnone_pending_accessible, 20841405940e]. The PTE becomes a
//                             migration entry (writable if the PTE was, with its dirty,
//                             soft-dirty and uffd-wp bits); mapcount and the mapping's
//                             reference dropped; a dirty PTE marks the page dirty
//   migrate.copy / .abort     no lock: folio_migrate_mapping() freezes the refcount at what the
//                             migration expects (its own reference, and the page cache's for
//                             shmem): then a new frame gets the old one's contents and flags, and
//                             the page cache points at it; any other reference (a pin, a GUP get,
//                             a transient one) makes it fail (-EAGAIN), and the entries are
//                             removed to the old frame. 5.19+ aborts a pinned exclusive anon
//                             page earlier, in try_to_migrate_one (folio_try_share_anon_rmap);
//                             the outcome is the same
//   migrate.remove            PTL, one per migration entry of the old frame:
//                             remove_migration_pte(): mk_pte(new, vm_page_prot), soft-dirty and
//                             dirty from the entry, writable if the entry was (maybe_mkwrite),
//                             else uffd-wp from the entry
//   migrate.done              the old frame's isolation reference dropped (freed after a copy)
// An access that meets a migration entry sleeps in migration_entry_wait (models/ops/fault.cpp).
// The hinting fault's own migration (do_numa_page -> migrate_misplaced_folio) takes the same
// rmap steps under the fault lock; it is not modelled: the hinting fault always maps the page
// where it is (models/ops/numa.cpp).
#include "models/ops/context.hpp"
#include "models/ops/op.hpp"
#include "models/ops/phases.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

// The kernel step names this file takes.
constexpr StepList<8> kSteps = {
    "migrate.mmap_read_lock", "migrate.isolate", "migrate.mmap_read_unlock", "migrate.unmap",
    "migrate.copy",           "migrate.abort",   "migrate.remove",           "migrate.done"};

// The next PTE of any mm that maps frame `pfn` (present, protnone included) or holds a
// migration entry for it (`entries`), in (mm, page) order: the rmap walk. False when none.
bool next_mapping(const Ctx& c, int pfn, bool entries, int& mm, int& page) {
  for (int m = 0; m < c.model.shape().processes; ++m) {
    if (!c.s.mm[m].exists) continue;
    for (int p = 0; p < c.sc.page_count(); ++p) {
      const Pte& pte = c.s.mm[m].pte[p];
      bool match = entries ? pte.migration : pte.present;
      if (match && pte.pfn == pfn) {
        mm = m;
        page = p;
        return true;
      }
    }
  }
  return false;
}

void isolate(Ctx& c) {
  ThreadState& th = c.th();
  const Pte& pte = c.m().pte[c.op.page];
  th.phase = kMigrateUnlock;
  c.label(step<kSteps, "migrate.isolate">());
  if (!pte.present || c.s.frames[pte.pfn].zero) {
    th.failed = true;
    MM_SAY(c, "%s: nothing to migrate", pte.present ? "the zero page" : "no page mapped");
    return;
  }
  th.old_pfn = pte.pfn;
  c.s.frames[pte.pfn].refcount++;  // folio_isolate_lru's reference
  MM_SAY(c, "frame %d isolated (refcount %d)", pte.pfn, c.s.frames[pte.pfn].refcount);
}

void copy(Ctx& c, std::uint8_t remove_phase);

}  // namespace

void migrate_unmap_step(Ctx& c, std::uint8_t remove_phase) {
  ThreadState& th = c.th();
  int m = 0, page = 0;
  if (!next_mapping(c, th.old_pfn, false, m, page)) return copy(c, remove_phase);
  Mm& mm = c.s.mm[m];
  Pte& pte = mm.pte[page];
  Frame& f = c.s.frames[th.old_pfn];
  // ptep_clear_flush(): flush_tlb_page() only if pte_accessible().
  bool accessible =
      !pte.protnone || (c.policy.protnone_pending_accessible && mm.tlb_flush_pending > 0);
  if (accessible) flush_page(c, m, page);
  if (pte.dirty) f.dirty = true;
  Pte entry{};
  entry.migration = true;
  entry.pfn = pte.pfn;
  entry.write = pte.write;
  entry.dirty = pte.dirty;
  entry.soft_dirty = pte.soft_dirty;
  entry.uffd_wp = pte.uffd_wp;
  bool protnone = pte.protnone;
  pte = entry;
  f.mapcount--;
  put_frame(c.s, th.old_pfn);  // the mapping's reference; the isolation one remains
  c.label(step<kSteps, "migrate.unmap">());
  MM_SAY(c, "PTE %s:%s -> migration entry (W%d)%s", c.mm_name(m).c_str(), c.page_name(page).c_str(),
         entry.write,
         accessible ? ", TLB flushed"
                    : (protnone ? ", protnone: pte_accessible() is false, not flushed" : ""));
}

namespace {

// folio_migrate_mapping()'s refcount freeze, then the copy; or -EAGAIN.
void copy(Ctx& c, std::uint8_t remove_phase) {
  ThreadState& th = c.th();
  th.phase = remove_phase;
  Frame& old = c.s.frames[th.old_pfn];
  int expected = 1 + (old.shmem ? 1 : 0);  // the isolation's, and the page cache's
  if (old.refcount != expected || old.pincount > 0) {
    th.new_pfn = th.old_pfn;
    c.label(step<kSteps, "migrate.abort">());
    MM_SAY(c, "frame %d has refcount %d, expected %d: -EAGAIN, the entries go back to it",
           th.old_pfn, old.refcount, expected);
    return;
  }
  std::uint8_t pfn = alloc_frame(c);
  Frame& nf = c.s.frames[pfn];
  nf.shmem = old.shmem;
  nf.dirty = old.dirty;
  nf.anon_exclusive = old.anon_exclusive;
  nf.content = old.content;
  nf.refcount = 1;  // the new folio's own reference until the migration ends
  for (int p = 0; p < c.sc.page_count(); ++p) {
    if (c.s.page_cache[p] != th.old_pfn + 1) continue;
    c.s.page_cache[p] = static_cast<std::uint8_t>(pfn + 1);  // the cache's reference moves
    nf.refcount++;
    put_frame(c.s, th.old_pfn);
  }
  th.new_pfn = pfn;
  c.label(step<kSteps, "migrate.copy">());
  MM_SAY(c, "frame %d := copy of frame %d", pfn, th.old_pfn);
}

}  // namespace

bool migrate_remove_step(Ctx& c) {
  ThreadState& th = c.th();
  int m = 0, page = 0;
  if (!next_mapping(c, th.old_pfn, true, m, page)) {
    bool moved = th.new_pfn != th.old_pfn;
    if (moved) put_frame(c.s, th.new_pfn);  // the new folio's own reference
    put_frame(c.s, th.old_pfn);             // the isolation's: frees the old frame if moved
    c.label(step<kSteps, "migrate.done">());
    MM_SAY(c, moved ? "migrated: the old frame is freed" : "not migrated: frame put back");
    th.old_pfn = 0;
    th.new_pfn = 0;
    return true;
  }
  Pte& pte = c.s.mm[m].pte[page];
  const VmaPage& vma = c.s.mm[m].vma[page];
  Pte entry = pte;
  Pte fresh{};
  fresh.present = true;
  fresh.protnone = !vma.read;
  fresh.pfn = th.new_pfn;
  fresh.write = vm_page_prot_writable(c.sc, c.policy, page, vma) || (entry.write && vma.write);
  fresh.dirty = entry.dirty;
  fresh.soft_dirty = entry.soft_dirty;
  fresh.uffd_wp = !entry.write && entry.uffd_wp;
  pte = fresh;
  Frame& f = c.s.frames[th.new_pfn];
  f.mapcount++;
  f.refcount++;
  c.label(step<kSteps, "migrate.remove">());
  MM_SAY(c, "PTE %s:%s -> frame %d W%d", c.mm_name(m).c_str(), c.page_name(page).c_str(), fresh.pfn,
         fresh.write);
  return false;
}

void migration_references(const ThreadState& th, bool unmapping, bool removing, FrameCounts& refs) {
  if (!unmapping && !removing) return;
  refs[th.old_pfn]++;
  if (removing && th.new_pfn != th.old_pfn) refs[th.new_pfn]++;
}

std::vector<std::string> migration_steps() {
  return {"migrate.unmap", "migrate.copy", "migrate.abort", "migrate.remove", "migrate.done"};
}

void step_migrate(Ctx& c) {
  ThreadState& th = c.th();
  switch (th.phase) {
    case kMigrateLock:
      c.mmap_read_lock(step<kSteps, "migrate.mmap_read_lock">(), kMigrateIsolate);
      return;
    case kMigrateIsolate:
      return isolate(c);
    case kMigrateUnlock:
      c.m().readers--;
      c.label(step<kSteps, "migrate.mmap_read_unlock">());
      if (th.failed) return c.finish_op();
      th.phase = kMigrateUnmap;
      return;
    case kMigrateUnmap:
      return migrate_unmap_step(c, kMigrateRemove);
    case kMigrateRemove:
      if (migrate_remove_step(c)) c.finish_op();
      return;
    default:
      MM_ASSERT(false, "unknown migrate phase");
  }
}

namespace {

// The isolation reference on the old frame, and the new frame's own one after the copy.
void migrate_references(const ThreadState& th, FrameCounts& refs) {
  bool isolated = (th.phase == kMigrateUnlock && !th.failed) || th.phase == kMigrateUnmap;
  migration_references(th, isolated, th.phase == kMigrateRemove, refs);
}

void migrate_footprint(const FootprintScope& x, const Op&, Footprint& f) {
  f.read = res::lock_writer(x.mm) | res::kFrames;
  f.inc = res::lock_readers(x.mm);
  migration_footprint(f);
}

std::optional<LocalStep> migrate_local_step(const LocalScope& x) {
  if (x.phase != kMigrateLock && x.phase != kMigrateUnlock) return std::nullopt;
  LocalStep out;
  out.footprint.read = x.phase == kMigrateLock ? res::lock_writer(x.mm) : 0;
  out.footprint.inc = res::lock_readers(x.mm);
  return out;
}

}  // namespace

void migration_footprint(Footprint& f) {
  using namespace res;
  std::uint64_t vmas = 0, pendings = 0, tlbs = 0;
  for (int m = 0; m < kMaxProcesses; ++m) {
    vmas |= vma(m);
    pendings |= pending(m);
  }
  for (int t = 0; t < kMaxThreads; ++t) tlbs |= tlb(t);
  f.read |= vmas | pendings | all_ptes() | kFrames;
  f.write |= all_ptes() | tlbs | kFrames;
  f.flush_test |= all_ptes();
  f.tlb_dirtying |= all_ptes();
}

const OpDescriptor kMigrateOp{.kind = OpKind::Migrate,
                              .names = {"migrate"},
                              .fields = {"addr"},
                              .steps = step_vector(kSteps),
                              .step = step_migrate,
                              .entry_lock = read_lock,
                              .footprint = migrate_footprint,
                              .local_step = migrate_local_step,
                              .held_references = migrate_references};

}  // namespace mmcheck::vm
