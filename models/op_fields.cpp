// The fields of the ops (models/op_fields.hpp).
#include "models/op_fields.hpp"

#include "models/json_reader.hpp"

namespace mmcheck::vm {

namespace {

std::string quoted(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) out.push_back("\"" + n + "\"");
  return join(out);
}

}  // namespace

OpField op_field(const OpDescriptor& op, const std::string& field) {
  OpField f;
  f.name = field;
  const bool on_handle = !op.has("addr");  // pin_read, pin_write: the word of the pinned page
  if (field == "addr") {
    f.type = "address";
    f.required = true;
    f.limits = "a region name, or \"REGION+N\" for its page N (the range must fit the region)";
  } else if (field == "src") {
    f.type = "address";
    f.required = true;
    f.limits = "a region name, or \"REGION+N\" for its page N; another page than \"addr\"";
  } else if (field == "pages") {
    f.type = "integer";
    f.default_text = "1";
    f.min = 1;
    f.max = kMaxPages;
    f.limits = "1 to " + std::to_string(kMaxPages) + ", within the region";
  } else if (field == "word") {
    f.type = "integer";
    f.default_text = "0";
    f.min = 0;
    f.max = kMaxWords - 1;
    f.limits = "0 to " + std::to_string(kMaxWords - 1) + ", below the words of the " +
               (on_handle ? "handle's region" : "region");
  } else if (field == "value") {
    f.type = "integer";
    f.default_text = op.stores ? "a fresh value, unique in the scenario" : "0";
    f.min = 0;
    f.max = kMaxValue;
    f.limits = "0 to " + std::to_string(kMaxValue) + "; at most " + std::to_string(kMaxValues) +
               " distinct stored values in a scenario";
  } else if (field == "write" || field == "wp") {
    f.type = "boolean";
    f.default_text = "false";
    f.limits = "true or false";
  } else if (field == "prot") {
    f.type = "choice";
    f.required = true;
    f.choices = kProtNames;
  } else if (field == "mode") {
    f.type = "choice";
    f.default_text = "\"wp\"";
    f.choices = kUffdModes;
  } else if (field == "features") {
    f.type = "choice";
    f.default_text = "\"none\"";
    f.choices = kUffdFeatures;
  } else if (field == "kind") {
    f.type = "choice";
    f.default_text = "\"lru\"";
    f.choices = kRefKinds;
  } else if (field == "child") {
    f.type = "process";
    f.required = true;
    f.limits = "a process declared under \"processes\", forked by no other op";
  } else if (field == "as") {
    f.type = "handle";
    f.required = true;
    f.limits = "a new handle name, taken by no other pin or get; at most " +
               std::to_string(kMaxHandles) + " handles and extra_refs in all";
  } else if (field == "pin") {
    f.type = "handle";
    f.required = true;
    f.limits = "a handle some pin or get takes (its \"as\")";
  } else {
    f.type = "unknown";
  }
  if (f.type == "choice") f.limits = "one of " + quoted(f.choices);
  return f;
}

}  // namespace mmcheck::vm
