// The mmcheck command line (CLI11): check, suite, diff, bisect, replay, explain, list, show,
// init, reproduce and oracle.
// Commands return the exit statuses of the README's "Using it"; bad input of any kind is reported
// with its location and exits 2, before anything is explored.
#include "tools/cli/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "checker/checkpoint_io.hpp"
#include "checker/comm_mpi.hpp"
#include "checker/sysinfo.hpp"
#include "invariants/registry.hpp"
#include "models/op_fields.hpp"
#include "models/policy.hpp"
#include "models/scenario.hpp"
#include "models/suggest.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/oracle.hpp"
#include "tools/cli/reproduce.hpp"
#include "tools/run/interrupt.hpp"
#include "tools/run/output.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

namespace {

// `mmcheck list ops -v`: each op with its aliases, its fields (type, required or the default,
// limits) and the kernel step names it can take.
void list_ops_verbose() {
  for (const vm::OpDescriptor* op : vm::op_registry()) {
    std::string aliases;
    for (std::size_t i = 1; i < op->names.size(); ++i)
      aliases += (aliases.empty() ? " (alias: " : ", ") + op->names[i];
    std::printf("%s%s\n", op->names.front().c_str(),
                aliases.empty() ? "" : (aliases + ")").c_str());
    if (op->fields.empty()) std::printf("  (no fields)\n");
    for (const std::string& name : op->fields) {
      vm::OpField f = vm::op_field(*op, name);
      std::string need = f.required ? "required" : "default " + f.default_text;
      std::printf("  %s: %s, %s; %s\n", f.name.c_str(), f.type.c_str(), need.c_str(),
                  f.limits.c_str());
    }
    std::string steps;
    for (const std::string& s : op->steps) steps += (steps.empty() ? "" : ", ") + s;
    std::printf("  kernel steps: %s\n", steps.c_str());
  }
}

int list_command(const std::string& what, bool verbose) {
  if (what == "presets") {
    // Each preset with what changes from the one before it (or the release it equals).
    const vm::Preset* before = nullptr;
    for (const auto& p : vm::presets()) {
      std::string changes = "the oldest preset";
      if (before != nullptr) {
        auto diff = vm::policy_differences(before->policy, p.policy);
        std::string joined;
        for (const auto& d : diff) joined += (joined.empty() ? "" : ", ") + d;
        changes = diff.empty() ? "same rules as " + (p.same_as.empty() ? before->name : p.same_as)
                               : "changes from " + before->name + ": " + joined;
      }
      std::printf("%-11s %s [%s]\n", p.name.c_str(), p.description.c_str(), changes.c_str());
      before = &p;
    }
  } else if (what == "policies") {
    for (const auto& info : vm::policy_infos()) {
      std::string values;
      for (const auto& v : info.values) values += (values.empty() ? "" : "|") + v;
      std::printf("%-27s %-31s %s\n", info.name.c_str(), values.c_str(), info.history.c_str());
    }
  } else if (what == "ops" && verbose) {
    list_ops_verbose();
  } else if (what == "ops") {
    for (const auto& name : vm::op_names()) std::printf("%s\n", name.c_str());
  } else if (what == "invariants") {
    for (const auto& info : vm::invariant_infos())
      std::printf("%-24s %s (checked %s)\n", info.name.c_str(), info.description.c_str(),
                  info.checked.c_str());
  } else if (what == "steps") {
    for (const auto& name : vm::step_names()) std::printf("%s\n", name.c_str());
  }
  return kExitHolds;
}

// `mmcheck show PRESET`: each policy with the preset's value and its history (the commits).
int show_command(const std::string& name) {
  const vm::Preset* preset = vm::find_preset(name);
  if (preset == nullptr) {
    std::string valid;
    for (const auto& n : vm::preset_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw vm::InputError(name, "",
                         "unknown preset" + vm::did_you_mean(name, vm::preset_names()) +
                             "; valid presets: " + valid);
  }
  std::string same = preset->same_as.empty() ? "" : " (same rules as " + preset->same_as + ")";
  std::printf("%s: %s%s\n", preset->name.c_str(), preset->description.c_str(), same.c_str());
  for (const auto& info : vm::policy_infos())
    std::printf("  %-27s %-15s %s\n", info.name.c_str(),
                vm::policy_value(preset->policy, info.name).c_str(), info.history.c_str());
  return kExitHolds;
}

// Counts and bounds are never negative: without this check CLI11 converts "-5" into a huge
// unsigned number (or takes a negative --max-seconds), and the bound is silently dropped. A value
// that is not a number at all is left to the conversion, which rejects it.
const CLI::Validator kNonNegative(
    [](std::string& input) -> std::string {
      double v = 0;
      if (CLI::detail::lexical_cast(input, v) && v < 0)
        return "expected a number >= 0, got " + input;
      return {};
    },
    "NONNEGATIVE");

// --threads: 0 (every core) to kMaxThreads. oneTBB would try to make billions of threads of a
// huge count (and CLI11 would wrap a negative one).
constexpr unsigned kMaxThreads = 1024;
const CLI::Validator kThreadCount(
    [](std::string& input) -> std::string {
      double v = 0;
      if (CLI::detail::lexical_cast(input, v) && !(v >= 0 && v <= kMaxThreads))
        return "expected a number of threads from 0 (every core) to " +
               std::to_string(kMaxThreads) + ", got " + input;
      return {};
    },
    "0.." + std::to_string(kMaxThreads));

// --max-seconds: a finite number >= 0 (0: no bound); "nan" or "inf" would silently be no bound.
const CLI::Validator kSeconds(
    [](std::string& input) -> std::string {
      double v = 0;
      if (CLI::detail::lexical_cast(input, v) && !(std::isfinite(v) && v >= 0))
        return "expected a finite number of seconds >= 0 (0: no bound), got " + input;
      return {};
    },
    "SECONDS");

// Bad input: the located message on stderr and, under --json, an error object on stdout (so a
// caller reading the report always gets JSON). Exit status 2.
// Under mpirun, ranks other than 0 report nothing (rank 0 reports the same error).
bool quiet_errors = false;

int input_error(const std::string& file, const std::string& pointer, const std::string& what,
                bool json) {
  std::string where = file + (pointer.empty() ? "" : ": " + pointer);
  if (!quiet_errors) std::fprintf(stderr, "mmcheck: %s: %s\n", where.c_str(), what.c_str());
  if (json) {
    nlohmann::json j = {{"error", {{"kind", "input"}, {"file", file}, {"message", what}}},
                        {"exit_code", kExitUsage}};
    if (!pointer.empty()) j["error"]["pointer"] = pointer;
    std::printf("%s\n", json_text(j).c_str());
  }
  return kExitUsage;
}

}  // namespace

int run(int argc, char** argv) {
  // Under mpirun (or srun) every process is one rank of a distributed `check`; rank 0 alone
  // prints. Elsewhere MPI is never started.
  MpiSession mpi(&argc, &argv);
  Comm* comm = mpi.comm();
  if (comm != nullptr && comm->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr)
    return kExitInternal;
  quiet_errors = comm != nullptr && comm->rank() != 0;
  CLI::App app{
      "mmcheck: an exhaustive interleaving model checker for Linux memory-management races.\n"
      "Exit status: 0 holds / expectations met, 1 expectation or must_reach not met, 2 bad usage\n"
      "or input, 3 unsupported on this kernel, 10 invariant violated, 11 deadlock, 12 incomplete,\n"
      "70 internal error (a bug in mmcheck)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mmcheck 0.1.0");

  CheckArgs check;
  auto* check_cmd =
      app.add_subcommand("check", "Explore every interleaving of one scenario on one kernel");
  check_cmd
      ->add_option("file", check.file,
                   "Scenario file (JSON with comments and trailing commas; `mmcheck init` prints a "
                   "template)")
      ->required();
  check_cmd->add_option(
      "--kernel", check.kernel,
      "Preset (default: the scenario's \"kernel\"), or `all` for one line per preset; see "
      "`mmcheck list presets`");
  check_cmd->add_option(
      "--set", check.sets,
      "Override one policy, POLICY=VALUE (repeatable); see `mmcheck list policies`");
  check_cmd
      ->add_option("--threads", check.threads, "Worker threads, 0 to 1024 (default 0: every core)")
      ->check(kThreadCount);
  check_cmd->add_option("--trace", check.trace,
                        "Write the counterexample as JSON (mmcheck-trace/1)");
  check_cmd->add_flag("--json", check.json, "Print the report as JSON");
  check_cmd
      ->add_option("--max-states", check.max_states, "Stop as incomplete past this many states")
      ->check(kNonNegative);
  check_cmd->add_option("--max-seconds", check.max_seconds, "Stop as incomplete after this long")
      ->check(kSeconds);
  check_cmd->add_option("--max-depth", check.max_depth, "Explore at most this many steps deep")
      ->check(kNonNegative);
  check_cmd
      ->add_option("--max-memory", check.max_memory_mib,
                   "Stop as incomplete past this resident memory (MiB)")
      ->check(kNonNegative);
  check_cmd->add_flag("--quiet", check.quiet, "No progress line");
  check_cmd
      ->add_option("--por", check.por,
                   "Partial-order reduction (default on; verdicts and counterexamples are the same "
                   "either way)")
      ->check(CLI::IsMember({"on", "off"}));
  check_cmd->add_flag("--symmetry", check.symmetry,
                      "Symmetry reduction: threads of one process with identical programs are "
                      "interchangeable (same verdicts; the counterexample may swap their names)");
  check_cmd->add_option("--witness", check.witness,
                        "Find the shortest interleaving that takes this kernel step (a name of "
                        "`mmcheck list steps`, or the part before its dot for all its steps), "
                        "invariants not checked; --trace writes it for replay and explain. Exit "
                        "0 reached, 1 not reached");
  check_cmd->add_flag("--fingerprint", check.fingerprint,
                      "Store 63-bit fingerprints, not full states (10-14 bytes a state instead "
                      "of about 130, plus the frontier: the new level's states whole, the level "
                      "being expanded packed; the report gives the "
                      "omission probability)");
  check_cmd
      ->add_flag("--compress", check.compress,
                 "Store each state exactly in about 8 bytes plus the parts it does not share "
                 "with other states (tree compression: a thread, a process, the frames are "
                 "stored once each); slower than the default store, no omissions")
      ->excludes("--fingerprint");
  check_cmd->add_option("--checkpoint", check.checkpoint,
                        "Write the search to DIR at level boundaries (every --checkpoint-every "
                        "minutes) and when it is interrupted, for --resume");
  check_cmd
      ->add_option("--checkpoint-every", check.checkpoint_every_minutes,
                   "Minutes between checkpoints (default 10; 0: every level)")
      ->check(CLI::Range(0.0, 1e6));
  check_cmd->add_option("--resume", check.resume,
                        "Continue the search a --checkpoint DIR holds (same scenario, kernel and "
                        "options; any number of ranks and threads)");
  // The compressed store's ids depend on thread timing: no checkpoint could name its states.
  check_cmd->get_option("--compress")->excludes("--checkpoint")->excludes("--resume");

  SuiteArgs suite;
  auto* suite_cmd =
      app.add_subcommand("suite",
                         "Check every scenario under every preset of its \"expect\", or on one "
                         "(patched) --kernel against that preset's \"expect\"");
  suite_cmd->add_option("paths", suite.paths, "Scenario files or directories")->required();
  suite_cmd->add_option("--junit", suite.junit, "Write JUnit XML");
  suite_cmd->add_flag("--tap", suite.tap, "Print KTAP instead of the matrix");
  suite_cmd->add_flag("--markdown", suite.markdown, "Print the matrix as Markdown");
  suite_cmd->add_flag("--json", suite.json, "Print the results as JSON");
  suite_cmd
      ->add_option("--threads", suite.threads,
                   "Runs side by side, 0 to 1024 (default 0: one per core)")
      ->check(kThreadCount);
  suite_cmd->add_option("--traces", suite.traces_dir,
                        "Write every counterexample's trace into this directory");
  suite_cmd->add_option("--por", suite.por, "Partial-order reduction (default on)")
      ->check(CLI::IsMember({"on", "off"}));
  suite_cmd->add_option("--kernel", suite.kernel,
                        "Run every scenario on this preset only, judged by its \"expect\"");
  suite_cmd->add_option("--set", suite.sets,
                        "With --kernel: override one policy, POLICY=VALUE (repeatable); the "
                        "report lists what the patch changed");
  suite_cmd
      ->add_option("--max-states", suite.max_states,
                   "Each run stops as incomplete (a failing cell) past this many states")
      ->check(kNonNegative);
  suite_cmd
      ->add_option("--max-seconds", suite.max_seconds,
                   "Each run stops as incomplete (a failing cell) after this long")
      ->check(kSeconds);
  suite_cmd
      ->add_option("--max-memory", suite.max_memory_mib,
                   "A run stops as incomplete when the process's resident memory passes this "
                   "(MiB)")
      ->check(kNonNegative);

  ReplayArgs replay;
  auto* replay_cmd =
      app.add_subcommand("replay", "Re-execute a trace and confirm it ends in the same violation");
  replay_cmd->add_option("trace", replay.trace, "Trace file (mmcheck-trace/1)")->required();
  replay_cmd->add_option("--scenario", replay.scenario,
                         "Scenario file (default: the recorded file, found as given, from the "
                         "trace's directory or at its absolute path; else the copy embedded in "
                         "the trace)");
  replay_cmd->add_flag("--force", replay.force,
                       "Replay even when the scenario's meaning (memory, processes, setup, "
                       "check) changed since the trace was recorded, and report the first step "
                       "that differs (expected vs found)");
  replay_cmd->add_flag("--quiet", replay.quiet, "Print only the conclusion");
  replay_cmd->add_flag("--json", replay.json, "Print the replay's result as JSON");

  ExplainArgs explain;
  auto* explain_cmd = app.add_subcommand(
      "explain", "Replay a trace and show it as a timeline with the relevant state");
  explain_cmd->add_option("trace", explain.trace, "Trace file (mmcheck-trace/1)")->required();
  explain_cmd->add_option("--scenario", explain.scenario,
                          "Scenario file (default: the copy embedded in the trace; an older trace "
                          "without one: the recorded file)");
  explain_cmd->add_option("--html", explain.html,
                          "Write a self-contained HTML timeline to this file");
  explain_cmd->add_flag("--no-colour,--no-color", explain.no_colour,
                        "No ANSI colour even on a terminal");
  explain_cmd->add_flag("--all", explain.all,
                        "Show every field, those the kernel does not have (excl before 5.19) and "
                        "the invariants' ghost bookkeeping too");
  explain_cmd->add_flag("--json", explain.json,
                        "Print the timeline's marks, flush-pending window and legend as JSON");

  ReproduceArgs reproduce;
  auto* reproduce_cmd = app.add_subcommand(
      "reproduce",
      "Write a C program that runs the scenario on the real kernel (real forks, pinned threads, "
      "the real system calls) and prints KTAP; with --trace, drives the counterexample's "
      "schedule in a stress loop and counts the bad outcome");
  reproduce_cmd->add_option("scenario", reproduce.scenario, "Scenario file")->required();
  reproduce_cmd->add_option("--trace", reproduce.trace,
                            "A counterexample of `check --trace` on this scenario: race its "
                            "overlapping ops, the others one at a time");
  reproduce_cmd->add_option("-o,--output", reproduce.output,
                            "Write the C program to this file (default: stdout)");

  OracleArgs oracle;
  auto* oracle_cmd = app.add_subcommand(
      "oracle",
      "Run sequential scenarios on the running kernel and on the model along the same path, and "
      "compare after every op (outcome, values, faults, present, frame identity, uffd-wp, "
      "soft-dirty, mapcount, PageAnonExclusive); needs root and gcc");
  oracle_cmd->add_option("scenarios", oracle.scenarios, "Scenario files");
  oracle_cmd
      ->add_option("--random", oracle.random,
                   "Compare N random sequential programs (1-2 regions, 1-3 pages, up to 3 "
                   "processes) instead; each undeclared disagreement is shrunk and printed")
      ->check(kNonNegative);
  oracle_cmd->add_option("--seed", oracle.seed, "The random programs' seed (default 1)");
  oracle_cmd->add_flag("!--no-shrink", oracle.shrink, "Print disagreeing programs unshrunk");
  oracle_cmd
      ->add_option("--jobs", oracle.jobs,
                   "Random programs compiled and run side by side (default: one per core); the "
                   "output is the same for any number")
      ->check(CLI::Range(1u, 64u));
  oracle_cmd->add_option("--kernel", oracle.kernel,
                         "The preset to compare with (default: the release nearest `uname -r`)");

  std::string what;
  bool list_verbose = false;
  auto* list_cmd =
      app.add_subcommand("list", "List presets, policies, ops, invariants or kernel steps");
  list_cmd->add_option("what", what, "presets|policies|ops|invariants|steps")
      ->required()
      ->check(CLI::IsMember({"presets", "policies", "ops", "invariants", "steps"}));
  list_cmd->add_flag("-v,--verbose", list_verbose,
                     "With ops: each op's fields (type, default, limits) and kernel steps");

  CompareArgs diff;
  auto* diff_cmd = app.add_subcommand(
      "diff", "One scenario on two presets: both verdicts and the policies that differ");
  diff_cmd->add_option("file", diff.file, "Scenario file")->required();
  diff_cmd->add_option("kernel1", diff.a, "The first preset")->required();
  diff_cmd->add_option("kernel2", diff.b, "The second preset")->required();
  diff_cmd
      ->add_option("--threads", diff.threads, "Worker threads, 0 to 1024 (default 0: every core)")
      ->check(kThreadCount);
  diff_cmd->add_flag("--json", diff.json, "Print the comparison as JSON");

  CompareArgs bisect;
  auto* bisect_cmd = app.add_subcommand(
      "bisect",
      "When two presets' verdicts differ: the policies whose change alone (else in pairs) flips "
      "the first");
  bisect_cmd->add_option("file", bisect.file, "Scenario file")->required();
  bisect_cmd->add_option("kernel1", bisect.a, "The preset whose verdict is flipped")->required();
  bisect_cmd->add_option("kernel2", bisect.b, "The preset whose policy values are tried")
      ->required();
  bisect_cmd
      ->add_option("--threads", bisect.threads, "Worker threads, 0 to 1024 (default 0: every core)")
      ->check(kThreadCount);
  bisect_cmd->add_flag("--json", bisect.json, "Print the result as JSON");

  std::string init_name;
  auto* init_cmd = app.add_subcommand(
      "init", "Print a commented scenario template (valid as printed) to start a scenario from");
  init_cmd->add_option("name", init_name, "The scenario's name")->required();

  std::string show_preset;
  auto* show_cmd = app.add_subcommand(
      "show", "Print a preset's policies, each with its value and the commit it follows");
  show_cmd->add_option("preset", show_preset, "A preset (see `mmcheck list presets`)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    if (code == 0) return 0;
    // A command line that does not parse: under --json, an error object on stdout too.
    for (int i = 1; i < argc; ++i)
      if (std::string(argv[i]) == "--json") {
        nlohmann::json j = {{"error", {{"kind", "usage"}, {"message", e.what()}}},
                            {"exit_code", kExitUsage}};
        std::printf("%s\n", json_text(j).c_str());
        break;
      }
    return kExitUsage;
  }
  bool json = (*check_cmd && check.json) || (*suite_cmd && suite.json) ||
              (*replay_cmd && replay.json) || (*explain_cmd && explain.json) ||
              (*diff_cmd && diff.json) || (*bisect_cmd && bisect.json);
  // A signal ends a search incomplete with its report (exit 12), not the process.
  if (*check_cmd || *suite_cmd || *diff_cmd || *bisect_cmd) catch_interrupts();
  check.comm = comm;
  auto run_command = [&]() -> int {
    try {
      if (comm != nullptr && comm->size() > 1 && (!*check_cmd || !check.witness.empty()))
        throw vm::InputError("mpirun", "",
                             "only `mmcheck check` (without --witness) runs on several "
                             "processes; run the other commands as one process");
      if (*check_cmd && !check.witness.empty()) {
        if (check.kernel == "all")
          throw vm::InputError("--witness", "", "takes one kernel, not --kernel all");
        return check_witness_command(check);
      }
      if (*check_cmd)
        return check.kernel == "all" ? check_all_command(check) : check_command(check);
      if (*diff_cmd) return diff_command(diff);
      if (*bisect_cmd) return bisect_command(bisect);
      if (*suite_cmd) return suite_command(suite);
      if (*replay_cmd) return replay_command(replay);
      if (*explain_cmd) return explain_command(explain);
      if (*list_cmd) return list_command(what, list_verbose);
      if (*show_cmd) return show_command(show_preset);
      if (*init_cmd) return init_command(init_name);
      if (*reproduce_cmd) return reproduce_command(reproduce);
      if (*oracle_cmd) return oracle_command(oracle);
    } catch (const vm::InputError& e) {
      return input_error(e.file, e.pointer, e.detail, json);
    } catch (const CheckpointError& e) {
      return input_error("--resume", "", e.what(), json);
    } catch (const std::filesystem::filesystem_error& e) {
      // A directory that cannot be listed, a symlink loop, a path that is not there: bad input
      // with its path, like a file that cannot be read.
      return input_error(e.path1().string(), "", e.code().message(), json);
    }
    return kExitUsage;
  };
  int status = run_command();
  // Output lost on stdout (a full disk, a closed pipe) is an error like a file that cannot be
  // written: the run's status would say a report was delivered.
  if (auto lost = flush_stdout()) {
    std::fprintf(stderr, "mmcheck: %s\n", lost->c_str());
    return kExitOutput;
  }
  return status;
}

}  // namespace mmcheck::cli
