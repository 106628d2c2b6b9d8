// Job-by-job comparison of two runs of one experiment: a simulation (the model) and an
// emulation (the measurement). Pure computation on ResultsFile; docs/validation.md defines
// every figure and results/ or tests/python re-derive them with pandas.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/report_stats.h"
#include "io/hdf5_results.h"

namespace dlsched {

/// One job as seen by both runs. Times are seconds on each run's own clock. `sim_*` come from
/// the first file (the reference), `emu_*` from the second (the measurement).
struct JobComparison {
  std::uint32_t job = 0;  ///< trace index (joins the two /jobs tables)
  std::string job_id;
  std::string model;
  std::int32_t num_gpus = 0;
  bool sim_finished = false;
  bool emu_finished = false;
  double sim_jct = 0;  ///< finish - submit; NaN if unfinished in that run
  double emu_jct = 0;
  double ratio = 0;  ///< emu_jct / sim_jct; NaN unless finished in both
  double error = 0;  ///< (emu_jct - sim_jct) / sim_jct, signed; NaN unless finished in both
  double sim_finish = 0;  ///< NaN if unfinished
  double emu_finish = 0;
  // Where the JCT goes, per run: jct = wait + compute + comm + restore + other.
  double sim_wait = 0;  ///< first_start - submit; NaN if the job never started
  double emu_wait = 0;
  double sim_compute = 0;  ///< /jobs.compute_seconds
  double emu_compute = 0;
  double sim_comm = 0;  ///< /jobs.comm_seconds
  double emu_comm = 0;
  double sim_restore = 0;  ///< sum over its /progress rows of (end - start - seconds)
  double emu_restore = 0;
  double sim_other = 0;  ///< jct - (wait + compute + comm + restore): re-queueing, slack; NaN if unfinished
  double emu_other = 0;
  std::int32_t sim_preemptions = 0;
  std::int32_t emu_preemptions = 0;
};

/// Sums of the JCT components over the jobs finished in both runs, and their differences
/// (emu - sim): sum(Δjct) = Δwait + Δcompute + Δcomm + Δrestore + Δother exactly.
struct ErrorBreakdown {
  double jobs = 0;  ///< jobs finished in both runs (the sums run over these)
  double sim_jct = 0, emu_jct = 0;
  double sim_wait = 0, emu_wait = 0;
  double sim_compute = 0, emu_compute = 0;
  double sim_comm = 0, emu_comm = 0;
  double sim_restore = 0, emu_restore = 0;
  double sim_other = 0, emu_other = 0;
};

/// The whole comparison. Run-level figures reuse report_run (the numbers `dlsched report`
/// prints for each file); per-job figures cover the jobs finished in both runs.
struct Comparison {
  std::string sim_file, emu_file;
  std::string sim_mode, emu_mode;  ///< root attribute "mode" of each file
  /// A simulation on either side ended leases exactly at round boundaries (no
  /// "whole_iterations" attribute) while the other side is an emulation.
  bool exact_boundaries_vs_emulation = false;
  std::vector<std::pair<std::string, std::string>> experiment;  ///< the matching fields, value
  RunReport sim, emu;
  double avg_jct_error = 0;      ///< (emu.avg_jct - sim.avg_jct) / sim.avg_jct, signed
  double makespan_error = 0;     ///< likewise for makespan
  double utilisation_error = 0;  ///< likewise for utilisation
  double compared_jobs = 0;      ///< jobs finished in both runs
  double spearman_finish = 0;    ///< Spearman rank correlation of finish times (ties: mean rank)
  double median_abs_error = 0;   ///< median over compared jobs of |error|
  double p90_abs_error = 0;      ///< 90th percentile of |error| (linear interpolation)
  double mean_error = 0;         ///< mean signed error (bias)
  std::vector<JobComparison> jobs;  ///< every job of either file, in trace order
  std::vector<std::uint32_t> unfinished;  ///< jobs unfinished (or absent) in either run
  std::vector<std::uint32_t> worst;  ///< compared jobs by decreasing |error| (top N)
  ErrorBreakdown breakdown;
};

/// A field of the experiment both runs must share, and the attribute it is read from.
struct ExperimentField {
  const char* name;       ///< as named in the refusal ("policy differs ...")
  const char* attribute;  ///< root attribute of the results file
};

/// The fields compare_runs checks, in the order it checks them.
const std::vector<ExperimentField>& experiment_fields();

/// Throws InputError("cannot compare: FIELD differs (A vs B)") for the first field of
/// experiment_fields() that differs between the files (absent in one counts as different).
void check_same_experiment(const ResultsFile& sim, const ResultsFile& emu);

/// Compares `emu` with `sim` after check_same_experiment; keeps the `worst_n` jobs with the
/// largest |error| in `worst`. The file names only label the result.
Comparison compare_runs(const ResultsFile& sim, const std::string& sim_file,
                        const ResultsFile& emu, const std::string& emu_file, std::size_t worst_n);

/// Spearman's rank correlation of paired samples: Pearson's correlation of their ranks, tied
/// values sharing their mean rank (as scipy.stats.spearmanr and pandas' corr("spearman")).
/// NaN with fewer than two pairs or when either side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace dlsched
