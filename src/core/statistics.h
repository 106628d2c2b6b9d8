// Statistics over a list of values, shared by the run summary of simulate and emulate and by
// report and compare, so that every command gives the same figure for the same jobs.
#pragma once

#include <vector>

namespace dlsched {

/// Arithmetic mean; NaN when there are no values (a run where no job finished has no average
/// JCT, which 0 would misstate).
double mean(const std::vector<double>& values);

/// Percentile with linear interpolation between closest ranks (numpy's default): q in [0, 1],
/// clamped; NaN when there are no values.
double percentile_linear(std::vector<double> values, double q);

}  // namespace dlsched
