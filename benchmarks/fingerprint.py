"""Fingerprints of what skhpo's searches in the fidelity suite evaluate, to compare commits.

Before pooling runs made at two commits (``python -m benchmarks.merge --methods ...
--code-changed REASON``), check that the methods pooled evaluate the same candidates
with the same scores at both::

    python -m benchmarks.fingerprint                 # at one commit
    git worktree add /tmp/other <commit>
    (cd /tmp/other && python -m benchmarks.fingerprint)

On a small version of the suite's problems (1500 samples, 3 folds, small budgets), prints,
for ``HyperbandSearchCV(sampler="random")`` with ``max_iter`` and with ``n_samples`` as
the resource, ``HyperbandSearchCV(sampler="bayes")`` with ``max_iter``, ``BayesSearchCV``
and ``EvolutionSearchCV``, each with seeds 10 and 11, the number of rows of
``cv_results_`` and a hash of their parameters, mean test scores and resources.
"""

from __future__ import annotations

import hashlib
import json


def fingerprints(seeds=(10, 11)) -> dict:
    # self-contained on purpose (spaces and estimators written out rather than taken
    # from fidelity.py): the file is copied into checkouts of older commits, whose
    # fidelity.py may not have the same helpers
    from scipy.stats import loguniform, randint, uniform
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from skhpo import BayesSearchCV, EvolutionSearchCV, HyperbandSearchCV

    X, y = make_classification(n_samples=1500, n_features=20, n_informative=10,
                               random_state=0)
    hgb_space = {"learning_rate": loguniform(3e-3, 0.5), "max_leaf_nodes": randint(4, 64),
                 "min_samples_leaf": randint(2, 200),
                 "l2_regularization": loguniform(1e-4, 10.0),
                 "max_features": uniform(0.2, 0.8)}
    svc_space = {"svc__C": loguniform(1e-2, 1e3), "svc__gamma": loguniform(1e-4, 1.0)}
    svc = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    hgb = HistGradientBoostingClassifier(early_stopping=False, random_state=0)
    out = {}
    for seed in seeds:
        searches = {
            "hyperband-random-max_iter": HyperbandSearchCV(
                hgb, hgb_space, resource="max_iter", min_resources=3, max_resources=27,
                n_brackets=4, random_state=seed, cv=3),
            "hyperband-random-n_samples": HyperbandSearchCV(
                svc, svc_space, resource="n_samples", min_resources=100, n_brackets=4,
                random_state=seed, cv=3),
            "bayes": BayesSearchCV(svc, svc_space, n_iter=15, random_state=seed, cv=3),
            "hyperband-bayes-max_iter": HyperbandSearchCV(
                hgb, hgb_space, resource="max_iter", min_resources=3, max_resources=27,
                n_brackets=4, sampler="bayes", random_state=seed, cv=3),
            "evolution": EvolutionSearchCV(svc, svc_space, n_iter=15, population_size=5,
                                           random_state=seed, cv=3),
        }
        for name, search in searches.items():
            r = search.fit(X, y).cv_results_
            key = json.dumps([r["params"],
                              [round(float(v), 10) for v in r["mean_test_score"]],
                              [int(v) for v in r.get("n_resources", [])]], default=str)
            out[f"{name} seed {seed}"] = [len(r["params"]),
                                          hashlib.sha256(key.encode()).hexdigest()[:16]]
    return out


if __name__ == "__main__":
    import warnings

    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore")
    with threadpool_limits(limits=1):
        print(json.dumps(fingerprints(), indent=1))
