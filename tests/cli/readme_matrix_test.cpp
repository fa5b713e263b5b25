// The README's race x kernel matrix is the suite's own output: a stale copy fails here.
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string run_capture(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  int raw = pclose(pipe);
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \n");
  auto e = s.find_last_not_of(" \n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// What a developer who added or changed a scenario needs: the command that regenerates the
// README's copy, and the first row that differs (not a whole-table string diff).
std::string stale_matrix_message(const std::string& readme, const std::string& suite) {
  std::istringstream a(readme), b(suite);
  std::string la, lb;
  int row = 0;
  std::string where = "the matrices differ in length";
  while (true) {
    bool more_a = static_cast<bool>(std::getline(a, la));
    bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) break;
    ++row;
    if (!more_a || !more_b || la != lb) {
      where = "first difference at row " + std::to_string(row) +
              ":\n  README: " + (more_a ? la : "(none)") +
              "\n  suite:  " + (more_b ? lb : "(none)");
      break;
    }
  }
  return "README.md's race x kernel matrix is not what `mmcheck suite scenarios --markdown` "
         "prints (a scenario or an expect was added or changed).\nRegenerate it from the "
         "repository root, after building:\n\n  tools/update-readme.sh\n\n(it runs "
         "build/release/mmcheck, or $MMCHECK, and rewrites the block between the "
         "suite-matrix markers); then commit README.md. " +
         where;
}

}  // namespace

TEST_CASE("The README's race x kernel matrix matches what the suite prints", "[readme][suite]") {
  int status = -1;
  std::string matrix =
      run_capture(std::string(MMCHECK_BINARY) + " suite " MMCHECK_SOURCE_DIR
                                                "/scenarios --markdown 2>/dev/null",
                  &status);
  REQUIRE(status == 0);
  std::ifstream in(MMCHECK_SOURCE_DIR "/README.md");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string readme = buffer.str();
  const std::string begin = "<!-- suite-matrix:begin -->", end = "<!-- suite-matrix:end -->";
  auto b = readme.find(begin);
  auto e = readme.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  std::string copy = readme.substr(b + begin.size(), e - b - begin.size());
  if (trim(copy) != trim(matrix)) FAIL(stale_matrix_message(trim(copy), trim(matrix)));
}

TEST_CASE("A stale README matrix fails with the command that regenerates it and the row",
          "[readme][suite]") {
  std::string message = stale_matrix_message("| a | ✓ |\n| b | ✓ |", "| a | ✓ |\n| b | ✗ |");
  CHECK_THAT(message, Catch::Contains("tools/update-readme.sh"));
  CHECK_THAT(message, Catch::Contains("row 2"));
  CHECK_THAT(message, Catch::Contains("README: | b | ✓ |"));
  CHECK_THAT(message, Catch::Contains("suite:  | b | ✗ |"));
  std::string longer = stale_matrix_message("| a | ✓ |", "| a | ✓ |\n| new | ✓ |");
  CHECK_THAT(longer, Catch::Contains("README: (none)"));
}

TEST_CASE("The README's policy table has every policy with the values mmcheck accepts",
          "[readme][list]") {
  int status = -1;
  std::string listing = run_capture(std::string(MMCHECK_BINARY) + " list policies", &status);
  REQUIRE(status == 0);
  std::ifstream in(MMCHECK_SOURCE_DIR "/README.md");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string readme = buffer.str();
  std::istringstream lines(listing);
  std::string line;
  int policies = 0;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name, values;
    words >> name >> values;
    if (name.empty()) continue;
    ++policies;
    // "| `name` | bool |" or "| `name` | `a` · `b` |"
    std::string cell;
    if (values == "true|false") {
      cell = "bool";
    } else {
      std::istringstream parts(values);
      std::string part;
      while (std::getline(parts, part, '|')) cell += (cell.empty() ? "`" : " · `") + part + "`";
    }
    INFO(name);
    CHECK_THAT(readme, Catch::Contains("| `" + name + "` | " + cell + " |"));
  }
  CHECK(policies >= 14);
}
