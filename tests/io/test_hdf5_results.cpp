// The HDF5 results file: round trips, durability after flush, and bad files as InputErrors.

#include "io/hdf5_results.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

namespace fs = std::filesystem;

// Widths of the fixed-length string columns (docs/results.md).
constexpr std::size_t kJobIdBytes = 64;
constexpr std::size_t kModelBytes = 64;
constexpr std::size_t kThroughputSourceBytes = 16;
constexpr std::size_t kHostBytes = 64;
constexpr std::size_t kGpuTypeBytes = 16;

std::string scratch_file(const std::string& name) {
  return (fs::path(test::scratch_dir()) / name).string();
}

JobRecord sample_job(std::uint32_t i) {
  JobRecord r;
  r.job = i;
  r.job_id = "job-" + std::to_string(i);
  r.model = i % 2 ? "resnet50" : "transformer";
  r.submit = 10.5 * i;
  r.first_start = i % 3 ? 11.25 * i : -1;
  r.finish = i % 3 ? 100.0 + i : -1;
  r.jct = i % 3 ? r.finish - r.submit : -1;
  r.num_gpus = 1 << (i % 4);
  r.iterations = 1000.0 + i;
  r.iterations_done = i % 3 ? r.iterations : 0.5 * i;
  r.preemptions = static_cast<std::int32_t>(i % 5);
  r.gpu_seconds = 3.75 * i;
  r.isolated_time = 90.0 + i;
  r.compute_seconds = 60.0 + 0.1 * i;
  r.comm_seconds = 30.0 + 0.2 * i;
  r.throughput_source = i % 2 ? "measured" : "analytic";
  r.status = i % 3 ? 1 : 0;
  return r;
}

AllocationRecord sample_allocation(std::uint32_t i) {
  return {.time = 0.5 * i,
          .job = i / 4,
          .gpu = static_cast<std::int32_t>(i % 8),
          .node = static_cast<std::int32_t>(i % 8 / 4),
          .event = static_cast<std::int8_t>(i % 3)};
}

ProgressRecord sample_progress(std::uint32_t i) {
  return {.start = 1.0 * i,
          .end = 1.0 * i + 360,
          .job = i / 3,
          .round = static_cast<std::int64_t>(i) + (std::int64_t{1} << 40),
          .iterations = 12.5 * i,
          .seconds = 350.0,
          .compute_seconds = 200.0 + i,
          .comm_seconds = 150.0 - 0.001 * i,
          .workers = static_cast<std::int32_t>(1 + i % 8)};
}

RoundRecord sample_round(std::uint32_t i) {
  return {.round = static_cast<std::int64_t>(i),
          .time = 360.0 * i,
          .busy_gpus = static_cast<std::int32_t>(i % 17),
          .running_jobs = static_cast<std::int32_t>(i % 5),
          .queued_jobs = static_cast<std::int32_t>(i % 11),
          .finished_jobs = static_cast<std::int32_t>(i),
          .control_overhead = 0.003 * i};
}

GpuRecord sample_gpu(std::int32_t i) {
  return {.gpu = i,
          .node = i / 4,
          .host = "node" + std::to_string(i / 4) + ".cluster.example.org",
          .device = i % 4,
          .type = i < 4 ? "V100" : "A100"};
}

void expect_equal(const JobRecord& a, const JobRecord& b) {
  EXPECT_EQ(a.job, b.job);
  EXPECT_EQ(a.job_id, b.job_id);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.submit, b.submit);
  EXPECT_EQ(a.first_start, b.first_start);
  EXPECT_EQ(a.finish, b.finish);
  EXPECT_EQ(a.jct, b.jct);
  EXPECT_EQ(a.num_gpus, b.num_gpus);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.iterations_done, b.iterations_done);
  EXPECT_EQ(a.preemptions, b.preemptions);
  EXPECT_EQ(a.gpu_seconds, b.gpu_seconds);
  EXPECT_EQ(a.isolated_time, b.isolated_time);
  EXPECT_EQ(a.compute_seconds, b.compute_seconds);
  EXPECT_EQ(a.comm_seconds, b.comm_seconds);
  EXPECT_EQ(a.throughput_source, b.throughput_source);
  EXPECT_EQ(a.status, b.status);
}

void expect_equal(const AllocationRecord& a, const AllocationRecord& b) {
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.job, b.job);
  EXPECT_EQ(a.gpu, b.gpu);
  EXPECT_EQ(a.node, b.node);
  EXPECT_EQ(a.event, b.event);
}

void expect_equal(const ProgressRecord& a, const ProgressRecord& b) {
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.end, b.end);
  EXPECT_EQ(a.job, b.job);
  EXPECT_EQ(a.round, b.round);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.seconds, b.seconds);
  EXPECT_EQ(a.compute_seconds, b.compute_seconds);
  EXPECT_EQ(a.comm_seconds, b.comm_seconds);
  EXPECT_EQ(a.workers, b.workers);
}

void expect_equal(const RoundRecord& a, const RoundRecord& b) {
  EXPECT_EQ(a.round, b.round);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.busy_gpus, b.busy_gpus);
  EXPECT_EQ(a.running_jobs, b.running_jobs);
  EXPECT_EQ(a.queued_jobs, b.queued_jobs);
  EXPECT_EQ(a.finished_jobs, b.finished_jobs);
  EXPECT_EQ(a.control_overhead, b.control_overhead);
}

void expect_equal(const GpuRecord& a, const GpuRecord& b) {
  EXPECT_EQ(a.gpu, b.gpu);
  EXPECT_EQ(a.node, b.node);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.type, b.type);
}

template <class R>
void expect_rows(const std::vector<R>& got, const std::vector<R>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    expect_equal(got[i], want[i]);
  }
}

/// Writes a small complete file with a few rows in every table.
std::string write_small_file(const std::string& name) {
  std::string path = scratch_file(name);
  Hdf5ResultsWriter writer(path, {{"mode", "simulate"}});
  writer.cluster({sample_gpu(0), sample_gpu(1)});
  for (std::uint32_t i = 0; i < 50; ++i) {
    writer.job(sample_job(i));
    writer.allocation(sample_allocation(i));
    writer.progress(sample_progress(i));
    writer.round(sample_round(i));
  }
  writer.close();
  return path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// read_results(path) throws an InputError whose message names the file.
void expect_input_error(const std::string& path) {
  try {
    read_results(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(Hdf5Results, RoundTripsEveryTableAndAttribute) {
  std::string path = scratch_file("run.h5");
  RunAttributes attributes{{"mode", "simulate"},
                           {"policy", "tiresias"},
                           {"time_scale", "0.01"},
                           {"hosts", "node0,node1"},
                           {"note", "naïve — ünïcode ✓"},
                           {"empty", ""}};
  std::vector<GpuRecord> gpus;
  std::vector<JobRecord> jobs;
  std::vector<AllocationRecord> allocations;
  std::vector<ProgressRecord> progress;
  std::vector<RoundRecord> rounds;
  for (std::int32_t i = 0; i < 8; ++i) gpus.push_back(sample_gpu(i));
  for (std::uint32_t i = 0; i < 300; ++i) {
    jobs.push_back(sample_job(i));
    allocations.push_back(sample_allocation(i));
    progress.push_back(sample_progress(i));
    rounds.push_back(sample_round(i));
  }

  Hdf5ResultsWriter writer(path, attributes);
  writer.cluster(gpus);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    writer.job(jobs[i]);
    writer.allocation(allocations[i]);
    writer.progress(progress[i]);
    writer.round(rounds[i]);
    if (i % 100 == 99) writer.round_done();
  }
  writer.close();

  ResultsFile got = read_results(path);
  for (const auto& [key, value] : attributes) EXPECT_EQ(got.attributes[key], value) << key;
  EXPECT_EQ(got.attributes["format"], "dlsched-results");
  EXPECT_EQ(got.attributes["schema_version"], "1");
  EXPECT_EQ(got.attributes["status"], "complete");
  EXPECT_EQ(got.attributes.size(), attributes.size() + 3);
  expect_rows(got.cluster, gpus);
  expect_rows(got.jobs, jobs);
  expect_rows(got.allocations, allocations);
  expect_rows(got.progress, progress);
  expect_rows(got.rounds, rounds);
}

TEST(Hdf5Results, TablesAreChunkedExtendibleCompoundsNamedLikeTheRecords) {
  std::string path = write_small_file("schema.h5");
  const std::vector<std::pair<const char*, std::vector<std::string>>> tables = {
      {"jobs",
       {"job", "job_id", "model", "submit", "first_start", "finish", "jct", "num_gpus",
        "iterations", "iterations_done", "preemptions", "gpu_seconds", "isolated_time",
        "compute_seconds", "comm_seconds", "throughput_source", "status"}},
      {"allocations", {"time", "job", "gpu", "node", "event"}},
      {"progress",
       {"start", "end", "job", "round", "iterations", "seconds", "compute_seconds",
        "comm_seconds", "workers"}},
      {"rounds",
       {"round", "time", "busy_gpus", "running_jobs", "queued_jobs", "finished_jobs",
        "control_overhead"}},
      {"cluster", {"gpu", "node", "host", "device", "type"}}};

  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  for (const auto& [table, columns] : tables) {
    SCOPED_TRACE(table);
    hid_t dataset = H5Dopen2(file, table, H5P_DEFAULT);
    ASSERT_GE(dataset, 0);
    hid_t type = H5Dget_type(dataset);
    ASSERT_EQ(H5Tget_class(type), H5T_COMPOUND);
    ASSERT_EQ(H5Tget_nmembers(type), static_cast<int>(columns.size()));
    for (unsigned i = 0; i < columns.size(); ++i) {
      char* name = H5Tget_member_name(type, i);
      EXPECT_EQ(std::string(name), columns[i]);
      hid_t member = H5Tget_member_type(type, i);
      if (H5Tget_class(member) == H5T_STRING) {
        EXPECT_EQ(H5Tis_variable_str(member), 0);
        EXPECT_EQ(H5Tget_strpad(member), H5T_STR_NULLPAD);
      }
      H5Tclose(member);
      H5free_memory(name);
    }
    hid_t space = H5Dget_space(dataset);
    hsize_t dims = 0;
    hsize_t max_dims = 0;
    ASSERT_EQ(H5Sget_simple_extent_ndims(space), 1);
    H5Sget_simple_extent_dims(space, &dims, &max_dims);
    EXPECT_EQ(max_dims, H5S_UNLIMITED);
    hid_t dcpl = H5Dget_create_plist(dataset);
    EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(dataset);
  }
  H5Fclose(file);
}

TEST(Hdf5Results, TruncatesLongStringsToTheirWidth) {
  std::string path = scratch_file("long.h5");
  JobRecord job = sample_job(7);
  job.job_id = std::string(200, 'j');
  // A two-byte character straddling the limit is dropped whole, not cut in half.
  job.model = std::string(kModelBytes - 1, 'm') + "é";
  job.throughput_source = "measured-with-a-very-long-suffix";
  GpuRecord gpu = sample_gpu(3);
  gpu.host = std::string(kHostBytes, 'h');  // exactly the width: kept, no terminator needed
  gpu.type = "NVIDIA-GeForce-RTX-4090-24GB";

  Hdf5ResultsWriter writer(path, {});
  writer.cluster({gpu});
  writer.job(job);
  writer.job(sample_job(8));
  writer.close();

  ResultsFile got = read_results(path);
  ASSERT_EQ(got.jobs.size(), 2u);
  EXPECT_EQ(got.jobs[0].job_id, std::string(kJobIdBytes, 'j'));
  EXPECT_EQ(got.jobs[0].model, std::string(kModelBytes - 1, 'm'));
  EXPECT_EQ(got.jobs[0].throughput_source, job.throughput_source.substr(0, kThroughputSourceBytes));
  // The neighbouring columns and the next row are intact.
  EXPECT_EQ(got.jobs[0].submit, job.submit);
  EXPECT_EQ(got.jobs[0].status, job.status);
  expect_equal(got.jobs[1], sample_job(8));
  ASSERT_EQ(got.cluster.size(), 1u);
  EXPECT_EQ(got.cluster[0].host, gpu.host);
  EXPECT_EQ(got.cluster[0].type, gpu.type.substr(0, kGpuTypeBytes));
  EXPECT_EQ(got.cluster[0].device, gpu.device);
}

TEST(Hdf5Results, EmptyTablesAreReadable) {
  std::string path = scratch_file("empty.h5");
  Hdf5ResultsWriter writer(path, {});
  writer.close();
  ResultsFile got = read_results(path);
  EXPECT_TRUE(got.jobs.empty());
  EXPECT_TRUE(got.allocations.empty());
  EXPECT_TRUE(got.progress.empty());
  EXPECT_TRUE(got.rounds.empty());
  EXPECT_TRUE(got.cluster.empty());
  EXPECT_EQ(got.attributes["status"], "complete");
}

TEST(Hdf5Results, StatusIsRunningUntilClose) {
  std::string path = scratch_file("status.h5");
  Hdf5ResultsWriter writer(path, {{"status", "ignored: the writer owns this one"}});
  EXPECT_EQ(read_results(path).attributes["status"], "running");
  writer.job(sample_job(1));
  writer.flush();
  EXPECT_EQ(read_results(path).attributes["status"], "running");
  writer.close();
  writer.close();  // idempotent
  EXPECT_EQ(read_results(path).attributes["status"], "complete");
}

TEST(Hdf5Results, WriterDestroyedWithoutCloseKeepsRowsButStaysRunning) {
  std::string path = scratch_file("unwound.h5");
  try {
    Hdf5ResultsWriter writer(path, {});
    writer.job(sample_job(1));
    writer.job(sample_job(2));
    throw std::runtime_error("the run failed");
  } catch (const std::runtime_error&) {
  }
  ResultsFile got = read_results(path);
  EXPECT_EQ(got.attributes["status"], "running");
  ASSERT_EQ(got.jobs.size(), 2u);
  expect_equal(got.jobs[1], sample_job(2));
}

TEST(Hdf5Results, SetAttributeReplacesTheOldValue) {
  std::string path = scratch_file("attributes.h5");
  Hdf5ResultsWriter writer(path, {{"policy", "fifo"}});
  writer.set_attribute("policy", "a-much-longer-policy-name-than-before");
  writer.set_attribute("finished_at", "2024-05-01T12:00:00Z");
  EXPECT_EQ(read_results(path).attributes["policy"], "a-much-longer-policy-name-than-before");
  writer.set_attribute("policy", "las");
  writer.close();
  ResultsFile got = read_results(path);
  EXPECT_EQ(got.attributes["policy"], "las");
  EXPECT_EQ(got.attributes["finished_at"], "2024-05-01T12:00:00Z");
}

TEST(Hdf5Results, FlushMakesRowsVisibleToASecondReader) {
  std::string path = scratch_file("visible.h5");
  Hdf5ResultsWriter writer(path, {});
  writer.job(sample_job(1));
  writer.allocation(sample_allocation(1));
  // Buffered rows are not in the file yet.
  EXPECT_TRUE(read_results(path).jobs.empty());
  writer.flush();
  ResultsFile got = read_results(path);
  ASSERT_EQ(got.jobs.size(), 1u);
  expect_equal(got.jobs[0], sample_job(1));
  ASSERT_EQ(got.allocations.size(), 1u);
  writer.job(sample_job(2));
  writer.flush();
  EXPECT_EQ(read_results(path).jobs.size(), 2u);
  writer.close();
}

TEST(Hdf5Results, RoundDoneFlushesAtMostOncePerInterval) {
  std::string every_round = scratch_file("every.h5");
  std::string hourly = scratch_file("hourly.h5");
  Hdf5ResultsWriter eager(every_round, {}, 0);
  Hdf5ResultsWriter lazy(hourly, {}, 3600);
  eager.round(sample_round(1));
  lazy.round(sample_round(1));
  eager.round_done();
  lazy.round_done();
  EXPECT_EQ(read_results(every_round).rounds.size(), 1u);
  EXPECT_TRUE(read_results(hourly).rounds.empty());
  lazy.flush();
  EXPECT_EQ(read_results(hourly).rounds.size(), 1u);
  eager.close();
  lazy.close();
}

// The reader runs in this process and the writer in a child that keeps the file open, so the
// reader sees only what reached the disk (no shared HDF5 state) and no file lock is in the way.
TEST(Hdf5Results, AnotherProcessReadsFlushedRowsWhileTheWriterIsOpen) {
  std::string path = scratch_file("live.h5");
  int to_parent[2];
  int to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      Hdf5ResultsWriter writer(path, {});
      for (std::uint32_t i = 0; i < 100; ++i) writer.progress(sample_progress(i));
      writer.flush();
      writer.progress(sample_progress(100));  // buffered only
      char go = 1;
      if (write(to_parent[1], &go, 1) != 1 || read(to_child[0], &go, 1) != 1) code = 2;
      writer.close();
    } catch (...) {
      code = 1;
    }
    _exit(code);
  }
  char token = 0;
  ASSERT_EQ(read(to_parent[0], &token, 1), 1);
  ResultsFile live = read_results(path);
  EXPECT_EQ(live.attributes["status"], "running");
  ASSERT_EQ(live.progress.size(), 100u);
  expect_equal(live.progress[99], sample_progress(99));
  ASSERT_EQ(write(to_child[1], &token, 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ResultsFile done = read_results(path);
  EXPECT_EQ(done.attributes["status"], "complete");
  EXPECT_EQ(done.progress.size(), 101u);
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) close(fd);
}

TEST(Hdf5Results, FileStaysValidWhenTheWriterIsKilledAfterAFlush) {
  std::string path = scratch_file("killed.h5");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      Hdf5ResultsWriter writer(path, {{"mode", "emulate"}});
      for (std::uint32_t i = 0; i < 1000; ++i) writer.allocation(sample_allocation(i));
      writer.round_done();
      for (std::uint32_t i = 1000; i < 1100; ++i) writer.allocation(sample_allocation(i));
      kill(getpid(), SIGKILL);  // no destructor, no atexit: as if the job hit its time limit
    } catch (...) {
    }
    _exit(1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ResultsFile got = read_results(path);
  EXPECT_EQ(got.attributes["status"], "running");
  EXPECT_EQ(got.attributes["mode"], "emulate");
  ASSERT_EQ(got.allocations.size(), 1000u);
  expect_equal(got.allocations[999], sample_allocation(999));
}

TEST(Hdf5Results, ManyRowsRoundTrip) {
  std::string path = scratch_file("many.h5");
  constexpr std::uint32_t kRows = 200000;
  {
    Hdf5ResultsWriter writer(path, {});
    for (std::uint32_t i = 0; i < kRows; ++i) {
      writer.allocation(sample_allocation(i));
      writer.progress(sample_progress(i));
      if (i % 5000 == 0) writer.job(sample_job(i / 5000));
      if (i % 7919 == 0) writer.round_done();
    }
    writer.close();
  }
  ResultsFile got = read_results(path);
  ASSERT_EQ(got.allocations.size(), kRows);
  ASSERT_EQ(got.progress.size(), kRows);
  ASSERT_EQ(got.jobs.size(), 40u);
  for (std::uint32_t i = 0; i < kRows; i += 997) {
    expect_equal(got.allocations[i], sample_allocation(i));
    expect_equal(got.progress[i], sample_progress(i));
  }
  expect_equal(got.allocations.back(), sample_allocation(kRows - 1));
  expect_equal(got.progress.back(), sample_progress(kRows - 1));
  expect_equal(got.jobs.back(), sample_job(39));
}

TEST(Hdf5Results, MissingFileIsAnInputError) {
  expect_input_error(scratch_file("does-not-exist.h5"));
}

TEST(Hdf5Results, NonHdf5FileIsAnInputError) {
  expect_input_error(test::write_scratch_file("trace.csv", "job_id,submit_time\nj1,0\n"));
  expect_input_error(test::write_scratch_file("empty.h5", ""));
  std::string noise;
  for (int i = 0; i < 5000; ++i) noise += static_cast<char>((i * 7919 + 13) % 251);
  std::string path = scratch_file("noise.h5");
  write_bytes(path, noise);
  expect_input_error(path);
}

TEST(Hdf5Results, TruncatedFileIsAnInputError) {
  std::string bytes = read_bytes(write_small_file("whole.h5"));
  ASSERT_GT(bytes.size(), 4096u);
  for (std::size_t keep : {std::size_t{8}, std::size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(keep);
    std::string path = scratch_file("cut-" + std::to_string(keep) + ".h5");
    write_bytes(path, bytes.substr(0, keep));
    expect_input_error(path);
  }
}

TEST(Hdf5Results, GarbageInTheHeaderIsAnInputError) {
  std::string bytes = read_bytes(write_small_file("whole.h5"));
  // Past the 8-byte signature: the superblock's versions, sizes and addresses. (Not deeper:
  // HDF5 1.10 itself, and so h5py, can crash on some corrupt object headers.)
  for (std::size_t i = 8; i < 96; ++i) bytes[i] = static_cast<char>(0xA5);
  std::string path = scratch_file("garbage.h5");
  write_bytes(path, bytes);
  expect_input_error(path);
}

TEST(Hdf5Results, Hdf5FileOfAnotherProgramIsAnInputError) {
  std::string path = scratch_file("other.h5");
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  H5Fclose(file);
  try {
    read_results(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a dlsched results file"), std::string::npos)
        << e.what();
  }
}

TEST(Hdf5Results, UncreatableFileIsAnErrorNamingIt) {
  std::string path = scratch_file("no-such-dir/run.h5");
  try {
    Hdf5ResultsWriter writer(path, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dlsched
