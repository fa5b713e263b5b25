// The kernel primitives ops share, and the hardware's store and load.
#include "models/ops/context.hpp"

#include <cstdio>

#include "models/ops/walk.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

void Ctx::say(const char* fmt, ...) {
  if (note == nullptr) return;
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  *note += buffer;
}

void Ctx::observe(const Observation& o) { model.publish(s, o, info); }

std::string Ctx::who() const { return sc.processes[mm].name + "/" + sc.threads[thread].name; }

std::uint8_t alloc_frame(Ctx& c) {
  for (int f = 0; f < c.model.shape().frames; ++f) {
    if (!c.s.frames[f].in_use) {
      c.s.frames[f] = Frame{};
      c.s.frames[f].in_use = true;
      return static_cast<std::uint8_t>(f);
    }
  }
  MM_ASSERT(false, "the frame pool is exhausted (the loader sizes it for the scenario)");
  return 0;
}

void put_frame(State& s, int pfn) {
  Frame& f = s.frames[pfn];
  MM_ASSERT(f.in_use && f.refcount > 0, "a reference dropped on a free frame");
  if (--f.refcount == 0) f = Frame{};  // freed frames are cleared: equal situations, equal states
}

void flush_page(Ctx& c, int mm, int page) {
  for (int t = 0; t < c.model.shape().threads; ++t)
    if (c.sc.threads[t].process == mm) c.s.tlb[t][page] = TlbEntry{};
}

void flush_mm(Ctx& c, int mm) {
  for (int p = 0; p < c.sc.page_count(); ++p) flush_page(c, mm, p);
}

bool is_private(const Scenario& sc, int page) {
  const Region& r = sc.region_of(page);
  return !r.shmem || r.private_map;
}

std::uint8_t cache_frame(Ctx& c, int page) {
  std::uint8_t& cached = c.s.page_cache[c.sc.cache_page(page)];
  if (cached == 0) {
    std::uint8_t pfn = alloc_frame(c);
    c.s.frames[pfn].shmem = true;
    c.s.frames[pfn].refcount = 1;
    cached = static_cast<std::uint8_t>(pfn + 1);
  }
  return static_cast<std::uint8_t>(cached - 1);
}

namespace {

bool change_prot_flush(Ctx& c, std::uint32_t range, bool nested) {
  std::uint32_t asked = flush_asked(c.th());
  if (c.policy.change_prot_flush == ChangeProtFlush::Visited) {
    if (asked == 0) return false;
    for (int p = 0; p < c.sc.page_count(); ++p)
      if ((range >> p) & 1u) flush_page(c, c.mm, p);
    MM_SAY(c, "flush_tlb_range of the range (a present PTE was visited)");
    return true;
  }
  if (nested) {  // tlb_finish_mmu(): mm_tlb_flush_nested() forces a full flush
    flush_mm(c, c.mm);
    MM_SAY(c, "another flush is pending in %s: flush_tlb_mm", c.mm_name(c.mm).c_str());
    return true;
  }
  if (asked == 0) return false;
  int first = __builtin_ctz(asked);
  int last = 31 - __builtin_clz(asked);
  for (int p = first; p <= last; ++p) flush_page(c, c.mm, p);
  MM_SAY(c, "flush_tlb_range %s..%s (the PTEs pte_needs_flush() picked)",
         c.page_name(first).c_str(), c.page_name(last).c_str());
  return true;
}

}  // namespace

bool end_change_prot_walk(Ctx& c, std::uint32_t range, bool nested) {
  bool flushed = change_prot_flush(c, range, nested);
  c.th().index = 0;
  c.th().masks = 0;
  return flushed;
}

// vma_wants_writenotify() for the shared mappings modelled: a file with page_mkwrite always;
// shmem (no page_mkwrite, no writeback accounting) for soft-dirty tracking (VM_SOFTDIRTY clear)
// or, since 51d3d5eb74ff, uffd-wp registration.
bool wants_writenotify(const Scenario& sc, const Policy& policy, int page, const VmaPage& vma) {
  if (is_private(sc, page) || !vma.write) return false;
  if (sc.region_of(page).page_mkwrite) return true;  // vm_ops->page_mkwrite
  if (policy.uffd_wp_writenotify && vma.uffd_wp) return true;
  return !vma.soft_dirty;
}

// vma_wants_manual_pte_write_upgrade(): VM_WRITE for a private mapping; for a shared one
// vma_wants_writenotify(vma, vma->vm_page_prot), called with the VMA's own vm_page_prot. Only
// page_mkwrite answers 1 before the function compares that protection with the one the flags
// give (vm_pgprot_modify()); for shmem the two differ exactly when vm_page_prot already
// write-protects (soft-dirty tracking, uffd-wp), so it answers 0 then, and 0 again past the
// comparison (no soft-dirty tracking, no uffd-wp, no writeback). Found by `mmcheck oracle`:
// 6.18 leaves an unprotected shmem PTE read-only (scenarios/uffdio-copy-wp-shmem-mprotect.json).
bool wants_manual_write_upgrade(const Scenario& sc, const Policy& policy, int page,
                                const VmaPage& vma) {
  (void)policy;
  if (is_private(sc, page)) return vma.write;
  return vma.write && sc.region_of(page).page_mkwrite;
}

// vm_page_prot: private mappings never carry the write bit (COW); shared ones unless they want
// write-notify.
bool vm_page_prot_writable(const Scenario& sc, const Policy& policy, int page, const VmaPage& vma) {
  if (is_private(sc, page) || !vma.write) return false;
  return !wants_writenotify(sc, policy, page, vma);
}

// can_change_pte_writable() (mm/mprotect.c): 6.0 and 6.1 start with
//   if (pte_protnone(pte) || !pte_dirty(pte)) return false;
// for private and shared mappings alike; from 6.2 ("mm/mprotect: allow clean exclusive anon
// pages to be writable") only a shared mapping needs the dirty bit.
bool can_change_pte_writable(Ctx& c, int page, const Pte& pte) {
  const VmaPage& vma = c.m().vma[page];
  if (!vma.write || pte.protnone) return false;
  bool need_dirty = c.policy.mprotect_try_writable == TryWritable::Dirty || !is_private(c.sc, page);
  if (need_dirty && !pte.dirty) return false;
  if (!vma.soft_dirty && !pte.soft_dirty) return false;  // soft-dirty tracking wants the fault
  if (vma.uffd_wp && pte.uffd_wp) return false;
  // vm_normal_page() && PageAnon() && PageAnonExclusive(): never the zero page.
  // A page-cache page of a private shmem view is not PageAnon (6.0's test): never.
  if (is_private(c.sc, page))
    return !c.s.frames[pte.pfn].shmem && c.s.frames[pte.pfn].anon_exclusive &&
           !c.s.frames[pte.pfn].zero;
  return true;
}

bool per_vma_locks(const Policy& policy) { return policy.fault_lock != FaultLock::Mmap; }

std::uint32_t region_pages(const Scenario& sc, int first, int count) {
  std::uint32_t out = 0;
  for (const Region& r : sc.regions)
    if (r.first_page < first + count && first < r.first_page + r.pages)
      out |= ((1u << r.pages) - 1) << r.first_page;
  return out;
}

std::uint32_t all_pages(const Scenario& sc) { return (1u << sc.page_count()) - 1; }

bool fault_takes_vma_lock(const Scenario& sc, const Policy& policy, const Mm& mm, int page) {
  const VmaPage& vma = mm.vma[page];
  if (!vma.mapped || vma.wlocked) return false;
  bool anon = !sc.region_of(page).shmem;  // vma_is_anonymous()
  // "Only anonymous vmas are supported for now" and "find_mergeable_anon_vma uses adjacent
  // vmas which are not locked" (6.4); the anon_vma test stays until __vmf_anon_prepare, whose
  // mmap_read_trylock-or-retry falls back to mmap_lock as well. A private shmem view (6.7+)
  // is held to the same test: its COW fault needs the anon_vma (do_cow_fault), and here its
  // read faults fall back too, which only changes the lock taken.
  if (is_private(sc, page) && !vma.anon_vma) return false;
  switch (policy.fault_lock) {
    case FaultLock::Mmap:
      return false;
    case FaultLock::VmaAnon:  // userfaultfd_armed(vma): "the userfault handler dropping
                              // mmap_lock"
      return anon && !vma.uffd_wp;
    case FaultLock::VmaAnonUffd:
      return anon;
    case FaultLock::VmaAll:
      return true;
  }
  return false;
}

bool vma_read_locked(const VmModel& model, const State& s, int mm, std::uint32_t pages,
                     int except) {
  const Scenario& sc = model.scenario();
  for (int t = 0; t < model.shape().threads; ++t) {
    if (t == except || sc.threads[t].process != mm || !s.threads[t].vma_locked) continue;
    const Op* op = model.current_op(s, t);
    if (op != nullptr && (pages >> op->page & 1)) return true;
  }
  return false;
}

void note_anon_vma(Ctx& c, int page) {
  if (!per_vma_locks(c.policy) || !is_private(c.sc, page)) return;
  std::uint32_t pages = region_pages(c.sc, page, 1);
  for (int p = 0; p < c.sc.page_count(); ++p)
    if (pages >> p & 1) c.m().vma[p].anon_vma = true;
}

std::string pte_text(const Pte& p) {
  if (p.marker) return "none (uffd-wp marker)";
  char buffer[80];
  if (p.migration) {
    std::snprintf(buffer, sizeof buffer, "migration entry for frame %d W%d D%d SD%d UW%d", p.pfn,
                  p.write, p.dirty, p.soft_dirty, p.uffd_wp);
    return buffer;
  }
  if (!p.present) return "none";
  std::snprintf(buffer, sizeof buffer, "frame %d%s W%d D%d SD%d UW%d", p.pfn,
                p.protnone ? " PROT_NONE" : "", p.write, p.dirty, p.soft_dirty, p.uffd_wp);
  return buffer;
}

void record_store(Ctx& c, int m, int page, int word, std::uint8_t value, int pfn) {
  std::uint64_t bit = c.model.value_bit(value);
  bool shared = !is_private(c.sc, page);
  for (int other = 0; other < c.model.shape().processes; ++other) {
    Mm& o = c.s.mm[other];
    if (!o.exists) continue;
    // A child still being forked that already maps the frame the store went to (its parent
    // stored through a TLB entry fork has not flushed yet): the store is concurrent with fork,
    // and the child's snapshot contains it.
    bool forking_child_sees_it = !o.live && o.pte[page].present && o.pte[page].pfn == pfn;
    if (other == m || shared || forking_child_sees_it) {
      // Shared memory: every mapping of the object expects the value.
      o.expect[page][word] = value;
      o.expect_valid[page] |= static_cast<std::uint8_t>(1u << word);
      o.forbidden &= ~bit;
    } else if (o.live && c.s.mm[m].live) {
      o.forbidden |= bit;  // stored after the fork that separated the two
    }
  }
}

namespace {
// A user access by the step's thread in its own mm.
Observation access_event(const Ctx& c, Event e, int page, int word, int value, int pfn) {
  return {.event = e,
          .thread = c.thread,
          .mm = c.mm,
          .page = page,
          .word = word,
          .value = value,
          .pfn = pfn};
}
}  // namespace

void user_store(Ctx& c, int pfn, int page, int word, std::uint8_t value) {
  c.observe(access_event(c, Event::Store, page, word, value, pfn));
  c.s.frames[pfn].content[word] = value;
  const ThreadState& th = c.th();
  const Mm& m = c.m();
  bool after_clear_refs =
      th.sd_generation != 0 && th.sd_generation == m.clear_refs_done && !m.clear_refs_busy;
  tracked_store(c, c.mm, page, word, value, pfn, after_clear_refs);
}

void tracked_store(Ctx& c, int m, int page, int word, std::uint8_t value, int pfn,
                   bool after_clear_refs) {
  record_store(c, m, page, word, value, pfn);
  if (after_clear_refs) c.s.mm[m].sd_required |= static_cast<std::uint16_t>(1u << page);
}

void user_load(Ctx& c, int pfn, int page, int word) {
  std::uint8_t value = c.s.frames[pfn].content[word];
  MM_SAY(c, "load %s.%d = %d from frame %d", c.page_name(page).c_str(), word, value, pfn);
  if (c.op.observe >= 0) c.th().observed[c.op.observe] = static_cast<std::uint8_t>(value + 1);
  c.observe(access_event(c, Event::Load, page, word, value, pfn));
}

}  // namespace mmcheck::vm
