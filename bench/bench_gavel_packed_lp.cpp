// Time of one packed max-min allocation (Gavel with space sharing, gavel-maxmin-packed's LP).
//   bench_gavel_packed_lp [JOBS] [TRIALS] [priorities]
// As Gavel's own policy-runtime sweep (scripts/microbenchmarks/sweep_policy_runtimes.py):
// JOBS (default 1024) active 1-GPU jobs, each of a model drawn at random from Gavel's
// throughput table, on JOBS/4 GPUs of each of its three types (v100, p100, k80), pair rates
// from the table's co-location entries. Gavel reports 39 s for 1,024 jobs with a commercial
// solver; the target here is under 5 s. The LP is in Gavel's job-type form (a job's paired
// time per partner model, gavel_packed_lp.h), which keeps it at jobs x types x (1 + models)
// columns instead of one per job pair; pairs that do less work than time-slicing are left out.
// Jobs of one model and weight share one set of columns (the LP is symmetric in them).
// "priorities" draws weights as Gavel's sweep does with multi-priority jobs (5 with
// probability 0.2, else 1). With every job of its own weight the LP would have a set of
// columns per job (about 63,000 columns at 1,024 jobs) and take tens of seconds.
// Prints the LP's size, the best and mean wall time over TRIALS draws, and the pairs X uses.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "sched/experiment.h"
#include "core/throughput_table.h"
#include "sched/policies/gavel_packed_lp.h"

namespace {

using namespace dlsched;
namespace fs = std::filesystem;

/// The models the table measures on one GPU of every type, as Gavel's job generator draws them.
std::vector<std::string> one_gpu_models(const fs::path& table_path, const ThroughputTable& table,
                                        const std::vector<std::string>& types) {
  std::ifstream in(table_path);
  const nlohmann::json j = nlohmann::json::parse(in);
  std::vector<std::string> models;
  for (const auto& [key, rates] : j.at("v100").items()) {
    // Keys are "('model', scale_factor)".
    const auto open = key.find('\''), close = key.rfind('\'');
    if (open == std::string::npos || close <= open || key.find(", 1)") == std::string::npos)
      continue;
    const std::string model = key.substr(open + 1, close - open - 1);
    bool everywhere = true;
    for (const std::string& t : types) everywhere &= table.steps_per_second(model, t, 1, true).has_value();
    if (everywhere) models.push_back(model);
  }
  return models;
}

GavelPackedProblem draw(const ThroughputTable& table, const std::vector<std::string>& models,
                        const std::vector<std::string>& types, int n, unsigned seed,
                        bool priorities) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, models.size() - 1);
  std::uniform_real_distribution<double> coin(0, 1);
  GavelPackedProblem p;
  GavelProblem& q = p.jobs;
  for (std::size_t t = 0; t < types.size(); ++t) q.gpus_per_type.push_back(std::max(n / 4, 1));
  std::map<std::size_t, int> class_of;  // model index -> class
  std::vector<std::size_t> model_of_class;
  for (int j = 0; j < n; ++j) {
    const std::size_t m = pick(rng);
    for (const std::string& t : types) q.throughput.push_back(*table.steps_per_second(models[m], t, 1, true));
    q.scale_factor.push_back(1);
    q.weight.push_back(priorities && coin(rng) <= 0.2 ? 5 : 1);
    q.remaining.push_back(1000);
    q.total.push_back(1000);
    q.elapsed.push_back(0);
    const auto [it, fresh] = class_of.try_emplace(m, static_cast<int>(model_of_class.size()));
    if (fresh) model_of_class.push_back(m);
    p.job_class.push_back(it->second);
  }
  p.num_classes = static_cast<int>(model_of_class.size());
  for (int a = 0; a < p.num_classes; ++a)
    for (int b = 0; b < p.num_classes; ++b)
      for (const std::string& t : types) {
        const auto r = table.colocated_steps_per_second(models[model_of_class[a]],
                                                        models[model_of_class[b]], t, 1);
        p.colocated.push_back(r ? *r : 0.0);
      }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1024;
  const int trials = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  const bool priorities = argc > 3 && std::string(argv[3]) == "priorities";
  try {
    const fs::path table_path =
        fs::path(default_models_path()).parent_path() / "traces" / "gavel-simulation_throughputs.json";
    const ThroughputTable table = ThroughputTable::load_gavel_json(table_path.string());
    const std::vector<std::string> types{"v100", "p100", "k80"};
    const std::vector<std::string> models = one_gpu_models(table_path, table, types);
    double best = 1e300, sum = 0;
    for (int k = 0; k < trials; ++k) {
      const GavelPackedProblem p = draw(table, models, types, n, 2 + k, priorities);
      const auto t0 = std::chrono::steady_clock::now();
      const GavelPackedAllocation a = solve_gavel_packed_allocation(p, GavelObjective::MAX_MIN_FAIRNESS);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, s);
      sum += s;
      std::printf("%s", fmt::format("  draw {}: {} jobs of {} models, LP {} columns x {} rows, "
                                    "level {:.4f}, {} job pairs with a share, {:.3f} s\n",
                                    k, n, p.num_classes, a.columns, a.rows, a.objective,
                                    a.pairs.size(), s)
                            .c_str());
    }
    std::printf("%s", fmt::format("bench_gavel_packed_lp: {} jobs on {} x 3 GPUs{}, packed max-min "
                                  "(water-filled) best {:.3f} s, mean {:.3f} s (target < 5 s)\n",
                                  n, std::max(n / 4, 1), priorities ? ", weights 1 and 5" : "",
                                  best, sum / trials)
                          .c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gavel_packed_lp: %s\n", e.what());
    return 1;
  }
  return 0;
}
