// `mmcheck suite PATH... --kernel K [--set P=V]...`: the library on one (patched) kernel, each
// scenario against the expectation of the preset K, and the list of what the overrides changed.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "tools/cli/suite.hpp"

namespace mmcheck::cli {

namespace {

std::string status_of(const SuiteJob& job) {
  if (!job.has_expect) return job.pass ? "no expect" : "INCOMPLETE";
  if (job.fixed) return "FIXED";
  if (job.pass) return "pass";
  return job.outcome.verdict == Outcome::Incomplete ? "INCOMPLETE" : "MISMATCH";
}

std::string padded(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

void print_kernel_report(const SuiteRun& run, const SuiteArgs& args) {
  std::string patch;
  for (const std::string& s : args.sets) patch += (patch.empty() ? "" : ", ") + s;
  std::string label = args.kernel + (patch.empty() ? "" : " + " + patch);
  std::size_t name_width = 8, want_width = 8, got_width = 3;
  for (const SuiteJob& job : run.jobs) {
    name_width = std::max(name_width, run.scenarios[job.scenario].name.size());
    if (job.has_expect) want_width = std::max(want_width, expected_text(job.expected).size());
    got_width = std::max(got_width, actual_text(job.outcome).size());
  }
  std::ostringstream out;
  out << "suite on " << label << ", judged by the expectations of " << args.kernel << "\n\n"
      << padded("scenario", name_width) << "  " << padded("expected", want_width) << "  "
      << padded("got", got_width) << "  result\n";
  std::uint64_t states = 0;
  std::size_t fixed = 0, changed = 0;
  for (const SuiteJob& job : run.jobs) {
    states += job.outcome.stats.states;
    changed += job.changed ? 1 : 0;
    fixed += job.fixed ? 1 : 0;
    out << padded(run.scenarios[job.scenario].name, name_width) << "  "
        << padded(job.has_expect ? expected_text(job.expected) : "-", want_width) << "  "
        << padded(actual_text(job.outcome), got_width) << "  " << status_of(job) << "\n";
  }
  std::size_t failures = run.failures();
  out << "\n"
      << run.scenarios.size() + run.errors.size() << " scenarios, " << run.jobs.size() << " runs, "
      << states << " states: " << changed << " changed" << (patch.empty() ? "" : " by " + patch)
      << " (" << fixed << " fixed), " << failures << " failure" << (failures == 1 ? "" : "s")
      << "\n";
  if (changed != 0) {
    out << (patch.empty() ? "Differ from the expectations of " + args.kernel
                          : "What " + patch + " changed on " + args.kernel)
        << ":\n";
    for (const SuiteJob& job : run.jobs)
      if (job.changed)
        out << "  " << run.scenarios[job.scenario].name << ": " << expected_text(job.expected)
            << " -> " << actual_text(job.outcome) << (job.fixed ? " (fixed)" : "") << "\n";
  }
  std::cout << out.str();
  for (const SuiteJob& job : run.jobs)
    if (!job.pass)
      std::fprintf(stderr, "FAILED %s on %s: %s\n", run.scenarios[job.scenario].name.c_str(),
                   label.c_str(), job.why.c_str());
  for (const SuiteError& e : run.errors)
    std::fprintf(stderr, "ERROR %s (not run)\n", error_text(e).c_str());
}

}  // namespace mmcheck::cli
