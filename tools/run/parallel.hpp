// Independent runs side by side (the suite's jobs): at most `threads` at a time, on oneTBB.
#pragma once

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <cstddef>
#include <optional>

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
  arena.execute([&] { tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) { fn(i); }); });
}

}  // namespace mmcheck::run
