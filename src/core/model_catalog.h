// The model catalog (jobs/models.toml): what a training job of each model costs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlsched {

/// Published figures for one model, as used by a job type.
struct ModelInfo {
  std::string name;              ///< catalog key, as traces name it
  double parameters = 0;         ///< trainable parameters (gradient elements, fp32 => 4 bytes each)
  double flops_per_sample = 0;   ///< forward + backward FLOPs for one training sample
  int batch_size = 1;            ///< default batch size per worker
  /// Forward share of flops_per_sample; the rest is backward, which overlaps the allreduce.
  /// Backward costs about twice the forward (gradients for activations and for weights).
  double forward_fraction = 1.0 / 3.0;
  std::optional<double> dataset_samples;  ///< samples per epoch (for traces that give no iterations)
  std::optional<double> epochs;           ///< epochs to train (for traces that give no iterations)
  std::optional<double> restore_seconds;  ///< checkpoint + restore cost on preemption
  std::string source;            ///< where the figures come from (paper, model card)

  /// Gradient bytes exchanged per iteration (fp32 gradients).
  double gradient_bytes() const { return parameters * 4.0; }
};

/// Peak and sustained speed of one GPU type, for the analytic throughput model.
struct GpuTypeInfo {
  std::string name;
  double peak_tflops = 0;   ///< dense fp16/bf16 tensor peak (or fp32 where no tensor cores)
  double efficiency = 0.4;  ///< achieved share of peak for training kernels
  double memory_gib = 0;
};

/// Models and GPU types, keyed by name (case-sensitive; lookups also try case-insensitively).
class ModelCatalog {
 public:
  /// Loads a catalog TOML file; errors are InputError("file:line: ...").
  static ModelCatalog load(const std::string& path);

  /// The model, or InputError naming the model and the catalog file.
  const ModelInfo& model(const std::string& name) const;
  const ModelInfo* find_model(const std::string& name) const;
  const GpuTypeInfo& gpu_type(const std::string& name) const;
  const GpuTypeInfo* find_gpu_type(const std::string& name) const;

  const std::map<std::string, ModelInfo>& models() const { return models_; }
  const std::map<std::string, GpuTypeInfo>& gpu_types() const { return gpu_types_; }
  const std::string& path() const { return path_; }

  void add_model(ModelInfo m) { models_[m.name] = std::move(m); }
  void add_gpu_type(GpuTypeInfo g) { gpu_types_[g.name] = std::move(g); }

 private:
  std::map<std::string, ModelInfo> models_;
  std::map<std::string, GpuTypeInfo> gpu_types_;
  std::string path_;
};

}  // namespace dlsched
