// dlsched emulate: run a trace on real MPI ranks (rank 0 schedules, ranks 1..N work).
#include <fmt/format.h>
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/mpi_command.h"
#include "cli/mpi_module.h"
#include "cli/summary.h"
#include "core/error.h"
#include "emu/backend.h"
#include "emu/emulation.h"
#include "emu/mpi_check.h"
#include "emu/stop_signal.h"

namespace dlsched::cli {
namespace {

struct EmulateArgs {
  emu::EmulationOptions options;
  std::vector<std::string> policy_params;
  std::string compute = "sleep";
  bool quiet = false;
};

int run_emulate(EmulateArgs& a) {
  for (const auto& kv : a.policy_params) a.options.experiment.policy_params.set(kv);
  a.options.compute = parse_compute_mode(a.compute);
  // SIGTERM / SIGUSR1 (a time limit) checkpoint the run instead of killing it; installed
  // before MPI_Init so one that arrives during start-up is kept too.
  emu::install_stop_signal_handlers();
  return run_on_mpi_ranks([&a] {
    const auto started = std::chrono::steady_clock::now();
    emu::EmulationOutcome out = emu::run_emulation(MPI_COMM_WORLD, a.options);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (out.exit_code == 0 && out.experiment && !a.quiet)
      std::cout << format_summary(*out.experiment, out.summary, wall) << "  workers on "
                << out.hosts << "\n";
    return out.exit_code;
  });
}

}  // namespace

CommandAction add_emulate_command(CLI::App& app) {
  auto args = std::make_shared<EmulateArgs>();
  emu::EmulationOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand("emulate", EMULATE_DESCRIPTION);
  add_experiment_options(*cmd, o.experiment, args->policy_params);
  cmd->add_option("-o,--out", o.out, "results file (HDF5), written by rank 0");
  cmd->add_option("--backend", o.backend, "worker backend: cpu, or cuda where built (one GPU per worker rank)")->capture_default_str();
  add_worker_options(*cmd, o, args->compute);
  cmd->add_option("--gpu-type", o.gpu_type,
                  "GPU type of the nodes made from real hosts (no --cluster)")
      ->capture_default_str();
  cmd->add_option("--poll-ms", o.poll_ms, "sleep of an idle rank between message probes (ms)")
      ->capture_default_str();
  cmd->add_option(
         "--flush-interval", o.flush_interval,
         "write buffered rows to the file at most this often (wall seconds; 0: every round)")
      ->capture_default_str();
  cmd->add_option("--worker-timeout", o.worker_timeout,
                  "wall seconds past a lease's deadline after which rank 0 takes a worker that "
                  "has not reported as failed, checkpoints and exits 75")
      ->capture_default_str();
  cmd->add_flag("--resume", o.resume,
                "continue the run checkpointed in --out (after SIGTERM/SIGUSR1, exit 75); a "
                "finished run is left alone, a missing file starts a new run");
  cmd->add_flag("-q,--quiet", args->quiet, "print nothing on success");
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    args->options.cluster_given = cmd->count("--cluster") > 0;
    return run_emulate(*args);
  };
}

}  // namespace dlsched::cli
