"""A new policy in Python: fewest GPUs first, with ageing.

Small jobs go first (they finish soon and free the queue), but every hour a job waits counts as
one GPU less, so that large jobs are not starved. Preemptive at round boundaries.
"""
import dlsched


class FewestGpusFirst(dlsched.Policy):
    preemptive = True

    def __init__(self, hours_per_gpu=1.0):
        self.seconds_per_gpu = 3600 * float(hours_per_gpu)

    def schedule(self, input):
        def score(job):
            waited = input.now - job.submit_time - job.attained_seconds
            return job.requested_gpus - waited / self.seconds_per_gpu

        jobs = sorted(input.jobs, key=score)
        return [dlsched.Request(j.id, j.requested_gpus) for j in jobs]
