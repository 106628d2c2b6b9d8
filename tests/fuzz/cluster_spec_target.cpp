// Fuzz target: a cluster shorthand ("8x4:v100,8x4:p100"), as --cluster TEXT reads it. The
// text goes to ClusterSpec::parse as it is; inputs that parse would take for a file path (a
// '/', a ".toml" ending) are left to the cluster_file target, so that this one never opens
// files the fuzzer names.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/cluster.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlsched;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (text.find('/') != std::string::npos || text.find(".toml") != std::string::npos) return 0;
  fuzz::refuse_only_with_input_error([&] {
    const ClusterSpec cluster = ClusterSpec::parse(text);
    int gpus = 0;
    for (const auto& node : cluster.nodes()) gpus += node.num_gpus;
    fuzz::require(gpus == cluster.num_gpus() && gpus >= 1, "the nodes hold every GPU");
    cluster.describe();
  });
  return 0;
}
