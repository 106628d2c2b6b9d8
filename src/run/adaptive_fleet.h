// The adaptive jobs of a run (--mechanism pollux) and the round decision both drivers share:
// the simulator (sim/adaptive_simulator.h) steps the jobs through modelled time, the emulator
// (emu/adaptive_driver.h) runs them on worker ranks in wall time; between rounds each calls
// decide(), which shows the policy the jobs that have arrived, turns its requests into node
// allocations the way Pollux's simulator does, restarts the jobs whose allocation changed and
// writes their /adaptive rows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "run/records.h"
#include "sched/experiment.h"
#include "sim/adaptive_job.h"

namespace dlsched {

class AdaptiveFleet {
 public:
  /// One AdaptiveJob per trace job, run as `mode` asks; an InputError names the trace line of
  /// a job that cannot run so (no batch size, more GPUs than the cluster has).
  AdaptiveFleet(const Experiment& experiment, JobAdaptivity mode);

  std::size_t size() const { return slots_.size(); }
  AdaptiveJob& job(JobId j) { return *slots_[j].job; }
  const AdaptiveJob& job(JobId j) const { return *slots_[j].job; }
  const JobSpec& spec(JobId j) const { return *slots_[j].spec; }
  /// GPUs the job holds on each node of the cluster (all zero when waiting).
  const std::vector<int>& node_gpus(JobId j) const { return slots_[j].node_gpus; }
  std::size_t finished() const { return finished_; }
  bool all_finished() const { return finished_ == slots_.size(); }

  /// The /jobs rows of the jobs that finished since the last call, in trace order; each also
  /// gets its closing /adaptive row (written to `sink`, in round `round`).
  std::vector<JobRecord> take_finished(RecordSink& sink, std::int64_t round);

  /// The policy's decision at `now` for the jobs that have arrived and not finished: jobs
  /// whose allocation changed restart with it (reallocate), and every job whose allocation or
  /// batch size differs from its last /adaptive row gets a new one. Without such jobs the
  /// policy is not asked and nothing changes (as in Pollux's simulator): nullopt. Otherwise
  /// the round's /rounds row (not written: the driver knows when the round is complete).
  std::optional<RoundRecord> decide(Policy& policy, double now, std::int64_t round,
                                    RecordSink& sink);

  /// Policy calls so far.
  long decisions() const { return calls_; }

 private:
  struct Slot {
    const JobSpec* spec;
    std::unique_ptr<AdaptiveJob> job;
    std::vector<int> node_gpus;  // current allocation, by node
    double first_start = -1;
    bool recorded = false;
    std::optional<AdaptiveRecord> last_row;  // its latest /adaptive row
  };
  std::vector<std::vector<int>> place(const PolicyOutput& out, const Policy& policy,
                                      double now) const;
  AdaptiveRecord row_of(const Slot& s, double time, std::int64_t round) const;

  const Experiment& ex_;
  JobAdaptivity mode_;
  /// Throughput fits the jobs share (identical observations, identical fit); held by pointer,
  /// as the jobs point to it, and made before them.
  std::unique_ptr<PerfFitCache> fits_ = std::make_unique<PerfFitCache>();
  std::vector<Slot> slots_;
  std::size_t finished_ = 0;
  long calls_ = 0;
  std::vector<JobView> views_;
  std::vector<AdaptiveView> adaptive_views_;
};

/// "0:2,3:1": the nodes with GPUs in `node_gpus` and how many, as /adaptive stores them.
std::string placement_string(const std::vector<int>& node_gpus);

}  // namespace dlsched
