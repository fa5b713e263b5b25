// libFuzzer harness: the trace reader from arbitrary bytes, then the printing of what it read
// (the report of a trace, as replay prints it). Every input must read or be bad input
// (vm::InputError). Built with -DMMCHECK_FUZZ=ON; run with tools/fuzz.sh trace_fuzz MINUTES.
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/scenario.hpp"
#include "tools/cli/replay.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mmcheck::cli::RecordedTrace trace = mmcheck::cli::parse_trace(text, "fuzz.trace.json");
    std::string printed = mmcheck::run::json_text(mmcheck::run::steps_json(trace.steps));
    (void)printed;
  } catch (const mmcheck::vm::InputError&) {
    // bad input, reported with its place
  }
  return 0;
}
