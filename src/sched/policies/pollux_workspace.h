// The operators of Pollux's allocation search (pollux_search.h): mutation, repair and the two
// objectives, on a working copy of the problem laid out for them. The search applies them to
// about 12 million allocations per simulated workload, nearly all of 2 to 5 jobs on 16 nodes,
// so what each call costs besides its random draws (allocation, indirect calls, node-sized
// scratch cleared or pushed to) is most of the time. Hence:
//   - rows padded with zeros to whole 8-byte words, so that row sums, node counts, the union of
//     the nodes in use and the comparison with the current allocation run a word at a time;
//   - the objective's per-job terms memoised by (GPUs, nodes), so that PolluxProblem::speedup
//     (an indirect call) runs once per distinct pair and the term's division once as well;
//   - the mutation's binomial tables and raise probabilities per count of open nodes, built
//     once per search;
//   - all scratch owned by the workspace and sized once.
// Each operator makes the same random draws, in the same order, with the same outcomes of its
// comparisons and the same floating-point results as the plain statement of pollux_search.h,
// so a search's result does not depend on this layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "sched/policies/pollux_search.h"

namespace dlsched {

class PolluxWorkspace {
 public:
  explicit PolluxWorkspace(const PolluxProblem& problem);

  /// Bytes of a padded matrix (jobs x stride).
  std::size_t cells() const { return cells_; }
  /// `x` (jobs x nodes) into `out` (cells() bytes, padding zero).
  void pad(const AllocationMatrix& x, std::uint8_t* out) const;
  /// The jobs x nodes matrix of a padded one.
  AllocationMatrix unpad(const std::uint8_t* x) const;

  void mutate(std::uint8_t* x, SearchRandom& rng);
  void repair(std::uint8_t* x, SearchRandom& rng);
  /// {generalised mean of the speedups, utility}, as evaluate_allocation.
  std::pair<double, double> evaluate(const std::uint8_t* x);
  /// A 64-bit hash of a padded matrix (duplicates are recognised by it).
  std::uint64_t hash(const std::uint8_t* x) const;

 private:
  /// One job's memoised objective terms for a (GPUs, nodes) pair.
  struct Term {
    double raw;    ///< unscaled speedup; NaN until computed
    double stays;  ///< contribution to the mean's sum if the row equals the current one
    double moves;  ///< ... if it differs (restart factor applied)
  };
  /// The mutation's probabilities for one count of open nodes (nodes with a free GPU).
  /// Probabilities as SearchRandom::draw_threshold gives them.
  struct OpenTables {
    std::vector<std::uint64_t> raise_running;  ///< [k]: p1 + p2 - p1 p2 with p2 = 1 / k
    std::vector<std::uint64_t> cdf;  ///< binomial(m, p1) CDF at h: cdf[m (m + 1) / 2 + h]
  };

  const Term& term(int job, int replicas, int spread);
  double contribution(int job, double raw, bool moved) const;
  const OpenTables& open_tables(int open);
  /// GPUs per node summed over all rows, into lanes_.
  void column_sums(const std::uint8_t* x);
  /// The nodes whose sum in lanes_ plus `extra` is within their capacity, into `mask`.
  void nodes_within(int extra, std::uint64_t* mask) const;
  /// The nodes where `row` (padded) has GPUs, into row_mask_.
  void row_mask(const std::uint8_t* row);

  const PolluxProblem& p_;
  int jobs_, nodes_;
  std::size_t stride_, words_, cells_;
  std::vector<std::uint8_t> base_;  // padded
  std::vector<int> capacity_;       // padded with zeros

  std::vector<Term> terms_;               // per job: (max GPUs + 1) x (max nodes + 1)
  std::vector<std::size_t> term_offset_;  // first term of each job
  std::vector<int> term_replicas_, term_spread_;  // the table's bounds per job

  std::vector<OpenTables> open_tables_;  // by count of open nodes; built on first use

  // Scratch. Sets of nodes are bit masks, 64 nodes a word.
  std::size_t mask_words_;
  std::vector<std::uint64_t> open_mask_, row_mask_, taken_mask_;
  std::vector<int> empty_, order_;
  std::vector<std::uint64_t> in_use_, lanes_, capacity_lanes_;
};

}  // namespace dlsched
