#include "emu/profile_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "core/error.h"

namespace dlsched::emu {

const char* to_string(Placement p) { return p == Placement::PACKED ? "packed" : "spread"; }

std::vector<int> parse_worker_counts(const std::string& text) {
  std::vector<int> counts;
  std::set<int> seen;
  std::size_t at = 0;
  for (;;) {
    const std::size_t comma = text.find(',', at);
    const std::string item = text.substr(at, comma == std::string::npos ? comma : comma - at);
    int n = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || n < 1)
      throw InputError(fmt::format(
          "--workers '{}': expected a comma-separated list of worker counts >= 1, e.g. 1,2,4",
          text));
    if (!seen.insert(n).second)
      throw InputError(fmt::format("--workers '{}': {} appears twice", text, n));
    counts.push_back(n);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  std::sort(counts.begin(), counts.end());
  return counts;
}

std::vector<int> powers_of_two_up_to(int largest) {
  std::vector<int> out;
  for (int n = 1; n <= largest; n *= 2) out.push_back(n);
  return out;
}

std::vector<GpuId> place_workers(const ClusterSpec& cluster, int gpu_type, int workers,
                                 Placement placement) {
  std::vector<const Node*> nodes;
  for (const Node& n : cluster.nodes())
    if (n.gpu_type == gpu_type && n.num_gpus > 0) nodes.push_back(&n);
  std::vector<GpuId> gpus;
  if (placement == Placement::PACKED) {
    // Largest nodes first, so the workers span the fewest nodes.
    std::stable_sort(nodes.begin(), nodes.end(),
                     [](const Node* a, const Node* b) { return a->num_gpus > b->num_gpus; });
    for (const Node* n : nodes)
      for (int d = 0; d < n->num_gpus && static_cast<int>(gpus.size()) < workers; ++d)
        gpus.push_back(n->first_gpu + d);
  } else {
    for (int d = 0; static_cast<int>(gpus.size()) < workers; ++d) {
      bool any = false;
      for (const Node* n : nodes)
        if (d < n->num_gpus && static_cast<int>(gpus.size()) < workers) {
          gpus.push_back(n->first_gpu + d);
          any = true;
        }
      if (!any) break;
    }
  }
  if (static_cast<int>(gpus.size()) < workers) return {};
  std::sort(gpus.begin(), gpus.end());
  return gpus;
}

std::vector<ProfileCase> plan_profile(const ClusterSpec& cluster, std::size_t subjects,
                                      const std::vector<int>& worker_counts) {
  const int types = static_cast<int>(cluster.gpu_types().size());
  int largest = 0;
  for (int t = 0; t < types; ++t) largest = std::max(largest, cluster.num_gpus_of_type(t));
  for (int n : worker_counts)
    if (n > largest)
      throw InputError(fmt::format(
          "--workers {}: the cluster's largest group of one GPU type has {} GPUs", n, largest));
  std::vector<ProfileCase> cases;
  for (std::size_t s = 0; s < subjects; ++s)
    for (int t = 0; t < types; ++t)
      for (int n : worker_counts) {
        if (n > cluster.num_gpus_of_type(t)) continue;
        int packed_nodes = 0;
        for (Placement p : {Placement::PACKED, Placement::SPREAD}) {
          ProfileCase c{s, t, n, p, place_workers(cluster, t, n, p), 0};
          c.nodes = cluster.nodes_spanned(c.gpus);
          if (p == Placement::PACKED) packed_nodes = c.nodes;
          else if (c.nodes == packed_nodes) continue;  // the same shape as packed
          cases.push_back(std::move(c));
        }
      }
  return cases;
}

}  // namespace dlsched::emu
