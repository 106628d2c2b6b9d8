#!/usr/bin/python3
"""Python policy overhead: a trace under the Python LAS (examples/python_policy) and the built-in
las, both through dlsched.simulate. Prints wall time, policy calls and the Python policy's extra
time per call (and per round), and the ratio of the two runs.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_policy_bench.py \\
        [TRACE=jobs/traces/philly-82k.csv] [CLUSTER=256x8:v100]
"""
import os
import sys
import time

import dlsched

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "python_policy"))
import las  # noqa: E402


def timed(policy, trace, cluster):
    started = time.perf_counter()
    results = dlsched.simulate(trace=trace, cluster=cluster, policy=policy)
    return time.perf_counter() - started, results.summary


def main():
    trace = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "jobs/traces/philly-82k.csv")
    cluster = sys.argv[2] if len(sys.argv) > 2 else "256x8:v100"
    cpp_s, cpp = timed("las", trace, cluster)
    py_s, py = timed(las.Las(), trace, cluster)
    same = all(cpp[k] == py[k] for k in ("finished", "avg_jct", "makespan", "preemptions"))
    print(f"trace {os.path.basename(trace)}: {cpp['jobs']} jobs, cluster {cluster}")
    print(f"  built-in las : {cpp_s:8.2f} s  rounds {cpp['rounds']}  policy calls {cpp['policy_calls']}")
    print(f"  Python LAS   : {py_s:8.2f} s  rounds {py['rounds']}  policy calls {py['policy_calls']}")
    extra = py_s - cpp_s
    print(f"  Python overhead: {1e3 * extra / max(py['policy_calls'], 1):.3f} ms per policy call, "
          f"{1e3 * extra / max(py['rounds'], 1):.3f} ms per round")
    print(f"  ratio Python/C++ total time: {py_s / cpp_s:.2f}x (target < 10x); same results: {same}")


if __name__ == "__main__":
    main()
