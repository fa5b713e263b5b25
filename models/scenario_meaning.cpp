// The meaning of a scenario file, for the hash traces record (README "Counterexamples"): its
// memory, processes, setup, check and outcomes, with object keys sorted except where order numbers
// things (regions, processes, threads), so comments, formatting, names of the file's other members
// and key order do not change it.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/json_reader.hpp"
#include "models/scenario.hpp"

namespace mmcheck::vm {

namespace {

// `value` with every object's keys sorted, at any depth.
json sorted_json(const json& value) {
  if (value.is_array()) {
    json out = json::array();
    for (const json& item : value) out.push_back(sorted_json(item));
    return out;
  }
  if (!value.is_object()) return value;
  std::vector<std::string> keys;
  for (auto it = value.begin(); it != value.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  json out = json::object();
  for (const std::string& k : keys) out[k] = sorted_json(value.at(k));
  return out;
}

// An object whose members' order means something (regions, processes, threads are numbered in
// it): the order is kept, each member written by `member`.
template <class Member>
json in_order(const json& object, Member member) {
  if (!object.is_object()) return sorted_json(object);
  json out = json::object();
  for (auto it = object.begin(); it != object.end(); ++it) out[it.key()] = member(it.value());
  return out;
}

}  // namespace

json scenario_meaning_json(const json& root) {
  json out = json::object();
  auto process = [](const json& p) {
    json out = sorted_json(p);
    if (p.is_object() && p.contains("threads"))
      out["threads"] = in_order(p.at("threads"), sorted_json);
    return out;
  };
  out["memory"] = in_order(root.value("memory", json::object()), sorted_json);
  out["processes"] = in_order(root.value("processes", json::object()), process);
  out["setup"] = sorted_json(root.value("setup", json::array()));
  out["check"] = sorted_json(root.value("check", json("all")));
  // Outcomes add what observed ops returned to the state: a trace of one is of another graph.
  if (root.contains("outcomes")) out["outcomes"] = root.at("outcomes");
  return out;
}

}  // namespace mmcheck::vm
