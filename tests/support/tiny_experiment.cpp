#include "support/tiny_experiment.h"

#include <stdexcept>

namespace dlsched::test {

std::unique_ptr<Experiment> tiny_experiment(const std::vector<TinyJob>& jobs,
                                            const std::vector<ClusterSpec::Group>& groups,
                                            const std::string& policy, double round_length,
                                            double restore_delay) {
  auto ex = std::make_unique<Experiment>();
  ex->options.policy = policy;
  ex->options.round_length = round_length;
  ex->options.restore_delay = restore_delay;
  ex->catalog.add_gpu_type(GpuTypeInfo{"g", 1.0, 1.0, 16});
  ex->catalog.add_gpu_type(GpuTypeInfo{"slow", 0.5, 1.0, 16});
  ModelInfo unit;
  unit.name = "unit";
  unit.parameters = 0;  // no gradient traffic: placement does not change speed
  unit.flops_per_sample = 1e12;
  unit.batch_size = 1;
  ex->catalog.add_model(unit);
  Interconnect instant;  // no latency either, so multi-GPU iterations also take exactly 1 s
  instant.intra_node_latency_us = 0;
  instant.inter_node_latency_us = 0;
  ex->cluster = ClusterSpec::from_groups(groups, instant);
  ex->trace.path = "tiny.csv";
  ex->trace.format = "dlsched";
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    JobSpec j;
    j.index = static_cast<JobId>(i);
    j.id = "j" + std::to_string(i);
    j.submit_time = jobs[i].submit;
    j.model = "unit";
    j.num_gpus = jobs[i].gpus;
    j.iterations = jobs[i].seconds;
    j.source_line = static_cast<long>(i) + 2;
    ex->trace.jobs.push_back(j);
  }
  ex->throughput = std::make_unique<ThroughputModel>(ex->catalog, ex->cluster);
  ex->throughput->prepare(ex->trace.jobs, ex->trace.path);
  ex->scheduler.round_length = round_length;
  ex->scheduler.restore_delay = restore_delay;
  return ex;
}

const JobRecord& TinyRun::job(JobId id) const {
  for (const JobRecord& r : rows.jobs)
    if (r.job == id) return r;
  throw std::out_of_range("no /jobs row for job " + std::to_string(id));
}

TinyRun run_tiny(const Experiment& ex, SimulationOptions options) {
  TinyRun run;
  auto policy = make_policy(ex.options.policy, ex.options.policy_params);
  options.check_invariants = true;
  run.summary = simulate(ex, *policy, run.rows, options);
  return run;
}

}  // namespace dlsched::test
