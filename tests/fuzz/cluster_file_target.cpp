// Fuzz target: a cluster file (jobs/clusters/*.toml), as --cluster FILE.toml reads it. A
// cluster that loads must be one the scheduler can index: every GPU on a node of a known type.
#include <cstddef>
#include <cstdint>

#include "core/cluster.h"
#include "fuzz_input.h"

namespace {

void check_cluster(const dlsched::ClusterSpec& cluster) {
  using dlsched::fuzz::require;
  require(cluster.num_gpus() >= 1 && !cluster.nodes().empty(), "a cluster has GPUs");
  int gpus = 0;
  for (const auto& node : cluster.nodes()) {
    require(node.gpu_type >= 0 &&
                node.gpu_type < static_cast<int>(cluster.gpu_types().size()) &&
                node.num_gpus >= 1 && node.first_gpu == gpus,
            "nodes hold consecutive GPUs of a known type");
    gpus += node.num_gpus;
  }
  require(gpus == cluster.num_gpus(), "the nodes hold every GPU");
  cluster.describe();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlsched;
  const std::string path = fuzz::write_scratch(data, size, ".toml");
  fuzz::refuse_only_with_input_error([&] { check_cluster(ClusterSpec::parse(path)); });
  return 0;
}
