"""EvolutionSearchCV keeps every promise RandomizedSearchCV makes, generation by
generation."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from scipy.stats import loguniform, randint
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_bayes_search import (
    _EXPECTED_FAILED,
    SKLEARN_VERSION,
    X_BC,
    X_IRIS,
    Y_BC,
    Y_IRIS,
    _Fragile,
    _WeightRecorder,
)

from skhpo import EvolutionSearchCV
from skhpo.space import Categorical, Integer, Real

# -- scikit-learn's estimator checks ---------------------------------------------------

_CHECK_INSTANCES = [
    EvolutionSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, n_iter=2, cv=2, error_score="raise",
                      random_state=0),
    EvolutionSearchCV(LogisticRegression(), {"C": Real(0.1, 10.0, log=True)}, n_iter=4,
                      population_size=2, cv=2, error_score="raise", random_state=0),
]

if SKLEARN_VERSION >= (1, 6):

    @parametrize_with_checks(_CHECK_INSTANCES,
                             expected_failed_checks=lambda est: _EXPECTED_FAILED)
    def test_sklearn_estimator_checks(estimator, check):
        check(estimator)

else:
    from test_bayes_search import _OLD_CHECKS_EXPECTED_FAILED

    @parametrize_with_checks(_CHECK_INSTANCES)
    def test_sklearn_estimator_checks(estimator, check, request):
        name = getattr(check, "func", check).__name__
        if name in _OLD_CHECKS_EXPECTED_FAILED:
            request.applymarker(
                pytest.mark.xfail(reason=_OLD_CHECKS_EXPECTED_FAILED[name], strict=True)
                if name == "check_parameters_default_constructible"
                else pytest.mark.xfail(reason=_OLD_CHECKS_EXPECTED_FAILED[name])
            )
        check(estimator)


# -- same results as scikit-learn where the answer is known ----------------------------


def test_finite_space_gives_grid_search_results():
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    gs = GridSearchCV(SVC(), grid, cv=3).fit(X_IRIS, Y_IRIS)
    with pytest.warns(UserWarning, match="smaller than n_iter=10. Running 6"):
        es = EvolutionSearchCV(SVC(), grid, n_iter=10, population_size=4, cv=3,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    assert len(es.cv_results_["params"]) == 6
    assert list(es.cv_results_["generation"]) == [0, 0, 0, 0, 1, 1]

    def by_params(results):
        return {tuple(sorted(p.items())): s
                for p, s in zip(results["params"], results["mean_test_score"])}

    assert by_params(es.cv_results_) == pytest.approx(by_params(gs.cv_results_))
    assert es.best_score_ == gs.best_score_
    assert set(gs.cv_results_) <= set(es.cv_results_)


def test_values_handed_to_the_estimator_are_native_and_in_bounds():
    seen = []

    class Recorder(LogisticRegression):
        def fit(self, X, y, **kw):
            seen.append((self.C, self.max_iter, self.class_weight))
            return super().fit(X, y, **kw)

    space = {"C": loguniform(1e-2, 1e2), "max_iter": randint(50, 200),
             "class_weight": [None, "balanced"]}
    EvolutionSearchCV(Recorder(), space, n_iter=12, population_size=4, cv=2,
                      random_state=0).fit(X_IRIS, Y_IRIS)
    assert len(seen) == 12 * 2 + 1
    for C, max_iter, cw in seen:
        assert type(C) is float and 1e-2 <= C <= 1e2
        assert type(max_iter) is int and 50 <= max_iter < 200
        assert cw in (None, "balanced")


# -- the scikit-learn contract ---------------------------------------------------------


def _small_search(**kwargs):
    params = dict(n_iter=6, population_size=3, cv=3, random_state=0)
    params.update(kwargs)
    return EvolutionSearchCV(
        LogisticRegression(max_iter=500),
        {"C": Real(1e-3, 1e2, log=True), "fit_intercept": [True, False]},
        **params,
    )


def test_fitted_attributes_and_delegated_methods():
    search = _small_search().fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert len(res["params"]) == 6
    assert list(res["generation"]) == [0, 0, 0, 1, 1, 1]
    assert list(res["iter"]) == list(res["generation"])
    assert search.n_generations_ == 2 and search.stopped_early_ is False
    assert np.array_equal(search.classes_, np.unique(Y_IRIS))
    assert search.predict_proba(X_IRIS).shape == (150, 3)
    assert search.decision_function(X_IRIS).shape == (150, 3)
    assert search.score(X_IRIS, Y_IRIS) > 0.9
    assert search.best_score_ == np.max(res["mean_test_score"])
    assert search.best_params_ == res["params"][search.best_index_]
    assert search.n_splits_ == 3 and search.refit_time_ > 0
    np.testing.assert_array_equal(search.optimizer_.scores_, res["mean_test_score"])


def test_the_last_generation_is_cut_to_n_iter():
    search = _small_search(n_iter=7).fit(X_IRIS, Y_IRIS)
    assert list(search.cv_results_["generation"]) == [0, 0, 0, 1, 1, 1, 2]
    assert search.n_generations_ == 3


def test_transform_of_an_unsupervised_best_estimator():
    search = EvolutionSearchCV(PCA(), {"n_components": Integer(1, 3)}, n_iter=3, cv=3,
                               population_size=2, random_state=0).fit(X_IRIS)
    assert search.transform(X_IRIS).shape[1] == search.best_params_["n_components"]


def test_clone_pickle_and_html_repr():
    search = _small_search(patience=3)
    assert clone(search).get_params()["patience"] == 3
    fitted = search.fit(X_IRIS, Y_IRIS)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X_IRIS), fitted.predict(X_IRIS))
    assert "EvolutionSearchCV" in fitted._repr_html_()
    est = EvolutionSearchCV(SVC(), {"C": [1]}).set_params(population_size=4, estimator__C=2)
    assert est.population_size == 4 and est.estimator.C == 2


def test_pipeline_with_estimator_choices_in_a_conditional_space():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    space = [
        {"clf": [SVC()], "clf__C": loguniform(1e-2, 1e2)},
        {"clf": [LogisticRegression(max_iter=300)], "clf__C": Real(1e-2, 1e2, log=True),
         "scale": ["passthrough", StandardScaler()]},
    ]
    search = EvolutionSearchCV(pipe, space, n_iter=12, population_size=4, cv=3,
                               random_state=0).fit(X_BC, Y_BC)
    kinds = {type(p["clf"]).__name__ for p in search.cv_results_["params"]}
    assert kinds == {"SVC", "LogisticRegression"}
    assert search.best_score_ > 0.95
    # the user's own objects are handed out, and refit clones them
    assert search.best_estimator_.named_steps["clf"] is not search.best_params_["clf"]


def test_nested_cross_validation():
    scores = cross_val_score(_small_search(n_iter=4, population_size=2), X_IRIS, Y_IRIS,
                             cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.8)


@pytest.mark.parametrize("refit", ["bal", "acc"])
def test_multimetric_optimises_the_refit_metric(refit):
    search = _small_search(scoring={"acc": "accuracy", "bal": "balanced_accuracy"},
                           refit=refit).fit(X_IRIS, Y_IRIS)
    assert search.multimetric_
    assert search.best_score_ == np.max(search.cv_results_[f"mean_test_{refit}"])
    np.testing.assert_array_equal(search.optimizer_.scores_,
                                  search.cv_results_[f"mean_test_{refit}"])


def test_multimetric_with_callable_refit_and_without_refit():
    def lowest_c(results):
        return int(np.argmin([p["C"] for p in results["params"]]))

    search = _small_search(scoring=["accuracy", "f1_macro"], refit=lowest_c)
    search.fit(X_IRIS, Y_IRIS)
    assert search.best_index_ == lowest_c(search.cv_results_)
    no_refit = _small_search(scoring=["accuracy", "f1_macro"], refit=False)
    no_refit.fit(X_IRIS, Y_IRIS)
    assert not hasattr(no_refit, "best_estimator_")
    # the first metric listed is the one optimised
    np.testing.assert_array_equal(no_refit.optimizer_.scores_,
                                  no_refit.cv_results_["mean_test_accuracy"])


def test_return_train_score():
    search = _small_search(return_train_score=True).fit(X_IRIS, Y_IRIS)
    assert "mean_train_score" in search.cv_results_
    assert "split2_train_score" in search.cv_results_


def test_metadata_routing_of_sample_weight():
    w = np.ones(len(Y_IRIS))
    with sklearn.config_context(enable_metadata_routing=True):
        est = _WeightRecorder().set_fit_request(sample_weight=True)
        est = est.set_score_request(sample_weight=False)
        search = EvolutionSearchCV(est, {"c": Real(0, 1)}, n_iter=4, population_size=2,
                                   cv=3, random_state=0)
        search.fit(X_IRIS, Y_IRIS, sample_weight=w)
        assert search.best_estimator_.saw_weights_
        with pytest.raises(ValueError, match="sample_weight"):
            # requested by nobody: scikit-learn refuses it
            EvolutionSearchCV(_WeightRecorder(), {"c": Real(0, 1)}, n_iter=2,
                              cv=3).fit(X_IRIS, Y_IRIS, sample_weight=w)


def test_groups_reach_the_splitter():
    groups = np.arange(len(Y_IRIS)) % 5
    search = _small_search(cv=GroupKFold(5), n_iter=3)
    with pytest.raises(ValueError, match="groups"):
        search.fit(X_IRIS, Y_IRIS)
    search.fit(X_IRIS, Y_IRIS, groups=groups)
    assert search.n_splits_ == 5


# -- faults ------------------------------------------------------------------------------


def test_a_failing_candidate_is_recorded_and_never_bred_from():
    space = {"x": Real(0.0, 1.0), "fail": [True, False]}
    with pytest.warns(FitFailedWarning, match="cannot be fitted"):
        search = EvolutionSearchCV(_Fragile(), space, n_iter=16, population_size=4,
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


def test_a_numeric_error_score_is_what_the_strategy_sees():
    search = EvolutionSearchCV(_Fragile(fail=True), {"x": Real(0, 1), "fail": [True, False]},
                               n_iter=6, population_size=3, cv=2, error_score=-1.0,
                               random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X_IRIS, Y_IRIS)
    failed = np.array([p["fail"] for p in search.cv_results_["params"]])
    assert failed.any()
    np.testing.assert_array_equal(search.optimizer_.scores_[failed], -1.0)


def test_every_fit_failing_raises_like_grid_search():
    search = EvolutionSearchCV(_Fragile(fail=True), {"x": Real(0, 1)}, n_iter=4,
                               population_size=2, cv=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match=r"(?s)All the 8 fits failed.*cannot be fitted"):
            search.fit(X_IRIS, Y_IRIS)


def test_error_score_raise_raises_the_first_error():
    search = EvolutionSearchCV(_Fragile(fail=True), {"x": Real(0, 1)}, n_iter=3, cv=2,
                               error_score="raise")
    with pytest.raises(RuntimeError, match="cannot be fitted"):
        search.fit(X_IRIS, Y_IRIS)


# -- patience ------------------------------------------------------------------------------


def test_patience_stops_after_generations_without_improvement(capsys):
    # _WeightRecorder always predicts the first class: every candidate scores the same
    search = EvolutionSearchCV(_WeightRecorder(), {"c": Real(0, 1)}, n_iter=30,
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
    search = EvolutionSearchCV(_Fragile(), {"x": Real(0, 0.7)}, n_iter=12,
                               population_size=3, patience=4, cv=2,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    assert len(search.cv_results_["params"]) == 12
    assert search.n_generations_ == 4 and search.stopped_early_ is False
    without = EvolutionSearchCV(_WeightRecorder(), {"c": Real(0, 1)}, n_iter=12,
                                population_size=3, cv=2, random_state=0)
    assert len(without.fit(X_IRIS, Y_IRIS).cv_results_["params"]) == 12
    assert without.stopped_early_ is False


# -- reproducibility and parallelism -----------------------------------------------------


def test_same_random_state_same_results_whatever_n_jobs():
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    runs = [
        _small_search(n_iter=9, n_jobs=n_jobs, cv=KFold(3)).fit(X, y)
        for n_jobs in (1, 2)
    ]
    a, b = (r.cv_results_ for r in runs)
    assert a["params"] == b["params"]
    np.testing.assert_array_equal(a["mean_test_score"], b["mean_test_score"])
    assert list(a["generation"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    other = _small_search(n_iter=9, random_state=1, cv=KFold(3)).fit(X, y)
    assert other.cv_results_["params"] != a["params"]


def test_each_fit_starts_afresh():
    search = _small_search(n_iter=4)
    first = search.fit(X_IRIS, Y_IRIS).cv_results_["params"]
    second = search.fit(X_IRIS, Y_IRIS).cv_results_["params"]
    assert first == second and len(second) == 4


def test_verbose_prints_one_line_per_generation(capsys):
    _small_search(n_iter=7, verbose=1).fit(X_IRIS, Y_IRIS)
    lines = [ln for ln in capsys.readouterr().out.splitlines()
             if "[EvolutionSearchCV]" in ln]
    assert [ln.split(":")[0] for ln in lines] == [
        f"[EvolutionSearchCV] generation {i}" for i in range(3)
    ]
    assert "7/7 evaluated, best score so far" in lines[-1]


@pytest.mark.skipif(SKLEARN_VERSION < (1, 9), reason="callbacks arrived in 1.9")
def test_scikit_learn_callbacks_see_the_generations():
    events = []

    class Recorder:
        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, **kwargs):
            events.append(context.task_name)

        def on_fit_task_end(self, estimator, context, **kwargs):
            pass

    search = _small_search(n_iter=6).set_callbacks(Recorder())
    search.fit(X_IRIS, Y_IRIS)
    assert events.count("search") == 1
    assert events.count("generation") == 2


# -- bad input: clear errors before any fitting ------------------------------------------

_FITS = []


class _CountingLR(LogisticRegression):
    def fit(self, X, y, **kw):
        _FITS.append(1)
        return super().fit(X, y, **kw)


def _range_error(name, rule, got):
    return (rf"The '{name}' parameter of EvolutionSearchCV must be {rule}\. "
            rf"Got {got} instead\.")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_iter": 0}, ValueError,
         _range_error("n_iter", r"an int in the range \[1, inf\)", "0")),
        ({"population_size": 1}, ValueError,
         _range_error("population_size", r"an int in the range \[2, inf\)", "1")),
        ({"population_size": 2.5}, ValueError,
         _range_error("population_size", r"an int in the range \[2, inf\)", "2.5")),
        ({"crossover_rate": 1.5}, ValueError,
         _range_error("crossover_rate", r"a float in the range \[0.0, 1.0\]", "1.5")),
        ({"crossover_rate": "a"}, ValueError,
         _range_error("crossover_rate", r"a float in the range \[0.0, 1.0\]", "'a'")),
        ({"mutation_rate": -0.1}, ValueError,
         _range_error("mutation_rate", r"a float in the range \[0.0, 1.0\] or None",
                      "-0.1")),
        ({"patience": 0}, ValueError,
         _range_error("patience", r"an int in the range \[1, inf\) or None", "0")),
        ({"patience": 1.5}, ValueError,
         _range_error("patience", r"an int in the range \[1, inf\) or None", "1.5")),
        ({"random_state": "seed"}, ValueError, "The 'random_state' parameter of "
         r"EvolutionSearchCV must be an int in the range \[0, 4294967295\], an instance "
         r"of 'numpy.random.mtrand.RandomState' or None\. Got 'seed' instead\."),
        ({"param_distributions": 3}, ValueError, "The 'param_distributions' parameter of "
         "EvolutionSearchCV must be an instance of 'dict' or an instance of 'list'. Got 3 "
         "instead."),
        ({"param_distributions": {"C": []}}, ValueError,
         r"^param_distributions\['C'\] is an empty list of choices\.$"),
        ({"param_distributions": {"C": 1.0}}, TypeError,
         r"^param_distributions\['C'\] must be a list of choices, a frozen scipy.stats "
         r"distribution or skhpo.space.Real/Integer/Categorical; got float 1.0\.$"),
        ({"param_distributions": {"nope": [1, 2]}}, ValueError,
         r"^param_distributions names 'nope', which is not a parameter of _CountingLR\. "
         r"Valid parameters are: \['C', "),
        ({"param_distributions": [{"C": [1.0]}, {"clf__C": [1.0]}]}, ValueError,
         r"^param_distributions \(sub-space 1\) names 'clf__C', which is not a parameter "
         "of _CountingLR"),
        ({"param_distributions": {"C": loguniform(0, 1)}}, ValueError,
         r"^param_distributions\['C'\]: the distribution loguniform\(0, 1\) has invalid "
         r"parameters \(its quantile function is not finite\)\.$"),
    ],
)
def test_bad_parameters_are_refused_before_any_fit(kwargs, error, match):
    params = dict(estimator=_CountingLR(), param_distributions={"C": Real(0.1, 1.0)})
    params.update(kwargs)
    _FITS.clear()
    with pytest.raises(error, match=match):
        EvolutionSearchCV(**params).fit(X_IRIS, Y_IRIS)
    assert not _FITS


def test_bad_data_is_refused_by_scikit_learn():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _small_search().fit(X_IRIS, Y_IRIS[:-1])


def test_searching_a_step_of_a_searched_estimator_choice_is_accepted():
    pipe = Pipeline([("clf", SVC())])
    space = {"clf": Categorical([LogisticRegression()]), "clf__tol": [1e-4, 1e-3]}
    search = EvolutionSearchCV(pipe, space, n_iter=2, cv=2, random_state=0)
    search.fit(X_IRIS, Y_IRIS)
    assert {p["clf__tol"] for p in search.cv_results_["params"]} == {1e-4, 1e-3}
