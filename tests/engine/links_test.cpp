// The parent-link log (checker/links.hpp): every link read back equals the one written, across
// levels, wide parent jumps and action positions past the one-byte form.
#include "checker/links.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

namespace mmcheck {
namespace {

TEST_CASE("Links read back exactly as written", "[engine][links]") {
  std::mt19937_64 random(12345);
  LinkLog log;
  std::vector<LinkLog::Link> want;
  // Level 0: three initial states, action = the initial state's index.
  log.begin_level(0, LinkLog::kNoParent);
  for (std::uint16_t i = 0; i < 3; ++i) {
    log.append(0, i);
    want.push_back({LinkLog::kNoParent, i});
  }
  std::uint64_t parent_first = 0, parent_count = 3;
  for (int level = 1; level < 40; ++level) {
    std::uint64_t first = want.size();
    log.begin_level(first, static_cast<std::uint32_t>(parent_first));
    std::uint64_t count = 1 + random() % 500;
    std::uint64_t position = 0;
    for (std::uint64_t k = 0; k < count; ++k) {
      // Parent positions never decrease within a level; some jumps are wide.
      std::uint64_t jump = random() % 10 == 0 ? random() % 100000 : random() % 3;
      position = std::min(position + jump, parent_count * 1000);
      std::uint16_t action = random() % 8 == 0 ? static_cast<std::uint16_t>(random() % 65536)
                                               : static_cast<std::uint16_t>(random() % 7);
      log.append(position, action);
      want.push_back({static_cast<std::uint32_t>(parent_first + position), action});
    }
    parent_first = first;
    parent_count = count;
  }
  REQUIRE(log.size() == want.size());
  for (std::uint64_t id = 0; id < want.size(); ++id) {
    LinkLog::Link got = log.lookup(id);
    INFO("state " << id);
    CHECK(got.parent == want[id].parent);
    CHECK(got.action == want[id].action);
  }
}

TEST_CASE("A typical link takes one byte", "[engine][links]") {
  LinkLog log;
  log.begin_level(0, LinkLog::kNoParent);
  log.append(0, 0);
  log.begin_level(1, 0);
  for (std::uint64_t k = 0; k < 100000; ++k) log.append(k / 2, static_cast<std::uint16_t>(k % 2));
  // One byte a state, plus the vector's spare capacity and the level index.
  CHECK(log.bytes() < 2 * 100001 + 1024);
  CHECK(log.lookup(100000).parent == 49999);
  CHECK(log.lookup(100000).action == 1);
}

}  // namespace
}  // namespace mmcheck
