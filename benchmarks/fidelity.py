"""Multi-fidelity suite: time-to-quality of Hyperband against its peers.

Problems where a cheap, low-fidelity evaluation says something about the expensive one:

- ``hgb-max_iter``: ``HistGradientBoostingClassifier`` (no early stopping) on
  ``make_classification(n_samples=20000, n_features=20, n_informative=10)``; the
  resource is ``max_iter`` (9 to 243 boosting iterations); ``hgb-max_iter-27`` is the
  same from 27 iterations.
- ``svc-n_samples``: ``StandardScaler + SVC`` on ``make_classification(n_samples=8000,
  n_features=20, n_informative=10)``; the resource is the number of training samples.

Equal CPU time: RandomizedSearchCV evaluates ``--budget`` candidates (default 24) and its
wall time ``T`` is every other method's allowance. BayesSearchCV and HyperbandSearchCV
get a budget larger than they can spend in ``T`` (4 x ``--budget`` candidates; 4 x the
number of brackets whose planned budget, sum of candidates x resource, is closest to
``--budget`` x ``max_resources``) and are stopped at ``T`` (the scorer raises
``KeyboardInterrupt`` once ``T`` has passed; the results so far are read from the
search's ``partial_results_``). HalvingRandomSearchCV cannot be stopped early (it has an
answer only at its end), so it starts as many candidates as the same budget in
full-fidelity evaluations allows, and its wall time is reported next to ``T``. Every
method gets the same 3-fold splits and one core (``n_jobs=1``, one BLAS / OpenMP
thread).

The scorer stamps the wall clock after each fold, so each candidate's completion time
is known, search overhead included. A method's *quality* at time ``t`` is the best
mean CV score, among candidates evaluated at full fidelity by ``t``, on the full
folds. HalvingRandomSearchCV only has an answer at its end, scored on sub-sampled test
folds when the resource is ``n_samples``: its quality is its ``best_params_``
re-scored on the full folds (not timed), at its total wall time.
HyperbandSearchCV's low ``n_samples`` rungs sub-sample the test folds as well
(``subsample_test=True``, its default); its full-fidelity rows use the whole folds.

Figure: *time-to-quality*, the wall time a method needs to reach the best score
RandomizedSearchCV found with its whole budget, as a ratio to RandomizedSearchCV's
wall time for that budget. Medians over seeds; a run that never reaches it counts as
infinite.
"""

from __future__ import annotations

import math
import time

import numpy as np

from benchmarks._peers import load, quiet
from benchmarks.problems import FIDELITY_SPLITS as N_SPLITS
from benchmarks.problems import PROBLEMS
from benchmarks.report import fmt, header_md, table

METHODS = ("random", "bayes", "halving", "hyperband-random", "hyperband-bayes")
STOPPED = ("bayes", "hyperband-random", "hyperband-bayes")  # stopped at random's time


class _Deadline(KeyboardInterrupt):
    """Raised by the scorer once a method's time allowance has passed."""


class _Clock:
    """A scorer (accuracy) that records when each fold was scored, and stops the search
    (``_Deadline``) once ``deadline`` seconds have passed since ``start``."""

    def __init__(self, deadline=None):
        self.stamps = []
        self.deadline = deadline
        self.start = None

    def __call__(self, estimator, X, y):
        score = float(np.mean(estimator.predict(X) == y))
        now = time.perf_counter()
        if self.deadline is not None and now - self.start > self.deadline:
            raise _Deadline
        self.stamps.append(now)
        return score


def _hyperband_brackets(min_r, max_r, budget, eta=3):
    """Brackets (cycling) whose planned budget adds up to ``budget * max_r``."""
    from skhpo.strategies import hyperband_brackets

    brackets = hyperband_brackets(min_r, max_r, eta)
    spent = [0]
    while spent[-1] < budget * max_r:
        spent.append(spent[-1] + brackets[(len(spent) - 1) % len(brackets)].budget)
    # the number of brackets whose budget is closest to the target
    return min(range(1, len(spent)), key=lambda n: abs(spent[n] - budget * max_r))


def _halving_candidates(min_r, max_r, budget, factor=3):
    """Initial candidates of HalvingRandomSearchCV so that its planned budget, one
    rung per factor of resource from ``min_r`` to ``max_r``, is ``budget * max_r``."""
    n_rungs = 1 + int(math.floor(math.log(max_r / min_r, factor) + 1e-9))
    # each rung costs about n0 * min_r
    return int(math.ceil(budget * max_r / (n_rungs * min_r)))


OVERSIZE = 4  # budget factor of the methods stopped at the deadline


def _build(method, problem, budget, seed, max_resources, clock):
    skhpo = load("skhpo")
    sklearn_ms = load("sklearn.model_selection")
    common = dict(scoring=clock, refit=False, n_jobs=1, cv=None, error_score=np.nan,
                  return_train_score=False)
    est, space = problem.make_estimator(), problem.space
    r = problem.resource
    if method == "random":
        return sklearn_ms.RandomizedSearchCV(est, space, n_iter=budget,
                                             random_state=seed, **common)
    if method == "bayes":
        return skhpo.BayesSearchCV(est, space, n_iter=OVERSIZE * budget,
                                   random_state=seed, **common)
    if method == "halving":
        load("sklearn.experimental.enable_halving_search_cv")
        return sklearn_ms.HalvingRandomSearchCV(
            est, space, resource=r, factor=3,
            n_candidates=_halving_candidates(problem.min_resources, max_resources,
                                             budget),
            min_resources=problem.min_resources, max_resources=max_resources,
            random_state=seed, **common)
    sampler = method.split("-")[1]
    return skhpo.HyperbandSearchCV(
        est, space, resource=r, eta=3, min_resources=problem.min_resources,
        max_resources=max_resources, sampler=sampler, random_state=seed,
        n_brackets=OVERSIZE * _hyperband_brackets(problem.min_resources, max_resources,
                                                  budget),
        **common)


def _full_fidelity_score(problem, params, X, y, cv, max_resources):
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    est = clone(problem.make_estimator()).set_params(**params)
    if problem.resource != "n_samples":
        est.set_params(**{problem.resource: max_resources})
    return float(np.mean(cross_val_score(est, X, y, cv=cv, scoring="accuracy")))


def run_one(method, problem, X, y, cv, max_resources, budget, seed, deadline=None):
    """One search (stopped after ``deadline`` seconds if given); returns its trace of
    (completion time, full-fidelity score)."""
    clock = _Clock(deadline)
    search = _build(method, problem, budget, seed, max_resources, clock)
    search.cv = cv
    start = clock.start = time.perf_counter()
    stopped = False
    with quiet():
        try:
            search.fit(X, y)
        except _Deadline:
            stopped = True
    seconds = time.perf_counter() - start
    res = search.partial_results_ if stopped else search.cv_results_
    n_rows = len(res["params"])
    if len(clock.stamps) < n_rows * N_SPLITS or (
            not stopped and len(clock.stamps) != n_rows * N_SPLITS):
        raise RuntimeError(f"{method}: {len(clock.stamps)} stamps for {n_rows} rows")
    clock.stamps = clock.stamps[:n_rows * N_SPLITS]
    done = np.array(clock.stamps[N_SPLITS - 1::N_SPLITS]) - start
    scores = np.asarray(res["mean_test_score"], dtype=float)
    if method == "halving":
        best = search.cv_results_["params"][search.best_index_]
        best = {k: v for k, v in best.items() if k != problem.resource}
        trace = [(seconds, _full_fidelity_score(problem, best, X, y, cv, max_resources))]
    else:
        if "n_resources" in res:
            full = np.asarray(res["n_resources"]) == max_resources
        else:
            full = np.ones(n_rows, dtype=bool)
        trace = [(float(t), float(s)) for t, s, f in zip(done, scores, full)
                 if f and np.isfinite(s)]
    return {"method": method, "problem": problem.name, "seed": seed,
            "seconds": seconds, "n_rows": n_rows, "stopped": stopped,
            "n_fits": n_rows * N_SPLITS, "trace": trace,
            "best": max((s for _, s in trace), default=math.nan)}


def time_to(trace, target):
    """First time at which the trace's best score reaches ``target`` (inf if never)."""
    for t, s in trace:
        if s >= target - 1e-12:
            return t
    return math.inf


def run(problems, methods, seeds, budget, log=print):
    runs = []
    for pname in problems:
        problem = PROBLEMS["fidelity"][pname]
        X, y, cv, max_resources = problem.load()
        for seed in seeds:
            allowance = None
            for method in ["random", *(m for m in methods if m != "random")]:
                deadline = allowance if method in STOPPED else None
                res = run_one(method, problem, X, y, cv, max_resources, budget, seed,
                              deadline)
                if method == "random":
                    allowance = res["seconds"]
                runs.append(res)
                log(f"[fidelity] {pname:14s} seed {seed} {method:17s} best "
                    f"{res['best']:.4f} in {res['seconds']:.1f}s, "
                    f"{res['n_fits']} fits" + (" (stopped at T)" if res["stopped"] else ""))
    return runs


def summarise(runs):
    """Per (problem, seed): the target (random's best) and each method's times."""
    out = []
    for (p, seed) in dict.fromkeys((r["problem"], r["seed"]) for r in runs):
        mine = {r["method"]: r for r in runs if r["problem"] == p and r["seed"] == seed}
        rand = mine["random"]
        target = rand["best"]
        t_rand_best = time_to(rand["trace"], target)
        for m, r in mine.items():
            t = time_to(r["trace"], target)
            out.append({"problem": p, "seed": seed, "method": m, "target": target,
                        "time_to_target": t, "ratio": t / rand["seconds"],
                        "ratio_to_random_best": t / t_rand_best,
                        # when the method's first full-fidelity score arrived
                        "first_full": (r["trace"][0][0] if r["trace"] else math.inf)
                        / rand["seconds"],
                        "seconds": r["seconds"], "wall_ratio": r["seconds"] / rand["seconds"],
                        "best": r["best"], "n_fits": r["n_fits"]})
    return out


def _median(values):
    values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    return float(np.median(values)) if values else math.nan


def _fmt_ratio(x):
    return "not reached" if math.isinf(x) else f"{x:.2f}"


def markdown(runs, rows, env, budget, seeds, header=None):
    """The report; ``header`` replaces the one made from ``env`` (merged results)."""
    header = header or header_md("Multi-fidelity time-to-quality", env)
    parts = [header, __doc__.split("\n\n", 1)[1],
             f"\nBudget {budget} full-fidelity evaluations, seeds {list(seeds)}.\n"]
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for p in problems:
        parts.append(f"\n## {p}: {PROBLEMS['fidelity'][p].description}\n")
        parts.append(
            "`time-to-quality` = seconds to reach RandomizedSearchCV's best score / "
            "RandomizedSearchCV's wall time (lower is better; `speed-up` is its "
            "inverse). `vs random's own` divides by the time RandomizedSearchCV itself "
            "first reached that score. `first full` = when the method's first "
            "full-fidelity score arrived / RandomizedSearchCV's wall time (no method can "
            "reach the target earlier). `wall` = the method's wall time / "
            "RandomizedSearchCV's (about 1 for the methods stopped at its time). `fits` "
            "counts completed fits. Medians over seeds.\n")
        body = []
        for m in methods:
            mine = [r for r in rows if r["problem"] == p and r["method"] == m]
            ratio = _median([r["ratio"] for r in mine])
            reached = sum(math.isfinite(r["ratio"]) for r in mine)
            body.append([m, _fmt_ratio(ratio),
                         "-" if math.isinf(ratio) or ratio == 0 else f"{1 / ratio:.1f}x",
                         _fmt_ratio(_median([r["ratio_to_random_best"] for r in mine])),
                         f"{reached}/{len(mine)}",
                         _fmt_ratio(_median([r.get("first_full", math.nan) for r in mine])),
                         fmt(_median([r["wall_ratio"] for r in mine]), ".2f"),
                         fmt(_median([r["seconds"] for r in mine]), ".1f"),
                         fmt(_median([r["best"] for r in mine]), ".4f"),
                         str(int(_median([r["n_fits"] for r in mine])))])
        parts.append(table(["method", "time-to-quality", "speed-up", "vs random's own",
                            "reached", "first full", "wall", "wall s", "best score", "fits"], body))
        parts.append("\nPer seed (time-to-quality ratio):\n")
        seeds_here = list(dict.fromkeys(r["seed"] for r in rows if r["problem"] == p))
        per = []
        for m in methods:
            per.append([m] + [_fmt_ratio(next(r["ratio"] for r in rows if r["problem"] == p
                                              and r["method"] == m and r["seed"] == s))
                              for s in seeds_here])
        parts.append(table(["method"] + [f"seed {s}" for s in seeds_here], per))
    return "\n".join(parts) + "\n"


def main(problems, methods, seeds, budget, env, log=print):
    from threadpoolctl import threadpool_limits

    if "random" not in methods:
        methods = ["random", *methods]
    with threadpool_limits(limits=1):  # BLAS and OpenMP (HistGradientBoosting)
        runs = run(problems, methods, seeds, budget, log=log)
    rows = summarise(runs)
    md = markdown(runs, rows, env, budget, seeds)
    return md, {"runs": runs, "rows": rows, "env": env, "budget": budget,
                "seeds": list(seeds)}
