// `mmcheck suite`'s outputs for machines: JUnit XML, KTAP as kselftest prints it, and JSON.
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "tools/cli/suite.hpp"
#include "tools/run/output.hpp"

namespace mmcheck::cli {

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

std::string error_text(const SuiteError& e) {
  return e.file + (e.pointer.empty() ? "" : ": " + e.pointer) + ": " + e.message;
}

namespace {

std::string reproduce(const vm::Scenario& sc, const SuiteJob& job) {
  std::string cmd = "mmcheck check " + sc.file + " --kernel " + job.kernel;
  for (const std::string& o : job.outcome.overrides) {
    // The scenario's own policy object is in the file; only --set goes on the command line.
    bool own = false;
    for (const auto& [key, value] : sc.policy_overrides) own = own || o == key + "=" + value;
    if (!own) cmd += " --set " + o;
  }
  return cmd;
}

}  // namespace

std::optional<std::string> write_junit(const SuiteRun& run, const std::string& path) {
  std::ostringstream out;
  std::size_t failed = run.failures() - run.errors.size();
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"mmcheck\" "
         "tests=\""
      << run.jobs.size() + run.errors.size() << "\" failures=\"" << failed << "\" errors=\""
      << run.errors.size() << "\" time=\"" << run.seconds << "\">\n";
  for (const SuiteJob& job : run.jobs) {
    const vm::Scenario& sc = run.scenarios[job.scenario];
    out << "  <testcase classname=\"" << xml_escape(sc.name) << "\" name=\"" << job.kernel
        << "\" time=\"" << job.outcome.stats.seconds << "\">";
    if (!job.pass)
      out << "<failure message=\"" << xml_escape(job.why) << "\">" << xml_escape(reproduce(sc, job))
          << "</failure>";
    out << "</testcase>\n";
  }
  for (const SuiteError& e : run.errors)
    out << "  <testcase classname=\"" << xml_escape(e.file) << "\" name=\"load\" time=\"0\">"
        << "<error type=\"input\" message=\"" << xml_escape(error_text(e)) << "\">"
        << xml_escape(error_text(e)) << "</error></testcase>\n";
  out << "</testsuite>\n</testsuites>\n";
  return write_output_file(path, out.str());
}
// As tools/testing/selftests/kselftest/ktap_helpers.sh and kselftest.h print it: "ok N name",
// "ok N name # XFAIL ..." for a violation or deadlock that was expected, "ok N name # SKIP ..."
// for an expected unsupported pair, "not ok N name # XPASS ..." when an expected violation did
// not happen, "not ok N file # error ..." for a file that did not load, and the Totals line.
void print_ktap(const SuiteRun& run) {
  std::size_t pass = 0, fail = 0, xfail = 0, xpass = 0, skip = 0, error = 0, n = 0;
  std::printf("KTAP version 1\n1..%zu\n", run.jobs.size() + run.errors.size());
  for (const SuiteJob& job : run.jobs) {
    const vm::Scenario& sc = run.scenarios[job.scenario];
    std::string name = sc.name + "." + job.kernel;
    bool race = job.has_expect && (job.expected.outcome == vm::Outcome::Violates ||
                                   job.expected.outcome == vm::Outcome::Deadlock);
    ++n;
    if (job.pass && job.outcome.verdict == Outcome::Unsupported) {
      ++skip;
      std::printf("ok %zu %s # SKIP %s\n", n, name.c_str(), job.outcome.unsupported_reason.c_str());
    } else if (job.pass && race && !job.fixed) {
      ++xfail;
      std::printf("ok %zu %s # XFAIL %s\n", n, name.c_str(), actual_text(job.outcome).c_str());
    } else if (job.pass) {
      ++pass;
      std::printf("ok %zu %s\n", n, name.c_str());
    } else if (race && job.outcome.verdict == Outcome::Holds) {
      ++xpass;
      std::printf("not ok %zu %s # XPASS expected %s\n", n, name.c_str(),
                  expected_text(job.expected).c_str());
    } else {
      ++fail;
      std::printf("not ok %zu %s\n", n, name.c_str());
    }
    if (!job.pass)
      std::printf("# %s\n# reproduce: %s\n", job.why.c_str(), reproduce(sc, job).c_str());
  }
  for (const SuiteError& e : run.errors) {
    ++error;
    std::printf("not ok %zu %s # error %s\n", ++n, e.file.c_str(), error_text(e).c_str());
  }
  std::printf("# Totals: pass:%zu fail:%zu xfail:%zu xpass:%zu skip:%zu error:%zu\n", pass, fail,
              xfail, xpass, skip, error);
}

nlohmann::json suite_json(const SuiteRun& run, const SuiteArgs& args) {
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json changed = nlohmann::json::array();
  for (const SuiteJob& job : run.jobs) {
    const vm::Scenario& sc = run.scenarios[job.scenario];
    nlohmann::json r = report_json(sc, job.outcome);
    r.erase("steps");
    r.erase("coverage");
    r["expected"] = job.has_expect ? nlohmann::json(expected_text(job.expected)) : nullptr;
    r["pass"] = job.pass;
    r["changed"] = job.changed;
    if (job.fixed) r["fixed"] = true;
    if (!job.pass || job.changed) r["why"] = job.why;
    if (job.changed)
      changed.push_back({{"scenario", sc.name},
                         {"kernel", job.kernel},
                         {"expected", expected_text(job.expected)},
                         {"got", actual_text(job.outcome)},
                         {"fixed", job.fixed}});
    results.push_back(r);
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const SuiteError& e : run.errors) {
    nlohmann::json j = {{"file", e.file}, {"message", e.message}};
    if (!e.pointer.empty()) j["pointer"] = e.pointer;
    errors.push_back(j);
  }
  nlohmann::json out = {{"results", results},     {"errors", errors},
                        {"changed", changed},     {"failures", run.failures()},
                        {"seconds", run.seconds}, {"exit_code", run.exit_status()}};
  if (!args.kernel.empty()) {
    out["kernel"] = args.kernel;
    out["overrides"] = args.sets;
  }
  return out;
}

}  // namespace mmcheck::cli
