// tools/run/parallel.hpp's runs side by side (what `suite --threads N` runs its scenarios with):
// never more at once than the threads asked for, each run exactly once.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "tools/run/parallel.hpp"

namespace {

TEST_CASE("Runs side by side never exceed the threads asked for (suite --threads)",
          "[reliability][suite]") {
  for (unsigned threads : {1u, 2u}) {
    std::atomic<int> running{0}, peak{0};
    std::vector<std::atomic<int>> calls(64);
    mmcheck::run::run_side_by_side(calls.size(), threads, [&](std::size_t i) {
      int now = ++running;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ++calls[i];
      --running;
    });
    INFO("threads " << threads);
    CHECK(peak.load() <= static_cast<int>(threads));
    for (auto& c : calls) CHECK(c.load() == 1);
  }
}

}  // namespace
