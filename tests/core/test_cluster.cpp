// Cluster specs: the NODESxGPUS[:type] shorthand, cluster files, and the GPU numbering.
#include "core/cluster.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "support/input_error.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

using test::source_path;
using test::write_scratch_file;

TEST(ClusterSpec, ShorthandGroups) {
  const ClusterSpec c = ClusterSpec::parse("8x4:v100,8x4:p100");
  EXPECT_EQ(c.num_gpus(), 64);
  EXPECT_EQ(c.nodes().size(), 16u);
  EXPECT_EQ(c.gpu_types(), (std::vector<std::string>{"v100", "p100"}));
  EXPECT_EQ(c.num_gpus_of_type(0), 32);
  EXPECT_EQ(c.num_gpus_of_type(1), 32);
  EXPECT_EQ(c.type_index("v100"), 0);
  EXPECT_EQ(c.type_index("p100"), 1);
  EXPECT_EQ(c.type_index("P100"), 1);
  EXPECT_EQ(c.type_index("k80"), -1);
  EXPECT_EQ(c.describe(), "8x4 v100 + 8x4 p100 (64 GPUs)");
  EXPECT_EQ(c.source(), "8x4:v100,8x4:p100");
}

TEST(ClusterSpec, GpuNumberingIsNodeMajor) {
  const ClusterSpec c = ClusterSpec::parse("8x4:v100,8x4:p100");
  EXPECT_EQ(c.node_of(0), 0);
  EXPECT_EQ(c.node_of(3), 0);
  EXPECT_EQ(c.node_of(4), 1);
  EXPECT_EQ(c.node_of(31), 7);
  EXPECT_EQ(c.node_of(32), 8);
  EXPECT_EQ(c.node_of(63), 15);
  EXPECT_EQ(c.type_of(31), 0);
  EXPECT_EQ(c.type_of(32), 1);
  for (std::size_t i = 0; i < c.nodes().size(); ++i) {
    const Node& n = c.nodes()[i];
    EXPECT_EQ(n.index, static_cast<int>(i));
    EXPECT_EQ(n.name, "n" + std::to_string(i));
    EXPECT_EQ(n.first_gpu, static_cast<int>(i) * 4);
    EXPECT_EQ(n.num_gpus, 4);
    EXPECT_EQ(n.gpu_type, i < 8 ? 0 : 1);
  }
}

TEST(ClusterSpec, NodesSpannedCountsDistinctNodesInAnyOrder) {
  const ClusterSpec c = ClusterSpec::parse("3x4:v100");  // GPUs 0-3 node 0, 4-7 node 1, ...
  EXPECT_EQ(c.nodes_spanned({}), 0);
  EXPECT_EQ(c.nodes_spanned({5}), 1);
  EXPECT_EQ(c.nodes_spanned({0, 1, 2, 3}), 1);
  EXPECT_EQ(c.nodes_spanned({0, 9, 1, 4, 8}), 3);
  EXPECT_EQ(c.nodes_spanned({4, 0, 5}), 2);
}

TEST(ClusterSpec, ShorthandToleratesWhitespaceAndCase) {
  const ClusterSpec c = ClusterSpec::parse("  2 x 4 : V100 ,  1X8:a100  ");
  EXPECT_EQ(c.gpu_types(), (std::vector<std::string>{"v100", "a100"}));
  EXPECT_EQ(c.num_gpus(), 16);
  EXPECT_EQ(c.nodes()[2].first_gpu, 8);
  EXPECT_EQ(c.nodes()[2].num_gpus, 8);
  EXPECT_EQ(c.describe(), "2x4 v100 + 1x8 a100 (16 GPUs)");
}

TEST(ClusterSpec, UntypedGroupsGetTheDefaultType) {
  EXPECT_EQ(ClusterSpec::parse("4x2").gpu_types(), std::vector<std::string>{"v100"});
  const ClusterSpec c = ClusterSpec::parse("4x2,1x4:t4", "k80");
  EXPECT_EQ(c.gpu_types(), (std::vector<std::string>{"k80", "t4"}));
  EXPECT_EQ(c.num_gpus_of_type(0), 8);
}

TEST(ClusterSpec, GroupsOfOneTypeShareItsIndex) {
  const ClusterSpec c = ClusterSpec::parse("2x4:v100,1x2:k80,1x4:v100");
  EXPECT_EQ(c.gpu_types().size(), 2u);
  EXPECT_EQ(c.num_gpus_of_type(0), 12);
  EXPECT_EQ(c.num_gpus_of_type(1), 2);
  EXPECT_EQ(c.type_of(13), 0);
  EXPECT_EQ(c.node_of(13), 3);
  EXPECT_EQ(c.describe(), "2x4 v100 + 1x2 k80 + 1x4 v100 (14 GPUs)");
  EXPECT_EQ(ClusterSpec::parse("1x1:t4").describe(), "1x1 t4 (1 GPU)");
}

TEST(ClusterSpec, MalformedShorthandsAreInputErrors) {
  for (const char* spec : {"0x4", "4x", "axb", "4x4:", "", "   ", "4x0", "x4", "4x4,", ",4x4",
                           "4x4:v 100", "-1x4", "4x4x4", "4 4", "4x4:a:b", "2000000x1",
                           "1x5000", "4.5x2"}) {
    const std::string e = test::input_error_of([&] { ClusterSpec::parse(spec); });
    EXPECT_EQ(e.rfind("cluster spec '", 0), 0u) << "'" << spec << "' gave: " << e;
  }
  EXPECT_NE(test::input_error_of([] { ClusterSpec::parse("0x4"); }).find("node count"), std::string::npos);
  EXPECT_NE(test::input_error_of([] { ClusterSpec::parse("4x"); }).find("GPUs per node"), std::string::npos);
  EXPECT_NE(test::input_error_of([] { ClusterSpec::parse("4x4:"); }).find("GPU type"), std::string::npos);
}

TEST(ClusterSpec, BundledClusterFilesLoad) {
  struct Expected {
    int gpus;
    std::map<std::string, int> per_type;
  };
  const std::map<std::string, Expected> expected = {
      {"tiresias-testbed.toml", {60, {{"p100", 60}}}},
      {"gavel-heterogeneous.toml", {108, {{"v100", 36}, {"p100", 36}, {"k80", 36}}}},
      {"small-4x4.toml", {16, {{"v100", 16}}}},
      {"philly-2048.toml", {2048, {{"v100", 2048}}}},
  };
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("jobs/clusters"))) {
    if (entry.path().extension() != ".toml") continue;
    ++files;
    const std::string path = entry.path().string();
    const ClusterSpec c = ClusterSpec::parse(path);
    EXPECT_EQ(c.source(), path);
    EXPECT_GT(c.num_gpus(), 0) << path;
    EXPECT_GT(c.links().intra_node_gb_per_s, 0) << path;
    EXPECT_GT(c.links().inter_node_gb_per_s, 0) << path;
    const auto it = expected.find(entry.path().filename().string());
    if (it == expected.end()) continue;
    EXPECT_EQ(c.num_gpus(), it->second.gpus) << path;
    for (const auto& [type, count] : it->second.per_type) {
      ASSERT_GE(c.type_index(type), 0) << path << " " << type;
      EXPECT_EQ(c.num_gpus_of_type(c.type_index(type)), count) << path << " " << type;
    }
  }
  EXPECT_GE(files, 4);
}

TEST(ClusterSpec, FileInterconnectAndDescription) {
  const ClusterSpec c = ClusterSpec::parse(source_path("jobs/clusters/tiresias-testbed.toml"));
  EXPECT_EQ(c.describe(), "15x4 p100 (60 GPUs)");
  EXPECT_DOUBLE_EQ(c.links().inter_node_gb_per_s, 12.5);
  EXPECT_DOUBLE_EQ(c.links().intra_node_gb_per_s, 12.0);
  EXPECT_EQ(c.nodes().back().name, "n14");
}

TEST(ClusterSpec, FileWithoutInterconnectKeepsDefaults) {
  const auto path = write_scratch_file("plain.toml", R"([[groups]]
nodes = 2
gpus_per_node = 2
type = "T4"
)");
  const ClusterSpec c = ClusterSpec::parse(path);
  const Interconnect defaults;
  EXPECT_DOUBLE_EQ(c.links().intra_node_gb_per_s, defaults.intra_node_gb_per_s);
  EXPECT_DOUBLE_EQ(c.links().inter_node_latency_us, defaults.inter_node_latency_us);
  EXPECT_EQ(c.gpu_types(), std::vector<std::string>{"t4"});
}

TEST(ClusterSpec, BrokenTomlGivesFileAndLine) {
  const auto path = write_scratch_file("broken.toml", R"(name = "x"
[[groups]]
nodes = 4
gpus_per_node =
type = "v100"
)");
  const std::string e = test::input_error_of([&] { ClusterSpec::parse(path); });
  EXPECT_EQ(e.rfind(path + ":4: ", 0), 0u) << e;
}

TEST(ClusterSpec, BadFileValuesGiveTheirLine) {
  struct Case {
    std::string text;
    long line;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"[[groups]]\nnodes = 0\ngpus_per_node = 4\ntype = \"v100\"\n", 2, "'nodes'"},
      {"[[groups]]\nnodes = 1\ngpus_per_node = 4\n", 1, "'type'"},
      {"[[groups]]\nnodes = 1\ngpus_per_node = 4\ntype = \"v 100\"\n", 4, "'type'"},
      {"[[groups]]\nnodes = 1\ngpus = 4\ntype = \"v100\"\n", 3, "unknown key 'gpus'"},
      {"[interconnect]\ninter_node_gb_per_s = 0\n[[groups]]\nnodes = 1\ngpus_per_node = 1\n"
       "type = \"v100\"\n",
       2, "'inter_node_gb_per_s'"},
      {"[interconnect]\nintra_node_bw = 3\n", 2, "unknown key 'intra_node_bw'"},
      {"name = \"x\"\n", 1, "[[groups]]"},
      {"name = 3\n[[groups]]\nnodes = 1\ngpus_per_node = 1\ntype = \"v100\"\n", 1, "'name'"},
      {"nodes = 4\n", 1, "unknown key 'nodes'"},
  };
  for (const auto& c : cases) {
    const auto path = write_scratch_file("bad.toml", c.text);
    const std::string e = test::input_error_of([&] { ClusterSpec::parse(path); });
    EXPECT_EQ(e.rfind(path + ":" + std::to_string(c.line) + ": ", 0), 0u) << e;
    EXPECT_NE(e.find(c.says), std::string::npos) << e;
  }
}

TEST(ClusterSpec, MissingFileIsAnInputError) {
  const std::string e = test::input_error_of([] { ClusterSpec::parse("no/such/cluster.toml"); });
  EXPECT_NE(e.find("no/such/cluster.toml"), std::string::npos) << e;
}

TEST(ClusterSpec, FromGroups) {
  Interconnect links;
  links.inter_node_gb_per_s = 3.0;
  const ClusterSpec c = ClusterSpec::from_groups({{1, 8, "a100"}, {2, 4, "v100"}}, links);
  EXPECT_EQ(c.num_gpus(), 16);
  EXPECT_EQ(c.nodes()[1].first_gpu, 8);
  EXPECT_EQ(c.node_of(15), 2);
  EXPECT_EQ(c.type_of(8), 1);
  EXPECT_DOUBLE_EQ(c.links().inter_node_gb_per_s, 3.0);
  EXPECT_EQ(c.describe(), "1x8 a100 + 2x4 v100 (16 GPUs)");
  EXPECT_THROW(ClusterSpec::from_groups({}), InvariantError);
  EXPECT_THROW(ClusterSpec::from_groups({{0, 4, "v100"}}), InvariantError);
}

}  // namespace
}  // namespace dlsched
