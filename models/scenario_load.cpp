// Reading a scenario file (the README's "Scenario files"): JSON with comments, validated completely
// before anything is explored. Every error names the file, the JSON pointer of the offending value,
// what was expected and, where there is a list, the valid names.
#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "checker/sha256.hpp"
#include "models/json_reader.hpp"
#include "models/ops/op.hpp"
#include "models/scenario.hpp"
#include "models/scenario_ops.hpp"
#include "models/suggest.hpp"
#include "models/vm_model.hpp"

namespace mmcheck::vm {

namespace {

class Loader : JsonReader {
 public:
  Loader(std::string file, const std::vector<std::string>& invariants)
      : JsonReader(std::move(file)), invariants_(invariants) {
    sc_.file = file_;
  }

  Scenario load(const std::string& text) {
    json root = parse(text);
    sc_.sha256 = sha256_hex(text);
    expect_object(root, "");
    not_a_trace(root);
    check_keys(root, "",
               {"$schema", "name", "summary", "references", "kernel", "policy", "memory",
                "processes", "setup", "outcomes", "check", "must_reach", "expect"});
    if (root.contains("$schema")) string_at(root["$schema"], "/$schema");  // for editors only
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
        fail("/kernel", "unknown preset \"" + sc_.kernel + "\"" +
                            did_you_mean(sc_.kernel, preset_names()) +
                            "; valid presets: " + join(preset_names()));
    }
    if (root.contains("policy")) load_policy(root["policy"]);
    if (!root.contains("memory")) fail("", "missing \"memory\" (the regions of the scenario)");
    load_memory(root["memory"]);
    if (!root.contains("processes")) fail("", "missing \"processes\"");
    load_processes(root["processes"]);
    if (root.contains("setup")) load_setup(root["setup"]);
    ops_.resolve_forks();
    ops_.resolve_handles();
    ops_.assign_values();
    if (root.contains("outcomes")) load_outcomes(*this, root["outcomes"], sc_);
    check_private_views();
    load_check(root.contains("check") ? root["check"] : json("all"));
    if (root.contains("must_reach")) load_must_reach(root["must_reach"]);
    if (root.contains("expect")) load_expect(root["expect"]);
    check_limits();
    sc_.meaning_sha256 = sha256_hex(scenario_meaning_json(root).dump());
    sc_.text = text;
    return std::move(sc_);
  }

 private:
  // A trace or a report given where a scenario is expected says what it is and what reads it.
  void not_a_trace(const json& root) const {
    auto format = root.find("format");
    if (format != root.end() && format->is_string() &&
        format->get<std::string>().rfind("mmcheck-trace", 0) == 0)
      fail("", "this is a trace (" + format->get<std::string>() +
                   "), not a scenario: use mmcheck replay " + file_ + " (or mmcheck explain)");
    if (root.contains("verdict") && root.contains("scenario") && root["scenario"].is_object())
      fail("",
           "this is a report (check --json output), not a scenario: the scenario it checked is " +
               root["scenario"].value("file", std::string("named in its \"scenario\"")));
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
      check_keys(r, ptr,
                 {"type", "pages", "words", "prot", "uffd_wp", "soft_dirty", "misplaced", "private",
                  "file"});
      Region region;
      region.name = it.key();
      std::string type = r.contains("type") ? string_at(r["type"], ptr + "/type") : "anon";
      if (type != "anon" && type != "shmem" && type != "file")
        fail(ptr + "/type", "expected \"anon\", \"shmem\" or \"file\", got \"" + type + "\"");
      region.shmem = type != "anon";
      region.page_mkwrite = type == "file";
      region.pages = static_cast<std::uint8_t>(
          r.contains("pages") ? int_at(r["pages"], ptr + "/pages", 1, kMaxPages) : 1);
      region.words = static_cast<std::uint8_t>(
          r.contains("words") ? int_at(r["words"], ptr + "/words", 1, kMaxWords) : 1);
      region.prot = r.contains("prot") ? ops_.prot_at(r["prot"], ptr + "/prot") : Prot::ReadWrite;
      if (r.contains("uffd_wp")) region.uffd_wp = bool_at(r["uffd_wp"], ptr + "/uffd_wp");
      if (r.contains("soft_dirty"))
        region.soft_dirty = bool_at(r["soft_dirty"], ptr + "/soft_dirty");
      if (r.contains("misplaced")) region.misplaced = bool_at(r["misplaced"], ptr + "/misplaced");
      region.first_page = static_cast<std::uint8_t>(next_page);
      region.file_page = region.first_page;
      load_private_view(r, ptr, region);
      next_page += region.pages;
      if (next_page > kMaxPages)
        fail(ptr + "/pages", "the scenario's regions hold more than " + std::to_string(kMaxPages) +
                                 " pages in all");
      sc_.regions.push_back(region);
    }
  }

  // "private" and "file": a MAP_PRIVATE view of a shmem or regular file, its own or that of an
  // earlier shared region of the same type and size (both views then share the page cache).
  void load_private_view(const json& r, const std::string& ptr, Region& region) {
    if (r.contains("private")) region.private_map = bool_at(r["private"], ptr + "/private");
    if (region.private_map && !region.shmem)
      fail(ptr + "/private",
           "only a \"shmem\" or \"file\" region can be private (a private anonymous region is "
           "type \"anon\")");
    if (region.private_map && region.uffd_wp)
      fail(ptr + "/uffd_wp", "uffd-wp on a private file mapping is not modelled");
    if (!r.contains("file")) return;
    std::string name = string_at(r["file"], ptr + "/file");
    if (!region.private_map)
      fail(ptr + "/file",
           "only a private region (\"private\": true) names the file it maps; "
           "two shared views of one file are not modelled");
    std::vector<std::string> names;
    for (const Region& other : sc_.regions) names.push_back(other.name);
    auto it = std::find_if(sc_.regions.begin(), sc_.regions.end(),
                           [&](const Region& other) { return other.name == name; });
    if (it == sc_.regions.end())
      fail(ptr + "/file", "\"" + name + "\" is not a region declared before this one" +
                              did_you_mean(name, names) + "; declared: " + join(names));
    std::string type = region.page_mkwrite ? "file" : "shmem";
    if (!it->shmem || it->page_mkwrite != region.page_mkwrite || it->private_map)
      fail(ptr + "/file", "region \"" + name + "\" is not a shared \"" + type + "\" region");
    if (it->pages != region.pages || it->words != region.words)
      fail(ptr + "/file", "region \"" + name + "\" has " + std::to_string(it->pages) +
                              " pages of " + std::to_string(it->words) +
                              " words; a view of its file must have the same");
    region.file_page = it->first_page;
  }

  // What the model supports on a private view: loads and stores, pagemap, mprotect, munmap,
  // minor-fault registration and UFFDIO_CONTINUE. Anything else (GUP, NUMA, migration,
  // MADV_DONTNEED, uffd-wp, missing faults, UFFDIO_COPY, fork) is not modelled there.
  void check_private_views() const {
    std::uint32_t private_pages = 0;
    for (const Region& r : sc_.regions)
      if (r.private_map) private_pages |= ((1u << r.pages) - 1) << r.first_page;
    if (private_pages == 0) return;
    auto check = [&](const Op& op) {
      if (op.kind == OpKind::Fork)
        fail(op.pointer, "fork in a scenario with a private region is not modelled");
      const std::vector<std::string>& fields = op_descriptor(op.kind).fields;
      if (std::find(fields.begin(), fields.end(), "addr") == fields.end()) return;
      if (((((1u << op.pages) - 1) << op.page) & private_pages) == 0) return;
      switch (op.kind) {
        case OpKind::Read:
        case OpKind::Write:
        case OpKind::Pagemap:
        case OpKind::Mprotect:
        case OpKind::UffdioContinue:
        case OpKind::Munmap:
          return;
        case OpKind::UffdRegister:
          if (op.minor && !op.missing && !op.wp_mode) return;
          fail(op.pointer + "/mode",
               "a private region registers in mode \"minor\" only "
               "(missing and wp faults there are not modelled)");
        default:
          fail(op.pointer, std::string(op_name(op.kind)) + " on a private region is not modelled");
      }
    };
    for (const SetupOp& op : sc_.setup) check(op.op);
    for (const Thread& t : sc_.threads)
      for (const Op& op : t.ops) check(op);
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
        if (t.value().size() > kMaxOpsPerThread)
          fail(tptr, "at most " + std::to_string(kMaxOpsPerThread) + " ops per thread");
        for (std::size_t i = 0; i < t.value().size(); ++i)
          sc_.threads[t_index].ops.push_back(ops_.load_op(
              t.value()[i], tptr + "/" + std::to_string(i), false, sc_.threads[t_index].process));
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
        fail(ptr + "/thread", "unknown thread \"" + name + "\"" + did_you_mean(name, names) +
                                  "; threads: " + join(names));
      }
      auto thread = static_cast<std::uint8_t>(it - sc_.threads.begin());
      sc_.setup.push_back({thread, ops_.load_op(j[i], ptr, true, it->process)});
    }
  }

  void load_check(const json& j) {
    if (j.is_string()) {
      if (j.get<std::string>() != "all")
        fail("/check", "expected \"all\" or a list of invariants" +
                           did_you_mean(j.get<std::string>(), {"all"}) +
                           "; valid invariants: " + join(invariants_));
      sc_.check = invariants_;
      return;
    }
    expect_array(j, "/check");
    std::set<std::string> chosen;
    for (std::size_t i = 0; i < j.size(); ++i) {
      std::string name = string_at(j[i], "/check/" + std::to_string(i));
      if (!known_invariant(name))
        fail("/check/" + std::to_string(i), "unknown invariant \"" + name + "\"" +
                                                did_you_mean(name, invariants_) +
                                                "; valid invariants: " + join(invariants_));
      chosen.insert(name);
    }
    if (chosen.empty()) fail("/check", "expected at least one invariant");
    for (const std::string& name : invariants_)
      if (chosen.count(name)) sc_.check.push_back(name);
  }

  bool known_invariant(const std::string& name) const {
    return std::find(invariants_.begin(), invariants_.end(), name) != invariants_.end();
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
        std::vector<std::string> candidates = step_names();
        candidates.insert(candidates.end(), families.begin(), families.end());
        fail(item_ptr, "unknown kernel step \"" + name + "\"" + did_you_mean(name, candidates) +
                           "; valid steps: " + join(step_names()) + " (or a function name alone: " +
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
        fail(ptr, "unknown preset \"" + it.key() + "\"" + did_you_mean(it.key(), preset_names()) +
                      "; valid presets: " + join(preset_names()));
      sc_.must_reach_by_preset[it.key()] = step_list(it.value(), ptr);
    }
  }

  void load_expect(const json& j) {
    expect_object(j, "/expect");
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string ptr = "/expect/" + escape_pointer(it.key());
      if (!find_preset(it.key()))
        fail(ptr, "unknown preset \"" + it.key() + "\"" + did_you_mean(it.key(), preset_names()) +
                      "; valid presets: " + join(preset_names()));
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
        if (!known_invariant(e.invariant))
          fail(ptr + "/violates", "unknown invariant \"" + e.invariant + "\"" +
                                      did_you_mean(e.invariant, invariants_) +
                                      "; valid invariants: " + join(invariants_));
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

  const std::vector<std::string>& invariants_;
  Scenario sc_;
  OpLoader ops_{file_, sc_};
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

Scenario parse_scenario(const std::string& text, const std::string& file,
                        const std::vector<std::string>& invariants) {
  try {
    return Loader(file, invariants).load(text);
  } catch (const nlohmann::json::exception& e) {
    // The loader checks every type before reading a value; should a value still escape that,
    // it is bad input in this file, never a crash.
    throw InputError(file, "", std::string("cannot read the scenario: ") + e.what());
  }
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& invariants) {
  return parse_scenario(JsonReader(path).read_file("scenario"), path, invariants);
}

}  // namespace mmcheck::vm
