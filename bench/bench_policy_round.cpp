// Policy computation time per scheduling round (what one Policy::schedule call costs).
//   bench_policy_round [JOBS_LP] [JOBS_PRIORITY]
// Cluster: 64x4 V100 + 64x4 P100 + 64x4 K80 (256 GPUs of each of Gavel's three types) with
// Gavel's measured throughputs; jobs are copies of gavel-medium_test.trace's jobs, all active,
// half of them part-way through and running. Reports, for Gavel max-min on JOBS_LP (default
// 1024) jobs, a round that solves the LP and a round that reuses it (target < 1 s), and for
// every registered policy a round with JOBS_PRIORITY (default 10000) jobs (target < 10 ms for
// the priority policies; the LP policies of Gavel run at JOBS_LP jobs instead).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "sched/experiment.h"

namespace {

using namespace dlsched;
namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Writes a Gavel-format trace of `n` jobs, all arriving at 0, cycling through the sample's.
std::string write_trace(const fs::path& data, int n) {
  std::ifstream in(data / "traces" / "gavel-medium_test.trace");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line.substr(0, line.rfind('\t')) + "\t0");
  if (lines.empty()) throw std::runtime_error("cannot read gavel-medium_test.trace");
  const fs::path out = fs::temp_directory_path() / fmt::format("dlsched-bench-policy-{}.trace", n);
  std::ofstream f(out);
  for (int i = 0; i < n; ++i) f << lines[i % lines.size()] << '\n';
  return out.string();
}

/// The active jobs at some point: half part-way through and running, half waiting. The running
/// ones hold GPUs of the types, filled in order, as a previous round would have left them.
std::vector<JobView> views_of(const Experiment& ex, int n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> part(0.05, 0.95);
  std::vector<int> free(ex.cluster.gpu_types().size());
  for (int t = 0; t < static_cast<int>(free.size()); ++t) free[t] = ex.cluster.num_gpus_of_type(t);
  std::vector<JobView> views;
  for (int i = 0; i < n; ++i) {
    const JobSpec& s = ex.trace.jobs[i];
    JobView v;
    v.id = s.index;
    v.spec = &s;
    v.submit_time = 0;
    v.requested_gpus = s.num_gpus;
    v.iterations_total = s.iterations;
    v.isolated_time = ex.throughput->isolated_time(s.index);
    if (i % 2 == 0) {
      const double done = part(rng);
      v.iterations_done = done * s.iterations;
      v.attained_seconds = done * v.isolated_time;
      v.attained_gpu_seconds = v.attained_seconds * s.num_gpus;
      v.rounds_scheduled = 1;
      const int t = i / 2 % static_cast<int>(free.size());
      if (free[t] >= s.num_gpus) {
        free[t] -= s.num_gpus;
        v.running = true;
        v.current_gpus = s.num_gpus;
        v.current_type = t;
        v.last_start = 0;
      }
    }
    v.remaining_time = v.isolated_time * (1 - v.iterations_done / s.iterations);
    views.push_back(v);
  }
  return views;
}

PolicyInput input_of(const Experiment& ex, const std::vector<JobView>& views, double now) {
  PolicyInput in;
  in.now = now;
  in.round_boundary = true;
  in.jobs = views;
  in.cluster = &ex.cluster;
  in.throughput = ex.throughput.get();
  in.round_length = 360;
  return in;
}

std::unique_ptr<Experiment> experiment(const fs::path& data, int n) {
  ExperimentOptions o;
  o.trace_path = write_trace(data, n);
  o.cluster = "64x4:v100,64x4:p100,64x4:k80";
  o.throughputs_path = (data / "traces" / "gavel-simulation_throughputs.json").string();
  o.policy = "fifo";
  o.round_length = 360;
  auto ex = load_experiment(o);
  fs::remove(o.trace_path);
  return ex;
}

/// Mean seconds of `calls` rounds of `policy` (one warm-up call first, not counted).
double time_rounds(const Experiment& ex, const std::vector<JobView>& views, Policy& policy,
                   int calls) {
  policy.schedule(input_of(ex, views, 360));
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < calls; ++k) policy.schedule(input_of(ex, views, 720 + 360.0 * k));
  return seconds_since(t0) / calls;
}

bool solves_an_lp(const std::string& name) {
  return name.rfind("gavel-", 0) == 0 && name != "gavel-maxmin-agnostic";
}

}  // namespace

int main(int argc, char** argv) {
  const int lp_jobs = argc > 1 ? std::atoi(argv[1]) : 1024;
  const int priority_jobs = argc > 2 ? std::atoi(argv[2]) : 10000;
  try {
    const fs::path data = fs::path(default_models_path()).parent_path();
    auto small = experiment(data, lp_jobs);
    auto large = experiment(data, priority_jobs);
    const std::vector<JobView> small_views = views_of(*small, lp_jobs);
    const std::vector<JobView> large_views = views_of(*large, priority_jobs);
    std::printf("%s",
                fmt::format("bench_policy_round: cluster {}\n", small->cluster.describe()).c_str());

    // Gavel max-min: the round that solves the LP (a fresh policy sees a new job set) and the
    // rounds after it that reuse X.
    double solve_best = 1e300;
    for (int k = 0; k < 3; ++k) {
      auto gavel = make_policy("gavel-maxmin");
      const auto t0 = std::chrono::steady_clock::now();
      gavel->schedule(input_of(*small, small_views, 360));
      solve_best = std::min(solve_best, seconds_since(t0));
    }
    auto gavel = make_policy("gavel-maxmin");
    const double reuse = time_rounds(*small, small_views, *gavel, 5);
    std::printf(
        "%s", fmt::format("  gavel-maxmin, {} jobs: round with LP solve {:.3f} s, round reusing X "
                          "{:.4f} s (target < 1 s)\n",
                          lp_jobs, solve_best, reuse)
                  .c_str());

    for (const PolicyInfo& info : registered_policies()) {
      const bool lp = solves_an_lp(info.name);
      const Experiment& ex = lp ? *small : *large;
      const std::vector<JobView>& views = lp ? small_views : large_views;
      auto policy = make_policy(info.name);
      const auto t0 = std::chrono::steady_clock::now();
      policy->schedule(input_of(ex, views, 360));
      const double first = seconds_since(t0);
      const double round = time_rounds(ex, views, *policy, lp ? 2 : 10);
      std::printf(
          "%s",
          fmt::format("  {:<22} {:>6} jobs: first round {:9.3f} ms, later rounds {:9.3f} ms\n",
                      info.name, views.size(), 1e3 * first, 1e3 * round)
              .c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_policy_round: %s\n", e.what());
    return 1;
  }
  return 0;
}
