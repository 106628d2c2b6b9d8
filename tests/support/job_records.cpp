#include "support/job_records.h"

#include <string>

namespace dlsched::test {

JobRecord job_record(std::uint32_t id, double submit, double first_start, double finish,
                     double gpu_seconds) {
  JobRecord j;
  j.job = id;
  j.job_id = "j" + std::to_string(id);
  j.model = "ResNet-50";
  j.submit = submit;
  j.first_start = first_start;
  j.finish = finish;
  j.status = finish >= 0 ? 1 : 0;
  j.jct = finish >= 0 ? finish - submit : -1;
  j.num_gpus = 1;
  j.gpu_seconds = gpu_seconds;
  return j;
}

}  // namespace dlsched::test
