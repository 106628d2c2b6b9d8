#include "core/trace.h"

#include <nettle/sha2.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string_view>
#include <utility>

#include "core/csv.h"
#include "core/error.h"

namespace dlsched {

namespace {

struct TraceFormat {
  std::string name;
  TraceDetector detect;
  TraceParser parse;
};

// Readers register from static initialisers in their own files, and the order in which
// those run depends on the link order. Detection must not, so formats are kept sorted by a
// fixed rank: the most specific headers first, the header-less Gavel TSV last.
constexpr std::array<std::string_view, 5> kDetectionOrder = {"dlsched", "tiresias", "pollux",
                                                            "philly", "gavel"};

std::size_t detection_rank(std::string_view name) {
  const auto it = std::find(kDetectionOrder.begin(), kDetectionOrder.end(), name);
  return static_cast<std::size_t>(it - kDetectionOrder.begin());  // unknown names rank last
}

std::vector<TraceFormat>& registry() {
  static std::vector<TraceFormat> formats;
  return formats;
}

std::string known_formats() {
  std::string out;
  for (const auto& format : registry()) {
    if (!out.empty()) out += ", ";
    out += format.name;
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string read_bytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": cannot open trace: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open trace: " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(path + ": cannot read trace: " + std::strerror(errno));
  return std::move(buffer).str();
}

std::string sha256_hex(std::string_view bytes) {
  sha256_ctx context;
  sha256_init(&context);
  sha256_update(&context, bytes.size(), reinterpret_cast<const std::uint8_t*>(bytes.data()));
  std::uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&context, SHA256_DIGEST_SIZE, digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_SIZE);
  for (int i = 0; i < SHA256_DIGEST_SIZE; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

// Lines without their '\n'; a '\r' is left for the readers' splitters to drop. Blank lines
// stay in place so that an index is always the line number minus one.
std::vector<std::string> split_lines(std::string_view bytes) {
  // A UTF-8 byte-order mark (spreadsheet exports) would otherwise spoil the first header name.
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  std::vector<std::string> lines;
  lines.reserve(static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '\n')) + 1);
  std::size_t start = 0;
  while (start < bytes.size()) {
    std::size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    lines.emplace_back(bytes.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

const TraceFormat& choose_format(const std::vector<std::string>& lines, const std::string& path,
                                 const std::string& requested) {
  const std::string wanted = lower(requested);
  if (wanted.empty() || wanted == "auto") {
    for (const auto& format : registry())
      if (format.detect(lines)) return format;
    const std::size_t first = csv::first_content_line(lines);
    std::string head = first < lines.size() ? lines[first] : std::string();
    if (head.size() > 80) head = head.substr(0, 80) + "...";
    throw InputError(path, static_cast<long>(first < lines.size() ? first + 1 : 1),
                     "unrecognised trace format (first line \"" + head +
                         "\"); known formats: " + known_formats());
  }
  for (const auto& format : registry())
    if (format.name == wanted) return format;
  throw InputError("unknown trace format '" + requested + "'; known formats: auto, " +
                   known_formats());
}

// Reports the first row whose job id an earlier row already used. Sorting (hash, row) pairs
// keeps the work in one contiguous array; a hash set of 82k ids (Philly) spends its time in
// cache misses.
void check_unique_ids(const std::vector<JobSpec>& jobs, const std::string& path) {
  struct Key {
    std::size_t hash;
    std::size_t row;
  };
  std::vector<Key> keys(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i)
    keys[i] = {std::hash<std::string_view>{}(jobs[i].id), i};
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.row < b.row;
  });
  std::size_t repeat = jobs.size(), original = 0;
  std::size_t run_start = 0;
  for (std::size_t i = 1; i < keys.size(); ++i) {
    if (keys[i].hash != keys[i - 1].hash) {
      run_start = i;
      continue;
    }
    // Same hash: look for the same id earlier in this (tiny) run.
    for (std::size_t j = run_start; j < i; ++j) {
      if (jobs[keys[j].row].id != jobs[keys[i].row].id) continue;
      if (keys[i].row < repeat) {
        repeat = keys[i].row;
        original = keys[j].row;
      }
      break;
    }
  }
  if (repeat < jobs.size())
    throw InputError(path, jobs[repeat].source_line,
                     "duplicate job id '" + jobs[repeat].id + "' (first used on line " +
                         std::to_string(jobs[original].source_line) + ")");
}

// A last check that every reader honours the JobSpec contract; readers report bad values
// with column names first, so this mostly guards readers added later.
void validate(const std::vector<JobSpec>& jobs, const std::string& path) {
  if (jobs.empty()) throw InputError(path, 1, "the trace has no jobs");
  for (const auto& job : jobs) {
    auto bad = [&](const std::string& what) { throw InputError(path, job.source_line, what); };
    if (job.id.empty()) bad("empty job id");
    if (job.id.size() > kMaxJobIdBytes)
      bad(fmt::format("job id '{}...' is longer than {} bytes", job.id.substr(0, 16), kMaxJobIdBytes));
    if (job.model.empty()) bad("job '" + job.id + "': empty model");
    if (!std::isfinite(job.submit_time) || job.submit_time < 0)
      bad("job '" + job.id + "': submit time must be a non-negative number");
    if (job.submit_time > kMaxTraceSeconds)
      bad(fmt::format("job '{}': submit time {} s is beyond the limit of {} s", job.id,
                      job.submit_time, kMaxTraceSeconds));
    if (job.num_gpus < 1) bad("job '" + job.id + "': num_gpus must be at least 1");
    if (!std::isfinite(job.iterations) || job.iterations < 0)
      bad("job '" + job.id + "': iterations must be a non-negative number");
    // A duration, when given, is the job's length: zero is no length (one rule for every
    // format; a job without a duration takes its length from its iterations).
    if (job.duration && (!std::isfinite(*job.duration) || *job.duration <= 0))
      bad("job '" + job.id + "': duration must be a positive number of seconds");
    if (job.duration && *job.duration > kMaxTraceSeconds)
      bad(fmt::format("job '{}': duration {} s is beyond the limit of {} s", job.id, *job.duration,
                      kMaxTraceSeconds));
    if (!std::isfinite(job.priority) || job.priority <= 0)
      bad("job '" + job.id + "': priority must be a positive number");
    if (job.batch_size && *job.batch_size < 1)
      bad("job '" + job.id + "': batch size must be at least 1");
  }
  check_unique_ids(jobs, path);
}

// Stable sort by submit time, then index 0..N-1. A JobSpec is large (three strings), so
// sorting compact (time, row) keys and moving each job once is several times faster than
// sorting the jobs; the row breaks ties, which keeps file order.
std::vector<JobSpec> sorted_by_submit_time(std::vector<JobSpec> jobs) {
  std::vector<std::pair<double, std::size_t>> order(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) order[i] = {jobs[i].submit_time, i};
  std::sort(order.begin(), order.end());
  std::vector<JobSpec> sorted;
  sorted.reserve(jobs.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    sorted.push_back(std::move(jobs[order[i].second]));
    sorted.back().index = static_cast<JobId>(i);
  }
  return sorted;
}

// Shortest text that reads back to the same double, in plain (not scientific) notation so
// that the CSV stays readable by any tool.
std::string format_number(double value) {
  char buffer[400];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  return std::string(buffer, result.ptr);
}

}  // namespace

bool register_trace_format(const std::string& name, TraceDetector detect, TraceParser parse) {
  auto& formats = registry();
  for (const auto& format : formats)
    if (format.name == name) return false;
  const auto position = std::find_if(formats.begin(), formats.end(), [&](const TraceFormat& f) {
    const auto a = detection_rank(name), b = detection_rank(f.name);
    return a < b || (a == b && name < f.name);
  });
  formats.insert(position, TraceFormat{name, std::move(detect), std::move(parse)});
  return true;
}

std::vector<std::string> trace_formats() {
  std::vector<std::string> names;
  for (const auto& format : registry()) names.push_back(format.name);
  return names;
}

Trace read_trace(const std::string& path, const TraceOptions& options) {
  const std::string bytes = read_bytes(path);
  Trace trace;
  trace.path = path;
  trace.sha256 = sha256_hex(bytes);
  const std::vector<std::string> lines = split_lines(bytes);
  const TraceFormat& format = choose_format(lines, path, options.format);
  trace.format = format.name;
  trace.jobs = format.parse(lines, path, options);
  validate(trace.jobs, path);
  trace.jobs = sorted_by_submit_time(std::move(trace.jobs));
  return trace;
}

void write_canonical_csv(const Trace& trace, std::ostream& out) {
  // batch_size is not part of the documented header; it is written only when some job has
  // one (Pollux), so that a converted trace keeps it and reads back equal.
  const bool with_batch = std::any_of(trace.jobs.begin(), trace.jobs.end(),
                                      [](const JobSpec& job) { return job.batch_size.has_value(); });
  out << "job_id,submit_time,model,num_gpus,iterations,duration,user,priority";
  if (with_batch) out << ",batch_size";
  out << '\n';
  for (const auto& job : trace.jobs) {
    out << csv::quote(job.id) << ',' << format_number(job.submit_time) << ','
        << csv::quote(job.model) << ',' << job.num_gpus << ',' << format_number(job.iterations)
        << ',' << (job.duration ? format_number(*job.duration) : std::string()) << ','
        << csv::quote(job.user) << ',' << format_number(job.priority);
    if (with_batch) {
      out << ',';
      if (job.batch_size) out << *job.batch_size;
    }
    out << '\n';
  }
}

}  // namespace dlsched
