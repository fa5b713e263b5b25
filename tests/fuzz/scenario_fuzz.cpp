// libFuzzer harness: the scenario loader from arbitrary bytes. Every input must load or be bad
// input (vm::InputError); anything else escaping, a crash or a sanitizer report is a defect.
// Built with -DMMCHECK_FUZZ=ON (the asan preset); run with tools/fuzz.sh scenario_fuzz MINUTES.
#include <cstddef>
#include <cstdint>
#include <string>

#include "invariants/registry.hpp"
#include "models/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mmcheck::vm::parse_scenario(text, "fuzz.json", mmcheck::vm::invariant_names());
  } catch (const mmcheck::vm::InputError&) {
    // bad input, reported with its place: the expected outcome for most inputs
  }
  return 0;
}
