// What a results file must satisfy beyond being readable HDF5: the figures `report` and
// `compare` compute are only as good as the tables they come from.
#pragma once

#include <optional>
#include <string>

#include "io/hdf5_results.h"

namespace dlsched {

/// The number of trace jobs the run had (root attribute "jobs"); nullopt if absent.
std::optional<long> trace_job_count(const ResultsFile& results);

/// Throws InputError naming `path` and the first inconsistency: an unknown run status; a job
/// row twice, or whose index is beyond the run's job count; more job rows than jobs, or fewer
/// in a complete run; a job status other than 0 or 1; a time or amount that is not finite, or
/// negative where it cannot be; a finished job without a finish at or after its submit time;
/// allocation, progress or GPU rows naming a job or GPU that does not exist, or an unknown
/// allocation event; an /adaptive row whose batch size is not GPUs x atomic batch x passes.
void check_results_consistent(const ResultsFile& results, const std::string& path);

}  // namespace dlsched
