"""When each full-fidelity score of a method arrived, seed by seed.

Reads fidelity results (``results/fidelity-*.json``, merged or not) and prints, for
each (problem, seed) and each method asked for, its first full-fidelity scores in the
order they arrived, each as ``time / T: score``, where ``T`` is RandomizedSearchCV's
wall time on that seed; the first one that reaches RandomizedSearchCV's best score is
marked. It shows whether a method misses a time-to-quality target because its first
full-fidelity scores are poor or because they come late::

    python -m benchmarks.arrivals benchmarks/results/fidelity-20261123-193835.json \\
        --methods hyperband-random,hyperband-bayes --first 4

Prints markdown; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fidelity import _fmt_ratio, time_to  # noqa: E402
from benchmarks.report import table  # noqa: E402


def arrivals(raw, methods=None, first=4):
    """Rows ``(problem, seed, method, target, cells, reached_at)``: ``cells`` the first
    ``first`` full-fidelity scores as ``(time / T, score)``, ``reached_at`` the ratio
    at which RandomizedSearchCV's best was first reached (``inf`` if never)."""
    if first < 1:
        raise ValueError(f"first must be >= 1, got {first!r}.")
    runs = raw["runs"]
    known = list(dict.fromkeys(r["method"] for r in runs))
    methods = [m for m in known if m != "random"] if methods is None else list(methods)
    unknown = [m for m in methods if m not in known]
    if unknown:
        raise ValueError(f"methods {unknown} are not in the results (they hold {known}).")
    out = []
    for problem, seed in dict.fromkeys((r["problem"], r["seed"]) for r in runs):
        mine = {r["method"]: r for r in runs
                if r["problem"] == problem and r["seed"] == seed}
        if "random" not in mine:
            raise ValueError(f"no random run for {problem}, seed {seed}: nothing to "
                             "compare with.")
        T, target = mine["random"]["seconds"], mine["random"]["best"]
        for m in methods:
            if m not in mine:
                continue
            trace = mine[m]["trace"]
            cells = [(t / T, s) for t, s in trace[:first]]
            out.append((problem, seed, m, target, cells, time_to(trace, target) / T))
    return out


def markdown(rows, first) -> str:
    header = ["problem", "seed", "method", "target",
              *(f"full score {i + 1}" for i in range(first)), "reached at"]
    body = []
    for problem, seed, m, target, cells, reached in rows:
        shown = [f"{t:.2f}: {s:.4f}" + (" *" if t == reached else "") for t, s in cells]
        shown += [""] * (first - len(cells))
        body.append([problem, str(seed), m, f"{target:.4f}", *shown, _fmt_ratio(reached)])
    return (table(header, body) + "\n\n`time / T: score` for each full-fidelity score in "
            "the order it arrived; `*` marks the first that reaches RandomizedSearchCV's "
            "best (`target`).")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.arrivals",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help="fidelity-*.json result files")
    ap.add_argument("--methods", help="comma-separated methods (default: all but random)")
    ap.add_argument("--first", type=int, default=4,
                    help="full-fidelity scores shown per seed (default 4)")
    args = ap.parse_args(argv)
    methods = args.methods.split(",") if args.methods else None
    for path in args.paths:
        raw = json.loads(Path(path).read_text())
        print(f"## `{Path(path).name}`\n")
        print(markdown(arrivals(raw, methods, args.first), args.first) + "\n")


if __name__ == "__main__":
    main()
