#include "emu/stop_signal.h"

#include <atomic>
#include <csignal>

namespace dlsched::emu {
namespace {

// Lock-free atomics are safe to touch from a signal handler.
std::atomic<int> received{0};
std::atomic<int> last{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signal) {
  last.store(signal, std::memory_order_relaxed);
  received.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
}

int stop_signals_received() { return received.load(std::memory_order_relaxed); }

const char* last_stop_signal() {
  switch (last.load(std::memory_order_relaxed)) {
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    default: return "";
  }
}

}  // namespace dlsched::emu
