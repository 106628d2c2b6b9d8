#include "emu/emulation.h"

#include <cstdio>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "core/error.h"
#include "core/output_file.h"
#include "emu/adaptive_driver.h"
#include "emu/backend.h"
#include "emu/channel.h"
#include "emu/driver.h"
#include "emu/emulated_cluster.h"
#include "emu/interruptions.h"
#include "emu/mpi_check.h"
#include "emu/rank0_setup.h"
#include "emu/rank_processes.h"
#include "emu/wall_clock.h"
#include "emu/worker.h"
#include "io/hdf5_results.h"
#include "run/run_checkpoint.h"
#include "sched/mechanism.h"

namespace dlsched::emu {
namespace {


std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

/// Rank 0's half of the setup: everything loaded and checked before any file is written.
std::unique_ptr<Experiment> load_on_driver(const EmulationOptions& o,
                                           const std::vector<std::string>& worker_hosts,
                                           std::vector<double>& slowdown) {
  ExperimentOptions eo = o.experiment;
  if (!o.cluster_given) eo.cluster = cluster_spec_from_hosts(worker_hosts, o.gpu_type);
  if (!(o.bucket_mb > 0))
    throw InputError(fmt::format("--bucket-mb must be positive, got {}", o.bucket_mb));
  if (!(o.flops_scale > 0))
    throw InputError(fmt::format("--flops-scale must be positive, got {}", o.flops_scale));
  if (!(o.comm_scale > 0))
    throw InputError(fmt::format("--comm-scale must be positive, got {}", o.comm_scale));
  if (!(o.poll_ms > 0))
    throw InputError(fmt::format("--poll-ms must be positive, got {}", o.poll_ms));
  if (!(o.worker_timeout > 0) || !std::isfinite(o.worker_timeout))
    throw InputError(
        fmt::format("--worker-timeout must be a positive number of seconds, got {}",
                    o.worker_timeout));
  make_backend(o.backend);  // unknown backend: an input error before anything starts
  // The simulator's step model assumes the buckets the workers use.
  eo.step.bucket_bytes = static_cast<std::uint64_t>(o.bucket_mb * (1 << 20));
  std::unique_ptr<Experiment> ex = load_experiment(eo);
  if (find_mechanism(ex->options.mechanism).adaptive_jobs) {
    // Adaptive jobs sleep their profiles' step times (emu/adaptive_driver.h) and keep no
    // checkpoint.
    if (o.compute != ComputeMode::SLEEP)
      throw InputError(fmt::format("--mechanism {} emulates compute with --compute sleep (the "
                                   "application profiles give times, not FLOPs)",
                                   ex->options.mechanism));
    if (o.resume)
      throw InputError(fmt::format("--resume: a run under --mechanism {} keeps no checkpoint",
                                   ex->options.mechanism));
  }
  if (!o.out.empty()) refuse_output_over_inputs(o.out, eo.input_files());
  const int workers = static_cast<int>(worker_hosts.size());
  if (ex->cluster.num_gpus() != workers)
    throw InputError(
        fmt::format("cluster '{}' has {} GPUs but the run has {} worker ranks; start it with "
                    "mpirun -np {} (one driver rank plus one rank per GPU)",
                    eo.cluster, ex->cluster.num_gpus(), workers, ex->cluster.num_gpus() + 1));
  if (!o.cluster_given)
    for (const Node& n : ex->cluster.nodes())
      ex->cluster.set_node_name(n.index, worker_hosts[n.first_gpu]);
  slowdown = slowdown_factors(ex->cluster, ex->catalog, parse_slowdowns(o.slowdowns));
  // A worker rank runs one job at a time: policies see packing_allowed = false.
  ex->scheduler.packing = false;
  return ex;
}

/// What --resume finds in the results file.
enum class ResumeFrom { NEW_RUN, CHECKPOINT, FINISHED_RUN };

/// Decides what --resume does with `path`: a missing file is a new run (a requeued job can
/// always pass --resume); a finished run needs nothing; a pending checkpoint is continued if it
/// was made with the same inputs (else an InputError naming the field that differs); anything
/// else cannot be continued. `interruptions`: the file's counts, with this resume added.
ResumeFrom inspect_for_resume(const std::string& path, const RunAttributes& attributes,
                              std::optional<DriverResume>& resume, Interruptions& interruptions) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    std::cerr << "dlsched: --resume: " << path << " does not exist; starting a new run\n";
    return ResumeFrom::NEW_RUN;
  }
  ResultsFile file = read_results(path);
  const std::string status = file.attributes.count("status") ? file.attributes.at("status") : "";
  if (file.checkpoint != "pending") {
    if (status == "complete") {
      // Finished, but only "nothing to do" if it is this experiment's file.
      const std::string diff = identity_mismatch(checkpoint_identity(file.attributes), attributes);
      if (!diff.empty())
        throw InputError(fmt::format("{}: cannot resume: the file holds a finished run of another "
                                     "experiment ({})",
                                     path, diff));
      return ResumeFrom::FINISHED_RUN;
    }
    throw InputError(fmt::format(
        "{}: cannot resume: the file holds no checkpoint to continue from (status \"{}\"); the "
        "run that wrote it ended without one (crashed or was killed). Remove the file, or run "
        "without --resume into another file",
        path, status));
  }
  RunCheckpoint checkpoint = read_checkpoint(path);
  if (const std::string diff = identity_mismatch(checkpoint.identity, attributes); !diff.empty())
    throw InputError(fmt::format("{}: cannot resume: {}; resume with the arguments of the run "
                                 "that wrote the checkpoint",
                                 path, diff));
  interruptions = read_interruptions(file.attributes);
  ++interruptions.count;
  if (checkpoint.wall_time > 0)
    interruptions.wall_seconds += std::max(0.0, unix_seconds() - checkpoint.wall_time);
  resume = DriverResume{std::move(checkpoint), std::move(file.jobs)};
  return ResumeFrom::CHECKPOINT;
}

/// A worker stopped answering: writes the checkpoint (if there is a results file), says which
/// ranks failed and how to go on, and aborts the run: some workers may be dead or blocked in a
/// collective with a dead one, so no orderly shutdown can reach them. Does not return.
[[noreturn]] void end_after_worker_failure(MPI_Comm world, const std::string& out,
                                           Hdf5ResultsWriter* writer, DriveOutcome& run,
                                           const RunAttributes& identity) {
  int code = SETUP_RUNTIME_ERROR;
  std::string next = "without --out there is no checkpoint to resume from";
  if (writer && run.checkpoint) {
    run.checkpoint->identity = identity;
    writer->close_checkpointed(*run.checkpoint);
    code = EXIT_CHECKPOINTED;
    next = fmt::format("checkpoint written to {} at t={:.3f} s (round {}); exit {}: run again with "
                       "--resume (a new mpiexec, on working nodes) to continue",
                       out, run.checkpoint->clock, run.checkpoint->rounds, code);
  }
  // rank 0 printed the failure when it found it (run.failure->what)
  std::cerr << "dlsched: " << next << std::endl;
  MPI_Abort(world, code);
  std::abort();  // MPI_Abort does not return
}

/// How the run used job communicators (of this run segment, if it was resumed).
void record_communicators(Hdf5ResultsWriter& writer, const CommCounts& c) {
  writer.set_attribute("communicators_built", std::to_string(c.built));
  writer.set_attribute("communicators_reused", std::to_string(c.reused));
  writer.set_attribute("communicators_released", std::to_string(c.released));
  writer.set_attribute("communicators_most_held_by_a_worker",
                       std::to_string(c.most_held_by_a_worker));
}

}  // namespace

EmulationOutcome run_emulation(MPI_Comm world, const EmulationOptions& o, RecordSink* extra) {
  EmulationOutcome outcome;
  const std::optional<WorldRanks> world_ranks =
      join_world(world, "emulate", "rank 0 drives, ranks 1..N are workers");
  if (!world_ranks) {
    outcome.exit_code = SETUP_INPUT_ERROR;
    return outcome;
  }
  const int rank = world_ranks->rank, size = world_ranks->size;
  const std::vector<std::string>& hosts = world_ranks->hosts;

  // Rank 0 loads and checks every input; the others learn only whether to go on.
  std::vector<double> slowdown;
  std::unique_ptr<Hdf5ResultsWriter> writer;
  bool wrote_new_file = false;  // this run created --out (not a resume of an older run)
  std::unique_ptr<Policy> policy;
  std::optional<DriverResume> resume;
  RunAttributes identity;
  Interruptions interruptions;
  const int status = setup_on_rank0(world, rank, [&] {
    const std::vector<std::string> worker_hosts(hosts.begin() + 1, hosts.end());
    outcome.experiment = load_on_driver(o, worker_hosts, slowdown);
    outcome.hosts = join(worker_hosts);
    policy = make_policy(o.experiment.policy, o.experiment.policy_params);
    if (policy->may_pack())
      std::cerr << "dlsched: note: emulate runs no packed jobs (one job per worker rank); "
                << "policy " << policy->name() << " runs with packing off\n";
    if (!o.out.empty()) {
      RunAttributes attrs = outcome.experiment->attributes("emulate");
      attrs["backend"] = o.backend;
      attrs["compute"] = o.compute == ComputeMode::SLEEP ? "sleep" : "kernel";
      attrs["flops_scale"] = fmt::format("{}", o.flops_scale);
      attrs["comm_scale"] = fmt::format("{}", o.comm_scale);
      attrs["bucket_mb"] = fmt::format("{}", o.bucket_mb);
      attrs["overlap"] = o.experiment.step.overlap ? "on" : "off";
      attrs["ranks"] = std::to_string(size);
      attrs["driver_host"] = hosts[0];
      attrs["hostnames"] = outcome.hosts;
      std::string slow;
      for (std::size_t t = 0; t < slowdown.size(); ++t)
        slow += fmt::format("{}{}={}", t ? "," : "", outcome.experiment->cluster.gpu_types()[t],
                            slowdown[t]);
      attrs["slowdowns"] = slow;
      attrs["per_model_restore"] = o.experiment.per_model_restore ? "true" : "false";
      identity = checkpoint_identity(attrs);
      const ResumeFrom from = o.resume ? inspect_for_resume(o.out, attrs, resume, interruptions)
                                       : ResumeFrom::NEW_RUN;
      if (from == ResumeFrom::FINISHED_RUN) {
        std::cerr << "dlsched: --resume: " << o.out
                  << " holds a finished run; nothing to resume\n";
        return SETUP_ALREADY_FINISHED;
      } else if (from == ResumeFrom::CHECKPOINT) {
        std::cerr << fmt::format(
            "dlsched: resuming {} from its checkpoint at t={:.3f} s (round {}, {} of {} jobs "
            "finished)\n",
            o.out, resume->checkpoint.clock, resume->checkpoint.rounds,
            resume->finished_before.size(), outcome.experiment->trace.jobs.size());
        writer = Hdf5ResultsWriter::append_to(o.out, o.flush_interval);
      } else {
        writer = std::make_unique<Hdf5ResultsWriter>(o.out, attrs, o.flush_interval);
        wrote_new_file = true;
        writer->cluster(emulated_cluster_records(outcome.experiment->cluster, worker_hosts));
      }
    } else if (o.resume) {
      throw InputError("--resume needs --out: the results file of the run to continue");
    }
    return SETUP_OK;
  });
  if (status != SETUP_OK) {
    outcome.exit_code = status == SETUP_ALREADY_FINISHED ? 0 : status;
    outcome.experiment.reset();  // nothing ran: nothing to summarise
    return outcome;
  }

  const RankProcesses processes = gather_rank_processes(world, rank, hosts);
  MPI_Comm control = MPI_COMM_NULL, data = MPI_COMM_NULL;
  DLSCHED_MPI_CHECK(MPI_Comm_dup(world, &control));
  DLSCHED_MPI_CHECK(MPI_Comm_dup(world, &data));
  try {
    Channel channel(control, o.poll_ms * 1e-3);
    if (rank == 0) {
      DriverSettings s;
      s.compute = o.compute;
      s.flops_scale = o.flops_scale;
      s.comm_scale = o.comm_scale;
      s.bucket_bytes = static_cast<std::uint64_t>(o.bucket_mb * (1 << 20));
      s.slowdown = slowdown;
      s.worker_timeout = o.worker_timeout;
      s.processes = &processes;
      const char* inject = std::getenv(INJECT_BAD_MESSAGE_ENV);
      s.inject_bad_message = inject && std::string(inject) == "1";
      TeeSink tee;
      if (writer) tee.sinks.push_back(writer.get());
      if (extra) tee.sinks.push_back(extra);
      DriveOutcome run =
          find_mechanism(outcome.experiment->options.mechanism).adaptive_jobs
              ? drive_adaptive(*outcome.experiment, *policy, channel, tee, s)
              : drive(*outcome.experiment, *policy, channel, tee, s, resume ? &*resume : nullptr);
      outcome.summary = run.summary;
      outcome.communicators = run.communicators;
      if (writer) {
        record_communicators(*writer, run.communicators);
        interruptions.restore_seconds += run.requeue_restore_seconds;
        write_interruptions(*writer, interruptions);
      }
      if (run.failure) end_after_worker_failure(world, o.out, writer.get(), run, identity);
      if (!run.checkpoint) {
        if (writer) writer->close();
      } else if (writer) {
        run.checkpoint->identity = identity;
        writer->close_checkpointed(*run.checkpoint);
        std::cerr << fmt::format(
            "dlsched: checkpoint written to {} at t={:.3f} s (round {}, {} of {} jobs finished); "
            "exit {}: run again with --resume to continue\n",
            o.out, run.checkpoint->clock, run.checkpoint->rounds,
            std::count_if(run.checkpoint->scheduler.jobs.begin(),
                          run.checkpoint->scheduler.jobs.end(),
                          [](const JobState& j) { return j.status == JobState::Status::DONE; }),
            outcome.experiment->trace.jobs.size(), EXIT_CHECKPOINTED);
        outcome.exit_code = EXIT_CHECKPOINTED;
      } else {
        std::cerr << fmt::format("dlsched: error: stopped by {} before the run finished; without "
                                 "--out there is no checkpoint to resume from\n",
                                 run.checkpoint->signal);
        outcome.exit_code = SETUP_RUNTIME_ERROR;
      }
    } else {
      std::unique_ptr<Backend> backend = make_backend(o.backend);
      Worker worker(channel, data, *backend);
      worker.run();
    }
    // Every rank leaves with rank 0's verdict, so any launcher reports the same status.
    DLSCHED_MPI_CHECK(MPI_Bcast(&outcome.exit_code, 1, MPI_INT, 0, world));
  } catch (const std::exception& e) {
    // A rank that cannot go on may leave peers inside a collective: only an abort is sure
    // to end every rank. The message comes first so the user sees why.
    std::cerr << "dlsched: error: " << e.what() << std::endl;
    // Bad input found mid-run (a policy's malformed decision) makes the whole run invalid: a
    // file this run created goes. Other failures keep every flushed round for inspection.
    if (wrote_new_file && dynamic_cast<const InputError*>(&e)) {
      writer.reset();
      std::remove(o.out.c_str());
    }
    MPI_Abort(world, EXIT_RUNTIME_ERROR);
  }
  DLSCHED_MPI_CHECK(MPI_Comm_free(&data));
  DLSCHED_MPI_CHECK(MPI_Comm_free(&control));
  return outcome;
}

}  // namespace dlsched::emu
