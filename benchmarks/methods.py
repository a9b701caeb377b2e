"""Registry of hyperparameter-search methods compared by the harness.

A method is a function ``f(problem, X, y, cv, budget, seed, n_jobs)`` that
runs one search with at most ``budget`` evaluations and returns the mean CV
score of every evaluated configuration, in evaluation order.  Register a new
method with ``@register("name")``; nothing else in the harness changes.

Every method fits with ``refit=False`` (only CV scores are compared) and
gets the same materialised ``cv`` splits, scorer and ``n_jobs``.
"""

from __future__ import annotations

import math
import random
import time
import traceback

import numpy as np

from benchmarks import space as sp
from benchmarks._peers import load, quiet, versions
from benchmarks.problems import PROBLEMS

#: name -> search function
METHODS = {}

#: Methods run by the efficiency suite when ``--methods`` is not given.
DEFAULT_METHODS = ("skhpo-bayes", "random", "skopt", "optuna-tpe")


def register(name):
    """Decorator adding a search function to :data:`METHODS` under ``name``."""
    def deco(func):
        METHODS[name] = func
        return func
    return deco


def _scores_of(search):
    return [float(s) for s in search.cv_results_["mean_test_score"]]


@register("skhpo-bayes")
def skhpo_bayes(problem, X, y, cv, budget, seed, n_jobs):
    """``skhpo.BayesSearchCV`` with ``skhpo.space`` dimensions."""
    skhpo = load("skhpo")
    search = skhpo.BayesSearchCV(
        problem.make_estimator(), sp.to_skhpo(problem.space), n_iter=budget,
        random_state=seed, scoring=problem.scoring, cv=cv, n_jobs=n_jobs,
        refit=False)
    search.fit(X, y)
    return _scores_of(search)


@register("skhpo-evolution")
def skhpo_evolution(problem, X, y, cv, budget, seed, n_jobs):
    """``skhpo.EvolutionSearchCV`` (defaults: generations of 10) on ``skhpo.space``
    dimensions."""
    skhpo = load("skhpo")
    search = skhpo.EvolutionSearchCV(
        problem.make_estimator(), sp.to_skhpo(problem.space), n_iter=budget,
        random_state=seed, scoring=problem.scoring, cv=cv, n_jobs=n_jobs,
        refit=False)
    search.fit(X, y)
    return _scores_of(search)


@register("skhpo-bayes-scipy")
def skhpo_bayes_scipy(problem, X, y, cv, budget, seed, n_jobs):
    """``skhpo.BayesSearchCV`` fed RandomizedSearchCV's scipy.stats space."""
    skhpo = load("skhpo")
    search = skhpo.BayesSearchCV(
        problem.make_estimator(), sp.to_scipy(problem.space), n_iter=budget,
        random_state=seed, scoring=problem.scoring, cv=cv, n_jobs=n_jobs,
        refit=False)
    search.fit(X, y)
    return _scores_of(search)


@register("random")
def random_search(problem, X, y, cv, budget, seed, n_jobs):
    """scikit-learn's ``RandomizedSearchCV`` on scipy.stats distributions."""
    from sklearn.model_selection import RandomizedSearchCV

    search = RandomizedSearchCV(
        problem.make_estimator(), sp.to_scipy(problem.space), n_iter=budget,
        random_state=seed, scoring=problem.scoring, cv=cv, n_jobs=n_jobs,
        refit=False)
    search.fit(X, y)
    return _scores_of(search)


@register("skopt")
def skopt_bayes(problem, X, y, cv, budget, seed, n_jobs):
    """``skopt.BayesSearchCV`` (its defaults: GP, gp_hedge) on skopt dimensions."""
    skopt = load("skopt")
    search = skopt.BayesSearchCV(
        problem.make_estimator(), sp.to_skopt(problem.space), n_iter=budget,
        random_state=seed, scoring=problem.scoring, cv=cv, n_jobs=n_jobs,
        refit=False)
    search.fit(X, y)
    return _scores_of(search)


@register("optuna-tpe")
def optuna_tpe(problem, X, y, cv, budget, seed, n_jobs):
    """optuna-integration's ``OptunaSearchCV`` with ``TPESampler(seed=seed)``.

    A trial whose CV fit fails is a FAILED trial with no value (NaN here).
    """
    optuna = load("optuna")
    integration = load("optuna_integration")
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    search = integration.OptunaSearchCV(
        problem.make_estimator(), sp.to_optuna(problem.space), n_trials=budget,
        random_state=seed, scoring=problem.scoring, cv=cv, n_jobs=n_jobs,
        refit=False, study=study)
    search.fit(X, y)
    trials = sorted(study.trials, key=lambda t: t.number)
    return [float(t.user_attrs.get("mean_test_score", np.nan)) for t in trials]


@register("ga-sklearn-genetic")
def ga_sklearn_genetic(problem, X, y, cv, budget, seed, n_jobs):
    """sklearn-genetic-opt's ``GASearchCV`` (not in the default set).

    Its (mu + lambda) loop evaluates ``population`` individuals and then
    ``2 * population`` offspring per generation; enough generations are run
    to reach ``budget`` and the record is cut at ``budget``.  Individuals
    already seen are answered from its cache but still counted, and the wall
    time covers the whole run, including evaluations past ``budget``.
    """
    genetic = load("sklearn_genetic")
    population = max(2, min(10, budget // 4))
    generations = max(1, math.ceil((budget - population) / (2 * population)))
    np.random.seed(seed)  # DEAP draws from the global random modules
    random.seed(seed)
    search = genetic.GASearchCV(
        problem.make_estimator(), cv=cv,
        param_grid=sp.to_sklearn_genetic(problem.space),
        scoring=problem.scoring, population_size=population,
        generations=generations, n_jobs=n_jobs, refit=False, verbose=False)
    search.fit(X, y)
    return _scores_of(search)[:budget]


def run_method(name, problem, X, y, cv, budget, seed, n_jobs=1):
    """Run one search and time it.

    Returns
    -------
    dict
        ``scores`` (mean CV score per evaluation, NaN for failed fits),
        ``trace`` (best-so-far; failed fits count as -inf), ``best``, both
        cut at ``budget``; ``n_evals`` (evaluations the method made), ``seconds`` (wall time of ``fit``), ``error`` (a
        traceback string, or None).
    """
    func = METHODS[name]
    start = time.perf_counter()
    try:
        with quiet():
            scores = func(problem, X, y, cv, budget, seed, n_jobs)
        error = None
    except Exception:
        scores, error = [], traceback.format_exc()
    seconds = time.perf_counter() - start
    n_evals, scores = len(scores), scores[:budget]
    finite = np.where(np.isnan(scores), -np.inf, scores) if scores else []
    trace = np.maximum.accumulate(finite).tolist() if scores else []
    return {
        "method": name, "problem": problem.name, "seed": seed,
        "scores": scores, "trace": trace,
        "best": trace[-1] if trace else None,
        "n_evals": n_evals, "seconds": seconds, "error": error,
    }


# -- smoke check: python -m benchmarks._peers ---------------------------------------


def _check_search(name):
    """Fit a 4-evaluation search of method ``name`` on a tiny problem."""
    problem = PROBLEMS["efficiency"]["logreg-breast_cancer"]
    X, y, cv = problem.load()
    res = run_method(name, problem, X, y, cv, budget=4, seed=0)
    if res.get("error"):
        raise RuntimeError(res["error"])
    return f"{len(res['scores'])} evaluations, best {max(res['scores']):.4f}"


def check(methods=None) -> bool:
    """Print versions and run :func:`_check_search` for each method."""
    for k, v in versions().items():
        print(f"{k:22s} {v}")
    ok = True
    for name in methods or METHODS:
        try:
            print(f"[ok]   {name}: {_check_search(name)}")
        except Exception:  # report every peer, then fail
            ok = False
            print(f"[FAIL] {name}:\n{traceback.format_exc()}")
    return ok
