"""Acceptance: `dlsched simulate` runs every bundled sample trace under fifo, srtf and las;
every job finishes and the results file opens with plain h5py + pandas."""
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import pandas as pd

DLSCHED = os.environ["DLSCHED"]
SOURCE = os.environ["DLSCHED_SOURCE_DIR"]
TRACES = os.path.join(SOURCE, "jobs", "traces")
GAVEL_TABLE = os.path.join(TRACES, "gavel-simulation_throughputs.json")

# (trace, cluster, extra flags): each sample on a cluster that fits its largest job.
SAMPLES = [
    ("tiresias-60_job.csv", "2x4:v100", []),
    ("gavel-small_test.trace", "1x4:v100,1x4:p100,1x4:k80", ["--throughputs", GAVEL_TABLE]),
    ("gavel-medium_test.trace", os.path.join(SOURCE, "jobs/clusters/gavel-heterogeneous.toml"),
     ["--throughputs", GAVEL_TABLE]),
    ("pollux-workload-1.csv", "16x4:t4", []),
    ("philly-82k.csv", os.path.join(SOURCE, "jobs/clusters/philly-2048.toml"), []),
]


def decoded(frame):
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].str.decode("utf-8")
    return frame


class SimulateSamples(unittest.TestCase):
    def test_every_sample_under_fifo_srtf_las(self):
        with tempfile.TemporaryDirectory() as tmp:
            for trace, cluster, extra in SAMPLES:
                for policy in ("fifo", "srtf", "las"):
                    with self.subTest(trace=trace, policy=policy):
                        out = os.path.join(tmp, f"{trace}-{policy}.h5")
                        cmd = [DLSCHED, "simulate", "--no-progress", "--quiet",
                               "--trace", os.path.join(TRACES, trace), "--cluster", cluster,
                               "--policy", policy, "-o", out] + extra
                        subprocess.run(cmd, check=True)
                        with h5py.File(out, "r") as f:
                            self.assertEqual(f.attrs["status"], "complete")
                            self.assertEqual(f.attrs["mode"], "simulate")
                            self.assertEqual(f.attrs["policy"], policy)
                            jobs = decoded(pd.DataFrame(f["jobs"][()]))
                            n = int(f.attrs["jobs"])
                            self.assertEqual(len(jobs), n)
                            self.assertTrue((jobs["status"] == 1).all())
                            self.assertTrue((jobs["iterations_done"] == jobs["iterations"]).all())
                            self.assertTrue((jobs["jct"] >= jobs["isolated_time"] * (1 - 1e-9)).all())
                            self.assertEqual(jobs["job"].nunique(), n)
                            gpus = pd.DataFrame(f["cluster"][()])
                            self.assertEqual(len(gpus), int(f.attrs["gpus"]))
                            alloc = pd.DataFrame(f["allocations"][()])
                            self.assertGreaterEqual(len(alloc), 2 * n)  # a start and a finish row each

    def test_same_inputs_give_byte_identical_tables(self):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for run in ("a", "b"):
                out = os.path.join(tmp, f"{run}.h5")
                subprocess.run([DLSCHED, "simulate", "--no-progress", "--quiet", "--trace",
                                os.path.join(TRACES, "pollux-workload-1.csv"), "--cluster", "8x4:t4",
                                "--policy", "las", "--round-length", "60", "-o", out], check=True)
                paths.append(out)
            with h5py.File(paths[0], "r") as a, h5py.File(paths[1], "r") as b:
                for table in ("jobs", "allocations", "progress", "rounds", "cluster"):
                    with self.subTest(table=table):
                        self.assertGreater(len(a[table]), 0)
                        self.assertEqual(a[table][()].tobytes(), b[table][()].tobytes())
                self.assertEqual(a.attrs["config"], b.attrs["config"])
                self.assertEqual(a.attrs["trace_sha256"], b.attrs["trace_sha256"])


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False).result.wasSuccessful() else 1)
