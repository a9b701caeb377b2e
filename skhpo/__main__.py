"""``python -m skhpo``: a real search on a bundled dataset, with its results.

Tunes an RBF support-vector classifier on scikit-learn's breast-cancer data with
``BayesSearchCV`` and, for comparison, ``RandomizedSearchCV`` at the same budget and
``HyperbandSearchCV`` (sub-sampled training folds as the resource), then prints the best
candidates of the Bayesian search and every search's held-out score.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from . import BayesSearchCV, HyperbandSearchCV, __version__


def _table(results, n_rows):
    order = np.argsort(results["rank_test_score"], kind="stable")[:n_rows]
    rows = [("rank", "iter", "mean CV accuracy", "std", "C", "gamma")]
    for i in order:
        p = results["params"][i]
        rows.append((
            str(results["rank_test_score"][i]),
            str(results["iter"][i]),
            f"{results['mean_test_score'][i]:.4f}",
            f"{results['std_test_score'][i]:.4f}",
            f"{p['svc__C']:.4g}",
            f"{p['svc__gamma']:.4g}",
        ))
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows)


def _int_at_least(low, high=None):
    def parse(text):
        value = int(text)
        if value < low or (high is not None and value > high):
            bounds = f">= {low}" if high is None else f"from {low} to {high}"
            raise argparse.ArgumentTypeError(f"must be an integer {bounds}, got {value}")
        return value

    parse.__name__ = "int"  # argparse names the type in its messages
    return parse


def _n_jobs(text):
    value = int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a non-zero integer (-1: every core)")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skhpo",
        description="A real search on a bundled dataset, with its results: an RBF SVC "
                    "tuned on breast_cancer by BayesSearchCV, RandomizedSearchCV and "
                    "HyperbandSearchCV.")
    parser.add_argument("--n-iter", type=_int_at_least(1), default=30,
                        help="candidates of BayesSearchCV and RandomizedSearchCV "
                             "(HyperbandSearchCV runs one Hyperband iteration); default 30")
    parser.add_argument("--n-jobs", type=_n_jobs, default=None,
                        help="joblib workers, as n_jobs (-1: every core); default 1")
    parser.add_argument("--random-state", type=_int_at_least(0, 2**32 - 1), default=0,
                        help="seed of the split, the folds and every search; default 0")
    args = parser.parse_args(argv)

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.random_state
    )
    model = make_pipeline(StandardScaler(), SVC())
    space = {"svc__C": loguniform(1e-3, 1e3), "svc__gamma": loguniform(1e-5, 1e1)}
    cv = StratifiedKFold(5, shuffle=True, random_state=args.random_state)
    print(f"skhpo {__version__}: tuning SVC(C, gamma) on breast_cancer "
          f"({len(X_train)} training samples, 5-fold CV, {args.n_iter} candidates)\n")

    searches = {
        "BayesSearchCV": BayesSearchCV(model, space, n_iter=args.n_iter, cv=cv,
                                       n_jobs=args.n_jobs, random_state=args.random_state),
        "RandomizedSearchCV": RandomizedSearchCV(model, space, n_iter=args.n_iter, cv=cv,
                                                 n_jobs=args.n_jobs,
                                                 random_state=args.random_state),
        "HyperbandSearchCV": HyperbandSearchCV(model, space, cv=cv, n_jobs=args.n_jobs,
                                               random_state=args.random_state),
    }
    summary = []
    for name, search in searches.items():
        start = time.perf_counter()
        search.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        n_fits = len(search.cv_results_["params"]) * search.n_splits_
        summary.append((name, search.best_score_, search.score(X_test, y_test), n_fits,
                        seconds))
        if name == "BayesSearchCV":
            print("Best candidates of BayesSearchCV (iter = when it was proposed):")
            print(_table(search.cv_results_, 8), "\n")
            print(f"best_params_: {search.best_params_}\n")
    print(f"{'search':<20} {'best CV accuracy':>16} {'held-out accuracy':>18} "
          f"{'fits':>6} {'seconds':>8}")
    for name, cv_score, test_score, n_fits, seconds in summary:
        print(f"{name:<20} {cv_score:>16.4f} {test_score:>18.4f} {n_fits:>6} "
              f"{seconds:>8.1f}")


if __name__ == "__main__":
    main()
