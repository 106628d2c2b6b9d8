// Simulator speed and memory on a large trace: wall time, peak RSS and events per second.
//   bench_simulate TRACE CLUSTER POLICY [OUT.h5]
// Defaults: jobs/traces/philly-82k.csv on 256x8:v100 under las, results written to a
// temporary HDF5 file (as `dlsched simulate --out` does).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <sys/resource.h>

#include "io/hdf5_results.h"
#include "run/cluster_records.h"
#include "sched/experiment.h"
#include "sim/simulator.h"

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dlsched;
  ExperimentOptions o;
  o.trace_path = argc > 1 ? argv[1] : "jobs/traces/philly-82k.csv";
  o.cluster = argc > 2 ? argv[2] : "256x8:v100";
  o.policy = argc > 3 ? argv[3] : "las";
  const std::string out = argc > 4 ? argv[4]
                                   : (std::filesystem::temp_directory_path() / "dlsched-bench.h5").string();
  try {
    const auto t0 = std::chrono::steady_clock::now();
    auto ex = load_experiment(o);
    const double load_s = seconds_since(t0);
    auto policy = make_policy(o.policy);
    Hdf5ResultsWriter writer(out, ex->attributes("simulate"), 1.0);
    writer.cluster(cluster_records(ex->cluster));
    const auto t1 = std::chrono::steady_clock::now();
    const RunSummary s = simulate(*ex, *policy, writer);
    writer.close();
    const double sim_s = seconds_since(t1);
    const double total_s = seconds_since(t0);
    std::printf("%s", fmt::format(
        "bench_simulate: {} jobs, {} GPUs ({}), policy {}\n"
        "  load {:.3f} s  simulate+write {:.3f} s  total {:.3f} s  peak RSS {:.1f} MiB\n"
        "  finished {}/{}  rounds {}  policy calls {}  preemptions {}  avg JCT {:.0f} s  "
        "util {:.1f}%  ({:.0f} policy calls/s)\n",
        ex->trace.jobs.size(), ex->cluster.num_gpus(), ex->cluster.describe(), o.policy,
        load_s, sim_s, total_s, peak_rss_mib(), s.finished, s.jobs, s.rounds, s.policy_calls,
        s.preemptions, s.avg_jct, 100 * s.utilisation, s.policy_calls / sim_s).c_str());
    if (argc <= 4) std::filesystem::remove(out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_simulate: %s\n", e.what());
    return 1;
  }
  return 0;
}
