// Control overhead per round: seconds from a round boundary until every assigned job is
// iterating again (/rounds control_overhead), with 4 and with 16 workers.
//   mpiexec -n 17 bench_control_overhead [MODELS.toml]
// The first 5 ranks run the 4-worker cases, then all 17 run the 16-worker ones. Two cases each:
//   steady: one 1-GPU job per worker under fifo; every round renews each lease on its cached
//           communicator (the floor of the harness's cost);
//   churn:  twice as many 1-GPU jobs as workers under las; every round swaps which half runs,
//           so jobs resume on other ranks (each rank's one-member communicator is reused);
//   reshape: 2-GPU and 1-GPU jobs under las (one of each per two workers); when they swap,
//           a pair's communicator and its members' single ones free each other, so most
//           resumptions build a communicator after a RELEASE (the cost of eviction).
// Columns: control overhead per round, then communicators built and freed over the case.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "emu/emulation.h"
#include "emu/mpi_check.h"
#include "run/records.h"

namespace {

using namespace dlsched;

constexpr double ROUND = 0.5;       // seconds
constexpr double ITERATION = 0.02;  // modelled seconds per iteration
constexpr int ROUNDS = 12;

/// A trace of jobs of the given GPU counts, all submitted at 0, sized so the GPUs are busy for
/// about ROUNDS rounds.
std::string write_trace(int workers, const std::vector<int>& job_gpus, const std::string& name) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream out(path);
  out << "job_id,submit_time,model,num_gpus,iterations,duration\n";
  int demand = 0;
  for (int g : job_gpus) demand += g;
  const double seconds = ROUNDS * ROUND * workers / demand;  // each job's share of the run
  const int iterations = static_cast<int>(seconds / ITERATION);
  for (std::size_t j = 0; j < job_gpus.size(); ++j)
    out << "j" << j << ",0,resnet50," << job_gpus[j] << "," << iterations << ","
        << iterations * ITERATION << "\n";
  return path.string();
}

/// `per_two_workers` jobs of these GPU counts for every two workers.
std::vector<int> jobs_for(int workers, const std::vector<int>& per_two_workers) {
  std::vector<int> out;
  for (int w = 0; w < workers; w += 2)
    out.insert(out.end(), per_two_workers.begin(), per_two_workers.end());
  return out;
}

void run_case(MPI_Comm comm, const std::string& models, const std::string& label,
              const std::string& policy, const std::vector<int>& per_two_workers) {
  int rank = 0, size = 0;
  DLSCHED_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  DLSCHED_MPI_CHECK(MPI_Comm_size(comm, &size));
  const int workers = size - 1;
  std::string trace = label + "-" + std::to_string(workers) + ".csv";
  if (rank == 0)
    trace = write_trace(workers, jobs_for(workers, per_two_workers), "dlsched-bench-" + trace);
  DLSCHED_MPI_CHECK(MPI_Barrier(comm));
  emu::EmulationOptions o;
  o.experiment.trace_path = trace;
  o.experiment.models_path = models;
  o.experiment.policy = policy;
  o.experiment.round_length = ROUND;
  o.experiment.restore_delay = 0;
  o.experiment.per_model_restore = false;
  o.experiment.cluster = "1x" + std::to_string(workers) + ":v100";
  o.cluster_given = true;
  o.comm_scale = 0.001;
  MemorySink sink;
  const emu::EmulationOutcome out = emu::run_emulation(comm, o, &sink);
  if (rank != 0 || out.exit_code != 0) return;
  std::filesystem::remove(trace);
  std::vector<double> v;
  for (const RoundRecord& r : sink.rounds)
    if (r.running_jobs > 0) v.push_back(r.control_overhead * 1e3);
  std::sort(v.begin(), v.end());
  if (v.empty()) return;
  double sum = 0;
  for (double x : v) sum += x;
  std::printf("%8d %-7s %7zu %9.2f %9.2f %9.2f %9.2f %7llu %7llu\n", workers, label.c_str(),
              v.size(), sum / v.size(), v[v.size() / 2],
              v[std::min(v.size() - 1, v.size() * 9 / 10)], v.back(),
              static_cast<unsigned long long>(out.communicators.built),
              static_cast<unsigned long long>(out.communicators.released));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  DLSCHED_MPI_CHECK(MPI_Init(&argc, &argv));
  DLSCHED_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  const std::string models = argc > 1 ? argv[1] : "";
  try {
    int rank = 0, size = 0;
    DLSCHED_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    DLSCHED_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size));
    if (rank == 0) {
      std::printf("# control overhead per round (ms), round %.1f s, %d ranks on %s\n", ROUND, size,
                  emu::mpi_host().c_str());
      std::printf("%8s %-7s %7s %9s %9s %9s %9s %7s %7s\n", "workers", "case", "rounds", "mean",
                  "p50", "p90", "max", "built", "freed");
    }
    for (int workers : {4, 16}) {
      if (workers + 1 > size) continue;
      MPI_Comm comm;
      DLSCHED_MPI_CHECK(
          MPI_Comm_split(MPI_COMM_WORLD, rank <= workers ? 0 : MPI_UNDEFINED, rank, &comm));
      if (comm != MPI_COMM_NULL) {
        run_case(comm, models, "steady", "fifo", {1, 1});
        run_case(comm, models, "churn", "las", {1, 1, 1, 1});
        run_case(comm, models, "reshape", "las", {2, 1});
        DLSCHED_MPI_CHECK(MPI_Comm_free(&comm));
      }
      DLSCHED_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_control_overhead: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  DLSCHED_MPI_CHECK(MPI_Finalize());
  return 0;
}
