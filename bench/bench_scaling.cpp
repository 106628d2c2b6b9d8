// How the simulator's time and memory grow with the trace: synthetic traces of 1,000 jobs up
// to MAX_JOBS (x10 each step) on a fixed cluster, each simulated under each policy in its own
// process (so peak RSS is that run's alone), results written to HDF5 as `dlsched simulate -o`
// does. Prints wall time, CPU time (user + system: the steadier figure on a shared machine)
// and peak RSS per run, then per policy the growth exponent k of CPU time ~ jobs^k and of
// memory ~ jobs^k (least squares over the sizes; 1 is linear).
//   bench_scaling [MAX_JOBS=1000000] [CLUSTER=256x8:v100] [load=0.8] [SPEC...]
// A SPEC is POLICY@ROUND_LENGTH[@MECHANISM]; ROUND_LENGTH 0 is event-driven time. Default:
// fifo@0 las@300 tiresias-las@0@tiresias.
//
// The trace keeps the cluster at the offered load (GPU-seconds asked / GPU-seconds there)
// whatever its length: jobs arrive as a Poisson process, ask for 1, 2, 4 or 8 GPUs and run
// 1 minute to 10 hours (log-uniform), so the number of active jobs stays bounded and a
// simulator whose cost follows events grows linearly. The load sets how many jobs are active
// at once (at 0.8 on 2,048 GPUs, about a thousand), which each decision still visits.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "io/hdf5_results.h"
#include "run/cluster_records.h"
#include "sched/experiment.h"
#include "sim/simulator.h"

namespace {

namespace fs = std::filesystem;

struct Spec {
  std::string policy;
  double round_length = 300;
  std::string mechanism = "dlsched";
  std::string text;
};

Spec parse_spec(const std::string& text) {
  Spec s;
  s.text = text;
  const auto at = text.find('@');
  s.policy = text.substr(0, at);
  if (at == std::string::npos) return s;
  const auto at2 = text.find('@', at + 1);
  s.round_length = std::stod(text.substr(at + 1, at2 - at - 1));
  if (at2 != std::string::npos) s.mechanism = text.substr(at2 + 1);
  return s;
}

/// Writes a synthetic dlsched-format trace of `jobs` jobs for a cluster of `gpus` GPUs.
void write_trace(const fs::path& path, long jobs, int gpus, double load) {
  std::mt19937_64 rng(12345);
  const int sizes[] = {1, 1, 1, 1, 2, 2, 4, 8};  // mostly small, as in Philly
  std::uniform_int_distribution<int> pick(0, 7);
  std::uniform_real_distribution<double> log_seconds(std::log(60.0), std::log(36000.0));
  // Mean GPU-seconds of a job: E[gpus] x E[duration] (log-uniform mean (b - a) / ln(b / a)).
  const double mean_gpus = (4 * 1 + 2 * 2 + 4 + 8) / 8.0;
  const double mean_seconds = (36000.0 - 60.0) / std::log(36000.0 / 60.0);
  std::exponential_distribution<double> gap(load * gpus / (mean_gpus * mean_seconds));
  std::ofstream out(path);
  out << "job_id,submit_time,model,num_gpus,iterations,duration\n";
  double t = 0;
  for (long i = 0; i < jobs; ++i) {
    t += gap(rng);
    out << fmt::format("j{},{:.0f},resnet50,{},,{:.0f}\n", i, t, sizes[pick(rng)],
                       std::exp(log_seconds(rng)));
  }
}

/// Runs one simulation in this process; returns its exit status.
int simulate_once(const fs::path& trace, const std::string& cluster, const Spec& spec,
                  const fs::path& out) {
  using namespace dlsched;
  ExperimentOptions o;
  o.trace_path = trace.string();
  o.cluster = cluster;
  o.policy = spec.policy;
  o.mechanism = spec.mechanism;
  o.round_length = spec.round_length;
  o.set_by_user.insert("round_length");
  o.event_driven_driver = true;
  auto ex = load_experiment(o);
  auto policy = make_policy(o.policy, o.policy_params);
  Hdf5ResultsWriter writer(out.string(), ex->attributes("simulate"), 1.0);
  writer.cluster(cluster_records(ex->cluster));
  const RunSummary s = simulate(*ex, *policy, writer);
  writer.close();
  return s.finished == s.jobs ? 0 : 3;
}

struct Measure {
  double seconds = 0;
  double cpu_seconds = 0;
  double peak_mib = 0;
  bool ok = false;
};

/// Simulates in a child process: its wall time and its own peak RSS.
Measure measure(const fs::path& trace, const std::string& cluster, const Spec& spec,
                const fs::path& out) {
  std::fflush(stdout);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 1;
    try {
      code = simulate_once(trace, cluster, spec, out);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_scaling: %s: %s\n", spec.text.c_str(), e.what());
    }
    std::_Exit(code);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Measure m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  m.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
  m.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return m;
}

/// Least-squares slope of log(y) against log(x).
double growth_exponent(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace

int main(int argc, char** argv) try {
  const long max_jobs = argc > 1 ? std::stol(argv[1]) : 1000000;
  const std::string cluster = argc > 2 ? argv[2] : "256x8:v100";
  std::vector<Spec> specs;
  double load = 0.8;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("load=", 0) == 0)
      load = std::stod(arg.substr(5));
    else
      specs.push_back(parse_spec(arg));
  }
  if (specs.empty())
    for (const char* s : {"fifo@0", "las@300", "tiresias-las@0@tiresias"}) specs.push_back(parse_spec(s));
  const int gpus = dlsched::ClusterSpec::parse(cluster).num_gpus();

  const fs::path dir = fs::temp_directory_path() / fmt::format("dlsched-scaling-{}", getpid());
  fs::create_directories(dir);
  std::vector<long> sizes;
  for (long n = 1000; n <= max_jobs; n *= 10) sizes.push_back(n);
  std::vector<std::vector<Measure>> results(specs.size());
  std::printf("%s", fmt::format("offered load {:.2f} on {}\n", load, cluster).c_str());
  std::printf("%s", fmt::format("{:>9}  {:<28} {:>9} {:>9} {:>10}\n", "jobs",
                                "policy@round[@mechanism]", "wall s", "CPU s", "peak MiB").c_str());
  for (long n : sizes) {
    const fs::path trace = dir / fmt::format("synthetic-{}.csv", n);
    write_trace(trace, n, gpus, load);
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const Measure m = measure(trace, cluster, specs[i], dir / "out.h5");
      results[i].push_back(m);
      std::printf("%s", fmt::format("{:>9}  {:<28} {:>9.3f} {:>9.3f} {:>10.1f}{}\n", n,
                                    specs[i].text, m.seconds, m.cpu_seconds, m.peak_mib,
                                    m.ok ? "" : "  FAILED").c_str());
    }
    fs::remove(trace);
  }
  fs::remove_all(dir);
  if (sizes.size() < 2) return 0;
  std::printf("growth exponent k (cost ~ jobs^k, least squares over %zu sizes):\n", sizes.size());
  const std::vector<double> x(sizes.begin(), sizes.end());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    std::vector<double> t, m;
    for (const Measure& r : results[i]) t.push_back(r.cpu_seconds), m.push_back(r.peak_mib);
    std::printf("%s", fmt::format("  {:<28} CPU time {:.2f}  peak memory {:.2f}\n", specs[i].text,
                                  growth_exponent(x, t), growth_exponent(x, m)).c_str());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_scaling: %s\n(usage: bench_scaling [MAX_JOBS] [CLUSTER] [load=F] [POLICY@ROUND[@MECHANISM]...])\n", e.what());
  return 2;
}
