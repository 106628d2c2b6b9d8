#include "run/job_rows.h"

namespace dlsched {

JobRecord finished_job_record(const JobSpec& spec, const JobState& state,
                              const ThroughputModel& throughput, double now,
                              double iterations_done, double compute_seconds, double comm_seconds) {
  JobRecord r;
  r.job = spec.index;
  r.job_id = spec.id;
  r.model = spec.model;
  r.submit = spec.submit_time;
  r.first_start = state.first_start;
  r.finish = now;
  r.jct = now - spec.submit_time;
  r.num_gpus = spec.num_gpus;
  r.iterations = spec.iterations;
  r.iterations_done = iterations_done;
  r.preemptions = state.preemptions;
  r.gpu_seconds = state.attained_gpu_seconds_closed;
  r.isolated_time = throughput.isolated_time(spec.index);
  r.compute_seconds = compute_seconds;
  r.comm_seconds = comm_seconds;
  r.throughput_source = to_string(throughput.source(spec.index));
  r.status = 1;
  return r;
}

void write_allocation_rows(RecordSink& sink, const ClusterSpec& cluster, double now, JobId job,
                           const std::vector<GpuId>& gpus, AllocationEvent event) {
  const auto code = static_cast<std::int8_t>(event);
  for (GpuId g : gpus) sink.allocation(AllocationRecord{now, job, g, cluster.node_of(g), code});
}

}  // namespace dlsched
