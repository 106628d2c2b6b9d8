"""The validation recipe end to end on the tiny 4-GPU trace: scripts/validate.sh profiles the
trace's models under mpiexec (5 ranks, sleep compute), simulates fifo with the profile table,
emulates it twice and compares. The profile must cover every model and worker count the trace
uses, the simulation must take every job's rate from it, and `dlsched compare` must cover every
job of the trace and refuse a pair from different experiments.

Run by ctest as `/usr/bin/python3 test_validate_e2e.py` with DLSCHED and DLSCHED_SOURCE_DIR in
the environment. Skipped when mpiexec is missing or dlsched was built without profile.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import h5py
import pandas as pd

DLSCHED = os.environ.get("DLSCHED", "dlsched")
SOURCE_DIR = os.environ.get("DLSCHED_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TRACE = os.path.join(SOURCE_DIR, "tests", "mpi", "data", "tiny-4gpu.csv")
MODELS = os.path.join(SOURCE_DIR, "jobs", "models.toml")
MPIEXEC = shutil.which("mpiexec")


def has_profile():
    result = subprocess.run([DLSCHED, "profile", "--help"], capture_output=True, text=True,
                            timeout=30)
    # Without the subcommand CLI11 prints the top-level help, which lacks profile's flags.
    return result.returncode == 0 and "--repetitions" in result.stdout


@unittest.skipUnless(MPIEXEC and has_profile(), "needs mpiexec and dlsched profile")
class ValidateEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dlsched-test-validate-")
        env = dict(os.environ, DLSCHED=DLSCHED, POLICIES="fifo",
                   PROFILE_ARGS="--warmup 1 --iterations 3 --repetitions 2")
        result = subprocess.run(["bash", os.path.join(SOURCE_DIR, "scripts", "validate.sh"),
                                 cls.dir], capture_output=True, text=True, timeout=300, env=env)
        if result.returncode != 0:
            raise AssertionError(f"validate.sh failed ({result.returncode}):\n{result.stderr}")
        cls.summary = result.stdout
        cls.sim = os.path.join(cls.dir, "fifo-sim.h5")
        cls.emu = os.path.join(cls.dir, "fifo-emu1.h5")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_profile_covers_every_model_and_worker_count_of_the_trace(self):
        trace = pd.read_csv(TRACE)
        table = pd.read_csv(os.path.join(self.dir, "profile.csv"), comment="#")
        # Powers of two up to the 4 workers, one node: consolidated only, on the v100s.
        self.assertEqual(set(table["model"]), set(trace["model"]))
        self.assertEqual(sorted(table.groupby("model").size().unique()), [3])
        self.assertEqual(set(table["workers"]), {1, 2, 4})
        self.assertTrue((table["consolidated"] == 1).all())
        self.assertTrue((table["gpu_type"] == "v100").all())
        self.assertTrue((table["samples"] == 2 * 3).all())
        with h5py.File(os.path.join(self.dir, "profile.h5"), "r") as f:
            self.assertEqual(f.attrs["mode"], "profile")
            self.assertEqual(f.attrs["status"], "complete")
            rows = pd.DataFrame(f["profile"][:])
        self.assertEqual(len(rows), len(table) * 2)  # two repetitions each
        # The table's rate is 1 / the median (here: the mean of two) of the repetitions.
        rows["model"] = rows["model"].str.decode("utf-8")
        median = rows.groupby(["model", "workers"])["iteration_s"].median()
        for _, r in table.iterrows():
            self.assertAlmostEqual(r["steps_per_second"] * median[(r["model"], r["workers"])], 1,
                                   places=9)

    def test_the_simulation_takes_every_rate_from_the_profile(self):
        with h5py.File(self.sim, "r") as f:
            self.assertTrue(f.attrs["throughputs"].endswith("profile.csv"))
            sources = {s.decode() for s in f["jobs"]["throughput_source"]}
        self.assertEqual(sources, {"measured"})

    def test_compare_covers_every_job_of_the_trace(self):
        result = subprocess.run([DLSCHED, "compare", "--format", "json", self.sim, self.emu],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = json.loads(result.stdout)
        trace = pd.read_csv(TRACE)
        self.assertEqual(sorted(j["job_id"] for j in out["jobs"]), sorted(trace["job_id"]))
        self.assertEqual(out["summary"]["compared_jobs"], len(trace))
        self.assertEqual(out["unfinished"], [])
        self.assertEqual((out["sim_mode"], out["emu_mode"]), ("simulate", "emulate"))
        # Loose: the runs describe the same schedule (docs/validation.md has the figures).
        self.assertLess(abs(out["summary"]["avg_jct_error"]), 0.5)
        self.assertGreater(out["summary"]["spearman_finish"], 0.5)

    def test_the_script_reports_each_comparison(self):
        lines = self.summary.strip().splitlines()
        self.assertTrue(lines[0].startswith("case,sim_file,emu_file,"))
        cases = [line.split(",")[0] for line in lines[1:]]
        self.assertEqual(cases, ["fifo:sim-vs-emu1", "fifo:whole-vs-emu1", "fifo:uncal-vs-emu1",
                                 "fifo:emu1-vs-emu2"])
        for line in lines[1:]:
            self.assertEqual(line.split(",")[6], "6")  # compared_jobs

    def test_compare_rejects_a_mismatched_pair(self):
        las = os.path.join(self.dir, "las.h5")
        subprocess.run([DLSCHED, "simulate", "--models", MODELS, "--trace", TRACE, "--cluster",
                        "1x4:v100", "--round-length", "1", "--quiet", "--policy", "las",
                        "--no-progress", "-o", las], check=True, timeout=120)
        result = subprocess.run([DLSCHED, "compare", las, self.emu], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertIn("cannot compare: policy differs (las vs fifo)", result.stderr)


if __name__ == "__main__":
    unittest.main()
