// The step positions inside each op (ThreadState::phase). Every op starts at phase 0.
#pragma once

#include <cstdint>

namespace mmcheck::vm {

// read, write
inline constexpr std::uint8_t kAccess = 0;
inline constexpr std::uint8_t kAccessAfterUserfault = 1;  // enabled once uffd_wp is clear
// pin, get
inline constexpr std::uint8_t kGupLock = 0;
inline constexpr std::uint8_t kGupPtl = 1;
inline constexpr std::uint8_t kGupUnlock = 2;
inline constexpr std::uint8_t kGupLockAfterUserfault = 3;  // enabled once uffd_wp is clear
// clear_refs
inline constexpr std::uint8_t kClearRefsLock = 0;
inline constexpr std::uint8_t kClearRefsInc = 1;
inline constexpr std::uint8_t kClearRefsPte = 2;
inline constexpr std::uint8_t kClearRefsFlush = 3;
inline constexpr std::uint8_t kClearRefsDec = 4;
inline constexpr std::uint8_t kClearRefsUnlock = 5;
// uffd_wp, uffd_unwp
inline constexpr std::uint8_t kUffdLock = 0;
inline constexpr std::uint8_t kUffdInc = 1;
inline constexpr std::uint8_t kUffdPte = 2;
inline constexpr std::uint8_t kUffdFlush = 3;
inline constexpr std::uint8_t kUffdDec = 4;
inline constexpr std::uint8_t kUffdUnlock = 5;
// uffd_register
inline constexpr std::uint8_t kRegisterLock = 0;
inline constexpr std::uint8_t kRegisterUnlock = 1;
// mprotect
inline constexpr std::uint8_t kMprotectLock = 0;
inline constexpr std::uint8_t kMprotectPte = 1;
inline constexpr std::uint8_t kMprotectFlush = 2;
inline constexpr std::uint8_t kMprotectUnlock = 3;
// fork
inline constexpr std::uint8_t kForkLock = 0;
inline constexpr std::uint8_t kForkPte = 1;
inline constexpr std::uint8_t kForkFlush = 2;
inline constexpr std::uint8_t kForkUnlock = 3;
// numa_scan
inline constexpr std::uint8_t kNumaLock = 0;
inline constexpr std::uint8_t kNumaInc = 1;
inline constexpr std::uint8_t kNumaPte = 2;
inline constexpr std::uint8_t kNumaDec = 3;
inline constexpr std::uint8_t kNumaUnlock = 4;
// migrate
inline constexpr std::uint8_t kMigrateLock = 0;
inline constexpr std::uint8_t kMigrateIsolate = 1;
inline constexpr std::uint8_t kMigrateUnlock = 2;
inline constexpr std::uint8_t kMigrateUnmap = 3;   // then the copy, in the step after the last
inline constexpr std::uint8_t kMigrateRemove = 4;  // then the end, in the step after the last
// munmap, exit
inline constexpr std::uint8_t kMunmapLock = 0;
inline constexpr std::uint8_t kMunmapZap = 1;
inline constexpr std::uint8_t kMunmapFlush = 2;
inline constexpr std::uint8_t kMunmapUnlock = 3;

}  // namespace mmcheck::vm
