// `mmcheck oracle`: the model compared with the running kernel, op by op (tools/cli/oracle.cpp).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/scenario.hpp"

namespace mmcheck::cli {

// Every scenario skipped (no root, a missing kernel feature, not sequential): a ctest SKIP.
inline constexpr int kExitOracleSkipped = 4;

struct OracleArgs {
  std::vector<std::string> scenarios;
  std::string kernel;  // --kernel: the preset (default: the release nearest `uname -r`)
  long random = 0;     // --random N: N random sequential programs instead of files
  unsigned long long seed = 1;
  bool shrink = true;
  unsigned jobs = 0;  // --jobs: programs compared side by side (0: one per core)
};

struct OracleOptions {
  std::string kernel;
};

struct OracleCount {
  // compared = agreed + declared + the undeclared disagreements; adapted: not compared, for
  // what the machine's kernel lacks.
  long compared = 0, agreed = 0, declared = 0, adapted = 0;
};

struct OracleResult {
  std::string scenario;
  std::string kernel;
  std::string uname;
  std::string skipped;  // why it was not compared ("" when it was)
  // Skipped as not sequential because this op waits in handle_userfault: what would serve it
  // ("uffd_unwp" or "uffdio_copy"), where (process and page names).
  struct Unserved {
    std::string process, page, server;
  };
  std::optional<Unserved> unserved;
  std::set<std::string> adaptations;
  std::map<std::string, OracleCount> tally;  // per observation kind
  std::vector<std::string> disagreements;    // undeclared
  std::vector<std::string> declared;         // excused by models/not_modelled.json
};

// Adds one result's tally and adaptations to a run's totals.
void add_to_totals(const OracleResult& result, std::map<std::string, OracleCount>& total,
                   std::set<std::string>& adaptations);

OracleResult oracle_run(const std::string& file, const OracleOptions& options);
OracleResult oracle_scenario(const vm::Scenario& scenario, const OracleOptions& options);
// `oracle --random N --seed S` (tools/cli/oracle_random.cpp).
int oracle_random_command(const OracleArgs& args);
int oracle_command(const OracleArgs& args);
// The agreement table per observation kind, and one scenario's verdict with its disagreements.
void print_agreement(const std::map<std::string, OracleCount>& total);
void print_oracle_result(const OracleResult& r);

}  // namespace mmcheck::cli
