// Reading JSON input, one reader for every file mmcheck reads (a scenario, a trace): comments
// and trailing commas allowed, duplicate keys refused, and every error located by file and JSON
// pointer with what was expected (InputError, exit status 2 at the front end); a syntax error also
// by line and column.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/scenario.hpp"

namespace mmcheck::vm {

// ordered_json keeps object members in file order (nlohmann::json sorts them), so regions,
// processes and threads (CPUs) are numbered in the order the scenario declares them.
using json = nlohmann::ordered_json;

// Input files are small: a scenario or a trace larger than this is refused (exit 2), as is one
// nested deeper than kMaxNesting objects and arrays (printing it would recurse that deep), or
// one with an object of more than kMaxMembers members or more than kMaxAllMembers in all (an
// ordered object finds a key by a linear search: a million keys took minutes).
inline constexpr std::uint64_t kMaxInputBytes = std::uint64_t{16} << 20;
inline constexpr std::size_t kMaxNesting = 64;
inline constexpr std::size_t kMaxMembers = 4096;
inline constexpr std::size_t kMaxAllMembers = 262144;

std::string join(const std::vector<std::string>& items);  // "a, b, c"
std::string escape_pointer(const std::string& key);       // a key as a JSON pointer token
std::string type_name(const json& j);                     // "an object", "a string", ...

// A name of the scenario (region, process, thread, handle): a letter or '_' followed by letters,
// digits, '_' or '-'; identifier_rule() says so for an error about a `what` name `got`.
bool valid_identifier(const std::string& s);
std::string identifier_rule(const std::string& what, const std::string& got);

// `text` with each comma that only ends an object or array (before `}` or `]`, maybe across
// whitespace and comments) replaced by a space; commas in strings and comments are kept.
std::string blank_trailing_commas(const std::string& text);

class JsonReader {
 public:
  explicit JsonReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& what) const;
  // The file's text; a directory, a device, a FIFO, a file over kMaxInputBytes or an unreadable
  // file fails naming `what` it should have been.
  std::string read_file(const std::string& what) const;
  // The document; a syntax error (invalid UTF-8 included), a NUL byte, a number out of range or
  // a duplicate key fails with its line and column, or pointer; so does nesting deeper than
  // kMaxNesting.
  json parse(const std::string& text);
  void expect_object(const json& j, const std::string& ptr) const;
  void expect_array(const json& j, const std::string& ptr) const;
  std::string string_at(const json& j, const std::string& ptr) const;
  bool bool_at(const json& j, const std::string& ptr) const;
  // An integer from lo to hi; `note` follows the range in the error. A number out of range is
  // reported as written: read by its own kind (unsigned, signed or float), never wrapped.
  long int_at(const json& j, const std::string& ptr, long lo, long hi,
              const std::string& note = "") const;
  std::string require_string(const json& j, const std::string& ptr, const char* key) const;
  // Fails on a key not in `valid`, naming the valid ones.
  void check_keys(const json& j, const std::string& ptr,
                  const std::vector<std::string>& valid) const;

 protected:
  std::string file_;
};

}  // namespace mmcheck::vm
