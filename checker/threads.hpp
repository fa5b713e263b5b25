// The worker threads of a search: `threads` oneTBB workers (0: every core) in an arena of their
// own, for the one-process search (checker/search.hpp) and each rank of the distributed one
// (checker/distributed.hpp).
#pragma once

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <optional>
#include <utility>

#include "checker/sysinfo.hpp"

namespace mmcheck {

inline unsigned worker_count(unsigned requested) {
  return requested == 0 ? hardware_threads() : requested;
}

// Runs `work` inside an arena of `threads` workers. oneTBB caps its worker pool at the core
// count and ignores, with a warning on stderr, an arena asking for more; the cap is lifted while
// `work` runs, so that `threads` threads run and the figure reported is true.
template <class Work>
void run_on_workers(unsigned threads, Work&& work) {
  std::optional<tbb::global_control> parallelism;
  if (threads > tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism))
    parallelism.emplace(tbb::global_control::max_allowed_parallelism, threads);
  tbb::task_arena arena(static_cast<int>(threads));
  arena.execute(std::forward<Work>(work));
}

}  // namespace mmcheck
