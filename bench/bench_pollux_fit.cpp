// Fits Pollux's throughput model to each application's measured step times and prints how
// well it fits, and how long the fit takes.
//   bench_pollux_fit APPLICATIONS_DIR [APP...]
// APPLICATIONS_DIR holds one folder per application (placements.csv, scalability.csv,
// validation-*.csv), e.g. the six of Pollux's artifact. The model is fitted to every row of
// placements.csv (up to 4 nodes x 4 GPUs); scalability.csv (6 to 16 nodes) is held out.
// Errors are of the predicted step time against the measured one: the root mean squared error
// of its logarithm and the mean and largest relative error.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/adaptive/application_profile.h"
#include "core/adaptive/perf_fit.h"
#include "core/error.h"

namespace {

using namespace dlsched::adaptive;

struct Errors {
  double rmsle = 0, mean_relative = 0, max_relative = 0;
};

Errors errors(const PerfParams& p, const std::vector<StepObservation>& points) {
  Errors e;
  for (const StepObservation& o : points) {
    const double predicted = p.step_time(o.num_nodes, o.num_replicas, o.atomic_bsz);
    const double log_error = std::log(predicted / o.step_time);
    const double relative = std::abs(predicted / o.step_time - 1);
    e.rmsle += log_error * log_error;
    e.mean_relative += relative;
    e.max_relative = std::max(e.max_relative, relative);
  }
  e.rmsle = std::sqrt(e.rmsle / static_cast<double>(points.size()));
  e.mean_relative /= static_cast<double>(points.size());
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_pollux_fit APPLICATIONS_DIR [APP...]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<std::string> apps;
  for (int i = 2; i < argc; ++i) apps.push_back(argv[i]);
  if (apps.empty())
    for (const auto& entry : std::filesystem::directory_iterator(dir))
      if (entry.is_directory()) apps.push_back(entry.path().filename().string());
  std::sort(apps.begin(), apps.end());
  try {
    fmt::print(
        "{:<12} {:>6} {:>8} {:>6} {:>8} | fit set: {:>7} {:>8} {:>8} | held out: {:>7} {:>8} "
        "{:>8}\n",
        "app", "points", "loss", "evals", "ms", "RMSLE", "mean rel", "max rel", "RMSLE", "mean rel",
        "max rel");
    for (const std::string& name : apps) {
      const auto app = ApplicationProfile::load(dir, name, pollux_reference_options(name));
      const auto points = app.placement_observations();
      const auto t0 = std::chrono::steady_clock::now();
      const PerfFit fit = fit_perf_params(points);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      const Errors in = errors(fit.params, points);
      const Errors out = errors(fit.params, app.scalability_observations());
      fmt::print(
          "{:<12} {:>6} {:>8.4f} {:>6} {:>8.1f} |          {:>7.4f} {:>7.1f}% {:>7.1f}% |"
          "           {:>7.4f} {:>7.1f}% {:>7.1f}%\n",
          name, points.size(), fit.loss, fit.evaluations, ms, in.rmsle, 100 * in.mean_relative,
          100 * in.max_relative, out.rmsle, 100 * out.mean_relative, 100 * out.max_relative);
      // Step times at placements placements.csv lacks: the Delaunay interpolation's cost.
      const std::vector<int> spread{4, 4, 4, 4, 4, 4, 4, 2};  // 8 nodes, 30 GPUs
      const int queries = 2000;
      const auto q0 = std::chrono::steady_clock::now();
      double sink = 0;
      for (int i = 0; i < queries; ++i)
        sink += app.step_times(spread, app.min_local_bsz() + (i % 2)).step_time;
      const double us = std::chrono::duration<double, std::micro>(
                            std::chrono::steady_clock::now() - q0).count() / queries;
      fmt::print("{:<12} unmeasured placement 44444442: {:.1f} us per step-time query ({:.3g} s)\n",
                 "", us, sink / queries);
      const PerfParams& p = fit.params;
      fmt::print(
          "{:<12} alpha_c {:.4g} beta_c {:.4g} alpha_n {:.4g} beta_n {:.4g} alpha_r {:.4g} "
          "beta_r {:.4g} gamma {:.4g} (solver status {})\n",
          "", p.alpha_c, p.beta_c, p.alpha_n, p.beta_n, p.alpha_r, p.beta_r, p.gamma,
          fit.solver_status);
    }
  } catch (const dlsched::Error& e) {
    std::fprintf(stderr, "bench_pollux_fit: %s\n", e.what());
    return 2;
  }
  return 0;
}
