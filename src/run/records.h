// Rows of the results tables (one schema for simulate and emulate; see docs/results.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dlsched {

/// /jobs: one row per job, written when it finishes (unfinished jobs at the end of the run).
struct JobRecord {
  std::uint32_t job = 0;       ///< trace index
  std::string job_id;          ///< the trace's name for it
  std::string model;
  double submit = 0;
  double first_start = -1;     ///< -1: never started
  double finish = -1;          ///< -1: unfinished
  double jct = -1;             ///< finish - submit, -1 if unfinished
  std::int32_t num_gpus = 0;   ///< requested GPUs
  double iterations = 0;       ///< iterations the trace asks for (after time scaling)
  double iterations_done = 0;
  std::int32_t preemptions = 0;
  double gpu_seconds = 0;      ///< GPU x seconds allocated
  double isolated_time = 0;    ///< modelled run time alone at its requested size
  double compute_seconds = 0;  ///< emulate: measured compute; simulate: modelled
  double comm_seconds = 0;     ///< emulate: measured allreduce; simulate: modelled
  std::string throughput_source;  ///< measured | trace | analytic
  std::int8_t status = 0;      ///< 1 finished, 0 unfinished
};

/// Why an /allocations row was written. The values are the codes stored in the file's event
/// column (docs/results.md), so they never change.
enum class AllocationEvent : std::int8_t {
  STOP = 0,      ///< the job lost the GPU: a preemption or a migration
  START = 1,     ///< the job gained the GPU
  FINISH = 2,    ///< the job finished and gave the GPU back
  REQUEUE = 3,   ///< stopped by a checkpoint of the whole run (emulate, time limit); not a
                 ///< preemption
};
/// The largest code an event column may hold.
inline constexpr std::int8_t kLastAllocationEvent = static_cast<std::int8_t>(AllocationEvent::REQUEUE);

/// /allocations: one row per GPU each time a job gains or loses it.
struct AllocationRecord {
  double time = 0;
  std::uint32_t job = 0;
  std::int32_t gpu = 0;
  std::int32_t node = 0;
  /// An AllocationEvent code. Kept as the stored integer, not the enum, so that a row read
  /// from a damaged file can hold any value until results_checks rejects it.
  std::int8_t event = 0;
};

/// /progress: work done by a job over an interval (a round in emulate, a run segment in
/// simulate).
struct ProgressRecord {
  double start = 0;
  double end = 0;
  std::uint32_t job = 0;
  std::int64_t round = 0;
  double iterations = 0;
  double seconds = 0;          ///< time spent iterating (excludes restore delay)
  double compute_seconds = 0;
  double comm_seconds = 0;
  std::int32_t workers = 0;
};

/// /rounds: cluster state at each round boundary.
struct RoundRecord {
  std::int64_t round = 0;
  double time = 0;
  std::int32_t busy_gpus = 0;
  std::int32_t running_jobs = 0;
  std::int32_t queued_jobs = 0;
  std::int32_t finished_jobs = 0;
  double control_overhead = 0;  ///< emulate: seconds from the boundary until all iterate
};

/// /adaptive: an adaptive job's allocation and batch size (--mechanism pollux), a row each time
/// either changes at a round boundary and one when the job finishes (gpus 0). The job runs on
/// that allocation at that batch size until its next row.
struct AdaptiveRecord {
  double time = 0;
  std::int64_t round = 0;      ///< the decision's round; the finishing row: the round it ended in
  std::uint32_t job = 0;
  std::int32_t gpus = 0;       ///< 0: waiting (or finished)
  std::int32_t nodes = 0;
  std::string placement;       ///< "node:GPUs" pairs by node index, e.g. "0:2,3:1"; "" if none
  std::int32_t batch_size = 0;   ///< total samples per optimiser step (0 without GPUs)
  std::int32_t atomic_bsz = 0;   ///< samples per GPU per forward-backward pass
  std::int32_t accum_steps = 0;  ///< extra passes accumulated per optimiser step
  double progress = 0;  ///< statistical progress by `time` (steps of the initial batch size)
  double samples = 0;   ///< samples processed by `time`
};

/// /cluster: one row per GPU (worker rank in emulate).
struct GpuRecord {
  std::int32_t gpu = 0;
  std::int32_t node = 0;
  std::string host;
  std::int32_t device = 0;
  std::string type;
};

/// Where a driver sends its rows. The HDF5 writer is one; tests collect rows in memory.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void job(const JobRecord& r) = 0;
  virtual void allocation(const AllocationRecord& r) = 0;
  virtual void progress(const ProgressRecord& r) = 0;
  virtual void round(const RoundRecord& r) = 0;
  /// Only drivers of adaptive jobs write these; most sinks ignore them.
  virtual void adaptive(const AdaptiveRecord& /*r*/) {}
  /// End of a round: a chance to make what was written durable.
  virtual void round_done() {}
};

/// A sink that keeps everything in memory (tests, report of the run just made).
struct MemorySink : RecordSink {
  std::vector<JobRecord> jobs;
  std::vector<AllocationRecord> allocations;
  std::vector<ProgressRecord> progress_rows;
  std::vector<RoundRecord> rounds;
  std::vector<AdaptiveRecord> adaptive_rows;
  void job(const JobRecord& r) override { jobs.push_back(r); }
  void adaptive(const AdaptiveRecord& r) override { adaptive_rows.push_back(r); }
  void allocation(const AllocationRecord& r) override { allocations.push_back(r); }
  void progress(const ProgressRecord& r) override { progress_rows.push_back(r); }
  void round(const RoundRecord& r) override { rounds.push_back(r); }
};

/// Fans rows out to several sinks.
struct TeeSink : RecordSink {
  std::vector<RecordSink*> sinks;
  void job(const JobRecord& r) override { for (auto* s : sinks) s->job(r); }
  void allocation(const AllocationRecord& r) override { for (auto* s : sinks) s->allocation(r); }
  void progress(const ProgressRecord& r) override { for (auto* s : sinks) s->progress(r); }
  void round(const RoundRecord& r) override { for (auto* s : sinks) s->round(r); }
  void adaptive(const AdaptiveRecord& r) override { for (auto* s : sinks) s->adaptive(r); }
  void round_done() override { for (auto* s : sinks) s->round_done(); }
};

}  // namespace dlsched
