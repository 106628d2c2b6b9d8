// Wall time for the emulator: seconds since the run began, and sleeps that do not spin.
#pragma once

#include <chrono>
#include <thread>

namespace dlsched::emu {

/// Seconds since construction on the monotonic clock, plus a starting value.
class WallClock {
 public:
  /// A clock that reads `start_at` now: a resumed run goes on from its checkpoint's time, so
  /// the wall time it spent stopped (requeued) is not experiment time.
  explicit WallClock(double start_at = 0)
      : start_(std::chrono::steady_clock::now() -
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(start_at))) {}
  /// Seconds since the clock was made, plus its starting value.
  double now() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  /// Sleeps until now() >= t (returns at once if already past).
  void sleep_until(double t) const {
    std::this_thread::sleep_until(start_ +
                                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(t)));
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

/// Seconds since the Unix epoch on the system clock: comparable across processes and runs
/// (a checkpoint and its resume), unlike WallClock.
inline double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Sleeps for `seconds` (nothing for <= 0).
inline void sleep_seconds(double seconds) {
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace dlsched::emu
