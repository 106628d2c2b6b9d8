// What the commands that run on MPI ranks (emulate, profile) share: one way to start and end
// MPI, and one spelling of the worker compute modes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "emu/protocol.h"

namespace dlsched::cli {

/// "sleep" or "kernel"; anything else is an InputError.
emu::ComputeMode parse_compute_mode(const std::string& name);

/// Adds the flags that say what a worker does each iteration (compute mode and scale, gradient
/// bytes, buckets, emulated GPU slowdowns), spelled alike for emulate and profile so a profile
/// measures exactly what an emulation will run. `Options` has the members named below.
template <class Options>
void add_worker_options(CLI::App& cmd, Options& o, std::string& compute) {
  cmd.add_option("--compute", compute,
                 "sleep: hold the slot for the modelled compute time; kernel: run the backend's "
                 "compute kernel sized from the model's FLOPs")
      ->capture_default_str();
  cmd.add_option("--flops-scale", o.flops_scale,
                 "kernel mode: multiply each iteration's FLOPs by this")
      ->capture_default_str();
  cmd.add_option("--comm-scale", o.comm_scale, "multiply each iteration's gradient bytes by this")
      ->capture_default_str();
  cmd.add_option("--bucket-mb", o.bucket_mb,
                 "gradient allreduce bucket size in MiB (PyTorch DDP: 25)")
      ->capture_default_str();
  cmd.add_option("--slowdown", o.slowdowns,
                 "emulated GPU type TYPE=FACTOR runs FACTOR times slower than the fastest type "
                 "(default: the catalog's peak ratio); repeatable");
}

/// Runs `body` on every rank between MPI_Init and MPI_Finalize (both skipped when MPI is
/// already initialised) and returns its exit code. An exception escaping `body` is printed and
/// ends the whole run with MPI_Abort: after a failed collective no peer can be trusted to
/// finish the next one, so waiting for them could hang.
int run_on_mpi_ranks(const std::function<int()>& body);

}  // namespace dlsched::cli
