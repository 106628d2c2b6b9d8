// One application's measured profile, in the layout of Pollux's simulator: how fast it runs on
// each placement and local batch size, and how its gradient statistics evolve in training.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/adaptive/goodput.h"
#include "core/adaptive/perf_fit.h"
#include "core/adaptive/scattered_interpolator.h"

namespace dlsched::adaptive {

/// Measured seconds per step and the synchronisation part of it.
struct StepTimes {
  double step_time = 0;
  double sync_time = 0;
};

/// Limits that replace the ones derived from the data (all optional).
struct ApplicationOptions {
  std::optional<int> init_batch_size;  ///< default: the smallest validation batch size
  std::optional<int> max_batch_size;   ///< default: the largest validation batch size
  std::optional<int> min_local_bsz;    ///< default: the smallest measured local batch size
  std::optional<int> max_local_bsz;    ///< default: the largest measured local batch size
  std::optional<int> max_epochs;       ///< default: the rows of the shortest validation run
};

/// The options Pollux's simulator gives an application by name (simulator/applications.py):
/// yolov3 runs at most 8 samples per GPU, whose scalability runs stop there; the others keep
/// the defaults (their max_epochs there equal the validation runs' lengths).
ApplicationOptions pollux_reference_options(const std::string& name);

/// An application folder: placements.csv (placement,local_bsz,step_time,sync_time),
/// scalability.csv (num_nodes,num_replicas,local_bsz,step_time,sync_time) and one or more
/// validation-<batch size>.csv (progress,iteration,metric,grad_sqr,grad_var). A placement is
/// written as GPUs per node, "22" being 2 GPUs on each of 2 nodes.
class ApplicationProfile {
 public:
  /// Loads the folder `dir`; the application is named after it. Bad or missing files, columns
  /// or values are InputError "file:line: what".
  static ApplicationProfile load(const std::string& dir, const ApplicationOptions& options = {});
  /// Loads `<applications_dir>/<name>`; InputError naming both if there is no such folder.
  static ApplicationProfile load(const std::string& applications_dir, const std::string& name,
                                 const ApplicationOptions& options);

  const std::string& name() const { return name_; }
  int init_batch_size() const { return init_batch_size_; }
  int max_batch_size() const { return max_batch_size_; }
  int min_local_bsz() const { return min_local_bsz_; }
  int max_local_bsz() const { return max_local_bsz_; }
  int max_epochs() const { return max_epochs_; }
  /// Batch sizes of the validation runs, ascending.
  std::vector<int> validation_batch_sizes() const;

  /// Step and sync time of `placement` (GPUs per node; zeros are dropped and the placement is
  /// turned to its smallest rotation) at `local_bsz`, as Pollux's simulator takes them
  /// (applications.py, get_throughput): for a placement of placements.csv, linear in
  /// local_bsz between its measured batch sizes (InputError naming the placement's first line
  /// outside them); for any other, linear over the Delaunay tetrahedra of (nodes, replicas,
  /// local_bsz) through the means of placements.csv per (nodes, replicas, local_bsz) and the
  /// rows of scalability.csv, with nodes capped at 16 (InputError outside their hull).
  StepTimes step_times(std::span<const int> placement, double local_bsz) const;
  /// Has `placement` its own rows in placements.csv?
  bool has_placement(std::span<const int> placement) const;

  /// Gradient statistics during `epoch` (0-based, below max_epochs) of training at total batch
  /// size `batch_size`, linearly interpolated between the two validation runs whose batch
  /// sizes bracket it. InputError for a batch size outside the validation runs.
  GradStats grad_stats(double batch_size, int epoch) const;
  /// Iterations done by the end of `epoch` at `batch_size`, interpolated likewise.
  double iterations(double batch_size, int epoch) const;
  /// Progress at which `epoch` begins: 0 for epoch 0, else the least progress any validation
  /// run reached at the end of epoch - 1.
  double epoch_progress(int epoch) const;
  /// The epoch that `progress` falls in: the most rows of any validation run whose progress
  /// is at most `progress`.
  int epoch_at(double progress) const;
  /// Gradient statistics at `progress` (grad_stats at epoch_at(progress), capped at the last
  /// epoch).
  GradStats grad_stats_at_progress(double batch_size, double progress) const;

  /// The rows of placements.csv as observations for fitting the throughput model.
  std::vector<StepObservation> placement_observations() const;
  /// The rows of scalability.csv likewise.
  const std::vector<StepObservation>& scalability_observations() const { return scalability_; }

 private:
  struct BsRow {
    double local_bsz;
    StepTimes times;
  };
  struct PlacementRows {
    long first_line = 0;
    std::vector<BsRow> rows;  // ascending local_bsz
  };
  struct ValidationRow {
    double progress, iteration, metric, grad_sqr, grad_var;
  };
  struct ValidationRun {
    std::string file;
    std::vector<ValidationRow> rows;
  };
  struct Bracket {
    const ValidationRun* lower;
    const ValidationRun* upper;
    double weight;  // of upper
  };

  void read_placements(const std::string& file);
  void read_scalability(const std::string& file);
  void read_validation_runs(const std::string& dir);
  void apply_limits(const ApplicationOptions& options, const std::string& dir);
  void build_scattered();
  Bracket bracket(double batch_size) const;

  std::string name_;
  std::string placements_file_;
  std::map<std::vector<int>, PlacementRows> placements_;
  std::vector<StepObservation> scalability_;
  // Over (nodes, replicas, local_bsz); null if the measurements span no volume.
  std::shared_ptr<const ScatteredInterpolator> scattered_;
  std::map<int, ValidationRun> validation_;  // by total batch size
  int init_batch_size_ = 0;
  int max_batch_size_ = 0;
  int min_local_bsz_ = 0;
  int max_local_bsz_ = 0;
  int max_epochs_ = 0;
};

/// A placement turned to its smallest rotation with zeros dropped ("0202" -> {2, 2}).
std::vector<int> normalize_placement(std::span<const int> placement);

}  // namespace dlsched::adaptive
