#include "io/hdf5_results.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "core/job.h"
#include "io/hdf5_checkpoint.h"
#include "io/hdf5_handles.h"
#include "io/hdf5_table.h"
#include "io/profile_file.h"
#include "io/read_fault_guard.h"

namespace dlsched {
namespace {

// Rows, tables and attributes (hdf5_table.h).
using namespace hdf5;

// Fixed string widths in bytes (see docs/results.md). Longer values are truncated on write.
constexpr std::size_t kJobIdBytes = kMaxJobIdBytes;
constexpr std::size_t kModelBytes = 64;
constexpr std::size_t kThroughputSourceBytes = 16;
constexpr std::size_t kHostBytes = 64;
constexpr std::size_t kGpuTypeBytes = 16;

constexpr const char* kFormat = "dlsched-results";
constexpr const char* kSchemaVersion = "1";
constexpr const char* kProfileFormat = "dlsched-profile";
constexpr const char* kProfileSchemaVersion = "1";
constexpr std::size_t kPlacementBytes = 16;
// "node:GPUs" pairs of an adaptive job's allocation: 64 nodes of up to 4 GPUs fit.
constexpr std::size_t kAdaptivePlacementBytes = 384;

// The schema (docs/results.md describes every column).

const RowLayout<JobRecord>& job_layout() {
  static const RowLayout<JobRecord> layout(
      "jobs", {DLSCHED_COLUMN(JobRecord, job),
               DLSCHED_COLUMN(JobRecord, job_id, kJobIdBytes),
               DLSCHED_COLUMN(JobRecord, model, kModelBytes),
               DLSCHED_COLUMN(JobRecord, submit),
               DLSCHED_COLUMN(JobRecord, first_start),
               DLSCHED_COLUMN(JobRecord, finish),
               DLSCHED_COLUMN(JobRecord, jct),
               DLSCHED_COLUMN(JobRecord, num_gpus),
               DLSCHED_COLUMN(JobRecord, iterations),
               DLSCHED_COLUMN(JobRecord, iterations_done),
               DLSCHED_COLUMN(JobRecord, preemptions),
               DLSCHED_COLUMN(JobRecord, gpu_seconds),
               DLSCHED_COLUMN(JobRecord, isolated_time),
               DLSCHED_COLUMN(JobRecord, compute_seconds),
               DLSCHED_COLUMN(JobRecord, comm_seconds),
               DLSCHED_COLUMN(JobRecord, throughput_source, kThroughputSourceBytes),
               DLSCHED_COLUMN(JobRecord, status)});
  return layout;
}

const RowLayout<AllocationRecord>& allocation_layout() {
  static const RowLayout<AllocationRecord> layout(
      "allocations",
      {DLSCHED_COLUMN(AllocationRecord, time), DLSCHED_COLUMN(AllocationRecord, job),
       DLSCHED_COLUMN(AllocationRecord, gpu), DLSCHED_COLUMN(AllocationRecord, node),
       DLSCHED_COLUMN(AllocationRecord, event)});
  return layout;
}

const RowLayout<ProgressRecord>& progress_layout() {
  static const RowLayout<ProgressRecord> layout(
      "progress",
      {DLSCHED_COLUMN(ProgressRecord, start), DLSCHED_COLUMN(ProgressRecord, end),
       DLSCHED_COLUMN(ProgressRecord, job), DLSCHED_COLUMN(ProgressRecord, round),
       DLSCHED_COLUMN(ProgressRecord, iterations), DLSCHED_COLUMN(ProgressRecord, seconds),
       DLSCHED_COLUMN(ProgressRecord, compute_seconds),
       DLSCHED_COLUMN(ProgressRecord, comm_seconds), DLSCHED_COLUMN(ProgressRecord, workers)});
  return layout;
}

const RowLayout<RoundRecord>& round_layout() {
  static const RowLayout<RoundRecord> layout(
      "rounds", {DLSCHED_COLUMN(RoundRecord, round), DLSCHED_COLUMN(RoundRecord, time),
                 DLSCHED_COLUMN(RoundRecord, busy_gpus), DLSCHED_COLUMN(RoundRecord, running_jobs),
                 DLSCHED_COLUMN(RoundRecord, queued_jobs),
                 DLSCHED_COLUMN(RoundRecord, finished_jobs),
                 DLSCHED_COLUMN(RoundRecord, control_overhead)});
  return layout;
}

const RowLayout<AdaptiveRecord>& adaptive_layout() {
  static const RowLayout<AdaptiveRecord> layout(
      "adaptive",
      {DLSCHED_COLUMN(AdaptiveRecord, time), DLSCHED_COLUMN(AdaptiveRecord, round),
       DLSCHED_COLUMN(AdaptiveRecord, job), DLSCHED_COLUMN(AdaptiveRecord, gpus),
       DLSCHED_COLUMN(AdaptiveRecord, nodes),
       DLSCHED_COLUMN(AdaptiveRecord, placement, kAdaptivePlacementBytes),
       DLSCHED_COLUMN(AdaptiveRecord, batch_size), DLSCHED_COLUMN(AdaptiveRecord, atomic_bsz),
       DLSCHED_COLUMN(AdaptiveRecord, accum_steps), DLSCHED_COLUMN(AdaptiveRecord, progress),
       DLSCHED_COLUMN(AdaptiveRecord, samples)});
  return layout;
}

/// Does `file` hold a table called `name`? (/adaptive exists only in runs of adaptive jobs.)
bool has_table(hid_t file, const char* name, const Reporter& report) {
  return report.check(H5Lexists(file, name, H5P_DEFAULT), "look for a table") > 0;
}

const RowLayout<GpuRecord>& gpu_layout() {
  static const RowLayout<GpuRecord> layout(
      "cluster", {DLSCHED_COLUMN(GpuRecord, gpu), DLSCHED_COLUMN(GpuRecord, node),
                  DLSCHED_COLUMN(GpuRecord, host, kHostBytes), DLSCHED_COLUMN(GpuRecord, device),
                  DLSCHED_COLUMN(GpuRecord, type, kGpuTypeBytes)});
  return layout;
}

const RowLayout<ProfileRecord>& profile_layout() {
  static const RowLayout<ProfileRecord> layout(
      "profile", {DLSCHED_COLUMN(ProfileRecord, model, kModelBytes),
                  DLSCHED_COLUMN(ProfileRecord, gpu_type, kGpuTypeBytes),
                  DLSCHED_COLUMN(ProfileRecord, workers), DLSCHED_COLUMN(ProfileRecord, nodes),
                  DLSCHED_COLUMN(ProfileRecord, placement, kPlacementBytes),
                  DLSCHED_COLUMN(ProfileRecord, batch),
                  DLSCHED_COLUMN(ProfileRecord, repetition),
                  DLSCHED_COLUMN(ProfileRecord, iterations),
                  DLSCHED_COLUMN(ProfileRecord, compute_s), DLSCHED_COLUMN(ProfileRecord, comm_s),
                  DLSCHED_COLUMN(ProfileRecord, iteration_s)});
  return layout;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Writer.

struct Hdf5ResultsWriter::Impl {
  using Clock = std::chrono::steady_clock;

  /// append: open the existing file and its tables; otherwise create (truncate) it.
  Impl(const std::string& path, double interval, bool append = false)
      : report(path, /*input=*/false),
        flush_interval_s(interval),
        file(open(path, report, append)),
        jobs(file.get(), job_layout(), report, append),
        allocations(file.get(), allocation_layout(), report, append),
        progress(file.get(), progress_layout(), report, append),
        rounds(file.get(), round_layout(), report, append),
        gpus(file.get(), gpu_layout(), report, append),
        last_flush(Clock::now()) {
    if (append && has_table(file.get(), adaptive_layout().table(), report))
      adaptive.emplace(file.get(), adaptive_layout(), report, /*append=*/true);
  }

  static Hid open(const std::string& path, const Reporter& report, bool append) {
    Hid fapl = make_file_access(report);
    if (append)
      return hdf5::file_handle(report.check(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()),
                                            "open results file to append"));
    return hdf5::file_handle(report.check(
        H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), "create results file"));
  }

  void flush() {
    jobs.flush(report);
    allocations.flush(report);
    progress.flush(report);
    rounds.flush(report);
    gpus.flush(report);
    if (adaptive) adaptive->flush(report);
    report.check(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "flush results file");
    last_flush = Clock::now();
  }

  /// Appends a table's buffered rows now, between flushes: its buffer is full.
  template <class R>
  void write_pending(TableWriter<R>& table) {
    hdf5::QuietErrors quiet;
    table.flush(report);
  }

  void close_handles() {
    jobs.close();
    allocations.close();
    progress.close();
    rounds.close();
    gpus.close();
    if (adaptive) adaptive->close();
  }

  Reporter report;
  double flush_interval_s;
  Hid file;
  TableWriter<JobRecord> jobs;
  TableWriter<AllocationRecord> allocations;
  TableWriter<ProgressRecord> progress;
  TableWriter<RoundRecord> rounds;
  TableWriter<GpuRecord> gpus;
  // Created with its first row, so runs of fixed-size jobs keep the tables they always had.
  std::optional<TableWriter<AdaptiveRecord>> adaptive;
  Clock::time_point last_flush;
  bool closed = false;
};

Hdf5ResultsWriter::Hdf5ResultsWriter(const std::string& path, const RunAttributes& attributes,
                                     double flush_interval_s) {
  hdf5::QuietErrors quiet;
  impl_ = std::make_unique<Impl>(path, flush_interval_s);
  for (const auto& [key, value] : attributes)
    write_string_attribute(impl_->file.get(), key, value, impl_->report);
  // Ours come last so a caller's attribute of the same name cannot hide them.
  write_string_attribute(impl_->file.get(), "format", kFormat, impl_->report);
  write_string_attribute(impl_->file.get(), "schema_version", kSchemaVersion, impl_->report);
  write_string_attribute(impl_->file.get(), "status", "running", impl_->report);
  // A valid file on disk from the start, even if the run dies before its first round.
  impl_->flush();
}

Hdf5ResultsWriter::Hdf5ResultsWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<Hdf5ResultsWriter> Hdf5ResultsWriter::append_to(const std::string& path,
                                                                double flush_interval_s) {
  hdf5::QuietErrors quiet;
  auto impl = std::make_unique<Impl>(path, flush_interval_s, /*append=*/true);
  if (checkpoint_state(impl->file.get(), impl->report) == "pending")
    set_checkpoint_state(impl->file.get(), "consumed", impl->report);
  write_string_attribute(impl->file.get(), "status", "running", impl->report);
  impl->report.check(H5Fflush(impl->file.get(), H5F_SCOPE_LOCAL), "flush results file");
  return std::unique_ptr<Hdf5ResultsWriter>(new Hdf5ResultsWriter(std::move(impl)));
}

void Hdf5ResultsWriter::close_checkpointed(const RunCheckpoint& checkpoint) {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  hdf5::QuietErrors quiet;
  impl_->flush();
  write_checkpoint_group(impl_->file.get(), checkpoint, impl_->report);
  write_string_attribute(impl_->file.get(), "status", "checkpointed", impl_->report);
  impl_->closed = true;
  impl_->close_handles();
  impl_->report.check(impl_->file.close(), "close results file");
}

Hdf5ResultsWriter::~Hdf5ResultsWriter() {
  if (!impl_ || impl_->closed) return;
  // Not close(): a writer destroyed without close() (an exception unwinding, an early return)
  // keeps status "running", because the run did not complete.
  hdf5::QuietErrors quiet;
  try {
    impl_->flush();
  } catch (...) {
    // A destructor cannot report; the file keeps what the last successful flush wrote.
  }
  impl_->close_handles();
  impl_->file.reset();
}

void Hdf5ResultsWriter::cluster(const std::vector<GpuRecord>& gpus) {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  for (const auto& gpu : gpus) impl_->gpus.append(gpu);
}

void Hdf5ResultsWriter::job(const JobRecord& r) {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  if (impl_->jobs.append(r)) impl_->write_pending(impl_->jobs);
}

void Hdf5ResultsWriter::allocation(const AllocationRecord& r) {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  if (impl_->allocations.append(r)) impl_->write_pending(impl_->allocations);
}

void Hdf5ResultsWriter::progress(const ProgressRecord& r) {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  if (impl_->progress.append(r)) impl_->write_pending(impl_->progress);
}

void Hdf5ResultsWriter::round(const RoundRecord& r) {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  if (impl_->rounds.append(r)) impl_->write_pending(impl_->rounds);
}

void Hdf5ResultsWriter::adaptive(const AdaptiveRecord& r) {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  if (!impl_->adaptive) {
    hdf5::QuietErrors quiet;
    impl_->adaptive.emplace(impl_->file.get(), adaptive_layout(), impl_->report);
  }
  if (impl_->adaptive->append(r)) impl_->write_pending(*impl_->adaptive);
}

void Hdf5ResultsWriter::round_done() {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  std::chrono::duration<double> since = Impl::Clock::now() - impl_->last_flush;
  if (impl_->flush_interval_s <= 0 || since.count() >= impl_->flush_interval_s) flush();
}

void Hdf5ResultsWriter::set_attribute(const std::string& key, const std::string& value) {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  hdf5::QuietErrors quiet;
  write_string_attribute(impl_->file.get(), key, value, impl_->report);
  // Metadata changed: put it on disk now so the file stays valid if the run is killed.
  impl_->report.check(H5Fflush(impl_->file.get(), H5F_SCOPE_LOCAL), "flush results file");
}

void Hdf5ResultsWriter::flush() {
  DLSCHED_EXPECTS(!impl_->closed, "results writer used after close()");
  hdf5::QuietErrors quiet;
  impl_->flush();
}

void Hdf5ResultsWriter::close() {
  if (impl_->closed) return;
  hdf5::QuietErrors quiet;
  impl_->flush();
  write_string_attribute(impl_->file.get(), "status", "complete", impl_->report);
  impl_->closed = true;
  impl_->close_handles();
  impl_->report.check(impl_->file.close(), "close results file");
}

// ---------------------------------------------------------------------------------------------
// Reader.

namespace {

/// Opens a dlsched file for reading and checks its format and schema version attributes.
Hid open_for_reading(const std::string& path, const Reporter& report, const char* format_name,
                     const char* schema_version, const char* what, RunAttributes& attributes) {
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    report.raise(std::string("cannot read ") + what + ": no such file");
  if (std::filesystem::is_directory(path, error))
    report.raise(std::string("cannot read ") + what + ": a directory, not a file");

  Hid fapl = make_file_access(report);
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  const std::string kind = std::string("dlsched ") + what + " file";
  if (id < 0) {
    std::string reason = hdf5::last_error_message();
    report.raise("not a " + kind + " (not a readable HDF5 file" +
                 (reason.empty() ? std::string() : ": " + reason) + ")");
  }
  Hid file = hdf5::file_handle(id);
  attributes = read_string_attributes(file.get(), report);
  auto format = attributes.find("format");
  if (format == attributes.end())
    report.raise("not a " + kind + " (an HDF5 file without a \"format\" attribute)");
  if (format->second != format_name)
    report.raise("not a " + kind + " (format is \"" + format->second + "\", not \"" +
                 format_name + "\")");
  auto version = attributes.find("schema_version");
  if (version == attributes.end() || version->second != schema_version)
    report.raise("unsupported " + kind + " schema version \"" +
                 (version == attributes.end() ? std::string("?") : version->second) +
                 "\" (this dlsched reads version " + schema_version + ")");
  return file;
}

}  // namespace

ResultsFile read_results(const std::string& path) {
  ReadFaultGuard guard(path);
  hdf5::QuietErrors quiet;
  Reporter report(path, /*input=*/true);
  ResultsFile results;
  Hid file = open_for_reading(path, report, kFormat, kSchemaVersion, "results", results.attributes);
  results.jobs = read_table(file.get(), job_layout(), report);
  results.allocations = read_table(file.get(), allocation_layout(), report);
  results.progress = read_table(file.get(), progress_layout(), report);
  results.rounds = read_table(file.get(), round_layout(), report);
  results.cluster = read_table(file.get(), gpu_layout(), report);
  if (has_table(file.get(), adaptive_layout().table(), report))
    results.adaptive = read_table(file.get(), adaptive_layout(), report);
  results.checkpoint = checkpoint_state(file.get(), report);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Profile files.

void write_profile_file(const std::string& path, const RunAttributes& attributes,
                        const std::vector<GpuRecord>& cluster,
                        const std::vector<ProfileRecord>& rows) {
  hdf5::QuietErrors quiet;
  Reporter report(path, /*input=*/false);
  Hid fapl = make_file_access(report);
  Hid file = hdf5::file_handle(report.check(
      H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), "create profile file"));
  for (const auto& [key, value] : attributes)
    write_string_attribute(file.get(), key, value, report);
  write_string_attribute(file.get(), "format", kProfileFormat, report);
  write_string_attribute(file.get(), "schema_version", kProfileSchemaVersion, report);
  write_string_attribute(file.get(), "status", "complete", report);
  TableWriter<ProfileRecord> profile(file.get(), profile_layout(), report);
  for (const auto& r : rows) profile.append(r);
  profile.flush(report);
  profile.close();
  TableWriter<GpuRecord> gpus(file.get(), gpu_layout(), report);
  for (const auto& g : cluster) gpus.append(g);
  gpus.flush(report);
  gpus.close();
  report.check(file.close(), "close profile file");
}

ProfileFile read_profile_file(const std::string& path) {
  ReadFaultGuard guard(path);
  hdf5::QuietErrors quiet;
  Reporter report(path, /*input=*/true);
  ProfileFile profile;
  Hid file = open_for_reading(path, report, kProfileFormat, kProfileSchemaVersion, "profile",
                              profile.attributes);
  profile.rows = read_table(file.get(), profile_layout(), report);
  profile.cluster = read_table(file.get(), gpu_layout(), report);
  return profile;
}

}  // namespace dlsched
