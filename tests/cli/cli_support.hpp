// Helpers for the command-line tests: run the mmcheck executable with its output redirected to
// files, write small scenarios to a private temporary directory, read --json reports, validate
// traces and reports against the JSON Schemas in tools/schema/ (with Debian's python3-jsonschema),
// and check bad-input errors (exit 2, nothing explored, file + JSON pointer + what was expected).
//
// Verdicts are always read from --json output, never from the human-readable text.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace mmcheck::clitest {

namespace fs = std::filesystem;
using nlohmann::json;

// The mmcheck under test: this build's, or the one MMCHECK_TEST_BINARY names (tools/test.sh runs
// the tests that need an uninstrumented binary, built by the release preset, this way).
inline std::string binary_under_test() {
  const char* other = std::getenv("MMCHECK_TEST_BINARY");
  return other != nullptr && *other != '\0' ? other : MMCHECK_BINARY;
}
inline const std::string kBinary = binary_under_test();
// Whether the mmcheck under test is this build's and this build has AddressSanitizer or
// ThreadSanitizer, which reserve terabytes of address space: such a binary cannot run under
// `ulimit -v`.
inline bool sanitized_binary() {
  // The build's flags say (tests/CMakeLists.txt): cli_tests itself is not instrumented.
  return MMCHECK_BINARY_SANITIZED && kBinary == MMCHECK_BINARY;
}
inline const std::string kSourceDir = MMCHECK_SOURCE_DIR;
inline const std::string kTraceSchema = kSourceDir + "/tools/schema/mmcheck-trace-1.schema.json";
inline const std::string kReportSchema = kSourceDir + "/tools/schema/mmcheck-report-1.schema.json";
inline const std::string kSuiteSchema = kSourceDir + "/tools/schema/mmcheck-suite-1.schema.json";
// check --kernel all, diff and bisect.
inline const std::string kCompareSchema =
    kSourceDir + "/tools/schema/mmcheck-compare-1.schema.json";
// Debian's python: `python3` on PATH may be another interpreter without the module.
inline const std::string kPython = "/usr/bin/python3";

// One private directory per test process (ctest runs each test case as its own process, maybe
// in parallel), removed when the process ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mmcheck-cli-test-XXXXXX").string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  // A fresh path inside the directory: "<stem>-<n><ext>".
  std::string fresh(const std::string& stem, const std::string& ext) {
    return (path_ / (stem + "-" + std::to_string(++counter_) + ext)).string();
  }

 private:
  fs::path path_;
  int counter_ = 0;
};

inline TempDir& temp_dir() {
  static TempDir dir;
  return dir;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// Writes a scenario text to a fresh file and returns its path.
inline std::string write_scenario(const std::string& text, const std::string& stem = "scenario") {
  std::string path = temp_dir().fresh(stem, ".json");
  write_file(path, text);
  return path;
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

struct Result {
  int status = -1;  // the exit status; 128 + N when killed by signal N (a crash)
  std::string out;
  std::string err;
  std::string command;
};

// Runs any command line (already quoted) with stdout and stderr captured in files.
inline Result run_shell(const std::string& command) {
  Result r;
  std::string out_path = temp_dir().fresh("stdout", ".txt");
  std::string err_path = temp_dir().fresh("stderr", ".txt");
  r.command = command;
  std::string full =
      command + " </dev/null >" + shell_quote(out_path) + " 2>" + shell_quote(err_path);
  int raw = std::system(full.c_str());
  if (raw == -1)
    r.status = -1;
  else if (WIFEXITED(raw))
    r.status = WEXITSTATUS(raw);
  else if (WIFSIGNALED(raw))
    r.status = 128 + WTERMSIG(raw);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

inline Result run_mmcheck(const std::vector<std::string>& args) {
  std::string command = shell_quote(kBinary);
  for (const auto& a : args) command += " " + shell_quote(a);
  return run_shell(command);
}

inline std::string describe(const Result& r) {
  return "command: " + r.command + "\nexit status: " + std::to_string(r.status) + "\nstdout:\n" +
         r.out.substr(0, 4000) + "\nstderr:\n" + r.err.substr(0, 4000);
}

inline json parse_json(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    FAIL(what << " is not JSON (" << e.what() << "):\n" << text.substr(0, 4000));
  }
  return json();
}

// `mmcheck check FILE --json ARGS...`: returns the result; the caller checks r.status and the
// parsed report.
struct Check {
  Result result;
  json report;
};

// Validation with python3-jsonschema. Missing module: FAIL naming the Debian package.
inline void require_jsonschema() {
  static int state = 0;  // 0 unknown, 1 present, 2 missing
  if (state == 0) {
    Result r = run_shell(shell_quote(kPython) + " -c 'import jsonschema'");
    state = r.status == 0 ? 1 : 2;
  }
  if (state == 2)
    FAIL(
        "The Python module jsonschema is missing from "
        << kPython
        << ": install Debian's package python3-jsonschema (apt-get install -y python3-jsonschema); "
           "the project's setup script installs it.");
}

// Runs the validator on the JSON document in `path` against `schema`: status 0 when it
// validates, else the validator's error on stderr.
inline Result run_validator(const std::string& path, const std::string& schema) {
  require_jsonschema();
  REQUIRE(fs::exists(schema));
  return run_shell(
      shell_quote(kPython) +
      " -c 'import jsonschema,json,sys; jsonschema.validate(json.load(open(sys.argv[1])), "
      "json.load(open(sys.argv[2])))' " +
      shell_quote(path) + " " + shell_quote(schema));
}

// Validates the JSON document in `path` against `schema`; a failure shows the validator's error.
inline void validate_file(const std::string& path, const std::string& schema) {
  Result r = run_validator(path, schema);
  INFO("validating " << path << " against " << schema << "\n" << r.err.substr(0, 6000));
  CHECK(r.status == 0);
}

inline void validate_trace(const std::string& trace_path) {
  REQUIRE(fs::exists(trace_path));
  validate_file(trace_path, kTraceSchema);
}

inline void validate_text(const std::string& text, const std::string& schema) {
  std::string path = temp_dir().fresh("output", ".json");
  write_file(path, text);
  validate_file(path, schema);
}

inline void validate_report_text(const std::string& report_text) {
  validate_text(report_text, kReportSchema);
}

// Runs `mmcheck ARGS... --json`, requires output, validates it against `schema` and parses it;
// the run itself goes to `*out` when given.
inline json mmcheck_json(std::vector<std::string> args, const std::string& schema,
                         Result* out = nullptr) {
  args.push_back("--json");
  Result r = run_mmcheck(args);
  INFO(describe(r));
  REQUIRE(!r.out.empty());
  if (out) *out = r;
  validate_text(r.out, schema);
  return parse_json(r.out, args.front() + " --json");
}

// Runs `mmcheck check FILE --json EXTRA...`, parses the report (which must be there) and
// validates it against the report schema.
inline Check check_json(const std::string& file, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"check", file, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  Check c;
  c.result = run_mmcheck(args);
  INFO(describe(c.result));
  REQUIRE(!c.result.out.empty());
  c.report = parse_json(c.result.out, "the --json report");
  validate_report_text(c.result.out);
  return c;
}

// Bad input: exit status 2, nothing explored (stdout empty under --json, no counts anywhere),
// and stderr naming the file and JSON pointer ("FILE: POINTER: ...") and each expected text.
// Bad input prints no report: stdout is empty, or under --json only the error object.
inline void check_no_report(const Result& r) {
  if (r.command.find("--json") == std::string::npos) {
    CHECK(r.out.empty());
    return;
  }
  json j = parse_json(r.out, "the --json error object");
  CHECK(j["exit_code"] == 2);
  CHECK(j.contains("error"));
  CHECK_FALSE(j.contains("verdict"));
  CHECK_FALSE(j.contains("stats"));
}

inline void require_bad_input(const Result& r, const std::string& file, const std::string& pointer,
                              std::initializer_list<std::string> expected) {
  INFO(describe(r));
  CHECK(r.status == 2);
  check_no_report(r);
  if (r.command.find("--json") != std::string::npos) {  // the error object names the same place
    json j = parse_json(r.out, "the --json error object");
    CHECK(j["error"]["kind"] == "input");
    CHECK(j["error"]["file"] == file);
    CHECK(j["error"]["message"].is_string());
    if (!pointer.empty()) CHECK(j["error"]["pointer"] == pointer);
  }
  CHECK_THAT(r.err, !Catch::Contains("states"));
  CHECK_THAT(r.err, !Catch::Contains("transitions"));
  if (!pointer.empty()) {
    INFO("expected the location \"" << file << ": " << pointer << ": \"");
    CHECK_THAT(r.err, Catch::Contains(file + ": " + pointer + ": "));
  } else {
    CHECK_THAT(r.err, Catch::Contains(file));
  }
  for (const std::string& e : expected) {
    INFO("expected stderr to contain \"" << e << "\"");
    CHECK_THAT(r.err, Catch::Contains(e));
  }
}

// Writes `text` to a file, runs `mmcheck check FILE --json EXTRA...` and requires a bad-input
// error at `pointer` mentioning every string of `expected`.
inline void expect_bad_scenario(const std::string& text, const std::string& pointer,
                                std::initializer_list<std::string> expected,
                                std::vector<std::string> extra = {}) {
  std::string file = write_scenario(text, "bad");
  std::vector<std::string> args = {"check", file, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  require_bad_input(run_mmcheck(args), file, pointer, expected);
}

// The reference lists of the README's tables.
inline const std::vector<std::string> kPresets = {
    "linux-5.4",  "linux-5.7",  "linux-5.8",  "linux-5.9",  "linux-5.10", "linux-5.11",
    "linux-5.12", "linux-5.18", "linux-5.19", "linux-6.0",  "linux-6.1",  "linux-6.2",
    "linux-6.3",  "linux-6.4",  "linux-6.5",  "linux-6.6",  "linux-6.7",  "linux-6.8",
    "linux-6.9",  "linux-6.10", "linux-6.11", "linux-6.12", "linux-6.13", "linux-6.14",
    "linux-6.15", "linux-6.16", "linux-6.17", "linux-6.18", "latest"};
inline const std::vector<std::string> kPolicies = {"cow_reuse",
                                                   "cow_drain_lru",
                                                   "gup_force_cow_break",
                                                   "fork_copy_pinned",
                                                   "gup_ro_pin_unshare",
                                                   "clear_refs_lock",
                                                   "clear_refs_flush",
                                                   "clear_refs_skip_pinned",
                                                   "uffd_wp",
                                                   "uffd_wp_pending_flush",
                                                   "uffd_wp_writenotify",
                                                   "mprotect_dirty_accountable",
                                                   "mprotect_try_writable",
                                                   "change_prot_flush",
                                                   "uffd_unwp_try_writable",
                                                   "fault_lock",
                                                   "fork_vma_wrlock",
                                                   "uffd_close_resets_wp",
                                                   "uffdio_copy_mkdirty",
                                                   "zap_nested_flush",
                                                   "numa_skip_shared",
                                                   "protnone_pending_accessible",
                                                   "uffd_minor_shmem",
                                                   "uffdio_move",
                                                   "move_recheck_pin",
                                                   "move_sets_soft_dirty",
                                                   "numa_restore_write",
                                                   "mfill_wrprotect",
                                                   "pte_dirty_implies_write",
                                                   "uffd_wp_unpopulated",
                                                   "uffd_wp_async",
                                                   "pagemap_scan_rmw_atomic"};
inline const std::vector<std::string> kOps = {"read",
                                              "write",
                                              "clear_refs",
                                              "pagemap",
                                              "pagemap_scan",
                                              "uffd_register",
                                              "uffd_wp",
                                              "uffd_unwp",
                                              "uffd_close",
                                              "uffdio_copy",
                                              "uffdio_continue",
                                              "uffdio_move",
                                              "mprotect",
                                              "numa_scan",
                                              "migrate",
                                              "fork",
                                              "pin",
                                              "pin_fast",
                                              "get",
                                              "vmsplice",
                                              "unpin",
                                              "put",
                                              "pin_read",
                                              "pin_write",
                                              "extra_ref",
                                              "drop_ref",
                                              "madvise_dontneed",
                                              "munmap",
                                              "exit"};
inline const std::vector<std::string> kInvariants = {
    "no_stale_tlb_at_cow", "pinned_page_never_cowed", "no_lost_write",
    "pin_coherent",        "no_cross_mm_leak",        "soft_dirty_sound",
    "uffd_wp_sound",       "private_write_isolated",  "refcounts_sane",
    "no_deadlock",         "pte_dirty_kept"};

// The example of the README's "Scenario files" (uffd-wp unprotect vs COW vs a stale TLB entry):
// violates no_lost_write on linux-5.10 (its "kernel"), holds on linux-5.8 and linux-5.12.
inline const std::string kSpecExample = R"({
  // comments are allowed
  "name": "uffd-wp-unprotect-cow-stale-tlb",
  "summary": "Unprotect demotes a writable PTE under mmap_lock read and defers the flush; a COW copy races a store through the stale entry.",
  "references": ["6ce64428d620 mm/userfaultfd: fix memory corruption due to writeprotect"],
  "kernel": "linux-5.10",                       // default for `check`; --kernel overrides
  "policy": {},                                 /* overrides on top of the preset */
  "memory": { "A": { "type": "anon", "pages": 1, "words": 2, "prot": "rw", "uffd_wp": true } },
  "processes": {
    "P": { "threads": {
      "cpu0": [ { "op": "uffd_unwp", "addr": "A" } ],
      "cpu1": [ { "op": "write", "addr": "A", "word": 0, "value": 2 } ],
      "cpu2": [ { "op": "write", "addr": "A", "word": 1, "value": 3 } ] } }
  },
  "setup": [
    { "thread": "cpu2", "op": "write", "addr": "A", "word": 1, "value": 1 },  // warm writable TLB on cpu2
    { "thread": "cpu0", "op": "extra_ref", "addr": "A" }                      // the LRU pagevec reference
  ],
  "check": ["no_lost_write"],
  "must_reach": ["do_wp_page"],
  "expect": { "linux-5.8": "holds", "linux-5.10": { "violates": "no_lost_write" }, "linux-5.12": "holds" }
}
)";

// "a, b, c" as the loader prints its lists of valid names.
inline std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Two writers and an unprotect that only one of them may wait for: a deadlock on every kernel
// (the shortest one is the same whatever the thread count or the store).
inline const std::string kTwoWritersDeadlock = R"({ "name": "uffd-wp-deadlock-two-writers",
    "memory": { "A": { "words": 2, "uffd_wp": true } },
    "processes": { "P": { "threads": {
      "cpu0": [ { "op": "write", "addr": "A", "word": 0, "value": 2 } ],
      "cpu1": [ { "op": "write", "addr": "A", "word": 1, "value": 3 } ] } } },
    "setup": [ { "thread": "cpu0", "op": "write", "addr": "A", "value": 1 },
               { "thread": "cpu1", "op": "read", "addr": "A" },
               { "thread": "cpu0", "op": "uffd_wp", "addr": "A" } ],
    "check": ["no_deadlock"] })";

// Helpers several test files share (one definition each, so a unity build can join the files).
inline const std::string kUffdScenario =
    kSourceDir + "/scenarios/uffd-wp-unprotect-cow-stale-tlb.json";
inline const std::string kChromium = "/usr/bin/chromium";

inline json read_json(const std::string& path) { return parse_json(read_file(path), path); }

// "violates INVARIANT" or the verdict of a --json report.
inline std::string result_text(const json& report) {
  if (report["verdict"] == "violation") return "violates " + report["invariant"].get<std::string>();
  return report["verdict"].get<std::string>();
}

// The uffd-wp race's counterexample on linux-5.10 (14 steps, ends in no_lost_write), recorded.
inline std::string uffd_trace() {
  std::string path = temp_dir().fresh("uffd", ".trace.json");
  Result r =
      run_mmcheck({"check", kUffdScenario, "--kernel", "linux-5.10", "--trace", path, "--quiet"});
  INFO(describe(r));
  REQUIRE(r.status == 10);
  return path;
}

// The CPUs a trace's steps run on, sorted.
inline std::vector<std::string> cpus_of(const json& trace) {
  std::vector<std::string> cpus;
  for (const json& s : trace["steps"]) cpus.push_back(s["thread"].get<std::string>());
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

}  // namespace mmcheck::clitest
