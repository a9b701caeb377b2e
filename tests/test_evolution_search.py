"""What is particular to EvolutionSearchCV; the shared contract is in
test_search_contract."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import KFold

from skhpo import EvolutionSearchCV
from skhpo.space import Real
from tests._estimators import Fragile, WeightRecorder
from tests._helpers import (
    X_IRIS,
    Y_IRIS,
    assert_refused_before_any_fit,
    param_error,
    small_search,
)


def _small_search(**kwargs):
    return small_search(lambda est, space, **kw: EvolutionSearchCV(
        est, space, **{"population_size": 3, **kw}), **kwargs)


def test_generations_are_batches():
    search = _small_search().fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert list(res["generation"]) == [0, 0, 0, 1, 1, 1]
    assert list(res["iter"]) == list(res["generation"])
    assert search.n_generations_ == 2 and search.stopped_early_ is False


def test_the_last_generation_is_cut_to_n_iter():
    search = _small_search(n_iter=7).fit(X_IRIS, Y_IRIS)
    assert list(search.cv_results_["generation"]) == [0, 0, 0, 1, 1, 1, 2]
    assert search.n_generations_ == 3


def test_a_failing_candidate_is_recorded_and_never_bred_from():
    space = {"x": Real(0.0, 1.0), "fail": [True, False]}
    with pytest.warns(FitFailedWarning, match="cannot be fitted"):
        search = EvolutionSearchCV(Fragile(), space, n_iter=16, population_size=4,
                                   mutation_rate=0.0, cv=3,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    failed = np.array([p["fail"] for p in res["params"]])
    assert len(res["params"]) == 16 and failed[:4].any()
    assert np.all(np.isnan(res["mean_test_score"][failed]))
    assert np.all(np.isfinite(res["mean_test_score"][~failed]))
    assert search.best_params_["fail"] is False
    # with no categorical mutation, offspring inherit fail=False from their parents
    assert not failed[4:].any()


# -- patience ------------------------------------------------------------------------------


def test_patience_stops_after_generations_without_improvement(capsys):
    # WeightRecorder always predicts the first class: every candidate scores the same
    search = EvolutionSearchCV(WeightRecorder(), {"c": Real(0, 1)}, n_iter=30,
                               population_size=3, patience=2, cv=3, verbose=1,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    # the design sets the best score; two generations fail to beat it
    assert list(res["generation"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert search.n_generations_ == 3 and search.stopped_early_ is True
    out = capsys.readouterr().out
    assert "[EvolutionSearchCV] generation 2: 3 candidates, 9/30 evaluated" in out
    assert ("[EvolutionSearchCV] stopped early after generation 2: the best score has "
            "not improved for 2 generations (9/30 evaluated)") in out


def test_patience_does_not_stop_a_search_that_improves():
    search = EvolutionSearchCV(Fragile(), {"x": Real(0, 0.7)}, n_iter=12,
                               population_size=3, patience=4, cv=2,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    assert len(search.cv_results_["params"]) == 12
    assert search.n_generations_ == 4 and search.stopped_early_ is False
    without = EvolutionSearchCV(WeightRecorder(), {"c": Real(0, 1)}, n_iter=12,
                                population_size=3, cv=2, random_state=0)
    assert len(without.fit(X_IRIS, Y_IRIS).cv_results_["params"]) == 12
    assert without.stopped_early_ is False


# -- reproducibility and parallelism -----------------------------------------------------


def test_same_random_state_same_results_whatever_n_jobs_with_n_points():
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    runs = [
        _small_search(n_iter=9, n_jobs=n_jobs, n_points=3, cv=KFold(3)).fit(X, y)
        for n_jobs in (1, 2)
    ]
    a, b = (r.cv_results_ for r in runs)
    assert a["params"] == b["params"]
    np.testing.assert_array_equal(a["mean_test_score"], b["mean_test_score"])
    assert list(a["generation"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    other = _small_search(n_iter=9, random_state=1, cv=KFold(3)).fit(X, y)
    assert other.cv_results_["params"] != a["params"]


def test_verbose_prints_one_line_per_generation(capsys):
    _small_search(n_iter=7, verbose=1).fit(X_IRIS, Y_IRIS)
    lines = [ln for ln in capsys.readouterr().out.splitlines()
             if "[EvolutionSearchCV]" in ln]
    assert [ln.split(":")[0] for ln in lines] == [
        f"[EvolutionSearchCV] generation {i}" for i in range(3)
    ]
    assert "7/7 evaluated, best score so far" in lines[-1]



@pytest.mark.parametrize(
    "kwargs, name, rule, got",
    [
        ({"population_size": 1}, "population_size", r"an int in the range \[2, inf\)", "1"),
        ({"population_size": 2.5}, "population_size", r"an int in the range \[2, inf\)",
         "2.5"),
        ({"crossover_rate": 1.5}, "crossover_rate", r"a float in the range \[0.0, 1.0\]",
         "1.5"),
        ({"crossover_rate": "a"}, "crossover_rate", r"a float in the range \[0.0, 1.0\]",
         "'a'"),
        ({"mutation_rate": -0.1}, "mutation_rate",
         r"a float in the range \[0.0, 1.0\] or None", "-0.1"),
        ({"patience": 0}, "patience", r"an int in the range \[1, inf\) or None", "0"),
        ({"patience": 1.5}, "patience", r"an int in the range \[1, inf\) or None", "1.5"),
    ],
)
def test_bad_parameters_are_refused_before_any_fit(kwargs, name, rule, got):
    assert_refused_before_any_fit(EvolutionSearchCV, kwargs, ValueError,
                                  param_error(EvolutionSearchCV, name, rule, got))
