"""How far a median time-to-quality can be trusted: a bootstrap interval over seeds.

Reads fidelity results (``results/fidelity-*.json``, merged or not) and prints, for
each problem and method, the median time-to-quality over seeds (as in the fidelity
report; a seed that never reached the target counts as infinite), a percentile
bootstrap interval of that median (seeds drawn with replacement), and the share of
bootstrap medians at most ``--threshold``: how often a set of seeds like these would
put the median on the target's side::

    python -m benchmarks.median_ci benchmarks/results/fidelity-merged-20261124-023116.json

Prints markdown; writes nothing. The resampling is seeded (``--seed``), so the output
is the same on every run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fidelity import _fmt_ratio, summarise  # noqa: E402
from benchmarks.report import table  # noqa: E402


def median_ci(rows, *, level=0.9, threshold=1 / 3, n_resamples=10000, seed=0):
    """Per (problem, method): ``(problem, method, n_seeds, median, low, high,
    share_at_most_threshold)`` from the fidelity summary rows (each with ``problem``,
    ``method`` and ``ratio``)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}.")
    if not (isinstance(n_resamples, int) and n_resamples >= 1):
        raise ValueError(f"n_resamples must be an int >= 1, got {n_resamples!r}.")
    rng = np.random.RandomState(seed)
    out = []
    for problem, method in dict.fromkeys((r["problem"], r["method"]) for r in rows):
        ratios = np.array([r["ratio"] for r in rows
                           if r["problem"] == problem and r["method"] == method],
                          dtype=float)
        draws = rng.randint(len(ratios), size=(n_resamples, len(ratios)))
        medians = np.sort(ratios[draws], axis=1)
        # the median of each resample, inf when the middle reaches an unreached seed
        n = len(ratios)
        middle = (medians[:, (n - 1) // 2] + medians[:, n // 2]) / 2
        low, high = np.quantile(middle, [(1 - level) / 2, (1 + level) / 2],
                                method="inverted_cdf")
        out.append((problem, method, n, float(np.median(ratios)), float(low),
                    float(high), float(np.mean(middle <= threshold))))
    return out


def markdown(stats, level, threshold) -> str:
    header = ["problem", "method", "seeds", "median", f"{level:.0%} interval",
              f"share of medians <= {threshold:.2f}"]
    body = [[p, m, str(n), _fmt_ratio(med), f"{_fmt_ratio(lo)} to {_fmt_ratio(hi)}",
             f"{share:.2f}"] for p, m, n, med, lo, hi, share in stats]
    return table(header, body)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.median_ci",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help="fidelity-*.json result files")
    ap.add_argument("--level", type=float, default=0.9, help="interval level (0.9)")
    ap.add_argument("--threshold", type=float, default=1 / 3,
                    help="target ratio (default 1/3, 3x sooner than RandomizedSearchCV)")
    ap.add_argument("--resamples", type=int, default=10000, help="bootstrap resamples")
    ap.add_argument("--seed", type=int, default=0, help="seed of the resampling")
    args = ap.parse_args(argv)
    for path in args.paths:
        raw = json.loads(Path(path).read_text())
        # the rows again from the runs: the stored rows hold null for "not reached"
        stats = median_ci(summarise(raw["runs"]), level=args.level, threshold=args.threshold,
                          n_resamples=args.resamples, seed=args.seed)
        print(f"## `{Path(path).name}`\n")
        print(markdown(stats, args.level, args.threshold) + "\n")
        print(f"Percentile bootstrap over seeds, {args.resamples} resamples, seed "
              f"{args.seed}; `not reached` = infinite.\n")


if __name__ == "__main__":
    main()
