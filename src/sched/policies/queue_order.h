// Jobs in K priority queues, each queue in the order its jobs joined its back. Moving a job to
// the back of a queue costs O(1), so a policy whose jobs only ever join a queue's back
// (tiresias-las) reads its whole ranking in one walk instead of sorting every job each call.
#pragma once

#include <vector>

#include "core/job.h"

namespace dlsched {

class QueueOrder {
 public:
  /// Empties the order and sets the number of queues.
  void reset(int queues) {
    links_.clear();
    head_.assign(queues, -1);
    tail_.assign(queues, -1);
  }

  /// Puts `job` at the back of `queue`, taking it out of wherever it was.
  void to_back(JobId job, int queue) {
    if (job >= links_.size()) links_.resize(job + 1);
    remove(job);
    Link& l = links_[job];
    l.queue = queue;
    l.prev = tail_[queue];
    l.next = -1;
    if (tail_[queue] >= 0)
      links_[tail_[queue]].next = static_cast<long>(job);
    else
      head_[queue] = static_cast<long>(job);
    tail_[queue] = static_cast<long>(job);
  }

  /// Takes `job` out of its queue (nothing if it is in none).
  void remove(JobId job) {
    if (job >= links_.size() || links_[job].queue < 0) return;
    Link& l = links_[job];
    (l.prev >= 0 ? links_[l.prev].next : head_[l.queue]) = l.next;
    (l.next >= 0 ? links_[l.next].prev : tail_[l.queue]) = l.prev;
    l = Link{};
  }

  /// Calls visit(job, queue) queue by queue, front to back. A job for which it returns false
  /// is taken out.
  template <class Visit>
  void walk(Visit&& visit) {
    for (int q = 0; q < static_cast<int>(head_.size()); ++q)
      for (long j = head_[q]; j >= 0;) {
        const long next = links_[j].next;
        if (!visit(static_cast<JobId>(j), q)) remove(static_cast<JobId>(j));
        j = next;
      }
  }

 private:
  struct Link {
    long prev = -1;
    long next = -1;
    int queue = -1;  // -1: in no queue
  };
  std::vector<Link> links_;  // by JobId
  std::vector<long> head_;   // per queue: its front job, or -1
  std::vector<long> tail_;   // per queue: its back job, or -1
};

}  // namespace dlsched
