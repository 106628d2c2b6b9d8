"""The validation loop end to end on the tiny 4-GPU trace: simulate, emulate under mpiexec
(5 ranks, sleep compute), then `dlsched compare` must cover every job of the trace, and must
refuse a pair from different experiments.

Run by ctest as `/usr/bin/python3 test_validate_e2e.py` with DLSCHED and DLSCHED_SOURCE_DIR in
the environment. Skipped when mpiexec is missing or dlsched was built without emulate.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import pandas as pd

DLSCHED = os.environ.get("DLSCHED", "dlsched")
SOURCE_DIR = os.environ.get("DLSCHED_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TRACE = os.path.join(SOURCE_DIR, "tests", "mpi", "data", "tiny-4gpu.csv")
MODELS = os.path.join(SOURCE_DIR, "jobs", "models.toml")
COMMON = ["--models", MODELS, "--trace", TRACE, "--cluster", "1x4:v100", "--round-length", "1",
          "--quiet"]
MPIEXEC = shutil.which("mpiexec")


def has_emulate():
    result = subprocess.run([DLSCHED, "emulate", "--help"], capture_output=True, text=True,
                            timeout=30)
    # Without the subcommand CLI11 prints the top-level help, which lacks emulate's flags.
    return result.returncode == 0 and "--comm-scale" in result.stdout


@unittest.skipUnless(MPIEXEC and has_emulate(), "needs mpiexec and dlsched emulate")
class ValidateEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dlsched-test-validate-")
        cls.sim = os.path.join(cls.dir, "sim.h5")
        cls.emu = os.path.join(cls.dir, "emu.h5")
        subprocess.run([DLSCHED, "simulate", *COMMON, "--policy", "fifo", "--no-progress",
                        "-o", cls.sim], check=True, timeout=120)
        env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1",
                   OMPI_MCA_mpi_yield_when_idle="1", OMPI_ALLOW_RUN_AS_ROOT="1",
                   OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
        launcher = [MPIEXEC, "-n", "5"]
        if "Open MPI" in version or "OpenRTE" in version:
            launcher = [MPIEXEC, "--oversubscribe", "-n", "5"]
        subprocess.run([*launcher, DLSCHED, "emulate", *COMMON, "--policy", "fifo",
                        "--comm-scale", "0.001", "-o", cls.emu], check=True, timeout=120, env=env)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

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
        # Sleep mode reproduces the modelled compute times: the runs agree closely.
        self.assertLess(abs(out["summary"]["avg_jct_error"]), 0.5)
        self.assertGreater(out["summary"]["spearman_finish"], 0.5)

    def test_compare_rejects_a_mismatched_pair(self):
        las = os.path.join(self.dir, "las.h5")
        subprocess.run([DLSCHED, "simulate", *COMMON, "--policy", "las", "--no-progress",
                        "-o", las], check=True, timeout=120)
        result = subprocess.run([DLSCHED, "compare", las, self.emu], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertIn("cannot compare: policy differs (las vs fifo)", result.stderr)


if __name__ == "__main__":
    unittest.main()
