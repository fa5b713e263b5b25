// LEB128 variable-length integers: seven bits a byte, the high bit set on every byte but the
// last. The parent links (checker/links.hpp) and the packed levels (checker/level_store.cpp)
// write their numbers this way.
#pragma once

#include <cstdint>

namespace mmcheck {

// Writes v at `at` (at most ten bytes); returns the byte after it.
inline std::uint8_t* varint_put(std::uint8_t* at, std::uint64_t v) {
  while (v >= 0x80) {
    *at++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *at++ = static_cast<std::uint8_t>(v);
  return at;
}

// Reads the number at `at` and moves `at` past it.
inline std::uint64_t varint_get(const std::uint8_t*& at) {
  std::uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    std::uint8_t b = *at++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

}  // namespace mmcheck
