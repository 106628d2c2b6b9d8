"""A faulty Python policy stops the run with a message naming it and the round, and leaves
no results file behind."""
import os
import tempfile
import unittest

import dlsched

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the source tree
TRACE = os.path.join(ROOT, "jobs", "traces", "tiresias-60_job.csv")


class Raises(dlsched.Policy):
    def schedule(self, input):
        raise KeyError("boom")


class UnknownJob(dlsched.Policy):
    def schedule(self, input):
        return [dlsched.Request(10**6, 1)]


class TooManyGpus(dlsched.Policy):
    def schedule(self, input):
        return [dlsched.Request(input.jobs[0].id, input.num_gpus + 1)]


class SameJobTwice(dlsched.Policy):
    def schedule(self, input):
        j = input.jobs[0]
        return [dlsched.Request(j.id, 1), dlsched.Request(j.id, 1)]


class WrongType(dlsched.Policy):
    def schedule(self, input):
        return [str(j.id) for j in input.jobs]


class WrongTuple(dlsched.Policy):
    def schedule(self, input):
        return [(j.id, 1.5) for j in input.jobs]


class NotAList(dlsched.Policy):
    def schedule(self, input):
        return 42


class StartsNothing(dlsched.Policy):
    """A valid answer, but never a job: the job at the head of the queue waits beside idle
    GPUs it fits on, which a non-preemptive policy must not leave it to do."""

    preemptive = False

    def schedule(self, input):
        return []


class NeverStarts(dlsched.Policy):
    """Preemptive (the default), so it may hold jobs back, but it never starts one: with
    nothing left to arrive the run could not finish."""

    def schedule(self, input):
        return []


class FailsLater(dlsched.Policy):
    """Good answers for a while, then an unknown job: the partial file must go too."""

    def __init__(self):
        self.calls = 0

    def schedule(self, input):
        self.calls += 1
        if self.calls > 20:
            return [dlsched.Request(10**6, 1)]
        return [dlsched.Request(j.id, j.requested_gpus) for j in input.jobs]


class Everyone(dlsched.Policy):
    def schedule(self, input):
        return [(j.id, j.requested_gpus) for j in input.jobs]


class PolicyErrors(unittest.TestCase):
    def check(self, policy, pattern):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.h5")
            with self.assertRaises(dlsched.InputError) as caught:
                dlsched.simulate(trace=TRACE, cluster="4x8:v100", policy=policy, out=out)
            message = str(caught.exception)
            self.assertIn(f"python policy {type(policy).__name__}", message)
            self.assertRegex(message, r"round \d+")
            self.assertRegex(message, pattern)
            self.assertEqual(os.listdir(tmp), [], "a failed run leaves no file")

    def test_exception(self):
        self.check(Raises(), "raised.*KeyError.*boom")

    def test_unknown_job(self):
        self.check(UnknownJob(), "job 1000000 is not an active job")

    def test_more_gpus_than_the_cluster(self):
        self.check(TooManyGpus(), "33 GPUs asked, the cluster has 32")

    def test_job_twice(self):
        self.check(SameJobTwice(), "asked for twice")

    def test_wrong_item_type(self):
        self.check(WrongType(), "must return dlsched.Request items or .* tuples, got str")

    def test_wrong_tuple(self):
        self.check(WrongTuple(), r"must be \(job, gpus\)")

    def test_wrong_answer_type(self):
        self.check(NotAList(), "got int")

    def test_late_failure_names_a_later_round(self):
        policy = FailsLater()
        self.check(policy, r"call 21\b")

    def test_state_lives_in_the_object(self):
        policy = FailsLater()
        policy.calls = -10**9  # never fails
        results = dlsched.simulate(trace=TRACE, cluster="4x8:v100", policy=policy)
        self.assertEqual(policy.calls + 10**9, results.summary["policy_calls"])

    def test_success_writes_the_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.h5")
            ran = dlsched.simulate(trace=TRACE, cluster="4x8:v100", policy="las", out=out)
            self.assertEqual(os.listdir(tmp), ["r.h5"])
            self.assertTrue(dlsched.read(out).jobs.equals(ran.jobs))


    def test_report_figures_of_a_python_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.h5")
            dlsched.simulate(trace=TRACE, cluster="4x8:v100", policy=Everyone(), out=out)
            self.assertEqual(dlsched.figures(out, os.path.join(tmp, "fig")) or 0, 0)
            self.assertIn("jct_cdf.png", os.listdir(os.path.join(tmp, "fig")))


if __name__ == "__main__":
    unittest.main()
