// The Gittins index of Tiresias' Discretized 2D-Gittins scheduler (Gu et al., NSDI 2019,
// section 3.2) over a prior: a sample of job sizes (GPU-seconds) from a past workload, never
// the trace being scheduled.
//
// For a job that has attained service a, with quantum delta:
//   G(a) = P(S - a <= delta | S > a) / E[min(S - a, delta) | S > a]
// the chance to finish within the next quantum per unit of service that quantum costs.
//
// As in the authors' simulator (run_sim.py, parse_job_dist and get_gittins_index), the index is
// tabulated once per sample rather than evaluated at every a: between two consecutive samples
// it is constant, with the value G takes at the last whole GPU-second before the upper sample
// (samples are whole GPU-seconds). It is 0 once a job has attained the largest sample. This
// step function, not G(a) itself, is what Tiresias ranks by; measured in its simulator on its
// 60-job trace, ranking by G(a) instead moves the average JCT by -12%.
//
// The simulator's own table (Form::SIMULATOR) differs from the paper's formula in its details:
// the denominator sums the full sizes S of the samples that end within the quantum, not S - a;
// the expected cost is floored to whole GPU-seconds (Python 2 integer division) and P rounded
// to 5 decimals; the step below the largest sample gets 0 (a quantum reaching past the largest
// sample counts that sample as not ending); the index is scaled by 1e6 and rounded to 4
// decimals. Only the order of the values matters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dlsched {

class GittinsIndex {
 public:
  enum class Form { PAPER, SIMULATOR };

  /// Tabulates the index over `samples` (positive, any order) with quantum `delta`.
  GittinsIndex(std::vector<double> samples, double delta, Form form = Form::PAPER);

  /// The index of a job that has attained `service` GPU-seconds (the step function above).
  double at(double service) const;
  /// G(a) itself, evaluated on the samples (the paper's form).
  double exact(double a) const;
  /// The simulator's value at attained service a (whole GPU-seconds), 1e6 x its G.
  double simulator_value(double a) const;
  std::size_t samples() const { return sorted_.size(); }

 private:
  std::vector<double> sorted_;
  std::vector<double> prefix_;  // prefix_[i] = sum of the i smallest samples
  std::vector<double> table_;   // table_[i]: the index while the next sample above is sorted_[i]
  double delta_;
};

/// Job sizes from CSV text with a `duration` column (GPU-seconds, positive); other columns
/// are ignored, CRLF line ends accepted. `name` is the file name errors cite (InputError
/// "name:line: ..."); a file without samples is an error.
std::vector<double> parse_service_samples(std::string_view text, const std::string& name);
/// The same, read from a file.
std::vector<double> load_service_samples(const std::string& path);

/// The prior Tiresias' simulator ships and uses (jobs/traces/tiresias-yarn-gput1000.csv:
/// GPU-seconds of 1,001 YARN jobs), built into dlsched.
std::string_view tiresias_yarn_prior_csv();

}  // namespace dlsched
