// The /adaptive table of the results file: written only by runs of adaptive jobs, read back
// as written, continued by a resumed writer, and absent (read as empty) everywhere else.

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/hdf5_results.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

namespace fs = std::filesystem;

std::string scratch_file(const std::string& name) {
  return (fs::path(test::scratch_dir()) / name).string();
}

AdaptiveRecord sample_row(std::uint32_t i) {
  AdaptiveRecord r;
  r.time = 60.0 * i + 0.25;
  r.round = i;
  r.job = i % 3;
  r.gpus = static_cast<std::int32_t>(i % 5);
  r.nodes = r.gpus > 0 ? 1 + static_cast<std::int32_t>(i % 2) : 0;
  r.placement = r.gpus == 0 ? "" : i % 2 ? "0:1,15:" + std::to_string(r.gpus - 1)
                                         : "3:" + std::to_string(r.gpus);
  r.batch_size = r.gpus * 64 * (1 + static_cast<std::int32_t>(i % 2));
  r.atomic_bsz = r.gpus > 0 ? 64 : 0;
  r.accum_steps = static_cast<std::int32_t>(i % 2);
  r.progress = 1.5 * i + 1.0 / 3.0;
  r.samples = 64.0 * i * i;
  return r;
}

void expect_rows(const std::vector<AdaptiveRecord>& got, const std::vector<AdaptiveRecord>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    EXPECT_EQ(got[i].time, want[i].time);
    EXPECT_EQ(got[i].round, want[i].round);
    EXPECT_EQ(got[i].job, want[i].job);
    EXPECT_EQ(got[i].gpus, want[i].gpus);
    EXPECT_EQ(got[i].nodes, want[i].nodes);
    EXPECT_EQ(got[i].placement, want[i].placement);
    EXPECT_EQ(got[i].batch_size, want[i].batch_size);
    EXPECT_EQ(got[i].atomic_bsz, want[i].atomic_bsz);
    EXPECT_EQ(got[i].accum_steps, want[i].accum_steps);
    EXPECT_EQ(got[i].progress, want[i].progress);
    EXPECT_EQ(got[i].samples, want[i].samples);
  }
}

bool has_dataset(const std::string& path, const char* name) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(file, 0);
  const bool found = H5Lexists(file, name, H5P_DEFAULT) > 0;
  H5Fclose(file);
  return found;
}

TEST(Hdf5Adaptive, RowsRoundTripExactly) {
  const std::string path = scratch_file("adaptive.h5");
  std::vector<AdaptiveRecord> rows;
  for (std::uint32_t i = 0; i < 500; ++i) rows.push_back(sample_row(i));
  Hdf5ResultsWriter writer(path, {{"mode", "simulate"}});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    writer.adaptive(rows[i]);
    if (i % 50 == 49) writer.round_done();
  }
  writer.close();
  const ResultsFile got = read_results(path);
  expect_rows(got.adaptive, rows);
  EXPECT_TRUE(got.jobs.empty());
}

TEST(Hdf5Adaptive, RowsAreInTheFileOnceFlushed) {
  const std::string path = scratch_file("adaptive-flushed.h5");
  Hdf5ResultsWriter writer(path, {});
  writer.adaptive(sample_row(1));
  writer.round_done();  // flush interval 0: every round
  expect_rows(read_results(path).adaptive, {sample_row(1)});
  writer.adaptive(sample_row(2));
  writer.flush();
  expect_rows(read_results(path).adaptive, {sample_row(1), sample_row(2)});
  writer.close();
}

TEST(Hdf5Adaptive, RunsWithoutAdaptiveJobsHaveNoTable) {
  const std::string path = scratch_file("fixed.h5");
  Hdf5ResultsWriter writer(path, {});
  writer.round(RoundRecord{0, 1.0, 1, 1, 0, 0, 0});
  writer.close();
  EXPECT_FALSE(has_dataset(path, "adaptive"));
  EXPECT_TRUE(read_results(path).adaptive.empty());
}

TEST(Hdf5Adaptive, AResumedWriterAppendsToTheTable) {
  const std::string path = scratch_file("adaptive-resumed.h5");
  {
    Hdf5ResultsWriter writer(path, {});
    writer.adaptive(sample_row(0));
    writer.adaptive(sample_row(1));
    writer.close();
  }
  {
    auto writer = Hdf5ResultsWriter::append_to(path);
    writer->adaptive(sample_row(2));
    writer->close();
  }
  expect_rows(read_results(path).adaptive, {sample_row(0), sample_row(1), sample_row(2)});
}

TEST(Hdf5Adaptive, ATableWithAMissingColumnIsAnInputErrorNamingIt) {
  const std::string path = scratch_file("adaptive-damaged.h5");
  {
    Hdf5ResultsWriter writer(path, {});
    writer.close();
  }
  // A one-column /adaptive table, as a damaged or foreign file might have.
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t type = H5Tcreate(H5T_COMPOUND, sizeof(double));
  H5Tinsert(type, "time", 0, H5T_NATIVE_DOUBLE);
  const hsize_t dims = 0;
  const hid_t space = H5Screate_simple(1, &dims, nullptr);
  const hid_t set = H5Dcreate2(file, "adaptive", type, space, H5P_DEFAULT, H5P_DEFAULT,
                               H5P_DEFAULT);
  ASSERT_GE(set, 0);
  H5Dclose(set);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
  try {
    read_results(path);
    FAIL() << "a damaged /adaptive table was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("adaptive-damaged.h5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/adaptive has no column \"round\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dlsched
