"""dlsched.simulate: one simulation, returning its tables as pandas DataFrames."""
import os
import tempfile

from . import _dlsched
from .results import Results


def _as_path(value, suffix, tmp, writer):
    if value is None or isinstance(value, (str, os.PathLike)):
        return "" if value is None else os.fspath(value)
    path = os.path.join(tmp, "input" + suffix)
    writer(value, path)
    return path


def simulate(trace, cluster="4x4:v100", policy="fifo", mechanism="dlsched", throughputs=None,
             out=None, **policy_params):
    """Simulates `trace` on `cluster` under `policy` (a built-in's name or a dlsched.Policy).

    trace: a file path or a pandas DataFrame in the CSV trace format; cluster: a file path
    or a spec such as "4x8:v100". With `out`, the results file is the one `dlsched simulate -o`
    writes, and appears only if the run succeeds.
    """
    with tempfile.TemporaryDirectory(prefix="dlsched-") as tmp:
        trace_path = _as_path(trace, ".csv", tmp, lambda df, p: df.to_csv(p, index=False))
        target = os.fspath(out) if out is not None else os.path.join(tmp, "results.h5")
        params = {k: str(v) for k, v in policy_params.items()}
        summary = _dlsched.run_simulation(trace_path, str(cluster), policy, mechanism,
                                          "" if throughputs is None else os.fspath(throughputs),
                                          target, params)
        return Results(target, summary)
