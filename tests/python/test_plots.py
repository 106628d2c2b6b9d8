"""results/plots.py and results/dlsched_results.py on files from a small simulate run.

Run by ctest as `/usr/bin/python3 test_plots.py` with DLSCHED (the binary) and
DLSCHED_SOURCE_DIR in the environment.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DLSCHED = os.environ.get("DLSCHED", "dlsched")
SOURCE_DIR = os.environ.get("DLSCHED_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RESULTS_DIR = os.path.join(SOURCE_DIR, "results")
PLOTS = os.path.join(RESULTS_DIR, "plots.py")
TRACE = os.path.join(SOURCE_DIR, "jobs", "traces", "tiresias-60_job.csv")
CLUSTER = "2x4:v100"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

sys.path.insert(0, RESULTS_DIR)
import dlsched_results as dr  # noqa: E402
import plots  # noqa: E402


def simulate(out, policy):
    subprocess.run([DLSCHED, "simulate", "--trace", TRACE, "--cluster", CLUSTER,
                    "--policy", policy, "-o", out, "--quiet", "--no-progress"],
                   check=True, timeout=300)


def fake_emulation(sim_path, out):
    """An 'emulated' twin of a simulated run: same experiment, JCTs off by up to +-20%.
    (A real emulate run needs MPI; the plots only look at the tables.)"""
    shutil.copy(sim_path, out)
    with h5py.File(out, "r+") as f:
        f.attrs["mode"] = "emulate"
        jobs = f["jobs"][()]
        factor = np.random.default_rng(7).uniform(0.8, 1.2, len(jobs))
        done = jobs["status"] == 1
        jobs["finish"][done] = jobs["submit"][done] + factor[done] * (
            jobs["finish"][done] - jobs["submit"][done])
        jobs["jct"][done] = jobs["finish"][done] - jobs["submit"][done]
        f["jobs"][...] = jobs


def count_segments(allocations):
    """Run segments per job counted with a plain loop: a segment starts whenever a job that
    held no GPU gains one (releases at an instant are applied before grants)."""
    segments = 0
    preemptions = 0
    for _, rows in allocations.groupby("job"):
        held = 0
        ordered = sorted(zip(rows["time"], rows["event"]), key=lambda r: (r[0], r[1] == 1))
        for _, event in ordered:
            if event == 1:
                segments += held == 0
                held += 1
            else:
                held -= 1
                preemptions += held == 0 and event == 0
    return segments, preemptions


class PlotsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dlsched-test-plots-")
        cls.fifo = os.path.join(cls.dir, "fifo.h5")
        cls.las = os.path.join(cls.dir, "las.h5")
        cls.las_emu = os.path.join(cls.dir, "las_emu.h5")
        simulate(cls.fifo, "fifo")
        simulate(cls.las, "las")
        fake_emulation(cls.las, cls.las_emu)
        cls.files = [cls.fifo, cls.las, cls.las_emu]
        cls.out = os.path.join(cls.dir, "figures")
        cls.plots_run = subprocess.run([sys.executable, PLOTS, *cls.files, "-o", cls.out, "--manifest"],
                                 capture_output=True, text=True, timeout=600)
        manifest = os.path.join(cls.out, "figures.json")
        cls.manifest = json.load(open(manifest)) if os.path.exists(manifest) else {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_entry_point_writes_every_expected_png(self):
        self.assertEqual(self.plots_run.returncode, 0, self.plots_run.stderr)
        expected = {"jct_cdf.png", "gpu_utilisation.png", "queue_length.png",
                    "timeline_fifo_simulate.png", "timeline_las_simulate.png",
                    "timeline_las_emulate.png", "sim_vs_emu_las.png"}
        self.assertEqual(set(self.manifest), expected)
        for name in expected:
            with self.subTest(png=name):
                path = os.path.join(self.out, name)
                with open(path, "rb") as f:
                    self.assertEqual(f.read(8), PNG_MAGIC)
                image = matplotlib.image.imread(path)
                self.assertGreater(image.shape[0], 200)
                self.assertGreater(image.shape[1], 300)
                self.assertIn("tiresias-60_job.csv", self.manifest[name]["title"])

    def test_jct_cdf_has_one_line_per_policy_and_mode(self):
        axes = self.manifest["jct_cdf.png"]["axes"]
        self.assertEqual(len(axes), 1)
        self.assertEqual(axes[0]["lines"], 3)
        self.assertEqual([label.split(" (n=")[0] for label in axes[0]["legend"]],
                         ["fifo (simulate)", "las (simulate)", "las (emulate)"])
        self.assertRegex(axes[0]["xlabel"], r"\((s|min|h)\)$")

    def test_utilisation_has_one_panel_per_run_with_the_right_mean(self):
        axes = self.manifest["gpu_utilisation.png"]["axes"]
        self.assertEqual(len(axes), 3)
        for ax, path in zip(axes, self.files):
            self.assertEqual(ax["lines"], 1)
            self.assertEqual(ax["ylabel"], "busy GPUs (%)")
            # Time-weighted mean of the busy count, rebuilt from /allocations.
            with h5py.File(path, "r") as f:
                a = pd.DataFrame(f["allocations"][()])
                gpus = int(f.attrs["gpus"])
            delta = np.where(a["event"] == 1, 1, -1)
            steps = pd.Series(delta, index=a["time"]).groupby(level=0).sum().cumsum()
            t, busy = steps.index.to_numpy(), steps.to_numpy()
            self.assertEqual(busy[-1], 0, "every GPU is released at the end")
            self.assertLessEqual(busy.max(), gpus)
            mean = 100 * np.sum(busy[:-1] * np.diff(t)) / (t[-1] - t[0]) / gpus
            self.assertIn(f"mean {mean:.1f}% of {gpus} GPUs", ax["legend"][0])

    def test_queue_length_has_one_line_per_run(self):
        axes = self.manifest["queue_length.png"]["axes"]
        self.assertEqual(axes[0]["lines"], 3)
        self.assertEqual(axes[0]["ylabel"], "queued jobs")

    def test_timeline_draws_every_segment_and_preemption(self):
        for path, name in [(self.fifo, "timeline_fifo_simulate.png"),
                           (self.las, "timeline_las_simulate.png")]:
            with self.subTest(png=name):
                with h5py.File(path, "r") as f:
                    allocations = pd.DataFrame(f["allocations"][()])
                    jobs = len(f["jobs"])
                segments, preemptions = count_segments(allocations)
                ax = self.manifest[name]["axes"][0]
                self.assertEqual(ax["bars"], segments)
                # waiting lines + preemption markers
                self.assertEqual(ax["collections"], 2)
                self.assertIn(f"preempted ({preemptions})", ax["legend"])
                self.assertLessEqual(jobs, plots.DEFAULT_TIMELINE_JOBS)
        las = self.manifest["timeline_las_simulate.png"]["axes"][0]
        self.assertNotIn("preempted (0)", las["legend"], "las on a small cluster preempts")

    def test_sim_vs_emu_pairs_the_jobs(self):
        axes = self.manifest["sim_vs_emu_las.png"]["axes"]
        self.assertEqual(len(axes), 2)
        with h5py.File(self.las, "r") as f:
            finished = int((f["jobs"]["status"] == 1).sum())
        scatter, histogram = axes
        self.assertEqual(scatter["collections"], 1)  # the jobs
        self.assertEqual(scatter["lines"], 1)        # y = x
        self.assertIn(f"jobs finished in both ({finished})", scatter["legend"])
        self.assertGreater(histogram["bars"], 0)
        self.assertIn("simulated", scatter["ylabel"])

    def test_build_figures_returns_matplotlib_figures(self):
        runs = [dr.load(p) for p in [self.fifo, self.las]]
        figures = plots.build_figures(runs)
        self.assertNotIn("sim_vs_emu_las.png", figures)  # no emulated run, no pair
        self.assertEqual(len(figures["jct_cdf.png"].axes[0].get_lines()), 2)
        for fig in figures.values():
            matplotlib.pyplot.close(fig)

    def test_loader_decodes_strings_and_keeps_every_table(self):
        r = dr.load(self.las)
        self.assertEqual(r.attrs["policy"], "las")
        self.assertEqual(r.attrs["mode"], "simulate")
        self.assertTrue(r.complete)
        self.assertEqual(len(r.jobs), 60)
        self.assertIsInstance(r.jobs["job_id"].iloc[0], str)
        self.assertIsInstance(r.jobs["model"].iloc[0], str)
        self.assertIsInstance(r.cluster["type"].iloc[0], str)
        self.assertEqual(len(r.cluster), r.gpus)
        for table in dr.TABLES:
            self.assertIsInstance(getattr(r, table), pd.DataFrame)
        self.assertFalse(r.allocations.empty)
        self.assertFalse(r.rounds.empty)

    def test_corrupt_truncated_and_foreign_files_fail_clearly(self):
        truncated = os.path.join(self.dir, "truncated.h5")
        with open(self.las, "rb") as src, open(truncated, "wb") as dst:
            data = src.read()
            dst.write(data[: len(data) // 2])
        garbage = os.path.join(self.dir, "garbage.h5")
        with open(garbage, "w") as f:
            f.write("job_id,submit\n1,2\n")
        foreign = os.path.join(self.dir, "foreign.h5")
        with h5py.File(foreign, "w") as f:
            f["jobs"] = np.arange(3)
        for bad in [truncated, garbage, foreign]:
            with self.subTest(file=bad):
                with self.assertRaises(dr.ResultsError) as caught:
                    dr.load(bad)
                self.assertTrue(str(caught.exception).startswith(bad), str(caught.exception))
                run = subprocess.run([sys.executable, PLOTS, self.fifo, bad, "-o",
                                      os.path.join(self.dir, "bad")],
                                     capture_output=True, text=True, timeout=300)
                self.assertNotEqual(run.returncode, 0)
                self.assertIn(bad, run.stderr)
                self.assertNotIn("Traceback", run.stderr)


if __name__ == "__main__":
    unittest.main()
