// dlsched profile: measure iteration times per model, GPU type, worker count and placement on
// MPI ranks (rank 0 coordinates, ranks 1..N measure), for simulate --throughputs.
#include <fmt/format.h>
#include <mpi.h>

#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/mpi_command.h"
#include "cli/mpi_module.h"
#include "core/error.h"
#include "emu/mpi_check.h"
#include "emu/profiling.h"

namespace dlsched::cli {
namespace {

struct ProfileArgs {
  emu::ProfileOptions options;
  std::string compute = "sleep";
  bool quiet = false;
};

int run_profile(ProfileArgs& a) {
  a.options.compute = parse_compute_mode(a.compute);
  return run_on_mpi_ranks([&a] {
    emu::ProfileOutcome out = emu::run_profile(MPI_COMM_WORLD, a.options);
    if (out.exit_code == 0 && !out.entries.empty() && !a.quiet)
      std::cout << format_profile_table(out.entries) << "workers on " << out.hosts << "\n";
    return out.exit_code;
  });
}

}  // namespace

CommandAction add_profile_command(CLI::App& app) {
  auto args = std::make_shared<ProfileArgs>();
  emu::ProfileOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand("profile", PROFILE_DESCRIPTION);
  cmd->add_option("--trace", o.subjects.trace_path,
                  "profile every model this trace names, at the batch sizes its jobs use");
  cmd->add_option("--trace-format", o.subjects.trace_format, "trace format, or auto to detect")
      ->capture_default_str();
  cmd->add_option("--default-model", o.subjects.default_model,
                  "model for traces that name none (Philly)")
      ->capture_default_str();
  cmd->add_option("--model", o.subjects.models,
                  "profile this catalog model at its default batch size (repeatable)");
  cmd->add_option("--models", o.subjects.models_path, "model catalog (default: jobs/models.toml)");
  cmd->add_option("--cluster", o.subjects.cluster,
                  "emulated cluster NODESxGPUS[:type],... with one GPU per worker rank "
                  "(default: the real hosts, --gpu-type GPUs each)");
  cmd->add_option("--gpu-type", o.gpu_type,
                  "GPU type of the nodes made from real hosts (no --cluster)")
      ->capture_default_str();
  cmd->add_option("--workers", o.workers,
                  "worker counts to measure, e.g. 1,2,4 (default: powers of two up to the "
                  "largest group of one GPU type)");
  cmd->add_option("--warmup", o.repeats.warmup, "iterations run and discarded before timing")
      ->capture_default_str();
  cmd->add_option("--iterations", o.repeats.iterations, "iterations timed per repetition")
      ->capture_default_str();
  cmd->add_option("--repetitions", o.repeats.repetitions,
                  "timed repetitions per measurement (the spread is between them)")
      ->capture_default_str();
  cmd->add_option("-o,--out", o.out, "profile file (HDF5, table /profile), written by rank 0");
  cmd->add_option("--table", o.table,
                  "profile CSV for simulate --throughputs (steps/s from the median)");
  cmd->add_option("--backend", o.backend, "worker backend (cpu, cuda where built)")
      ->capture_default_str();
  add_worker_options(*cmd, o, args->compute);
  add_overlap_option(*cmd, o.subjects.step.overlap);
  cmd->add_option("--poll-ms", o.poll_ms, "sleep of an idle rank between message probes (ms)")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet,
                "print nothing on success (no progress lines, no table)");
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    args->options.cluster_given = cmd->count("--cluster") > 0;
    args->options.progress = !args->quiet;
    return run_profile(*args);
  };
}

}  // namespace dlsched::cli
