"""The report figures (results/plots.py) from Python."""
import importlib.util
import os

from ._source import SOURCE_DIR


def _plots():
    path = os.path.join(SOURCE_DIR, "results", "plots.py")
    spec = importlib.util.spec_from_file_location("dlsched_plots", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures(paths, out_dir):
    """Draws the standard figures (JCT CDF, GPU utilisation, queue length, timelines) of the
    results files `paths` into `out_dir`, as `results/plots.py` does; returns its exit code."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return _plots().main([os.fspath(p) for p in paths] + ["-o", os.fspath(out_dir)])
