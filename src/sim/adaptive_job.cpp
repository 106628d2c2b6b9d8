#include "sim/adaptive_job.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace dlsched {
namespace {

constexpr double kEps = 1e-8;  // slack for ceil() of quotients that should be whole
int ceil_int(double x) { return static_cast<int>(std::ceil(x - kEps)); }

adaptive::ApplicationLimits limits_of(const adaptive::ApplicationProfile& p) {
  return {p.init_batch_size(), p.max_batch_size(), p.min_local_bsz(), p.max_local_bsz()};
}

}  // namespace

const adaptive::PerfParams& PerfFitCache::fit(
    const std::vector<adaptive::StepObservation>& points) {
  std::vector<std::array<std::uint64_t, 5>> key;
  key.reserve(points.size());
  for (const adaptive::StepObservation& o : points)
    key.push_back({static_cast<std::uint64_t>(o.num_nodes),
                   static_cast<std::uint64_t>(o.num_replicas),
                   std::bit_cast<std::uint64_t>(o.atomic_bsz),
                   std::bit_cast<std::uint64_t>(o.step_time),
                   std::bit_cast<std::uint64_t>(o.sync_time)});
  const auto it = fits_.find(key);
  if (it != fits_.end()) return it->second;
  return fits_.emplace(std::move(key), adaptive::fit_perf_params(points).params).first->second;
}

AdaptiveJob::AdaptiveJob(const adaptive::ApplicationProfile& profile, double submit_time,
                         std::optional<int> fixed_batch_size, double restart_delay,
                         PerfFitCache* fits)
    : profile_(profile),
      limits_(limits_of(profile)),
      submit_(submit_time),
      fixed_batch_(fixed_batch_size),
      restart_delay_(restart_delay),
      fits_(fits) {}

int AdaptiveJob::replicas() const {
  return std::accumulate(placement_.begin(), placement_.end(), 0);
}

void AdaptiveJob::choose_batch() {
  const int nodes = static_cast<int>(placement_.size());
  if (perf_) {
    const adaptive::GoodputModel model(*perf_, grad_, limits_.init_batch_size);
    const auto config = adaptive::choose_batch(limits_, nodes, replicas(), fixed_batch_, &model);
    atomic_bsz_ = config.atomic_bsz;
    accum_steps_ = config.accum_steps;
  } else {
    const auto config = adaptive::choose_batch(limits_, nodes, replicas(), fixed_batch_, nullptr);
    atomic_bsz_ = config.atomic_bsz;
    accum_steps_ = config.accum_steps;
  }
}

void AdaptiveJob::observe(int nodes, int replicas, const adaptive::StepTimes& times,
                          const adaptive::GradStats& grad) {
  grad_ = grad;
  const auto key = std::make_tuple(nodes, replicas, atomic_bsz_);
  if (measured_.count(key)) return;
  measured_[key] = times;
  max_profiled_replicas_ = std::max(max_profiled_replicas_, replicas);
  // The agent refits on every new configuration, from all it has seen (simulator.py,
  // Job.update_params).
  std::vector<adaptive::StepObservation> points;
  points.reserve(measured_.size());
  for (const auto& [k, t] : measured_)
    points.push_back({std::get<0>(k), std::get<1>(k), static_cast<double>(std::get<2>(k)),
                      t.step_time, t.sync_time});
  perf_ = fits_ ? fits_->fit(points) : adaptive::fit_perf_params(points).params;
}

void AdaptiveJob::step(double now, double seconds) {
  if (placement_.empty() || completion_) return;
  const int gpus = replicas();
  const double delay = std::min(rescale_left_, seconds);
  now += delay;
  attained_ += delay * gpus;
  rescale_left_ -= delay;
  seconds -= delay;
  const int nodes = static_cast<int>(placement_.size());
  while (seconds > 0 && !completion_) {
    DLSCHED_EXPECTS(epoch_ < profile_.max_epochs(), "a running job is past its last epoch");
    const int batch = batch_size();
    const adaptive::StepTimes times = profile_.step_times(placement_, atomic_bsz_);
    const adaptive::GradStats grad = profile_.grad_stats(batch, epoch_);
    const double gain = adaptive::progress_gain(grad, limits_.init_batch_size, batch);
    observe(nodes, gpus, times, grad);
    const double step_seconds =
        times.step_time + (times.step_time - times.sync_time) * accum_steps_;
    const double rate = gain / step_seconds;  // progress per second
    const double next = profile_.epoch_progress(epoch_ + 1);
    if (progress_ + rate * seconds < next) {
      progress_ += rate * seconds;
      samples_ += seconds / step_seconds * batch;
      attained_ += seconds * gpus;
      seconds = 0;
    } else {
      // The epoch ends inside the interval, after a whole number of seconds (Python's round:
      // halves to even, as nearbyint in the default rounding mode).
      ++epoch_;
      const double delta = std::nearbyint((next - progress_) / rate);
      if (epoch_ >= profile_.max_epochs()) completion_ = now + delta;
      samples_ += delta / step_seconds * batch;
      progress_ = next;
      now += delta;
      attained_ += delta * gpus;
      seconds -= delta;
    }
    // The agent re-picks its batch size with what it has just learnt.
    choose_batch();
  }
}

std::int64_t AdaptiveJob::advance(double& progress, int& epoch, std::int64_t steps,
                                  int batch) const {
  std::int64_t taken = 0;
  for (;;) {
    while (epoch < profile_.max_epochs() && progress >= profile_.epoch_progress(epoch + 1))
      ++epoch;  // a step's excess can carry past a whole (short) epoch
    if (taken >= steps || epoch >= profile_.max_epochs()) return taken;
    const double gain = adaptive::progress_gain(profile_.grad_stats(batch, epoch),
                                                limits_.init_batch_size, batch);
    const double next = profile_.epoch_progress(epoch + 1);
    // Whole steps to the epoch's end: the gain is the epoch's for all of them.
    const std::int64_t need =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((next - progress) / gain -
                                                                      kEps)));
    if (need > steps - taken) {
      progress += static_cast<double>(steps - taken) * gain;
      return steps;
    }
    taken += need;
    progress = std::max(progress + static_cast<double>(need) * gain, next);
  }
}

std::int64_t AdaptiveJob::steps_to_finish() const {
  DLSCHED_EXPECTS(!placement_.empty() && !completion_, "only a running job has steps left");
  double progress = progress_;
  int epoch = epoch_;
  return std::max<std::int64_t>(
      1, advance(progress, epoch, std::numeric_limits<std::int64_t>::max(), batch_size()));
}

double AdaptiveJob::run_steps(double waited, std::int64_t steps, double held, double end) {
  DLSCHED_EXPECTS(!placement_.empty() && !completion_, "only a running job runs steps");
  rescale_left_ = std::max(0.0, rescale_left_ - waited);
  attained_ += held * replicas();
  if (steps <= 0) return 0;
  const int batch = batch_size();
  const int nodes = static_cast<int>(placement_.size());
  const adaptive::StepTimes times = profile_.step_times(placement_, atomic_bsz_);
  observe(nodes, replicas(), times, profile_.grad_stats(batch, epoch_));
  const double before = progress_;
  const std::int64_t taken = advance(progress_, epoch_, steps, batch);
  samples_ += static_cast<double>(taken) * batch;
  if (epoch_ >= profile_.max_epochs()) {
    completion_ = end;
    // Exactly the job's progress: what the last step did past the end is no work of it.
    progress_ = profile_.epoch_progress(profile_.max_epochs());
    return progress_ - before;
  }
  observe(nodes, replicas(), times, profile_.grad_stats(batch, epoch_));
  // The agent re-picks its batch size with what it has just learnt.
  choose_batch();
  return progress_ - before;
}

void AdaptiveJob::reallocate(const std::vector<int>& placement) {
  placement_.clear();
  for (int g : placement)
    if (g > 0) placement_.push_back(g);
  if (placement_.empty()) {
    atomic_bsz_ = 0;
    accum_steps_ = 0;
    return;
  }
  choose_batch();
  rescale_left_ = restart_delay_;
  ++restarts_;
}

double AdaptiveJob::goodput(int nodes, int replicas) const {
  if (!perf_ || nodes < 1 || replicas < nodes || replicas > 0xffff) return 0;
  const auto same = [](const adaptive::PerfParams& a, const adaptive::PerfParams& b) {
    return a.alpha_c == b.alpha_c && a.beta_c == b.beta_c && a.alpha_n == b.alpha_n &&
           a.beta_n == b.beta_n && a.alpha_r == b.alpha_r && a.beta_r == b.beta_r &&
           a.gamma == b.gamma;
  };
  if (!same(*perf_, cached_perf_) || grad_.sqr != cached_grad_.sqr ||
      grad_.var != cached_grad_.var) {
    goodput_cache_.clear();
    cached_perf_ = *perf_;
    cached_grad_ = grad_;
  }
  const std::uint32_t key = static_cast<std::uint32_t>(nodes) << 16 | replicas;
  if (const auto it = goodput_cache_.find(key); it != goodput_cache_.end()) return it->second;
  const adaptive::GoodputModel model(*perf_, grad_, limits_.init_batch_size);
  return goodput_cache_[key] = model
      .optimize(nodes, replicas,
                {static_cast<double>(limits_.max_batch_size), limits_.min_local_bsz,
                 limits_.max_local_bsz, true})
      .goodput;
}

double AdaptiveJob::oracle_step_time(int replicas) const {
  // optimus.py, OptimusPolicy.predict_step_time: the fixed batch on `replicas` GPUs filling
  // nodes of 4, with at least one accumulation step on a single GPU, timed by the profile.
  DLSCHED_EXPECTS(fixed_batch_ && replicas >= 1, "an oracle step time needs a fixed batch");
  std::vector<int> placement;
  for (int left = replicas; left > 0; left -= 4) placement.push_back(std::min(left, 4));
  const int local = ceil_int(static_cast<double>(*fixed_batch_) / replicas);
  int accum = ceil_int(static_cast<double>(local) / limits_.max_local_bsz) - 1;
  if (replicas == 1) accum = std::max(1, accum);
  int atomic = ceil_int(static_cast<double>(local) / (accum + 1));
  atomic = std::min(atomic, limits_.max_batch_size / (replicas * (accum + 1)));
  const adaptive::StepTimes t = profile_.step_times(placement, atomic);
  return t.step_time + (t.step_time - t.sync_time) * accum;
}

double AdaptiveJob::oracle_remaining_steps() const {
  // optimus.py, OptimusPolicy.optimize: iterations from the current epoch to the last.
  DLSCHED_EXPECTS(fixed_batch_.has_value(), "oracle remaining steps need a fixed batch");
  const int last = profile_.max_epochs() - 1;
  if (last <= epoch_) return 1;
  return profile_.iterations(*fixed_batch_, last) - profile_.iterations(*fixed_batch_, epoch_);
}

}  // namespace dlsched
