// Independent runs side by side (the suite's jobs): at most `threads` at a time, on oneTBB.
#pragma once

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <cstddef>
#include <optional>

#include "checker/assert.hpp"
#include "checker/sysinfo.hpp"

namespace mmcheck::run {

// Calls fn(i) for every i in [0, count), at most `threads` calls at once (0: one per core).
template <class Fn>
void run_side_by_side(std::size_t count, unsigned threads, Fn&& fn) {
  if (threads == 0) threads = hardware_threads();
  // As Search does: oneTBB caps its pool at the core count unless asked for more.
  std::optional<tbb::global_control> parallelism;
  if (threads > tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism))
    parallelism.emplace(tbb::global_control::max_allowed_parallelism, threads);
  tbb::task_arena arena(static_cast<int>(threads));
  // The caller releases `start` before the loop and each call acquires it; each call ends with
  // a release on `done`, which the caller acquires after the loop. These are the happens-before
  // edges oneTBB's own synchronisation gives (caller's writes before the calls, the calls'
  // writes before the caller's reads), made visible to ThreadSanitizer, which does not see
  // inside Debian's uninstrumented oneTBB.
  std::atomic<bool> start{false};
  std::atomic<std::size_t> done{0};
  start.store(true, std::memory_order_release);
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) {
      MM_ASSERT(start.load(std::memory_order_acquire), "a side-by-side run started early");
      fn(i);
      done.fetch_add(1, std::memory_order_release);
    });
  });
  MM_ASSERT(done.load(std::memory_order_acquire) == count, "a side-by-side run was skipped");
}

}  // namespace mmcheck::run
