#!/usr/bin/python3
"""Parity with Pollux's published results: runs `dlsched simulate --mechanism pollux` with each
of pollux, tiresias and optimus-oracle on each workload of the Pollux reference data (its
README: workloads/workload-N.csv, applications/, reference-jcts.json from the artifact's
results-jobload/*-1.0/summary.json) on 16 nodes x 4 GPUs, and prints one row per case: the
reference and dlsched average JCT, the relative error and the median per-job |error| (shown,
not checked: Pollux's search is randomised, so single jobs move between runs).

Checked with --check (exit 1 on a miss): average JCT within 10% of the reference for every
case, and on every workload pollux < tiresias < optimus-oracle.

Usage: /usr/bin/python3 scripts/parity_pollux.py --dlsched build/src/dlsched [--reference DIR]
       [--workloads workload-1,...] [--parallel N] [--markdown] [--check]
"""
import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile

import h5py
import numpy as np

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# dlsched policy -> the reference's name for it.
POLICIES = {"pollux": "pollux", "tiresias": "tiresias", "optimus-oracle": "optimus"}
ORDER = ["pollux", "tiresias", "optimus-oracle"]  # expected from best to worst
TOLERANCE = 0.10


def run(binary, reference, workload, policy, out):
    cmd = [binary, "simulate", "--quiet", "--no-progress", "--mechanism", "pollux",
           "--policy", policy, "--applications", os.path.join(reference, "applications"),
           "--trace", os.path.join(reference, "workloads", workload + ".csv"),
           "--cluster", "16x4", "-o", out]
    done = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"exit {done.returncode}")
    with h5py.File(out, "r") as f:
        jobs = f["jobs"][()]
    ids = [x.decode() if isinstance(x, bytes) else str(x) for x in jobs["job_id"]]
    if (jobs["jct"] < 0).any():
        raise RuntimeError(f"{workload} {policy}: unfinished jobs")
    return dict(zip(ids, (float(v) for v in jobs["jct"])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dlsched", required=True)
    parser.add_argument("--reference", default=os.path.join(SOURCE, "..", "shared", "pollux"))
    parser.add_argument("--workloads", default="", help="comma-separated; default: all")
    parser.add_argument("--parallel", type=int, default=1, help="runs at a time")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    path = os.path.join(args.reference, "reference-jcts.json")
    if not os.path.exists(path):
        print(f"parity: skipped: {path} is absent")
        return 0
    with open(path) as f:
        reference = json.load(f)
    workloads = args.workloads.split(",") if args.workloads else sorted(reference)
    cases = [(w, p) for w in workloads for p in ORDER]
    results, problems = {}, []
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max(1, args.parallel)) as pool:
        futures = {case: pool.submit(run, args.dlsched, args.reference, case[0], case[1],
                                     os.path.join(tmp, f"{case[0]}-{case[1]}.h5"))
                   for case in cases}
        for case, future in futures.items():
            try:
                results[case] = future.result()
            except RuntimeError as e:
                problems.append(f"{case[0]} {case[1]}: dlsched failed: {e}")
    if args.markdown:
        print("| workload | policy | reference avg JCT (s) | dlsched (s) | error | "
              "per-job median abs. error | verdict |")
        print("|---|---|---|---|---|---|---|")
    for (w, p) in cases:
        if (w, p) not in results:
            continue
        ref = reference[w][POLICIES[p]]
        ours = results[(w, p)]
        avg = statistics.mean(ours.values())
        err = avg / ref["avg_jct"] - 1
        per_job = float(np.median([abs(ours[k] / v - 1) for k, v in ref["jcts"].items()
                                   if k in ours and v > 0]))
        verdict = "ok" if abs(err) <= TOLERANCE else f"MISS: {err:+.1%}"
        if abs(err) > TOLERANCE:
            problems.append(f"{w} {p}: avg JCT {avg:.0f} s against {ref['avg_jct']:.0f} s "
                            f"({err:+.1%})")
        cells = [w, p, f"{ref['avg_jct']:.0f}", f"{avg:.0f}", f"{err:+.1%}", f"{per_job:.1%}",
                 verdict]
        print(("| " + " | ".join(cells) + " |") if args.markdown else "  ".join(cells))
    for w in workloads:
        avgs = [statistics.mean(results[(w, p)].values()) for p in ORDER if (w, p) in results]
        if len(avgs) == len(ORDER) and not all(a < b for a, b in zip(avgs, avgs[1:])):
            problems.append(f"{w}: expected pollux < tiresias < optimus-oracle, got " +
                            ", ".join(f"{p} {a:.0f} s" for p, a in zip(ORDER, avgs)))
    for p in problems:
        print("parity:", p)
    print(f"parity: {len(results)} of {len(cases)} cases run, {len(problems)} problems")
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
