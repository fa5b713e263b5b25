// Issue 19's run failures, each a regression test: outputs written whole or reported (a full
// disk, /dev/full, stdout), signals ending a run with its report, memory running out or bounded
// (suite --threads honoured: tests/model/side_by_side_test.cpp, in process).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <thread>

#include "tests/cli/cli_support.hpp"

extern char** environ;

using namespace mmcheck::clitest;

namespace {

// A member of the benchmark family (tools/bench/family.py), written to a fresh file.
std::string family_member(int n, int k, int p) {
  Result r = run_shell(kPython + " " + shell_quote(kSourceDir + "/tools/bench/family.py") +
                       " --print -N " + std::to_string(n) + " -K " + std::to_string(k) + " -P " +
                       std::to_string(p));
  INFO(describe(r));
  REQUIRE(r.status == 0);
  return write_scenario(r.out, "family");
}

// Runs mmcheck with stdout and stderr in files, sends `sig` (0: none) after `delay`, waits for
// it; `peak_kib`, when given, receives the kernel's count of its peak resident memory (wait4).
Result run_and_signal(const std::vector<std::string>& args, int sig,
                      std::chrono::milliseconds delay, long* peak_kib = nullptr) {
  Result r;
  std::string out_path = temp_dir().fresh("stdout", ".txt");
  std::string err_path = temp_dir().fresh("stderr", ".txt");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  // The child starts with the default action for every signal (a test runner may ignore some).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv_strings = {kBinary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, kBinary.c_str(), &actions, &attr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (sig != 0) {
    std::this_thread::sleep_for(delay);
    kill(pid, sig);
  }
  int raw = 0;
  rusage usage{};
  REQUIRE(wait4(pid, &raw, 0, &usage) == pid);
  if (peak_kib != nullptr) *peak_kib = usage.ru_maxrss;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  r.command = "mmcheck ... (signal " + std::to_string(sig) + ")";
  return r;
}

}  // namespace

TEST_CASE("A signal during check ends the run incomplete (interrupted) with its report",
          "[reliability][signals]") {
  std::string big = family_member(6, 2, 2);  // far more than a second of search
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    INFO("signal " << sig);
    // The bounds only keep a broken build from running for ever: the signal comes long before.
    Result r = run_and_signal(
        {"check", big, "--json", "--threads", "2", "--max-seconds", "120", "--max-memory", "2000"},
        sig, std::chrono::milliseconds(500));
    INFO(describe(r));
    REQUIRE(r.status == 12);
    json report = parse_json(r.out, "the report");
    validate_report_text(r.out);
    CHECK(report["verdict"] == "incomplete");
    CHECK(report["incomplete_reason"] == "interrupted");
    CHECK(report["exit_code"] == 12);
    CHECK(report["stats"]["states"].get<std::uint64_t>() > 0);
  }
  // Text output too: the summary says incomplete.
  Result text = run_and_signal({"check", big, "--max-seconds", "120", "--max-memory", "2000"},
                               SIGINT, std::chrono::milliseconds(500));
  INFO(describe(text));
  CHECK(text.status == 12);
  CHECK_THAT(text.out, Catch::Contains("interrupted"));
}

TEST_CASE("A signal during suite ends it incomplete with its results", "[reliability][signals]") {
  fs::path dir = temp_dir().fresh("suite-signal", "");
  fs::create_directories(dir);
  // N=4: a search of some seconds for one thread, whose whole store fits in 2 GiB.
  std::string big = family_member(4, 2, 2);
  fs::copy_file(big, dir / "big.json");
  write_file((dir / "small.json").string(), kSpecExample);
  Result r =
      run_and_signal({"suite", dir.string(), "--json"}, SIGTERM, std::chrono::milliseconds(500));
  INFO(describe(r));
  REQUIRE(r.status == 12);
  json results = parse_json(r.out, "the suite's results");
  bool interrupted = false;
  for (const json& run : results["results"])
    if (run["verdict"] == "incomplete" && run["incomplete_reason"] == "interrupted")
      interrupted = true;
  CHECK(interrupted);
}

TEST_CASE("Out of address space (ulimit -v), a search ends incomplete with its counts",
          "[reliability][limits]") {
  if (sanitized_binary()) {
    // tools/test.sh runs this test against the release build's mmcheck (MMCHECK_TEST_BINARY).
    std::cout << "MMCHECK-SKIPPED: a sanitizer build cannot run under ulimit -v (its shadow "
                 "memory is terabytes of address space); set MMCHECK_TEST_BINARY to a release "
                 "mmcheck\n";
    return;
  }
  std::string big = family_member(6, 2, 2);
  // 155 MB: oneTBB cannot even start its second worker (pthread_create fails); 300 MB, 1 GiB and
  // 1.5 GiB: the store runs out long before the search ends (1 and 1.5 GiB: the record space
  // reserved within the limit fills first). (150 MB left too little for the first states once
  // the executable grew by the reproducer's C runtime: the bound is an edge, not a measure.)
  for (const char* kib : {"155000", "300000", "1048576", "1572864"}) {
    Result r = run_shell(std::string("ulimit -v ") + kib + "; " + shell_quote(kBinary) + " check " +
                         shell_quote(big) + " --json --threads 2 --max-seconds 300");
    INFO(describe(r));
    REQUIRE(r.status == 12);
    json report = parse_json(r.out, "the report");
    std::string reason = report["incomplete_reason"];
    CHECK((reason == "out-of-memory" || reason == "record-space"));
    CHECK(report["stats"]["states"].get<std::uint64_t>() > 0);
    CHECK_THAT(r.err, !Catch::Contains("internal error"));
  }
}

TEST_CASE("Limits are limits: --max-memory 300 holds the resident memory, exact and fingerprint",
          "[reliability][limits]") {
  // A huge family member: its search would need many GiB. The bound must stop it near 300 MiB,
  // never more than a few percent over, as the kernel counts it (wait4's peak resident memory,
  // not only the report's own figure), with a report that says why. With --max-seconds 5 (the
  // issue's run) a loaded machine or a sanitizer build may stop on time first; with 300 seconds
  // the memory must be what ends it.
  if (sanitized_binary()) {
    // The bound is on the binary users run: tools/test.sh runs this test against the release
    // build's mmcheck (MMCHECK_TEST_BINARY). A sanitizer's resident memory is mostly its shadow
    // and quarantine, and the four runs cost 40 s of CPU under ASan.
    std::cout << "MMCHECK-SKIPPED: the memory bound is measured on a release mmcheck; set "
                 "MMCHECK_TEST_BINARY to one\n";
    return;
  }
  std::string big = family_member(6, 2, 2);
  for (const char* store : {"exact", "fingerprint"}) {
    for (const char* seconds : {"5", "300"}) {
      INFO("store " << store << ", --max-seconds " << seconds);
      std::vector<std::string> args = {"check",        big,         "--json",
                                       "--max-memory", "300",       "--max-seconds",
                                       seconds,        "--threads", "2"};
      if (std::string(store) == "fingerprint") args.push_back("--fingerprint");
      long peak_kib = 0;
      Result r = run_and_signal(args, 0, std::chrono::milliseconds(0), &peak_kib);
      INFO(describe(r));
      REQUIRE(r.status == 12);
      json report = parse_json(r.out, "the report");
      validate_report_text(r.out);
      CHECK(report["verdict"] == "incomplete");
      CHECK(report["exit_code"] == 12);
      std::string reason = report["incomplete_reason"];
      double peak_mib = static_cast<double>(peak_kib) / 1024;
      double reported_mib = report["stats"]["peak_rss_bytes"].get<double>() / (1 << 20);
      INFO("peak " << peak_mib << " MiB (kernel), " << reported_mib << " MiB (report), " << reason);
      CHECK(peak_mib <= 300 * 1.05);
      CHECK(std::abs(reported_mib - peak_mib) <= 300 * 0.02);
      if (std::string(seconds) == "5") {
        CHECK((reason == "max-memory" || reason == "max-seconds"));
      } else {
        CHECK(reason == "max-memory");
      }
      // Stopped by the memory, it was approached: the bound is not met by stopping far early.
      if (reason == "max-memory") CHECK(peak_mib >= 300 * 0.85);
    }
  }
}

TEST_CASE("Output files replace their target whole; write errors keep the verdict, exit 74",
          "[reliability][outputs]") {
  std::string scenario = write_scenario(kSpecExample, "outputs");
  // An existing trace is replaced by a new file (written aside, renamed over it), never
  // truncated in place: its inode changes and no temporary file is left behind.
  fs::path dir = temp_dir().fresh("outputs", "");
  fs::create_directories(dir);
  std::string trace = (dir / "t.trace.json").string();
  write_file(trace, "old");
  struct stat before {};
  REQUIRE(stat(trace.c_str(), &before) == 0);
  Result ok = run_mmcheck({"check", scenario, "--trace", trace, "--quiet"});
  INFO(describe(ok));
  REQUIRE(ok.status == 10);
  struct stat after {};
  REQUIRE(stat(trace.c_str(), &after) == 0);
  CHECK(before.st_ino != after.st_ino);
  CHECK(parse_json(read_file(trace), "the trace")["verdict"] == "violation");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);

  // --trace /dev/full: the report is printed, the failure is reported, exit 74.
  Result full = run_mmcheck({"check", scenario, "--trace", "/dev/full", "--json"});
  INFO(describe(full));
  CHECK(full.status == 74);
  CHECK(parse_json(full.out, "the report")["verdict"] == "violation");
  CHECK_THAT(full.err, Catch::Contains("cannot write /dev/full"));
  // A trace into a directory that does not exist can never be written: bad usage before the
  // search (bad_input_test.cpp).

  // suite --junit /dev/full and --traces into a directory that cannot be written to.
  Result junit = run_mmcheck({"suite", scenario, "--junit", "/dev/full", "--json"});
  INFO(describe(junit));
  CHECK(junit.status == 74);
  CHECK(parse_json(junit.out, "the suite's results")["failures"] == 0);
  CHECK_THAT(junit.err, Catch::Contains("--junit: cannot write /dev/full"));

  // stdout on /dev/full: nothing reaches it, and the status says so.
  for (const char* json_flag : {"--json", "--quiet"}) {
    Result out = run_shell("( " + shell_quote(kBinary) + " check " + shell_quote(scenario) + " " +
                           json_flag + " >/dev/full )");
    INFO(describe(out));
    CHECK(out.status == 74);
    CHECK_THAT(out.err, Catch::Contains("stdout"));
  }
  Result suite_out =
      run_shell("( " + shell_quote(kBinary) + " suite " + shell_quote(scenario) + " >/dev/full )");
  INFO(describe(suite_out));
  CHECK(suite_out.status == 74);
}
