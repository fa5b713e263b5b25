// The failure path of MM_ASSERT.
#include "checker/assert.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace mmcheck {

namespace {
std::atomic<bool> g_assert_throws{false};
}

void set_assert_throws(bool throws) { g_assert_throws.store(throws); }

void assertion_failed(const char* cond, const char* why, const char* file, int line) {
  std::string msg = std::string("internal error: ") + why + " (" + cond + ") at " + file + ":" +
                    std::to_string(line);
  if (g_assert_throws.load()) throw InternalError(msg);
  std::fprintf(
      stderr,
      "mmcheck: %s\nmmcheck: this is a bug in mmcheck; please report it with the scenario.\n",
      msg.c_str());
  std::abort();
}

}  // namespace mmcheck
