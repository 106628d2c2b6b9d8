#include "io/read_fault_guard.h"

#include <algorithm>
#include <array>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sys/time.h>
#include <unistd.h>

#include "core/error.h"

namespace dlsched {
namespace {

constexpr std::array<int, 5> kSignals{SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGALRM};

// Messages are composed before reading starts: a signal handler may only write() them.
char fault_message[1024];
std::size_t fault_length = 0;
char timeout_message[1024];
std::size_t timeout_length = 0;
std::array<struct sigaction, kSignals.size()> previous_actions;
struct itimerval previous_timer;

void on_signal(int signal) {
  const bool timed_out = signal == SIGALRM;
  [[maybe_unused]] const ssize_t written =
      ::write(STDERR_FILENO, timed_out ? timeout_message : fault_message,
              timed_out ? timeout_length : fault_length);
  ::_exit(EXIT_INPUT_ERROR);
}

std::size_t copy_message(char* to, std::size_t capacity, const std::string& text) {
  const std::size_t n = std::min(text.size(), capacity);
  std::memcpy(to, text.data(), n);
  return n;
}

}  // namespace

ReadFaultGuard::ReadFaultGuard(const std::string& path) {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  const long seconds = 10 + static_cast<long>((ec ? 0 : bytes) / 10'000'000);
  fault_length = copy_message(fault_message, sizeof fault_message,
                              "dlsched: error: " + path +
                                  ": damaged file (the HDF5 library faulted reading it)\n");
  timeout_length = copy_message(
      timeout_message, sizeof timeout_message,
      "dlsched: error: " + path + ": damaged file (the HDF5 library had not read it after " +
          std::to_string(seconds) + " s)\n");
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < kSignals.size(); ++i)
    ::sigaction(kSignals[i], &action, &previous_actions[i]);
  struct itimerval timer {};
  timer.it_value.tv_sec = seconds;
  ::setitimer(ITIMER_REAL, &timer, &previous_timer);
}

ReadFaultGuard::~ReadFaultGuard() {
  ::setitimer(ITIMER_REAL, &previous_timer, nullptr);
  for (std::size_t i = 0; i < kSignals.size(); ++i)
    ::sigaction(kSignals[i], &previous_actions[i], nullptr);
}

}  // namespace dlsched
