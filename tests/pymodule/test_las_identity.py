"""The Python LAS of examples/python_policy gives runs identical to the built-in `las`."""
import os
import sys
import unittest

import dlsched

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the source tree
sys.path.insert(0, os.path.join(ROOT, "examples", "python_policy"))
import las  # noqa: E402

TRACES = os.path.join(ROOT, "jobs", "traces")
# Every sample trace but Philly's 82k jobs (bench/python_policy_bench.py runs that one).
SAMPLES = {
    "tiresias-60_job.csv": {},
    "pollux-workload-1.csv": {},
    "gavel-small_test.trace": {"throughputs": os.path.join(TRACES, "gavel-simulation_throughputs.json")},
    "gavel-medium_test.trace": {"throughputs": os.path.join(TRACES, "gavel-simulation_throughputs.json")},
}


class LasIdentity(unittest.TestCase):
    def test_every_sample_trace(self):
        for name, extra in SAMPLES.items():
            with self.subTest(trace=name):
                trace = os.path.join(TRACES, name)
                cluster = "2x4:v100,2x4:p100,2x4:k80" if name.startswith("gavel") else "4x8:v100"
                ours = dlsched.simulate(trace=trace, cluster=cluster, policy=las.Las(), **extra)
                builtin = dlsched.simulate(trace=trace, cluster=cluster, policy="las", **extra)
                self.assertGreater(len(builtin.jobs), 0)
                self.assertGreater(builtin.summary["rounds"], 0)
                self.assertEqual(ours.summary, builtin.summary)
                for table in ("jobs", "allocations", "rounds"):
                    a, b = getattr(ours, table), getattr(builtin, table)
                    if "control_overhead" in a:  # wall-clock time of the decisions
                        a, b = a.drop(columns="control_overhead"), b.drop(columns="control_overhead")
                    self.assertTrue(a.equals(b), f"{name}: {table} differ")


if __name__ == "__main__":
    unittest.main()
