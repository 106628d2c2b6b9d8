// The model catalog: the bundled jobs/models.toml covers every sample trace, and the loader
// reports bad input at its line.
#include "core/model_catalog.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "support/input_error.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

using test::source_path;
using test::trace_path;
using test::write_scratch_file;

const ModelCatalog& bundled() {
  static const ModelCatalog catalog = ModelCatalog::load(source_path("jobs/models.toml"));
  return catalog;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, sep)) fields.push_back(field);
  return fields;
}

/// The values of one named column of a CSV file with a header row (no quoting in the samples).
std::set<std::string> csv_column(const std::string& path, const std::string& column) {
  std::ifstream in(path);
  std::string line;
  EXPECT_TRUE(std::getline(in, line)) << path;
  const auto header = split(line, ',');
  const auto at = std::find(header.begin(), header.end(), column);
  EXPECT_NE(at, header.end()) << column << " not in " << path;
  const auto index = static_cast<std::size_t>(at - header.begin());
  std::set<std::string> values;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = split(line, ',');
    if (index < fields.size()) values.insert(fields[index]);
  }
  return values;
}

/// Job types named by Gavel's throughput table, whose keys read "('<job type>', <scale>)".
std::set<std::string> gavel_table_job_types() {
  std::ifstream in(trace_path("gavel-simulation_throughputs.json"));
  const auto doc = nlohmann::json::parse(in);
  const std::regex key(R"(^\('(.+)', \d+\)$)");
  std::set<std::string> types;
  for (const auto& [worker, jobs] : doc.items())
    for (const auto& [job, rates] : jobs.items()) {
      std::smatch m;
      if (std::regex_match(job, m, key)) types.insert(m[1]);
    }
  return types;
}

/// First (tab-separated) field of each line of a Gavel trace.
std::set<std::string> gavel_trace_job_types(const std::string& name) {
  std::ifstream in(trace_path(name));
  std::set<std::string> types;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) types.insert(split(line, '\t').front());
  return types;
}

TEST(ModelCatalog, BundledCatalogHasTheGpuTypes) {
  for (const char* type : {"k80", "p100", "v100", "t4", "a100", "h100", "cpu"}) {
    const GpuTypeInfo* g = bundled().find_gpu_type(type);
    ASSERT_NE(g, nullptr) << type;
    EXPECT_GT(g->peak_tflops, 0) << type;
    EXPECT_GT(g->efficiency, 0) << type;
    EXPECT_LE(g->efficiency, 1) << type;
    EXPECT_GT(g->memory_gib, 0) << type;
  }
  EXPECT_DOUBLE_EQ(bundled().gpu_type("v100").peak_tflops, 125.0);
  EXPECT_DOUBLE_EQ(bundled().gpu_type("a100").peak_tflops, 312.0);
  EXPECT_DOUBLE_EQ(bundled().gpu_type("h100").peak_tflops, 989.0);
}

TEST(ModelCatalog, BundledModelsAreComplete) {
  EXPECT_EQ(bundled().path(), source_path("jobs/models.toml"));
  for (const auto& [name, m] : bundled().models()) {
    EXPECT_EQ(m.name, name);
    EXPECT_GT(m.parameters, 0) << name;
    EXPECT_GT(m.flops_per_sample, 0) << name;
    EXPECT_GE(m.batch_size, 1) << name;
    EXPECT_FALSE(m.source.empty()) << name;
  }
  EXPECT_DOUBLE_EQ(bundled().model("resnet50").gradient_bytes(), 25'557'032 * 4.0);
}

TEST(ModelCatalog, CoversEveryTiresiasModel) {
  const auto names = csv_column(trace_path("tiresias-60_job.csv"), "model_name");
  EXPECT_EQ(names.size(), 10u);
  for (const auto& name : names) EXPECT_EQ(bundled().models().count(name), 1u) << name;
}

TEST(ModelCatalog, CoversEveryGavelJobType) {
  const auto types = gavel_table_job_types();
  EXPECT_EQ(types.size(), 26u);
  for (const auto& name : types) EXPECT_EQ(bundled().models().count(name), 1u) << name;
  for (const char* trace : {"gavel-small_test.trace", "gavel-medium_test.trace"})
    for (const auto& name : gavel_trace_job_types(trace))
      EXPECT_EQ(bundled().models().count(name), 1u) << name << " from " << trace;
}

TEST(ModelCatalog, GavelBatchSizeIsTheOneInTheName) {
  const std::regex batch(R"(\(batch size (\d+)\)$)");
  int checked = 0;
  for (const auto& [name, m] : bundled().models()) {
    std::smatch match;
    if (!std::regex_search(name, match, batch)) continue;
    EXPECT_EQ(m.batch_size, std::stoi(match[1])) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 24);
}

TEST(ModelCatalog, CoversEveryPolluxApplication) {
  const auto apps = csv_column(trace_path("pollux-workload-1.csv"), "application");
  EXPECT_EQ(apps.size(), 6u);
  for (const auto& name : apps) {
    ASSERT_EQ(bundled().models().count(name), 1u) << name;
    const ModelInfo& m = bundled().model(name);
    // Pollux jobs run to an epoch count, so their length comes from these two.
    EXPECT_TRUE(m.dataset_samples && *m.dataset_samples > 0) << name;
    EXPECT_TRUE(m.epochs && *m.epochs > 0) << name;
    EXPECT_TRUE(m.restore_seconds.has_value()) << name;
  }
  EXPECT_DOUBLE_EQ(*bundled().model("imagenet").dataset_samples, 1'281'167);
  EXPECT_DOUBLE_EQ(*bundled().model("imagenet").epochs, 90);
  EXPECT_DOUBLE_EQ(*bundled().model("imagenet").restore_seconds, 250);
}

TEST(ModelCatalog, HasThePhillyDefaultModel) {
  ASSERT_NE(bundled().find_model("ResNet-50"), nullptr);
  EXPECT_EQ(bundled().model("ResNet-50").name, "ResNet-50");
}

TEST(ModelCatalog, LookupFallsBackToCaseInsensitive) {
  EXPECT_EQ(bundled().model("ResNet50").name, "resnet50");
  EXPECT_EQ(bundled().model("resnet-50").name, "ResNet-50");
  EXPECT_EQ(bundled().gpu_type("V100").name, "v100");
  EXPECT_EQ(bundled().find_model("resnet-51"), nullptr);
  EXPECT_EQ(bundled().find_gpu_type("v101"), nullptr);
}

TEST(ModelCatalog, UnknownNamesAreInputErrorsNamingTheCatalog) {
  const std::string model_error = test::input_error_of([] { bundled().model("gpt-9"); });
  EXPECT_NE(model_error.find("unknown model 'gpt-9'"), std::string::npos) << model_error;
  EXPECT_NE(model_error.find(source_path("jobs/models.toml")), std::string::npos) << model_error;
  const std::string type_error = test::input_error_of([] { bundled().gpu_type("tpu"); });
  EXPECT_NE(type_error.find("'tpu'"), std::string::npos) << type_error;
}

TEST(ModelCatalog, ProgrammaticCatalog) {
  ModelCatalog c;
  ModelInfo m;
  m.name = "tiny";
  m.parameters = 10;
  m.flops_per_sample = 100;
  c.add_model(m);
  EXPECT_EQ(c.model("TINY").parameters, 10);
  const std::string e = test::input_error_of([&] { c.model("big"); });
  EXPECT_NE(e.find("unknown model 'big'"), std::string::npos) << e;
}

TEST(ModelCatalog, OptionalFieldsAndDefaults) {
  const auto path = write_scratch_file("ok.toml", R"([gpu_types.g]
peak_tflops = 10
memory_gib = 8

[models."m one"]
parameters = 1e6
flops_per_sample = 2_000
batch_size = 4
)");
  const ModelCatalog c = ModelCatalog::load(path);
  EXPECT_DOUBLE_EQ(c.gpu_type("g").efficiency, 0.4);
  EXPECT_DOUBLE_EQ(c.gpu_type("g").peak_tflops, 10.0);
  const ModelInfo& m = c.model("m one");
  EXPECT_DOUBLE_EQ(m.parameters, 1e6);
  EXPECT_DOUBLE_EQ(m.flops_per_sample, 2000);
  EXPECT_EQ(m.batch_size, 4);
  EXPECT_DOUBLE_EQ(m.forward_fraction, 1.0 / 3.0);
  EXPECT_FALSE(m.dataset_samples);
  EXPECT_FALSE(m.epochs);
  EXPECT_FALSE(m.restore_seconds);
  EXPECT_TRUE(m.source.empty());
}

TEST(ModelCatalog, SyntaxErrorGivesFileAndLine) {
  const auto path = write_scratch_file("broken.toml", R"([gpu_types.g]
peak_tflops = 10
memory_gib = = 8
)");
  const std::string e = test::input_error_of([&] { ModelCatalog::load(path); });
  EXPECT_EQ(e.rfind(path + ":3: ", 0), 0u) << e;
}

TEST(ModelCatalog, MissingKeyNamesKeyAndModel) {
  const auto path = write_scratch_file("missing.toml", R"([gpu_types.g]
peak_tflops = 10
memory_gib = 8

[models.alpha]
parameters = 5
batch_size = 1
)");
  const std::string e = test::input_error_of([&] { ModelCatalog::load(path); });
  EXPECT_EQ(e.rfind(path + ":5: ", 0), 0u) << e;
  EXPECT_NE(e.find("'flops_per_sample'"), std::string::npos) << e;
  EXPECT_NE(e.find("'alpha'"), std::string::npos) << e;
}

TEST(ModelCatalog, BadValuesGiveTheirLine) {
  const std::string head = "[gpu_types.g]\npeak_tflops = 10\nmemory_gib = 8\n[models.m]\n";
  struct Case {
    std::string body;  // lines 5.. of the file
    long line;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"parameters = 1\nflops_per_sample = 1\nbatch_size = 2.5\n", 7, "'batch_size'"},
      {"parameters = 1\nflops_per_sample = 1\nbatch_size = 0\n", 7, "'batch_size'"},
      {"parameters = -1\nflops_per_sample = 1\nbatch_size = 1\n", 5, "'parameters'"},
      {"parameters = 1\nflops_per_sample = \"many\"\nbatch_size = 1\n", 6, "'flops_per_sample'"},
      {"parameters = 1\nflops_per_sample = 1\nbatch_size = 1\nbatchsize = 1\n", 8,
       "unknown key 'batchsize'"},
      {"parameters = 1\nflops_per_sample = 1\nbatch_size = 1\nepochs = 0\n", 8, "'epochs'"},
      {"parameters = 1\nflops_per_sample = 1\nbatch_size = 1\nsource = 3\n", 8, "'source'"},
      {"parameters = 1\nflops_per_sample = 1\nforward_fraction = 1\nbatch_size = 1\n", 7,
       "'forward_fraction'"},
  };
  for (const auto& c : cases) {
    const auto path = write_scratch_file("bad.toml", head + c.body);
    const std::string e = test::input_error_of([&] { ModelCatalog::load(path); });
    EXPECT_EQ(e.rfind(path + ":" + std::to_string(c.line) + ": ", 0), 0u) << e;
    EXPECT_NE(e.find(c.says), std::string::npos) << e;
  }
}

TEST(ModelCatalog, BadGpuTypeGivesItsLine) {
  const auto path = write_scratch_file("gpu.toml", R"([gpu_types.g]
peak_tflops = 10
memory_gib = 8
efficiency = 1.5

[models]
)");
  const std::string e = test::input_error_of([&] { ModelCatalog::load(path); });
  EXPECT_EQ(e.rfind(path + ":4: ", 0), 0u) << e;
  EXPECT_NE(e.find("'efficiency'"), std::string::npos) << e;
}

TEST(ModelCatalog, NamesDifferingOnlyInCaseAreRejected) {
  const auto path = write_scratch_file("clash.toml", R"([gpu_types.g]
peak_tflops = 10
memory_gib = 8

[models.Net]
parameters = 1
flops_per_sample = 1
batch_size = 1

[models.net]
parameters = 1
flops_per_sample = 1
batch_size = 1
)");
  const std::string e = test::input_error_of([&] { ModelCatalog::load(path); });
  EXPECT_NE(e.find("differs only in case"), std::string::npos) << e;
}

TEST(ModelCatalog, StructureErrors) {
  const auto no_models = write_scratch_file("nomodels.toml", "[gpu_types.g]\npeak_tflops = 1\nmemory_gib = 1\n");
  EXPECT_NE(test::input_error_of([&] { ModelCatalog::load(no_models); }).find("[models]"), std::string::npos);
  const auto extra = write_scratch_file("extra.toml", "[gpu_types]\n[models]\n[profiles]\n");
  const std::string e = test::input_error_of([&] { ModelCatalog::load(extra); });
  EXPECT_EQ(e.rfind(extra + ":3: ", 0), 0u) << e;
  const auto scalar = write_scratch_file("scalar.toml", "[gpu_types]\n[models]\nm = 3\n");
  const std::string s = test::input_error_of([&] { ModelCatalog::load(scalar); });
  EXPECT_EQ(s.rfind(scalar + ":3: ", 0), 0u) << s;
}

TEST(ModelCatalog, MissingFileIsAnInputError) {
  const std::string e = test::input_error_of([] { ModelCatalog::load("no/such/models.toml"); });
  EXPECT_NE(e.find("no/such/models.toml"), std::string::npos) << e;
}

}  // namespace
}  // namespace dlsched
