// What `mmcheck suite` shares between its files: the runs it plans (one scenario on one kernel,
// judged against an expectation) and the files it could not load, and the outputs built from
// them (suite.cpp the matrix, suite_output.cpp JUnit, KTAP and JSON, suite_patch.cpp the
// one-kernel report of `suite --kernel K --set P=V`).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/scenario.hpp"
#include "tools/cli/commands.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

struct SuiteJob {
  std::size_t scenario = 0;
  std::string kernel;
  bool has_expect = true;  // false: `suite --kernel K` on a scenario without an expect for K
  vm::Expectation expected;
  RunOutcome outcome;
  bool pass = false;
  bool changed = false;  // the outcome differs from the expectation
  bool fixed = false;    // with --set: an expected violation or deadlock now holds
  std::string why;       // for a mismatch
  // Bad input found only when the run starts (a setup op that blocks): the file's error.
  std::optional<vm::InputError> error;
};

// A scenario file that did not load (or has no "expect"): one failing test case, the others
// still run.
struct SuiteError {
  std::string file;
  std::string pointer;
  std::string message;
};

struct SuiteRun {
  std::vector<vm::Scenario> scenarios;
  std::vector<SuiteJob> jobs;
  std::vector<SuiteError> errors;
  double seconds = 0;
  std::size_t failures() const;  // failed jobs and files that did not load
  int exit_status() const;
};

std::string expected_text(const vm::Expectation& e);
// "FILE: POINTER: MESSAGE" as the bad-input errors print it.
std::string error_text(const SuiteError& e);

// JUnit XML to `path`; the reason when it cannot be written.
std::optional<std::string> write_junit(const SuiteRun& run, const std::string& path);
// KTAP as kselftest prints it; returns nothing, prints to stdout.
void print_ktap(const SuiteRun& run);
nlohmann::json suite_json(const SuiteRun& run, const SuiteArgs& args);
// `suite --kernel K [--set P=V]...`: one line per scenario against K's expectation, and what the
// overrides changed.
void print_kernel_report(const SuiteRun& run, const SuiteArgs& args);

}  // namespace mmcheck::cli
