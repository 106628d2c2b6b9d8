#!/usr/bin/python3
"""Parity with the reference simulators: runs every case of the reference results (Gavel's and
Tiresias' simulators, see the parity data's README) through `dlsched simulate` with the matching
--mechanism, and prints one row per case: reference and dlsched average JCT and makespan, their
relative errors and the median per-job |error|.

Tolerances (checked with --check, exit 1 on a case that misses them):
  deterministic references: avg JCT and makespan within 5%, per-job median |error| within 10%;
  seeded references (Gavel's fifo, gandiva, max_min_fairness): dlsched's mean over the same
  number of seeds inside the range of the reference's seeds, per-job median within 10%.
A case listed in FINDINGS is reported with its cause instead of failing: those are measured
differences we explain in docs/parity.md, not tolerances loosened to pass.

Usage: /usr/bin/python3 scripts/parity.py --dlsched build/src/dlsched [--reference DIR]
       [--only REGEX] [--markdown] [--check]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

import h5py
import numpy as np

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACES = os.path.join(SOURCE, "jobs", "traces")
GAVEL_TABLE = os.path.join(TRACES, "gavel-simulation_throughputs.json")

# Reference policy -> dlsched policy and parameters. The mechanism brings round length, restore
# cost and refill rule; only what differs from the policy's defaults is spelled out.
GAVEL = {
    "max_min_fairness_perf": ("gavel-maxmin", []),
    "max_min_fairness": ("gavel-maxmin-agnostic", []),
    "finish_time_fairness_perf": ("gavel-ftf", []),
    "min_total_duration_perf": ("gavel-makespan", []),
    "max_sum_throughput_perf": ("gavel-throughput", []),
    "allox": ("allox", []),
    "fifo_perf": ("fifo-perf", []),
    "fifo": ("fifo", []),
    "gandiva": ("gandiva", []),
    "max_min_fairness_packed": ("gavel-maxmin-packed", []),
}
TIRESIAS = {
    "fifo": ("fifo", []),
    "fifo (count placement)": ("fifo", []),
    "dlas-gpu": ("tiresias-las", []),
    "dlas-gpu-gittins": ("tiresias-gittins", []),
    "gittins": ("tiresias-gittins", ["queues=1"]),
    "dlas-gpu (2 queues, 400 GPU-s)": ("tiresias-las", ["queues=2", "thresholds=400"]),
}
SETUP = {
    "gavel": (GAVEL, ["--mechanism", "gavel", "--cluster", "1x4:v100,1x4:p100,1x4:k80",
                      "--throughputs", GAVEL_TABLE]),
    "tiresias": (TIRESIAS, ["--mechanism", "tiresias", "--cluster", "2x4:v100"]),
}

# Cases that miss a tolerance for a reason we have measured: (reference, trace, policy) -> cause.
NOT_BUILT = "not reproduced yet: see docs/parity.md"
FINDINGS = {
    ("gavel", "gavel-small_test.trace", "max_min_fairness"):
        "equal jobs tie in the rounds' priorities; the reference breaks the ties by its "
        "solver's last bits (see docs/parity.md)",
    ("gavel", "gavel-small_test.trace", "max_sum_throughput_perf"):
        "many optimal X on this trace; our vertex is not the reference's interior point",
    ("gavel", "gavel-small_test.trace", "max_min_fairness_packed"):
        "17 of 20 jobs exact; the identical LM jobs 5 and 14 tie in X (the reference runs 14 "
        "first, we run 5), and the one left runs packed on a P100 under our X, alone on a V100 "
        "under the reference's (both optimal); see docs/parity.md",
    ("tiresias", "tiresias-60_job.csv", "gittins"):
        "the reference's gittins mode serves the lowest index first and ranks waiting jobs by "
        "seconds, not GPU-seconds; with those two fixed it gives 821 s / 4753 s (as its "
        "dlas-gpu-gittins), which tiresias-gittins queues=1 matches job by job",
}

JCT_TOLERANCE = 0.05
PER_JOB_TOLERANCE = 0.10


def reference_of(case):
    return "gavel" if "gavel" in case["reference"].lower() else "tiresias"


def run_dlsched(binary, trace, policy, params, extra, seed, out):
    cmd = [binary, "simulate", "--quiet", "--no-progress", "--trace", os.path.join(TRACES, trace),
           "--policy", policy, "--seed", str(seed), "-o", out] + extra
    for p in params:
        cmd += ["--policy-param", p]
    done = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else
                           f"exit {done.returncode}")
    with h5py.File(out, "r") as f:
        jobs = f["jobs"][()]
    order = np.argsort(jobs["job"])
    jct = jobs["jct"][order]
    finish = jobs["finish"][order] if "finish" in jobs.dtype.names else None
    if (jct < 0).any():
        raise RuntimeError(f"{trace} {policy}: unfinished jobs")
    makespan = float(finish.max()) if finish is not None else float("nan")
    return jct, makespan


def evaluate(binary, case, tmp):
    ref = reference_of(case)
    table, extra = SETUP[ref]
    policy, params = table[case["policy"]]
    seeds = case.get("seeds") or [0]
    runs = []
    for seed in seeds:
        out = os.path.join(tmp, f"{ref}-{policy}-{seed}.h5")
        runs.append(run_dlsched(binary, case["trace"], policy, params, extra, seed, out))
    jct = np.mean([r[0] for r in runs], axis=0)
    ours = {"avg_jct": float(np.mean([r[0].mean() for r in runs])),
            "makespan": float(np.mean([r[1] for r in runs]))}
    ref_jct = np.array(case["jcts"], dtype=float)
    per_job = float(np.median(np.abs(jct - ref_jct) / ref_jct))
    err = {k: ours[k] / case[k] - 1 for k in ("avg_jct", "makespan")}
    problems = []
    if case.get("per_seed") and len(case["per_seed"]) > 1:
        for k in ("avg_jct", "makespan"):
            lo = min(s[k] for s in case["per_seed"])
            hi = max(s[k] for s in case["per_seed"])
            if not lo <= ours[k] <= hi:
                problems.append(f"{k} {ours[k]:.0f} outside the reference seeds' [{lo:.0f}, {hi:.0f}]")
    else:
        for k in ("avg_jct", "makespan"):
            if abs(err[k]) > JCT_TOLERANCE:
                problems.append(f"{k} {err[k]:+.1%}")
    if per_job > PER_JOB_TOLERANCE:
        problems.append(f"per-job median |error| {per_job:.1%}")
    return {"reference": ref, "trace": case["trace"], "policy": case["policy"],
            "dlsched": policy + "".join(f" {p}" for p in params), "seeds": len(seeds),
            "ref": case, "ours": ours, "err": err, "per_job": per_job, "problems": problems}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dlsched", required=True)
    parser.add_argument("--reference", default=os.path.join(SOURCE, "..", "shared", "parity"))
    parser.add_argument("--only", default="", help="regex over 'reference trace policy'")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--check", action="store_true", help="exit 1 when a case misses")
    args = parser.parse_args()
    cases = []
    for name in ("gavel.json", "tiresias.json"):
        path = os.path.join(args.reference, name)
        if not os.path.exists(path):
            print(f"parity: skipped: {path} is absent")
            return 0
        with open(path) as f:
            cases += json.load(f)
    results, failed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            label = f"{reference_of(case)} {case['trace']} {case['policy']}"
            if args.only and not re.search(args.only, label):
                continue
            if case["status"] != "ok":
                print(f"{label}: not applicable in the reference ({case['status']})")
                continue
            try:
                r = evaluate(args.dlsched, case, tmp)
            except RuntimeError as e:
                nan = {"avg_jct": float("nan"), "makespan": float("nan")}
                r = {"reference": reference_of(case), "trace": case["trace"],
                     "policy": case["policy"], "dlsched": "-", "seeds": 0, "ref": case,
                     "ours": nan, "err": nan, "per_job": float("nan"),
                     "problems": [f"dlsched failed: {e}"]}
            results.append(r)
            key = (r["reference"], r["trace"], r["policy"])
            if r["problems"] and key not in FINDINGS:
                failed.append(r)
    header = ("| reference | trace | policy | dlsched | ref avg JCT | ours | error | "
              "ref makespan | ours | error | per-job median |e| | verdict |")
    if args.markdown:
        print(header)
        print("|" + "---|" * 12)
    for r in results:
        key = (r["reference"], r["trace"], r["policy"])
        verdict = "ok" if not r["problems"] else (
            "finding: " + FINDINGS[key] if key in FINDINGS else "MISS: " + "; ".join(r["problems"]))
        cells = [r["reference"], r["trace"], r["policy"], r["dlsched"],
                 f"{r['ref']['avg_jct']:.0f}", f"{r['ours']['avg_jct']:.0f}", f"{r['err']['avg_jct']:+.1%}",
                 f"{r['ref']['makespan']:.0f}", f"{r['ours']['makespan']:.0f}", f"{r['err']['makespan']:+.1%}",
                 f"{r['per_job']:.1%}", verdict]
        if args.markdown:
            print("| " + " | ".join(cells) + " |")
        else:
            print("  ".join(cells))
    within = sum(1 for r in results if not r["problems"])
    print(f"parity: {within} cases within tolerance, {len(results) - within - len(failed)} "
          f"documented findings, {len(failed)} missing a tolerance")
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
