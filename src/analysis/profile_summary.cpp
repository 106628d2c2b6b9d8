#include "analysis/profile_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <tuple>

#include "core/statistics.h"

namespace dlsched {
namespace {

/// A CSV field, quoted when it holds a comma, a quote or surrounding spaces.
std::string csv_field(const std::string& s) {
  const bool plain = s.find_first_of(",\"\n") == std::string::npos && !s.empty() &&
                     s.front() != ' ' && s.back() != ' ';
  if (plain) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::vector<ProfileEntry> summarise_profile(const std::vector<ProfileRecord>& rows) {
  using Key = std::tuple<std::string, std::string, int, std::string>;
  std::map<Key, std::size_t> index;
  std::vector<std::vector<const ProfileRecord*>> groups;
  for (const ProfileRecord& r : rows) {
    const Key key{r.model, r.gpu_type, r.workers, r.placement};
    auto [it, added] = index.emplace(key, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(&r);
  }
  std::vector<ProfileEntry> out;
  for (const auto& g : groups) {
    const ProfileRecord& first = *g.front();
    ProfileEntry e{first.model, first.gpu_type, first.workers, first.nodes, first.placement,
                   first.batch};
    std::vector<double> it, compute, comm;
    for (const ProfileRecord* r : g) {
      it.push_back(r->iteration_s);
      compute.push_back(r->compute_s);
      comm.push_back(r->comm_s);
      e.samples += r->iterations;
    }
    e.repetitions = static_cast<int>(g.size());
    // The run statistics' one median (core/statistics.h); a group always has a row.
    e.iteration_s = percentile_linear(it, 0.5);
    e.compute_s = percentile_linear(compute, 0.5);
    e.comm_s = percentile_linear(comm, 0.5);
    e.min_s = *std::min_element(it.begin(), it.end());
    e.max_s = *std::max_element(it.begin(), it.end());
    if (it.size() > 1) {
      double mean = 0, ss = 0;
      for (double x : it) mean += x / static_cast<double>(it.size());
      for (double x : it) ss += (x - mean) * (x - mean);
      e.stddev_s = std::sqrt(ss / static_cast<double>(it.size() - 1));
    }
    out.push_back(std::move(e));
  }
  return out;
}

void write_profile_csv(std::ostream& out, const std::vector<ProfileEntry>& entries,
                       const std::vector<std::string>& comments) {
  using Key = std::tuple<std::string, std::string, int, bool>;
  std::map<Key, const ProfileEntry*> best;
  std::vector<Key> order;
  for (const ProfileEntry& e : entries) {
    const Key key{e.model, e.gpu_type, e.workers, e.nodes == 1};
    auto [it, added] = best.emplace(key, &e);
    if (added) order.push_back(key);
    else if (e.nodes < it->second->nodes) it->second = &e;
  }
  for (const std::string& c : comments) out << "# " << c << "\n";
  out << "model,gpu_type,workers,consolidated,steps_per_second,compute_s,comm_s,stddev_s,"
         "samples\n";
  for (const Key& key : order) {
    const ProfileEntry& e = *best.at(key);
    out << fmt::format("{},{},{},{},{},{},{},{},{}\n", csv_field(e.model), csv_field(e.gpu_type),
                       e.workers, e.nodes == 1 ? 1 : 0, 1.0 / e.iteration_s, e.compute_s,
                       e.comm_s, e.stddev_s, e.samples);
  }
}

std::string format_profile_table(const std::vector<ProfileEntry>& entries) {
  std::size_t model_width = 5;
  for (const ProfileEntry& e : entries) model_width = std::max(model_width, e.model.size());
  std::string s = fmt::format("{:<{}}  {:>10}  {:<9} {:>5}  {:>10}  {:>9}  {:>12}  {:>8}\n",
                              "model", model_width, "GPUs", "placement", "nodes", "compute ms",
                              "comm ms", "iteration ms", "spread %");
  for (const ProfileEntry& e : entries)
    s += fmt::format("{:<{}}  {:>10}  {:<9} {:>5}  {:>10.2f}  {:>9.2f}  {:>12.2f}  {:>8.1f}\n",
                     e.model, model_width, fmt::format("{} x{}", e.gpu_type, e.workers),
                     e.placement, e.nodes, 1e3 * e.compute_s, 1e3 * e.comm_s,
                     1e3 * e.iteration_s, 100 * e.spread());
  return s;
}

}  // namespace dlsched
