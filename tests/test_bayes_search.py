"""What is particular to BayesSearchCV; the shared contract is in test_search_contract."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import KFold

from skhpo import BayesSearchCV
from skhpo.space import Real
from tests._estimators import Fragile
from tests._helpers import (
    X_IRIS,
    Y_IRIS,
    assert_refused_before_any_fit,
    param_error,
    small_search,
)


def bayes_search(**kwargs):
    return small_search(lambda est, space, **kw: BayesSearchCV(
        est, space, **{"n_initial_points": 3, **kw}), **kwargs)


def test_iter_counts_batches_of_n_points():
    search = bayes_search(n_iter=7, n_points=3).fit(X_IRIS, Y_IRIS)
    assert list(search.cv_results_["iter"]) == [0, 0, 0, 1, 1, 1, 2]
    assert search.optimizer_.gp_ is not None


def test_the_surrogate_steers_away_from_failures():
    with pytest.warns(FitFailedWarning):
        search = BayesSearchCV(Fragile(), {"x": Real(0.0, 1.0), "fail": [True, False]},
                               n_iter=16, n_initial_points=4, cv=3,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    failed = np.array([p["fail"] for p in search.cv_results_["params"]])
    # after the design, only the interleaved prior samples may still fail
    assert failed[4:].sum() <= 3


@pytest.mark.parametrize("n_points", [1, 3])
def test_same_random_state_same_results_whatever_n_jobs(n_points):
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    runs = [
        bayes_search(n_iter=8, n_points=n_points, n_jobs=n_jobs, cv=KFold(3)).fit(X, y)
        for n_jobs in (1, 2)
    ]
    a, b = (r.cv_results_ for r in runs)
    assert a["params"] == b["params"]
    np.testing.assert_array_equal(a["mean_test_score"], b["mean_test_score"])
    other = bayes_search(n_iter=8, random_state=1, cv=KFold(3)).fit(X, y)
    assert other.cv_results_["params"] != a["params"]


def test_verbose_prints_one_line_per_iteration(capsys):
    bayes_search(n_iter=4, verbose=1).fit(X_IRIS, Y_IRIS)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "[BayesSearchCV]" in ln]
    assert [ln.split(":")[0] for ln in lines] == [
        f"[BayesSearchCV] iteration {i}" for i in range(4)
    ]
    assert "4/4 evaluated, best score so far" in lines[-1]


@pytest.mark.parametrize(
    "kwargs, name, rule, got",
    [
        ({"n_initial_points": 0}, "n_initial_points", r"an int in the range \[1, inf\)",
         "0"),
        ({"acquisition": "ucb"}, "acquisition",
         r"a str among \{.*\}", "'ucb'"),
        ({"n_points": 0}, "n_points", r"an int in the range \[1, inf\) or None", "0"),
    ],
)
def test_bad_parameters_are_refused_before_any_fit(kwargs, name, rule, got):
    assert_refused_before_any_fit(BayesSearchCV, kwargs, ValueError,
                                  param_error(BayesSearchCV, name, rule, got))
