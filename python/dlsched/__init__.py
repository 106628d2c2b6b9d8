"""dlsched from Python: simulate with built-in or Python policies, read results files.

    import dlsched
    class MyPolicy(dlsched.Policy):
        def schedule(self, input):
            return [dlsched.Request(j.id, j.requested_gpus) for j in input.jobs]
    results = dlsched.simulate(trace="jobs/traces/tiresias-60_job.csv", cluster="4x8:v100",
                               policy=MyPolicy())
    results.jobs  # a pandas DataFrame
"""
from ._dlsched import Decision, Error, InputError, JobView, PolicyInput, Request, policies
from .policy import Policy
from .figures import figures
from .results import Results, read
from .simulate import simulate

__all__ = ["Decision", "Error", "InputError", "JobView", "Policy", "PolicyInput", "Request",
           "Results", "figures", "policies", "read", "simulate"]
