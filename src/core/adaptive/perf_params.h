// Pollux's throughput model: the time of one training step of data-parallel SGD with
// all-reduce, as a function of the placement (nodes, replicas) and the local batch size.
#pragma once

namespace dlsched::adaptive {

/// The seven parameters of Pollux's step-time model (Qiao et al., OSDI 2021, section 3):
///   T_compute = alpha_c + beta_c * atomic_bsz
///   T_sync    = alpha_n + beta_n * max(replicas - 2, 0)   if the job spans nodes,
///               alpha_r + beta_r * max(replicas - 2, 0)   if it has replicas on one node only
///   T_step    = (T_compute^gamma + T_sync^gamma)^(1/gamma)
/// gamma in [1, 10] says how far computation and synchronisation overlap (1: not at all,
/// large: T_step tends to max(T_compute, T_sync)).
struct PerfParams {
  double alpha_c = 0;  ///< constant part of compute time (s)
  double beta_c = 0;   ///< compute time per sample of the atomic batch (s)
  double alpha_n = 0;  ///< constant part of inter-node synchronisation (s)
  double beta_n = 0;   ///< inter-node synchronisation per replica beyond 2 (s)
  double alpha_r = 0;  ///< constant part of intra-node synchronisation (s)
  double beta_r = 0;   ///< intra-node synchronisation per replica beyond 2 (s)
  double gamma = 1;    ///< overlap exponent

  /// Forward and backward time of one atomic batch.
  double compute_time(double atomic_bsz) const;
  /// All-reduce time of one step. A single replica synchronises with nobody; the model then
  /// gives a negligible 1e-8 s rather than 0 so that its logarithm stays finite.
  double sync_time(int num_nodes, int num_replicas) const;
  /// One optimiser step with no gradient accumulation: compute overlapped with sync.
  double step_time(int num_nodes, int num_replicas, double atomic_bsz) const;
  /// One optimiser step that accumulates `accum_steps` extra atomic batches first: those run
  /// without synchronisation, the last one overlaps with it.
  double step_time(int num_nodes, int num_replicas, double atomic_bsz, int accum_steps) const;
  /// Samples per second over all replicas.
  double throughput(int num_nodes, int num_replicas, double atomic_bsz, int accum_steps) const;
};

/// The placeholder the model uses for "no such term" (a fixed parameter's bound, the sync time
/// of one replica), so that logarithms and ratios stay finite.
inline constexpr double kNegligible = 1e-8;

}  // namespace dlsched::adaptive
