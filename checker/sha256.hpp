// SHA-256 of a byte string, as lowercase hex (FIPS 180-4); traces record their scenario's hash.
#pragma once

#include <string>

namespace mmcheck {

std::string sha256_hex(const std::string& data);

}  // namespace mmcheck
