// Reading a scenario's ops (models/scenario_ops.hpp).
#include "models/scenario_ops.hpp"

#include <algorithm>
#include <map>

#include "models/op_fields.hpp"
#include "models/suggest.hpp"

namespace mmcheck::vm {

namespace {

// The op of a name in a scenario file (its descriptor), or nullptr.
const OpDescriptor* find_op(const std::string& name) {
  for (const OpDescriptor* d : op_registry())
    if (std::find(d->names.begin(), d->names.end(), name) != d->names.end()) return d;
  return nullptr;
}

}  // namespace

Prot OpLoader::prot_at(const json& j, const std::string& ptr) const {
  return static_cast<Prot>(choice_at(j, ptr, kProtNames));  // in the order of enum Prot
}

std::size_t OpLoader::choice_at(const json& j, const std::string& ptr,
                                const std::vector<std::string>& choices) const {
  std::string got = string_at(j, ptr);
  auto it = std::find(choices.begin(), choices.end(), got);
  if (it != choices.end()) return static_cast<std::size_t>(it - choices.begin());
  std::vector<std::string> quoted;
  for (const std::string& c : choices) quoted.push_back("\"" + c + "\"");
  fail(ptr,
       "expected one of " + join(quoted) + ", got \"" + got + "\"" + did_you_mean(got, choices));
}

// Parses "A" or "A+1" into a global page number.
int OpLoader::address_at(const json& j, const std::string& ptr, int pages,
                         int* region_index) const {
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
      fail(ptr,
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
  fail(ptr,
       "unknown region \"" + name + "\"" + did_you_mean(name, names) + "; regions: " + join(names));
}

// The op as traces show it ("write A.1=3", "pin A write as p", "fork C"), from its fields;
// records the handle names it takes ("as") or uses ("pin").
std::string OpLoader::op_text(const OpDescriptor& spec, const std::string& name, const json& j,
                              const std::string& ptr, Op& op, int region,
                              const std::string& addr_text, const std::string& word_text,
                              const std::string& range_text,
                              const std::optional<json>& handle_word) {
  auto need = [&](const char* key) {
    if (!j.contains(key)) fail(ptr, std::string("op \"") + name + "\" needs \"" + key + "\"");
    return j[key];
  };
  if (spec.has("child")) {
    op.child_name = string_at(need("child"), ptr + "/child");
    return name + " " + op.child_name;
  }
  if (spec.has("as")) {
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
    op.handle_name = as;
    return name + " " + addr_text + (op.write ? " write" : "") + " as " + as;
  }
  if (spec.has("pin")) {
    std::string pin = string_at(need("pin"), ptr + "/pin");
    handle_uses_.push_back({pin, ptr + "/pin", false, -1, handle_word});
    op.handle_name = pin;
    return name + " " + pin + word_text;
  }
  if (spec.has("kind")) return name + " " + addr_text + (op.ref_kind == RefKind::Io ? " io" : "");
  if (spec.has("prot"))
    return name + " " + addr_text + range_text + " " +
           (op.prot == Prot::None   ? "none"
            : op.prot == Prot::Read ? "r"
                                    : "rw");
  std::string features = op.wp_async ? " wp_async" : (op.wp_unpopulated ? " wp_unpopulated" : "");
  // pagemap_scan's PM_SCAN_WP_MATCHING ("wp"); UFFDIO_COPY's mode is left out of its text.
  if (op.wp && spec.kind == OpKind::PagemapScan) features = " wp";
  return name + (addr_text.empty() ? "" : " " + addr_text) + range_text + word_text + features;
}

Op OpLoader::load_op(const json& j, const std::string& ptr, bool in_setup,
                     std::uint8_t /*process*/) {
  expect_object(j, ptr);
  std::string name = require_string(j, ptr, "op");
  const OpDescriptor* spec = find_op(name);
  if (!spec)
    fail(ptr + "/op", "unknown op \"" + name + "\"" + did_you_mean(name, op_names()) +
                          "; valid ops: " + join(op_names()));
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
  bool has_addr = spec->has("addr");
  if (has_addr)
    op.page = static_cast<std::uint8_t>(address_at(need("addr"), ptr + "/addr", pages, &region));
  std::string addr_text = has_addr ? j["addr"].get<std::string>() : "";
  if (spec->has("src")) {  // uffdio_move: one page, another than "addr"
    op.src = static_cast<std::uint8_t>(address_at(need("src"), ptr + "/src", 1, nullptr));
    if (op.src == op.page)
      fail(ptr + "/src", "\"src\" is the page \"addr\" names: UFFDIO_MOVE needs two pages");
    addr_text += " " + j["src"].get<std::string>();
  }
  std::optional<json> handle_word;  // pin_read/pin_write: checked once the handle's region is known
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
    op.value = static_cast<std::uint8_t>(int_at(j["value"], ptr + "/value", 0, kMaxValue));
    explicit_values_.insert(op.value);
  } else if (spec->stores) {
    needs_fresh_.push_back(ptr);
  }
  if (j.contains("write")) op.write = bool_at(j["write"], ptr + "/write");
  if (j.contains("wp")) op.wp = bool_at(j["wp"], ptr + "/wp");
  if (spec->has("prot")) op.prot = prot_at(need("prot"), ptr + "/prot");
  load_choices(j, ptr, op);
  std::string word_text = j.contains("word") && op.word != 0 ? "." + std::to_string(op.word) : "";
  std::string range_text = pages > 1 ? "..+" + std::to_string(pages) : "";
  op.text = op_text(*spec, name, j, ptr, op, region, addr_text, word_text, range_text, handle_word);
  return op;
}

// The fields that pick one of a few names: "mode" and "features" (uffd_register) and "kind"
// (extra_ref).
void OpLoader::load_choices(const json& j, const std::string& ptr, Op& op) const {
  if (j.contains("mode")) {
    std::string mode = kUffdModes[choice_at(j["mode"], ptr + "/mode", kUffdModes)];
    op.missing = mode == "missing" || mode == "missing+wp";
    op.minor = mode == "minor" || mode == "minor+wp";
    op.wp_mode = mode == "wp" || mode.ends_with("+wp");
  }
  if (j.contains("features")) {
    std::size_t f = choice_at(j["features"], ptr + "/features", kUffdFeatures);
    op.wp_unpopulated = f != 0;
    op.wp_async = f == 2;
    if (f != 0 && !op.wp_mode)
      fail(ptr + "/features",
           "\"" + kUffdFeatures[f] + "\" is a write-protect feature: it needs a mode with \"wp\"");
  }
  if (j.contains("kind"))  // in the order of enum RefKind
    op.ref_kind = static_cast<RefKind>(choice_at(j["kind"], ptr + "/kind", kRefKinds));
}

// Fork ops name their children: each child is forked by exactly one op, never a root.
void OpLoader::resolve_forks() {
  std::map<std::string, std::string> forked_at;
  auto fix = [&](Op& op, std::uint8_t parent, const std::string& child, const std::string& ptr,
                 std::uint8_t thread) {
    auto it = std::find_if(sc_.processes.begin(), sc_.processes.end(),
                           [&](const Process& p) { return p.name == child; });
    if (it == sc_.processes.end()) {
      std::vector<std::string> names;
      for (const auto& p : sc_.processes) names.push_back(p.name);
      fail(ptr, "fork names process \"" + child + "\"" + did_you_mean(child, names) +
                    ", which is not declared under \"processes\" (declared: " + join(names) + ")");
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
    if (!op_descriptor(op.kind).has("child")) continue;
    fix(op, sc_.threads[sc_.setup[s].thread].process, op.child_name, op.pointer + "/child",
        sc_.setup[s].thread);
  }
  for (std::size_t t = 0; t < sc_.threads.size(); ++t)
    for (Op& op : sc_.threads[t].ops)
      if (op_descriptor(op.kind).has("child"))
        fix(op, sc_.threads[t].process, op.child_name, op.pointer + "/child",
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

void OpLoader::resolve_handles() {
  std::vector<std::string> names;
  for (const auto& use : handle_uses_)
    if (use.defines && std::find(names.begin(), names.end(), use.name) == names.end())
      names.push_back(use.name);
  for (const auto& use : handle_uses_)
    if (!use.defines && std::find(names.begin(), names.end(), use.name) == names.end())
      fail(use.pointer, "no pin or get takes a handle named \"" + use.name + "\"" +
                            did_you_mean(use.name, names) +
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
    if (!op.handle_name.empty()) {  // "as" or "pin"
      op.handle = slot_of(op.handle_name);
    } else if (op_descriptor(op.kind).extra_handle) {
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
void OpLoader::assign_values() {
  std::set<int> used(explicit_values_.begin(), explicit_values_.end());
  int next = 1;
  auto fresh = [&](const std::string& ptr) {
    while (used.count(next)) ++next;
    if (next > kMaxValue)
      fail(ptr,
           "no fresh value left for this store (values are 0-" + std::to_string(kMaxValue) + ")");
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

}  // namespace mmcheck::vm
