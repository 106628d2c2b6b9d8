#!/usr/bin/python3
"""Start-up cost of dlsched commands: median wall time, CPU time (user + system, all processes
of the command) and peak resident memory (its largest process, from wait4) over several runs, for one or more dlsched executables side
by side, e.g. a build before and after a change.

    /usr/bin/python3 bench/startup_bench.py [--runs N] [--no-emulate] LABEL=DLSCHED [LABEL=DLSCHED ...]
    /usr/bin/python3 bench/startup_bench.py before=old/build/src/dlsched after=build/src/dlsched

Commands: `--version`; `trace stats` and a `simulate` of the 60-job Tiresias trace
(jobs/traces/tiresias-60_job.csv); with --python, the same simulation under the Python LAS of
examples/python_policy (a `python:` policy); and `emulate` of a 3-job
trace on 3 MPI ranks (mpiexec -n 3, sleep compute), whose time is mostly the jobs' own
run time: there the start-up saving shows in the difference between executables. Runs are
interleaved across executables so a busy machine slows them alike; on a machine shared with
other work the CPU time is the steadier figure.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACE = os.path.join(ROOT, "jobs/traces/tiresias-60_job.csv")
MODELS = os.path.join(ROOT, "jobs/models.toml")
TINY = os.path.join(ROOT, "tests/mpi/data/tiny-2gpu.csv")
PYTHON_LAS = os.path.join(ROOT, "examples/python_policy/las.py")


def measure(argv, env):
    """Runs argv once; returns (wall s, CPU s, peak RSS in MiB of its largest process)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"startup_bench: {' '.join(argv)} exited {proc.returncode}:\n{err}")
    # The usage covers the child and the descendants it waited for (MPI ranks); ru_maxrss (KiB on
    # Linux) is the largest of them.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def commands(tmp, with_emulate, with_python):
    """(name, argv after the executable, uses mpiexec) for each measured command."""
    sim = ["simulate", "--trace", TRACE, "--models", MODELS, "--cluster", "4x8:v100", "--quiet",
           "--no-progress"]
    cases = [
        ("--version", ["--version"], False),
        ("trace stats (60 jobs)", ["trace", "stats", TRACE], False),
        ("simulate 60 jobs, las", sim + ["--policy", "las"], False),
    ]
    if with_python:
        cases.append(("simulate 60 jobs, python LAS",
                      sim + ["--policy", f"python:{PYTHON_LAS}:Las"], False))
    if with_emulate:
        cases.append(("emulate 3 ranks, 3 jobs", [
            "emulate", "--trace", TINY, "--models", MODELS, "--cluster", "1x2:v100",
            "--policy", "fifo", "--round-length", "1", "--comm-scale", "0.001", "--quiet",
            "-o", os.path.join(tmp, "emulate.h5")], True))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+", metavar="LABEL=DLSCHED")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-emulate", action="store_true", help="skip the MPI emulation")
    parser.add_argument("--python", action="store_true",
                        help="also simulate under the Python LAS (python: policy)")
    args = parser.parse_args()
    binaries = []
    for item in args.binaries:
        label, sep, path = item.partition("=")
        if not sep or not os.access(path, os.X_OK):
            sys.exit(f"startup_bench: expected LABEL=EXECUTABLE, got '{item}'")
        binaries.append((label, os.path.abspath(path)))
    mpiexec = shutil.which("mpiexec")
    with_emulate = not args.no_emulate and mpiexec is not None
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_mpi_yield_when_idle="1")
    with tempfile.TemporaryDirectory() as tmp:
        cases = commands(tmp, with_emulate, args.python)
        print(f"{'command':30}" + "".join(f"{label:>30}" for label, _ in binaries))
        print(f"{'':30}" + "".join(f"{'wall ms / CPU ms / peak MiB':>30}" for _ in binaries))
        for name, argv, mpi in cases:
            samples = {label: [] for label, _ in binaries}
            for _ in range(args.runs):
                for label, exe in binaries:
                    prefix = [mpiexec, "--oversubscribe", "-n", "3"] if mpi else []
                    if mpi and os.geteuid() == 0:
                        prefix.insert(1, "--allow-run-as-root")
                    samples[label].append(measure(prefix + [exe] + argv, env))
            row = f"{name:30}"
            for label, _ in binaries:
                wall, cpu, rss = (statistics.median(s[i] for s in samples[label]) for i in range(3))
                row += f"{wall * 1000:>13.1f} / {cpu * 1000:6.1f} / {rss:6.1f}"
            print(row, flush=True)
    print(f"median of {args.runs} runs each; peak RSS: the command's largest process "
          f"(mpiexec or a rank for emulate)")


if __name__ == "__main__":
    main()
