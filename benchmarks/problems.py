"""Tuning problems of the benchmark suites: the one registry every suite reads.

:data:`PROBLEMS` maps each suite to its problems by name; :data:`DEFAULT_PROBLEMS` and
:data:`QUICK_PROBLEMS` name those a suite runs without ``--problems`` and with
``--quick``.

Sample efficiency (``efficiency.py``, and the smoke check of ``methods.py``): each
:class:`Problem` is a scikit-learn estimator on a dataset bundled with scikit-learn, a
search space in the library-neutral vocabulary of :mod:`benchmarks.space`, and a
scorer.  The spaces follow bayesmark's ``sklearn_funcs`` (bayesmark's logit-scaled
ranges are searched uniformly here).  Estimators that are random get
``random_state=0`` so that a configuration always has the same score.  The 5
cross-validation splits are fixed per problem and shared by every method.

Multi-fidelity (``fidelity.py``, ``rung_costs.py``): each :class:`FidelityProblem` is
an estimator on a ``make_classification`` dataset with a resource (an estimator
parameter, or ``n_samples``) whose low values give cheap evaluations that say
something about the expensive ones, and a space of scipy.stats distributions shared
by every method.  The :data:`FIDELITY_SPLITS` splits are fixed per problem and shared
by every method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from scipy.stats import loguniform, randint, uniform
from sklearn import datasets
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from benchmarks.space import Categorical, Integer, Real

# -- sample efficiency -----------------------------------------------------------------

#: Iteration cap of the MLP problem (epochs); keeps the suite affordable.
MLP_MAX_ITER = 50


@dataclass(frozen=True)
class Problem:
    """One tuning problem of the sample-efficiency suite.

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

_EFFICIENCY = {p.name: p for p in [
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


# -- multi-fidelity --------------------------------------------------------------------

#: Cross-validation splits of the multi-fidelity problems.
FIDELITY_SPLITS = 3


@dataclass
class FidelityProblem:
    """One multi-fidelity tuning problem.

    Attributes
    ----------
    name : str
        Identifier used on the command line and in results.
    description : str
        One line for the report.
    make_data : callable
        Returns ``X, y``.
    make_estimator : callable
        Returns a fresh, unfitted estimator.
    space : dict
        Parameter name -> scipy.stats distribution, shared by every method.
    resource : str
        The estimator parameter that is the resource, or ``"n_samples"``.
    min_resources, max_resources : int
        The resource's range; ``max_resources=None`` is every sample.
    """

    name: str
    description: str
    make_data: object
    make_estimator: object
    space: dict  # scipy.stats distributions, shared by every method
    resource: str
    min_resources: int
    max_resources: int = field(default=None)

    def load(self):
        """Return ``X, y, cv, max_resources`` with ``cv`` a list of
        :data:`FIDELITY_SPLITS` (train, test) index pairs."""
        X, y = self.make_data()
        cv = list(StratifiedKFold(FIDELITY_SPLITS, shuffle=True,
                                  random_state=0).split(X, y))
        max_resources = self.max_resources or len(X)
        return X, y, cv, max_resources


def _hgb_data():
    return datasets.make_classification(n_samples=20000, n_features=20,
                                        n_informative=10, random_state=0)


def _svc_data():
    return datasets.make_classification(n_samples=8000, n_features=20,
                                        n_informative=10, random_state=1)


def _hgb():
    return HistGradientBoostingClassifier(max_iter=243, early_stopping=False,
                                          random_state=0)


def _svc():
    return Pipeline([("scale", StandardScaler()), ("svc", SVC())])


def _hgb_space():
    return {"learning_rate": loguniform(3e-3, 0.5),
            "max_leaf_nodes": randint(4, 64),
            "min_samples_leaf": randint(2, 200),
            "l2_regularization": loguniform(1e-4, 10.0),
            "max_features": uniform(0.2, 0.8)}


_FIDELITY = {p.name: p for p in [
    FidelityProblem(
        "hgb-max_iter", "HistGradientBoostingClassifier, resource max_iter",
        _hgb_data, _hgb, _hgb_space(), resource="max_iter", min_resources=9,
        max_resources=243),
    # the same with min_resources=27: a 9-iteration fit costs a tenth of a full one
    # there, not 1/27 (results/rung-costs-20261123-175819.md)
    FidelityProblem(
        "hgb-max_iter-27", "HistGradientBoostingClassifier, resource max_iter from 27",
        _hgb_data, _hgb, _hgb_space(), resource="max_iter", min_resources=27,
        max_resources=243),
    FidelityProblem(
        "svc-n_samples", "StandardScaler + SVC, resource n_samples",
        _svc_data, _svc,
        {"svc__C": loguniform(1e-2, 1e3), "svc__gamma": loguniform(1e-4, 1.0)},
        resource="n_samples", min_resources=296),
]}


# -- the registry ----------------------------------------------------------------------

#: suite -> problem name -> problem
PROBLEMS = {"efficiency": _EFFICIENCY, "fidelity": _FIDELITY}

#: suite -> the problems it runs when ``--problems`` is not given
DEFAULT_PROBLEMS = {
    "efficiency": tuple(_EFFICIENCY),
    "fidelity": ("hgb-max_iter", "svc-n_samples"),  # hgb-max_iter-27 on request
}

#: suite -> the problems of ``--quick``: for sample efficiency, integer, log-real and
#: categorical dimensions, and both scorers
QUICK_PROBLEMS = {
    "efficiency": ("knn-wine", "logreg-breast_cancer"),
    "fidelity": ("svc-n_samples",),
}


def default_problems(suite, quick=False):
    """The problems ``suite`` runs when ``--problems`` is not given."""
    return list((QUICK_PROBLEMS if quick else DEFAULT_PROBLEMS)[suite])
