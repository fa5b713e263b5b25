// `mmcheck replay`: placeholder until the counterexample issue lands.
#include <cstdio>

#include "tools/cli/commands.hpp"
#include "tools/cli/run.hpp"

namespace mmcheck::cli {

int replay_command(const ReplayArgs&) {
  std::fprintf(stderr, "mmcheck: replay is not implemented yet\n");
  return kExitUsage;
}

}  // namespace mmcheck::cli
