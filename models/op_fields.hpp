// What each field of an op in a scenario file takes: its type, whether it is required, its
// default and its limits, made from the loader's own constants (models/scenario.hpp) so that
// `mmcheck list ops -v` and the errors cannot disagree.
#pragma once

#include <string>
#include <vector>

#include "models/ops/op.hpp"

namespace mmcheck::vm {

// The names the choice fields take, as the loader reads them.
inline const std::vector<std::string> kProtNames = {"none", "r", "rw"};
inline const std::vector<std::string> kUffdModes = {"wp", "missing", "missing+wp", "minor",
                                                    "minor+wp"};
inline const std::vector<std::string> kRefKinds = {"lru", "io"};
inline const std::vector<std::string> kUffdFeatures = {"none", "wp_unpopulated", "wp_async"};

struct OpField {
  std::string name;
  std::string type;  // "address", "integer", "boolean", "choice", "process", "handle"
  bool required = false;
  std::string default_text;          // when not required
  std::string limits;                // what it may be, in words
  std::vector<std::string> choices;  // type "choice"
  long min = 0, max = 0;             // type "integer": the widest range it can ever take
};

// The field `field` of op `op` (one of op.fields).
OpField op_field(const OpDescriptor& op, const std::string& field);

}  // namespace mmcheck::vm
