// A profile run: `mpirun -np N+1 dlsched profile ...`. Rank 0 plans and times the
// measurements through the emulator's protocol; ranks 1..N are the emulator's workers.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "analysis/profile_summary.h"
#include "emu/profile_subjects.h"
#include "emu/profiler.h"
#include "emu/protocol.h"

namespace dlsched::emu {

/// What `dlsched profile` was asked to do.
struct ProfileOptions {
  SubjectOptions subjects;        ///< trace, --model names, catalog, cluster spec
  bool cluster_given = false;     ///< --cluster was given: one GPU per worker rank
  std::string gpu_type = "v100";  ///< GPU type of host-derived nodes
  std::string workers;            ///< --workers list; empty: 1, 2, 4, ... up to the cluster
  ProfileRepeats repeats;
  std::string out;                ///< HDF5 file; empty: none
  std::string table;              ///< profile CSV; empty: none
  std::string backend = "cpu";
  ComputeMode compute = ComputeMode::SLEEP;
  double flops_scale = 1;
  double comm_scale = 1;
  double bucket_mb = 25;
  std::vector<std::string> slowdowns;
  double poll_ms = 1;
  bool progress = false;  ///< rank 0 prints a line to stderr as each measurement starts
};

/// What rank 0 has after a run (other ranks get only the exit code).
struct ProfileOutcome {
  int exit_code = 0;                  ///< 0 ok, 1 failure, 2 bad input (rank 0 printed why)
  std::vector<ProfileEntry> entries;  ///< rank 0 only
  std::string hosts;                  ///< rank 0 only: worker hosts, comma separated
};

/// Runs a profile over `world` (collective). Bad input is found on rank 0 before anything
/// starts and returns exit code 2 on every rank; a failure while measuring is printed by rank
/// 0, which then calls MPI_Abort. Output files appear only when every measurement is done:
/// each is written under a temporary name and renamed into place.
ProfileOutcome run_profile(MPI_Comm world, const ProfileOptions& options);

}  // namespace dlsched::emu
