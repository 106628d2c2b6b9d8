// dlsched simulate: replay a trace in virtual time and write the results file.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <optional>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/summary.h"
#include "core/error.h"
#include "core/output_file.h"
#include "io/hdf5_results.h"
#include "run/cluster_records.h"
#include "sched/mechanism.h"
#include "sched/plugin_loader.h"
#include "sim/adaptive_simulator.h"
#include "sim/simulator.h"

namespace dlsched::cli {
namespace {

struct SimulateArgs {
  ExperimentOptions experiment;
  std::vector<std::string> policy_params;
  std::string out;
  double flush_interval = 1.0;
  bool progress = true;
  bool list_policies = false;
  bool quiet = false;
  bool whole_iterations = false;
  bool check_invariants = false;
};

int run_simulate(SimulateArgs& a) {
  if (a.list_policies) {
    for (const std::string& plugin : a.experiment.policy_plugins) load_policy_plugin(plugin);
    for (const PolicyInfo& p : registered_policies()) {
      std::cout << fmt::format("{:<16} {}{}\n", p.name, p.description,
                               runs_event_driven(p.name) ? " [event-driven: --round-length 0]"
                                                         : "");
      for (const ParamDeclaration& d : declared_parameters(p))
        std::cout << fmt::format("    {}={} ({}{}{}){}{}\n", d.key, d.default_text, d.kind,
                                 d.range_text.empty() ? "" : ", ", d.range_text,
                                 d.help.empty() ? "" : ": ", d.help);
    }
    return 0;
  }
  for (const auto& kv : a.policy_params) a.experiment.policy_params.set(kv);
  a.experiment.event_driven_driver = true;
  if (a.whole_iterations && a.experiment.set_by_user.count("round_length") &&
      a.experiment.round_length == 0)
    throw InputError("--whole-iterations ends leases at round boundaries; event-driven time "
                     "(--round-length 0) has none");
  const auto started = std::chrono::steady_clock::now();
  // Every input is loaded and checked before the output file exists.
  std::unique_ptr<Experiment> ex = load_experiment(a.experiment);
  std::unique_ptr<Policy> policy = make_policy(a.experiment.policy, a.experiment.policy_params);
  const bool adaptive = find_mechanism(ex->options.mechanism).adaptive_jobs;
  if (adaptive && a.whole_iterations)
    throw InputError("--whole-iterations does not apply to --mechanism pollux (jobs run in "
                     "Pollux's statistical progress, not whole iterations)");
  if (adaptive && a.check_invariants)
    throw InputError("--check-invariants does not apply to --mechanism pollux (its simulator "
                     "checks each allocation as the policy returns it)");
  RunAttributes attributes = ex->attributes("simulate");
  if (a.whole_iterations) {
    // The emulator's leases, and like it one job per GPU.
    ex->scheduler.packing = false;
    if (policy->may_pack() && !a.quiet)
      std::cerr << "dlsched: note: --whole-iterations runs no packed jobs (as emulate); policy "
                << policy->name() << " runs with packing off\n";
    attributes["whole_iterations"] = "true";
  }
  // Written under a temporary name and renamed when the run completes: an error, or a kill,
  // never leaves a half-written file at the path asked for (declared before the writer, so
  // the file is closed before an unfinished one is removed).
  std::optional<StagedFile> staged;
  std::unique_ptr<Hdf5ResultsWriter> writer;
  if (!a.out.empty()) {
    refuse_output_over_inputs(a.out, a.experiment.input_files());
    staged.emplace(a.out);
    writer = std::make_unique<Hdf5ResultsWriter>(staged->path(), attributes, a.flush_interval);
    writer->cluster(cluster_records(ex->cluster));
  }
  struct JobsOnly : RecordSink {  // without --out only the summary is kept
    void job(const JobRecord&) override {}
    void allocation(const AllocationRecord&) override {}
    void progress(const ProgressRecord&) override {}
    void round(const RoundRecord&) override {}
  } none;
  RecordSink& sink = writer ? static_cast<RecordSink&>(*writer) : none;
  SimulationOptions options;
  options.progress_bar = a.progress && !a.quiet;
  options.whole_iterations = a.whole_iterations;
  options.check_invariants = a.check_invariants;
  const RunSummary summary = adaptive ? simulate_adaptive(*ex, *policy, sink, options)
                                      : simulate(*ex, *policy, sink, options);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (writer) {
    writer->set_attribute("wall_seconds", fmt::format("{:.3f}", wall));
    writer->close();
    staged->commit();
  }
  if (!a.quiet) std::cout << format_summary(*ex, summary, wall);
  return 0;
}

}  // namespace

CommandAction add_simulate_command(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand("simulate", "replay a trace on a modelled cluster");
  add_experiment_options(*cmd, args->experiment, args->policy_params);
  cmd->add_option_function<double>(
         "--bucket-mb",
         [args](double mib) {
           if (!(mib > 0)) throw CLI::ValidationError("--bucket-mb", "must be positive");
           args->experiment.step.bucket_bytes = static_cast<std::uint64_t>(mib * (1 << 20));
         },
         "gradient allreduce bucket size in MiB that the step model assumes (PyTorch DDP: 25)")
      ->default_str("25");
  cmd->add_option("-o,--out", args->out, "results file (HDF5)");
  cmd->add_option("--flush-interval", args->flush_interval,
                  "write buffered rows to the file at most this often (wall seconds)")
      ->capture_default_str();
  cmd->add_flag("!--no-progress", args->progress, "no progress bar");
  cmd->add_flag("-q,--quiet", args->quiet, "print nothing on success");
  cmd->add_flag("--whole-iterations", args->whole_iterations,
                "end leases as emulate does: at a round boundary each job stops at the iteration "
                "end nearest it, and the round's decisions wait for the last (no packing)");
  cmd->add_flag("--check-invariants", args->check_invariants,
                "after every decision, check the scheduler core's invariants (no GPU serves two "
                "unpacked jobs, GPU counts agree, a work-conserving policy leaves no job waiting "
                "beside idle GPUs it fits on); the first violation stops the run, naming the "
                "time and the jobs, and leaves no results file");
  cmd->add_flag("--list-policies", args->list_policies, "list the registered policies and exit");
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_simulate(*args);
  };
}

}  // namespace dlsched::cli
