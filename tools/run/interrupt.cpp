// The interrupt flag and its signal handlers (tools/run/interrupt.hpp).
#include "tools/run/interrupt.hpp"

#include <csignal>

namespace mmcheck::run {

namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler stores to it");

extern "C" void on_interrupt(int) { g_interrupted.store(true, std::memory_order_relaxed); }

}  // namespace

void catch_interrupts() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the handler runs once; a second signal takes the default action (ends the
  // process), for a user who does not want to wait for the report.
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_IGN) continue;  // nohup: an ignored signal stays ignored
    sigaction(sig, &action, nullptr);
  }
}

const std::atomic<bool>& interrupt_flag() { return g_interrupted; }

}  // namespace mmcheck::run
