// The HDF5 results file: writer (one writer per run) and reader.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "run/records.h"
#include "run/run_attributes.h"

namespace dlsched {

struct RunCheckpoint;

/// Writes one results file. Tables are 1-D compound datasets, chunked and extendible;
/// rows are buffered and appended on flush(). The root attribute "status" is "running" until
/// close() sets "complete", so a reader can tell a crashed run from a finished one.
class Hdf5ResultsWriter : public RecordSink {
 public:
  /// Creates (truncates) `path`. flush_interval_s: round_done() flushes at most this often in
  /// wall time (0 = every round). Throws Error if the file cannot be created.
  Hdf5ResultsWriter(const std::string& path, const RunAttributes& attributes,
                    double flush_interval_s = 0);
  ~Hdf5ResultsWriter() override;
  Hdf5ResultsWriter(const Hdf5ResultsWriter&) = delete;
  Hdf5ResultsWriter& operator=(const Hdf5ResultsWriter&) = delete;

  void cluster(const std::vector<GpuRecord>& gpus);
  void job(const JobRecord& r) override;
  void allocation(const AllocationRecord& r) override;
  void progress(const ProgressRecord& r) override;
  void round(const RoundRecord& r) override;
  void adaptive(const AdaptiveRecord& r) override;
  void round_done() override;
  /// Sets (or replaces) a root attribute.
  void set_attribute(const std::string& key, const std::string& value);
  /// Appends buffered rows and flushes the file to the OS.
  void flush();
  /// Flushes, marks the run complete and closes. Idempotent.
  void close();

  /// Opens an existing results file to go on appending rows (a resumed run): status goes
  /// back to "running" and a pending checkpoint is marked consumed at once, since the rows
  /// written from now on make it stale. Throws Error if the file cannot be opened for writing.
  static std::unique_ptr<Hdf5ResultsWriter> append_to(const std::string& path,
                                                      double flush_interval_s = 0);
  /// Flushes, writes `checkpoint` as the /checkpoint group (replacing an older one), sets
  /// status "checkpointed" and closes. The writer cannot be used afterwards.
  void close_checkpointed(const RunCheckpoint& checkpoint);

 private:
  struct Impl;
  explicit Hdf5ResultsWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A results file read back into memory.
struct ResultsFile {
  RunAttributes attributes;
  std::vector<JobRecord> jobs;
  std::vector<AllocationRecord> allocations;
  std::vector<ProgressRecord> progress;
  std::vector<RoundRecord> rounds;
  std::vector<GpuRecord> cluster;
  /// /adaptive: empty in runs of fixed-size jobs, whose files have no such table.
  std::vector<AdaptiveRecord> adaptive;
  /// The /checkpoint group: "" none, "pending" (a run stopped there; --resume continues it) or
  /// "consumed" (a resumed run went on from it).
  std::string checkpoint;
};

/// Reads a results file; a missing, corrupt or non-dlsched file is an InputError naming it.
/// Tables are returned as stored: check_results_consistent (results_checks.h) vets them.
ResultsFile read_results(const std::string& path);

/// Reads the pending checkpoint of a results file; an InputError if it has none or it is
/// damaged. (read_results() says whether there is one: ResultsFile::checkpoint.)
RunCheckpoint read_checkpoint(const std::string& path);

}  // namespace dlsched
