// The JSON reader behind the scenario loader (models/json_reader.hpp).
#include "models/json_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

#include "models/suggest.hpp"

namespace mmcheck::vm {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char ch : key) {
    if (ch == '~')
      out += "~0";
    else if (ch == '/')
      out += "~1";
    else
      out += ch;
  }
  return out;
}

std::string type_name(const json& j) {
  if (j.is_object()) return "an object";
  if (j.is_array()) return "an array";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  return "null";
}

std::string identifier_rule(const std::string& what, const std::string& got) {
  return "a " + what + " name is a letter or '_' followed by letters, digits, '_' or '-' (got \"" +
         got + "\")";
}

bool valid_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

void JsonReader::fail(const std::string& pointer, const std::string& what) const {
  throw InputError(file_, pointer.empty() ? "/" : pointer, what);
}

std::string JsonReader::read_file(const std::string& what) const {
  // Opened without blocking (a FIFO would wait for a writer), then checked for what it is: only a
  // regular file below the size bound is read (a device such as /dev/zero never ends).
  int fd = ::open(file_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw InputError(file_, "", "cannot read the " + what + " file: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw InputError(file_, "", "cannot read the " + what + " file: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    throw InputError(file_, "", "cannot read it: it is a directory, not a " + what + " file");
  if (!S_ISREG(st.st_mode))
    throw InputError(file_, "",
                     "cannot read it: it is not a regular file (a device, FIFO or socket); a " +
                         what + " file is a regular file");
  const std::string too_big = "the " + what + " file is larger than " +
                              std::to_string(kMaxInputBytes >> 20) + " MiB, the limit for a " +
                              what + " file";
  if (static_cast<std::uint64_t>(st.st_size) > kMaxInputBytes) throw InputError(file_, "", too_big);
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      throw InputError(file_, "", "cannot read the " + what + " file: " + std::strerror(errno));
    if (got == 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
    if (text.size() > kMaxInputBytes) throw InputError(file_, "", too_big);  // it grew
  }
  return text;
}

namespace {

// A SAX consumer that only follows where the parser is, so that a syntax error is located by
// the JSON pointer of the value being read as well as by line and column.
class PointerTracker {
 public:
  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t, const json::string_t&) { return value(); }
  bool string(json::string_t&) { return value(); }
  bool binary(json::binary_t&) { return value(); }
  bool start_object(std::size_t) {
    value();
    levels_.push_back({false, 0, "", false});
    return true;
  }
  bool key(json::string_t& k) {
    levels_.back().key = k;
    levels_.back().has_key = true;
    return true;
  }
  bool end_object() {
    levels_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    value();
    levels_.push_back({true, 0, "", false});
    return true;
  }
  bool end_array() {
    levels_.pop_back();
    return true;
  }
  bool parse_error(std::size_t byte, const std::string&, const nlohmann::detail::exception&) {
    byte_ = byte;
    return false;
  }
  std::size_t byte() const { return byte_; }  // where the error is, 1-based as nlohmann counts

  std::string pointer() const {
    std::string out;
    for (const Level& l : levels_) {
      if (l.array)
        out += "/" + std::to_string(l.count == 0 ? 0 : l.count - 1);
      else if (l.has_key)
        out += "/" + escape_pointer(l.key);
    }
    return out;
  }

 private:
  struct Level {
    bool array;
    std::size_t count;  // values started in this array
    std::string key;    // the last key read in this object
    bool has_key;
  };
  bool value() {
    if (!levels_.empty() && levels_.back().array) ++levels_.back().count;
    return true;
  }
  std::vector<Level> levels_;
  std::size_t byte_ = 0;
};

// Duplicate keys are an error (nlohmann keeps one silently): the parser's callback tracks the
// keys of every open object, and the path to it (the current key of each open object, the
// index of the current element of each open array), to locate the object holding the first
// duplicate.
class DuplicateKeys {
 public:
  bool on_event(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_.push_back({true, {}, {}, 0});
        if (open_.size() > kMaxNesting) too_deep();
        break;
      case json::parse_event_t::array_start:
        open_.push_back({false, {}, {}, 0});
        if (open_.size() > kMaxNesting) too_deep();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!open_.empty()) open_.pop_back();
        element_done();
        break;
      case json::parse_event_t::key:
        key(parsed.get<std::string>());
        break;
      case json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  }
  const std::string& duplicate() const { return duplicate_; }
  const std::string& duplicate_at() const { return duplicate_at_; }
  // Thrown (out of the parser) at the first value nested deeper than kMaxNesting, or the first
  // object with more than kMaxMembers members.
  struct TooDeep {
    std::string pointer;
  };
  struct TooMany {
    std::string pointer, what;
  };

 private:
  struct Open {
    bool object;
    std::set<std::string> keys;  // object: the keys seen so far
    std::string key;             // object: the member being read
    std::size_t index = 0;       // array: the element being read
  };
  void key(const std::string& k) {
    if (open_.empty() || !open_.back().object) return;
    open_.back().key = k;
    if (open_.back().keys.size() >= kMaxMembers)
      throw TooMany{pointer_of_top(), "an object of more than " + std::to_string(kMaxMembers)};
    if (++members_ > kMaxAllMembers)
      throw TooMany{pointer_of_top(), "more than " + std::to_string(kMaxAllMembers)};
    if (!open_.back().keys.insert(k).second && duplicate_.empty()) {
      duplicate_ = k;
      duplicate_at_ = pointer_of_top();
    }
  }
  std::string pointer_of_top() const {  // the JSON pointer of the innermost open value
    std::string ptr;
    for (std::size_t i = 0; i + 1 < open_.size(); ++i)
      ptr +=
          "/" + (open_[i].object ? escape_pointer(open_[i].key) : std::to_string(open_[i].index));
    return ptr;
  }
  [[noreturn]] void too_deep() const {
    std::string ptr;  // the first kMaxNesting levels are enough to find it
    for (std::size_t i = 0; i + 1 < open_.size() && i < kMaxNesting; ++i)
      ptr +=
          "/" + (open_[i].object ? escape_pointer(open_[i].key) : std::to_string(open_[i].index));
    throw TooDeep{ptr};
  }
  void element_done() {  // a value inside the innermost open container is complete
    if (!open_.empty() && !open_.back().object) ++open_.back().index;
  }
  std::vector<Open> open_;
  std::size_t members_ = 0;
  std::string duplicate_, duplicate_at_;
};

// "line L, column C" of byte `byte` (1-based, as nlohmann counts) of `text`.
std::string line_and_column(const std::string& text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

std::string blank_trailing_commas(const std::string& text) {
  std::string out = text;
  // Skips a comment starting at i, if any: returns the index after it (or i).
  auto skip_comment = [&](std::size_t i) {
    if (i + 1 >= text.size() || text[i] != '/') return i;
    if (text[i + 1] == '/') {
      std::size_t end = text.find('\n', i);
      return end == std::string::npos ? text.size() : end;
    }
    if (text[i + 1] == '*') {
      std::size_t end = text.find("*/", i + 2);
      return end == std::string::npos ? text.size() : end + 2;
    }
    return i;
  };
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '"') {  // a string: up to its closing quote, escapes skipped
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      ++i;
      continue;
    }
    if (std::size_t after = skip_comment(i); after != i) {
      i = after;
      continue;
    }
    if (c == ',') {
      std::size_t j = i + 1;
      while (j < text.size()) {
        if (std::isspace(static_cast<unsigned char>(text[j]))) {
          ++j;
        } else if (std::size_t after = skip_comment(j); after != j) {
          j = after;
        } else {
          break;
        }
      }
      if (j < text.size() && (text[j] == '}' || text[j] == ']')) out[i] = ' ';
    }
    ++i;
  }
  return out;
}

json JsonReader::parse(const std::string& original) {
  // A NUL byte is never part of a JSON text: refuse it rather than read around it.
  if (std::size_t nul = original.find('\0'); nul != std::string::npos)
    fail("", "not valid JSON (" + line_and_column(original, nul + 1) +
                 "): a NUL byte; the file is not JSON text (corrupted or binary?)");
  // Trailing commas are accepted (nlohmann 3.11 has no option for them): blanked, so line and
  // column of every error stay those of the file.
  const std::string text = blank_trailing_commas(original);
  DuplicateKeys keys;
  auto callback = [&](int, json::parse_event_t event, json& parsed) {
    return keys.on_event(event, parsed);
  };
  try {
    json root = json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    if (!keys.duplicate().empty())
      fail(keys.duplicate_at(), "the key \"" + keys.duplicate() + "\" appears twice in one object");
    return root;
  } catch (const DuplicateKeys::TooDeep& deep) {
    fail(deep.pointer, "nested deeper than " + std::to_string(kMaxNesting) +
                           " objects and arrays; a scenario or a trace needs far fewer");
  } catch (const DuplicateKeys::TooMany& many) {
    fail(many.pointer, many.what + " members; a scenario or a trace needs far fewer");
  } catch (const json::exception& e) {
    // A syntax error (parse_error, with invalid UTF-8 among them) or a number out of range
    // (out_of_range, "1e400"): located by the pointer of the value being read.
    PointerTracker tracker;
    json::sax_parse(text, &tracker, json::input_format_t::json, /*strict=*/true,
                    /*ignore_comments=*/true);
    std::string what = e.what();
    auto colon = what.find("syntax error");
    if (colon == std::string::npos) colon = what.find("number overflow");
    if (colon == std::string::npos) {
      colon = what.find("] ");  // "[json.exception.out_of_range.406] ..."
      if (colon != std::string::npos) colon += 2;
    }
    std::string message = colon == std::string::npos ? what : what.substr(colon);
    if (e.id == 406) message += " (a number too large for a double)";
    fail(tracker.pointer(),
         "not valid JSON (" + line_and_column(text, tracker.byte()) + "): " + message);
  }
}

void JsonReader::expect_object(const json& j, const std::string& ptr) const {
  if (!j.is_object()) fail(ptr, "expected an object, got " + type_name(j));
}

void JsonReader::expect_array(const json& j, const std::string& ptr) const {
  if (!j.is_array()) fail(ptr, "expected an array, got " + type_name(j));
}

std::string JsonReader::string_at(const json& j, const std::string& ptr) const {
  if (!j.is_string()) fail(ptr, "expected a string, got " + type_name(j));
  return j.get<std::string>();
}

bool JsonReader::bool_at(const json& j, const std::string& ptr) const {
  if (!j.is_boolean()) fail(ptr, "expected true or false, got " + type_name(j));
  return j.get<bool>();
}

long JsonReader::int_at(const json& j, const std::string& ptr, long lo, long hi,
                        const std::string& note) const {
  std::string expected =
      "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + note;
  if (!j.is_number()) fail(ptr, expected + ", got " + type_name(j));
  if (j.is_number_float()) fail(ptr, expected + ", got " + j.dump());
  if (j.is_number_unsigned()) {
    std::uint64_t v = j.get<std::uint64_t>();
    if (hi < 0 || v < static_cast<std::uint64_t>(std::max(lo, 0L)) ||
        v > static_cast<std::uint64_t>(hi))
      fail(ptr, expected + ", got " + std::to_string(v));
    return static_cast<long>(v);
  }
  std::int64_t v = j.get<std::int64_t>();
  if (v < lo || v > hi) fail(ptr, expected + ", got " + std::to_string(v));
  return static_cast<long>(v);
}

std::string JsonReader::require_string(const json& j, const std::string& ptr,
                                       const char* key) const {
  if (!j.contains(key)) fail(ptr, std::string("missing \"") + key + "\"");
  return string_at(j[key], ptr + "/" + key);
}

void JsonReader::check_keys(const json& j, const std::string& ptr,
                            const std::vector<std::string>& valid) const {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(valid.begin(), valid.end(), it.key()) == valid.end())
      fail(ptr + "/" + escape_pointer(it.key()), "unknown key \"" + it.key() + "\"" +
                                                     did_you_mean(it.key(), valid) +
                                                     "; valid keys here: " + join(valid));
  }
}

}  // namespace mmcheck::vm
