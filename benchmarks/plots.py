"""Figures of benchmark results, drawn from the ``.json`` files the harness writes.

Used by the documentation's benchmarks page; from the command line::

    python -m benchmarks.plots benchmarks/results/fidelity-<stamp>.json out.png
"""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np


def _load(path):
    with open(path) as f:
        return json.load(f)


def efficiency_figure(path, ax=None):
    """Mean normalised score (over problems and seeds) after k evaluations."""
    import matplotlib.pyplot as plt

    data = _load(path)
    bounds = data["summary"]["bounds"]
    curves: dict = {}
    for run in data["runs"]:
        if run["error"] or not run["trace"]:
            continue
        opt, clip = bounds[run["problem"]]
        if opt is None or clip is None or opt <= clip:
            continue
        trace = np.asarray(run["trace"], dtype=float)
        curves.setdefault(run["method"], []).append(
            100 * (1 - (opt - trace) / (opt - clip)))
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for method, rows in curves.items():
        n = min(len(r) for r in rows)
        ax.plot(np.arange(1, n + 1), np.mean([r[:n] for r in rows], axis=0),
                label=method)
    ax.set_xlabel("evaluations")
    ax.set_ylabel("mean normalised score")
    ax.set_ylim(bottom=0)
    ax.legend()
    ax.set_title(f"Sample efficiency ({len(bounds)} problems, seeds {data['seeds']})")
    return ax


def overhead_figure(path, ax=None):
    """Mean seconds per suggestion against the number of observations."""
    import matplotlib.pyplot as plt

    data = _load(path)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    by_method: dict = {}
    for r in data["results"]:
        if "error" not in r:
            by_method.setdefault(r["method"], []).append((r["n"], r["mean"]))
    for method, points in by_method.items():
        points.sort()
        ax.plot(*zip(*points), marker="o", label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("observations")
    ax.set_ylabel("seconds per suggestion (mean)")
    ax.legend()
    ax.set_title("Optimiser overhead")
    return ax


def fidelity_figure(path, ax=None):
    """Median time-to-quality per method and problem (lower is better); ``path`` is one
    result file or a list of them (say, one per problem)."""
    import matplotlib.pyplot as plt

    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    rows = [row for p in paths for row in _load(p)["rows"]]
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(methods)
    cap = 2.0  # bars of slower (or unreached) medians are cut here and labelled
    for j, method in enumerate(methods):
        medians = []
        for p in problems:
            values = [r["ratio"] if r["ratio"] is not None else math.inf
                      for r in rows if r["problem"] == p and r["method"] == method]
            medians.append(float(np.median(values)))
        xs = np.arange(len(problems)) + (j - (len(methods) - 1) / 2) * width
        heights = [min(m, cap) for m in medians]
        bars = ax.bar(xs, heights, width, label=method)
        for bar, m in zip(bars, medians):
            if not math.isfinite(m):
                bar.set_hatch("//")
            text = f"{m:.2f}" if math.isfinite(m) else "not reached"
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xticks(range(len(problems)))
    ax.set_xticklabels(problems)
    ax.set_ylabel("time to RandomizedSearchCV's best / its time")
    ax.legend(fontsize=8)
    ax.set_title("Multi-fidelity time-to-quality (median over seeds)")
    return ax


FIGURES = {"efficiency": efficiency_figure, "overhead": overhead_figure,
           "fidelity": fidelity_figure}


def main(argv=None):
    import matplotlib

    matplotlib.use("Agg")
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__)
        return 2
    source, target = argv
    kind = next((k for k in FIGURES if k in source.rsplit("/", 1)[-1]), None)
    if kind is None:
        print(f"cannot tell the suite of {source}; expected one of {list(FIGURES)}")
        return 2
    ax = FIGURES[kind](source)
    ax.figure.tight_layout()
    ax.figure.savefig(target, dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
