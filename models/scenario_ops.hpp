// Reading a scenario's ops (models/scenario_load.cpp reads the rest): each op through its
// descriptor's names and fields, addresses resolved to pages, the fork children, the pin/get
// handle names and the stored values resolved once every op is read.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/json_reader.hpp"
#include "models/ops/op.hpp"
#include "models/scenario.hpp"

namespace mmcheck::vm {

class OpLoader : JsonReader {
 public:
  OpLoader(std::string file, Scenario& sc) : JsonReader(std::move(file)), sc_(sc) {}

  // One op of a thread's list or of the setup (which also has "thread").
  Op load_op(const json& j, const std::string& ptr, bool in_setup, std::uint8_t process);
  Prot prot_at(const json& j, const std::string& ptr) const;
  // The index of the string at `ptr` in `choices`; anything else fails, naming them.
  std::size_t choice_at(const json& j, const std::string& ptr,
                        const std::vector<std::string>& choices) const;
  // Once every op is read: fork children, handle slots, fresh values.
  void resolve_forks();
  void resolve_handles();
  void assign_values();

 private:
  // Parses "A" or "A+1" into a global page number.
  int address_at(const json& j, const std::string& ptr, int pages,
                 int* region_index = nullptr) const;
  std::string op_text(const OpDescriptor& spec, const std::string& name, const json& j,
                      const std::string& ptr, Op& op, int region, const std::string& addr_text,
                      const std::string& word_text, const std::string& range_text,
                      const std::optional<json>& handle_word);
  void load_choices(const json& j, const std::string& ptr, Op& op) const;

  struct HandleUse {
    std::string name;
    std::string pointer;       // of "as" (defines) or "pin"
    bool defines;              // a pin/get taking the handle
    int region;                // defines: the region of its "addr"
    std::optional<json> word;  // pin_read/pin_write: its "word"
  };

  Scenario& sc_;
  std::vector<HandleUse> handle_uses_;
  std::set<std::uint8_t> explicit_values_;
  std::vector<std::string> needs_fresh_;
};

// The scenario's "outcomes" (models/scenario_outcomes.cpp), read once its ops and stored values
// are: marks each listed read or pin_read with its slot (Op::observe).
void load_outcomes(const JsonReader& reader, const json& j, Scenario& sc);
// The combinations of the values the outcomes may take (each: 0, every nonzero stored value,
// none); 0 without outcomes.
std::uint64_t outcome_combinations(const Scenario& sc);

}  // namespace mmcheck::vm
