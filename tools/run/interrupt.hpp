// SIGINT, SIGTERM and SIGHUP during a run: the handler only sets a flag (async-signal-safe), the
// search stops at its next batch and the run ends incomplete ("interrupted") with its report and
// exit status 12. A second signal of the same kind ends the process at once (the default action).
#pragma once

#include <atomic>

namespace mmcheck::run {

// Installs the handlers (once; later calls do nothing).
void catch_interrupts();

// Set by the handlers; the search reads it through SearchOptions::interrupt.
const std::atomic<bool>& interrupt_flag();

}  // namespace mmcheck::run
