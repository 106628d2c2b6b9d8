"""Results files (HDF5, as `dlsched simulate -o` writes them) as pandas DataFrames."""
import h5py
import pandas as pd


def _table(group):
    if group is None:
        return pd.DataFrame()
    columns = {}
    for name, data in group.items():
        values = data[()]
        if values.dtype.kind == "S":
            values = values.astype(str)
        columns[name] = values
    return pd.DataFrame(columns)


class Results:
    """The tables of one run: jobs, allocations, rounds, progress, cluster; attrs: provenance."""

    def __init__(self, path, summary=None):
        self.path = path
        self.summary = summary or {}
        with h5py.File(path, "r") as f:
            self.attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            self.jobs = _read(f, "jobs")
            self.allocations = _read(f, "allocations")
            self.rounds = _read(f, "rounds")
            self.progress = _read(f, "progress")
            self.cluster = _read(f, "cluster")

    def __repr__(self):
        return f"Results({len(self.jobs)} jobs, {len(self.rounds)} rounds)"


def _read(f, name):
    if name not in f:
        return pd.DataFrame()
    node = f[name]
    if isinstance(node, h5py.Dataset):
        return pd.DataFrame(node[()]).apply(
            lambda c: c.str.decode("utf-8") if c.dtype == object else c)
    return _table(node)


def read(path):
    """Reads a results file written by `dlsched simulate`/`emulate` or dlsched.simulate(out=)."""
    return Results(path)
