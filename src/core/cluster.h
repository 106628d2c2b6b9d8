// The modelled cluster: nodes, their GPUs and the links between them.
#pragma once

#include <string>
#include <vector>

namespace dlsched {

/// Global GPU number, node-major: node 0's GPUs first.
using GpuId = int;

/// One machine with identical GPUs.
struct Node {
  int index = 0;
  std::string name;      ///< host name (real in emulation, "n<i>" in simulation)
  int gpu_type = 0;      ///< index into ClusterSpec::gpu_types
  int num_gpus = 0;
  GpuId first_gpu = 0;   ///< global id of the node's first GPU
};

/// Links used by the ring-allreduce cost model.
struct Interconnect {
  double intra_node_gb_per_s = 150;    ///< GB/s (bytes) per direction inside a node (NVLink 2)
  double inter_node_gb_per_s = 12.5;   ///< GB/s (bytes) per direction between nodes (100 Gb/s)
  double intra_node_latency_us = 5;
  double inter_node_latency_us = 10;
};

/// A cluster: nodes x GPUs, one GPU type per node, and its interconnect.
class ClusterSpec {
 public:
  /// Parses a cluster file (jobs/clusters/*.toml) or a shorthand "NODESxGPUS[:type]" list,
  /// comma separated ("8x4:v100,8x4:p100"). An untyped group gets default_type.
  /// Errors are InputError (file:line for files, the spec text for shorthands).
  static ClusterSpec parse(const std::string& spec, const std::string& default_type = "v100");

  /// Builds from groups programmatically: each (nodes, gpus_per_node, type).
  struct Group { int nodes; int gpus_per_node; std::string type; };
  static ClusterSpec from_groups(const std::vector<Group>& groups, Interconnect links = {});

  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<std::string>& gpu_types() const { return gpu_types_; }
  int num_gpus() const { return num_gpus_; }
  int num_gpus_of_type(int type) const { return gpus_per_type_[type]; }
  /// Node that owns a GPU.
  int node_of(GpuId gpu) const { return gpu_node_[gpu]; }
  int type_of(GpuId gpu) const { return nodes_[gpu_node_[gpu]].gpu_type; }
  /// Number of distinct nodes the GPUs sit on, in any order (the placement's consolidation).
  int nodes_spanned(const std::vector<GpuId>& gpus) const;
  int type_index(const std::string& name) const;  ///< -1 if absent
  const Interconnect& links() const { return links_; }
  /// Where the spec came from (file path or the shorthand text).
  const std::string& source() const { return source_; }
  /// A one-line human description, e.g. "8x4 v100 + 8x4 p100 (64 GPUs)".
  std::string describe() const;

  void set_source(std::string s) { source_ = std::move(s); }
  void set_node_name(int node, std::string name) { nodes_[node].name = std::move(name); }

 private:
  std::vector<Node> nodes_;
  std::vector<std::string> gpu_types_;
  std::vector<int> gpu_node_;
  std::vector<int> gpus_per_type_;  // counted as nodes are added: every round asks
  int num_gpus_ = 0;
  Interconnect links_;
  std::string source_;
};

}  // namespace dlsched
