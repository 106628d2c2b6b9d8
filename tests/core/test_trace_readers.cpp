// Trace readers against the bundled samples (expected values read off the files by hand)
// and against small broken files written on the fly.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/csv.h"
#include "core/error.h"
#include "core/trace.h"
#include "core/trace_stats.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

using test::trace_path;
using test::write_scratch_file;

// Runs `read` and returns the InputError's message; fails the test if nothing is thrown.
template <class Fn>
std::string input_error_of(Fn&& read) {
  try {
    read();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected InputError, nothing was thrown";
  return {};
}

std::string error_reading(const std::string& path, const std::string& format = "auto") {
  TraceOptions options;
  options.format = format;
  return input_error_of([&] { read_trace(path, options); });
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

const JobSpec& job_by_id(const Trace& trace, const std::string& id) {
  for (const auto& job : trace.jobs)
    if (job.id == id) return job;
  throw std::runtime_error("no job " + id);
}

void expect_same_job(const JobSpec& a, const JobSpec& b) {
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.submit_time, b.submit_time) << a.id;
  EXPECT_EQ(a.model, b.model) << a.id;
  EXPECT_EQ(a.num_gpus, b.num_gpus) << a.id;
  EXPECT_EQ(a.iterations, b.iterations) << a.id;
  EXPECT_EQ(a.duration, b.duration) << a.id;
  EXPECT_EQ(a.user, b.user) << a.id;
  EXPECT_EQ(a.priority, b.priority) << a.id;
  EXPECT_EQ(a.batch_size, b.batch_size) << a.id;
}

void expect_sorted_and_indexed(const Trace& trace) {
  for (std::size_t i = 0; i < trace.jobs.size(); ++i) {
    EXPECT_EQ(trace.jobs[i].index, i);
    if (i > 0) {
      EXPECT_LE(trace.jobs[i - 1].submit_time, trace.jobs[i].submit_time);
    }
  }
}

// ---- bundled samples -------------------------------------------------------------------

TEST(TraceReaders, TiresiasSample) {
  const Trace trace = read_trace(trace_path("tiresias-60_job.csv"));
  EXPECT_EQ(trace.format, "tiresias");
  ASSERT_EQ(trace.jobs.size(), 60u);
  expect_sorted_and_indexed(trace);
  // Line 3: 1,8,30,133,vgg11,147,23
  const JobSpec& job = trace.jobs[1];
  EXPECT_EQ(job.id, "1");
  EXPECT_EQ(job.num_gpus, 8);
  EXPECT_EQ(job.submit_time, 30);
  EXPECT_EQ(job.iterations, 133);
  EXPECT_EQ(job.model, "vgg11");
  EXPECT_EQ(job.duration, 147);
  EXPECT_EQ(job.source_line, 3);
  EXPECT_EQ(job.priority, 1);
  EXPECT_TRUE(job.user.empty());
  // Last line (CRLF): 59,1,1779,525,inception3,122,33
  const JobSpec& last = trace.jobs.back();
  EXPECT_EQ(last.id, "59");
  EXPECT_EQ(last.model, "inception3");
  EXPECT_EQ(last.submit_time, 1779);
  EXPECT_EQ(last.duration, 122);
}

TEST(TraceReaders, DigestIsTheSha256OfTheFileBytes) {
  // Expected value from coreutils' sha256sum of the same bytes.
  const std::string path = write_scratch_file(
      "digest.csv",
      "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n0,1,0,10,vgg19,10,1\n");
  EXPECT_EQ(read_trace(path).sha256,
            "36a4a93c015d4341a640681e0c6ad37a61e4e185bc67f537a530b683a3a1610b");
}

TEST(TraceReaders, GavelSmallSample) {
  const Trace trace = read_trace(trace_path("gavel-small_test.trace"));
  EXPECT_EQ(trace.format, "gavel");
  ASSERT_EQ(trace.jobs.size(), 20u);
  expect_sorted_and_indexed(trace);
  // Every arrival time is 0, so the stable sort keeps file order.
  // Line 4: ResNet-18 (batch size 32) ... --num_steps 1 3948 2 1 -1.000000 0
  const JobSpec& job = trace.jobs[3];
  EXPECT_EQ(job.id, "3");
  EXPECT_EQ(job.model, "ResNet-18 (batch size 32)");
  EXPECT_EQ(job.iterations, 3948);
  EXPECT_EQ(job.num_gpus, 2);
  EXPECT_EQ(job.priority, 1);
  EXPECT_EQ(job.submit_time, 0);
  EXPECT_FALSE(job.duration.has_value());
  EXPECT_EQ(job.source_line, 4);
  EXPECT_EQ(trace.jobs[0].model, "Transformer (batch size 128)");
  EXPECT_EQ(trace.jobs[0].iterations, 346);
}

TEST(TraceReaders, GavelMediumSample) {
  const Trace trace = read_trace(trace_path("gavel-medium_test.trace"));
  EXPECT_EQ(trace.format, "gavel");
  ASSERT_EQ(trace.jobs.size(), 20u);
  EXPECT_EQ(trace.jobs[0].iterations, 20776);
  EXPECT_EQ(trace.jobs[1].model, "Recommendation (batch size 8192)");
  EXPECT_EQ(trace.jobs[1].iterations, 2168);
}

TEST(TraceReaders, GavelTwelveFieldVariant) {
  // job_type, command, working_directory, num_steps_arg, needs_data_dir, total_steps,
  // scale_factor, mode, priority_weight, SLO, duration, arrival_time
  const std::string path = write_scratch_file(
      "twelve.trace",
      "ResNet-50 (batch size 64)\tpython3 main.py\timagenet\t--num_steps\t1\t5000\t4\tstatic\t"
      "2\t-1\t3600.5\t120\n"
      "LM (batch size 20)\tpython3 main.py\tlm\t--steps\t1\t700\t1\taccordion\t1\t-1\tNone\t30\n");
  const Trace trace = read_trace(path);
  EXPECT_EQ(trace.format, "gavel");
  ASSERT_EQ(trace.jobs.size(), 2u);
  // Sorted by arrival: line 2 (t=30) comes first.
  const JobSpec& lm = trace.jobs[0];
  EXPECT_EQ(lm.id, "1");
  EXPECT_EQ(lm.submit_time, 30);
  EXPECT_FALSE(lm.duration.has_value());
  const JobSpec& resnet = trace.jobs[1];
  EXPECT_EQ(resnet.id, "0");
  EXPECT_EQ(resnet.model, "ResNet-50 (batch size 64)");
  EXPECT_EQ(resnet.iterations, 5000);
  EXPECT_EQ(resnet.num_gpus, 4);
  EXPECT_EQ(resnet.priority, 2);
  EXPECT_EQ(resnet.duration, 3600.5);
  EXPECT_EQ(resnet.submit_time, 120);
}

TEST(TraceReaders, PolluxSample) {
  const Trace trace = read_trace(trace_path("pollux-workload-1.csv"));
  EXPECT_EQ(trace.format, "pollux");
  ASSERT_EQ(trace.jobs.size(), 160u);
  expect_sorted_and_indexed(trace);
  // Line 2: cifar10-0,107,cifar10,6,2048
  const JobSpec& first = trace.jobs[0];
  EXPECT_EQ(first.id, "cifar10-0");
  EXPECT_EQ(first.submit_time, 107);
  EXPECT_EQ(first.model, "cifar10");
  EXPECT_EQ(first.num_gpus, 6);
  EXPECT_EQ(first.batch_size, 2048);
  EXPECT_EQ(first.iterations, 0);  // filled later from the catalog
  EXPECT_FALSE(first.duration.has_value());
  // Line 5: deepspeech2-3,262,deepspeech2,12,640
  const JobSpec& ds = job_by_id(trace, "deepspeech2-3");
  EXPECT_EQ(ds.submit_time, 262);
  EXPECT_EQ(ds.num_gpus, 12);
  EXPECT_EQ(ds.batch_size, 640);
  EXPECT_EQ(ds.source_line, 5);
  EXPECT_EQ(trace.jobs.back().id, "ncf-159");
  EXPECT_EQ(trace.jobs.back().submit_time, 27695);
}

TEST(TraceReaders, PhillySample) {
  const Trace trace = read_trace(trace_path("philly-82k.csv"));
  EXPECT_EQ(trace.format, "philly");
  ASSERT_EQ(trace.jobs.size(), 82247u);
  expect_sorted_and_indexed(trace);
  // The earliest row is data row 31566 (line 31568): 2017-09-04 10:30:41,2240194.0,8,...,7f04ca
  const JobSpec& first = trace.jobs[0];
  EXPECT_EQ(first.id, "31566");
  EXPECT_EQ(first.source_line, 31568);
  EXPECT_EQ(first.submit_time, 0);
  EXPECT_EQ(first.duration, 2240194);
  EXPECT_EQ(first.num_gpus, 8);
  EXPECT_EQ(first.user, "7f04ca");
  EXPECT_EQ(first.model, "ResNet-50");
  EXPECT_EQ(first.iterations, 0);
  // Line 2: 2017-10-09 07:01:55,66.0,1,66.0,11cb48 -> 3011474 s after 2017-09-04 10:30:41.
  const JobSpec& row0 = job_by_id(trace, "0");
  EXPECT_EQ(row0.source_line, 2);
  EXPECT_EQ(row0.submit_time, 3011474);
  EXPECT_EQ(row0.duration, 66);
  EXPECT_EQ(row0.user, "11cb48");
  // The latest row, 2017-12-22 08:02:11, is 9408690 s after the earliest.
  EXPECT_EQ(trace.jobs.back().submit_time, 9408690);
}

TEST(TraceReaders, PhillyUsesDefaultModel) {
  const std::string path = write_scratch_file(
      "philly.csv",
      "timestamp,duration,num_gpus,gpu_time,cluster\n"
      "2017-10-09 07:01:55,66.0,1,66.0,11cb48\n"
      "2016-02-29 23:59:59,10,4,40,abc\n");
  TraceOptions options;
  options.default_model = "VGG-16";
  const Trace trace = read_trace(path, options);
  ASSERT_EQ(trace.jobs.size(), 2u);
  EXPECT_EQ(trace.jobs[0].model, "VGG-16");
  EXPECT_EQ(trace.jobs[0].id, "1");
  EXPECT_EQ(trace.jobs[0].submit_time, 0);
  // 2016-02-29 23:59:59 .. 2017-10-09 07:01:55: 587 days + 7:01:56 (a leap day at the start).
  EXPECT_EQ(trace.jobs[1].submit_time, 587.0 * 86400 + 7 * 3600 + 1 * 60 + 56);
}

#ifdef NDEBUG
TEST(TraceReaders, PhillyLoadsQuickly) {
  // The target is 0.3 s in a Release build; the bound here leaves room for a busy machine.
  const auto start = std::chrono::steady_clock::now();
  const Trace trace = read_trace(trace_path("philly-82k.csv"));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(trace.jobs.size(), 82247u);
  EXPECT_LT(took.count(), 1.0);
  RecordProperty("philly_load_seconds", std::to_string(took.count()));
}
#endif

struct SampleFormat {
  const char* file;
  const char* format;
};
// Lets GoogleTest name the parameter instead of dumping its bytes.
void PrintTo(const SampleFormat& sample, std::ostream* out) { *out << sample.file; }

class TraceDetection : public ::testing::TestWithParam<SampleFormat> {};

TEST_P(TraceDetection, PicksTheRightReader) {
  EXPECT_EQ(read_trace(trace_path(GetParam().file)).format, GetParam().format);
}

INSTANTIATE_TEST_SUITE_P(
    Samples, TraceDetection,
    ::testing::Values(SampleFormat{"tiresias-60_job.csv", "tiresias"},
                      SampleFormat{"gavel-small_test.trace", "gavel"},
                      SampleFormat{"gavel-medium_test.trace", "gavel"},
                      SampleFormat{"pollux-workload-1.csv", "pollux"},
                      SampleFormat{"philly-82k.csv", "philly"}),
    [](const auto& info) { return std::string(info.param.format) + std::to_string(info.index); });

TEST(TraceReaders, FormatsListedInDetectionOrder) {
  EXPECT_EQ(trace_formats(),
            (std::vector<std::string>{"dlsched", "tiresias", "pollux", "philly", "gavel"}));
}

TEST(TraceReaders, RegisteringAnExistingNameIsRefused) {
  EXPECT_FALSE(register_trace_format(
      "tiresias", [](const auto&) { return true; },
      [](const auto&, const auto&, const auto&) { return std::vector<JobSpec>{}; }));
  EXPECT_EQ(read_trace(trace_path("tiresias-60_job.csv")).jobs.size(), 60u);
}

TEST(TraceReaders, ExplicitFormatIsUsed) {
  TraceOptions options;
  options.format = "tiresias";
  EXPECT_EQ(read_trace(trace_path("tiresias-60_job.csv"), options).format, "tiresias");
  const std::string path = trace_path("tiresias-60_job.csv");
  const std::string message = error_reading(path, "pollux");
  EXPECT_TRUE(starts_with(message, path + ":1: not a pollux header: missing column 'name'"))
      << message;
}

TEST(TraceReaders, UnknownFormatNameListsKnownOnes) {
  const std::string message = error_reading(trace_path("tiresias-60_job.csv"), "slurm");
  EXPECT_NE(message.find("unknown trace format 'slurm'"), std::string::npos) << message;
  for (const char* name : {"dlsched", "tiresias", "pollux", "philly", "gavel"})
    EXPECT_NE(message.find(name), std::string::npos) << message;
}

TEST(TraceReaders, UnrecognisedContentListsKnownFormats) {
  const std::string path = write_scratch_file("odd.csv", "\nfoo,bar\n1,2\n");
  const std::string message = error_reading(path);
  EXPECT_TRUE(starts_with(message, path + ":2: unrecognised trace format")) << message;
  EXPECT_NE(message.find("known formats: dlsched, tiresias, pollux, philly, gavel"),
            std::string::npos)
      << message;
}

TEST(TraceReaders, MissingFileCannotBeOpened) {
  const std::string path = test::scratch_dir() + "/absent.csv";
  const std::string message = error_reading(path);
  EXPECT_TRUE(starts_with(message, path + ": cannot open")) << message;
  EXPECT_NE(error_reading(test::scratch_dir()).find("cannot open"), std::string::npos);
}

TEST(TraceReaders, EmptyFileIsAnError) {
  const std::string path = write_scratch_file("empty.csv", "\n\n");
  EXPECT_TRUE(starts_with(error_reading(path), path + ":1:"));
  const std::string header_only =
      write_scratch_file("header.csv", "job_id,submit_time,model,num_gpus,iterations\n");
  EXPECT_EQ(error_reading(header_only), header_only + ":1: the trace has no jobs");
}

// ---- broken rows ---------------------------------------------------------------------------

TEST(TraceReaders, TiresiasBadRowNamesColumnAndLine) {
  const std::string path = write_scratch_file(
      "tiresias.csv",
      "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\r\n"
      "0,1,0,606,vgg19,164,30\r\n"
      "1,x,30,133,vgg11,147,23\r\n");
  EXPECT_EQ(error_reading(path),
            path + ":3: column 'num_gpu': expected a positive integer, got \"x\"");
}

TEST(TraceReaders, TiresiasRejectsZeroGpusAndNegativeTimes) {
  const std::string header = "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n";
  const std::string zero = write_scratch_file("zero.csv", header + "0,0,0,606,vgg19,164,30\n");
  EXPECT_EQ(error_reading(zero),
            zero + ":2: column 'num_gpu': expected a positive integer, got \"0\"");
  const std::string neg = write_scratch_file("neg.csv", header + "\n0,1,-5,606,vgg19,164,30\n");
  EXPECT_EQ(error_reading(neg),
            neg + ":3: column 'submit_time': expected a non-negative number, got \"-5\"");
  const std::string frac = write_scratch_file("frac.csv", header + "0,1.5,0,606,vgg19,164,30\n");
  EXPECT_TRUE(starts_with(error_reading(frac), frac + ":2: column 'num_gpu'"));
}

TEST(TraceReaders, GavelBadRows) {
  const std::string good =
      "ResNet-18 (batch size 32)\tpython3 main.py\tcifar10\t--num_steps\t1\t3948\t2\t1\t-1\t0\n";
  const std::string few = write_scratch_file("few.trace", good + "A\tb\tc\t1\t2\n");
  EXPECT_EQ(error_reading(few),
            few + ":2: expected 10 or 12 tab-separated fields (Gavel trace), got 5");
  const std::string zero = write_scratch_file(
      "zero.trace", good + good + "X\tpython3 x.py\tx\t-n\t1\t10\t0\t1\t-1\t0\n");
  EXPECT_EQ(error_reading(zero),
            zero + ":3: column 'scale_factor': expected a positive integer, got \"0\"");
  const std::string steps = write_scratch_file(
      "steps.trace", good + "X\tpython3 x.py\tx\t-n\t1\t-10\t1\t1\t-1\t0\n");
  EXPECT_EQ(error_reading(steps),
            steps + ":2: column 'total_steps': expected a non-negative number, got \"-10\"");
}

TEST(TraceReaders, PolluxBadRow) {
  const std::string path = write_scratch_file(
      "pollux.csv",
      "name,time,application,num_replicas,batch_size\n"
      "cifar10-0,107,cifar10,6,2048\n"
      "ncf-1,inf,ncf,1,32768\n");
  EXPECT_EQ(error_reading(path),
            path + ":3: column 'time': expected a non-negative number, got \"inf\"");
}

TEST(TraceReaders, PhillyBadTimestamp) {
  const std::string path = write_scratch_file(
      "philly.csv",
      "timestamp,duration,num_gpus,gpu_time,cluster\n"
      "2017-10-09 07:01:55,66.0,1,66.0,11cb48\n"
      "\n"
      "2017-13-01 00:00:00,66.0,1,66.0,11cb48\n");
  EXPECT_EQ(error_reading(path), path +
                                     ":4: column 'timestamp': expected a time like 2017-10-09 "
                                     "07:01:55, got \"2017-13-01 00:00:00\"");
}

TEST(TraceReaders, DlschedBadRows) {
  const std::string header = "job_id,submit_time,model,num_gpus,iterations,duration\n";
  const std::string neg_iter = write_scratch_file("a.csv", header + "a,0,m,1,-5,\n");
  EXPECT_EQ(error_reading(neg_iter),
            neg_iter + ":2: column 'iterations': expected a non-negative number, got \"-5\"");
  const std::string no_work = write_scratch_file("b.csv", header + "a,0,m,1,,\n");
  EXPECT_EQ(error_reading(no_work),
            no_work + ":2: column 'iterations': expected a non-negative number (or a "
                      "duration), got \"\"");
  const std::string nan = write_scratch_file("c.csv", header + "a,nan,m,1,5,\n");
  EXPECT_TRUE(starts_with(error_reading(nan), nan + ":2: column 'submit_time'"));
  const std::string no_model = write_scratch_file("d.csv", header + "a,0, ,1,5,\n");
  EXPECT_TRUE(starts_with(error_reading(no_model), no_model + ":2: column 'model'"));
  const std::string width = write_scratch_file("e.csv", header + "a,0,m,1,5\n");
  EXPECT_EQ(error_reading(width), width + ":2: expected 6 fields like the header, got 5");
  const std::string quote = write_scratch_file("f.csv", header + "a,0,\"m,1,5,\n");
  EXPECT_EQ(error_reading(quote), quote + ":2: unterminated quoted field");
}

TEST(TraceReaders, DuplicateJobIdsAreAnError) {
  const std::string path = write_scratch_file(
      "dup.csv",
      "job_id,submit_time,model,num_gpus,iterations\n"
      "a,0,m,1,5\n"
      "b,1,m,1,5\n"
      "a,2,m,1,5\n");
  EXPECT_EQ(error_reading(path), path + ":4: duplicate job id 'a' (first used on line 2)");
}

TEST(TraceReaders, DuplicateHeaderColumnIsAnError) {
  const std::string path = write_scratch_file(
      "duph.csv", "job_id,submit_time,model,num_gpus,iterations,model\na,0,m,1,5,n\n");
  EXPECT_EQ(error_reading(path), path + ":1: column 'model' appears twice in the header");
}

// ---- canonical format ----------------------------------------------------------------------

TEST(TraceReaders, DlschedHeaderWithByteOrderMarkAndCapitals) {
  // A spreadsheet export: BOM, capitalised names, CRLF. Without a duration column an empty
  // iterations cell cannot be filled in, so line 3 is an error.
  const std::string path = write_scratch_file(
      "bom.csv",
      "\xEF\xBB\xBFJob_ID,Submit_Time,Model,Num_GPUs,Iterations\r\n"
      "j1,0,m,1,10\r\n"
      "j2,3,m,1,\r\n");
  EXPECT_EQ(error_reading(path), path +
                                     ":3: column 'iterations': expected a non-negative number "
                                     "(or a duration), got \"\"");
}

TEST(TraceReaders, DlschedOptionalColumns) {
  const std::string path = write_scratch_file(
      "canon.csv",
      "Model,num_gpus,iterations,submit_time,job_id,priority,user,batch_size,duration,note\r\n"
      "\"ResNet-50, v1.5\",4,1000,10.5,j1,2,alice,256,,ignored\r\n"
      "BERT,1,,3,j2,,,,7200,\r\n"
      "\r\n");
  const Trace trace = read_trace(path);
  EXPECT_EQ(trace.format, "dlsched");
  ASSERT_EQ(trace.jobs.size(), 2u);
  const JobSpec& bert = trace.jobs[0];
  EXPECT_EQ(bert.id, "j2");
  EXPECT_EQ(bert.iterations, 0);
  EXPECT_EQ(bert.duration, 7200);
  EXPECT_EQ(bert.priority, 1);
  EXPECT_TRUE(bert.user.empty());
  EXPECT_FALSE(bert.batch_size.has_value());
  const JobSpec& resnet = trace.jobs[1];
  EXPECT_EQ(resnet.id, "j1");
  EXPECT_EQ(resnet.model, "ResNet-50, v1.5");
  EXPECT_EQ(resnet.num_gpus, 4);
  EXPECT_EQ(resnet.iterations, 1000);
  EXPECT_EQ(resnet.submit_time, 10.5);
  EXPECT_EQ(resnet.priority, 2);
  EXPECT_EQ(resnet.user, "alice");
  EXPECT_EQ(resnet.batch_size, 256);
  EXPECT_FALSE(resnet.duration.has_value());
}

TEST(TraceReaders, SortsBySubmitTimeKeepingTiesInFileOrder) {
  const std::string path = write_scratch_file(
      "order.csv",
      "job_id,submit_time,model,num_gpus,iterations\n"
      "a,5,m,1,1\n"
      "b,1,m,1,1\n"
      "c,5,m,1,1\n"
      "d,0,m,1,1\n"
      "e,5,m,1,1\n");
  const Trace trace = read_trace(path);
  std::vector<std::string> order;
  for (const auto& job : trace.jobs) order.push_back(job.id);
  EXPECT_EQ(order, (std::vector<std::string>{"d", "b", "a", "c", "e"}));
  expect_sorted_and_indexed(trace);
  EXPECT_EQ(trace.jobs[0].source_line, 5);
}

class CanonicalRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(CanonicalRoundTrip, WriteThenReadGivesEqualJobs) {
  const Trace original = read_trace(trace_path(GetParam()));
  std::ostringstream text;
  write_canonical_csv(original, text);
  const std::string path = write_scratch_file("canonical.csv", text.str());
  const Trace copy = read_trace(path);
  EXPECT_EQ(copy.format, "dlsched");
  ASSERT_EQ(copy.jobs.size(), original.jobs.size());
  for (std::size_t i = 0; i < copy.jobs.size(); ++i) expect_same_job(copy.jobs[i], original.jobs[i]);
}

INSTANTIATE_TEST_SUITE_P(Samples, CanonicalRoundTrip,
                         ::testing::Values("tiresias-60_job.csv", "gavel-small_test.trace",
                                           "pollux-workload-1.csv", "philly-82k.csv"),
                         [](const auto& info) { return "sample" + std::to_string(info.index); });

TEST(TraceReaders, CanonicalRoundTripOfAwkwardValues) {
  Trace trace;
  JobSpec a;
  a.id = "job \"one\", first";
  a.submit_time = 0.1;
  a.model = "model, \"v2\"";
  a.num_gpus = 3;
  a.iterations = 1e7 + 0.25;
  a.duration = 1.0 / 3.0;
  a.user = "u,1";
  a.priority = 0.5;
  JobSpec b;
  b.index = 1;
  b.id = "2";
  b.submit_time = 123456789.125;
  b.model = "m";
  b.iterations = 1;
  trace.jobs = {a, b};
  std::ostringstream text;
  write_canonical_csv(trace, text);
  EXPECT_EQ(text.str().substr(0, text.str().find('\n')),
            "job_id,submit_time,model,num_gpus,iterations,duration,user,priority");
  const Trace copy = read_trace(write_scratch_file("awkward.csv", text.str()));
  ASSERT_EQ(copy.jobs.size(), 2u);
  expect_same_job(copy.jobs[0], a);
  expect_same_job(copy.jobs[1], b);
}

// Found by the trace_gavel fuzz target: a Gavel job type ending in a carriage return (a byte
// the line splitter keeps when it is not at the end of the line) was kept in the model name,
// and the canonical CSV, whose reader trims names, read back another model.
TEST(TraceReaders, GavelJobTypeEdgeBlanksAreDroppedSoTheCanonicalCsvReadsBack) {
  const std::string path = write_scratch_file(
      "edges.trace",
      "Transformer (batch size 256)\xff\r\tpython3 x.py\tx\t-n\t1\t10\t1\t1\t-1\t0\n"
      "  LM (batch size 20) \tpython3 x.py\tx\t-n\t1\t10\t1\t1\t-1\t5\n");
  TraceOptions gavel;
  gavel.format = "gavel";
  const Trace trace = read_trace(path, gavel);
  ASSERT_EQ(trace.jobs.size(), 2u);
  EXPECT_EQ(trace.jobs[0].model, "Transformer (batch size 256)\xff");
  EXPECT_EQ(trace.jobs[1].model, "LM (batch size 20)");
  std::ostringstream text;
  write_canonical_csv(trace, text);
  const Trace copy = read_trace(write_scratch_file("edges.csv", text.str()));
  ASSERT_EQ(copy.jobs.size(), 2u);
  for (std::size_t i = 0; i < copy.jobs.size(); ++i) expect_same_job(copy.jobs[i], trace.jobs[i]);
}

// ---- digest and stats ------------------------------------------------------------------------

TEST(TraceReaders, Sha256MatchesSha256sum) {
  // Values from `sha256sum` on the same bytes.
  const std::string path = write_scratch_file(
      "digest.csv", "job_id,submit_time,model,num_gpus,iterations\nj1,0,ResNet-50,1,100\n");
  EXPECT_EQ(read_trace(path).sha256,
            "dc3cbd69b7fe501b623c5780461e3a7b7a19fa5de1e358f281a7223047d4f7f3");
  EXPECT_EQ(read_trace(trace_path("tiresias-60_job.csv")).sha256,
            "17575949a6e570960db42bc5576739de9c334ed4c664859841c4f01ede38bd1b");
}

TEST(TraceReaders, PathIsRecorded) {
  const std::string path = trace_path("pollux-workload-1.csv");
  EXPECT_EQ(read_trace(path).path, path);
}

TEST(TraceStats, TiresiasSummary) {
  const TraceStats stats = summarize(read_trace(trace_path("tiresias-60_job.csv")));
  EXPECT_EQ(stats.jobs, 60);
  EXPECT_EQ(stats.total_gpu_demand, 170);
  EXPECT_EQ(stats.first_submit, 0);
  EXPECT_EQ(stats.last_submit, 1779);
  EXPECT_EQ(stats.arrival_span, 1779);
  EXPECT_EQ(stats.total_iterations, 43825);
  EXPECT_EQ(stats.jobs_with_iterations, 60);
  EXPECT_EQ(stats.total_duration_gpu_seconds, 26624);
  EXPECT_EQ(stats.jobs_with_duration, 60);
  long counted = 0;
  for (const auto& [gpus, count] : stats.gpu_histogram) counted += count;
  EXPECT_EQ(counted, 60);
  EXPECT_EQ(stats.model_histogram.count("vgg19"), 1u);
  const std::string text = format_stats(stats);
  EXPECT_NE(text.find("jobs:               60\n"), std::string::npos) << text;
  EXPECT_NE(text.find("170 GPUs"), std::string::npos) << text;
}

TEST(TraceStats, PhillySummary) {
  const TraceStats stats = summarize(read_trace(trace_path("philly-82k.csv")));
  EXPECT_EQ(stats.jobs, 82247);
  EXPECT_EQ(stats.total_gpu_demand, 107235);
  EXPECT_EQ(stats.gpu_histogram.at(1), 76627);
  EXPECT_EQ(stats.gpu_histogram.at(128), 3);
  EXPECT_EQ(stats.arrival_span, 9408690);
  EXPECT_EQ(stats.total_duration_gpu_seconds, 3521082502.0);
  EXPECT_EQ(stats.jobs_with_iterations, 0);
  EXPECT_EQ(stats.model_histogram.at("ResNet-50"), 82247);
}

TEST(TraceStats, EmptyTrace) {
  const TraceStats stats = summarize(Trace{});
  EXPECT_EQ(stats.jobs, 0);
  EXPECT_EQ(format_stats(stats), "jobs:               0\n");
}

// ---- CSV helpers ---------------------------------------------------------------------------

TEST(CsvSplit, QuotedFieldsAndCarriageReturn) {
  std::vector<std::string> fields;
  csv::split_line("a,\"b,c\",\"say \"\"hi\"\"\",,e\r", fields, "f", 1);
  EXPECT_EQ(fields, (std::vector<std::string>{"a", "b,c", "say \"hi\"", "", "e"}));
  csv::split_line("", fields, "f", 1);
  EXPECT_EQ(fields, (std::vector<std::string>{""}));
  csv::split_line("x,", fields, "f", 1);
  EXPECT_EQ(fields, (std::vector<std::string>{"x", ""}));
  EXPECT_THROW(csv::split_line("\"ab\"c,d", fields, "f", 1), InputError);
}

TEST(CsvNumbers, ParseAndReport) {
  const std::string file = "t.csv";
  EXPECT_EQ(csv::parse_positive_int(" 4 ", {file, 7, "num_gpus"}), 4);
  EXPECT_EQ(csv::parse_positive_int("8.0", {file, 7, "num_gpus"}), 8);
  EXPECT_EQ(csv::parse_non_negative("+2.5", {file, 7, "x"}), 2.5);
  EXPECT_EQ(csv::parse_number("-1.000000", {file, 7, "SLO"}), -1);
  EXPECT_FALSE(csv::parse_optional_non_negative("  ", {file, 7, "duration"}).has_value());
  const std::string message =
      input_error_of([&] { csv::parse_positive_int("x", {file, 7, "num_gpus"}); });
  EXPECT_EQ(message, "t.csv:7: column 'num_gpus': expected a positive integer, got \"x\"");
  EXPECT_THROW(csv::parse_number("1e999", {file, 1, "x"}), InputError);
  EXPECT_THROW(csv::parse_number("12abc", {file, 1, "x"}), InputError);
  EXPECT_THROW(csv::parse_positive("0", {file, 1, "x"}), InputError);
}

TEST(CsvQuote, OnlyWhenNeeded) {
  EXPECT_EQ(csv::quote("plain"), "plain");
  EXPECT_EQ(csv::quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv::quote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv::quote(" x"), "\" x\"");
}

}  // namespace
}  // namespace dlsched
