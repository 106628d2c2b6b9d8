// Checkpoint and resume of the scheduler core: snapshot(), restore() and requeue_all().
#include <algorithm>
#include <fmt/format.h>
#include <limits>

#include "core/error.h"
#include "sched/scheduler.h"

namespace dlsched {

SchedulerSnapshot Scheduler::snapshot() const {
  SchedulerSnapshot s;
  s.jobs = states_;
  s.active = active_;
  s.round_pending = round_pending_;
  s.changed = changed_;
  s.decide_calls = decide_calls_;
  s.policy_state = policy_.save_state();
  return s;
}

void Scheduler::restore(const SchedulerSnapshot& s) {
  if (s.jobs.size() != jobs_.size())
    throw Error(fmt::format("checkpoint has {} jobs, the trace {}", s.jobs.size(), jobs_.size()));
  std::vector<long> owner(cluster_.num_gpus(), -1);
  std::vector<int> free_node(cluster_.nodes().size());
  std::vector<int> free_type(cluster_.gpu_types().size(), 0);
  for (const Node& n : cluster_.nodes()) {
    free_node[n.index] = n.num_gpus;
    free_type[n.gpu_type] += n.num_gpus;
  }
  int busy = 0;
  std::size_t running = 0, finished = 0, waiting = 0;
  for (JobId j = 0; j < s.jobs.size(); ++j) {
    const JobState& st = s.jobs[j];
    switch (st.status) {
      case JobState::Status::DONE: ++finished; break;
      case JobState::Status::WAITING: ++waiting; break;
      case JobState::Status::FUTURE: break;
      case JobState::Status::RUNNING: {
        ++running;
        if (st.gpus.empty() || st.gpu_type < 0 ||
            st.gpu_type >= static_cast<int>(cluster_.gpu_types().size()))
          throw Error(fmt::format("checkpoint: running job {} holds no valid GPUs", jobs_[j].id));
        // Of a packed pair (Gandiva) the lower job id is entered as the GPUs' owner and the
        // other shares them; the GPUs count once as busy.
        const bool shares = st.packed_with >= 0 && st.packed_with < static_cast<long>(j);
        if (shares && (s.jobs[st.packed_with].packed_with != static_cast<long>(j) ||
                       s.jobs[st.packed_with].gpus != st.gpus))
          throw Error(fmt::format("checkpoint: job {} packed with job {}, which does not share "
                                  "its GPUs", jobs_[j].id, jobs_[st.packed_with].id));
        for (GpuId g : st.gpus) {
          if (g >= cluster_.num_gpus() || cluster_.type_of(g) != st.gpu_type)
            throw Error(fmt::format("checkpoint: job {} holds GPU {}, not one of the cluster's {} "
                                    "of its type", jobs_[j].id, g, cluster_.num_gpus()));
          if (shares) continue;
          if (owner[g] != -1)
            throw Error(fmt::format("checkpoint: GPU {} held by jobs {} and {}", g,
                                    jobs_[owner[g]].id, jobs_[j].id));
          owner[g] = static_cast<long>(j);
          --free_node[cluster_.node_of(g)];
        }
        if (shares) break;
        free_type[st.gpu_type] -= static_cast<int>(st.gpus.size());
        busy += static_cast<int>(st.gpus.size());
        break;
      }
    }
    if (st.status != JobState::Status::RUNNING && !st.gpus.empty())
      throw Error(fmt::format("checkpoint: job {} holds GPUs while not running", jobs_[j].id));
  }
  for (JobId j : s.active)
    if (j >= jobs_.size() || s.jobs[j].status == JobState::Status::FUTURE)
      throw Error(fmt::format("checkpoint: active job {} has not arrived", j));
  policy_.restore_state(s.policy_state);
  states_ = s.jobs;
  latest_resume_ = -std::numeric_limits<double>::infinity();
  for (JobId j = 0; j < states_.size(); ++j) {
    spanned_[j] = states_[j].gpus.empty() ? 0 : cluster_.nodes_spanned(states_[j].gpus);
    if (states_[j].status == JobState::Status::RUNNING)
      latest_resume_ = std::max(latest_resume_, states_[j].resume_at);
  }
  active_ = s.active;
  gpu_owner_ = std::move(owner);
  free_per_node_ = std::move(free_node);
  free_per_type_ = std::move(free_type);
  busy_gpus_ = busy;
  running_count_ = running;
  finished_ = finished;
  waiting_ = waiting;
  round_pending_ = s.round_pending;
  changed_ = s.changed;
  decide_calls_ = s.decide_calls;
}

std::vector<Decision> Scheduler::requeue_all(double now) {
  std::vector<Decision> out;
  for (JobId j : active_) {
    JobState& s = states_[j];
    if (s.status != JobState::Status::RUNNING) continue;
    Decision d{Decision::Kind::STOP, j, s.gpus, 0, false};
    release(now, j, JobState::Status::WAITING);
    s.queued_since = now;
    s.ever_stopped = true;
    s.suspended = false;  // a requeued job reloads its checkpoint wherever it restarts
    s.suspended_on.clear();
    ++s.requeues;
    ++waiting_;
    out.push_back(std::move(d));
  }
  if (!out.empty()) changed_ = true;
  return out;
}

}  // namespace dlsched
