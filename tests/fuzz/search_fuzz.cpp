// libFuzzer harness, structure-aware: the input's bytes pick a scenario of the race library, a
// kernel, search options and a list of edits of the scenario's JSON (a value replaced by a number,
// a name or a string from the library's vocabulary, or by another part of the document; a member
// or an element removed, duplicated, swapped or added), and the edited scenario is loaded and
// searched through the library API with a bound of 2,000 states (check --max-states 2000).
// Every outcome must be a verdict, an input error (vm::InputError) or an incomplete bound: a
// crash, a sanitizer report, a hang (libFuzzer's -timeout), an internal error (a nondeterministic
// model) or any other exception is a defect. The bytes are the search space, so libFuzzer's own
// mutations and its coverage drive the edits. Built with -DMMCHECK_FUZZ=ON; run with
// tools/fuzz.sh search_fuzz MINUTES.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "invariants/registry.hpp"
#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/vm_model.hpp"
#include "tools/run/run.hpp"

namespace {

using Json = nlohmann::ordered_json;

// The race library and the names and strings it uses (keys, op names, regions, threads,
// policies, kernels, steps), read once.
struct Library {
  std::vector<Json> scenarios;
  std::vector<std::string> vocabulary;
  std::vector<std::string> kernels;
};

void collect_strings(const Json& j, std::set<std::string>& out) {
  if (j.is_string()) {
    if (j.get<std::string>().size() <= 40) out.insert(j.get<std::string>());
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      out.insert(key);
      collect_strings(value, out);
    }
  } else if (j.is_array()) {
    for (const Json& e : j) collect_strings(e, out);
  }
}

const Library& library() {
  static const Library lib = [] {
    Library l;
    std::vector<std::filesystem::path> files;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(MMCHECK_SOURCE_DIR) + "/scenarios"))
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());  // the same bytes pick the same scenario everywhere
    std::set<std::string> words;
    for (const auto& file : files) {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      l.scenarios.push_back(Json::parse(text.str(), nullptr, true, true));
      collect_strings(l.scenarios.back(), words);
    }
    if (l.scenarios.empty()) {
      std::fprintf(stderr, "search_fuzz: no scenario in %s/scenarios\n", MMCHECK_SOURCE_DIR);
      std::abort();
    }
    for (const std::string& s : mmcheck::vm::op_names()) words.insert(s);
    for (const std::string& s : mmcheck::vm::invariant_names()) words.insert(s);
    for (const std::string& s : mmcheck::vm::step_names()) words.insert(s);
    l.kernels = mmcheck::vm::preset_names();
    for (const std::string& s : l.kernels) words.insert(s);
    l.vocabulary.assign(words.begin(), words.end());
    return l;
  }();
  return lib;
}

// The input's bytes, read in order; zeros once they run out.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint32_t u16() { return byte() | (std::uint32_t{byte()} << 8); }
  std::uint32_t u32() { return u16() | (u16() << 16); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

void collect_nodes(Json& j, std::vector<Json*>& out) {
  out.push_back(&j);
  if (j.is_object() || j.is_array())
    for (Json& child : j) collect_nodes(child, out);
}

Json pick_number(Bytes& in) {
  static const std::int64_t kEdges[] = {0,
                                        1,
                                        2,
                                        3,
                                        4,
                                        7,
                                        8,
                                        15,
                                        16,
                                        63,
                                        64,
                                        255,
                                        256,
                                        4095,
                                        4096,
                                        65535,
                                        65536,
                                        -1,
                                        -2,
                                        2147483647,
                                        -2147483648LL,
                                        4294967295LL,
                                        4294967296LL,
                                        INT64_MAX,
                                        INT64_MIN};
  switch (in.byte() % 4) {
    case 0:
      return kEdges[in.byte() % std::size(kEdges)];
    case 1:
      return in.byte() % 8;  // small values: word indices, page counts, stored values
    case 2:
      return static_cast<std::int64_t>(static_cast<std::int32_t>(in.u32()));
    default:
      return std::uint64_t{in.u32()} << 32 | in.u32();
  }
}

// One edit of the document, chosen by the bytes.
void edit(Json& root, Bytes& in, const Library& lib) {
  std::vector<Json*> nodes;
  collect_nodes(root, nodes);
  Json& node = *nodes[in.u16() % nodes.size()];
  const std::string& word = lib.vocabulary[in.u16() % lib.vocabulary.size()];
  switch (in.byte() % 9) {
    case 0:
      node = pick_number(in);
      break;
    case 1:
      node = word;
      break;
    case 2:  // remove a member or an element
      if (node.is_object() && !node.empty()) {
        auto it = node.begin();
        std::advance(it, in.byte() % node.size());
        node.erase(it);
      } else if (node.is_array() && !node.empty()) {
        node.erase(node.begin() + in.byte() % node.size());
      }
      break;
    case 3:  // duplicate an element (an op twice, a thread's ops again)
      if (node.is_array() && !node.empty() && node.size() < 64) {
        Json copy = node[in.byte() % node.size()];
        node.insert(node.begin() + in.byte() % (node.size() + 1), std::move(copy));
      }
      break;
    case 4:  // swap two elements
      if (node.is_array() && node.size() > 1)
        std::swap(node[in.byte() % node.size()], node[in.byte() % node.size()]);
      break;
    case 5: {  // add a member, named from the vocabulary, with a value from elsewhere
      if (!node.is_object()) break;
      Json value = *nodes[in.u16() % nodes.size()];
      node[word] = std::move(value);
      break;
    }
    case 6: {  // a part of the document moved in place of another (an op into another thread)
      Json copy = *nodes[in.u16() % nodes.size()];
      node = std::move(copy);
      break;
    }
    case 7: {
      static const Json kSmall[] = {true, false, nullptr, Json::array(), Json::object(), "", 0.5};
      node = kSmall[in.byte() % std::size(kSmall)];
      break;
    }
    default:  // a renamed member: what the same value means under another key
      if (node.is_object() && !node.empty() && !node.contains(word)) {
        auto it = node.begin();
        std::advance(it, in.byte() % node.size());
        Json value = it.value();
        node.erase(it);
        node[word] = std::move(value);
      }
      break;
  }
}

[[noreturn]] void defect(const std::string& what, const std::string& scenario) {
  std::fprintf(stderr, "search_fuzz: %s\nscenario:\n%s\n", what.c_str(), scenario.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace run = mmcheck::run;
  namespace vm = mmcheck::vm;
  const Library& lib = library();
  Bytes in(data, size);
  Json doc = lib.scenarios[in.byte() % lib.scenarios.size()];
  std::uint8_t kernel_byte = in.byte();
  std::uint8_t flags = in.byte();
  for (int edits = 0; edits < 8 && !in.empty(); ++edits) edit(doc, in, lib);
  std::string text = doc.dump(1);

  vm::Scenario scenario;
  try {
    scenario = vm::parse_scenario(text, "fuzz.json", vm::invariant_names());
  } catch (const vm::InputError&) {
    return 0;  // bad input, reported with its place
  }
  run::RunConfig config;
  // Half the runs on the scenario's own kernel, the others on any preset.
  if (kernel_byte & 1) config.kernel = lib.kernels[(kernel_byte >> 1) % lib.kernels.size()];
  config.search.threads = 1 + (flags & 1);
  config.search.max_states = 2000;
  config.search.reduce = flags & 2;
  config.search.fingerprint = flags & 4;
  config.search.symmetry = flags & 8;
  run::RunOutcome outcome;
  try {
    outcome = run::run_scenario(scenario, config);
  } catch (const vm::InputError&) {
    return 0;  // an unknown preset or policy for this scenario: bad input too
  } catch (const std::exception& e) {
    defect(std::string("exception escaped the search: ") + e.what(), text);
  }
  switch (outcome.verdict) {
    case run::Outcome::Holds:
    case run::Outcome::Violation:
    case run::Outcome::Deadlock:
    case run::Outcome::Unsupported:
      break;
    case run::Outcome::Incomplete:
      if (outcome.incomplete_reason != "max-states")
        defect("incomplete for another reason than the bound: " + outcome.incomplete_reason, text);
      break;
    case run::Outcome::Nondeterministic:
      defect("internal error (a nondeterministic model): " + outcome.message, text);
  }
  switch (outcome.exit_code) {
    case run::kExitHolds:
    case run::kExitExpectation:
    case run::kExitUnsupported:
    case run::kExitViolation:
    case run::kExitDeadlock:
    case run::kExitIncomplete:
      break;
    default:
      defect("exit status " + std::to_string(outcome.exit_code), text);
  }
  // The report as check --json writes it.
  std::string report = run::json_text(run::report_json(scenario, outcome));
  if (report.empty()) defect("empty report", text);
  return 0;
}
