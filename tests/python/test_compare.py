"""`dlsched compare` checked against the same figures recomputed here with h5py and pandas.

Two simulations of one experiment stand in for a simulated and an emulated run: the second
charges a longer checkpoint-restore delay (not one of the fields that must match), so JCTs,
restores and the finish order differ. Run by ctest as `/usr/bin/python3 test_compare.py`
with DLSCHED (the binary) and DLSCHED_SOURCE_DIR in the environment.
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
CLUSTER = "2x4:v100"  # small, so that jobs queue and las preempts


def simulate(out, *extra, policy="las"):
    subprocess.run([DLSCHED, "simulate", "--trace", TRACE, "--cluster", CLUSTER,
                    "--policy", policy, "-o", out, "--quiet", "--no-progress", *extra],
                   check=True, timeout=300)


def compare(*args):
    return subprocess.run([DLSCHED, "compare", *args], capture_output=True, text=True,
                          timeout=120)


def load(path):
    with h5py.File(path, "r") as f:
        jobs = pd.DataFrame(f["jobs"][()])
        progress = pd.DataFrame(f["progress"][()])
        gpus = int(f.attrs["gpus"])
    for column in ["job_id", "model"]:
        jobs[column] = jobs[column].str.decode("utf-8")
    restore = (progress["end"] - progress["start"] - progress["seconds"]).clip(lower=0)
    restore = restore.groupby(progress["job"]).sum()
    jobs = jobs.set_index("job")
    jobs["restore"] = restore.reindex(jobs.index).fillna(0.0)
    done = jobs["status"] == 1
    jobs["jct_"] = (jobs["finish"] - jobs["submit"]).where(done)
    jobs["wait"] = (jobs["first_start"] - jobs["submit"]).where(jobs["first_start"] >= 0)
    jobs["other"] = jobs["jct_"] - (jobs["wait"] + jobs["compute_seconds"] +
                                    jobs["comm_seconds"] + jobs["restore"])
    finished = jobs[done]
    makespan = finished["finish"].max() - jobs["submit"].min()
    run = {"avg_jct": finished["jct_"].mean(), "makespan": makespan,
           "utilisation": jobs["gpu_seconds"].sum() / (gpus * makespan)}
    return jobs, run


def expected(sim_path, emu_path):
    """The documented figures of docs/validation.md, from the tables alone."""
    sim, sim_run = load(sim_path)
    emu, emu_run = load(emu_path)
    both = sim.join(emu, lsuffix="_sim", rsuffix="_emu", how="outer")
    compared = both[(both["status_sim"] == 1) & (both["status_emu"] == 1)]
    error = (compared["jct__emu"] - compared["jct__sim"]) / compared["jct__sim"]
    summary = {
        "jobs": len(both), "compared_jobs": len(compared),
        "unfinished_jobs": len(both) - len(compared),
        "sim_avg_jct": sim_run["avg_jct"], "emu_avg_jct": emu_run["avg_jct"],
        "spearman_finish": compared["finish_sim"].corr(compared["finish_emu"], method="spearman"),
        "mean_error": error.mean(),
        "median_abs_error": np.percentile(error.abs(), 50),
        "p90_abs_error": np.percentile(error.abs(), 90),
    }
    for key in ["avg_jct", "makespan", "utilisation"]:
        summary[f"{key}_error"] = (emu_run[key] - sim_run[key]) / sim_run[key]
    jobs = pd.DataFrame({
        "sim_jct": both["jct__sim"], "emu_jct": both["jct__emu"],
        "ratio": both["jct__emu"] / both["jct__sim"],
        "error": (both["jct__emu"] - both["jct__sim"]) / both["jct__sim"],
        "sim_wait": both["wait_sim"], "emu_wait": both["wait_emu"],
        "sim_compute": both["compute_seconds_sim"], "emu_compute": both["compute_seconds_emu"],
        "sim_comm": both["comm_seconds_sim"], "emu_comm": both["comm_seconds_emu"],
        "sim_restore": both["restore_sim"], "emu_restore": both["restore_emu"],
        "sim_other": both["other_sim"], "emu_other": both["other_emu"],
    })
    breakdown = {}
    for part, sim_col, emu_col in [("jct", "jct__sim", "jct__emu"), ("wait", "wait_sim", "wait_emu"),
                                   ("compute", "compute_seconds_sim", "compute_seconds_emu"),
                                   ("comm", "comm_seconds_sim", "comm_seconds_emu"),
                                   ("restore", "restore_sim", "restore_emu"),
                                   ("other", "other_sim", "other_emu")]:
        breakdown[part] = (compared[sim_col].sum(), compared[emu_col].sum())
    return summary, jobs, breakdown, error


def close(a, b):
    if a is None or (isinstance(a, float) and np.isnan(a)):
        return b is None or np.isnan(b)
    return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-9))


class CompareTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dlsched-test-compare-")
        cls.sim = os.path.join(cls.dir, "sim.h5")
        cls.emu = os.path.join(cls.dir, "emu.h5")
        simulate(cls.sim)
        simulate(cls.emu, "--restore-delay", "60", "--no-model-restore")
        cls.summary, cls.jobs, cls.breakdown, cls.error = expected(cls.sim, cls.emu)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_the_pair_differs_enough_to_test_something(self):
        self.assertGreater(self.summary["compared_jobs"], 50)
        self.assertGreater(self.error.abs().max(), 0.05)
        self.assertLess(self.summary["spearman_finish"], 1.0)

    def test_summary_csv_matches_pandas(self):
        result = compare("--format", "csv", self.sim, self.emu)
        self.assertEqual(result.returncode, 0, result.stderr)
        table = pd.read_csv(io.StringIO(result.stdout))
        self.assertEqual(len(table), 1)
        row = table.iloc[0]
        self.assertEqual(row["sim_file"], self.sim)
        self.assertEqual(row["emu_mode"], "simulate")
        for key, value in self.summary.items():
            with self.subTest(stat=key):
                self.assertTrue(close(row[key], value), f"{key}: compare {row[key]} != pandas {value}")

    def test_jobs_csv_matches_pandas(self):
        result = compare("--format", "csv", "--csv-table", "jobs", self.sim, self.emu)
        self.assertEqual(result.returncode, 0, result.stderr)
        table = pd.read_csv(io.StringIO(result.stdout)).set_index("job")
        self.assertEqual(sorted(table.index), sorted(self.jobs.index))
        for column in self.jobs.columns:
            for job in self.jobs.index:
                with self.subTest(column=column, job=job):
                    self.assertTrue(close(table.loc[job, column], self.jobs.loc[job, column]),
                                    f"{column} of job {job}: compare {table.loc[job, column]} "
                                    f"!= pandas {self.jobs.loc[job, column]}")

    def test_json_matches_pandas(self):
        result = compare("--format", "json", "--worst", "5", self.sim, self.emu)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = json.loads(result.stdout)
        for key, value in self.summary.items():
            with self.subTest(stat=key):
                self.assertTrue(close(out["summary"][key], value))
        for part, (sim_sum, emu_sum) in self.breakdown.items():
            with self.subTest(part=part):
                self.assertTrue(close(out["breakdown"][part]["sim"], sim_sum))
                self.assertTrue(close(out["breakdown"][part]["emu"], emu_sum))
        # The parts add up to the JCT difference.
        parts = sum(out["breakdown"][p]["difference"]
                    for p in ["wait", "compute", "comm", "restore", "other"])
        self.assertTrue(np.isclose(parts, out["breakdown"]["jct"]["difference"], atol=1e-6))
        worst = [row["job"] for row in out["worst"]]
        self.assertEqual(len(worst), 5)
        largest = self.error.abs().sort_values(ascending=False, kind="stable")
        self.assertTrue(np.allclose(sorted(self.error.abs()[worst], reverse=True),
                                    largest.iloc[:5].values))
        self.assertEqual(out["unfinished"], [])
        self.assertEqual(len(out["jobs"]), self.summary["jobs"])

    def test_table_has_the_headline_figures(self):
        result = compare(self.sim, self.emu)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("avg JCT", result.stdout)
        self.assertIn(f"{100 * self.summary['avg_jct_error']:+.1f}%", result.stdout)
        self.assertIn("breakdown", result.stdout)
        self.assertIn("worst 10 jobs", result.stdout)

    def test_a_different_experiment_is_refused_naming_the_field(self):
        other = os.path.join(self.dir, "fifo.h5")
        simulate(other, policy="fifo")
        result = compare(self.sim, other)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertIn("cannot compare: policy differs (las vs fifo)", result.stderr)
        scaled = os.path.join(self.dir, "scaled.h5")
        simulate(scaled, "--time-scale", "0.5")
        result = compare(self.sim, scaled)
        self.assertEqual(result.returncode, 2)
        self.assertIn("cannot compare: time scale differs (1 vs 0.5)", result.stderr)


if __name__ == "__main__":
    unittest.main()
