"""`dlsched simulate --policy python:FILE.py:ClassName`: the CLI runs a Python policy as the
module does, and a faulty one exits 2 naming the policy and round, leaving no results file."""
import os
import subprocess
import tempfile
import unittest

import dlsched

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the source tree
TRACE = os.path.join(ROOT, "jobs", "traces", "tiresias-60_job.csv")
LAS = os.path.join(ROOT, "examples", "python_policy", "las.py")
DLSCHED = os.environ["DLSCHED"]

# The policy that answers well for 20 calls, then names an unknown job, shared with the
# module's error tests.
FAULTY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_policy_errors.py")


def run(policy, out, *extra):
    return subprocess.run([DLSCHED, "simulate", "--trace", TRACE, "--cluster", "4x8:v100",
                           "--policy", policy, "-q", "-o", out, *extra],
                          capture_output=True, text=True, timeout=120)


class CliPythonPolicy(unittest.TestCase):
    def test_python_las_equals_builtin(self):
        with tempfile.TemporaryDirectory() as tmp:
            ours, builtin = os.path.join(tmp, "py.h5"), os.path.join(tmp, "las.h5")
            self.assertEqual(run(f"python:{LAS}:Las", ours).returncode, 0)
            self.assertEqual(run("las", builtin).returncode, 0)
            a, b = dlsched.read(ours), dlsched.read(builtin)
            self.assertGreater(len(a.jobs), 0)
            self.assertTrue(a.jobs.equals(b.jobs))
            self.assertTrue(a.allocations.equals(b.allocations))

    def test_faulty_policy_exits_2_without_a_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            ran = run(f"python:{FAULTY}:FailsLater", os.path.join(tmp, "r.h5"))
            self.assertEqual(ran.returncode, 2, ran.stderr)
            self.assertRegex(ran.stderr, r"python policy FailsLater: round \d+ \(call 21")
            self.assertEqual(os.listdir(tmp), [])

    def test_check_invariants_stops_a_policy_that_leaves_gpus_idle(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.h5")
            ran = subprocess.run([DLSCHED, "simulate", "--trace", TRACE, "--cluster", "4x8:v100",
                                  "--policy", f"python:{FAULTY}:StartsNothing", "-q",
                                  "--check-invariants", "-o", out],
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(ran.returncode, 1, ran.stderr)
            self.assertRegex(ran.stderr, r"t=\d+(\.\d+)?: job \S+ \(\d+ GPUs\) waits while \d+ GPUs")
            self.assertEqual(os.listdir(tmp), [])
            # Built-in policies keep every invariant on the same trace.
            self.assertEqual(run("las", out, "--check-invariants").returncode, 0)

    def test_a_policy_that_never_starts_a_job_ends_the_run_with_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            ran = run(f"python:{FAULTY}:NeverStarts", os.path.join(tmp, "r.h5"))
            self.assertEqual(ran.returncode, 1, ran.stderr)
            self.assertRegex(ran.stderr, r"policy \S*NeverStarts has left \d+ waiting job\(s\) "
                                         r"beside 32 idle GPUs for 1000 rounds since t=\d+")
            self.assertIn("the run cannot finish", ran.stderr)
            self.assertEqual(os.listdir(tmp), [])

    def test_missing_class_is_an_input_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            ran = run(f"python:{LAS}:NoSuchClass", os.path.join(tmp, "r.h5"))
            self.assertEqual(ran.returncode, 2)
            self.assertIn("has no class NoSuchClass", ran.stderr)


if __name__ == "__main__":
    unittest.main()
