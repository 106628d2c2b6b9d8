"""The adaptive-jobs figure of results/plots.py and the /adaptive table of dlsched_results.py,
on a small `simulate --mechanism pollux` run of the made-up application tests/adaptive/data/toy.

Run by ctest as `/usr/bin/python3 test_plots_adaptive.py` with DLSCHED and DLSCHED_SOURCE_DIR in
the environment.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

DLSCHED = os.environ.get("DLSCHED", "dlsched")
SOURCE_DIR = os.environ.get(
    "DLSCHED_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RESULTS_DIR = os.path.join(SOURCE_DIR, "results")
APPLICATIONS = os.path.join(SOURCE_DIR, "tests", "adaptive", "data")
TRACE = os.path.join(SOURCE_DIR, "tests", "mpi", "data", "tiny-4gpu.csv")

sys.path.insert(0, RESULTS_DIR)
import dlsched_results as dr  # noqa: E402
import plots  # noqa: E402


class AdaptivePlotsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dlsched-test-plots-adaptive-")
        trace = os.path.join(cls.dir, "toy.csv")
        with open(trace, "w") as f:
            f.write("name,time,application,num_replicas,batch_size\n"
                    "j0,0,toy,1,64\nj1,100,toy,2,128\nj2,130,toy,1,64\n")
        cls.adaptive = os.path.join(cls.dir, "pollux.h5")
        subprocess.run([DLSCHED, "simulate", "--mechanism", "pollux", "--policy", "pollux",
                        "--applications", APPLICATIONS, "--trace", trace, "--cluster", "1x4",
                        "-o", cls.adaptive, "--quiet", "--no-progress"], check=True, timeout=300)
        cls.fixed = os.path.join(cls.dir, "fifo.h5")
        subprocess.run([DLSCHED, "simulate", "--trace", TRACE, "--cluster", "1x4:v100",
                        "--policy", "fifo", "-o", cls.fixed, "--quiet", "--no-progress"],
                       check=True, timeout=300)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_loader_reads_the_adaptive_table_and_leaves_it_empty_elsewhere(self):
        run = dr.load(self.adaptive)
        self.assertEqual(list(run.adaptive.columns), list(dr.ADAPTIVE_COLUMNS))
        self.assertEqual(sorted(run.adaptive["job"].unique()), [0, 1, 2])
        placed = run.adaptive[run.adaptive["gpus"] > 0]
        self.assertTrue((placed["batch_size"] ==
                         placed["gpus"] * placed["atomic_bsz"] * (placed["accum_steps"] + 1)).all())
        self.assertIsInstance(run.adaptive["placement"].iloc[0], str)
        self.assertEqual(len(dr.load(self.fixed).adaptive), 0)

    def test_figure_draws_each_jobs_gpus_and_batch_size_as_recorded(self):
        run = dr.load(self.adaptive)
        figures = plots.build_figures([run])
        names = [n for n in figures if n.startswith("adaptive_")]
        self.assertEqual(len(names), 1, list(figures))
        top, bottom = figures[names[0]].axes[:2]
        div, _ = plots.time_unit(float(run.adaptive["time"].max()))
        self.assertEqual(len(top.get_lines()), 3)
        self.assertEqual(len(bottom.get_lines()), 3)
        for line, batch_line, job in zip(top.get_lines(), bottom.get_lines(), [0, 1, 2]):
            rows = run.adaptive[run.adaptive["job"] == job]
            np.testing.assert_allclose(line.get_xdata(), rows["time"] / div)
            np.testing.assert_array_equal(line.get_ydata(), rows["gpus"])
            batches = np.where(rows["gpus"] > 0, rows["batch_size"], np.nan)
            np.testing.assert_array_equal(batch_line.get_ydata(), batches)
        self.assertEqual([t.get_text() for t in top.get_legend().get_texts()], ["j0", "j1", "j2"])

    def test_runs_without_adaptive_jobs_get_no_such_figure(self):
        figures = plots.build_figures([dr.load(self.fixed)])
        self.assertFalse([n for n in figures if n.startswith("adaptive_")])


if __name__ == "__main__":
    unittest.main()
