"""Parallel-efficiency suite: ``T(n_jobs=1) / (2 * T(n_jobs=2))``.

``skhpo.BayesSearchCV(n_points=2)`` tunes a random forest on a synthetic
4000 x 20 classification set with 5-fold CV, once with ``n_jobs=1`` and once
with ``n_jobs=2`` (same seed).  ``RandomizedSearchCV`` with the same number
of candidates is measured alongside as a reference: it has no optimiser
overhead, so its efficiency is what the joblib fan-out alone achieves on
this machine.  BLAS thread pools are limited to one thread in the parent
process so that ``n_jobs=1`` really uses one core (joblib limits its
workers likewise).  joblib's worker processes are started before the
first timed fit, so no search pays for their start-up.
"""

from __future__ import annotations

import time

from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import (RandomizedSearchCV, StratifiedKFold,
                                     cross_val_score)
from threadpoolctl import threadpool_limits

from benchmarks import space as sp
from benchmarks._peers import load, quiet
from benchmarks.report import fmt, header_md, table

SPACE = {
    "max_depth": sp.Integer(2, 20),
    "max_features": sp.Real(0.1, 1.0),
    "min_samples_leaf": sp.Integer(1, 20),
}


def _data(n_samples):
    X, y = make_classification(n_samples=n_samples, n_features=20,
                               n_informative=10, random_state=0)
    cv = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    return X, y, cv


def _search(kind, n_iter, n_jobs, cv):
    est = RandomForestClassifier(n_estimators=50, random_state=0)
    common = dict(n_iter=n_iter, random_state=0, cv=cv, n_jobs=n_jobs,
                  refit=False)
    if kind == "skhpo":
        skhpo = load("skhpo")
        return skhpo.BayesSearchCV(est, sp.to_skhpo(SPACE), n_points=2, **common)
    return RandomizedSearchCV(est, sp.to_scipy(SPACE), **common)


def _timed_fit(kind, n_iter, n_jobs, X, y, cv):
    search = _search(kind, n_iter, n_jobs, cv)
    start = time.perf_counter()
    with quiet(), threadpool_limits(1):
        search.fit(X, y)
    seconds = time.perf_counter() - start
    return seconds, [repr(sorted(p.items())) for p in search.cv_results_["params"]]


def _warm_up(X, y, cv):
    """Start joblib's worker processes before anything is timed."""
    with quiet():
        cross_val_score(RandomForestClassifier(n_estimators=5), X, y, cv=cv,
                        n_jobs=2)


def main(n_iter, n_samples, kinds, env, log=print):
    """Run the suite; return ``(markdown, raw)``."""
    X, y, cv = _data(n_samples)
    _warm_up(X, y, cv)
    results = []
    for kind in kinds:
        try:
            t1, p1 = _timed_fit(kind, n_iter, 1, X, y, cv)
            log(f"[parallel] {kind:8s} n_jobs=1 {t1:.1f}s")
            t2, p2 = _timed_fit(kind, n_iter, 2, X, y, cv)
            log(f"[parallel] {kind:8s} n_jobs=2 {t2:.1f}s")
            results.append({"method": kind, "t1": t1, "t2": t2,
                            "efficiency": t1 / (2 * t2),
                            "same_candidates": p1 == p2,
                            "n_candidates": [len(p1), len(p2)]})
        except Exception as exc:  # report and go on
            results.append({"method": kind, "error": repr(exc)})
            log(f"[parallel] {kind}: {exc!r}")
    rows = [[r["method"], fmt(r.get("t1"), ".1f"), fmt(r.get("t2"), ".1f"),
             fmt(r.get("efficiency"), ".2f"),
             "yes" if r.get("same_candidates") else "no",
             r.get("error", "")] for r in results]
    label = {"skhpo": "skhpo BayesSearchCV (n_points=2)",
             "random": "RandomizedSearchCV (reference)"}
    for row in rows:
        row[0] = label.get(row[0], row[0])
    md = "\n".join([
        header_md("Parallel efficiency", env),
        f"RandomForestClassifier(n_estimators=50) on make_classification("
        f"n_samples={n_samples}, n_features=20), 5-fold CV, {n_iter} "
        "candidates, random_state=0. Efficiency = T1 / (2 * T2); 1.0 is a "
        "perfect 2x speed-up. 'same candidates' tells whether both runs "
        "evaluated identical configurations.\n",
        table(["search", "T1 (s)", "T2 (s)", "efficiency", "same candidates",
               "error"], rows),
    ])
    raw = {"env": env, "n_iter": n_iter, "n_samples": n_samples,
           "space": repr(SPACE), "results": results}
    return md + "\n", raw

