// Reading a scenario file (the README's "Scenario files"): JSON with comments, validated completely
// before anything is explored. Every error names the file, the JSON pointer of the offending value,
// what was expected and, where there is a list, the valid names.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "checker/sha256.hpp"
#include "invariants/registry.hpp"
#include "models/ops/op.hpp"
#include "models/scenario.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

// ordered_json keeps object members in file order (nlohmann::json sorts them), so regions,
// processes and threads (CPUs) are numbered in the order the scenario declares them.
using json = nlohmann::ordered_json;

namespace {

// The op of a name in a scenario file (its descriptor), or nullptr.
const OpDescriptor* find_op(const std::string& name) {
  for (const OpDescriptor* d : op_registry())
    if (std::find(d->names.begin(), d->names.end(), name) != d->names.end()) return d;
  return nullptr;
}

bool has_field(const OpDescriptor& d, const char* field) {
  return std::find(d.fields.begin(), d.fields.end(), field) != d.fields.end();
}

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

// The rule valid_identifier() enforces, for an error about a `what` name `got`.
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

class Loader {
 public:
  Loader(std::string file) : file_(std::move(file)) { sc_.file = file_; }

  Scenario load(const std::string& text) {
    json root = parse(text);
    sc_.sha256 = sha256_hex(text);
    expect_object(root, "");
    check_keys(root, "",
               {"name", "summary", "references", "kernel", "policy", "memory", "processes", "setup",
                "check", "must_reach", "expect"});
    sc_.name = require_string(root, "", "name");
    if (sc_.name.empty()) fail("/name", "expected a non-empty name");
    if (root.contains("summary")) sc_.summary = string_at(root["summary"], "/summary");
    if (root.contains("references")) {
      const json& refs = root["references"];
      expect_array(refs, "/references");
      for (std::size_t i = 0; i < refs.size(); ++i)
        sc_.references.push_back(string_at(refs[i], "/references/" + std::to_string(i)));
    }
    if (root.contains("kernel")) {
      sc_.kernel = string_at(root["kernel"], "/kernel");
      if (!find_preset(sc_.kernel))
        fail("/kernel",
             "unknown preset \"" + sc_.kernel + "\"; valid presets: " + join(preset_names()));
    }
    if (root.contains("policy")) load_policy(root["policy"]);
    if (!root.contains("memory")) fail("", "missing \"memory\" (the regions of the scenario)");
    load_memory(root["memory"]);
    if (!root.contains("processes")) fail("", "missing \"processes\"");
    load_processes(root["processes"]);
    if (root.contains("setup")) load_setup(root["setup"]);
    resolve_forks();
    resolve_handles();
    assign_values();
    load_check(root.contains("check") ? root["check"] : json("all"));
    if (root.contains("must_reach")) load_must_reach(root["must_reach"]);
    if (root.contains("expect")) load_expect(root["expect"]);
    check_limits();
    return std::move(sc_);
  }

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
    throw InputError(file_, pointer.empty() ? "/" : pointer, what);
  }

  json parse(const std::string& text) {
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
      fail("", "not valid JSON (line " + std::to_string(line) + ", column " +
                   std::to_string(column) +
                   "): " + (colon == std::string::npos ? what : what.substr(colon)));
    }
  }

  void expect_object(const json& j, const std::string& ptr) const {
    if (!j.is_object()) fail(ptr, "expected an object, got " + type_name(j));
  }
  void expect_array(const json& j, const std::string& ptr) const {
    if (!j.is_array()) fail(ptr, "expected an array, got " + type_name(j));
  }
  std::string string_at(const json& j, const std::string& ptr) const {
    if (!j.is_string()) fail(ptr, "expected a string, got " + type_name(j));
    return j.get<std::string>();
  }
  bool bool_at(const json& j, const std::string& ptr) const {
    if (!j.is_boolean()) fail(ptr, "expected true or false, got " + type_name(j));
    return j.get<bool>();
  }
  // An integer from lo to hi; `note` follows the range in the error. A number out of range is
  // reported as written: read by its own kind (unsigned, signed or float), never wrapped.
  long int_at(const json& j, const std::string& ptr, long lo, long hi,
              const std::string& note = "") const {
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
  std::string require_string(const json& j, const std::string& ptr, const char* key) const {
    if (!j.contains(key)) fail(ptr, std::string("missing \"") + key + "\"");
    return string_at(j[key], ptr + "/" + key);
  }
  void check_keys(const json& j, const std::string& ptr,
                  const std::vector<std::string>& valid) const {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (std::find(valid.begin(), valid.end(), it.key()) == valid.end())
        fail(ptr + "/" + escape_pointer(it.key()),
             "unknown key \"" + it.key() + "\"; valid keys here: " + join(valid));
    }
  }

  void load_policy(const json& j) {
    expect_object(j, "/policy");
    Policy scratch = find_preset("latest")->policy;
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string ptr = "/policy/" + escape_pointer(it.key());
      std::string value;
      if (it.value().is_boolean()) {
        value = it.value().get<bool>() ? "true" : "false";
      } else if (it.value().is_string()) {
        value = it.value().get<std::string>();
      } else {
        auto info = std::find_if(policy_infos().begin(), policy_infos().end(),
                                 [&](const PolicyInfo& p) { return p.name == it.key(); });
        if (info == policy_infos().end()) {
          if (auto err = set_policy(scratch, it.key(), "")) fail(ptr, *err);  // names the policies
        } else if (info->values == std::vector<std::string>{"true", "false"}) {
          fail(ptr, "policy " + it.key() + " takes true or false, got " + type_name(it.value()));
        } else {
          std::vector<std::string> quoted;
          for (const auto& v : info->values) quoted.push_back("\"" + v + "\"");
          fail(ptr, "policy " + it.key() + " takes one of: " + join(quoted) + ", got " +
                        type_name(it.value()));
        }
      }
      if (auto err = set_policy(scratch, it.key(), value)) fail(ptr, *err);
      sc_.policy_overrides.emplace_back(it.key(), value);
    }
  }

  void load_memory(const json& j) {
    expect_object(j, "/memory");
    if (j.empty()) fail("/memory", "expected at least one region");
    int next_page = 0;
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string ptr = "/memory/" + escape_pointer(it.key());
      if (!valid_identifier(it.key())) fail(ptr, identifier_rule("region", it.key()));
      const json& r = it.value();
      expect_object(r, ptr);
      check_keys(r, ptr, {"type", "pages", "words", "prot", "uffd_wp", "soft_dirty"});
      Region region;
      region.name = it.key();
      std::string type = r.contains("type") ? string_at(r["type"], ptr + "/type") : "anon";
      if (type != "anon" && type != "shmem")
        fail(ptr + "/type", "expected \"anon\" or \"shmem\", got \"" + type + "\"");
      region.shmem = type == "shmem";
      region.pages = static_cast<std::uint8_t>(
          r.contains("pages") ? int_at(r["pages"], ptr + "/pages", 1, kMaxPages) : 1);
      region.words = static_cast<std::uint8_t>(
          r.contains("words") ? int_at(r["words"], ptr + "/words", 1, kMaxWords) : 1);
      region.prot = r.contains("prot") ? prot_at(r["prot"], ptr + "/prot") : Prot::ReadWrite;
      if (r.contains("uffd_wp")) region.uffd_wp = bool_at(r["uffd_wp"], ptr + "/uffd_wp");
      if (r.contains("soft_dirty"))
        region.soft_dirty = bool_at(r["soft_dirty"], ptr + "/soft_dirty");
      region.first_page = static_cast<std::uint8_t>(next_page);
      next_page += region.pages;
      if (next_page > kMaxPages)
        fail(ptr + "/pages", "the scenario's regions hold more than " + std::to_string(kMaxPages) +
                                 " pages in all");
      sc_.regions.push_back(region);
    }
  }

  Prot prot_at(const json& j, const std::string& ptr) const {
    std::string p = string_at(j, ptr);
    if (p == "none") return Prot::None;
    if (p == "r") return Prot::Read;
    if (p == "rw") return Prot::ReadWrite;
    fail(ptr, "expected \"none\", \"r\" or \"rw\", got \"" + p + "\"");
  }

  void load_processes(const json& j) {
    expect_object(j, "/processes");
    if (j.empty()) fail("/processes", "expected at least one process");
    std::map<std::string, std::string> thread_where;
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string ptr = "/processes/" + escape_pointer(it.key());
      if (!valid_identifier(it.key())) fail(ptr, identifier_rule("process", it.key()));
      expect_object(it.value(), ptr);
      check_keys(it.value(), ptr, {"threads"});
      sc_.processes.push_back({it.key(), std::nullopt});
    }
    if (sc_.processes.size() > kMaxProcesses)
      fail("/processes", "at most " + std::to_string(kMaxProcesses) + " processes");
    // Threads after processes, so fork ops can name any process.
    std::uint8_t index = 0;
    for (auto it = j.begin(); it != j.end(); ++it, ++index) {
      std::string ptr = "/processes/" + escape_pointer(it.key());
      if (!it.value().contains("threads")) fail(ptr, "missing \"threads\"");
      const json& threads = it.value()["threads"];
      expect_object(threads, ptr + "/threads");
      for (auto t = threads.begin(); t != threads.end(); ++t) {
        std::string tptr = ptr + "/threads/" + escape_pointer(t.key());
        if (!valid_identifier(t.key())) fail(tptr, identifier_rule("thread", t.key()));
        if (thread_where.count(t.key()))
          fail(tptr, "thread name \"" + t.key() + "\" is already used at " + thread_where[t.key()] +
                         " (each thread is a CPU: names are unique across processes)");
        thread_where[t.key()] = tptr;
        sc_.threads.push_back({t.key(), index, {}});
      }
    }
    if (sc_.threads.empty()) fail("/processes", "expected at least one thread");
    if (sc_.threads.size() > kMaxThreads)
      fail("/processes", "at most " + std::to_string(kMaxThreads) + " threads (CPUs) in all");
    std::size_t t_index = 0;
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string ptr = "/processes/" + escape_pointer(it.key()) + "/threads";
      const json& threads = it.value()["threads"];
      for (auto t = threads.begin(); t != threads.end(); ++t, ++t_index) {
        std::string tptr = ptr + "/" + escape_pointer(t.key());
        expect_array(t.value(), tptr);
        if (t.value().size() > 200) fail(tptr, "at most 200 ops per thread");
        for (std::size_t i = 0; i < t.value().size(); ++i)
          sc_.threads[t_index].ops.push_back(load_op(t.value()[i], tptr + "/" + std::to_string(i),
                                                     false, sc_.threads[t_index].process));
      }
    }
  }

  void load_setup(const json& j) {
    expect_array(j, "/setup");
    for (std::size_t i = 0; i < j.size(); ++i) {
      std::string ptr = "/setup/" + std::to_string(i);
      expect_object(j[i], ptr);
      std::string name = require_string(j[i], ptr, "thread");
      auto it = std::find_if(sc_.threads.begin(), sc_.threads.end(),
                             [&](const Thread& t) { return t.name == name; });
      if (it == sc_.threads.end()) {
        std::vector<std::string> names;
        for (const auto& t : sc_.threads) names.push_back(t.name);
        fail(ptr + "/thread", "unknown thread \"" + name + "\"; threads: " + join(names));
      }
      auto thread = static_cast<std::uint8_t>(it - sc_.threads.begin());
      sc_.setup.push_back({thread, load_op(j[i], ptr, true, it->process)});
    }
  }

  // Parses "A" or "A+1" into a global page number.
  int address_at(const json& j, const std::string& ptr, int pages,
                 int* region_index = nullptr) const {
    std::string text = string_at(j, ptr);
    std::string name = text;
    // The offset saturates at kMaxPages + 1: any larger offset is outside every region anyway,
    // and neither parsing nor offset + pages can overflow.
    int offset = 0;
    auto plus = text.find('+');
    if (plus != std::string::npos) {
      name = text.substr(0, plus);
      std::string digits = text.substr(plus + 1);
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit))
        fail(
            ptr,
            "an address is a region name with an optional +N page offset (\"A\", \"A+1\"), got \"" +
                text + "\"");
      for (char d : digits) offset = std::min(offset * 10 + (d - '0'), kMaxPages + 1);
    }
    for (std::size_t r = 0; r < sc_.regions.size(); ++r) {
      const Region& region = sc_.regions[r];
      if (region.name != name) continue;
      if (offset >= region.pages || pages > region.pages - offset)
        fail(ptr, "\"" + text + "\"" +
                      (pages > 1 ? " with " + std::to_string(pages) + " pages" : "") +
                      " is outside region " + name + " (" + std::to_string(region.pages) + " page" +
                      (region.pages > 1 ? "s" : "") + ")");
      if (region_index) *region_index = static_cast<int>(r);
      return region.first_page + offset;
    }
    std::vector<std::string> names;
    for (const auto& r : sc_.regions) names.push_back(r.name);
    fail(ptr, "unknown region \"" + name + "\"; regions: " + join(names));
  }

  // The op as traces show it ("write A.1=3", "pin A write as p", "fork C"), from its fields;
  // records the handle names it takes ("as") or uses ("pin").
  std::string op_text(const OpDescriptor& spec, const std::string& name, const json& j,
                      const std::string& ptr, const Op& op, int region,
                      const std::string& addr_text, const std::string& word_text,
                      const std::string& range_text, const std::optional<json>& handle_word) {
    auto need = [&](const char* key) {
      if (!j.contains(key)) fail(ptr, std::string("op \"") + name + "\" needs \"" + key + "\"");
      return j[key];
    };
    if (has_field(spec, "child")) return name + " " + string_at(need("child"), ptr + "/child");
    if (has_field(spec, "as")) {
      std::string as = string_at(need("as"), ptr + "/as");
      if (!valid_identifier(as)) fail(ptr + "/as", identifier_rule("handle", as));
      // A handle name is taken by exactly one pin or get in the whole scenario (setup
      // included), even after an unpin or put: each name is one slot of the state, and a
      // second pin/get under the same name would silently share, and overwrite, the first's.
      for (const HandleUse& use : handle_uses_)
        if (use.defines && use.name == as)
          fail(ptr + "/as", "handle \"" + as + "\" is already taken at " + use.pointer +
                                " (each pin or get takes a handle name of its own)");
      handle_uses_.push_back({as, ptr + "/as", true, region, std::nullopt});
      return name + " " + addr_text + (op.write ? " write" : "") + " as " + as;
    }
    if (has_field(spec, "pin")) {
      std::string pin = string_at(need("pin"), ptr + "/pin");
      handle_uses_.push_back({pin, ptr + "/pin", false, -1, handle_word});
      return name + " " + pin + word_text;
    }
    if (has_field(spec, "kind"))
      return name + " " + addr_text + (op.ref_kind == RefKind::Io ? " io" : "");
    if (has_field(spec, "prot"))
      return name + " " + addr_text + range_text + " " +
             (op.prot == Prot::None   ? "none"
              : op.prot == Prot::Read ? "r"
                                      : "rw");
    return name + (addr_text.empty() ? "" : " " + addr_text) + range_text + word_text;
  }

  Op load_op(const json& j, const std::string& ptr, bool in_setup, std::uint8_t /*process*/) {
    expect_object(j, ptr);
    std::string name = require_string(j, ptr, "op");
    const OpDescriptor* spec = find_op(name);
    if (!spec) fail(ptr + "/op", "unknown op \"" + name + "\"; valid ops: " + join(op_names()));
    std::vector<std::string> valid = {"op"};
    if (in_setup) valid.push_back("thread");
    for (const std::string& f : spec->fields) valid.push_back(f);
    check_keys(j, ptr, valid);
    Op op;
    op.kind = spec->kind;
    op.pointer = ptr;
    auto need = [&](const char* key) {
      if (!j.contains(key)) fail(ptr, std::string("op \"") + name + "\" needs \"" + key + "\"");
      return j[key];
    };
    int pages = 1;
    if (j.contains("pages"))
      pages = static_cast<int>(int_at(j["pages"], ptr + "/pages", 1, kMaxPages));
    op.pages = static_cast<std::uint8_t>(pages);
    int region = 0;
    bool has_addr = has_field(*spec, "addr");
    if (has_addr)
      op.page = static_cast<std::uint8_t>(address_at(need("addr"), ptr + "/addr", pages, &region));
    std::string addr_text = has_addr ? j["addr"].get<std::string>() : "";
    std::optional<json>
        handle_word;  // pin_read/pin_write: checked once the handle's region is known
    if (j.contains("word")) {
      if (has_addr) {
        op.word = static_cast<std::uint8_t>(
            int_at(j["word"], ptr + "/word", 0, sc_.regions[region].words - 1));
      } else {
        handle_word = j["word"];
        if (j["word"].is_number_unsigned() && j["word"].get<std::uint64_t>() < kMaxWords)
          op.word = static_cast<std::uint8_t>(j["word"].get<std::uint64_t>());
      }
    }
    if (j.contains("value")) {
      op.value = static_cast<std::uint8_t>(int_at(j["value"], ptr + "/value", 0, 255));
      explicit_values_.insert(op.value);
    } else if (spec->stores) {
      needs_fresh_.push_back(ptr);
    }
    if (j.contains("write")) op.write = bool_at(j["write"], ptr + "/write");
    if (has_field(*spec, "prot")) op.prot = prot_at(need("prot"), ptr + "/prot");
    if (j.contains("mode")) {
      std::string mode = string_at(j["mode"], ptr + "/mode");
      if (mode != "wp")
        fail(ptr + "/mode", "only \"wp\" registration is modelled (got \"" + mode + "\")");
    }
    if (j.contains("kind")) {
      std::string kind = string_at(j["kind"], ptr + "/kind");
      if (kind == "lru")
        op.ref_kind = RefKind::Lru;
      else if (kind == "io")
        op.ref_kind = RefKind::Io;
      else
        fail(ptr + "/kind", "expected \"lru\" or \"io\", got \"" + kind + "\"");
    }
    std::string word_text = j.contains("word") && op.word != 0 ? "." + std::to_string(op.word) : "";
    std::string range_text = pages > 1 ? "..+" + std::to_string(pages) : "";
    op.text =
        op_text(*spec, name, j, ptr, op, region, addr_text, word_text, range_text, handle_word);
    return op;
  }

  // Fork ops name their children: each child is forked by exactly one op, never a root.
  void resolve_forks() {
    std::map<std::string, std::string> forked_at;
    auto fix = [&](Op& op, std::uint8_t parent, const std::string& child, const std::string& ptr,
                   std::uint8_t thread) {
      auto it = std::find_if(sc_.processes.begin(), sc_.processes.end(),
                             [&](const Process& p) { return p.name == child; });
      if (it == sc_.processes.end()) {
        std::vector<std::string> names;
        for (const auto& p : sc_.processes) names.push_back(p.name);
        fail(ptr, "fork names process \"" + child +
                      "\", which is not declared under \"processes\" (declared: " + join(names) +
                      ")");
      }
      if (forked_at.count(child))
        fail(ptr, "process \"" + child + "\" is already forked at " + forked_at[child]);
      auto index = static_cast<std::uint8_t>(it - sc_.processes.begin());
      if (index == parent) fail(ptr, "a process cannot fork itself");
      forked_at[child] = ptr;
      op.child = index;
      it->forked_by_thread = thread;
    };
    for (std::size_t s = 0; s < sc_.setup.size(); ++s) {
      Op& op = sc_.setup[s].op;
      if (!has_field(op_descriptor(op.kind), "child")) continue;
      fix(op, sc_.threads[sc_.setup[s].thread].process, child_name(op), op.pointer + "/child",
          sc_.setup[s].thread);
    }
    for (std::size_t t = 0; t < sc_.threads.size(); ++t)
      for (Op& op : sc_.threads[t].ops)
        if (has_field(op_descriptor(op.kind), "child"))
          fix(op, sc_.threads[t].process, child_name(op), op.pointer + "/child",
              static_cast<std::uint8_t>(t));
    // A forked process must not be an ancestor of its forking process.
    for (std::size_t p = 0; p < sc_.processes.size(); ++p) {
      std::set<std::size_t> seen;
      std::size_t cur = p;
      while (sc_.processes[cur].forked_by_thread) {
        if (!seen.insert(cur).second)
          fail("/processes/" + sc_.processes[p].name,
               "the fork ops form a cycle: a process forks its own ancestor");
        cur = sc_.threads[*sc_.processes[cur].forked_by_thread].process;
      }
    }
  }

  std::string child_name(const Op& op) const {  // "fork C"
    return op.text.substr(op.text.find(' ') + 1);
  }

  void resolve_handles() {
    std::vector<std::string> names;
    for (const auto& use : handle_uses_)
      if (use.defines && std::find(names.begin(), names.end(), use.name) == names.end())
        names.push_back(use.name);
    for (const auto& use : handle_uses_)
      if (!use.defines && std::find(names.begin(), names.end(), use.name) == names.end())
        fail(use.pointer, "no pin or get takes a handle named \"" + use.name + "\"" +
                              (names.empty() ? "" : "; handles: " + join(names)));
    sc_.handle_names = names;
    // pin_read/pin_write: "word" indexes the words of the region the handle was taken on.
    for (const auto& use : handle_uses_) {
      if (!use.word) continue;
      auto def = std::find_if(handle_uses_.begin(), handle_uses_.end(),
                              [&](const HandleUse& d) { return d.defines && d.name == use.name; });
      const Region& region = sc_.regions[def->region];
      std::string ptr = use.pointer.substr(0, use.pointer.rfind('/')) + "/word";
      int_at(*use.word, ptr, 0, region.words - 1,
             " (handle \"" + use.name + "\" is on region " + region.name + ", which has " +
                 std::to_string(region.words) + " word" + (region.words > 1 ? "s" : "") + ")");
    }
    auto slot_of = [&](const std::string& n) {
      return static_cast<std::uint8_t>(std::find(names.begin(), names.end(), n) - names.begin());
    };
    std::uint8_t next_extra = static_cast<std::uint8_t>(names.size());
    auto fix = [&](Op& op) {
      const OpDescriptor& d = op_descriptor(op.kind);
      if (has_field(d, "as")) {
        op.handle = slot_of(op.text.substr(op.text.rfind(" as ") + 4));
      } else if (has_field(d, "pin")) {
        std::string rest = op.text.substr(op.text.find(' ') + 1);
        op.handle = slot_of(rest.substr(0, rest.find('.')));
      } else if (d.extra_handle) {
        op.handle = next_extra++;
        sc_.handle_names.push_back("");
      }
    };
    for (SetupOp& s : sc_.setup) fix(s.op);
    for (Thread& t : sc_.threads)
      for (Op& op : t.ops) fix(op);
    if (sc_.handle_names.size() > kMaxHandles)
      fail("/processes",
           "at most " + std::to_string(kMaxHandles) + " pin/get handles and extra_refs in all");
  }

  // Every stored value gets a dense index for the ghost state; writes without a value get a
  // fresh one, unique in the scenario.
  void assign_values() {
    std::set<int> used(explicit_values_.begin(), explicit_values_.end());
    int next = 1;
    auto fresh = [&](const std::string& ptr) {
      while (used.count(next)) ++next;
      if (next > 255) fail(ptr, "no fresh value left for this store (values are 0-255)");
      used.insert(next);
      return static_cast<std::uint8_t>(next);
    };
    auto fix = [&](Op& op) {
      if (!op_descriptor(op.kind).stores) return;
      bool fresh_value =
          std::find(needs_fresh_.begin(), needs_fresh_.end(), op.pointer) != needs_fresh_.end();
      if (fresh_value) op.value = fresh(op.pointer);
      op.text += "=" + std::to_string(op.value);
      if (std::find(sc_.values.begin(), sc_.values.end(), op.value) == sc_.values.end()) {
        if (sc_.values.size() == kMaxValues)
          fail(fresh_value ? op.pointer : op.pointer + "/value",
               (fresh_value ? "this store has no \"value\", so it stores a fresh one (" +
                                  std::to_string(op.value) + "), the "
                            : "value " + std::to_string(op.value) + " is the ") +
                   std::to_string(kMaxValues + 1) + "th distinct stored value; at most " +
                   std::to_string(kMaxValues) + " distinct stored values in a scenario");
        sc_.values.push_back(op.value);
      }
    };
    for (SetupOp& s : sc_.setup) fix(s.op);
    for (Thread& t : sc_.threads)
      for (Op& op : t.ops) fix(op);
  }

  void load_check(const json& j) {
    if (j.is_string()) {
      if (j.get<std::string>() != "all")
        fail("/check", "expected \"all\" or a list of invariants; valid invariants: " +
                           join(invariant_names()));
      sc_.check = invariant_names();
      return;
    }
    expect_array(j, "/check");
    std::set<std::string> chosen;
    for (std::size_t i = 0; i < j.size(); ++i) {
      std::string name = string_at(j[i], "/check/" + std::to_string(i));
      if (!find_invariant(name))
        fail("/check/" + std::to_string(i),
             "unknown invariant \"" + name + "\"; valid invariants: " + join(invariant_names()));
      chosen.insert(name);
    }
    if (chosen.empty()) fail("/check", "expected at least one invariant");
    for (const std::string& name : invariant_names())
      if (chosen.count(name)) sc_.check.push_back(name);
  }

  std::vector<std::string> step_list(const json& j, const std::string& ptr) const {
    expect_array(j, ptr);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
      std::string item_ptr = ptr + "/" + std::to_string(i);
      std::string name = string_at(j[i], item_ptr);
      bool known = false;
      for (const std::string& step : step_names())
        if (step == name || (name.find('.') == std::string::npos && step.rfind(name + ".", 0) == 0))
          known = true;
      if (!known) {
        std::set<std::string> families;
        for (const std::string& step : step_names())
          families.insert(step.substr(0, step.find('.')));
        fail(item_ptr, "unknown kernel step \"" + name + "\"; valid steps: " + join(step_names()) +
                           " (or a function name alone: " +
                           join(std::vector<std::string>(families.begin(), families.end())) + ")");
      }
      out.push_back(name);
    }
    return out;
  }

  void load_must_reach(const json& j) {
    if (j.is_array()) {
      sc_.must_reach = step_list(j, "/must_reach");
      return;
    }
    if (!j.is_object())
      fail("/must_reach", "expected a list of kernel steps, or an object mapping presets to lists");
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string ptr = "/must_reach/" + escape_pointer(it.key());
      if (!find_preset(it.key()))
        fail(ptr, "unknown preset \"" + it.key() + "\"; valid presets: " + join(preset_names()));
      sc_.must_reach_by_preset[it.key()] = step_list(it.value(), ptr);
    }
  }

  void load_expect(const json& j) {
    expect_object(j, "/expect");
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string ptr = "/expect/" + escape_pointer(it.key());
      if (!find_preset(it.key()))
        fail(ptr, "unknown preset \"" + it.key() + "\"; valid presets: " + join(preset_names()));
      const json& v = it.value();
      Expectation e;
      if (v.is_string()) {
        std::string s = v.get<std::string>();
        if (s == "holds")
          e.outcome = Outcome::Holds;
        else if (s == "deadlock")
          e.outcome = Outcome::Deadlock;
        else if (s == "unsupported")
          e.outcome = Outcome::Unsupported;
        else
          fail(ptr,
               "expected \"holds\", \"deadlock\", \"unsupported\" or {\"violates\": NAME}, got \"" +
                   s + "\"");
        if (e.outcome == Outcome::Deadlock &&
            std::find(sc_.check.begin(), sc_.check.end(), "no_deadlock") == sc_.check.end())
          fail(ptr, "expects a deadlock, but \"check\" does not list no_deadlock");
      } else if (v.is_object()) {
        check_keys(v, ptr, {"violates"});
        if (!v.contains("violates")) fail(ptr, "expected {\"violates\": NAME}");
        e.outcome = Outcome::Violates;
        e.invariant = string_at(v["violates"], ptr + "/violates");
        if (!find_invariant(e.invariant))
          fail(ptr + "/violates", "unknown invariant \"" + e.invariant +
                                      "\"; valid invariants: " + join(invariant_names()));
        if (std::find(sc_.check.begin(), sc_.check.end(), e.invariant) == sc_.check.end())
          fail(ptr + "/violates",
               "expects a violation of " + e.invariant +
                   ", which \"check\" does not list (checked: " + join(sc_.check) + ")");
      } else {
        fail(ptr,
             "expected \"holds\", \"deadlock\", \"unsupported\" or {\"violates\": NAME}, got " +
                 type_name(v));
      }
      sc_.expect[it.key()] = e;
    }
  }

  void check_limits() {
    int pages = sc_.page_count();
    int needed = pages * (static_cast<int>(sc_.processes.size()) + 1) +
                 static_cast<int>(sc_.threads.size()) + 1;
    if (needed > kMaxFrames)
      fail("/memory", "too large: pages x (processes + 1) + threads must stay within " +
                          std::to_string(kMaxFrames) + " page frames");
  }

  struct HandleUse {
    std::string name;
    std::string pointer;       // of "as" (defines) or "pin"
    bool defines;              // a pin/get taking the handle
    int region;                // defines: the region of its "addr"
    std::optional<json> word;  // pin_read/pin_write: its "word"
  };

  std::string file_;
  Scenario sc_;
  std::vector<HandleUse> handle_uses_;
  std::set<std::uint8_t> explicit_values_;
  std::vector<std::string> needs_fresh_;
};

}  // namespace

const Region& Scenario::region_of(int page) const {
  for (const Region& r : regions)
    if (page >= r.first_page && page < r.first_page + r.pages) return r;
  MM_ASSERT(false, "a page outside every region");
  return regions.front();
}

std::string Scenario::page_name(int page) const {
  const Region& r = region_of(page);
  int offset = page - r.first_page;
  return offset == 0 ? r.name : r.name + "+" + std::to_string(offset);
}

std::vector<std::string> Scenario::must_reach_for(const std::string& preset) const {
  auto it = must_reach_by_preset.find(preset);
  if (it != must_reach_by_preset.end()) return it->second;
  return must_reach;
}

const char* op_name(OpKind kind) { return op_descriptor(kind).names.front().c_str(); }

std::vector<std::string> op_names() {
  std::vector<std::string> out;
  for (const OpDescriptor* d : op_registry())
    for (const std::string& name : d->names) out.push_back(name);
  return out;
}

Scenario parse_scenario(const std::string& text, const std::string& file) {
  return Loader(file).load(text);
}

Scenario load_scenario(const std::string& path) {
  // An ifstream opens a directory and reads nothing from it: say so rather than "not valid JSON".
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, "", "cannot read it: it is a directory, not a scenario file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot read the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "cannot read the file");
  return parse_scenario(buffer.str(), path);
}

}  // namespace mmcheck::vm
