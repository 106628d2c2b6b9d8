// Rows both drivers write the same way: a finished job, the GPUs of an allocation change.
#pragma once

#include <vector>

#include "core/cluster.h"
#include "core/throughput_model.h"
#include "run/records.h"
#include "sched/scheduler.h"

namespace dlsched {

/// The /jobs row of a job that finished at `now` after `iterations_done` iterations, with
/// the compute and communication seconds its driver measured or modelled.
JobRecord finished_job_record(const JobSpec& spec, const JobState& state,
                              const ThroughputModel& throughput, double now,
                              double iterations_done, double compute_seconds, double comm_seconds);

/// One /allocations row per GPU of `gpus`.
void write_allocation_rows(RecordSink& sink, const ClusterSpec& cluster, double now, JobId job,
                           const std::vector<GpuId>& gpus, AllocationEvent event);

}  // namespace dlsched
