// `mmcheck explain`: the counterexample as a terminal timeline, one column per CPU, the state
// after every step, the violation last; ANSI colour on a terminal only. It replays the trace the
// way `replay` does, so a trace that no longer reproduces is said so, with exit status 1.
#include <algorithm>
#include <set>

#include "tests/cli/cli_support.hpp"

using namespace mmcheck::clitest;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("explain prints without colour when piped, with a column for every CPU", "[explain]") {
  std::string trace = uffd_trace();
  json recorded = parse_json(read_file(trace), trace);
  // The status of a pipeline is cat's: explain's own is checked below, unpiped.
  Result piped =
      run_shell("(" + shell_quote(kBinary) + " explain " + shell_quote(trace) + " | cat)");
  INFO(describe(piped));
  REQUIRE(piped.status == 0);
  CHECK(piped.out.find('\033') == std::string::npos);
  std::vector<std::string> lines = lines_of(piped.out);
  auto header = std::find_if(lines.begin(), lines.end(),
                             [](const std::string& l) { return l.rfind("  #  ", 0) == 0; });
  REQUIRE(header != lines.end());
  for (const std::string& cpu : cpus_of(recorded)) {
    INFO("column header for " << cpu << ": " << *header);
    CHECK(header->find(cpu + " (P)") != std::string::npos);
  }
  Result status = run_mmcheck({"explain", trace});
  CHECK(status.status == 0);
  CHECK(status.out == piped.out);
}

TEST_CASE("explain colours its output on a terminal, and not with --no-colour", "[explain]") {
  REQUIRE(fs::exists("/usr/bin/script"));  // util-linux: gives the command a terminal
  std::string trace = uffd_trace();
  std::string command = shell_quote(kBinary) + " explain " + shell_quote(trace);
  Result tty = run_shell("/usr/bin/script -qec " + shell_quote(command) + " /dev/null");
  INFO(describe(tty));
  CHECK(tty.status == 0);
  CHECK(tty.out.find("\033[") != std::string::npos);
  Result plain =
      run_shell("/usr/bin/script -qec " + shell_quote(command + " --no-colour") + " /dev/null");
  CHECK(plain.status == 0);
  CHECK(plain.out.find('\033') == std::string::npos);
}

TEST_CASE("explain shows page A's PTE, TLBs and frames after every step and the violation last",
          "[explain]") {
  std::string trace = uffd_trace();
  json recorded = parse_json(read_file(trace), trace);
  Result r = run_mmcheck({"explain", trace, "--no-colour"});
  INFO(describe(r));
  REQUIRE(r.status == 0);
  std::vector<std::string> lines = lines_of(r.out);
  std::size_t steps = recorded["steps"].size();
  std::size_t page_lines = std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
    // "    " and the marker column ("~ " while a flush is pending) before the state.
    return l.rfind("    ", 0) == 0 && l.compare(6, 13, "| A  pte  P: ") == 0 &&
           l.find("| tlb  cpu0: ") != std::string::npos;
  });
  CHECK(page_lines == steps);
  // cpu2's store through its stale entry lands in frame 0 ("[0 3*]": word 1 changed to 3),
  // after the copy took frame 1 with the old value. 5.10 has no PageAnonExclusive: no "excl".
  CHECK(r.out.find("frame 0: ref 3 map 1 pin 0 held by ref0 [0 3*]") != std::string::npos);
  CHECK(r.out.find("pin 0 excl") == std::string::npos);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  REQUIRE(!lines.empty());
  CHECK(lines.back() == "VIOLATION " + recorded["invariant"].get<std::string>() + ": " +
                            recorded["message"].get<std::string>());
}

TEST_CASE("explain of a trace that no longer replays says where, and exits 1", "[explain]") {
  std::string path = uffd_trace();
  json trace = parse_json(read_file(path), path);
  for (json& step : trace["steps"])
    for (json& c : step["changes"])
      if (c["path"] == "frame.0.content.1") c["to"] = 7;
  std::string edited = temp_dir().fresh("edited", ".trace.json");
  write_file(edited, trace.dump(2));
  Result r = run_mmcheck({"explain", edited, "--no-colour"});
  INFO(describe(r));
  CHECK(r.status == 1);
  CHECK(r.out.find("frame.0.content.1 recorded 1->7, replayed 1->3") != std::string::npos);
  CHECK(r.out.find("no longer replays") != std::string::npos);
}
