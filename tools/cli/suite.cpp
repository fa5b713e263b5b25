// `mmcheck suite`: placeholder until the suite lands.
#include <cstdio>

#include "tools/cli/commands.hpp"
#include "tools/cli/run.hpp"

namespace mmcheck::cli {

int suite_command(const SuiteArgs&) {
  std::fprintf(stderr, "mmcheck: suite is not implemented yet\n");
  return kExitUsage;
}

}  // namespace mmcheck::cli
