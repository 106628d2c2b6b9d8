// Measured throughputs (steps/s) per model, GPU type, worker count and placement.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace dlsched {

/// A table of measured iteration rates. Gavel's simulation_throughputs.json imports into it,
/// and so does the CSV `dlsched profile` writes.
class ThroughputTable {
 public:
  /// Imports Gavel's simulation_throughputs.json: worker_type -> "(job_type, scale_factor)"
  /// -> {"null": isolated steps/s, ...}. "<type>_unconsolidated" keys become spread entries.
  /// Co-location entries are kept for packing policies. Errors are InputError.
  static ThroughputTable load_gavel_json(const std::string& path);
  /// Imports dlsched's profile table, a CSV with a header naming at least
  /// model,gpu_type,workers,consolidated,steps_per_second (any order) and optionally
  /// compute_s,comm_s,stddev_s,samples (validated, not used by the simulator). Blank lines and
  /// lines starting with '#' are skipped. Errors are InputError "file:line: message".
  static ThroughputTable load_profile_csv(const std::string& path);
  /// Loads a table by content: a JSON object is Gavel's format, a first line that starts with
  /// a "model" column is the profile CSV.
  static ThroughputTable load(const std::string& path);

  /// Iterations per second of `model` on `workers` GPUs of `gpu_type`; consolidated means all
  /// workers share one node. nullopt when not measured.
  std::optional<double> steps_per_second(const std::string& model, const std::string& gpu_type,
                                         int workers, bool consolidated) const;
  /// Steps/s of `model` when it shares each GPU with `other` (both 1-worker-scale `workers`).
  std::optional<double> colocated_steps_per_second(const std::string& model,
                                                   const std::string& other,
                                                   const std::string& gpu_type,
                                                   int workers) const;

  void set(const std::string& model, const std::string& gpu_type, int workers, bool consolidated,
           double steps_per_second);
  void set_colocated(const std::string& model, const std::string& other,
                     const std::string& gpu_type, int workers, double steps_per_second);
  bool empty() const { return isolated_.empty(); }
  /// Has the table any co-location entry (packing is possible at all)?
  bool has_colocated() const { return !colocated_.empty(); }
  std::size_t size() const { return isolated_.size(); }
  const std::string& path() const { return path_; }

 private:
  using Key = std::tuple<std::string, std::string, int, bool>;  // model, type, workers, consolidated
  std::map<Key, double> isolated_;
  std::map<std::tuple<std::string, std::string, std::string, int>, double> colocated_;
  std::string path_;
};

}  // namespace dlsched
