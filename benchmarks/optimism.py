"""How far a search's ``best_score_`` overstates the chosen configuration's score, and
how well the optimism estimates of :mod:`skhpo._optimism` correct it.

Each problem has a small training part, which the search sees, and a large held-out
part, which it does not. A run is one search on the training part; it records

- ``best_score_``, the naive estimate;
- the optimism of ``best_score_`` by :func:`~skhpo._optimism.tibshirani_optimism` and
  :func:`~skhpo._optimism.fold_bootstrap_optimism`, from the split scores of the rows
  the best was chosen among (every row with finite scores; HyperbandSearchCV: the rows
  with the best's ``n_resources``), and, where a search has one, its ``optimism_`` attribute;
- the nested cross-validation estimate, the mean of
  ``cross_val_score(clone(search), X_train, y_train, cv=3)`` (three more searches);
- the held-out score of the refitted best estimator, ``search.score(X_held, y_held)``,
  against which every estimate is judged.

The problems come in two halves: on the *selection* half the optimism method with the
lower mean absolute error of ``best_score_ - optimism`` is chosen (see
``benchmarks/PREDECLARED.md``); the *report* half measures the choice on other problems.

::

    python -m benchmarks.optimism --half selection --seeds 5
    python -m benchmarks.optimism --half report --seeds 5
    python -m benchmarks.optimism --half selection --quick   # smoke test

Writes ``benchmarks/results/optimism-<timestamp>.md`` and ``.json`` (the half is in
both; ``optimism-quick-<timestamp>`` with ``--quick``, ignored by git).
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

if __package__ in (None, ""):  # run as a script: python benchmarks/optimism.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scipy.stats import loguniform  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    RandomizedSearchCV, cross_val_score, train_test_split)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC, SVR  # noqa: E402

from benchmarks.report import (  # noqa: E402
    RESULTS_DIR, environment, fmt, header_md, table, write)
from skhpo import BayesSearchCV, EvolutionSearchCV, HyperbandSearchCV  # noqa: E402
from skhpo._optimism import fold_bootstrap_optimism, tibshirani_optimism  # noqa: E402

#: Seed of every train / held-out split.
SPLIT_SEED = 0
#: Outer folds of the nested cross-validation estimate.
OUTER_CV = 3
#: Inner folds of every search.
INNER_CV = 5
METHODS = ("tibshirani", "fold_bootstrap")
OPTIMISM = {"tibshirani": tibshirani_optimism, "fold_bootstrap": fold_bootstrap_optimism}
#: The estimates judged against the held-out score, as (key, label).
ESTIMATES = (("naive", "`best_score_`"), ("tibshirani", "best - tibshirani"),
             ("fold_bootstrap", "best - fold_bootstrap"), ("nested", "nested CV"))


# -- problems --------------------------------------------------------------------------

@dataclass(frozen=True)
class OptimismProblem:
    """A dataset split into a training part (searched) and a held-out part (judge).

    ``make_data`` returns ``X, y``; the first ``n_train`` samples of a split with seed
    :data:`SPLIT_SEED` (stratified for classification) are the training part, the rest
    the held-out part (at most ``n_held`` of them, when given).
    """

    name: str
    half: str
    task: str  # "classification" or "regression"
    make_data: Callable
    n_train: int
    n_held: int | None = None
    description: str = ""

    def load(self):
        """``X_train, X_held, y_train, y_held``."""
        X, y = self.make_data()
        X_train, X_held, y_train, y_held = train_test_split(
            X, y, train_size=self.n_train, test_size=self.n_held,
            stratify=y if self.task == "classification" else None,
            random_state=SPLIT_SEED)
        return X_train, X_held, y_train, y_held


def _noise_clf():
    X, _ = datasets.make_classification(n_samples=5300, n_features=10, random_state=1)
    y = np.random.default_rng(1).integers(0, 2, size=len(X))  # independent of X
    return X, y


def _synth_clf():
    return datasets.make_classification(n_samples=5300, n_features=10, n_informative=5,
                                        flip_y=0.1, random_state=2)


def _digits():
    return datasets.load_digits(return_X_y=True)


def _noise_reg():
    X, _ = datasets.make_regression(n_samples=5300, n_features=10, random_state=5)
    y = np.random.default_rng(5).standard_normal(len(X))  # independent of X
    return X, y


def _breast_cancer():
    return datasets.load_breast_cancer(return_X_y=True)


def _friedman1():
    return datasets.make_friedman1(n_samples=5300, noise=1.0, random_state=3)


def _synth_clf_hard():
    return datasets.make_classification(n_samples=5300, n_features=20, n_informative=3,
                                        flip_y=0.3, random_state=4)


PROBLEMS = {p.name: p for p in (
    OptimismProblem("noise-clf", "selection", "classification", _noise_clf, 300,
                    description="make_classification(5300, 10 features) with labels "
                                "drawn 50/50 independently of X: chance accuracy 0.5"),
    OptimismProblem("synth-clf", "selection", "classification", _synth_clf, 300,
                    description="make_classification(5300, 10 features, 5 informative, "
                                "flip_y=0.1)"),
    OptimismProblem("digits", "selection", "classification", _digits, 300,
                    description="load_digits, 10 classes"),
    OptimismProblem("noise-reg", "report", "regression", _noise_reg, 300, 5000,
                    description="make_regression features, y standard normal "
                                "independent of X: R^2 about 0 or below"),
    OptimismProblem("breast-cancer", "report", "classification", _breast_cancer, 200,
                    description="load_breast_cancer"),
    OptimismProblem("friedman1", "report", "regression", _friedman1, 300,
                    description="make_friedman1(5300, noise=1.0)"),
    OptimismProblem("synth-clf-hard", "report", "classification", _synth_clf_hard, 300,
                    description="make_classification(5300, 20 features, 3 informative, "
                                "flip_y=0.3)"),
)}
HALVES = {h: [p for p in PROBLEMS.values() if p.half == h]
          for h in ("selection", "report")}


def estimator_and_space(task):
    """``(estimator, param_distributions, scoring)`` of a task."""
    space = {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-4, 1e1)}
    if task == "classification":
        est, step, scoring = SVC(), "svc", "accuracy"
    else:
        est, step, scoring = SVR(), "svr", "r2"
        space["epsilon"] = loguniform(1e-3, 1)
    return (make_pipeline(StandardScaler(), est),
            {f"{step}__{k}": v for k, v in space.items()}, scoring)


# -- searches --------------------------------------------------------------------------

def make_search(name, task, seed, n_iter):
    """One of :data:`SEARCHES`, unfitted, on ``task``'s estimator and space."""
    est, space, scoring = estimator_and_space(task)
    common = dict(scoring=scoring, cv=INNER_CV, n_jobs=1, random_state=seed)
    if name == "bayes":
        return BayesSearchCV(est, space, n_iter=n_iter, **common)
    if name == "evolution":
        return EvolutionSearchCV(est, space, n_iter=n_iter, population_size=6, **common)
    if name == "hyperband":
        return HyperbandSearchCV(est, space, **common)
    if name == "random":
        return RandomizedSearchCV(est, space, n_iter=n_iter, **common)
    raise ValueError(f"unknown search {name!r}")


SEARCHES = ("bayes", "evolution", "hyperband", "random")
SEARCH_LABELS = {"bayes": "BayesSearchCV", "evolution": "EvolutionSearchCV",
                 "hyperband": "HyperbandSearchCV", "random": "RandomizedSearchCV"}


def compared_scores(search):
    """``(S, best)``: the split test scores of the rows the best was chosen among
    (rows with a non-finite score left in; the functions drop them) and the best's row
    among them. HyperbandSearchCV compares the rows with the best's ``n_resources``."""
    res, best = search.cv_results_, int(search.best_index_)
    S = np.column_stack([np.asarray(res[f"split{k}_test_score"], dtype=float)
                         for k in range(search.n_splits_)])
    rows = np.arange(len(S))
    if "n_resources" in res:
        resources = np.asarray(res["n_resources"])
        rows = np.flatnonzero(resources == resources[best])
    return S[rows], int(np.flatnonzero(rows == best)[0])


def one_run(problem, search_name, seed, n_iter, data=None, outer_cv=OUTER_CV):
    """Every number of one search on one problem and seed."""
    X_train, X_held, y_train, y_held = data if data is not None else problem.load()
    search = make_search(search_name, problem.task, seed, n_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        search.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - t0
        held = float(search.score(X_held, y_held))
        S, best = compared_scores(search)
        optimism = {m: float(OPTIMISM[m](S, best)) for m in METHODS}
        attr = getattr(search, "optimism_", None)
        t0 = time.perf_counter()
        nested = cross_val_score(clone(search), X_train, y_train, cv=outer_cv)
        nested_seconds = time.perf_counter() - t0
    attr = None if attr is None else float(attr)
    matches = [m for m in METHODS if attr is not None and np.isclose(
        attr, optimism[m], rtol=0, atol=1e-12)]
    return {
        "problem": problem.name, "half": problem.half, "search": search_name,
        "seed": seed, "n_iter": n_iter,
        "best_score": float(search.best_score_), "held_out": held,
        "optimism": optimism,
        "optimism_attr": attr,  # the search's own optimism_ (None: not a skhpo search)
        "optimism_attr_matches": matches,  # which recomputed method it equals
        "nested_scores": [float(s) for s in nested],
        "nested": float(np.mean(nested)),
        "n_rows": len(search.cv_results_["params"]),
        "n_compared": int(S.shape[0]),
        "n_compared_finite": int(np.all(np.isfinite(S), axis=1).sum()),
        "best_row": best, "split_scores": S.tolist(),
        "best_params": {k: float(v) for k, v in search.best_params_.items()},
        "fit_seconds": fit_seconds, "nested_seconds": nested_seconds,
        "n_train": len(y_train), "n_held": len(y_held),
    }


def estimates(run):
    """The estimates of the held-out score a run gives, by key of :data:`ESTIMATES`."""
    best = run["best_score"]
    out = {"naive": best, "nested": run["nested"]}
    out.update({m: best - run["optimism"][m] for m in METHODS})
    return out


# -- summary ---------------------------------------------------------------------------

def summarise(runs):
    """Rows of per-(problem, search) errors, then one pooled row ("all", "all").

    Each row: ``n``; for each estimate, ``bias`` (mean of estimate - held-out) and
    ``mae`` (mean absolute error); for each optimism method, ``closer``: in how many
    runs ``best - optimism`` is strictly closer to the held-out score than
    ``best_score_``, and ``ties`` (equally close: an optimism of 0); the same for the
    nested estimate; the mean held-out score and mean fit times.
    """
    groups = {}
    for r in runs:
        groups.setdefault((r["problem"], r["search"]), []).append(r)
    groups[("all", "all")] = list(runs)
    rows = []
    for (problem, search), mine in groups.items():
        errs = {k: np.array([estimates(r)[k] - r["held_out"] for r in mine])
                for k, _ in ESTIMATES}
        naive = np.abs(errs["naive"])
        row = {"problem": problem, "search": search, "n": len(mine),
               "held_out": float(np.mean([r["held_out"] for r in mine])),
               "best_score": float(np.mean([r["best_score"] for r in mine])),
               "fit_seconds": float(np.mean([r["fit_seconds"] for r in mine])),
               "nested_seconds": float(np.mean([r["nested_seconds"] for r in mine]))}
        for k, _ in ESTIMATES:
            row[f"bias_{k}"] = float(np.mean(errs[k]))
            row[f"mae_{k}"] = float(np.mean(np.abs(errs[k])))
        for k in (*METHODS, "nested"):
            row[f"closer_{k}"] = int(np.sum(np.abs(errs[k]) < naive))
            row[f"ties_{k}"] = int(np.sum(np.abs(errs[k]) == naive))
        for m in METHODS:
            row[f"optimism_{m}"] = float(np.mean([r["optimism"][m] for r in mine]))
        rows.append(row)
    return rows


def choice(summary):
    """The optimism method with the lower pooled mean absolute error of
    ``best_score_ - optimism`` (the decision rule of the selection half) and the MAEs."""
    pooled = next(r for r in summary if r["problem"] == "all")
    maes = {m: pooled[f"mae_{m}"] for m in METHODS}
    return min(METHODS, key=lambda m: maes[m]), maes


# -- report ----------------------------------------------------------------------------

def markdown(runs, summary, env, half, seeds, n_iter):
    problems = list(dict.fromkeys(r["problem"] for r in runs))
    parts = [header_md(f"Optimism of best_score_ ({half} half)", env),
             f"Seeds {list(seeds)}; BayesSearchCV(n_iter={n_iter}), "
             f"EvolutionSearchCV(n_iter={n_iter}, population_size=6), HyperbandSearchCV "
             f"(defaults, resource n_samples), RandomizedSearchCV(n_iter={n_iter}); "
             f"{INNER_CV}-fold CV, n_jobs=1, random_state=seed. Nested CV: mean of "
             f"cross_val_score(clone(search), X_train, y_train, cv={OUTER_CV}). Error = "
             "estimate - held-out score of the refitted best estimator "
             "(positive: the estimate is optimistic).\n"]
    parts.append("## Problems\n")
    parts.append(table(
        ["problem", "task", "train", "held-out", "data"],
        [[p, PROBLEMS[p].task, next(r["n_train"] for r in runs if r["problem"] == p),
          next(r["n_held"] for r in runs if r["problem"] == p), PROBLEMS[p].description]
         for p in problems]))

    parts.append(
        "\n## Error of each estimate vs the held-out score\n\n"
        "Mean signed error (mean absolute error), over the seeds. \"closer\": in how "
        "many runs `best_score_ - optimism` is strictly closer to the held-out score "
        "than `best_score_` (an optimism of 0 ties, and does not count).\n")
    header = (["problem", "search", "held-out"] + [lab for _, lab in ESTIMATES]
              + ["closer: tibshirani", "closer: fold_bootstrap", "closer: nested"])
    rows = []
    for r in summary:
        label = SEARCH_LABELS.get(r["search"], r["search"])
        if r["problem"] == "all":
            label = f"all {r['n']} runs"
        rows.append([r["problem"], label, fmt(r["held_out"])]
                    + [f"{fmt(r[f'bias_{k}'], '+.4f')} ({fmt(r[f'mae_{k}'])})"
                       for k, _ in ESTIMATES]
                    + [f"{r[f'closer_{k}']}/{r['n']}"
                       for k in (*METHODS, "nested")])
    parts.append(table(header, rows))

    winner, maes = choice(summary)
    parts.append(
        "\n## Pooled mean absolute error of `best_score_ - optimism`\n\n"
        + table(["method", "MAE"], [[m, fmt(maes[m])] for m in METHODS])
        + f"\n\nLower: **{winner}**"
        + (" (the decision rule of this half, `benchmarks/PREDECLARED.md`).\n"
           if half == "selection" else
           " (this half does not choose; the selection half does).\n"))

    parts.append("\n## Every run\n")
    parts.append(table(
        ["problem", "search", "seed", "best_score_", "tibshirani", "fold_bootstrap",
         "optimism_", "nested CV", "held-out", "compared rows", "fit s", "nested s"],
        [[r["problem"], SEARCH_LABELS[r["search"]], r["seed"], fmt(r["best_score"]),
          fmt(r["optimism"]["tibshirani"]), fmt(r["optimism"]["fold_bootstrap"]),
          fmt(r["optimism_attr"]), fmt(r["nested"]), fmt(r["held_out"]),
          r["n_compared"], fmt(r["fit_seconds"], ".1f"), fmt(r["nested_seconds"], ".1f")]
         for r in runs]))
    skhpo_runs = [r for r in runs if r["optimism_attr"] is not None]
    if skhpo_runs:
        agree = [r for r in skhpo_runs if r["optimism_attr_matches"]]
        which = sorted({m for r in agree for m in r["optimism_attr_matches"]})
        parts.append(
            f"\nThe searches' `optimism_` equals a recomputed estimate in "
            f"{len(agree)}/{len(skhpo_runs)} runs"
            + (f" (method: {', '.join(which)})" if which else "") + ".\n")
    return "\n".join(parts) + "\n"


#: Files whose code the results measure (their SHA-256 is recorded with the results:
#: they may be uncommitted when the benchmark runs).
MEASURED_FILES = ("skhpo/_optimism.py", "skhpo/_search.py", "skhpo/_hyperband_search.py",
                  "benchmarks/optimism.py")


def measured_code():
    """``{path: sha256}`` of :data:`MEASURED_FILES` (None: missing)."""
    root = Path(__file__).resolve().parents[1]
    out = {}
    for rel in MEASURED_FILES:
        path = root / rel
        out[rel] = (hashlib.sha256(path.read_bytes()).hexdigest() if path.exists()
                    else None)
    return out


def main_run(half, seeds, n_iter, problems=None, searches=SEARCHES, env=None,
             outer_cv=OUTER_CV, log=print):
    """Run a half (or the named problems of it); return ``(markdown, raw)``."""
    chosen = [PROBLEMS[p] for p in problems] if problems else HALVES[half]
    code = measured_code()  # at the start: others may edit the files meanwhile
    runs = []
    for problem in chosen:
        data = problem.load()
        for seed in seeds:
            for name in searches:
                r = one_run(problem, name, seed, n_iter, data, outer_cv)
                runs.append(r)
                log(f"[optimism] {problem.name:15s} seed {seed} {name:10s} "
                    f"best {r['best_score']:.4f} tib {r['optimism']['tibshirani']:.4f} "
                    f"fb {r['optimism']['fold_bootstrap']:.4f} "
                    f"nested {r['nested']:.4f} held {r['held_out']:.4f} "
                    f"{r['fit_seconds']:.1f}s+{r['nested_seconds']:.1f}s", flush=True)
    summary = summarise(runs)
    winner, maes = choice(summary)
    env = env or environment("python -m benchmarks.optimism")
    raw = {"env": env, "half": half, "seeds": list(seeds), "n_iter": n_iter,
           "inner_cv": INNER_CV, "outer_cv": outer_cv, "split_seed": SPLIT_SEED,
           "measured_code": code, "measured_code_at_end": measured_code(),
           "problems": [p.name for p in chosen],
           "searches": list(searches),
           "summary": summary, "lower_mae": winner, "pooled_mae": maes, "runs": runs}
    return markdown(runs, summary, env, half, seeds, n_iter), raw


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.optimism",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--half", choices=tuple(HALVES), required=True)
    ap.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--n-iter", type=int, default=None,
                    help="candidates of the BayesSearchCV, EvolutionSearchCV and "
                         "RandomizedSearchCV runs (default 30; 6 with --quick)")
    ap.add_argument("--problems", default=None,
                    help="comma-separated problems of the half (default: all of it)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: the half's first problem, 1 seed, n_iter=6")
    ap.add_argument("--out", default=None, help="results directory")
    args = ap.parse_args(argv)
    if args.seeds < 1 or args.first_seed < 0:
        ap.error("--seeds must be >= 1 and --first-seed >= 0")
    if args.problems:
        args.problems = [p for p in args.problems.split(",") if p]
        wrong = [p for p in args.problems if PROBLEMS.get(p) not in HALVES[args.half]]
        if wrong:
            ap.error(f"not problems of the {args.half} half: {wrong}")
    if args.quick:
        args.seeds = 1
        args.problems = args.problems[:1] if args.problems else [
            HALVES[args.half][0].name]
    if args.n_iter is None:
        args.n_iter = 6 if args.quick else 30
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    env = environment("python -m benchmarks.optimism " + shlex.join(argv))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    md, raw = main_run(args.half, seeds, args.n_iter, args.problems, env=env)
    tag = "quick" if args.quick else ""
    out = Path(args.out) if args.out else RESULTS_DIR
    stem = "-".join(t for t in ("optimism", tag) if t)
    while (out / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.json").exists():
        time.sleep(0.5)  # the other half, run at the same time, wrote this second
    print(write("optimism", md, raw, args.out, tag=tag))
    return 0


if __name__ == "__main__":
    sys.exit(main())
