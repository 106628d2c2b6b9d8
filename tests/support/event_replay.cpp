#include "support/event_replay.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>

namespace dlsched::test {

namespace {
constexpr double INF = std::numeric_limits<double>::infinity();
}

std::optional<Event> EventReplay::next(const Scheduler& s) const {
  const auto& jobs = ex_.trace.jobs;
  if (s.finished_jobs() == jobs.size()) return std::nullopt;
  // Completions first, then arrivals, then the tick: the simulator's order at one instant.
  double best = INF;
  JobId done = 0;
  for (JobId j = 0; j < jobs.size(); ++j) {
    const JobState& st = s.state(j);
    if (st.status != JobState::Status::RUNNING || st.progress_rate <= 0) continue;
    const double from = std::max(st.progress_time, st.resume_at);
    const double at = from + (jobs[j].iterations - st.progress_iterations) / st.progress_rate;
    if (at < best) best = at, done = j;
  }
  const double arrival = next_arrival_ < jobs.size() ? jobs[next_arrival_].submit_time : INF;
  const double tick = next_tick_ < 0 ? INF : next_tick_;
  if (best <= arrival && best <= tick && best < INF)
    return Event{Event::Kind::COMPLETION, best, done};
  if (arrival <= tick && arrival < INF)
    return Event{Event::Kind::ARRIVAL, arrival, jobs[next_arrival_].index};
  if (tick < INF) return Event{Event::Kind::ROUND_TICK, tick};
  return std::nullopt;
}

std::vector<Decision> EventReplay::apply(Scheduler& s, const Event& e) {
  if (e.kind == Event::Kind::ARRIVAL) ++next_arrival_;
  std::vector<Decision> out = s.handle(e);
  if (s.active_jobs() == 0)
    next_tick_ = -1;
  else if (e.kind == Event::Kind::ROUND_TICK || next_tick_ < 0)
    next_tick_ = s.next_round_after(e.time);
  return out;
}

std::string describe(const Decision& d) {
  return fmt::format("{} job {} on [{}] resume {} preempted {}",
                     d.kind == Decision::Kind::START ? "START" : "STOP", d.job,
                     fmt::join(d.gpus, ","), d.resume_at, d.preempted);
}

std::string describe(const JobState& s) {
  return fmt::format(
      "status {} gpus [{}] type {} first {} finish {} last {}/{} queued {} resume {} "
      "preemptions {} requeues {} rounds {} attained {}/{} progress {} at {} rate {} stopped {}",
      static_cast<int>(s.status), fmt::join(s.gpus, ","), s.gpu_type, s.first_start, s.finish,
      s.last_start, s.last_stop, s.queued_since, s.resume_at, s.preemptions, s.requeues,
      s.rounds_scheduled, s.attained_gpu_seconds_closed, s.attained_seconds_closed,
      s.progress_iterations, s.progress_time, s.progress_rate, s.ever_stopped);
}

std::vector<std::string> describe(const SchedulerSnapshot& s) {
  std::vector<std::string> out;
  for (const JobState& j : s.jobs) out.push_back(describe(j));
  out.push_back(fmt::format("active {}", fmt::join(s.active, " ")));
  out.push_back(fmt::format("round_pending {} changed {} calls {}", s.round_pending, s.changed,
                            s.decide_calls));
  out.push_back("policy " + s.policy_state);
  return out;
}

}  // namespace dlsched::test
