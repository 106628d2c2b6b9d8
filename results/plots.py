#!/usr/bin/env python3
"""Figures from dlsched results files.

    python3 results/plots.py las.h5 srtf.h5 fifo.h5 -o figures/

writes into the output directory:

  jct_cdf.png                 JCT CDF, one line per policy (seeds of a policy pooled)
  gpu_utilisation.png         busy GPUs over time, one panel per run
  queue_length.png            queued jobs at each round boundary, one line per run
  timeline_<run>.png          per-job Gantt chart of allocations, preemptions marked
  sim_vs_emu_<policy>.png     for each simulate/emulate pair of the same experiment:
                              per-job JCT scatter against y = x, and the error histogram

--manifest also writes figures.json: for every PNG its title and, per axes, the number of
lines, collections, bar patches and the legend labels (tests count series with it).

Needs h5py, pandas and matplotlib (Debian: python3-h5py python3-pandas python3-matplotlib).
"""

import argparse
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")  # files only; no display needed on cluster nodes
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlsched_results as dr  # noqa: E402

# Gantt charts of more jobs than this are unreadable; the first ones by submit time are drawn.
DEFAULT_TIMELINE_JOBS = 200
DPI = 120
# Runs that behave alike draw identical lines; dashes keep every one of them visible.
LINE_STYLES = ["-", "--", ":", "-."]


# ---- labels and units ------------------------------------------------------------------------

def time_unit(span_seconds):
    """(divisor, name) that keeps a time axis spanning `span_seconds` readable."""
    if span_seconds >= 2 * 3600:
        return 3600.0, "h"
    if span_seconds >= 2 * 60:
        return 60.0, "min"
    return 1.0, "s"


def _base(path):
    return os.path.basename(path) if path else "?"


def context(runs):
    """'trace on cluster' shared by the runs, for figure titles."""
    traces = sorted({_base(r.attrs.get("trace", "")) for r in runs})
    clusters = sorted({r.attrs.get("cluster") or r.attrs.get("cluster_spec", "?") for r in runs})
    trace = traces[0] if len(traces) == 1 else f"{len(traces)} traces"
    cluster = clusters[0] if len(clusters) == 1 else f"{len(clusters)} clusters"
    return f"{trace} on {cluster}"


def policy_key(run, runs):
    """Label of the policy group a run belongs to: the policy, plus whatever else differs
    between the runs (mode, trace, cluster), so that only seeds are pooled together."""
    parts = [run.attrs.get("policy", "?")]
    for attr in ("mode", "trace", "cluster"):
        values = {r.attrs.get(attr, "") for r in runs}
        if len(values) > 1:
            value = run.attrs.get(attr, "")
            parts.append(_base(value) if attr == "trace" else value)
    return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"


def run_labels(runs):
    """One distinct label per run: its policy group, plus the file name where a group has
    several runs (seeds)."""
    keys = [policy_key(r, runs) for r in runs]
    return [k if keys.count(k) == 1 else f"{k} [{os.path.splitext(_base(r.path))[0]}]"
            for k, r in zip(keys, runs)]


def file_slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "run"


# ---- figures ---------------------------------------------------------------------------------

def jct_cdf(runs):
    """Empirical CDF of the JCT of finished jobs, one line per policy group."""
    groups = {}
    for run in runs:
        groups.setdefault(policy_key(run, runs), []).append(run.finished_jobs())
    all_jct = np.concatenate([(j["finish"] - j["submit"]).to_numpy()
                              for jobs in groups.values() for j in jobs] or [np.zeros(0)])
    div, unit = time_unit(np.nanmax(all_jct) if all_jct.size else 0)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (label, frames) in enumerate(groups.items()):
        jct = np.sort(np.concatenate([(j["finish"] - j["submit"]).to_numpy() for j in frames]))
        if jct.size == 0:
            continue
        share = np.arange(1, jct.size + 1) / jct.size
        ax.step(jct / div, share, where="post", ls=LINE_STYLES[i % len(LINE_STYLES)], lw=1.5,
                label=f"{label} (n={jct.size}, mean {jct.mean() / div:.3g} {unit})")
    if all_jct.size and np.nanmin(all_jct) > 0 and np.nanmax(all_jct) / np.nanmin(all_jct) > 50:
        ax.set_xscale("log")  # JCTs of training jobs span orders of magnitude
    ax.set_xlabel(f"job completion time ({unit})")
    ax.set_ylabel("fraction of finished jobs")
    ax.set_ylim(0, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title(f"JCT CDF: {context(runs)}")
    fig.tight_layout()
    return fig


def gpu_utilisation(runs, labels):
    """Busy GPUs (% of the cluster) over time, one panel per run, mean in the legend."""
    fig, axes = plt.subplots(len(runs), 1, figsize=(8, 1.9 * len(runs) + 1.2), sharex=True,
                             squeeze=False)
    span = max((r.allocations["time"].max() for r in runs if not r.allocations.empty),
               default=0)
    div, unit = time_unit(span)
    for ax, run, label in zip(axes[:, 0], runs, labels):
        usage = dr.gpu_usage(run)
        gpus = max(run.gpus, 1)
        t = usage["time"].to_numpy()
        busy = 100.0 * usage["busy"].to_numpy() / gpus
        mean = np.nan
        if t.size > 1:  # time-weighted mean over the span of the allocations
            mean = float(np.sum(busy[:-1] * np.diff(t)) / (t[-1] - t[0]))
        ax.step(t / div, busy, where="post", lw=0.9,
                label=f"{label}: mean {mean:.1f}% of {gpus} GPUs")
        ax.fill_between(t / div, busy, step="post", alpha=0.25)
        # Headroom above 100% holds the legend, so it never hides a stretch of low use.
        ax.set_ylim(0, 125)
        ax.set_yticks([0, 20, 40, 60, 80, 100])
        ax.set_ylabel("busy GPUs (%)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper right", fontsize="small")
    axes[-1, 0].set_xlabel(f"time ({unit})")
    axes[0, 0].set_title(f"GPU utilisation: {context(runs)}")
    fig.tight_layout()
    return fig


def queue_length(runs, labels):
    """Jobs waiting at each round boundary (/rounds queued_jobs), one line per run."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    span = max((r.rounds["time"].max() for r in runs if not r.rounds.empty), default=0)
    div, unit = time_unit(span)
    most = 0
    for i, (run, label) in enumerate(zip(runs, labels)):
        rounds = run.rounds.sort_values("time")
        most = max(most, int(rounds["queued_jobs"].max()) if not rounds.empty else 0)
        # Markers show where the samples are while rounds are few enough to tell apart.
        ax.step(rounds["time"] / div, rounds["queued_jobs"], where="post", lw=1.2,
                ls=LINE_STYLES[i % len(LINE_STYLES)], marker="." if len(rounds) <= 100 else None,
                label=label)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("queued jobs")
    ax.set_ylim(0, max(1, most) * 1.05)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(f"Queue length at round boundaries: {context(runs)}")
    fig.tight_layout()
    return fig


def timeline(run, label, max_jobs=DEFAULT_TIMELINE_JOBS):
    """Gantt chart of one run: a row per job (by submit time), a thin grey line from submit to
    finish (visible where the job waits), a bar per run segment coloured by its GPU count, a red x at each preemption."""
    jobs = run.jobs.sort_values(["submit", "job"]).head(max_jobs)
    row_of = {job: i for i, job in enumerate(jobs["job"])}
    segments = dr.job_segments(run)
    segments = segments[segments["job"].isin(row_of)]
    end_of_run = np.nanmax([segments["end"].max(), jobs["finish"].max(), jobs["submit"].max(), 0])
    segments = segments.assign(end=segments["end"].fillna(end_of_run))
    div, unit = time_unit(end_of_run)

    height = min(max(3.0, 0.11 * len(jobs) + 1.5), 24.0)
    fig, ax = plt.subplots(figsize=(10, height))
    # One colour per GPU count that occurs: counts are few and discrete (1, 2, 4, 8, ...).
    counts = np.unique(segments["gpus"].to_numpy().astype(int)) if not segments.empty else np.array([1])
    cmap = matplotlib.colors.ListedColormap(plt.get_cmap("viridis")(np.linspace(0, 0.9, len(counts))))
    norm = matplotlib.colors.BoundaryNorm(np.arange(len(counts) + 1) - 0.5, len(counts))
    colour_index = np.searchsorted(counts, segments["gpus"].to_numpy().astype(int))
    # The job's whole stay (submit to finish, or to the end for unfinished jobs) as a thin line
    # under the bars, so waiting shows both before the first start and after a preemption.
    leaves = jobs["finish"].where(jobs["status"] == dr.STATUS_FINISHED, end_of_run)
    ax.hlines([row_of[j] for j in jobs["job"]], jobs["submit"] / div, leaves / div,
              colors="0.6", lw=1.0, zorder=1, label="waiting (line: submit to finish)")
    rows = segments["job"].map(row_of).to_numpy()
    ax.barh(rows, (segments["end"] - segments["start"]).to_numpy() / div,
            left=segments["start"].to_numpy() / div, height=0.7,
            color=cmap(norm(colour_index)), edgecolor="none", zorder=2,
            label="running (colour: GPUs held)")
    preempted = segments[segments["end_event"] == dr.EVENT_STOP]
    ax.scatter(preempted["end"] / div, preempted["job"].map(row_of), marker="x", color="red",
               s=18, zorder=3, label=f"preempted ({len(preempted)})")
    ax.set_ylim(len(jobs) - 0.5, -0.5)  # first submitted at the top
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("job (by submit time)")
    if len(jobs) <= 60:
        ax.set_yticks(range(len(jobs)))
        ax.set_yticklabels(jobs["job_id"], fontsize=6)
    colorbar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01,
                            ticks=range(len(counts)))
    colorbar.ax.set_yticklabels([str(c) for c in counts])
    colorbar.set_label("GPUs held")
    ax.grid(True, axis="x", alpha=0.3)
    colorbar.minorticks_off()
    # Above the axes: inside, it would hide bars wherever it went.
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, fontsize="small",
              frameon=False, borderaxespad=0.2)
    shown = "" if len(jobs) == len(run.jobs) else f" (first {len(jobs)} of {len(run.jobs)} jobs)"
    fig.suptitle(f"Job timeline, {label}: {context([run])}{shown}")
    fig.tight_layout()
    return fig


def adaptive_over_time(run, label, max_jobs=DEFAULT_TIMELINE_JOBS):
    """Adaptive jobs (--mechanism pollux): GPUs held (top) and batch size (bottom) over time, a
    step line per job from its /adaptive rows (first jobs by submit time); a job's line ends
    where it finishes."""
    rows = run.adaptive
    jobs = run.jobs.sort_values(["submit", "job"])
    order = [j for j in jobs["job"] if j in set(rows["job"])]
    order += sorted(set(rows["job"]) - set(order))  # unfinished jobs have no /jobs row
    shown = order[:max_jobs]
    names = dict(zip(run.jobs["job"], run.jobs["job_id"]))
    div, unit = time_unit(float(rows["time"].max()) if len(rows) else 0.0)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    colours = plt.get_cmap("tab20")
    for i, job in enumerate(shown):
        r = rows[rows["job"] == job].sort_values("time", kind="stable")
        t = r["time"].to_numpy() / div
        colour = colours(i % 20)
        name = names.get(job, f"#{job}")
        top.step(t, r["gpus"], where="post", color=colour, lw=1.2, label=name)
        # No batch without GPUs: the line breaks while the job waits.
        batch = r["batch_size"].where(r["gpus"] > 0).to_numpy(dtype=float)
        bottom.step(t, batch, where="post", color=colour, lw=1.2)
    top.set_ylabel("GPUs held")
    top.yaxis.get_major_locator().set_params(integer=True)
    bottom.set_ylabel("batch size (samples per step)")
    if len(rows) and (rows["batch_size"] > 0).any():
        bottom.set_yscale("log", base=2)
    bottom.set_xlabel(f"time ({unit})")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    if len(shown) <= 20:
        top.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=min(len(shown), 8),
                   fontsize="small", frameon=False, borderaxespad=0.2)
    more = "" if len(shown) == len(order) else f" (first {len(shown)} of {len(order)} jobs)"
    fig.suptitle(f"Adaptive jobs, {label}: {context([run])}{more}")
    fig.tight_layout()
    return fig


def find_pairs(runs):
    """(simulate, emulate) runs of the same experiment: same trace content, GPU count, policy,
    policy parameters, round length and time scale. The GPU count, not the cluster spec: an
    emulation without --cluster derives its spec from the hosts it got ("1x4:v100,1x4:v100"),
    which names the same cluster as the simulation's "2x4:v100"."""
    def key(r):
        return tuple(r.attrs.get(a, "") for a in ("trace_sha256", "gpus", "policy",
                                                   "policy_params", "round_length", "time_scale"))
    sims = [r for r in runs if r.attrs.get("mode") == "simulate"]
    emus = [r for r in runs if r.attrs.get("mode") == "emulate"]
    pairs = []
    for emu in emus:
        for sim in sims:
            if key(sim) == key(emu):
                pairs.append((sim, emu))
                break
    return pairs


def paired_jct(sim, emu):
    """Per-job JCT of the jobs finished in both runs: DataFrame job, job_id, sim, emu."""
    s = sim.finished_jobs()
    e = emu.finished_jobs()
    merged = s.merge(e, on="job", suffixes=("_sim", "_emu"))
    return merged.assign(sim=merged["finish_sim"] - merged["submit_sim"],
                         emu=merged["finish_emu"] - merged["submit_emu"],
                         job_id=merged["job_id_sim"])[["job", "job_id", "sim", "emu"]]


def sim_vs_emu(sim, emu):
    """Per-job JCT, simulated against measured (y = x is perfect agreement), and the
    histogram of the relative error (simulated - measured) / measured."""
    pairs = paired_jct(sim, emu)
    div, unit = time_unit(max(pairs["sim"].max(), pairs["emu"].max()) if len(pairs) else 0)
    error = 100.0 * (pairs["sim"] - pairs["emu"]) / pairs["emu"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    left.scatter(pairs["emu"] / div, pairs["sim"] / div, s=14, alpha=0.8,
                 label=f"jobs finished in both ({len(pairs)})")
    top = max(pairs["sim"].max(), pairs["emu"].max(), 1e-9) / div * 1.05 if len(pairs) else 1
    left.plot([0, top], [0, top], color="black", lw=0.8, ls="--", label="y = x")
    left.set_xlim(0, top)
    left.set_ylim(0, top)
    left.set_aspect("equal")
    left.set_xlabel(f"emulated (measured) JCT ({unit})")
    left.set_ylabel(f"simulated JCT ({unit})")
    left.grid(True, alpha=0.3)
    left.legend(loc="upper left", fontsize="small")
    left.set_title("per-job JCT")
    finite = error[np.isfinite(error)]
    right.hist(finite, bins=min(30, max(5, len(finite) // 3)), color="tab:orange",
               edgecolor="white",
               label=(f"median {np.median(finite):+.1f}%, mean |err| {np.mean(np.abs(finite)):.1f}%"
                      if len(finite) else "no common jobs"))
    right.axvline(0, color="black", lw=0.8)
    right.set_xlabel("JCT error, (simulated - measured) / measured (%)")
    right.set_ylabel("jobs")
    right.grid(True, alpha=0.3)
    right.legend(fontsize="small")
    right.set_title("error distribution")
    fig.suptitle(f"Simulated vs emulated, {sim.attrs.get('policy', '?')}: {context([sim])}")
    fig.tight_layout()
    return fig


def build_figures(runs, max_timeline_jobs=DEFAULT_TIMELINE_JOBS):
    """All figures for `runs` (Results objects): {png file name: matplotlib Figure}."""
    labels = run_labels(runs)
    figures = {
        "jct_cdf.png": jct_cdf(runs),
        "gpu_utilisation.png": gpu_utilisation(runs, labels),
        "queue_length.png": queue_length(runs, labels),
    }
    for run, label in zip(runs, labels):
        figures[f"timeline_{file_slug(label)}.png"] = timeline(run, label, max_timeline_jobs)
        if len(run.adaptive):
            figures[f"adaptive_{file_slug(label)}.png"] = adaptive_over_time(
                run, label, max_timeline_jobs)
    for sim, emu in find_pairs(runs):
        name = f"sim_vs_emu_{file_slug(policy_key(sim, [sim]))}.png"
        figures[name] = sim_vs_emu(sim, emu)
    return figures


def describe(fig):
    """What a figure contains, for the manifest: per axes its series counts and legend."""
    axes = []
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        legend = ax.get_legend()
        axes.append({
            "title": ax.get_title(),
            "xlabel": ax.get_xlabel(),
            "ylabel": ax.get_ylabel(),
            "lines": len(ax.get_lines()),
            "collections": len(ax.collections),
            "bars": sum(len(c) for c in ax.containers),
            "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
        })
    suptitle = getattr(fig, "_suptitle", None)  # no public getter before matplotlib 3.8
    title = suptitle.get_text() if suptitle else (axes[0]["title"] if axes else "")
    return {"title": title, "axes": axes}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Figures from dlsched results files.")
    parser.add_argument("files", nargs="+", help="results files (HDF5)")
    parser.add_argument("-o", "--out", required=True, help="output directory for the PNGs")
    parser.add_argument("--max-timeline-jobs", type=int, default=DEFAULT_TIMELINE_JOBS,
                        help="jobs drawn in each timeline (first by submit time)")
    parser.add_argument("--manifest", action="store_true",
                        help="also write figures.json describing every figure")
    args = parser.parse_args(argv)
    try:
        runs = [dr.load(path) for path in args.files]
    except dr.ResultsError as e:
        print(f"plots.py: error: {e}", file=sys.stderr)
        return 2
    for run in runs:
        if not run.complete:
            print(f"plots.py: warning: {run.path}: run did not complete "
                  f"(status {run.attrs.get('status')!r}); plotting what was written",
                  file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    manifest = {}
    for name, fig in build_figures(runs, args.max_timeline_jobs).items():
        fig.savefig(os.path.join(args.out, name), dpi=DPI, bbox_inches="tight")
        manifest[name] = describe(fig)
        plt.close(fig)
        print(os.path.join(args.out, name))
    if args.manifest:
        with open(os.path.join(args.out, "figures.json"), "w") as f:
            json.dump(manifest, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
