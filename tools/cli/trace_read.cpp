// Reading a counterexample trace (mmcheck-trace/1, the README's "Using it"): the shape of every
// field is checked and a bad one is reported by file and JSON pointer. Older traces lack the
// optional members (overrides, the scenario's meaning hash, paths and embedded source).
#include "models/json_reader.hpp"
#include "tools/cli/replay.hpp"

namespace mmcheck::cli {

namespace {

// The trace reader: the scenario's JSON reader (models/json_reader.hpp: comments allowed,
// duplicate keys refused, every error located by file and JSON pointer) and the shapes a trace
// has.
class TraceReader : public vm::JsonReader {
 public:
  using JsonReader::JsonReader;

  const vm::json& need(const vm::json& object, const std::string& pointer,
                       const std::string& key) const {
    expect_object(object, pointer);
    auto it = object.find(key);
    if (it == object.end()) fail(pointer, "missing \"" + key + "\"");
    return *it;
  }
  std::string text(const vm::json& object, const std::string& pointer,
                   const std::string& key) const {
    return string_at(need(object, pointer, key), pointer + "/" + key);
  }
  int integer(const vm::json& value, const std::string& pointer) const {
    return static_cast<int>(int_at(value, pointer, -(1L << 30), 1L << 30));
  }
  int integer(const vm::json& object, const std::string& pointer, const std::string& key) const {
    return integer(need(object, pointer, key), pointer + "/" + key);
  }
  const vm::json& array(const vm::json& object, const std::string& pointer,
                        const std::string& key) const {
    const vm::json& v = need(object, pointer, key);
    expect_array(v, pointer + "/" + key);
    return v;
  }
};

TraceStep read_step(const TraceReader& r, const vm::json& j, const std::string& ptr) {
  TraceStep s;
  s.thread = r.text(j, ptr, "thread");
  s.process = r.text(j, ptr, "process");
  s.op = r.text(j, ptr, "op");
  s.op_index = r.integer(j, ptr, "op_index");
  s.step = r.text(j, ptr, "step");
  s.note = r.text(j, ptr, "note");
  const vm::json& changes = r.array(j, ptr, "changes");
  for (std::size_t c = 0; c < changes.size(); ++c) {
    std::string cptr = ptr + "/changes/" + std::to_string(c);
    s.changes.push_back({r.text(changes[c], cptr, "path"), r.integer(changes[c], cptr, "from"),
                         r.integer(changes[c], cptr, "to")});
  }
  return s;
}

}  // namespace

namespace {
RecordedTrace read_trace_document(const std::string& path, const std::string& text);
void read_steps(const TraceReader& r, const vm::json& doc, RecordedTrace& t);
}  // namespace

RecordedTrace read_trace(const std::string& path) {
  return parse_trace(vm::JsonReader(path).read_file("trace"), path);
}

RecordedTrace parse_trace(const std::string& text, const std::string& path) {
  try {
    return read_trace_document(path, text);
  } catch (const nlohmann::json::exception& e) {
    // Every value's type is checked before it is read; should one still escape that, it is bad
    // input in this file, never a crash.
    throw vm::InputError(path, "", std::string("cannot read the trace: ") + e.what());
  }
}

namespace {

RecordedTrace read_trace_document(const std::string& path, const std::string& text) {
  TraceReader r(path);
  vm::json doc = r.parse(text);
  if (!doc.is_object())
    r.fail("", "expected a trace object (\"format\": \"" + std::string(kTraceFormat) + "\")");
  auto format = doc.find("format");
  if (format == doc.end() && (doc.contains("processes") || doc.contains("memory")))
    r.fail("", "this is a scenario, not a trace: use mmcheck check " + path +
                   " (its --trace FILE writes a trace to replay)");
  if (format == doc.end())
    r.fail("/format",
           "missing \"format\"; this mmcheck reads \"" + std::string(kTraceFormat) + "\"");
  if (!format->is_string() || format->get<std::string>() != kTraceFormat)
    r.fail("/format", "unsupported trace format " + format->dump() + "; this mmcheck reads \"" +
                          kTraceFormat + "\" only");
  RecordedTrace t;
  t.path = path;
  const vm::json& scenario = r.need(doc, "", "scenario");
  t.scenario_name = r.text(scenario, "/scenario", "name");
  t.scenario_file = r.text(scenario, "/scenario", "file");
  t.scenario_sha256 = r.text(scenario, "/scenario", "sha256");
  // Optional: older traces hash the file's bytes only, and neither locate nor embed it.
  auto optional_text = [&](const char* key) -> std::optional<std::string> {
    if (!scenario.contains(key)) return std::nullopt;
    return r.text(scenario, "/scenario", key);
  };
  t.scenario_meaning_sha256 = optional_text("meaning_sha256").value_or("");
  t.scenario_absolute = optional_text("path").value_or("");
  t.scenario_from_trace = optional_text("from_trace").value_or("");
  t.scenario_source = optional_text("source");
  t.kernel = r.text(doc, "", "kernel");
  if (auto o = doc.find("overrides"); o != doc.end()) {  // optional: older traces lack it
    r.expect_array(*o, "/overrides");
    for (std::size_t i = 0; i < o->size(); ++i)
      t.overrides.push_back(r.string_at((*o)[i], "/overrides/" + std::to_string(i)));
  }
  const vm::json& policy = r.need(doc, "", "policy");
  if (!policy.is_object()) r.fail("/policy", "expected an object of policy values");
  for (const auto& [name, value] : policy.items()) {
    if (value.is_string())
      t.policy.emplace_back(name, value.get<std::string>());
    else if (value.is_boolean())
      t.policy.emplace_back(name, value.get<bool>() ? "true" : "false");
    else
      r.fail("/policy/" + vm::escape_pointer(name), "expected a string");
  }
  std::string verdict = r.text(doc, "", "verdict");
  if (verdict == "witness") {
    t.witness = r.text(doc, "", "witness");
    t.verdict = Outcome::Holds;
    t.message = r.text(doc, "", "message");
    read_steps(r, doc, t);
    return t;
  }
  auto outcome = find_outcome(verdict);
  if (outcome != Outcome::Violation && outcome != Outcome::Deadlock)
    r.fail("/verdict", "expected \"violation\" or \"deadlock\", got \"" + verdict + "\"");
  t.verdict = *outcome;
  t.invariant = r.text(doc, "", "invariant");
  t.message = r.text(doc, "", "message");
  read_steps(r, doc, t);
  return t;
}

void read_steps(const TraceReader& r, const vm::json& doc, RecordedTrace& t) {
  const vm::json& steps = r.array(doc, "", "steps");
  for (std::size_t i = 0; i < steps.size(); ++i)
    t.steps.push_back(read_step(r, steps[i], "/steps/" + std::to_string(i)));
  if (auto fin = doc.find("final_state"); fin != doc.end() && !fin->is_null()) {
    if (!fin->is_object()) r.fail("/final_state", "expected an object of state values");
    FlatState state;
    for (const auto& [key, value] : fin->items())
      state[key] = r.integer(value, "/final_state/" + vm::escape_pointer(key));
    t.final_state = std::move(state);
  }
}

}  // namespace

}  // namespace mmcheck::cli
