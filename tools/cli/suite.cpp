// `mmcheck suite`: every scenario under every preset of its "expect", as a race x kernel
// matrix; JUnit XML and KTAP for CI systems, Markdown for the README. A cell passes when the
// outcome is the expected one and every must_reach step of that preset was reached.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

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

struct Job {
  std::size_t scenario = 0;
  std::string kernel;
  vm::Expectation expected;
  RunOutcome outcome;
  bool pass = false;
  std::string why;  // for a mismatch
};

int status_of(const std::vector<Job>& jobs, std::size_t failures) {
  std::vector<int> statuses;
  for (const Job& job : jobs) statuses.push_back(job.outcome.exit_code);
  return suite_exit_status(statuses, failures);
}

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

std::string expected_text(const vm::Expectation& e) {
  switch (e.outcome) {
    case vm::Outcome::Holds:
      return "holds";
    case vm::Outcome::Violates:
      return "violates " + e.invariant;
    case vm::Outcome::Deadlock:
      return "deadlock";
    case vm::Outcome::Unsupported:
      return "unsupported";
  }
  return "?";
}

std::string actual_text(const RunOutcome& o) {
  if (o.verdict == Outcome::Violation) return "violates " + o.invariant;
  if (o.verdict == Outcome::Incomplete) return "incomplete (" + o.incomplete_reason + ")";
  return outcome_name(o.verdict);
}

void judge(Job& job) {
  const RunOutcome& o = job.outcome;
  std::string want = expected_text(job.expected);
  std::string got = actual_text(o);
  if (want != got) {
    job.why = "expected " + want + ", got " + got + (o.message.empty() ? "" : ": " + o.message);
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

std::string cell(const Job& job) {
  if (!job.pass) return "MISMATCH";
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

std::string pad(const std::string& s, std::size_t width) {
  std::size_t w = display_width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string short_kernel(const std::string& k) {
  return k.rfind("linux-", 0) == 0 ? k.substr(6) : k;
}

}  // namespace

int suite_exit_status(const std::vector<int>& run_statuses, std::size_t mismatches) {
  for (int status : run_statuses)
    if (status == kExitInternal) return kExitInternal;
  return mismatches == 0 ? kExitHolds : kExitExpectation;
}

int suite_command(const SuiteArgs& args) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> files = collect_files(args.paths);
  std::vector<vm::Scenario> scenarios;
  for (const std::string& f : files)
    scenarios.push_back(vm::load_scenario(f));  // bad input: exit 2
  std::vector<Job> jobs;
  std::set<std::string> used_kernels;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    if (scenarios[i].expect.empty())
      throw vm::InputError(scenarios[i].file, "/expect",
                           "a suite scenario needs an \"expect\" entry for at least one preset");
    for (const auto& preset : vm::presets()) {
      auto it = scenarios[i].expect.find(preset.name);
      if (it == scenarios[i].expect.end()) continue;
      jobs.push_back({i, preset.name, it->second, {}, false, ""});
      used_kernels.insert(preset.name);
    }
  }
  check_traces_dir(args.traces_dir);
  if (!args.junit.empty())
    if (auto why = unusable_output_path(args.junit)) throw vm::InputError("--junit", "", *why);
  // Small scenarios run side by side, one search thread each, --threads of them at a time; the
  // results do not depend on it. A signal stops the running searches and skips the rest.
  run_side_by_side(jobs.size(), args.threads, [&](std::size_t j) {
    Job& job = jobs[j];
    RunConfig config;
    config.kernel = job.kernel;
    config.search.threads = 1;
    config.search.reduce = args.por == "on";
    config.search.interrupt = &interrupt_flag();
    if (interrupt_flag().load()) {
      job.outcome.kernel = job.kernel;
      job.outcome.verdict = Outcome::Incomplete;
      job.outcome.incomplete_reason = "interrupted";
      job.outcome.exit_code = kExitIncomplete;
    } else {
      job.outcome = run_scenario(scenarios[job.scenario], config);
    }
    judge(job);
  });
  bool interrupted = interrupt_flag().load();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<std::string> kernels;
  for (const auto& p : vm::presets())
    if (used_kernels.count(p.name)) kernels.push_back(p.name);
  std::size_t failures =
      std::count_if(jobs.begin(), jobs.end(), [](const Job& j) { return !j.pass; });

  // Outputs that cannot be written are reported after the results, which are printed anyway.
  std::vector<std::string> write_errors;
  if (!args.traces_dir.empty()) {
    for (const Job& job : jobs) {
      if (job.outcome.trace.empty()) continue;
      std::string name =
          fs::path(scenarios[job.scenario].file).stem().string() + "." + job.kernel + ".trace.json";
      if (auto err =
              write_output_file((fs::path(args.traces_dir) / name).string(),
                                json_text(trace_json(scenarios[job.scenario], job.outcome)) + "\n"))
        write_errors.push_back("--traces: " + *err);
    }
  }
  if (!args.junit.empty()) {
    std::ostringstream out;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"mmcheck\" "
           "tests=\""
        << jobs.size() << "\" failures=\"" << failures << "\" time=\"" << seconds << "\">\n";
    for (const Job& job : jobs) {
      const vm::Scenario& sc = scenarios[job.scenario];
      out << "  <testcase classname=\"" << xml_escape(sc.name) << "\" name=\"" << job.kernel
          << "\" time=\"" << job.outcome.stats.seconds << "\">";
      if (!job.pass)
        out << "<failure message=\"" << xml_escape(job.why) << "\">mmcheck check "
            << xml_escape(sc.file) << " --kernel " << job.kernel << "</failure>";
      out << "</testcase>\n";
    }
    out << "</testsuite>\n</testsuites>\n";
    if (auto err = write_output_file(args.junit, out.str()))
      write_errors.push_back("--junit: " + *err);
  }
  // The status once the results are printed: an interrupted suite is incomplete, a lost output
  // file an output error.
  auto finish = [&](int status) {
    for (const std::string& e : write_errors) std::fprintf(stderr, "mmcheck: %s\n", e.c_str());
    if (status == kExitInternal) return status;
    if (!write_errors.empty()) return kExitOutput;
    if (interrupted) {
      std::fprintf(stderr, "mmcheck: interrupted: the suite is incomplete\n");
      return kExitIncomplete;
    }
    return status;
  };
  if (args.json) {
    nlohmann::json results = nlohmann::json::array();
    for (const Job& job : jobs) {
      nlohmann::json r = report_json(scenarios[job.scenario], job.outcome);
      r.erase("steps");
      r.erase("coverage");
      r["expected"] = expected_text(job.expected);
      r["pass"] = job.pass;
      if (!job.pass) r["why"] = job.why;
      results.push_back(r);
    }
    std::cout << json_text(nlohmann::json{
                     {"results", results}, {"failures", failures}, {"seconds", seconds}})
              << "\n";
    return finish(status_of(jobs, failures));
  }
  if (args.tap) {
    std::cout << "KTAP version 1\n1.." << jobs.size() << "\n";
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const Job& job = jobs[j];
      std::cout << (job.pass ? "ok " : "not ok ") << j + 1 << " " << scenarios[job.scenario].name
                << "." << job.kernel;
      if (job.pass)
        std::cout << " # " << expected_text(job.expected) << "\n";
      else
        std::cout << "\n# " << job.why << "\n# reproduce: mmcheck check "
                  << scenarios[job.scenario].file << " --kernel " << job.kernel << "\n";
    }
    std::cout << "# totals: pass:" << jobs.size() - failures << " fail:" << failures << "\n";
    return finish(status_of(jobs, failures));
  }
  // The matrix. Consecutive kernels whose column is the same for every scenario share one
  // column ("6.8..6.18"), so that the aliases of a release do not widen it.
  std::map<std::pair<std::size_t, std::string>, const Job*> by_cell;
  for (const Job& job : jobs) by_cell[{job.scenario, job.kernel}] = &job;
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
  if (args.markdown) {
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
    std::cout << out.str();
  } else {
    out << pad("scenario", name_width) << " ";
    for (const auto& h : headers) out << pad(h, std::max<std::size_t>(8, h.size())) << " ";
    out << "\n";
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      out << pad(scenarios[i].name, name_width) << " ";
      for (std::size_t k = 0; k < kernels.size(); ++k) {
        auto it = by_cell.find({i, kernels[k]});
        out << pad(it == by_cell.end() ? "" : cell(*it->second),
                   std::max<std::size_t>(8, headers[k].size()))
            << " ";
      }
      out << "\n";
    }
    out << "\n✓ holds as expected   ✗ violation as expected   – unsupported as expected\n";
    std::cout << out.str();
  }
  std::uint64_t states = 0;
  for (const Job& job : jobs) states += job.outcome.stats.states;
  std::fprintf(args.markdown ? stderr : stdout,
               "\n%zu scenarios, %zu runs, %llu states, %.2f s: %zu mismatch%s\n", scenarios.size(),
               jobs.size(), static_cast<unsigned long long>(states), seconds, failures,
               failures == 1 ? "" : "es");
  for (const Job& job : jobs) {
    if (job.pass) continue;
    std::fprintf(stderr, "MISMATCH %s on %s: %s\n  reproduce: mmcheck check %s --kernel %s\n",
                 scenarios[job.scenario].name.c_str(), job.kernel.c_str(), job.why.c_str(),
                 scenarios[job.scenario].file.c_str(), job.kernel.c_str());
  }
  return finish(status_of(jobs, failures));
}

}  // namespace mmcheck::cli
