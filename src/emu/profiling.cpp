#include "emu/profiling.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "core/error.h"
#include "core/output_file.h"
#include "emu/backend.h"
#include "emu/channel.h"
#include "emu/emulated_cluster.h"
#include "emu/emulation.h"
#include "emu/mpi_check.h"
#include "emu/rank0_setup.h"
#include "emu/worker.h"
#include "io/profile_file.h"

namespace dlsched::emu {
namespace {

namespace fs = std::filesystem;


/// Everything rank 0 decides before the workers start.
struct Setup {
  ProfileExperiment profile;
  std::vector<ProfileCase> cases;
  DriverSettings settings;
  std::vector<std::string> worker_hosts;
  std::vector<int> worker_counts;
};

void check_output_path(const std::string& flag, const std::string& path) {
  if (path.empty()) return;
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(fmt::format("{} {}: directory {} does not exist", flag, path, dir.string()));
  if (fs::is_directory(path, ec))
    throw InputError(fmt::format("{} {}: is a directory", flag, path));
}

Setup set_up(const ProfileOptions& o, const std::vector<std::string>& worker_hosts) {
  Setup s;
  s.worker_hosts = worker_hosts;
  if (!(o.bucket_mb > 0))
    throw InputError(fmt::format("--bucket-mb must be positive, got {}", o.bucket_mb));
  if (!(o.flops_scale > 0))
    throw InputError(fmt::format("--flops-scale must be positive, got {}", o.flops_scale));
  if (!(o.comm_scale > 0))
    throw InputError(fmt::format("--comm-scale must be positive, got {}", o.comm_scale));
  if (!(o.poll_ms > 0))
    throw InputError(fmt::format("--poll-ms must be positive, got {}", o.poll_ms));
  if (o.repeats.warmup < 0)
    throw InputError(fmt::format("--warmup must be >= 0, got {}", o.repeats.warmup));
  if (o.repeats.iterations < 1)
    throw InputError(fmt::format("--iterations must be >= 1, got {}", o.repeats.iterations));
  if (o.repeats.repetitions < 1)
    throw InputError(fmt::format("--repetitions must be >= 1, got {}", o.repeats.repetitions));
  check_output_path("--out", o.out);
  check_output_path("--table", o.table);
  if (!o.out.empty() && fs::weakly_canonical(o.out) == fs::weakly_canonical(o.table))
    throw InputError(fmt::format("--out and --table name the same file ({})", o.out));
  make_backend(o.backend);  // unknown backend: an input error before anything starts

  SubjectOptions so = o.subjects;
  so.step.bucket_bytes = static_cast<std::uint64_t>(o.bucket_mb * (1 << 20));
  if (!o.cluster_given) so.cluster = cluster_spec_from_hosts(worker_hosts, o.gpu_type);
  s.profile = load_profile_experiment(so);
  Experiment& ex = *s.profile.experiment;
  for (const std::string* output : {&o.out, &o.table})
    if (!output->empty()) refuse_output_over_inputs(*output, ex.options.input_files());
  const int workers = static_cast<int>(worker_hosts.size());
  if (ex.cluster.num_gpus() != workers)
    throw InputError(
        fmt::format("cluster '{}' has {} GPUs but the run has {} worker ranks; start it with "
                    "mpirun -np {} (one driver rank plus one rank per GPU)",
                    so.cluster, ex.cluster.num_gpus(), workers, ex.cluster.num_gpus() + 1));
  if (!o.cluster_given)
    for (const Node& n : ex.cluster.nodes())
      ex.cluster.set_node_name(n.index, worker_hosts[n.first_gpu]);

  int largest = 0;
  for (int t = 0; t < static_cast<int>(ex.cluster.gpu_types().size()); ++t)
    largest = std::max(largest, ex.cluster.num_gpus_of_type(t));
  s.worker_counts =
      o.workers.empty() ? powers_of_two_up_to(largest) : parse_worker_counts(o.workers);
  s.cases = plan_profile(ex.cluster, s.profile.subjects.size(), s.worker_counts);

  s.settings.compute = o.compute;
  s.settings.flops_scale = o.flops_scale;
  s.settings.comm_scale = o.comm_scale;
  s.settings.bucket_bytes = static_cast<std::uint64_t>(o.bucket_mb * (1 << 20));
  const char* inject = std::getenv(INJECT_BAD_MESSAGE_ENV);
  s.settings.inject_bad_message = inject && std::string(inject) == "1";
  s.settings.slowdown = slowdown_factors(ex.cluster, ex.catalog, parse_slowdowns(o.slowdowns));
  return s;
}

RunAttributes attributes_of(const ProfileOptions& o, const Setup& s, const std::string& hosts,
                            const std::string& driver_host, int ranks) {
  const Experiment& ex = *s.profile.experiment;
  RunAttributes a;
  a["tool"] = "dlsched";
  a["tool_version"] = DLSCHED_VERSION;
  a["mode"] = "profile";
  a["models"] = ex.catalog.path();
  a["trace"] = ex.trace.path;
  a["trace_format"] = ex.trace.format;
  a["trace_sha256"] = ex.trace.sha256;
  std::vector<std::string> names;
  for (const ProfileSubject& p : s.profile.subjects) names.push_back(p.model);
  a["profiled_models"] = fmt::format("{}", fmt::join(names, ";"));
  a["cluster"] = ex.cluster.describe();
  a["cluster_spec"] = ex.options.cluster;
  a["gpus"] = std::to_string(ex.cluster.num_gpus());
  a["worker_counts"] = fmt::format("{}", fmt::join(s.worker_counts, ","));
  a["warmup"] = std::to_string(o.repeats.warmup);
  a["iterations"] = std::to_string(o.repeats.iterations);
  a["repetitions"] = std::to_string(o.repeats.repetitions);
  a["backend"] = o.backend;
  a["compute"] = o.compute == ComputeMode::SLEEP ? "sleep" : "kernel";
  a["flops_scale"] = fmt::format("{}", o.flops_scale);
  a["comm_scale"] = fmt::format("{}", o.comm_scale);
  a["bucket_mb"] = fmt::format("{}", o.bucket_mb);
  a["overlap"] = o.subjects.step.overlap ? "on" : "off";
  std::string slow;
  for (std::size_t t = 0; t < s.settings.slowdown.size(); ++t)
    slow += fmt::format("{}{}={}", t ? "," : "", ex.cluster.gpu_types()[t], s.settings.slowdown[t]);
  a["slowdowns"] = slow;
  a["ranks"] = std::to_string(ranks);
  a["driver_host"] = driver_host;
  a["hostnames"] = hosts;
  a["table"] = o.table;
  return a;
}

/// Writes every output under a temporary name, then renames them all into place; a failure
/// removes the temporary files and rethrows, so no output is left half-written.
void write_outputs(const ProfileOptions& o, const Setup& s, const RunAttributes& attrs,
                   const std::vector<ProfileRecord>& rows,
                   const std::vector<ProfileEntry>& entries) {
  const Experiment& ex = *s.profile.experiment;
  std::vector<std::pair<std::string, std::string>> written;  // (temporary, final)
  try {
    if (!o.out.empty()) {
      written.emplace_back(o.out + ".partial", o.out);
      write_profile_file(written.back().first, attrs,
                         emulated_cluster_records(ex.cluster, s.worker_hosts), rows);
    }
    if (!o.table.empty()) {
      written.emplace_back(o.table + ".partial", o.table);
      const std::string& p = written.back().first;
      std::ofstream f(p);
      if (!f) throw Error(fmt::format("{}: cannot create file", p));
      const std::vector<std::string> comments{
          fmt::format("dlsched profile {}: {} on {} ({} backend, {} compute, flops_scale {}, "
                       "comm_scale {}, bucket_mb {})",
                       DLSCHED_VERSION, attrs.at("profiled_models"), ex.cluster.describe(),
                       o.backend, attrs.at("compute"), o.flops_scale, o.comm_scale, o.bucket_mb),
           fmt::format("steps_per_second = 1 / median seconds per iteration of {} repetitions of "
                       "{} iterations after {} warm-up; stddev_s between repetitions",
                       o.repeats.repetitions, o.repeats.iterations, o.repeats.warmup)};
      write_profile_csv(f, entries, comments);
      f.close();
      if (!f) throw Error(fmt::format("{}: cannot write file", p));
    }
    for (const auto& [partial, path] : written) fs::rename(partial, path);
  } catch (...) {
    std::error_code ec;
    for (const auto& [partial, path] : written) fs::remove(partial, ec);
    throw;
  }
}

}  // namespace

ProfileOutcome run_profile(MPI_Comm world, const ProfileOptions& o) {
  ProfileOutcome outcome;
  const std::optional<WorldRanks> world_ranks =
      join_world(world, "profile", "rank 0 coordinates, ranks 1..N measure");
  if (!world_ranks) {
    outcome.exit_code = SETUP_INPUT_ERROR;
    return outcome;
  }
  const int rank = world_ranks->rank, size = world_ranks->size;
  const std::vector<std::string>& hosts = world_ranks->hosts;

  Setup setup;
  const int status = setup_on_rank0(world, rank, [&] {
    setup = set_up(o, std::vector<std::string>(hosts.begin() + 1, hosts.end()));
    outcome.hosts = fmt::format("{}", fmt::join(setup.worker_hosts, ","));
    for (const std::string& w : subject_warnings(setup.profile, setup.settings))
      std::cerr << "dlsched: warning: " << w << "\n";
    return SETUP_OK;
  });
  if (status != SETUP_OK) {
    outcome.exit_code = status;
    return outcome;
  }

  MPI_Comm control = MPI_COMM_NULL, data = MPI_COMM_NULL;
  DLSCHED_MPI_CHECK(MPI_Comm_dup(world, &control));
  DLSCHED_MPI_CHECK(MPI_Comm_dup(world, &data));
  std::vector<ProfileRecord> rows;
  try {
    Channel channel(control, o.poll_ms * 1e-3);
    if (rank == 0) {
      rows = measure_profile(setup.profile, setup.cases, channel, setup.settings, o.repeats,
                             o.progress ? &std::cerr : nullptr);
    } else {
      std::unique_ptr<Backend> backend = make_backend(o.backend);
      Worker worker(channel, data, *backend);
      worker.run();
    }
  } catch (const std::exception& e) {
    // A peer may be inside a collective: only an abort is sure to end every rank.
    std::cerr << "dlsched: error: " << e.what() << std::endl;
    MPI_Abort(world, EXIT_RUNTIME_ERROR);
  }
  DLSCHED_MPI_CHECK(MPI_Comm_free(&data));
  DLSCHED_MPI_CHECK(MPI_Comm_free(&control));
  if (rank != 0) return outcome;

  outcome.entries = summarise_profile(rows);
  try {
    write_outputs(o, setup, attributes_of(o, setup, outcome.hosts, hosts[0], size), rows,
                  outcome.entries);
  } catch (const std::exception& e) {
    std::cerr << "dlsched: error: " << e.what() << "\n";
    outcome.exit_code = SETUP_RUNTIME_ERROR;
  }
  return outcome;
}

}  // namespace dlsched::emu
