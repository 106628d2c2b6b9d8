// Checks what one `dlsched profile` run wrote: the HDF5 profile file and the profile CSV.
//   emu_check_profile PROFILE.h5 TABLE.csv --repetitions R --iterations M
//       --case WORKERS:PLACEMENT:NODES ... --compute MODEL=SECONDS ...
// Every model of --compute must have exactly the --case measurements (R rows each, and no
// others); in sleep mode a worker sleeps the modelled compute time, so each row's compute
// seconds must lie in [modelled, 1.2 x modelled + 2 ms] (a sleep never ends early; a loaded
// machine wakes it late; the test's two models differ by 40%, so neither fits the other's
// band); the spread columns must be consistent; and the CSV must read back through the throughput-table reader with
// steps_per_second = 1 / the median of the rows' iteration times.
// Prints what it found; exits 1 if any property is broken.
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/profile_summary.h"
#include "check_expect.h"
#include "core/throughput_table.h"
#include "io/profile_file.h"

namespace {

using namespace dlsched;

using check::close_to;
using check::expect;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    const auto next = s.find(sep, at);
    out.push_back(s.substr(at, next == std::string::npos ? next : next - at));
    if (next == std::string::npos) return out;
    at = next + 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: emu_check_profile PROFILE.h5 TABLE.csv [options]\n");
    return 2;
  }
  const std::string h5 = argv[1], csv = argv[2];
  int repetitions = 0, iterations = 0;
  std::set<std::tuple<int, std::string, int>> cases;  // workers, placement, nodes
  std::map<std::string, double> modelled;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--repetitions") {
      repetitions = std::stoi(value);
    } else if (flag == "--iterations") {
      iterations = std::stoi(value);
    } else if (flag == "--case") {
      const auto f = split(value, ':');
      cases.emplace(std::stoi(f.at(0)), f.at(1), std::stoi(f.at(2)));
    } else if (flag == "--compute") {
      const auto eq = value.find('=');
      modelled[value.substr(0, eq)] = std::stod(value.substr(eq + 1));
    } else {
      fmt::print(stderr, "unknown option {}\n", flag);
      return 2;
    }
  }

  const ProfileFile f = read_profile_file(h5);
  expect(f.attributes.count("mode") && f.attributes.at("mode") == "profile", "mode is profile");
  expect(f.attributes.count("status") && f.attributes.at("status") == "complete",
         "status is complete");
  for (const char* a : {"backend", "compute", "cluster", "hostnames", "warmup", "iterations",
                        "repetitions", "tool_version", "models"})
    expect(f.attributes.count(a) > 0, fmt::format("attribute {} present", a));
  expect(!f.cluster.empty(), "/cluster has rows");

  // Every (model, workers, placement, nodes) asked for, R repetitions 0..R-1, nothing else.
  std::map<std::tuple<std::string, int, std::string, int>, std::set<int>> seen;
  for (const ProfileRecord& r : f.rows) {
    seen[{r.model, r.workers, r.placement, r.nodes}].insert(r.repetition);
    expect(r.iterations == iterations, fmt::format("{} x{} {}: {} iterations timed, not {}",
                                                   r.model, r.workers, r.placement,
                                                   r.iterations, iterations));
    const auto m = modelled.find(r.model);
    expect(m != modelled.end(), fmt::format("model {} was not asked for", r.model));
    if (m == modelled.end()) continue;
    expect(r.compute_s >= m->second - 1e-6 && r.compute_s <= 1.2 * m->second + 0.002,
           fmt::format("{} x{} {} repetition {}: compute {:.6f} s, modelled {:.6f} s", r.model,
                       r.workers, r.placement, r.repetition, r.compute_s, m->second));
    expect(r.comm_s >= 0 && r.iteration_s >= r.compute_s + r.comm_s - 1e-6,
           fmt::format("{} x{} {}: iteration {:.6f} s >= compute + comm", r.model, r.workers,
                       r.placement, r.iteration_s));
  }
  std::set<int> all_repetitions;
  for (int k = 0; k < repetitions; ++k) all_repetitions.insert(k);
  std::size_t expected = 0;
  for (const auto& [model, seconds] : modelled)
    for (const auto& [workers, placement, nodes] : cases) {
      ++expected;
      const auto it = seen.find({model, workers, placement, nodes});
      expect(it != seen.end() && it->second == all_repetitions,
             fmt::format("{} x{} {} on {} nodes has repetitions 0..{}", model, workers, placement,
                         nodes, repetitions - 1));
    }
  expect(seen.size() == expected,
         fmt::format("{} measurements, {} asked for", seen.size(), expected));

  // The spread: min <= median <= max, and a sample standard deviation within the range.
  const std::vector<ProfileEntry> entries = summarise_profile(f.rows);
  for (const ProfileEntry& e : entries)
    expect(e.min_s <= e.iteration_s && e.iteration_s <= e.max_s && e.stddev_s >= 0 &&
               e.stddev_s <= e.max_s - e.min_s + 1e-12,
           fmt::format("{} x{} {}: spread min {} median {} max {} stddev {}", e.model, e.workers,
                       e.placement, e.min_s, e.iteration_s, e.max_s, e.stddev_s));

  // The CSV through the simulator's reader: 1 / median for the fewest-node entry of each
  // (model, workers, consolidated).
  const ThroughputTable table = ThroughputTable::load(csv);
  std::map<std::tuple<std::string, int, bool>, const ProfileEntry*> best;
  for (const ProfileEntry& e : entries) {
    auto& b = best[{e.model, e.workers, e.nodes == 1}];
    if (!b || e.nodes < b->nodes) b = &e;
  }
  expect(table.size() == best.size(),
         fmt::format("the CSV has {} entries, the profile {}", table.size(), best.size()));
  for (const auto& [key, e] : best) {
    const auto& [model, workers, consolidated] = key;
    const auto rate = table.steps_per_second(model, e->gpu_type, workers, consolidated);
    expect(rate && close_to(*rate, 1.0 / e->iteration_s),
           fmt::format("CSV steps/s of {} x{} {}: {} vs 1 / {}", model, workers,
                       consolidated ? "consolidated" : "spread", rate ? *rate : -1,
                       e->iteration_s));
  }
  // The columns the reader checks but does not keep: samples and stddev_s per row.
  std::ifstream in(csv);
  std::string line;
  std::vector<std::string> header;
  int data_rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto fields = split(line, ',');
    if (header.empty()) {
      header = fields;
      continue;
    }
    std::map<std::string, std::string> v;
    for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) v[header[i]] = fields[i];
    const auto it = best.find({v["model"], std::stoi(v["workers"]), v["consolidated"] == "1"});
    expect(it != best.end(), "CSV row " + line + " matches a measurement");
    if (it == best.end()) continue;
    ++data_rows;
    expect(std::stoi(v["samples"]) == repetitions * iterations,
           fmt::format("CSV samples {} = {} x {}", v["samples"], repetitions, iterations));
    expect(close_to(std::stod(v["stddev_s"]), it->second->stddev_s), "CSV stddev_s " + line);
  }
  expect(data_rows == static_cast<int>(best.size()), "one CSV row per table entry");

  fmt::print("{} rows, {} measurements, {} table entries\n{}", f.rows.size(), entries.size(),
             best.size(), format_profile_table(entries));
  return check::exit_code();
}
