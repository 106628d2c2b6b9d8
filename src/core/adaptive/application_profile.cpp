#include "core/adaptive/application_profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/csv.h"
#include "core/error.h"

namespace dlsched::adaptive {
namespace fs = std::filesystem;
namespace {

// Lines without '\n' (a '\r' is left for the CSV splitter), blank ones kept so that an index
// is the line number minus one.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  std::string bytes = text.str();
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.erase(0, 3);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < bytes.size()) {
    std::size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    lines.emplace_back(bytes.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string placement_text(std::span<const int> placement) {
  std::string text;
  for (int gpus : placement) text += std::to_string(gpus);
  return text;
}

// "22" -> {2, 2}: one digit 1-9 per node.
std::vector<int> parse_placement(std::string_view text, const csv::Cell& cell) {
  text = csv::trim(text);
  std::vector<int> placement;
  for (char c : text) {
    if (c < '1' || c > '9') csv::fail(cell, "GPUs per node as digits 1-9 (e.g. 22)", text);
    placement.push_back(c - '0');
  }
  if (placement.empty()) csv::fail(cell, "GPUs per node as digits 1-9 (e.g. 22)", text);
  return placement;
}

// Reads one CSV whose header must name `columns`; calls row(values, line) with the columns'
// values in that order.
template <class RowFn>
void read_numeric_csv(const std::string& path, const std::vector<std::string_view>& columns,
                      std::string_view format, RowFn&& row) {
  const std::vector<std::string> lines = read_lines(path);
  std::string expected;
  for (auto c : columns) expected += (expected.empty() ? "" : ",") + std::string(c);
  const csv::HeaderedFile table(lines, path, format, expected);
  std::vector<std::size_t> index;
  for (auto c : columns) index.push_back(table.require(c));
  std::vector<double> values(columns.size());
  table.for_each_row([&](const std::vector<std::string>& fields, long line) {
    for (std::size_t i = 0; i < columns.size(); ++i)
      values[i] = csv::parse_number(fields[index[i]], {path, line, columns[i]});
    row(static_cast<const std::vector<double>&>(values), line);
  });
}

// A finite value that must be positive (times, batch sizes); the column name feeds the error.
void require_positive(double value, const std::string& path, long line, std::string_view column) {
  if (!(value > 0))
    throw InputError(path, line,
                     fmt::format("column '{}': expected a positive number, got {}", column, value));
}

// step_time > sync_time >= 0: the compute part of a step must be positive.
void require_step_times(const StepTimes& t, const std::string& path, long line) {
  require_positive(t.step_time, path, line, "step_time");
  if (t.sync_time < 0 || t.sync_time >= t.step_time)
    throw InputError(path, line,
                     fmt::format("sync_time {} must be at least 0 and below "
                                 "step_time {}",
                                 t.sync_time, t.step_time));
}

// A count (GPUs, nodes, samples per batch): a whole number from 1 to 10^9.
int positive_count(double value, const std::string& path, long line, std::string_view column) {
  if (!(value >= 1 && value <= 1e9 && value == std::floor(value)))
    throw InputError(
        path, line,
        fmt::format("column '{}': expected a whole number >= 1, got {}", column, value));
  return static_cast<int>(value);
}

double lerp(double a, double b, double weight) { return a + (b - a) * weight; }

// Pollux's simulator looks placements over more nodes up as 16 nodes, the most it measured.
constexpr int kMaxInterpolatedNodes = 16;

}  // namespace

std::vector<int> normalize_placement(std::span<const int> placement) {
  std::vector<int> nodes;
  for (int gpus : placement)
    if (gpus != 0) nodes.push_back(gpus);
  std::vector<int> best = nodes;
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    std::vector<int> rotated(nodes.begin() + static_cast<long>(i), nodes.end());
    rotated.insert(rotated.end(), nodes.begin(), nodes.begin() + static_cast<long>(i));
    best = std::min(best, rotated);
  }
  return best;
}

ApplicationOptions pollux_reference_options(const std::string& name) {
  ApplicationOptions options;
  if (name == "yolov3") options.max_local_bsz = 8;
  return options;
}

ApplicationProfile ApplicationProfile::load(const std::string& applications_dir,
                                            const std::string& name,
                                            const ApplicationOptions& options) {
  const fs::path dir = fs::path(applications_dir) / name;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::vector<std::string> known;
    for (const auto& entry : fs::directory_iterator(applications_dir, ec))
      if (entry.is_directory(ec)) known.push_back(entry.path().filename().string());
    std::sort(known.begin(), known.end());
    throw InputError(
        fmt::format("{}: application '{}' has no profile folder there ({})", applications_dir, name,
                    known.empty() ? std::string("the folder holds no application")
                                  : "it has: " + fmt::format("{}", fmt::join(known, ", "))));
  }
  return load(dir.string(), options);
}

ApplicationProfile ApplicationProfile::load(const std::string& dir,
                                            const ApplicationOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir + ": no such application profile folder");
  ApplicationProfile app;
  app.name_ = fs::path(dir).lexically_normal().filename().string();
  if (app.name_.empty())  // "dir/" names no file: take the folder's own name
    app.name_ = fs::path(dir).lexically_normal().parent_path().filename().string();

  app.read_placements((fs::path(dir) / "placements.csv").string());
  app.read_scalability((fs::path(dir) / "scalability.csv").string());
  app.read_validation_runs(dir);
  app.build_scattered();
  app.apply_limits(options, dir);
  return app;
}

// Limits: from the data unless given.
void ApplicationProfile::apply_limits(const ApplicationOptions& options, const std::string& dir) {
  int min_local = 0, max_local = 0;
  for (const auto& [placement, entry] : placements_)
    for (const BsRow& row : entry.rows) {
      const int bsz = static_cast<int>(row.local_bsz);
      min_local = min_local == 0 ? bsz : std::min(min_local, bsz);
      max_local = std::max(max_local, bsz);
    }
  std::size_t shortest = validation_.begin()->second.rows.size();
  for (const auto& [batch, run] : validation_) shortest = std::min(shortest, run.rows.size());
  init_batch_size_ = options.init_batch_size.value_or(validation_.begin()->first);
  max_batch_size_ = options.max_batch_size.value_or(validation_.rbegin()->first);
  min_local_bsz_ = options.min_local_bsz.value_or(min_local);
  max_local_bsz_ = options.max_local_bsz.value_or(max_local);
  max_epochs_ = options.max_epochs.value_or(static_cast<int>(shortest));
  if (max_batch_size_ < min_local_bsz_ || init_batch_size_ > max_batch_size_ ||
      min_local_bsz_ > max_local_bsz_ || max_epochs_ < 1 ||
      static_cast<std::size_t>(max_epochs_) > shortest)
    throw InputError(fmt::format(
        "{}: inconsistent limits: initial batch {}, largest batch {}, local batch {}..{}, "
        "{} epochs (validation runs have {} rows)",
        dir, init_batch_size_, max_batch_size_, min_local_bsz_, max_local_bsz_, max_epochs_,
        shortest));
}

// placements.csv: one curve over local_bsz per placement.
void ApplicationProfile::read_placements(const std::string& file) {
  placements_file_ = file;
  const std::vector<std::string> lines = read_lines(file);
  const csv::HeaderedFile table(lines, file, "Pollux placements.csv",
                                "placement,local_bsz,step_time,sync_time");
  const std::size_t c_placement = table.require("placement");
  const std::size_t c_bsz = table.require("local_bsz");
  const std::size_t c_step = table.require("step_time");
  const std::size_t c_sync = table.require("sync_time");
  std::map<std::pair<std::vector<int>, double>, long> seen;  // -> line
  table.for_each_row([&](const std::vector<std::string>& f, long line) {
    const auto placement =
        normalize_placement(parse_placement(f[c_placement], {file, line, "placement"}));
    const double bsz = positive_count(csv::parse_number(f[c_bsz], {file, line, "local_bsz"}), file,
                                      line, "local_bsz");
    const StepTimes times{csv::parse_number(f[c_step], {file, line, "step_time"}),
                          csv::parse_number(f[c_sync], {file, line, "sync_time"})};
    require_step_times(times, file, line);
    if (auto [it, fresh] = seen.emplace(std::make_pair(placement, bsz), line); !fresh)
      throw InputError(file, line,
                       fmt::format("placement {} at local_bsz {} was already measured on line {}",
                                   placement_text(placement), bsz, it->second));
    auto& entry = placements_[placement];
    if (entry.rows.empty()) entry.first_line = line;
    entry.rows.push_back({bsz, times});
  });
  if (placements_.empty())
    throw InputError(file, static_cast<long>(table.header_index()) + 1,
                     "no measurements after the header");
  for (auto& [placement, entry] : placements_)
    std::sort(entry.rows.begin(), entry.rows.end(),
              [](const BsRow& x, const BsRow& y) { return x.local_bsz < y.local_bsz; });
}

// scalability.csv: measurements at more nodes, by node and replica count.
void ApplicationProfile::read_scalability(const std::string& file) {
  read_numeric_csv(
      file, {"num_nodes", "num_replicas", "local_bsz", "step_time", "sync_time"},
      "Pollux scalability.csv", [&](const std::vector<double>& v, long line) {
        const int nodes = positive_count(v[0], file, line, "num_nodes");
        const int replicas = positive_count(v[1], file, line, "num_replicas");
        if (replicas < nodes)
          throw InputError(file, line,
                           fmt::format("num_replicas {} is below num_nodes {}", replicas, nodes));
        const double bsz = positive_count(v[2], file, line, "local_bsz");
        const StepTimes times{v[3], v[4]};
        require_step_times(times, file, line);
        scalability_.push_back({nodes, replicas, bsz, times.step_time, times.sync_time});
      });
}

// validation-<batch size>.csv: one training run each.
void ApplicationProfile::read_validation_runs(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> runs;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.starts_with("validation-") && file.ends_with(".csv")) runs.push_back(entry.path());
  }
  if (runs.empty())
    throw InputError(dir + ": no validation-<batch size>.csv file (gradient statistics)");
  std::sort(runs.begin(), runs.end());
  for (const fs::path& run_path : runs) {
    const std::string file = run_path.string();
    const std::string stem = run_path.stem().string().substr(std::string("validation-").size());
    int batch = 0;
    const bool digits =
        !stem.empty() && stem.size() < 10 &&
        std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) batch = std::stoi(stem);
    if (batch < 1)
      throw InputError(file +
                       ": the name should be validation-<batch size>.csv with a batch "
                       "size of at least 1");
    ValidationRun run{file, {}};
    read_numeric_csv(file, {"progress", "iteration", "metric", "grad_sqr", "grad_var"},
                     "Pollux validation-<batch size>.csv",
                     [&](const std::vector<double>& v, long line) {
                       if (v[0] < 0 || v[1] < 0)
                         throw InputError(file, line, "progress and iteration must be >= 0");
                       if (!run.rows.empty() && v[0] < run.rows.back().progress)
                         throw InputError(file, line,
                                          fmt::format("progress {} is below the previous row's {}",
                                                      v[0], run.rows.back().progress));
                       run.rows.push_back({v[0], v[1], v[2], v[3], v[4]});
                     });
    if (run.rows.empty()) throw InputError(file, 1, "no rows after the header");
    validation_.emplace(batch, std::move(run));
  }
}

std::vector<int> ApplicationProfile::validation_batch_sizes() const {
  std::vector<int> sizes;
  for (const auto& [batch, run] : validation_) sizes.push_back(batch);
  return sizes;
}

bool ApplicationProfile::has_placement(std::span<const int> placement) const {
  return placements_.count(normalize_placement(placement)) > 0;
}

void ApplicationProfile::build_scattered() {
  // Means per (nodes, replicas, local_bsz), in that order, then scalability.csv's rows.
  struct Sum {
    double step = 0, sync = 0;
    int count = 0;
  };
  std::map<std::array<double, 3>, Sum> means;
  for (const auto& [placement, entry] : placements_) {
    const double replicas = std::accumulate(placement.begin(), placement.end(), 0);
    for (const BsRow& row : entry.rows) {
      Sum& sum = means[{static_cast<double>(placement.size()), replicas, row.local_bsz}];
      sum.step += row.times.step_time;
      sum.sync += row.times.sync_time;
      ++sum.count;
    }
  }
  std::vector<ScatteredInterpolator::Point> points;
  std::vector<ScatteredInterpolator::Values> values;
  for (const auto& [point, sum] : means) {
    points.push_back(point);
    values.push_back({sum.step / sum.count, sum.sync / sum.count});
  }
  for (const StepObservation& o : scalability_) {
    points.push_back(
        {static_cast<double>(o.num_nodes), static_cast<double>(o.num_replicas), o.atomic_bsz});
    values.push_back({o.step_time, o.sync_time});
  }
  try {
    if (points.size() >= 4)
      scattered_ = std::make_shared<const ScatteredInterpolator>(points, std::move(values));
  } catch (const InvariantError&) {
    scattered_.reset();  // all in one plane: only measured placements can be asked for
  }
}

StepTimes ApplicationProfile::step_times(std::span<const int> placement, double local_bsz) const {
  const std::vector<int> key = normalize_placement(placement);
  const auto it = placements_.find(key);
  if (it == placements_.end()) {
    const int nodes = std::min(static_cast<int>(key.size()), kMaxInterpolatedNodes);
    const int replicas = std::accumulate(key.begin(), key.end(), 0);
    const auto values =
        scattered_
            ? (*scattered_)({static_cast<double>(nodes), static_cast<double>(replicas), local_bsz})
            : std::nullopt;
    if (!values)
      throw InputError(placements_file_, 1,
                       fmt::format("placement {} ({} nodes, {} GPUs) at local batch size {} lies "
                                   "outside what placements.csv and scalability.csv measured",
                                   placement_text(key), key.size(), replicas, local_bsz));
    return {(*values)[0], (*values)[1]};
  }
  const auto& rows = it->second.rows;
  if (local_bsz < rows.front().local_bsz || local_bsz > rows.back().local_bsz)
    throw InputError(
        placements_file_, it->second.first_line,
        fmt::format("local batch size {} is outside the measured range {}..{} of "
                    "placement {}",
                    local_bsz, rows.front().local_bsz, rows.back().local_bsz, placement_text(key)));
  // The first row at or above local_bsz, and the one before it.
  const auto upper = std::lower_bound(rows.begin(), rows.end(), local_bsz,
                                      [](const BsRow& r, double b) { return r.local_bsz < b; });
  if (upper->local_bsz == local_bsz || upper == rows.begin()) return upper->times;
  const auto lower = std::prev(upper);
  const double w = (local_bsz - lower->local_bsz) / (upper->local_bsz - lower->local_bsz);
  return {lerp(lower->times.step_time, upper->times.step_time, w),
          lerp(lower->times.sync_time, upper->times.sync_time, w)};
}

ApplicationProfile::Bracket ApplicationProfile::bracket(double batch_size) const {
  const auto& first = *validation_.begin();
  const auto& last = *validation_.rbegin();
  if (!(batch_size >= first.first && batch_size <= last.first))
    throw InputError(batch_size < first.first ? first.second.file : last.second.file, 1,
                     fmt::format("batch size {} is outside the validation runs' batch sizes {}..{}",
                                 batch_size, first.first, last.first));
  const auto upper = validation_.lower_bound(static_cast<int>(std::ceil(batch_size)));
  if (upper->first == batch_size || upper == validation_.begin())
    return {&upper->second, &upper->second, 0.0};
  const auto lower = std::prev(upper);
  return {&lower->second, &upper->second,
          (batch_size - lower->first) / static_cast<double>(upper->first - lower->first)};
}

GradStats ApplicationProfile::grad_stats(double batch_size, int epoch) const {
  DLSCHED_EXPECTS(epoch >= 0 && epoch < max_epochs_, "epoch out of range");
  const Bracket b = bracket(batch_size);
  const auto& lo = b.lower->rows[static_cast<std::size_t>(epoch)];
  const auto& hi = b.upper->rows[static_cast<std::size_t>(epoch)];
  return {lerp(lo.grad_sqr, hi.grad_sqr, b.weight), lerp(lo.grad_var, hi.grad_var, b.weight)};
}

double ApplicationProfile::iterations(double batch_size, int epoch) const {
  DLSCHED_EXPECTS(epoch >= 0 && epoch < max_epochs_, "epoch out of range");
  const Bracket b = bracket(batch_size);
  return lerp(b.lower->rows[static_cast<std::size_t>(epoch)].iteration,
              b.upper->rows[static_cast<std::size_t>(epoch)].iteration, b.weight);
}

double ApplicationProfile::epoch_progress(int epoch) const {
  DLSCHED_EXPECTS(epoch >= 0 && epoch <= max_epochs_, "epoch out of range");
  if (epoch == 0) return 0.0;
  double least = 0;
  bool first = true;
  for (const auto& [batch, run] : validation_) {
    const double p = run.rows[static_cast<std::size_t>(epoch - 1)].progress;
    least = first ? p : std::min(least, p);
    first = false;
  }
  return least;
}

int ApplicationProfile::epoch_at(double progress) const {
  std::size_t most = 0;
  for (const auto& [batch, run] : validation_) {
    const auto after =
        std::upper_bound(run.rows.begin(), run.rows.end(), progress,
                         [](double p, const ValidationRow& row) { return p < row.progress; });
    most = std::max(most, static_cast<std::size_t>(after - run.rows.begin()));
  }
  return static_cast<int>(most);
}

GradStats ApplicationProfile::grad_stats_at_progress(double batch_size, double progress) const {
  return grad_stats(batch_size, std::min(epoch_at(progress), max_epochs_ - 1));
}

std::vector<StepObservation> ApplicationProfile::placement_observations() const {
  std::vector<StepObservation> out;
  for (const auto& [placement, entry] : placements_) {
    const int replicas = std::accumulate(placement.begin(), placement.end(), 0);
    for (const BsRow& row : entry.rows)
      out.push_back({static_cast<int>(placement.size()), replicas, row.local_bsz,
                     row.times.step_time, row.times.sync_time});
  }
  return out;
}

}  // namespace dlsched::adaptive
