#!/usr/bin/python3
"""Runs FewestGpusFirst and three built-in policies on a sample trace; prints a table of the
headline figures and writes the JCT distributions as a plot.

    PYTHONPATH=build/python /usr/bin/python3 examples/python_policy/compare.py [OUT.png]
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import dlsched  # noqa: E402
from fewest_gpus_first import FewestGpusFirst  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACE = os.path.join(ROOT, "jobs", "traces", "tiresias-60_job.csv")
CLUSTER = "2x8:v100"

policies = {"fifo": "fifo", "las": "las", "srtf": "srtf", "fewest-gpus-first (Python)": FewestGpusFirst()}
rows, jcts = [], {}
for label, policy in policies.items():
    r = dlsched.simulate(trace=TRACE, cluster=CLUSTER, policy=policy)
    s = r.summary
    jcts[label] = r.jobs["jct"].sort_values().to_numpy()
    rows.append({"policy": label, "avg JCT (s)": round(s["avg_jct"]), "p99 JCT (s)": round(s["p99_jct"]),
                 "makespan (s)": round(s["makespan"]), "preemptions": s["preemptions"],
                 "utilisation": f"{100 * s['utilisation']:.1f}%"})
table = pd.DataFrame(rows)
print("| " + " | ".join(table.columns) + " |")
print("|" + "---|" * len(table.columns))
for row in table.itertuples(index=False):
    print("| " + " | ".join(str(v) for v in row) + " |")

fig, ax = plt.subplots(figsize=(6, 4))
for label, values in jcts.items():
    ax.plot(values, [(i + 1) / len(values) for i in range(len(values))], label=label)
ax.set_xscale("log")
ax.set_xlabel("job completion time (s)")
ax.set_ylabel("fraction of jobs")
ax.set_title(f"{os.path.basename(TRACE)} on {CLUSTER}")
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[1] if len(sys.argv) > 1 else "python_policy_jct.png", dpi=100)
