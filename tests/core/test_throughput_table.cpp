// Measured throughputs: Gavel's simulation_throughputs.json import and the lookups.
#include "core/throughput_table.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/error.h"
#include "support/input_error.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

using test::trace_path;
using test::write_scratch_file;

const ThroughputTable& gavel() {
  static const ThroughputTable table =
      ThroughputTable::load_gavel_json(trace_path("gavel-simulation_throughputs.json"));
  return table;
}

TEST(ThroughputTable, ImportsGavelIsolatedRates) {
  EXPECT_EQ(gavel().path(), trace_path("gavel-simulation_throughputs.json"));
  // 6 worker types x 83 entries, less the 6 the spread K80 table lacks, less 3 zero rates.
  EXPECT_EQ(gavel().size(), 489u);
  auto r = gavel().steps_per_second("ResNet-18 (batch size 16)", "k80", 1, true);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(*r, 4.795294551566172);
  r = gavel().steps_per_second("A3C", "v100", 1, true);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(*r, 7.175767179667988);
}

TEST(ThroughputTable, UnconsolidatedEntriesArePlacementSpread) {
  const std::string job = "ResNet-50 (batch size 64)";
  auto packed = gavel().steps_per_second(job, "v100", 4, true);
  auto spread = gavel().steps_per_second(job, "v100", 4, false);
  ASSERT_TRUE(packed && spread);
  EXPECT_DOUBLE_EQ(*packed, 9.451949566394442);
  EXPECT_DOUBLE_EQ(*spread, 11.136430014818272);
}

TEST(ThroughputTable, OneWorkerIgnoresConsolidation) {
  auto spread = gavel().steps_per_second("ResNet-18 (batch size 16)", "k80", 1, false);
  ASSERT_TRUE(spread);
  EXPECT_DOUBLE_EQ(*spread, 4.795294551566172);
}

TEST(ThroughputTable, UnmeasuredConfigurationsAreNullopt) {
  // Gavel's spread K80 table has no multi-worker ResNet-50 (batch size 64) entries; the
  // consolidated one is not substituted, because the placements cost differently.
  EXPECT_TRUE(gavel().steps_per_second("ResNet-50 (batch size 64)", "k80", 2, true));
  EXPECT_FALSE(gavel().steps_per_second("ResNet-50 (batch size 64)", "k80", 2, false));
  // A 0.0 rate means "did not fit": nothing is stored.
  EXPECT_FALSE(gavel().steps_per_second("ResNet-50 (batch size 128)", "k80", 2, true));
  EXPECT_FALSE(gavel().steps_per_second("ResNet-18 (batch size 16)", "k80", 3, true));
  EXPECT_FALSE(gavel().steps_per_second("ResNet-18 (batch size 16)", "a100", 1, true));
  EXPECT_FALSE(gavel().steps_per_second("no such job", "k80", 1, true));
}

TEST(ThroughputTable, GpuTypeLookupIgnoresCase) {
  auto r = gavel().steps_per_second("ResNet-18 (batch size 16)", "K80", 1, true);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(*r, 4.795294551566172);
}

TEST(ThroughputTable, ImportsColocationRates) {
  const std::string a = "ResNet-18 (batch size 16)";
  const std::string b = "ResNet-18 (batch size 32)";
  auto ab = gavel().colocated_steps_per_second(a, b, "k80", 1);
  auto ba = gavel().colocated_steps_per_second(b, a, "k80", 1);
  ASSERT_TRUE(ab && ba);
  EXPECT_DOUBLE_EQ(*ab, 2.539979567443098);
  EXPECT_DOUBLE_EQ(*ba, 3.1201925448827033);
  // [0.0, 0.0] marks a pair that does not fit together.
  EXPECT_FALSE(gavel().colocated_steps_per_second(a, "ResNet-50 (batch size 128)", "k80", 1));
  EXPECT_FALSE(gavel().colocated_steps_per_second(a, b, "k80", 2));
}

TEST(ThroughputTable, LoadDetectsGavelJson) {
  const ThroughputTable t = ThroughputTable::load(trace_path("gavel-simulation_throughputs.json"));
  EXPECT_EQ(t.size(), gavel().size());
  EXPECT_EQ(t.path(), trace_path("gavel-simulation_throughputs.json"));
}

TEST(ThroughputTable, LoadRejectsOtherFormats) {
  const auto csv = write_scratch_file("table.csv", "model,gpu,steps\nA,k80,1.0\n");
  const std::string e = test::input_error_of([&] { ThroughputTable::load(csv); });
  EXPECT_EQ(e.rfind(csv + ":1: ", 0), 0u) << e;
  const auto empty = write_scratch_file("empty.json", "\n\n");
  EXPECT_NE(test::input_error_of([&] { ThroughputTable::load(empty); }).find("unrecognised"),
            std::string::npos);
  EXPECT_NE(test::input_error_of([] { ThroughputTable::load("no/such/table.json"); }).find("no/such/table.json"),
            std::string::npos);
}

TEST(ThroughputTable, JsonSyntaxErrorGivesLine) {
  const auto path = write_scratch_file("broken.json", R"json({
  "k80": {
    "('A', 1)": {"null": 1.0,, }
  }
}
)json");
  const std::string e = test::input_error_of([&] { ThroughputTable::load_gavel_json(path); });
  EXPECT_EQ(e.rfind(path + ":3: invalid JSON", 0), 0u) << e;
  const auto truncated = write_scratch_file("truncated.json", "{\n  \"k80\": {\n");
  const std::string t = test::input_error_of([&] { ThroughputTable::load(truncated); });
  EXPECT_EQ(t.rfind(truncated + ":3: ", 0), 0u) << t;
}

TEST(ThroughputTable, BadEntriesGiveTheirLine) {
  struct Case {
    std::string text;
    long line;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"{\n \"k80\": {\n  \"('A', 1)\": {\"null\": 1.0},\n  \"A, 1\": {\"null\": 1.0}\n }\n}\n",
       4, "job key 'A, 1'"},
      {"{\n \"k80\": {\n  \"('A', 0)\": {\"null\": 1.0}\n }\n}\n", 3, "('A', 0)"},
      {"{\n \"k80\": {\n  \"('A', 1)\": {\n   \"null\": -2\n  }\n }\n}\n", 4, "\"null\""},
      {"{\n \"k80\": {\n  \"('A', 1)\": {\n   \"null\": 1,\n   \"('B', 2)\": [1, 1]\n  }\n }\n}\n",
       5, "same scale factor"},
      {"{\n \"k80\": {\n  \"('A', 1)\": {\n   \"null\": 1,\n   \"('B', 1)\": 3\n  }\n }\n}\n",
       5, "[self, other]"},
      {"{\n \"k80\": [1, 2]\n}\n", 2, "worker type 'k80'"},
      {"[1, 2]\n", 1, "JSON object"},
  };
  for (const auto& c : cases) {
    const auto path = write_scratch_file("bad.json", c.text);
    const std::string e = test::input_error_of([&] { ThroughputTable::load_gavel_json(path); });
    EXPECT_EQ(e.rfind(path + ":" + std::to_string(c.line) + ": ", 0), 0u) << e;
    EXPECT_NE(e.find(c.says), std::string::npos) << e;
  }
}

TEST(ThroughputTable, JobKeysFollowPythonTupleSyntax) {
  const auto path = write_scratch_file("keys.json", R"json({
  "t4": {
    "(\"it's\", 2)": {"null": 3.5},
    "( 'Spaced' ,1 )": {"null": 2.0, "('Spaced', 1)": [1.0, 1.0]}
  },
  "t4_unconsolidated": {
    "(\"it's\", 2)": {"null": 1.5}
  }
})json");
  const ThroughputTable t = ThroughputTable::load_gavel_json(path);
  EXPECT_EQ(t.steps_per_second("it's", "t4", 2, true), 3.5);
  EXPECT_EQ(t.steps_per_second("it's", "t4", 2, false), 1.5);
  EXPECT_EQ(t.steps_per_second("Spaced", "t4", 1, true), 2.0);
  EXPECT_EQ(t.colocated_steps_per_second("Spaced", "Spaced", "t4", 1), 1.0);
}

TEST(ThroughputTable, SetAndLookup) {
  ThroughputTable t;
  EXPECT_TRUE(t.empty());
  t.set("m", "V100", 4, false, 2.5);
  t.set_colocated("m", "n", "v100", 1, 0.7);
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(t.steps_per_second("m", "v100", 4, false), 2.5);
  EXPECT_FALSE(t.steps_per_second("m", "v100", 4, true));
  EXPECT_EQ(t.colocated_steps_per_second("m", "n", "V100", 1), 0.7);
  EXPECT_THROW(t.set("m", "v100", 0, true, 1.0), InvariantError);
  EXPECT_THROW(t.set("m", "v100", 1, true, 0.0), InvariantError);
}

}  // namespace
}  // namespace dlsched
