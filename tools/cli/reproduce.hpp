// `mmcheck reproduce` and `mmcheck oracle`: a scenario (and optionally a counterexample's
// schedule) as a self-contained C program that runs it on the real kernel.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/scenario.hpp"
#include "tools/cli/replay.hpp"

namespace mmcheck::cli {

// The C runtime (tools/cli/reproduce_runtime.cpp): the program is kReproduceHead, the
// scenario's tables, then kReproduceBody.
extern const char* const kReproduceHead;
extern const char* const kReproduceBody;

struct ReproduceArgs {
  std::string scenario;
  std::string trace;   // --trace: drive this counterexample's schedule
  std::string output;  // -o: the C file (default: stdout)
};

// One op of the schedule in the order the program starts them: ops of one phase are released
// together (a racing window); `order` ranks the op's last step in the trace.
struct ScheduledOp {
  int thread = 0;
  int op = 0;
  int phase = 0;
  int order = 0;
};

// The schedule of a trace: each op the trace starts, grouped into phases of ops whose step
// spans overlap; ops the trace never reaches follow, one phase each, in thread order.
std::vector<ScheduledOp> trace_schedule(const vm::Scenario& scenario, const RecordedTrace& trace);

// What the reproducer cannot drive from user space (a kernel-internal op, a `file` region):
// the reason, or nothing.
std::optional<std::string> reproduce_unsupported(const vm::Scenario& scenario);

// An op that blocks on a userfault in the sequential order, and the op of another thread that
// serves it (`mmcheck oracle`): the program runs the two together, the server waiting for the
// fault's message, and observes them as two steps (the served op's, then the server's).
struct ServedOp {
  int thread = 0, op = 0;
  int by_thread = 0, by_op = 0;
};

// The C program. `schedule` empty: the documented sequential order (setup, then each thread's
// ops in declaration order, thread after thread; a server of `served` runs with the op it
// serves, not at its own place).
std::string reproduce_program(const vm::Scenario& scenario,
                              const std::vector<ScheduledOp>& schedule,
                              const std::string& bad_outcome, const std::string& header_note,
                              const std::vector<ServedOp>& served = {});

int reproduce_command(const ReproduceArgs& args);

}  // namespace mmcheck::cli
