#include "emu/send_lease.h"

namespace dlsched::emu {

void send_lease(Channel& channel, CommRegistry& comms, AssignMsg& a) {
  const CommPlan plan = comms.plan_lease(std::vector<int>(a.members.begin(), a.members.end()));
  for (const std::vector<int>& old : plan.release) {
    const ReleaseMsg release{std::vector<std::int32_t>(old.begin(), old.end())};
    for (int m : old) channel.send(m, release);
  }
  a.new_comm = plan.build;
  for (std::int32_t m : a.members) channel.send(m, a);
}

}  // namespace dlsched::emu
