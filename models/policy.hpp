// Kernel policies (one rule that changed over time, a named field each) and presets (every
// policy fixed to the values of one mainline .0 release), as the README's policy table gives them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mmcheck::vm {

enum class CowReuse : std::uint8_t { Mapcount, Refcount, AnonExclusive };
// clear_refs's locks: mmap_lock read (<= 5.10), write (29a951dfb3c3, 5.11), and from 6.5 also
// every VMA write-locked by the walk (PGWALK_WRLOCK, 49b0638502da). With `write` on a kernel
// with per-VMA locks (6.4), only vm_flags_clear(VM_SOFTDIRTY) write-locks a VMA: those that
// had VM_SOFTDIRTY set.
enum class ClearRefsLock : std::uint8_t { Read, Write, WriteVma };
// Which faults try the per-VMA lock first (lock_vma_under_rcu) and fall back to mmap_lock read:
// none (<= 6.3); anonymous VMAs with an anon_vma, not userfaultfd-armed (6.4, 6.5); armed ones
// too (6.6, handle_userfault drops the VMA lock); every VMA, shmem too (6.7). An anonymous VMA
// without an anon_vma (never faulted an anon page in) always falls back.
enum class FaultLock : std::uint8_t { Mmap, VmaAnon, VmaAnonUffd, VmaAll };
enum class ClearRefsFlush : std::uint8_t { Deferred, None, Pending };
enum class UffdWpSupport : std::uint8_t { None, Anon, AnonShmem };
// When change_protection() flushes (mprotect, UFFDIO_WRITEPROTECT): every visited present PTE
// (<= 5.18), or the PTEs x86's pte_needs_flush() picks, the whole mm when nested (5.19+).
enum class ChangeProtFlush : std::uint8_t { Visited, NeedsFlush };
// mprotect's MM_CP_TRY_CHANGE_WRITABLE upgrade: none (<= 5.19), can_change_pte_writable() with a
// dirty PTE for every page (6.0, 6.1), or with a clean exclusive anon page allowed (6.2+).
enum class TryWritable : std::uint8_t { Off, Dirty, Exclusive };

// NUMA hinting: the COW pages the scan leaves alone: mapcount != 1 (859d4adc3415, 4.16),
// refcount != 1 (80d47f5de5e3, 5.17), maybe pinned or mapped shared (d2136d749d76, 6.10).
enum class NumaSkipShared : std::uint8_t { Mapcount, Refcount, PinnedOrShared };
// The write bit of a PTE the hinting fault maps again: the scan's savedwrite (<= 6.1), or
// can_change_pte_writable() (6a56ccbcf6c6, 6.2).
enum class NumaRestoreWrite : std::uint8_t { SavedWrite, CanChange };

struct Policy {
  CowReuse cow_reuse = CowReuse::AnonExclusive;
  bool cow_drain_lru = true;
  bool gup_force_cow_break = false;
  bool fork_copy_pinned = true;
  bool gup_ro_pin_unshare = true;
  ClearRefsLock clear_refs_lock = ClearRefsLock::WriteVma;
  ClearRefsFlush clear_refs_flush = ClearRefsFlush::Pending;
  bool clear_refs_skip_pinned = true;
  UffdWpSupport uffd_wp = UffdWpSupport::AnonShmem;
  bool uffd_wp_pending_flush = true;
  bool uffd_wp_writenotify = true;
  bool mprotect_dirty_accountable = false;
  TryWritable mprotect_try_writable = TryWritable::Exclusive;
  ChangeProtFlush change_prot_flush = ChangeProtFlush::NeedsFlush;
  bool uffd_unwp_try_writable = true;  // 931298e103c2 (6.3)
  FaultLock fault_lock = FaultLock::VmaAll;
  bool fork_vma_wrlock = true;       // fb49c455323f (6.5)
  bool uffd_close_resets_wp = true;  // c88033efe9a3 (6.9)
  bool uffdio_copy_mkdirty = true;   // 9ae0f87d009c (5.16)
  bool zap_nested_flush = true;      // 99baac21e458 (4.13): every preset
  NumaSkipShared numa_skip_shared = NumaSkipShared::PinnedOrShared;
  NumaRestoreWrite numa_restore_write = NumaRestoreWrite::CanChange;
  bool protnone_pending_accessible = true;  // 20841405940e (3.13): every preset
  bool uffd_minor_shmem = true;             // c949b097ef2e (5.14)
  // mfill_atomic_install_pte() ends with pte_wrprotect() when the PTE is not to be writable:
  // 8ee79edff6d3 (5.19) to f1eb1bacfba9 (6.3). A no-op on x86; it matters only with
  // pte_dirty_implies_write.
  bool mfill_wrprotect = false;
  // pte_mkdirty() also sets the hardware write bit: sparc64 until "sparc/mm: don't
  // unconditionally set HW writable bit when setting PTE dirty on 64bit" (6.5). Never on x86, so
  // false in every preset; --set pte_dirty_implies_write=true asks what sparc64 did.
  bool pte_dirty_implies_write = false;
  bool uffdio_move = true;              // adef440691ba (6.8)
  bool move_recheck_pin = true;         // adef440691ba (6.8): every preset with UFFDIO_MOVE
  bool move_sets_soft_dirty = true;     // adef440691ba (6.8), 75cb1cca2c88 (6.15)
  bool uffd_wp_unpopulated = true;      // 2bad466cc9d9 (6.4)
  bool uffd_wp_async = true;            // d61ea1cb0095, 52526ca7fdb9 (6.7)
  bool pagemap_scan_rmw_atomic = true;  // c70dce4982ce (6.9)
  bool operator==(const Policy&) const = default;
};

struct Preset {
  Preset(std::string n, std::string d, const Policy& p, std::string same = {})
      : name(std::move(n)), description(std::move(d)), policy(p), same_as(std::move(same)) {}
  std::string name;
  std::string description;
  Policy policy;
  // A release whose modelled rules are those of an earlier preset: its name, else empty.
  std::string same_as;
};

struct PolicyInfo {
  std::string name;
  std::vector<std::string> values;  // the accepted values, "true"/"false" for a bool
  std::string history;              // one line
};

const std::vector<Preset>& presets();
const std::vector<PolicyInfo>& policy_infos();
// nullptr when unknown.
const Preset* find_preset(const std::string& name);
std::vector<std::string> preset_names();
// The policies whose values differ between two policies ("fault_lock=vma_anon"), in table order.
std::vector<std::string> policy_differences(const Policy& from, const Policy& to);

// The value of a policy as text ("refcount", "true"...).
std::string policy_value(const Policy& policy, const std::string& name);
// Sets one policy from text; returns an error message (naming the valid values) or nothing.
std::optional<std::string> set_policy(Policy& policy, const std::string& name,
                                      const std::string& value);

}  // namespace mmcheck::vm
