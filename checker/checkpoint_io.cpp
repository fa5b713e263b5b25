// The files of a checkpoint (checker/checkpoint_io.hpp).
#include "checker/checkpoint_io.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace mmcheck::checkpoint {

namespace fs = std::filesystem;

std::string level_dir(const std::string& dir, std::uint32_t level) {
  return dir + "/level-" + std::to_string(level);
}

std::string part_name(int rank, int ranks) {
  return "part-" + std::to_string(rank) + "-of-" + std::to_string(ranks);
}

std::string make_dir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  return ec ? path + ": " + ec.message() : "";
}

std::string write_file(const std::string& path, const Bytes& bytes) {
  std::string temporary = path + ".tmp";
  std::FILE* f = std::fopen(temporary.c_str(), "wb");
  if (f == nullptr) return temporary + ": " + std::strerror(errno);
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fflush(f) == 0 && ok;
  ok = fsync(fileno(f)) == 0 && ok;
  int saved = errno;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::remove(temporary.c_str());
    return temporary + ": " + std::strerror(saved != 0 ? saved : errno);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) return path + ": " + std::strerror(errno);
  return "";
}

Bytes read_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw CheckpointError(path + ": no such checkpoint file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw CheckpointError(path + ": " + std::strerror(errno));
  Bytes out;
  std::uint8_t buffer[1 << 16];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;)
    out.insert(out.end(), buffer, buffer + n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw CheckpointError(path + ": read error");
  return out;
}

std::string current_level_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw CheckpointError(dir + ": no such checkpoint directory");
  Bytes name = read_file(dir + "/current");
  std::string level(name.begin(), name.end());
  if (level.rfind("level-", 0) != 0 || level.find('/') != std::string::npos)
    throw CheckpointError(dir + "/current: malformed");
  return dir + "/" + level;
}

std::string publish(const std::string& dir, std::uint32_t level) {
  std::string name = "level-" + std::to_string(level);
  std::string error = write_file(dir + "/current", Bytes(name.begin(), name.end()));
  if (!error.empty()) return error;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string other = entry.path().filename().string();
    if (other.rfind("level-", 0) == 0 && other != name) fs::remove_all(entry.path(), ec);
  }
  return "";
}

}  // namespace mmcheck::checkpoint
