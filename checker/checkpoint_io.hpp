// The files of a checkpoint (checker/checkpoint.hpp): DIR/current names the newest complete
// level directory, DIR/level-N holds a meta file, the parent links and one part per rank. A
// file is written under a temporary name and renamed, and `current` moves only when every rank
// has written its part, so a reader never sees half a checkpoint.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "checker/comm.hpp"

namespace mmcheck {

// A checkpoint that cannot be resumed: missing, malformed, or written by another search.
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace checkpoint {

std::string level_dir(const std::string& dir, std::uint32_t level);
std::string part_name(int rank, int ranks);
// Creates `path` (and its parents); the error, or empty.
std::string make_dir(const std::string& path);
// Writes `bytes` to `path` under a temporary name, flushed, then renamed; the error, or empty.
std::string write_file(const std::string& path, const Bytes& bytes);
// The whole file; throws CheckpointError.
Bytes read_file(const std::string& path);
// The level directory `current` names; throws CheckpointError.
std::string current_level_dir(const std::string& dir);
// Points `current` at level directory `level` and removes the older level directories; the
// error, or empty.
std::string publish(const std::string& dir, std::uint32_t level);

// Reads the fixed-width fields of a checkpoint file, throwing CheckpointError past its end.
class Reader {
 public:
  Reader(const Bytes& bytes, std::string path) : bytes_(bytes), path_(std::move(path)) {}
  std::uint32_t u32() { return get_u32(take(4)); }
  std::uint64_t u64() { return get_u64(take(8)); }
  std::string text() {
    std::uint32_t n = u32();
    const std::uint8_t* p = take(n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  const std::uint8_t* take(std::size_t n) {
    if (bytes_.size() - at_ < n) throw CheckpointError(path_ + ": truncated or malformed");
    const std::uint8_t* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  bool at_end() const { return at_ == bytes_.size(); }
  const std::string& path() const { return path_; }

 private:
  const Bytes& bytes_;
  std::string path_;
  std::size_t at_ = 0;
};

inline void put_text(Bytes& out, const std::string& s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace checkpoint
}  // namespace mmcheck
