// A small discrete-event loop around one Scheduler, for tests that need to stop a run in the
// middle (checkpoint and resume): arrivals at their submit times, round ticks, completions when
// a running job's modelled progress reaches its iterations. One event at a time, each followed
// by a decision, so the same event sequence can be fed to a second scheduler.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sched/experiment.h"
#include "sched/scheduler.h"

namespace dlsched::test {

/// Generates the events of a run from the state of the scheduler it drives.
class EventReplay {
 public:
  explicit EventReplay(const Experiment& ex) : ex_(ex) {}
  /// The next event for `s`, or nothing once every job has finished.
  std::optional<Event> next(const Scheduler& s) const;
  /// Feeds `e` to `s` (observe, then decide) and moves the replay's cursor past it.
  std::vector<Decision> apply(Scheduler& s, const Event& e);

 private:
  const Experiment& ex_;
  std::size_t next_arrival_ = 0;
  double next_tick_ = -1;  // -1: no round is due (no active job)
};

/// "START job 3 on [0, 1] resume 12.5" and the like: a decision in words, for comparisons.
std::string describe(const Decision& d);
/// Every field of a job's core state, in words (equal strings = equal states).
std::string describe(const JobState& s);
/// Every field of a snapshot, one line per job and per scalar group.
std::vector<std::string> describe(const SchedulerSnapshot& s);

}  // namespace dlsched::test
