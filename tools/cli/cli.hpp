// The command-line front end: parses flags (CLI11), runs commands, maps outcomes to exit codes.
#pragma once

namespace mmcheck::cli {

int run(int argc, char** argv);

}  // namespace mmcheck::cli
