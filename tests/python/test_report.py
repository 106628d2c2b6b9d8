"""`dlsched report` checked against statistics recomputed here with h5py and pandas.

Run by ctest as `/usr/bin/python3 test_report.py` with DLSCHED (the binary) and
DLSCHED_SOURCE_DIR in the environment.
"""

import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import h5py
import numpy as np
import pandas as pd

DLSCHED = os.environ.get("DLSCHED", "dlsched")
SOURCE_DIR = os.environ.get("DLSCHED_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TRACE = os.path.join(SOURCE_DIR, "jobs", "traces", "tiresias-60_job.csv")
CLUSTER = "2x4:v100"  # small, so that jobs queue and the preemptive policies preempt

STATS = ["avg_jct", "p50_jct", "p95_jct", "p99_jct", "makespan", "utilisation", "avg_rho",
         "max_rho", "rho_over_1_1", "preemptions", "avg_queueing_delay", "jobs", "finished",
         "unfinished"]


def simulate(out, policy, *extra):
    subprocess.run([DLSCHED, "simulate", "--trace", TRACE, "--cluster", CLUSTER,
                    "--policy", policy, "-o", out, "--quiet", "--no-progress", *extra],
                   check=True, timeout=300)


def report(*args):
    return subprocess.run([DLSCHED, "report", *args], capture_output=True, text=True,
                          timeout=120)


def expected_stats(path):
    """The documented statistics (docs/analysis.md), straight from the HDF5 tables."""
    with h5py.File(path, "r") as f:
        jobs = pd.DataFrame(f["jobs"][()])
        gpus = int(f.attrs["gpus"])
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    done = jobs[jobs["status"] == 1]
    jct = done["finish"] - done["submit"]
    rho = (jct / done["isolated_time"])[done["isolated_time"] > 0]
    started = jobs[jobs["first_start"] >= 0]
    makespan = done["finish"].max() - jobs["submit"].min()
    return {
        "mode": attrs["mode"], "policy": attrs["policy"],
        "jobs": len(jobs), "finished": len(done), "unfinished": int((jobs["status"] == 0).sum()),
        "avg_jct": jct.mean(),
        "p50_jct": np.percentile(jct, 50), "p95_jct": np.percentile(jct, 95),
        "p99_jct": np.percentile(jct, 99),
        "makespan": makespan,
        "utilisation": jobs["gpu_seconds"].sum() / (gpus * makespan),
        "avg_rho": rho.mean(), "max_rho": rho.max(), "rho_over_1_1": (rho > 1.1).mean(),
        "preemptions": jobs["preemptions"].sum(),
        "avg_queueing_delay": (started["first_start"] - started["submit"]).mean(),
    }


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dlsched-test-report-")
        cls.fifo = os.path.join(cls.dir, "fifo.h5")
        cls.las = os.path.join(cls.dir, "las.h5")
        cls.las_long = os.path.join(cls.dir, "las_long_rounds.h5")
        simulate(cls.fifo, "fifo")
        simulate(cls.las, "las")
        simulate(cls.las_long, "las", "--round-length", "900")
        cls.files = [cls.fifo, cls.las, cls.las_long]
        cls.expected = {f: expected_stats(f) for f in cls.files}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def assert_stats(self, row, expected, context):
        for key in STATS:
            with self.subTest(file=context, stat=key):
                self.assertTrue(np.isclose(float(row[key]), float(expected[key]), rtol=1e-9,
                                           atol=1e-9),
                                f"{key}: report {row[key]} != pandas {expected[key]}")

    def test_csv_matches_pandas(self):
        result = report("--format", "csv", *self.files)
        self.assertEqual(result.returncode, 0, result.stderr)
        table = pd.read_csv(io.StringIO(result.stdout))
        self.assertEqual(list(table["file"]), self.files)
        for _, row in table.iterrows():
            expected = self.expected[row["file"]]
            self.assertEqual(row["policy"], expected["policy"])
            self.assertEqual(row["mode"], "simulate")
            self.assertEqual(row["status"], "complete")
            self.assert_stats(row, expected, row["file"])

    def test_json_matches_pandas(self):
        result = report("--format", "json", *self.files)
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = json.loads(result.stdout)
        self.assertEqual([r["file"] for r in rows], self.files)
        for row in rows:
            self.assert_stats(row, self.expected[row["file"]], row["file"])

    def test_the_small_cluster_makes_the_test_meaningful(self):
        las = self.expected[self.las]
        self.assertGreater(las["preemptions"], 0, "las never preempted: the test proves little")
        self.assertGreater(las["avg_queueing_delay"], 0)

    def test_table_lists_every_run(self):
        result = report(*self.files)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("mode: simulate"), result.stdout)
        self.assertIn("avg JCT", lines[1])
        for path, line in zip(self.files, lines[2:]):
            self.assertTrue(line.startswith(os.path.basename(path)), line)
            self.assertIn(self.expected[path]["policy"], line)
            self.assertIn(f"{100 * self.expected[path]['utilisation']:.1f}%", line)

    def test_group_by_policy_averages_the_runs(self):
        result = report("--format", "csv", "--group-by", "policy", *self.files)
        self.assertEqual(result.returncode, 0, result.stderr)
        table = pd.read_csv(io.StringIO(result.stdout)).set_index("policy")
        per_run = pd.DataFrame([self.expected[f] for f in self.files])
        means = per_run.groupby("policy")[STATS].mean()
        self.assertEqual(sorted(table.index), ["fifo", "las"])
        self.assertEqual(table.loc["las", "runs"], 2)
        self.assertEqual(table.loc["las", "file"], f"{self.las};{self.las_long}")
        for policy in ["fifo", "las"]:
            self.assert_stats(table.loc[policy], means.loc[policy], policy)

    def test_group_by_several_keys_and_unknown_keys(self):
        result = report("--format", "json", "--group-by", "policy,mode", *self.files)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([(r["policy"], r["runs"]) for r in json.loads(result.stdout)],
                         [("fifo", 1), ("las", 2)])
        result = report("--group-by", "colour", *self.files)
        self.assertEqual(result.returncode, 2)
        self.assertIn("colour", result.stderr)

    def test_unfinished_jobs_are_counted_and_left_out_of_jct(self):
        path = os.path.join(self.dir, "partly_unfinished.h5")
        shutil.copy(self.las, path)
        with h5py.File(path, "r+") as f:
            jobs = f["jobs"][()]
            last = np.argsort(jobs["finish"])[-3:]  # the three last to finish
            jobs["status"][last] = 0
            jobs["finish"][last] = -1
            jobs["jct"][last] = -1
            f["jobs"][...] = jobs
        expected = expected_stats(path)
        self.assertEqual(expected["unfinished"], 3)
        result = report("--format", "json", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_stats(json.loads(result.stdout)[0], expected, path)

    def test_corrupt_and_truncated_files_exit_2_naming_the_file(self):
        garbage = os.path.join(self.dir, "garbage.h5")
        with open(garbage, "wb") as f:
            f.write(b"\x89HDF\r\n\x1a\n but nothing else")
        truncated = os.path.join(self.dir, "truncated.h5")
        with open(self.las, "rb") as src, open(truncated, "wb") as dst:
            data = src.read()
            dst.write(data[: len(data) // 2])
        foreign = os.path.join(self.dir, "foreign.h5")
        with h5py.File(foreign, "w") as f:
            f["x"] = np.arange(3)
        for bad in [garbage, truncated, foreign, os.path.join(self.dir, "missing.h5")]:
            with self.subTest(file=bad):
                result = report(self.fifo, bad)
                self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
                self.assertIn(bad, result.stderr)
                self.assertEqual(result.stdout, "", "nothing is printed for a failed report")

    def test_unknown_format_is_a_usage_error(self):
        self.assertEqual(report("--format", "xml", self.fifo).returncode, 2)


if __name__ == "__main__":
    unittest.main()
