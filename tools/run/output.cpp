// Output files written whole or not at all (tools/run/output.hpp).
#include "tools/run/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

namespace mmcheck::run {

namespace {

std::string failure(const std::string& path, int error) {
  return "cannot write " + path + ": " + std::strerror(error);
}

// Every byte of `text` to `fd`; errno on failure, 0 on success.
int write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

std::optional<std::string> write_in_place(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return failure(path, errno);
  int error = write_all(fd, text);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) return failure(path, error);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> write_output_file(const std::string& given, const std::string& text) {
  // A symbolic link is written through: the file it names is replaced, the link stays.
  std::string path = given;
  std::error_code ec;
  if (std::filesystem::is_symlink(given, ec)) {
    std::filesystem::path target = std::filesystem::weakly_canonical(given, ec);
    if (!ec) path = target.string();
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return "cannot write " + given + ": it is a directory";
    if (!S_ISREG(st.st_mode)) return write_in_place(path, text);
  }
  std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  std::string pattern =
      (dir.empty() ? std::filesystem::path(".") : dir) / ("." + target.filename().string() + ".");
  pattern += "tmp-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) return failure(given, errno);
  std::string temp = name.data();
  // mkstemp makes the file 0600; an output is read by others like any file the user creates.
  mode_t mask = ::umask(0);
  ::umask(mask);
  int error = ::fchmod(fd, 0666 & ~mask) != 0 ? errno : 0;
  if (error == 0) error = write_all(fd, text);
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && ::rename(temp.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temp.c_str());
    return failure(given, error);
  }
  return std::nullopt;
}

std::optional<std::string> unusable_output_path(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return "cannot write " + path + ": it is a directory";
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
    return "cannot write " + path + ": no directory " + dir.string();
  return std::nullopt;
}

std::optional<std::string> unusable_checkpoint_dir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
    return dir + " is not a directory";
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot make the directory " + dir + ": " + ec.message();
  if (::access(dir.c_str(), W_OK) != 0)
    return "cannot write in " + dir + ": " + std::strerror(errno);
  return std::nullopt;
}

std::optional<std::string> flush_stdout() {
  errno = 0;
  std::cout.flush();
  bool lost = !std::cout.good();
  int error = errno;
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) lost = true;
  if (!lost) return std::nullopt;
  if (error == 0) error = errno;
  return std::string("cannot write the output to stdout") +
         (error != 0 ? std::string(": ") + std::strerror(error) : "");
}

}  // namespace mmcheck::run
