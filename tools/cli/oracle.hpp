// `mmcheck oracle`: the model compared with the running kernel, op by op (tools/cli/oracle.cpp).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace mmcheck::cli {

// Every scenario skipped (no root, a missing kernel feature, not sequential): a ctest SKIP.
inline constexpr int kExitOracleSkipped = 4;

struct OracleArgs {
  std::vector<std::string> scenarios;
  std::string kernel;  // --kernel: the preset (default: the release nearest `uname -r`)
};

struct OracleOptions {
  std::string kernel;
};

struct OracleCount {
  long compared = 0, agreed = 0, adapted = 0;
};

struct OracleResult {
  std::string scenario;
  std::string kernel;
  std::string uname;
  std::string skipped;  // why it was not compared ("" when it was)
  std::set<std::string> adaptations;
  std::map<std::string, OracleCount> tally;  // per observation kind
  std::vector<std::string> disagreements;
};

OracleResult oracle_run(const std::string& file, const OracleOptions& options);
int oracle_command(const OracleArgs& args);

}  // namespace mmcheck::cli
