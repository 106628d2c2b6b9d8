"""Load dlsched results files (HDF5) into pandas DataFrames.

For notebooks and scripts::

    import dlsched_results as dr
    r = dr.load("las.h5")
    r.attrs["policy"], r.jobs["jct"].describe()

Needs only h5py, pandas and numpy (Debian: python3-h5py, python3-pandas). The schema is
described in docs/results.md; the statistics used by `dlsched report` in docs/analysis.md.
"""

import os

import h5py
import numpy as np
import pandas as pd

FORMAT = "dlsched-results"
SCHEMA_VERSION = "1"
TABLES = ("jobs", "allocations", "progress", "rounds", "cluster")
# Tables only some runs have: /adaptive is written by runs of adaptive jobs (--mechanism pollux).
ADAPTIVE_COLUMNS = ("time", "round", "job", "gpus", "nodes", "placement", "batch_size",
                    "atomic_bsz", "accum_steps", "progress", "samples")

# /jobs status and /allocations event codes (src/run/records.h).
STATUS_FINISHED = 1
EVENT_STOP = 0
EVENT_START = 1
EVENT_FINISH = 2
EVENT_REQUEUE = 3  # emulate: stopped because the whole run was checkpointed (a time limit)


class ResultsError(Exception):
    """A file that is not a readable dlsched results file; the message starts with its path."""


class Results:
    """One results file: root attributes and one DataFrame per table."""

    def __init__(self, path, attrs, tables):
        self.path = path
        self.attrs = attrs
        self.jobs = tables["jobs"]
        self.allocations = tables["allocations"]
        self.progress = tables["progress"]
        self.rounds = tables["rounds"]
        self.cluster = tables["cluster"]
        # Each adaptive job's allocation and batch size over time; empty for fixed-size jobs.
        self.adaptive = tables.get("adaptive", pd.DataFrame(columns=list(ADAPTIVE_COLUMNS)))

    @property
    def gpus(self):
        """GPU count of the run: the "gpus" attribute, else the rows of /cluster."""
        try:
            value = int(float(self.attrs.get("gpus", "")))
            if value > 0:
                return value
        except ValueError:
            pass
        return len(self.cluster)

    @property
    def complete(self):
        """True if the run closed its file (status "complete"), False for a crashed run."""
        return self.attrs.get("status") == "complete"

    def finished_jobs(self):
        """The rows of /jobs with status 1 (the ones JCT statistics use)."""
        return self.jobs[self.jobs["status"] == STATUS_FINISHED]

    def __repr__(self):
        counts = ", ".join(f"{t}={len(getattr(self, t))}" for t in TABLES)
        return (f"Results({self.path!r}, mode={self.attrs.get('mode')!r}, "
                f"policy={self.attrs.get('policy')!r}, {counts})")


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value if isinstance(value, str) else str(value)


def _table(f, path, name):
    if name not in f:
        raise ResultsError(f"{path}: corrupt dlsched results file (table /{name} is missing)")
    dataset = f[name]
    if not isinstance(dataset, h5py.Dataset) or dataset.dtype.names is None:
        raise ResultsError(f"{path}: corrupt dlsched results file (/{name} is not a table)")
    try:
        rows = dataset[()]
    except (OSError, RuntimeError, ValueError) as e:
        raise ResultsError(f"{path}: corrupt dlsched results file (reading /{name}: {e})") from e
    frame = pd.DataFrame(rows)
    # Fixed-width strings come back as bytes; notebooks want str.
    for column in frame.columns:
        if rows.dtype[column].kind == "S":
            frame[column] = [v.decode("utf-8", errors="replace") for v in rows[column]]
    return frame


def load(path):
    """Reads a results file; raises ResultsError (message starts with the path) if it is
    missing, not HDF5, truncated, or not written by dlsched."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ResultsError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ResultsError(f"{path}: not a dlsched results file (not a readable HDF5 file: {e})") from e
    with f:
        try:
            attrs = {k: _text(v) for k, v in f.attrs.items()}
        except (OSError, RuntimeError) as e:
            raise ResultsError(f"{path}: corrupt dlsched results file (attributes: {e})") from e
        if attrs.get("format") != FORMAT:
            raise ResultsError(f"{path}: not a dlsched results file "
                               f"(format attribute is {attrs.get('format')!r}, not {FORMAT!r})")
        if attrs.get("schema_version") != SCHEMA_VERSION:
            raise ResultsError(f"{path}: unsupported dlsched results schema version "
                               f"{attrs.get('schema_version')!r} (this module reads {SCHEMA_VERSION})")
        tables = {name: _table(f, path, name) for name in TABLES}
        if "adaptive" in f:
            tables["adaptive"] = _table(f, path, "adaptive")
    return Results(path, attrs, tables)


def gpu_usage(results):
    """Busy GPUs over time from /allocations: a DataFrame (time, busy) with one row per
    instant where the count changes; the count holds until the next row."""
    a = results.allocations
    if a.empty:
        return pd.DataFrame({"time": [], "busy": []})
    delta = np.where(a["event"] == EVENT_START, 1, -1)
    steps = pd.DataFrame({"time": a["time"].to_numpy(), "delta": delta})
    steps = steps.groupby("time", sort=True)["delta"].sum().cumsum()
    return pd.DataFrame({"time": steps.index.to_numpy(), "busy": steps.to_numpy()})


def job_segments(results):
    """Run segments of each job from /allocations: a DataFrame (job, start, end, gpus,
    end_event), one row per interval in which the job held GPUs. end_event is 0 for a
    preemption or migration, 2 for the finish, 3 for a stop by a checkpoint of the whole
    emulation (time limit, then --resume), and NaN (with end NaN) if the file ends while
    the job still runs. A resize inside a segment keeps it one segment (gpus is the most held).
    """
    columns = ["job", "start", "end", "gpus", "end_event"]
    a = results.allocations
    if a.empty:
        return pd.DataFrame({c: [] for c in columns})
    # At one instant, releases come before grants, so a job stopped and restarted at the
    # same time (a migration) shows as two segments; a finish comes after a grant, so a job
    # started and finished at one instant shows as a segment of length 0.
    order = np.select([a["event"] == EVENT_START, a["event"] == EVENT_FINISH], [1, 2], 0)
    rows = pd.DataFrame({"job": a["job"].to_numpy(), "time": a["time"].to_numpy(),
                         "event": a["event"].to_numpy(), "order": order,
                         "delta": np.where(order == 1, 1, -1)})
    rows = rows.sort_values(["job", "time", "order"], kind="mergesort").reset_index(drop=True)
    rows["held"] = rows.groupby("job")["delta"].cumsum()
    rows["opens"] = (rows["held"] - rows["delta"] == 0) & (rows["delta"] > 0)
    rows["closes"] = rows["held"] == 0
    rows["segment"] = rows["opens"].cumsum()
    opens = rows[rows["opens"]].set_index("segment")
    closes = rows[rows["closes"]].set_index("segment")
    out = pd.DataFrame({
        "job": opens["job"],
        "start": opens["time"],
        "end": closes["time"].reindex(opens.index),
        "gpus": rows.groupby("segment")["held"].max().reindex(opens.index),
        "end_event": closes["event"].reindex(opens.index),
    })
    return out.reset_index(drop=True)[columns]
