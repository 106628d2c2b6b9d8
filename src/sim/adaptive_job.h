// One adaptive job in simulation, run as Pollux's simulator runs it (petuum/adaptdl, branch
// osdi21-artifact, simulator/simulator.py, class Job): progress is Pollux's statistical
// progress (steps of the initial batch size, weighted by the gain of the batch size used),
// the job's own agent refits its throughput model whenever it runs on a new configuration,
// and picks its batch size on every allocation and after every stretch of training.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/adaptive/application_profile.h"
#include "core/adaptive/batch_choice.h"
#include "core/adaptive/perf_fit.h"
#include "sched/adaptive_view.h"

namespace dlsched {

/// Throughput models fitted so far, by the observations they were fitted to: the jobs of one
/// application measure the same few configurations, often in the same order, and a fit
/// depends on nothing else, so a simulation's jobs share them (a fit costs thousands of
/// evaluations of the loss).
class PerfFitCache {
 public:
  /// fit_perf_params(points).params, computed once per distinct list of points.
  const adaptive::PerfParams& fit(const std::vector<adaptive::StepObservation>& points);

 private:
  // Each point as (nodes, replicas, and the bits of atomic batch, step and sync time).
  std::map<std::vector<std::array<std::uint64_t, 5>>, adaptive::PerfParams> fits_;
};

class AdaptiveJob : public AdaptiveEstimates {
 public:
  /// `profile` must outlive the job. `fixed_batch_size`: none lets the agent choose.
  /// `restart_delay`: seconds a job spends restarting after each reallocation. `fits`, if
  /// given, must outlive the job; it may be shared by several jobs.
  AdaptiveJob(const adaptive::ApplicationProfile& profile, double submit_time,
              std::optional<int> fixed_batch_size, double restart_delay,
              PerfFitCache* fits = nullptr);

  /// Runs the job for `seconds` from `now` on its current placement (simulator.py, Job.step):
  /// first what is left of the restart delay, then training, epoch by epoch; an epoch that
  /// ends inside the interval ends at a whole second (its duration is rounded, as there).
  void step(double now, double seconds);
  /// A new placement (GPUs per node, zeros allowed); empty: the job loses its GPUs. A
  /// non-empty one restarts the job (restart delay) and sets its batch size.
  void reallocate(const std::vector<int>& placement);

  // Emulation (emu/adaptive_driver.h): workers run whole optimiser steps of the current
  // configuration in wall time, and the driver tells the job what they did.
  /// Seconds of the restart delay still to wait before the next step.
  double restart_left() const { return rescale_left_; }
  /// Optimiser steps of the current configuration until the last epoch ends (at least 1).
  std::int64_t steps_to_finish() const;
  /// The workers waited `waited` seconds of the restart delay, then did `steps` optimiser steps
  /// of the current configuration, the lease holding its GPUs `held` seconds and ending at
  /// `end`. Each step adds the gain of its epoch (steps past an epoch's end count in the next
  /// one); the step that reaches the last epoch's end finishes the job at `end`, at exactly
  /// its progress. The agent observes the profile's times and re-picks its batch size, as after
  /// a stretch of step(). Returns the progress made.
  double run_steps(double waited, std::int64_t steps, double held, double end);
  /// Samples processed so far (every step's whole batch, accumulation included).
  double samples() const { return samples_; }

  bool finished() const { return completion_.has_value(); }
  double completion_time() const { return completion_.value_or(-1); }
  double submit_time() const { return submit_; }
  int epoch() const { return epoch_; }
  double progress() const { return progress_; }
  /// GPUs per node, zeros dropped, in node order; empty when waiting.
  const std::vector<int>& placement() const { return placement_; }
  int replicas() const;
  int atomic_bsz() const { return atomic_bsz_; }
  int accum_steps() const { return accum_steps_; }
  int batch_size() const { return replicas() * atomic_bsz_ * (accum_steps_ + 1); }
  /// GPU x seconds held so far (restarts included), as Pollux counts attained service.
  double attained_service() const { return attained_; }
  /// Reallocations after the first one (Pollux's num_restarts; 0 before any).
  int restarts() const { return restarts_ < 0 ? 0 : restarts_; }
  std::optional<int> fixed_batch_size() const { return fixed_batch_; }
  /// Most replicas of any configuration it has run on (its agent's profile).
  int max_profiled_replicas() const { return max_profiled_replicas_; }
  const adaptive::ApplicationProfile& profile() const { return profile_; }
  const adaptive::ApplicationLimits& limits() const { return limits_; }

  // AdaptiveEstimates
  bool has_model() const override { return perf_.has_value(); }
  double goodput(int nodes, int replicas) const override;
  double oracle_step_time(int replicas) const override;
  double oracle_remaining_steps() const override;

 private:
  void choose_batch();
  /// Moves (progress, epoch) on by up to `steps` optimiser steps at total batch `batch`, epoch
  /// by epoch; returns the steps taken (fewer only if the last epoch ends first).
  std::int64_t advance(double& progress, int& epoch, std::int64_t steps, int batch) const;
  void observe(int nodes, int replicas, const adaptive::StepTimes& times,
               const adaptive::GradStats& grad);

  const adaptive::ApplicationProfile& profile_;
  adaptive::ApplicationLimits limits_;
  double submit_;
  std::optional<int> fixed_batch_;
  double restart_delay_;
  PerfFitCache* fits_;

  std::vector<int> placement_;
  int atomic_bsz_ = 0;
  int accum_steps_ = 0;
  double rescale_left_ = 0;
  int restarts_ = -1;  // -1 until the first allocation
  double progress_ = 0;
  double samples_ = 0;
  int epoch_ = 0;
  double attained_ = 0;
  std::optional<double> completion_;

  // The agent: measured (nodes, replicas, atomic batch) -> times, and the model fitted to them.
  std::map<std::tuple<int, int, int>, adaptive::StepTimes> measured_;
  std::optional<adaptive::PerfParams> perf_;
  adaptive::GradStats grad_;
  int max_profiled_replicas_ = 0;
  // goodput() by (nodes << 16 | replicas), for the model it was computed with: policies ask
  // for the same few allocations round after round, and each costs a batch-size search.
  mutable std::unordered_map<std::uint32_t, double> goodput_cache_;
  mutable adaptive::PerfParams cached_perf_;
  mutable adaptive::GradStats cached_grad_;
};

}  // namespace dlsched
