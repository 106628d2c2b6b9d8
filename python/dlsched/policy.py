"""The base class of policies written in Python (the C++ Policy interface, sched/policy.h)."""


class Policy:
    """Subclass and implement schedule(); state lives in the instance, kept for the whole run.

    schedule(input) sees input.now, input.round_boundary, input.jobs (JobView: id,
    requested_gpus, attained_gpu_seconds, running, ...), input.num_gpus, input.gpu_types and
    returns the requests in priority order: a list of dlsched.Request, or a dlsched.Decision
    (requests plus backfill=False for strict order). Jobs left out get no GPUs.
    """

    #: May the policy take GPUs from running jobs (at round boundaries)?
    preemptive = True

    def schedule(self, input):
        raise NotImplementedError(f"{type(self).__name__} does not implement schedule()")
