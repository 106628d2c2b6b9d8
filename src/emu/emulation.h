// An emulation run: `mpirun -np N+1 dlsched emulate ...`. Rank 0 loads the experiment and
// drives the scheduler core; ranks 1..N are workers, one per GPU slot.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "emu/comm_cache.h"
#include "emu/protocol.h"
#include "run/records.h"
#include "run/run_summary.h"
#include "sched/experiment.h"

namespace dlsched::emu {

/// What `dlsched emulate` was asked to do, beyond the experiment itself.
struct EmulationOptions {
  ExperimentOptions experiment;
  bool cluster_given = false;     ///< --cluster was given: one GPU per worker rank
  std::string gpu_type = "v100";  ///< GPU type of host-derived nodes
  std::string out;                ///< results file (HDF5); empty: none
  std::string backend = "cpu";
  ComputeMode compute = ComputeMode::SLEEP;
  double flops_scale = 1;              ///< KERNEL: scales the model's FLOPs per iteration
  double comm_scale = 1;               ///< scales the model's gradient bytes
  double bucket_mb = 25;               ///< allreduce bucket size (MiB), like PyTorch DDP
  std::vector<std::string> slowdowns;  ///< TYPE=FACTOR overrides
  double poll_ms = 1;                  ///< sleep between probes of an idle rank
  double flush_interval = 0;           ///< HDF5 flush at most this often (0: every round)
  /// Wall seconds past a lease's deadline after which rank 0 takes its silent members as
  /// failed, checkpoints the others' work and ends the run (EXIT_CHECKPOINTED).
  double worker_timeout = 60;
  /// Continue the run checkpointed in `out`; a finished run is left alone (exit 0), a missing
  /// file starts a new run.
  bool resume = false;
};

/// What rank 0 has after a run (other ranks get only the exit code).
struct EmulationOutcome {
  /// 0 ok (or nothing left to resume), 2 bad input (rank 0 printed why), EXIT_CHECKPOINTED
  /// after a stop signal with a checkpoint in the results file, 1 stopped without one. (A dead
  /// worker ends the run through MPI_Abort: EXIT_CHECKPOINTED with a checkpoint, else 1.)
  int exit_code = 0;
  std::unique_ptr<Experiment> experiment;  ///< rank 0 only
  RunSummary summary;                      ///< rank 0 only
  std::string hosts;                       ///< rank 0 only: worker hosts, comma separated
  CommCounts communicators;                ///< rank 0 only: job communicators built and freed
};

/// Runs an emulation over `world` (collective). Every rank returns the same exit code. Bad
/// input is found on rank 0 before anything starts and returns exit code 2 on every rank; a
/// failure while running (a worker error, a protocol error) is printed by rank 0, which then
/// calls MPI_Abort so nothing hangs.
/// `extra` (rank 0) also receives every row, e.g. a MemorySink for benchmarks.
EmulationOutcome run_emulation(MPI_Comm world, const EmulationOptions& options,
                               RecordSink* extra = nullptr);

/// The environment variable that makes rank 0 send a message of unknown type (tests).
inline constexpr const char* INJECT_BAD_MESSAGE_ENV = "DLSCHED_EMU_INJECT_BAD_MESSAGE";

}  // namespace dlsched::emu
