"""Where one Hyperband iteration spends its time: fit and score seconds per rung.

Runs one HyperbandSearchCV iteration (every bracket once, eta 3, the problem's
resources) on a problem of the fidelity suite, on one core, and sums the fit and score
times ``cv_results_`` records for each rung, over its candidates and folds::

    python -m benchmarks.rung_costs --problem svc-n_samples --seed 0
    python -m benchmarks.rung_costs --problem svc-n_samples --seed 0 --whole-test-folds

Writes ``benchmarks/results/rung-costs-<timestamp>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.problems import FIDELITY_SPLITS as N_SPLITS  # noqa: E402
from benchmarks.problems import PROBLEMS  # noqa: E402
from benchmarks.report import environment, header_md, table, write  # noqa: E402


def measure(problem, seed, subsample_test):
    from threadpoolctl import threadpool_limits

    from skhpo import HyperbandSearchCV
    from skhpo.strategies import hyperband_brackets

    X, y, cv, max_resources = problem.load()
    n_brackets = len(hyperband_brackets(problem.min_resources, max_resources, 3))
    search = HyperbandSearchCV(
        problem.make_estimator(), problem.space, resource=problem.resource, eta=3,
        min_resources=problem.min_resources, max_resources=max_resources,
        subsample_test=subsample_test, n_brackets=n_brackets, random_state=seed, cv=cv,
        n_jobs=1, refit=False, error_score=np.nan)
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        search.fit(X, y)
        wall = time.perf_counter() - start
    res = search.cv_results_
    rungs = []
    for b in dict.fromkeys(res["bracket"].tolist()):
        for i in dict.fromkeys(res["iter"][res["bracket"] == b].tolist()):
            rows = (res["bracket"] == b) & (res["iter"] == i)
            rungs.append({
                "bracket": int(b), "rung": int(i), "candidates": int(rows.sum()),
                "n_resources": int(res["n_resources"][rows][0]),
                "fit_s": float(N_SPLITS * res["mean_fit_time"][rows].sum()),
                "score_s": float(N_SPLITS * res["mean_score_time"][rows].sum())})
    return {"problem": problem.name, "seed": seed, "subsample_test": subsample_test,
            "wall_s": wall, "rungs": rungs}


def markdown(result, env):
    rows = [[r["bracket"], r["rung"], r["candidates"], r["n_resources"],
             f"{r['fit_s']:.2f}", f"{r['score_s']:.2f}"] for r in result["rungs"]]
    fit = sum(r["fit_s"] for r in result["rungs"])
    score = sum(r["score_s"] for r in result["rungs"])
    rows.append(["total", "", "", "", f"{fit:.2f}", f"{score:.2f}"])
    return "\n".join([
        header_md("Hyperband rung costs", env),
        f"Problem `{result['problem']}`, seed {result['seed']}, "
        f"`subsample_test={result['subsample_test']}`, one core. Seconds summed over "
        "each rung's candidates and folds, from `cv_results_` (`mean_fit_time` and "
        f"`mean_score_time` x {N_SPLITS} folds). Wall time of the search: "
        f"{result['wall_s']:.1f} s.\n",
        table(["bracket", "rung", "candidates", "n_resources", "fit s", "score s"], rows),
    ]) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", choices=sorted(PROBLEMS["fidelity"]),
                    default="svc-n_samples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--whole-test-folds", action="store_true",
                    help="subsample_test=False: score every rung on whole test folds")
    ap.add_argument("--out", help="results directory (default benchmarks/results)")
    args = ap.parse_args(argv)
    env = environment(f"python -m benchmarks.rung_costs {shlex.join(argv)}".strip())
    result = measure(PROBLEMS["fidelity"][args.problem], args.seed,
                     not args.whole_test_folds)
    md = markdown(result, env)
    path = write("rung-costs", md, {"result": result, "env": env}, args.out)
    print(md)
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
