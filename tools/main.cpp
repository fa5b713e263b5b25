// mmcheck's entry point: everything lives in the front end (tools/cli).
#include "tools/cli/cli.hpp"

int main(int argc, char** argv) { return mmcheck::cli::run(argc, argv); }
