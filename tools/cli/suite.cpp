// `mmcheck suite`: every scenario under every preset of its "expect", as a race x kernel
// matrix; JUnit XML and KTAP for CI systems, Markdown for the README. A cell passes when the
// outcome is the expected one and every must_reach step of that preset was reached.
#include "tools/cli/suite.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "checker/sysinfo.hpp"
#include "invariants/checker.hpp"
#include "models/policy.hpp"
#include "tools/cli/commands.hpp"
#include "tools/run/interrupt.hpp"
#include "tools/run/output.hpp"
#include "tools/run/parallel.hpp"
#include "tools/run/run.hpp"

namespace mmcheck::cli {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> collect_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      // Symbolic links to directories are not followed (no loop can be walked); a symlink loop,
      // or a *.json entry that cannot be examined (a dangling link), is bad input naming it.
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::none, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        bool regular = it->is_regular_file(type_ec);
        if (type_ec && (it->path().extension() == ".json" ||
                        type_ec == std::errc::too_many_symbolic_link_levels))
          throw vm::InputError(it->path().string(), "",
                               "cannot read the scenario file: " + type_ec.message());
        if (regular && it->path().extension() == ".json") found.push_back(it->path().string());
      }
      if (ec) throw vm::InputError(p, "", "cannot list the directory: " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      throw vm::InputError(p, "", "no such file or directory");
    }
  }
  if (files.empty())
    throw vm::InputError(paths.empty() ? "suite" : paths.front(), "",
                         "no scenario files (*.json) found");
  return files;
}

// --traces DIR: made when missing; a path that is there and not a directory (or cannot be made)
// is bad input before anything runs.
void check_traces_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw vm::InputError("--traces", "", dir + " is not a directory; --traces names a directory");
  fs::create_directories(dir, ec);
  if (ec)
    throw vm::InputError("--traces", "", "cannot make the directory " + dir + ": " + ec.message());
}

// A run's outcome against its expectation. With --set, an expected violation or deadlock that
// the overrides turned into a (non-vacuous) pass is "fixed" and passes; any other difference
// fails.
void judge(SuiteJob& job, bool patched) {
  const RunOutcome& o = job.outcome;
  std::string got = actual_text(o);
  if (!job.has_expect) {
    job.pass = o.verdict != Outcome::Incomplete && o.verdict != Outcome::Nondeterministic;
    if (!job.pass) job.why = "got " + got;
    return;
  }
  std::string want = expected_text(job.expected);
  if (want != got) {
    job.changed = true;
    job.why = "expected " + want + ", got " + got + (o.message.empty() ? "" : ": " + o.message);
    bool was_race = job.expected.outcome == vm::Outcome::Violates ||
                    job.expected.outcome == vm::Outcome::Deadlock;
    if (patched && was_race && o.verdict == Outcome::Holds && o.unreached.empty()) {
      job.fixed = true;
      job.pass = true;
    }
    return;
  }
  if (!o.unreached.empty()) {
    std::string list;
    for (const auto& s : o.unreached) list += (list.empty() ? "" : ", ") + s;
    job.why = "must_reach not reached: " + list;
    return;
  }
  job.pass = true;
}

// The runs: every preset of each scenario's expect, or the one --kernel (then a scenario
// without an expect for it is reported, not judged).
void plan_jobs(SuiteRun& run, const SuiteArgs& args) {
  std::vector<vm::Scenario> loaded;
  for (vm::Scenario& sc : run.scenarios) {
    if (args.kernel.empty() && sc.expect.empty()) {
      run.errors.push_back({sc.file, "/expect",
                            "a suite scenario needs an \"expect\" entry for at least one preset"});
      continue;
    }
    loaded.push_back(std::move(sc));
  }
  run.scenarios = std::move(loaded);
  for (std::size_t i = 0; i < run.scenarios.size(); ++i) {
    const auto& expect = run.scenarios[i].expect;
    if (!args.kernel.empty()) {
      auto it = expect.find(args.kernel);
      SuiteJob job{i, args.kernel, it != expect.end(), {}, {}, false, false, false, "", {}};
      if (job.has_expect) job.expected = it->second;
      run.jobs.push_back(job);
      continue;
    }
    for (const auto& preset : vm::presets()) {
      auto it = expect.find(preset.name);
      if (it != expect.end())
        run.jobs.push_back({i, preset.name, true, it->second, {}, false, false, false, "", {}});
    }
  }
}

// On a terminal: "[done/total] scenario on kernel", refreshed as runs end, erased at the end.
class SuiteProgress {
 public:
  SuiteProgress(std::size_t total, bool on) : total_(total), on_(on) {}
  void done(const std::string& scenario, const std::string& kernel) {
    if (!on_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s on %s", ++done_, total_, scenario.c_str(),
                 kernel.c_str());
    std::fflush(stderr);
  }
  ~SuiteProgress() {
    if (on_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  std::mutex mutex_;
  std::size_t total_ = 0, done_ = 0;
  bool on_ = false;
};

void run_jobs(SuiteRun& run, const SuiteArgs& args) {
  auto sets = parse_sets(args.sets);
  SuiteProgress progress(run.jobs.size(), stderr_is_terminal());
  // Small scenarios run side by side, one search thread each, --threads of them at a time; the
  // results do not depend on it. A signal stops the running searches and skips the rest.
  run_side_by_side(run.jobs.size(), args.threads, [&](std::size_t j) {
    SuiteJob& job = run.jobs[j];
    RunConfig config;
    config.kernel = job.kernel;
    config.sets = sets;
    config.search.threads = 1;
    config.search.reduce = args.por == "on";
    config.search.max_states = args.max_states;
    config.search.max_seconds = args.max_seconds;
    config.search.max_memory = mib_to_bytes(args.max_memory_mib);
    config.search.interrupt = &interrupt_flag();
    try {
      if (interrupt_flag().load()) {
        job.outcome.kernel = job.kernel;
        job.outcome.verdict = Outcome::Incomplete;
        job.outcome.incomplete_reason = "interrupted";
        job.outcome.exit_code = kExitIncomplete;
      } else {
        job.outcome = run_scenario(run.scenarios[job.scenario], config);
      }
      judge(job, !sets.empty());
    } catch (const vm::InputError& e) {
      job.error = e;
    }
    progress.done(run.scenarios[job.scenario].name, job.kernel);
  });
  // A file whose error shows only when it runs is one failing case, as one that did not load.
  std::set<std::string> failed;
  std::vector<SuiteJob> ran;
  for (SuiteJob& job : run.jobs) {
    if (!job.error) {
      ran.push_back(std::move(job));
      continue;
    }
    if (failed.insert(job.error->file + job.error->pointer).second)
      run.errors.push_back({job.error->file, job.error->pointer, job.error->detail});
  }
  run.jobs = std::move(ran);
}

// Every counterexample's trace in `dir`; the files that could not be written, as messages.
std::vector<std::string> write_traces(const SuiteRun& run, const std::string& dir) {
  std::vector<std::string> errors;
  for (const SuiteJob& job : run.jobs) {
    if (job.outcome.trace.empty()) continue;
    const vm::Scenario& sc = run.scenarios[job.scenario];
    std::string name = fs::path(sc.file).stem().string() + "." + job.kernel + ".trace.json";
    std::string path = (fs::path(dir) / name).string();
    if (auto err = write_output_file(path, json_text(trace_json(sc, job.outcome, path)) + "\n"))
      errors.push_back("--traces: " + *err);
  }
  return errors;
}

std::string cell(const SuiteJob& job) {
  if (!job.pass) return job.outcome.verdict == Outcome::Incomplete ? "INCOMPLETE" : "MISMATCH";
  switch (job.expected.outcome) {
    case vm::Outcome::Holds:
      return "✓";
    case vm::Outcome::Violates:
      return "✗";
    case vm::Outcome::Deadlock:
      return "deadlock";
    case vm::Outcome::Unsupported:
      return "–";
  }
  return "?";
}

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string pad_display(const std::string& s, std::size_t width) {
  std::size_t w = display_width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string short_kernel(const std::string& k) {
  return k.rfind("linux-", 0) == 0 ? k.substr(6) : k;
}

// The race x kernel matrix (text or Markdown), then the counts and every failure on stderr.
void print_matrix(const SuiteRun& run, bool markdown) {
  const std::vector<vm::Scenario>& scenarios = run.scenarios;
  std::vector<std::string> kernels;
  for (const auto& p : vm::presets())
    if (std::any_of(run.jobs.begin(), run.jobs.end(),
                    [&](const SuiteJob& j) { return j.kernel == p.name; }))
      kernels.push_back(p.name);
  // Consecutive kernels whose column is the same for every scenario share one column
  // ("6.8..6.18"), so that the aliases of a release do not widen it.
  std::map<std::pair<std::size_t, std::string>, const SuiteJob*> by_cell;
  for (const SuiteJob& job : run.jobs) by_cell[{job.scenario, job.kernel}] = &job;
  auto column = [&](const std::string& k) {
    std::vector<std::string> cells;
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      auto it = by_cell.find({i, k});
      cells.push_back(it == by_cell.end() ? "" : cell(*it->second));
    }
    return cells;
  };
  std::vector<std::string> headers;
  {
    std::vector<std::string> grouped;
    for (std::size_t k = 0; k < kernels.size();) {
      std::size_t last = k;
      while (last + 1 < kernels.size() && column(kernels[last + 1]) == column(kernels[k])) ++last;
      headers.push_back(short_kernel(kernels[k]) +
                        (last == k ? "" : ".." + short_kernel(kernels[last])));
      grouped.push_back(kernels[k]);
      k = last + 1;
    }
    kernels = grouped;
  }
  std::size_t name_width = 8;
  for (const auto& sc : scenarios) name_width = std::max(name_width, sc.name.size());
  std::ostringstream out;
  if (markdown) {
    out << "| scenario |";
    for (const auto& h : headers) out << " " << h << " |";
    out << "\n|---|";
    for (std::size_t i = 0; i < kernels.size(); ++i) out << ":-:|";
    out << "\n";
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      out << "| " << scenarios[i].name << " |";
      for (const auto& k : kernels) {
        auto it = by_cell.find({i, k});
        out << " " << (it == by_cell.end() ? "" : cell(*it->second)) << " |";
      }
      out << "\n";
    }
  } else {
    out << pad_display("scenario", name_width) << " ";
    for (const auto& h : headers) out << pad_display(h, std::max<std::size_t>(8, h.size())) << " ";
    out << "\n";
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      out << pad_display(scenarios[i].name, name_width) << " ";
      for (std::size_t k = 0; k < kernels.size(); ++k) {
        auto it = by_cell.find({i, kernels[k]});
        out << pad_display(it == by_cell.end() ? "" : cell(*it->second),
                           std::max<std::size_t>(8, headers[k].size()))
            << " ";
      }
      out << "\n";
    }
    out << "\n✓ holds as expected   ✗ violation as expected   – unsupported as expected\n";
  }
  std::cout << out.str();
  std::uint64_t states = 0;
  for (const SuiteJob& job : run.jobs) states += job.outcome.stats.states;
  std::size_t failures = run.failures();
  std::fprintf(markdown ? stderr : stdout,
               "\n%zu scenarios, %zu runs, %llu states, %.2f s: %zu mismatch%s\n",
               scenarios.size() + run.errors.size(), run.jobs.size(),
               static_cast<unsigned long long>(states), run.seconds, failures,
               failures == 1 ? "" : "es");
  for (const SuiteJob& job : run.jobs) {
    if (job.pass) continue;
    std::fprintf(stderr, "MISMATCH %s on %s: %s\n  reproduce: mmcheck check %s --kernel %s\n",
                 scenarios[job.scenario].name.c_str(), job.kernel.c_str(), job.why.c_str(),
                 scenarios[job.scenario].file.c_str(), job.kernel.c_str());
  }
  for (const SuiteError& e : run.errors)
    std::fprintf(stderr, "ERROR %s (not run)\n", error_text(e).c_str());
}

}  // namespace

int suite_exit_status(const std::vector<int>& run_statuses, std::size_t mismatches) {
  for (int status : run_statuses)
    if (status == kExitInternal) return kExitInternal;
  return mismatches == 0 ? kExitHolds : kExitExpectation;
}

std::size_t SuiteRun::failures() const {
  return errors.size() +
         std::count_if(jobs.begin(), jobs.end(), [](const SuiteJob& j) { return !j.pass; });
}

int SuiteRun::exit_status() const {
  std::vector<int> statuses;
  for (const SuiteJob& job : jobs) statuses.push_back(job.outcome.exit_code);
  return suite_exit_status(statuses, failures());
}

int suite_command(const SuiteArgs& args) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> files = collect_files(args.paths);
  if (!args.kernel.empty()) {
    vm::Scenario probe;  // the preset and the overrides are bad input before anything runs
    resolve_policy(probe, args.kernel, parse_sets(args.sets), nullptr);
  } else if (!args.sets.empty()) {
    throw vm::InputError("--set", "",
                         "suite --set needs --kernel K: a patch is compared with the "
                         "expectations of the preset it patches");
  }
  check_traces_dir(args.traces_dir);
  if (!args.junit.empty())
    if (auto why = unusable_output_path(args.junit)) throw vm::InputError("--junit", "", *why);
  SuiteRun run;
  for (const std::string& f : files) {
    try {
      run.scenarios.push_back(vm::load_scenario(f));
    } catch (const vm::InputError& e) {  // one failing test case; the others still run
      run.errors.push_back({e.file, e.pointer, e.detail});
    }
  }
  plan_jobs(run, args);
  run_jobs(run, args);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Outputs that cannot be written are reported after the results, which are printed anyway.
  std::vector<std::string> write_errors;
  if (!args.traces_dir.empty()) write_errors = write_traces(run, args.traces_dir);
  if (!args.junit.empty())
    if (auto err = write_junit(run, args.junit)) write_errors.push_back("--junit: " + *err);
  if (args.json)
    std::cout << json_text(suite_json(run, args)) << "\n";
  else if (args.tap)
    print_ktap(run);
  else if (!args.kernel.empty())
    print_kernel_report(run, args);
  else
    print_matrix(run, args.markdown);
  // The status once the results are printed: a lost output file is an output error, an
  // interrupted suite incomplete.
  int status = run.exit_status();
  for (const std::string& e : write_errors) std::fprintf(stderr, "mmcheck: %s\n", e.c_str());
  if (status == kExitInternal) return status;
  if (!write_errors.empty()) return kExitOutput;
  if (interrupt_flag().load()) {
    std::fprintf(stderr, "mmcheck: interrupted: the suite is incomplete\n");
    return kExitIncomplete;
  }
  return status;
}

}  // namespace mmcheck::cli
