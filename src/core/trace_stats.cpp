#include "core/trace_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

namespace dlsched {

TraceStats summarize(const Trace& trace) {
  TraceStats stats;
  stats.jobs = static_cast<long>(trace.jobs.size());
  if (trace.jobs.empty()) return stats;
  stats.first_submit = trace.jobs.front().submit_time;
  stats.last_submit = trace.jobs.front().submit_time;
  for (const auto& job : trace.jobs) {
    stats.total_gpu_demand += job.num_gpus;
    ++stats.gpu_histogram[job.num_gpus];
    // Do not rely on the trace being sorted: a Trace may be built by hand.
    stats.first_submit = std::min(stats.first_submit, job.submit_time);
    stats.last_submit = std::max(stats.last_submit, job.submit_time);
    stats.total_iterations += job.iterations;
    if (job.iterations > 0) ++stats.jobs_with_iterations;
    if (job.duration) {
      stats.total_duration_gpu_seconds += *job.duration * job.num_gpus;
      ++stats.jobs_with_duration;
    }
    ++stats.model_histogram[job.model];
  }
  stats.arrival_span = stats.last_submit - stats.first_submit;
  return stats;
}

namespace {

double percent(long part, long whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

// Long traces span months; seconds alone are hard to read.
std::string human_duration(double seconds) {
  if (seconds >= 86400) return fmt::format("{:.1f} d", seconds / 86400);
  if (seconds >= 3600) return fmt::format("{:.1f} h", seconds / 3600);
  if (seconds >= 60) return fmt::format("{:.1f} min", seconds / 60);
  return fmt::format("{:.0f} s", seconds);
}

}  // namespace

std::string format_stats(const TraceStats& s) {
  std::string out;
  auto line = std::back_inserter(out);
  fmt::format_to(line, "jobs:               {}\n", s.jobs);
  if (s.jobs == 0) return out;
  fmt::format_to(line, "GPU demand:         {} GPUs in total, {:.2f} per job\n",
                 s.total_gpu_demand, static_cast<double>(s.total_gpu_demand) / s.jobs);
  fmt::format_to(line, "GPUs per job:\n");
  for (const auto& [gpus, count] : s.gpu_histogram)
    fmt::format_to(line, "  {:>5} GPU{}  {:>8} jobs ({:.1f}%)\n", gpus, gpus == 1 ? " " : "s",
                   count, percent(count, s.jobs));
  fmt::format_to(line, "submit times:       {:.0f} s .. {:.0f} s (span {:.0f} s = {})\n",
                 s.first_submit, s.last_submit, s.arrival_span, human_duration(s.arrival_span));
  if (s.jobs > 1)
    fmt::format_to(line, "mean inter-arrival: {:.1f} s\n", s.arrival_span / (s.jobs - 1));
  fmt::format_to(line, "iterations:         {:.0f} in total, known for {} of {} jobs\n",
                 s.total_iterations, s.jobs_with_iterations, s.jobs);
  fmt::format_to(line, "durations:          {:.1f} GPU-hours in total, known for {} of {} jobs\n",
                 s.total_duration_gpu_seconds / 3600, s.jobs_with_duration, s.jobs);
  // Most common models first; ties by name so that the text is deterministic.
  std::vector<std::pair<std::string, long>> models(s.model_histogram.begin(),
                                                   s.model_histogram.end());
  std::stable_sort(models.begin(), models.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  fmt::format_to(line, "models:             {} distinct\n", models.size());
  constexpr std::size_t kShown = 20;
  for (std::size_t i = 0; i < models.size() && i < kShown; ++i)
    fmt::format_to(line, "  {:>8} jobs ({:5.1f}%)  {}\n", models[i].second,
                   percent(models[i].second, s.jobs), models[i].first);
  if (models.size() > kShown) fmt::format_to(line, "  ... and {} more\n", models.size() - kShown);
  return out;
}

}  // namespace dlsched
