// What the engine reads of the machine: peak memory, core count, whether stderr is a terminal.
#pragma once

#include <cstdint>

namespace mmcheck {

std::uint64_t peak_rss_bytes();
std::uint64_t current_rss_bytes();
unsigned hardware_threads();
bool stderr_is_terminal();

}  // namespace mmcheck
