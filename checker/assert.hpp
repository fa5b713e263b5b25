// Always-on internal checks (CBMC's invariant.h line): a failed MM_ASSERT is a bug in mmcheck
// itself, never a finding and never bad input. It prints and aborts in every build type;
// tests can switch it to throwing so they can assert on it.
#pragma once

#include <stdexcept>
#include <string>

namespace mmcheck {

struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

// When true, a failed MM_ASSERT throws InternalError instead of aborting (tests only).
void set_assert_throws(bool throws);

[[noreturn]] void assertion_failed(const char* cond, const char* why, const char* file, int line);

}  // namespace mmcheck

#define MM_ASSERT(cond, why)                                         \
  do {                                                               \
    if (!(cond)) [[unlikely]]                                        \
      ::mmcheck::assertion_failed(#cond, (why), __FILE__, __LINE__); \
  } while (0)
