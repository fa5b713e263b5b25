// The presets: each row is a mainline release, each value follows from the commit that changed
// the rule (the README's policy table).
#include "models/policy.hpp"

#include <functional>

#include "models/suggest.hpp"

namespace mmcheck::vm {

namespace {

Policy linux_5_4() {
  Policy p;
  p.cow_reuse = CowReuse::Mapcount;  // reuse_swap_page(): mapcount + swapcount <= 1
  p.cow_drain_lru = false;
  p.gup_force_cow_break = false;  // 17839856fd58 came in 5.8
  p.fork_copy_pinned = false;     // 70e806e4e645 came in 5.9
  p.gup_ro_pin_unshare = false;   // a7f226604170 came in 5.19
  p.clear_refs_lock = ClearRefsLock::Read;
  p.clear_refs_flush = ClearRefsFlush::Deferred;  // tlb_finish_mmu() still flushed
  p.clear_refs_skip_pinned = false;
  p.uffd_wp = UffdWpSupport::None;  // 292924b26024 came in 5.7
  p.uffd_wp_pending_flush = false;
  p.uffd_wp_writenotify = false;
  p.mprotect_dirty_accountable = true;  // removed by 64fe24a3e05e in 6.0
  p.mprotect_try_writable = TryWritable::Off;
  p.change_prot_flush = ChangeProtFlush::Visited;  // pages++ per present PTE, then flush
  p.uffd_unwp_try_writable = false;
  p.fault_lock = FaultLock::Mmap;
  p.fork_vma_wrlock = false;
  p.uffd_close_resets_wp = false;
  p.uffdio_copy_mkdirty = false;
  p.numa_skip_shared = NumaSkipShared::Mapcount;
  p.numa_restore_write = NumaRestoreWrite::SavedWrite;
  p.uffd_minor_shmem = false;
  p.mfill_wrprotect = false;
  p.pte_dirty_implies_write = false;  // an arch rule: x86 never had it
  p.uffdio_move = false;
  // Part of UFFDIO_MOVE from its first release: the re-check after the flush, and x86's
  // pte_mkdirty() setting soft-dirty with dirty (75cb1cca2c88, 6.15, made it pte_mksoft_dirty).
  p.move_recheck_pin = true;
  p.move_sets_soft_dirty = true;
  p.uffd_wp_unpopulated = false;
  p.uffd_wp_async = false;
  p.pagemap_scan_rmw_atomic = false;
  return p;
}

std::vector<Preset> make_presets() {
  std::vector<Preset> out;
  Policy p = linux_5_4();
  p.clear_refs_flush = ClearRefsFlush::Deferred;
  out.push_back({"linux-5.4", "mapcount COW, clear_refs under mmap_lock read with its flush", p});
  p.clear_refs_flush = ClearRefsFlush::None;  // 0758cd830494 (5.5) elided the flush
  p.uffd_wp = UffdWpSupport::Anon;            // userfaultfd write-protect, anonymous memory
  out.push_back({"linux-5.7", "uffd-wp for anon memory; clear_refs no longer flushes", p});
  p.gup_force_cow_break = true;  // 17839856fd58
  out.push_back({"linux-5.8", "GUP breaks COW first (CVE-2020-29374 fix, first version)", p});
  p.gup_force_cow_break = false;     // a308c71bf1e6
  p.cow_reuse = CowReuse::Refcount;  // 09854ba94c6a
  p.fork_copy_pinned = true;         // 70e806e4e645
  out.push_back({"linux-5.9", "refcount COW (09854ba94c6a); fork copies pinned pages", p});
  out.push_back({"linux-5.10", "as 5.9: the uffd-wp and clear_refs stale-TLB races are open", p});
  p.clear_refs_lock = ClearRefsLock::Write;  // 29a951dfb3c3
  p.clear_refs_skip_pinned = true;           // 9348b73c2e1b
  out.push_back({"linux-5.11", "clear_refs takes mmap_lock for write and skips pinned pages", p});
  p.clear_refs_flush = ClearRefsFlush::Pending;  // 912efa17e512
  p.uffd_wp_pending_flush = true;                // 6ce64428d620
  out.push_back(
      {"linux-5.12", "clear_refs flushes; do_wp_page flushes a pending uffd-wp flush", p});
  p.cow_drain_lru = true;                         // d4c470970d45
  p.uffdio_copy_mkdirty = true;                   // 9ae0f87d009c (5.16)
  p.numa_skip_shared = NumaSkipShared::Refcount;  // 80d47f5de5e3 (5.17)
  p.uffd_minor_shmem = true;                      // c949b097ef2e, 153132571f02 (5.14)
  out.push_back(
      {"linux-5.18",
       "do_wp_page drains the LRU pagevec before the refcount test; UFFDIO_COPY's PTE "
       "is always dirty (9ae0f87d009c, 5.16); the NUMA scan skips COW pages with other "
       "references (80d47f5de5e3, 5.17); userfaultfd minor faults and UFFDIO_CONTINUE on shmem "
       "(c949b097ef2e, 5.14)",
       p});
  p.cow_reuse = CowReuse::AnonExclusive;              // PageAnonExclusive series
  p.gup_ro_pin_unshare = true;                        // a7f226604170
  p.uffd_wp = UffdWpSupport::AnonShmem;               // b1f9e876862d
  p.change_prot_flush = ChangeProtFlush::NeedsFlush;  // 4a18419f71cd + c9fe66560bf2
  p.mfill_wrprotect = true;                           // 8ee79edff6d3
  out.push_back({"linux-5.19",
                 "PageAnonExclusive; R/O pins unshare; uffd-wp on shmem; change_protection "
                 "flushes what pte_needs_flush() asks",
                 p});
  p.mprotect_dirty_accountable = false;  // 64fe24a3e05e
  p.mprotect_try_writable = TryWritable::Dirty;
  out.push_back(
      {"linux-6.0", "mprotect maps dirty exclusive anon pages writable (64fe24a3e05e)", p});
  out.push_back(
      {"linux-6.1", "as 6.0 (mainline 6.1.0, without the stable writenotify backport)", p});
  p.uffd_wp_writenotify = true;                        // 51d3d5eb74ff
  p.mprotect_try_writable = TryWritable::Exclusive;    // d84887739d5c (see the policy table)
  p.numa_restore_write = NumaRestoreWrite::CanChange;  // 6a56ccbcf6c6
  out.push_back({"linux-6.2",
                 "uffd-wp VMAs want write-notify (51d3d5eb74ff); mprotect maps clean exclusive "
                 "anon pages writable; the NUMA hinting fault uses can_change_pte_writable() "
                 "instead of savedwrite (6a56ccbcf6c6)",
                 p});
  p.uffd_unwp_try_writable = true;  // 931298e103c2
  p.mfill_wrprotect = false;        // f1eb1bacfba9
  out.push_back({"linux-6.3",
                 "un-protect maps a PTE writable when can_change_pte_writable() (931298e103c2)",
                 p});
  p.fault_lock = FaultLock::VmaAnon;  // 0bff0aaea03e and its series
  p.uffd_wp_unpopulated = true;       // 2bad466cc9d9
  out.push_back({"linux-6.4",
                 "faults on anon VMAs take the per-VMA lock; fork and clear_refs do not "
                 "write-lock every VMA; UFFD_FEATURE_WP_UNPOPULATED (2bad466cc9d9)",
                 p});
  p.fork_vma_wrlock = true;                     // fb49c455323f
  p.clear_refs_lock = ClearRefsLock::WriteVma;  // 49b0638502da
  out.push_back({"linux-6.5",
                 "fork write-locks the parent's VMAs (fb49c455323f); clear_refs's walk "
                 "write-locks each VMA (49b0638502da)",
                 p});
  p.fault_lock = FaultLock::VmaAnonUffd;  // 29a22b9e08d7
  out.push_back(
      {"linux-6.6", "userfaultfd-armed anon VMAs fault under the VMA lock (29a22b9e08d7)", p});
  p.fault_lock = FaultLock::VmaAll;  // 4ed4379881aa, 4de8c93a4751, 12214eba1992, 164b06f238b9
  p.uffd_wp_async = true;            // d61ea1cb0095, 52526ca7fdb9
  out.push_back({"linux-6.7",
                 "shmem faults complete under the VMA lock; UFFD_FEATURE_WP_ASYNC (d61ea1cb0095) "
                 "and PAGEMAP_SCAN (52526ca7fdb9)",
                 p});
  p.uffdio_move = true;  // adef440691ba
  out.push_back({"linux-6.8", "UFFDIO_MOVE (adef440691ba)", p});
  p.uffd_close_resets_wp = true;     // c88033efe9a3
  p.pagemap_scan_rmw_atomic = true;  // c70dce4982ce
  out.push_back({"linux-6.9",
                 "close() of a userfaultfd unprotects its write-protected PTEs (c88033efe9a3); "
                 "PAGEMAP_SCAN keeps the hardware's dirty bit (c70dce4982ce)",
                 p});
  p.numa_skip_shared = NumaSkipShared::PinnedOrShared;  // d2136d749d76
  out.push_back({"linux-6.10",
                 "the NUMA scan skips COW pages maybe pinned or mapped shared, not those with "
                 "other references (d2136d749d76)",
                 p});
  const char* later[][2] = {
      {"linux-6.11", ""},
      {"linux-6.12", ""},
      {"linux-6.13", ""},
      {"linux-6.14", ""},
      {"linux-6.15",
       "COW reuse of PTE-mapped large folios (not modelled); UFFDIO_MOVE's present PTE dirty only "
       "if the source was, swap PTEs soft-dirty (75cb1cca2c88: neither modelled)"},
      {"linux-6.16", ""},
      {"linux-6.17", "MADV_DONTNEED under the VMA lock (not modelled)"},
      {"linux-6.18", ""},
  };
  for (const auto& [name, note] : later) {
    std::string text = "as linux-6.10 for the modelled rules";
    if (*note != 0) text += std::string("; ") + note;
    out.push_back({name, text, p, "linux-6.10"});
  }
  out.push_back({"latest", "the newest preset, linux-6.18", p, "linux-6.18"});
  return out;
}

std::string bool_text(bool b) { return b ? "true" : "false"; }

struct Field {
  PolicyInfo info;
  std::function<std::string(const Policy&)> get;
  std::function<bool(Policy&, const std::string&)> set;
};

Field bool_field(std::string name, std::string history, bool Policy::*member) {
  return {{std::move(name), {"true", "false"}, std::move(history)},
          [member](const Policy& p) { return bool_text(p.*member); },
          [member](Policy& p, const std::string& v) {
            if (v == "true" || v == "on" || v == "1")
              p.*member = true;
            else if (v == "false" || v == "off" || v == "0")
              p.*member = false;
            else
              return false;
            return true;
          }};
}

template <class E>
Field enum_field(std::string name, std::string history, E Policy::*member,
                 std::vector<std::string> names) {
  return {{std::move(name), names, std::move(history)},
          [member, names](const Policy& p) { return names[static_cast<std::size_t>(p.*member)]; },
          [member, names](Policy& p, const std::string& v) {
            for (std::size_t i = 0; i < names.size(); ++i)
              if (names[i] == v) {
                p.*member = static_cast<E>(i);
                return true;
              }
            return false;
          }};
}

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      enum_field("cow_reuse",
                 "do_wp_page reuse rule: <=5.8 mapcount, 09854ba94c6a (5.9) refcount == 1, "
                 "5.19 PageAnonExclusive",
                 &Policy::cow_reuse, {"mapcount", "refcount", "anon_exclusive"}),
      bool_field("cow_drain_lru",
                 "d4c470970d45 (5.18): drop the LRU-pagevec reference before the refcount test",
                 &Policy::cow_drain_lru),
      bool_field("gup_force_cow_break",
                 "17839856fd58 (5.8 only): GUP of a COW page breaks COW first, reads too",
                 &Policy::gup_force_cow_break),
      bool_field("fork_copy_pinned",
                 "70e806e4e645 (5.9): fork copies a maybe-pinned page for the child",
                 &Policy::fork_copy_pinned),
      bool_field("gup_ro_pin_unshare",
                 "a7f226604170 (5.19): an R/O pin of a possibly shared anon page unshares first",
                 &Policy::gup_ro_pin_unshare),
      enum_field("clear_refs_lock",
                 "29a951dfb3c3 (5.11): clear_refs takes mmap_lock for write; 49b0638502da "
                 "(6.5): its walk write-locks every VMA",
                 &Policy::clear_refs_lock, {"read", "write", "write+vma"}),
      enum_field("clear_refs_flush",
                 "<=5.4 flush at the end; 0758cd830494 (5.5) never flushes; 912efa17e512 (5.12) "
                 "tlb_flush_pending++ then flush_tlb_mm before unlock",
                 &Policy::clear_refs_flush, {"deferred", "none", "pending"}),
      bool_field("clear_refs_skip_pinned",
                 "9348b73c2e1b (5.11): leave pinned pages writable and soft-dirty",
                 &Policy::clear_refs_skip_pinned),
      enum_field("uffd_wp", "userfaultfd write-protect: 5.7 anon, b1f9e876862d (5.19) shmem too",
                 &Policy::uffd_wp, {"none", "anon", "anon_shmem"}),
      bool_field("uffd_wp_pending_flush",
                 "6ce64428d620 (5.12): do_wp_page flushes if the VMA is uffd-wp and a flush is "
                 "pending",
                 &Policy::uffd_wp_pending_flush),
      bool_field("uffd_wp_writenotify",
                 "51d3d5eb74ff (6.2): uffd-wp VMAs want write-notify (read-only vm_page_prot)",
                 &Policy::uffd_wp_writenotify),
      bool_field("mprotect_dirty_accountable",
                 "<=5.19: mprotect makes a dirty PTE of a write-notify shared VMA writable",
                 &Policy::mprotect_dirty_accountable),
      enum_field("mprotect_try_writable",
                 "64fe24a3e05e (6.0): can_change_pte_writable() with a dirty PTE; "
                 "d84887739d5c (6.2): a clean exclusive anon page too",
                 &Policy::mprotect_try_writable, {"off", "dirty", "exclusive"}),
      enum_field("change_prot_flush",
                 "<=5.18: flush the range if any present PTE was visited; 4a18419f71cd + "
                 "c9fe66560bf2 (5.19): mmu_gather and x86 pte_needs_flush(), the whole mm "
                 "when nested",
                 &Policy::change_prot_flush, {"visited", "needs_flush"}),
      bool_field("uffd_unwp_try_writable",
                 "931298e103c2 (6.3): un-protect passes MM_CP_TRY_CHANGE_WRITABLE",
                 &Policy::uffd_unwp_try_writable),
      enum_field("fault_lock",
                 "per-VMA locks: 0bff0aaea03e (6.4) anon VMAs, 29a22b9e08d7 (6.6) uffd-armed "
                 "ones, 6.7 shmem; mmap_lock read before",
                 &Policy::fault_lock, {"mmap", "vma_anon", "vma_anon_uffd", "vma_all"}),
      bool_field("fork_vma_wrlock", "fb49c455323f (6.5): dup_mmap write-locks every parent VMA",
                 &Policy::fork_vma_wrlock),
      bool_field("uffd_close_resets_wp",
                 "c88033efe9a3 (6.9): close() of a userfaultfd unprotects its write-protected "
                 "PTEs",
                 &Policy::uffd_close_resets_wp),
      bool_field("uffdio_copy_mkdirty",
                 "9ae0f87d009c (5.16): UFFDIO_COPY's PTE is always dirty (before: only a "
                 "writable or anonymous one)",
                 &Policy::uffdio_copy_mkdirty),
      bool_field("zap_nested_flush",
                 "99baac21e458 (4.13, every preset): tlb_finish_mmu flushes the whole mm when "
                 "another mmu_gather of it is pending (MADV_DONTNEED)",
                 &Policy::zap_nested_flush),
      enum_field("numa_skip_shared",
                 "COW pages the NUMA scan leaves alone: 859d4adc3415 (4.16) mapcount != 1, "
                 "80d47f5de5e3 (5.17) refcount != 1, d2136d749d76 (6.10) maybe pinned or shared",
                 &Policy::numa_skip_shared, {"mapcount", "refcount", "pinned_or_shared"}),
      bool_field("protnone_pending_accessible",
                 "20841405940e (3.13, every preset): x86 pte_accessible() is true for a protnone "
                 "PTE while a TLB flush is pending, so migration's ptep_clear_flush() flushes it",
                 &Policy::protnone_pending_accessible),
      bool_field("uffd_minor_shmem",
                 "c949b097ef2e + 153132571f02 (5.14): userfaultfd minor-fault registration and "
                 "UFFDIO_CONTINUE for shmem",
                 &Policy::uffd_minor_shmem),
      bool_field("uffdio_move",
                 "adef440691ba (6.8): UFFDIO_MOVE moves an exclusive, unpinned anonymous page",
                 &Policy::uffdio_move),
      bool_field("move_recheck_pin",
                 "adef440691ba (6.8, every release with UFFDIO_MOVE): after ptep_clear_flush the "
                 "move re-checks folio_maybe_dma_pinned and puts a page GUP-fast pinned back",
                 &Policy::move_recheck_pin),
      bool_field("move_sets_soft_dirty",
                 "UFFDIO_MOVE's destination PTE is soft-dirty on every release: x86 pte_mkdirty "
                 "(adef440691ba, 6.8), pte_mksoft_dirty (75cb1cca2c88, 6.15)",
                 &Policy::move_sets_soft_dirty),
      enum_field("numa_restore_write",
                 "the write bit do_numa_page restores: <=6.1 the scan's savedwrite, "
                 "6a56ccbcf6c6 (6.2) can_change_pte_writable()",
                 &Policy::numa_restore_write, {"savedwrite", "can_change"}),
      bool_field("mfill_wrprotect",
                 "8ee79edff6d3 (5.19) to f1eb1bacfba9 (6.3): mfill_atomic_install_pte() "
                 "write-protects a PTE it does not make writable (a no-op on x86)",
                 &Policy::mfill_wrprotect),
      bool_field("pte_dirty_implies_write",
                 "sparc64 until \"sparc/mm: don't unconditionally set HW writable bit when "
                 "setting PTE dirty on 64bit\" (6.5): pte_mkdirty() sets the hardware write bit; "
                 "never on x86, false in every preset",
                 &Policy::pte_dirty_implies_write),
      bool_field("uffd_wp_unpopulated",
                 "2bad466cc9d9 (6.4): UFFD_FEATURE_WP_UNPOPULATED, uffd-wp markers on none PTEs "
                 "of anonymous VMAs",
                 &Policy::uffd_wp_unpopulated),
      bool_field("uffd_wp_async",
                 "d61ea1cb0095 (6.7): UFFD_FEATURE_WP_ASYNC, do_wp_page resolves uffd-wp in "
                 "place; with PAGEMAP_SCAN (52526ca7fdb9, 6.7)",
                 &Policy::uffd_wp_async),
      bool_field("pagemap_scan_rmw_atomic",
                 "c70dce4982ce (6.9): PAGEMAP_SCAN's make_uffd_wp_pte() commits "
                 "pte_mkuffd_wp(old_pte), not the PTE it read before ptep_modify_prot_start()",
                 &Policy::pagemap_scan_rmw_atomic),
  };
  return table;
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = make_presets();
  return table;
}

const std::vector<PolicyInfo>& policy_infos() {
  static const std::vector<PolicyInfo> infos = [] {
    std::vector<PolicyInfo> out;
    for (const Field& f : fields()) out.push_back(f.info);
    return out;
  }();
  return infos;
}

const Preset* find_preset(const std::string& name) {
  for (const Preset& p : presets())
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> out;
  for (const Preset& p : presets()) out.push_back(p.name);
  return out;
}

std::vector<std::string> policy_differences(const Policy& from, const Policy& to) {
  std::vector<std::string> out;
  for (const Field& f : fields())
    if (f.get(from) != f.get(to)) out.push_back(f.info.name + "=" + f.get(to));
  return out;
}

std::string policy_value(const Policy& policy, const std::string& name) {
  for (const Field& f : fields())
    if (f.info.name == name) return f.get(policy);
  return "";
}

std::optional<std::string> set_policy(Policy& policy, const std::string& name,
                                      const std::string& value) {
  for (const Field& f : fields()) {
    if (f.info.name != name) continue;
    if (f.set(policy, value)) return std::nullopt;
    std::string valid;
    for (const std::string& v : f.info.values) valid += (valid.empty() ? "" : ", ") + v;
    return "policy " + name + " takes one of: " + valid + " (got \"" + value + "\"" +
           (value.empty() ? "" : did_you_mean(value, f.info.values)) + ")";
  }
  std::string valid;
  std::vector<std::string> names;
  for (const Field& f : fields()) {
    valid += (valid.empty() ? "" : ", ") + f.info.name;
    names.push_back(f.info.name);
  }
  return "unknown policy \"" + name + "\"" + did_you_mean(name, names) +
         "; valid policies: " + valid;
}

}  // namespace mmcheck::vm
