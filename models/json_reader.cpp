// The JSON reader behind the scenario loader (models/json_reader.hpp).
#include "models/json_reader.hpp"

#include <algorithm>
#include <set>

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

json JsonReader::parse(const std::string& text) {
  // Duplicate keys are an error (nlohmann keeps one silently): track the keys of every open
  // object, and the path to it (the current key of each open object, the index of the current
  // element of each open array), to locate the object holding the first duplicate.
  struct Open {
    bool object;
    std::set<std::string> keys;  // object: the keys seen so far
    std::string key;             // object: the member being read
    std::size_t index = 0;       // array: the element being read
  };
  std::vector<Open> open;
  std::string duplicate, duplicate_at;
  auto pointer_of_top = [&]() {  // the JSON pointer of the innermost open value
    std::string ptr;
    for (std::size_t i = 0; i + 1 < open.size(); ++i)
      ptr += "/" + (open[i].object ? escape_pointer(open[i].key) : std::to_string(open[i].index));
    return ptr;
  };
  auto element_done = [&]() {  // a value inside the innermost open container is complete
    if (!open.empty() && !open.back().object) ++open.back().index;
  };
  auto callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open.push_back({true, {}, {}, 0});
        break;
      case json::parse_event_t::array_start:
        open.push_back({false, {}, {}, 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        element_done();
        break;
      case json::parse_event_t::key:
        if (!open.empty() && open.back().object) {
          open.back().key = parsed.get<std::string>();
          if (!open.back().keys.insert(open.back().key).second && duplicate.empty()) {
            duplicate = open.back().key;
            duplicate_at = pointer_of_top();
          }
        }
        break;
      case json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  };
  try {
    json root = json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    if (!duplicate.empty())
      fail(duplicate_at, "the key \"" + duplicate + "\" appears twice in one object");
    return root;
  } catch (const json::parse_error& e) {
    std::size_t byte = e.byte == 0 ? 0 : e.byte - 1;
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    auto colon = what.find("syntax error");
    fail("", "not valid JSON (line " + std::to_string(line) + ", column " + std::to_string(column) +
                 "): " + (colon == std::string::npos ? what : what.substr(colon)));
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
      fail(ptr + "/" + escape_pointer(it.key()),
           "unknown key \"" + it.key() + "\"; valid keys here: " + join(valid));
  }
}

}  // namespace mmcheck::vm
