"""LAS in Python: least attained GPU-service first, preemptive at round boundaries.

The same rule as the built-in `las` (src/sched/policies/las.cpp), so both give identical runs.
"""
import dlsched


class Las(dlsched.Policy):
    preemptive = True

    def schedule(self, input):
        # sorted() is stable: ties (e.g. new jobs at zero service) go to the earlier arrival.
        jobs = sorted(input.jobs, key=lambda j: j.attained_gpu_seconds)
        # (job, gpus) tuples: the cheap form of dlsched.Request(job, gpus).
        return [(j.id, j.requested_gpus) for j in jobs]
