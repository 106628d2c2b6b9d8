// Tiresias as Pollux's evaluation runs it (Qiao et al., OSDI 2021, section 5; petuum/adaptdl,
// branch osdi21-artifact, simulator/tiresias.py): the discretised two-dimensional LAS of
// Tiresias (Gu et al., NSDI 2019) with two queues, jobs at their trace's GPU count and batch
// size (the "TunedJobs" of the paper), no job knowledge.
//
// At every decision, in whole seconds as there: a running job adds the seconds since the last
// decision to its executed time and moves to the back of the low queue once executed time x
// GPUs reaches the threshold (16 GPU-hours); a waiting job that has run before adds them to
// its waiting time, and with starve_factor > 0 returns to the high queue once it has waited
// starve_factor x its executed time (its executed time reset). Then the high queue and the low
// queue, each in order, run every job whose GPUs still fit (later jobs may pass one that does
// not); a running job keeps its GPUs, a newly started one takes the nodes with the most free
// GPUs. Under other mechanisms (no node placement, decisions between rounds too) running jobs
// keep their GPUs between rounds and the waiting jobs follow the chosen ones in queue order.
//
// Parameters (defaults: tiresias.py, TiresiasPolicy.__init__):
//   threshold=57600     GPU-seconds of the high queue (3600 x 16).
//   starve_factor=0     _solve_starvation; 0 disables promotion.
#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "sched/policies/node_fill.h"
#include "sched/policy_registry.h"
#include "sched/policy_state.h"

namespace dlsched {
namespace {

class PolluxTiresiasPolicy : public Policy {
 public:
  explicit PolluxTiresiasPolicy(const PolicyParams& p)
      : threshold_(p.get_double("threshold", 3600.0 * 16, 0, 1e12,
                                "GPU-seconds before a job leaves the high queue")),
        starve_factor_(p.get_double("starve_factor", 0, 0, 1e6,
                                    "waiting / executed time that promotes a job; 0: never")) {}
  std::string_view name() const override { return "tiresias"; }
  bool preemptive() const override { return true; }
  JobAdaptivity adaptivity() const override { return JobAdaptivity::fixed; }

  PolicyOutput schedule(const PolicyInput& in) override {
    const long event_time = static_cast<long>(in.now);
    std::map<JobId, const JobView*> jobs;
    for (const JobView& j : in.jobs) jobs[j.id] = &j;
    // Finished jobs leave; new ones join the high queue, waiting.
    const auto gone = [&](JobId id) { return jobs.count(id) == 0; };
    std::erase_if(queue0_, gone);
    std::erase_if(queue1_, gone);
    std::erase_if(state_, [&](const auto& kv) { return gone(kv.first); });
    for (const JobView& j : in.jobs)
      if (!state_.count(j.id)) {
        state_[j.id] = State{};
        queue0_.push_back(j.id);
      }
    for (const JobView& j : in.jobs) {
      State& s = state_[j.id];
      const long elapsed = event_time - s.last_check;
      s.last_check = event_time;
      if (s.running) {
        s.executed += elapsed;
        const double gpu_time = static_cast<double>(s.executed) * max_gpus(j);
        const auto at = std::find(queue0_.begin(), queue0_.end(), j.id);
        if (at != queue0_.end() && gpu_time >= threshold_) {
          queue0_.erase(at);
          queue1_.push_back(j.id);
        }
      } else {
        if (s.executed > 0) s.last_pending += elapsed;
        const auto at = std::find(queue1_.begin(), queue1_.end(), j.id);
        if (starve_factor_ > 0 && at != queue1_.end() && s.executed > 0 &&
            s.last_pending >= static_cast<long>(s.executed * starve_factor_)) {
          s.executed = 0;
          s.last_pending = 0;
          queue1_.erase(at);
          queue0_.push_back(j.id);
        }
      }
    }
    // Who runs: queue order, any job whose GPUs still fit.
    const std::size_t num_nodes = in.cluster->nodes().size();
    std::vector<int> free = node_capacity(*in.cluster);
    int left = in.cluster->num_gpus();
    std::map<JobId, std::vector<int>> keep;
    // Between rounds (other mechanisms) running jobs cannot be stopped: they keep their GPUs
    // and only waiting jobs may start.
    const bool keep_running = !in.round_boundary;
    if (keep_running)
      for (const JobView& j : in.jobs)
        if (j.running) left -= max_gpus(j);
    for (const auto* queue : {&queue0_, &queue1_})
      for (JobId id : *queue) {
        const JobView& j = *jobs[id];
        State& s = state_[id];
        if (keep_running && j.running) {
          s.running = true;
          continue;
        }
        s.running = max_gpus(j) <= left;
        if (!s.running) continue;
        left -= max_gpus(j);
        std::vector<int> now_on = current_node_gpus(j, num_nodes);
        if (j.current_gpus > 0 && j.adaptive) {
          for (std::size_t n = 0; n < num_nodes; ++n) free[n] -= now_on[n];
          keep[id] = std::move(now_on);
        }
      }
    PolicyOutput out;
    for (const auto* queue : {&queue0_, &queue1_})
      for (JobId id : *queue) {
        if (!state_[id].running) continue;
        Request r{id, max_gpus(*jobs[id])};
        const auto kept = keep.find(id);
        if (kept != keep.end()) r.node_gpus = kept->second;
        else if (jobs[id]->adaptive) r.node_gpus = fill_most_free(free, r.gpus);
        out.ranked.push_back(std::move(r));
      }
    // Under the other mechanisms the core may keep GPUs the decision freed (a job restoring
    // from a checkpoint): the waiting jobs follow, in queue order, to fill what is left.
    if (!in.jobs.empty() && !in.jobs.front().adaptive)
      for (const auto* queue : {&queue0_, &queue1_})
        for (JobId id : *queue)
          if (!state_[id].running) out.ranked.push_back(Request{id, max_gpus(*jobs[id])});
    return out;
  }

  std::string save_state() const override {
    PolicyStateWriter w;
    for (const auto* queue : {&queue0_, &queue1_}) {
      w.put(queue->size());
      for (JobId id : *queue) w.put(id);
    }
    w.put(state_.size());
    for (const auto& [id, s] : state_)
      w.put(id).put(s.running).put(s.last_check).put(s.executed).put(s.last_pending);
    return w.str();
  }
  void restore_state(std::string_view text) override {
    PolicyStateReader r(name(), text);
    constexpr std::size_t kMaxJobs = std::size_t{1} << 32;
    for (auto* queue : {&queue0_, &queue1_}) {
      queue->resize(r.get_count(kMaxJobs));
      for (JobId& id : *queue) id = static_cast<JobId>(r.get_int());
    }
    state_.clear();
    for (std::size_t n = r.get_count(kMaxJobs); n > 0; --n) {
      const auto id = static_cast<JobId>(r.get_int());
      State& s = state_[id];
      s.running = r.get_bool();
      s.last_check = r.get_int();
      s.executed = r.get_int();
      s.last_pending = r.get_int();
    }
    r.finish();
  }

 private:
  struct State {
    bool running = false;
    long last_check = 0;
    long executed = 0;
    long last_pending = 0;
  };
  static int max_gpus(const JobView& j) {
    return j.adaptive ? j.adaptive->max_replicas : j.requested_gpus;
  }

  double threshold_;
  double starve_factor_;
  std::vector<JobId> queue0_, queue1_;
  std::map<JobId, State> state_;
};

}  // namespace

DLSCHED_REGISTER_POLICY("tiresias",
                        "Tiresias as Pollux's evaluation runs it: 2-queue discretised 2D-LAS, "
                        "jobs at their trace's GPUs and batch size (--mechanism pollux)",
                        PolluxTiresiasPolicy)

}  // namespace dlsched
