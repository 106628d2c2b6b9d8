#include "core/adaptive/batch_choice.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace dlsched::adaptive {
namespace {

constexpr double kEps = 1e-8;  // slack for ceil() of quotients that should be whole

int ceil_int(double x) { return static_cast<int>(std::ceil(x - kEps)); }

}  // namespace

BatchConfig choose_batch(const ApplicationLimits& limits, int num_nodes, int num_replicas,
                         std::optional<int> fixed_batch_size, const GoodputModel* model) {
  DLSCHED_EXPECTS(num_nodes >= 1 && num_replicas >= num_nodes,
                  "an allocation needs 1 <= nodes <= replicas");
  std::optional<int> batch = fixed_batch_size;
  if (!batch && !model)
    batch = std::max(limits.init_batch_size, limits.min_local_bsz * num_replicas);
  BatchConfig config;
  if (!batch) {
    config = model->optimize(num_nodes, num_replicas,
                             {static_cast<double>(limits.max_batch_size), limits.min_local_bsz,
                              limits.max_local_bsz, true});
  } else {
    const int local = ceil_int(static_cast<double>(*batch) / num_replicas);
    config.accum_steps = ceil_int(static_cast<double>(local) / limits.max_local_bsz) - 1;
    if (num_replicas == 1 && *batch > limits.init_batch_size)
      config.accum_steps = std::max(1, config.accum_steps);
    config.atomic_bsz = ceil_int(static_cast<double>(local) / (config.accum_steps + 1));
  }
  const int count = num_replicas * (config.accum_steps + 1);
  config.atomic_bsz = std::min(config.atomic_bsz, limits.max_batch_size / count);
  if (model && !batch && config.atomic_bsz >= 1)
    config.goodput = model->goodput(num_nodes, num_replicas, config.atomic_bsz, config.accum_steps);
  return config;
}

}  // namespace dlsched::adaptive
