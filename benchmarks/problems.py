"""Tuning problems of the sample-efficiency suite.

Each problem is a scikit-learn estimator on a dataset bundled with
scikit-learn, a search space in the library-neutral vocabulary of
:mod:`benchmarks.space`, and a scorer.  The spaces follow bayesmark's
``sklearn_funcs`` (bayesmark's logit-scaled ranges are searched uniformly
here).  Estimators that are random get ``random_state=0`` so that a
configuration always has the same score.  The 5 cross-validation splits are
fixed per problem and shared by every method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sklearn import datasets
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from benchmarks.space import Categorical, Integer, Real

#: Iteration cap of the MLP problem (epochs); keeps the suite affordable.
MLP_MAX_ITER = 50


@dataclass(frozen=True)
class Problem:
    """One tuning problem.

    Attributes
    ----------
    name : str
        Identifier used on the command line and in results.
    dataset : str
        Name of the ``sklearn.datasets.load_<dataset>`` loader.
    make_estimator : callable
        Returns a fresh, unfitted estimator.
    space : dict
        Parameter name -> :mod:`benchmarks.space` dimension.
    scoring : str
        scikit-learn scorer name (greater is better).
    """

    name: str
    dataset: str
    make_estimator: Callable
    space: dict
    scoring: str = "accuracy"

    def load(self):
        """Return ``X, y, cv`` with ``cv`` a list of 5 (train, test) index pairs."""
        X, y = getattr(datasets, f"load_{self.dataset}")(return_X_y=True)
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        return X, y, list(folds.split(X, y))


def _scaled(step_name, estimator):
    return Pipeline([("scale", StandardScaler()), (step_name, estimator)])


def _prefixed(prefix, space):
    return {f"{prefix}__{k}": v for k, v in space.items()}


_TREE_SPACE = {
    "max_depth": Integer(1, 15),
    "min_samples_split": Real(0.01, 0.99),
    "min_samples_leaf": Real(0.01, 0.49),
    "min_weight_fraction_leaf": Real(0.01, 0.49),
    "max_features": Real(0.01, 0.99),
    "min_impurity_decrease": Real(0.0, 0.5),
}

PROBLEMS = {p.name: p for p in [
    Problem(
        "svc-breast_cancer", "breast_cancer",
        lambda: _scaled("svc", SVC(kernel="rbf")),
        _prefixed("svc", {
            "C": Real(1e-3, 1e3, log=True),
            "gamma": Real(1e-4, 1e1, log=True),
            "tol": Real(1e-5, 1e-1, log=True),
        }),
    ),
    Problem(
        "knn-wine", "wine",
        lambda: _scaled("knn", KNeighborsClassifier()),
        _prefixed("knn", {"n_neighbors": Integer(1, 25), "p": Integer(1, 4)}),
    ),
    Problem(
        "dt-digits", "digits",
        lambda: DecisionTreeClassifier(random_state=0),
        dict(_TREE_SPACE),
    ),
    Problem(
        "rf-breast_cancer", "breast_cancer",
        lambda: RandomForestClassifier(n_estimators=10, random_state=0),
        dict(_TREE_SPACE),
    ),
    Problem(
        "mlp-breast_cancer", "breast_cancer",
        lambda: _scaled("mlp", MLPClassifier(
            solver="adam", early_stopping=True, max_iter=MLP_MAX_ITER,
            random_state=0)),
        _prefixed("mlp", {
            "hidden_layer_sizes": Integer(50, 200),
            "alpha": Real(1e-5, 1e1, log=True),
            "batch_size": Integer(10, 250),
            "learning_rate_init": Real(1e-5, 1e-1, log=True),
            "tol": Real(1e-5, 1e-1, log=True),
            "validation_fraction": Real(0.1, 0.9),
            "beta_1": Real(0.5, 0.99),
            "beta_2": Real(0.9, 0.9999),
            "epsilon": Real(1e-9, 1e-6, log=True),
        }),
    ),
    Problem(
        "logreg-breast_cancer", "breast_cancer",
        lambda: _scaled("lr", LogisticRegression(solver="liblinear",
                                                 random_state=0)),
        _prefixed("lr", {
            "C": Real(1e-2, 1e2, log=True),
            "intercept_scaling": Real(1e-2, 1e2, log=True),
            "tol": Real(1e-5, 1e-1, log=True),
            # l1_ratio 0.0 / 1.0 is the L2 / L1 penalty ('penalty' is deprecated)
            "l1_ratio": Categorical((0.0, 1.0)),
        }),
        scoring="neg_log_loss",
    ),
]}

#: Problems of ``--quick``: integer, log-real and categorical dimensions,
#: and both scorers.
QUICK_PROBLEMS = ("knn-wine", "logreg-breast_cancer")
