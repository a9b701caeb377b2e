"""The scikit-learn contract every skhpo search keeps, run over each search class."""

import pickle
import re
import warnings

import numpy as np
import pytest
import sklearn
from scipy.stats import geom, loguniform, randint
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhpo import BayesSearchCV, EvolutionSearchCV, HyperbandSearchCV
from skhpo._sklearn_compat import InvalidParameterError
from skhpo.space import Categorical, Integer, Real
from tests._estimators import (
    CountingLR,
    Fragile,
    InterruptedAt,
    NoScore,
    Tagged,
    WeightRecorder,
    WeightSummer,
)
from tests._helpers import (
    X_IRIS,
    Y_IRIS,
    assert_refused_before_any_fit,
    param_error,
    small_search,
)

SKLEARN_VERSION = tuple(int(x) for x in sklearn.__version__.split(".")[:2])
X_BC, Y_BC = load_breast_cancer(return_X_y=True)

# each class with the settings that make a 6-candidate search adaptive
SEARCHES = {
    BayesSearchCV: {"n_initial_points": 3},
    EvolutionSearchCV: {"population_size": 3},
    HyperbandSearchCV: {},
}
ASK_TELL = [BayesSearchCV, EvolutionSearchCV]


def _hyperband_kwargs(kwargs):
    """HyperbandSearchCV has brackets, not n_iter: about n_iter / 3 brackets (on iris
    with 3-fold CV, a 2-rung and a 1-rung bracket, 6 evaluations, per 2 brackets)."""
    n_iter = kwargs.pop("n_iter", 6)
    kwargs.setdefault("n_brackets", max(1, n_iter // 3))
    return kwargs


@pytest.fixture(params=list(SEARCHES), ids=lambda cls: cls.__name__)
def Search(request):
    cls = request.param

    def make(estimator, space, **kwargs):
        kwargs = {**SEARCHES[cls], **kwargs}
        if cls is HyperbandSearchCV:
            kwargs = _hyperband_kwargs(kwargs)
        return cls(estimator, space, **kwargs)

    make.cls = cls
    return make


def competing(search):
    """Mask of the ``cv_results_`` rows that compete for ``best_*``: every row, or for
    Hyperband those evaluated with ``max_resources_``."""
    res = search.cv_results_
    if "n_resources" in res:
        return np.asarray(res["n_resources"]) == search.max_resources_
    return np.ones(len(res["params"]), dtype=bool)


# -- scikit-learn's estimator checks ---------------------------------------------------

_CHECK_INSTANCES = [
    instance
    for cls, adaptive in SEARCHES.items() if cls in ASK_TELL
    for instance in (
        cls(Ridge(), {"alpha": [0.1, 1.0]}, n_iter=2, cv=2, error_score="raise",
            random_state=0),
        cls(LogisticRegression(), {"C": Real(0.1, 10.0, log=True)}, n_iter=4, cv=2,
            error_score="raise", random_state=0, **{k: 2 for k in adaptive}),
        cls(Pipeline([("pca", PCA()), ("ridge", Ridge())]),
            {"ridge__alpha": Real(0.1, 1.0, log=True)}, n_iter=2, cv=2,
            error_score="raise", random_state=0),
    )
] + [
    HyperbandSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2, error_score="raise",
                      random_state=0),
    HyperbandSearchCV(LogisticRegression(max_iter=30), {"C": Real(0.1, 10.0, log=True)},
                      resource="max_iter", min_resources=10, cv=2, error_score="raise",
                      random_state=0, sampler="bayes"),
    HyperbandSearchCV(Pipeline([("pca", PCA()), ("ridge", Ridge())]),
                      {"ridge__alpha": Real(0.1, 1.0, log=True)}, eta=2, n_brackets=2,
                      cv=2, error_score="raise", random_state=0),
]
# the same two checks scikit-learn expects RandomizedSearchCV to fail
EXPECTED_FAILED = {
    "check_supervised_y_2d": "DataConversionWarning not caught",
    "check_requires_y_none": "Doesn't fail gracefully",
}


def expected_failed(search) -> dict:
    """EXPECTED_FAILED, but for a search of a LogisticRegression, which warns about a
    column ``y`` itself: its search passes check_supervised_y_2d."""
    if isinstance(search.estimator, LogisticRegression):
        return {k: v for k, v in EXPECTED_FAILED.items() if k != "check_supervised_y_2d"}
    return EXPECTED_FAILED


if SKLEARN_VERSION >= (1, 6):

    @parametrize_with_checks(_CHECK_INSTANCES, expected_failed_checks=expected_failed)
    def test_sklearn_estimator_checks(estimator, check):
        check(estimator)

else:
    # before 1.6 this check rebuilt the class from its defaults alone, which no search
    # whose param_distributions is required (RandomizedSearchCV included) can pass
    _DEFAULT_CONSTRUCTIBLE = "check_parameters_default_constructible"

    @parametrize_with_checks(_CHECK_INSTANCES)
    def test_sklearn_estimator_checks(estimator, check, request):
        name = getattr(check, "func", check).__name__
        if name == _DEFAULT_CONSTRUCTIBLE:
            request.applymarker(pytest.mark.xfail(reason="needs param_distributions",
                                                  strict=True))
        elif name in expected_failed(estimator):
            request.applymarker(pytest.mark.xfail(reason=EXPECTED_FAILED[name],
                                                  strict=True))
        check(estimator)


# -- same results as scikit-learn where the answer is known ----------------------------


def test_finite_space_gives_grid_search_results(Search):
    if Search.cls not in ASK_TELL:
        pytest.skip("Hyperband evaluates at several resources: see test_hyperband.py")
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    gs = GridSearchCV(SVC(), grid, cv=3).fit(X_IRIS, Y_IRIS)
    with pytest.warns(UserWarning, match="smaller than n_iter=10. Running 6"):
        bs = Search(SVC(), grid, n_iter=10, cv=3, random_state=0).fit(X_IRIS, Y_IRIS)
    assert len(bs.cv_results_["params"]) == 6

    def by_params(results):
        return {tuple(sorted(p.items())): s
                for p, s in zip(results["params"], results["mean_test_score"])}

    assert by_params(bs.cv_results_) == pytest.approx(by_params(gs.cv_results_))
    assert bs.best_score_ == gs.best_score_
    assert set(gs.cv_results_) <= set(bs.cv_results_)


def test_values_handed_to_the_estimator_are_native_and_in_bounds(Search):
    seen = []

    class Recorder(LogisticRegression):
        def fit(self, X, y, **kw):
            seen.append((self.C, self.max_iter, self.class_weight))
            return super().fit(X, y, **kw)

    space = {"C": loguniform(1e-2, 1e2), "max_iter": randint(50, 200),
             "class_weight": [None, "balanced"]}
    search = Search(Recorder(), space, n_iter=12, cv=2, random_state=0)
    search.fit(X_IRIS, Y_IRIS)
    assert len(seen) == len(search.cv_results_["params"]) * 2 + 1 >= 12 * 2 + 1
    for C, max_iter, cw in seen:
        assert type(C) is float and 1e-2 <= C <= 1e2
        assert type(max_iter) is int and 50 <= max_iter < 200
        assert cw in (None, "balanced")


# -- the scikit-learn contract ---------------------------------------------------------


def test_fitted_attributes_and_delegated_methods(Search):
    search = small_search(Search).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert len(res["params"]) == 6
    top = competing(search)
    assert np.array_equal(search.classes_, np.unique(Y_IRIS))
    assert search.predict_proba(X_IRIS).shape == (150, 3)
    assert search.decision_function(X_IRIS).shape == (150, 3)
    assert search.score(X_IRIS, Y_IRIS) > 0.9
    assert search.best_score_ == np.max(res["mean_test_score"][top])
    assert top[search.best_index_]
    assert search.best_params_ == res["params"][search.best_index_]
    assert search.n_splits_ == 3 and search.refit_time_ > 0
    np.testing.assert_array_equal(search.optimizer_.scores_, res["mean_test_score"])


def test_transform_of_an_unsupervised_best_estimator(Search):
    search = Search(PCA(), {"n_components": Integer(1, 3)}, n_iter=3, cv=3,
                    random_state=0).fit(X_IRIS)
    assert search.transform(X_IRIS).shape[1] == search.best_params_["n_components"]


def test_clone_pickle_and_html_repr(Search):
    search = small_search(Search)
    assert clone(search).get_params(deep=False).keys() == search.get_params(deep=False).keys()
    assert clone(search).get_params()["cv"] == 3
    fitted = search.fit(X_IRIS, Y_IRIS)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X_IRIS), fitted.predict(X_IRIS))
    assert Search.cls.__name__ in fitted._repr_html_()
    unfitted = Search(SVC(), {"C": [1]}).set_params(random_state=3, estimator__C=2)
    assert unfitted.random_state == 3 and unfitted.estimator.C == 2


def test_pipeline_with_estimator_choices_in_a_conditional_space(Search):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    space = [
        {"clf": [SVC()], "clf__C": loguniform(1e-2, 1e2)},
        {"clf": [LogisticRegression(max_iter=300)], "clf__C": Real(1e-2, 1e2, log=True),
         "scale": ["passthrough", StandardScaler()]},
    ]
    search = Search(pipe, space, n_iter=10, cv=3, random_state=0).fit(X_BC, Y_BC)
    kinds = {type(p["clf"]).__name__ for p in search.cv_results_["params"]}
    assert kinds == {"SVC", "LogisticRegression"}
    assert search.best_score_ > 0.95
    # the user's own objects are handed out, and refit clones them
    assert search.best_estimator_.named_steps["clf"] is not search.best_params_["clf"]


def test_nested_cross_validation(Search):
    scores = cross_val_score(small_search(Search, n_iter=4), X_IRIS, Y_IRIS, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.8)


@pytest.mark.parametrize("refit", ["bal", "acc"])
def test_multimetric_optimises_the_refit_metric(Search, refit):
    search = small_search(Search, scoring={"acc": "accuracy", "bal": "balanced_accuracy"},
                          refit=refit).fit(X_IRIS, Y_IRIS)
    assert search.multimetric_
    top = competing(search)
    assert search.best_score_ == np.max(search.cv_results_[f"mean_test_{refit}"][top])
    assert {"rank_test_acc", "rank_test_bal"} <= set(search.cv_results_)
    np.testing.assert_array_equal(search.optimizer_.scores_,
                                  search.cv_results_[f"mean_test_{refit}"])


def test_multimetric_with_callable_refit_and_without_refit(Search):
    def lowest_c(results):
        return int(np.argmin([p["C"] for p in results["params"]]))

    search = small_search(Search, scoring=["accuracy", "f1_macro"], refit=lowest_c)
    search.fit(X_IRIS, Y_IRIS)
    assert search.best_index_ == lowest_c(search.cv_results_)
    no_refit = small_search(Search, scoring=["accuracy", "f1_macro"], refit=False)
    no_refit.fit(X_IRIS, Y_IRIS)
    assert not hasattr(no_refit, "best_estimator_")
    # the first metric listed is the one optimised
    np.testing.assert_array_equal(no_refit.optimizer_.scores_,
                                  no_refit.cv_results_["mean_test_accuracy"])


def test_return_train_score(Search):
    from sklearn.model_selection import cross_validate

    search = small_search(Search, return_train_score=True).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    # each row's train scores are those of its candidate's fits, as cross_validate's
    for i in np.flatnonzero(competing(search))[:3]:
        est = LogisticRegression(max_iter=500).set_params(**res["params"][i])
        ref = cross_validate(est, X_IRIS, Y_IRIS, cv=3, return_train_score=True)
        np.testing.assert_allclose(
            [res[f"split{k}_train_score"][i] for k in range(3)], ref["train_score"])
        np.testing.assert_allclose(res["mean_train_score"][i], ref["train_score"].mean())
        np.testing.assert_allclose(res["std_train_score"][i], ref["train_score"].std())


def _fitted_weight(estimator, X, y):
    """A scorer: the total sample weight the estimator was fitted with."""
    return estimator.weight_seen_


def _scored_weight(y_true, y_pred, sample_weight=None):
    return -1.0 if sample_weight is None else float(np.sum(sample_weight))


def test_metadata_routing_gives_each_fit_and_score_its_fold_s_weights(Search):
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import StratifiedKFold

    w = np.arange(1.0, len(Y_IRIS) + 1)  # every fold's weights have their own sum
    with sklearn.config_context(enable_metadata_routing=True):
        scoring = {"fitted": _fitted_weight,
                   "scored": make_scorer(_scored_weight).set_score_request(
                       sample_weight=True)}
        est = WeightSummer().set_fit_request(sample_weight=True)
        search = Search(est, {"c": Real(0, 1)}, n_iter=4, cv=3, scoring=scoring,
                        refit="fitted", random_state=0)
        if Search.cls is HyperbandSearchCV:
            search.set_params(resource="n_samples", subsample_test=False)
        search.fit(X_IRIS, Y_IRIS, sample_weight=w)
    res = search.cv_results_
    folds = list(StratifiedKFold(3).split(X_IRIS, Y_IRIS))
    for i in np.flatnonzero(competing(search)):
        for k, (train, test) in enumerate(folds):
            assert res[f"split{k}_test_fitted"][i] == w[train].sum()
            assert res[f"split{k}_test_scored"][i] == w[test].sum()
    assert search.best_estimator_.weight_seen_ == w.sum()


def _sample_weight_warnings(search, X, y, w) -> int:
    """How many of scikit-learn's "does not support sample_weight" warnings a fit gives."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y, sample_weight=w)
    return sum("does not support sample_weight" in str(c.message) for c in caught)


@pytest.mark.parametrize("checkpoint", [False, True])
def test_fit_params_without_routing_reach_every_fit(Search, checkpoint, tmp_path):
    from sklearn.model_selection import RandomizedSearchCV

    w = np.arange(1.0, len(Y_IRIS) + 1)
    search = Search(WeightSummer(), {"c": Real(0, 1)}, n_iter=4, cv=3,
                    scoring=_fitted_weight, random_state=0,
                    checkpoint=tmp_path / "c.jsonl" if checkpoint else None)
    # scikit-learn's warning that the scorer takes no weights (1.6+), once, as from
    # RandomizedSearchCV: the checks before any fit do not repeat it
    reference = RandomizedSearchCV(WeightSummer(), {"c": [0.1, 0.2]}, n_iter=2, cv=3,
                                   scoring=_fitted_weight)
    assert _sample_weight_warnings(search, X_IRIS, Y_IRIS, w) == _sample_weight_warnings(
        reference, X_IRIS, Y_IRIS, w)
    res = search.cv_results_
    assert (res["mean_test_score"] > 0).all()  # no fit went without its weights
    from sklearn.model_selection import StratifiedKFold

    folds = list(StratifiedKFold(3).split(X_IRIS, Y_IRIS))
    for i in np.flatnonzero(competing(search)):
        assert [res[f"split{k}_test_score"][i] for k in range(3)] == [
            w[train].sum() for train, _ in folds]
    assert search.best_estimator_.weight_seen_ == w.sum()


def test_metadata_routing_of_sample_weight(Search):
    w = np.ones(len(Y_IRIS))
    with sklearn.config_context(enable_metadata_routing=True):
        est = WeightRecorder().set_fit_request(sample_weight=True)
        est = est.set_score_request(sample_weight=False)
        search = Search(est, {"c": Real(0, 1)}, n_iter=4, cv=3, random_state=0)
        search.fit(X_IRIS, Y_IRIS, sample_weight=w)
        assert search.best_estimator_.saw_weights_
        with pytest.raises(ValueError, match="sample_weight"):
            # requested by nobody: scikit-learn refuses it
            Search(WeightRecorder(), {"c": Real(0, 1)}, n_iter=2,
                   cv=3).fit(X_IRIS, Y_IRIS, sample_weight=w)


def test_a_dataframe_keeps_its_column_names_through_the_search(Search):
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline

    X = pd.DataFrame(X_IRIS, columns=["sl", "sw", "pl", "pw"])
    # columns chosen by name: every fit (a sub-sample's too) must be given a DataFrame
    pipe = make_pipeline(ColumnTransformer([("petals", "passthrough", ["pl", "pw"])]),
                         LogisticRegression(max_iter=500))
    search = Search(pipe, {"logisticregression__C": Real(0.1, 10.0, log=True)},
                    n_iter=4, cv=3, error_score="raise", random_state=0)
    search.fit(X, Y_IRIS)
    assert list(search.feature_names_in_) == list(X.columns)
    assert search.n_features_in_ == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert list(search.best_estimator_[0].feature_names_in_) == list(X.columns)
    assert search.score(X, Y_IRIS) > 0.9


def test_groups_reach_the_splitter(Search):
    groups = np.arange(len(Y_IRIS)) % 5
    search = small_search(Search, cv=GroupKFold(5), n_iter=3)
    with pytest.raises(ValueError, match="groups"):
        search.fit(X_IRIS, Y_IRIS)
    search.fit(X_IRIS, Y_IRIS, groups=groups)
    assert search.n_splits_ == 5


def test_groups_reach_the_inner_splitter_in_nested_cross_validation(Search):
    from sklearn.model_selection import cross_validate

    groups = np.arange(len(Y_IRIS)) % 10
    search = small_search(Search, cv=GroupKFold(3), n_iter=3)
    with sklearn.config_context(enable_metadata_routing=True):
        out = cross_validate(search, X_IRIS, Y_IRIS, cv=GroupKFold(3),
                             params={"groups": groups}, return_estimator=True)
    # GroupKFold refuses to split without groups: each inner search was routed its
    # training set's groups
    assert [inner.n_splits_ for inner in out["estimator"]] == [3, 3, 3]
    assert np.all(out["test_score"] > 0.8)


def test_a_single_split(Search):
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(Y_IRIS)), test_size=0.3,
                                   stratify=Y_IRIS, random_state=0)
    search = small_search(Search, cv=[(train, test)]).fit(X_IRIS, Y_IRIS)
    assert search.n_splits_ == 1 and "split0_test_score" in search.cv_results_
    assert "split1_test_score" not in search.cv_results_
    assert np.isfinite(search.best_score_)


def test_sparse_data(Search, tmp_path):
    import scipy.sparse as sp

    X = X_BC / X_BC.max(axis=0)
    X[X < 0.5] = 0.0
    dense = small_search(Search, n_iter=3).fit(X, Y_BC)
    sparse = small_search(Search, n_iter=3, checkpoint=tmp_path / "ckpt").fit(
        sp.csr_matrix(X), Y_BC)
    assert sparse.cv_results_["params"] == dense.cv_results_["params"]
    np.testing.assert_allclose(sparse.cv_results_["mean_test_score"],
                               dense.cv_results_["mean_test_score"], atol=1e-6)
    assert sparse.predict(sp.csr_matrix(X)).shape == Y_BC.shape


def test_tuples_as_choices(Search):
    # MLPClassifier's hidden_layer_sizes: each choice is a tuple, handed over as it is
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    choices = [(3,), (3, 3), (6,)]
    search = Search(MLPClassifier(max_iter=20, random_state=0),
                    {"hidden_layer_sizes": choices, "alpha": Real(1e-4, 1e-1, log=True)},
                    n_iter=6, cv=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_IRIS, Y_IRIS)
    sizes = [p["hidden_layer_sizes"] for p in search.cv_results_["params"]]
    assert all(type(v) is tuple and v in choices for v in sizes)
    assert len(set(sizes)) >= 2
    assert search.best_estimator_.hidden_layer_sizes in choices
    assert [c.shape for c in search.best_estimator_.coefs_][0] == (
        4, search.best_params_["hidden_layer_sizes"][0])


def _fitted(search):
    return {k: v for k, v in vars(search).items()
            if k.endswith("_") and not k.startswith("_")}


def test_a_fit_refused_before_any_result_leaves_the_search_unfitted(Search):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    search = small_search(Search, n_iter=3)
    search.set_params(estimator=NoScore())
    with pytest.raises(TypeError, match="should have a 'score' method"):
        search.fit(X_IRIS, Y_IRIS)
    assert _fitted(search) == {}
    with pytest.raises(NotFittedError):
        check_is_fitted(search)


def test_a_refused_second_fit_keeps_the_first(Search):
    search = small_search(Search, n_iter=3, scoring="accuracy")
    search.set_params(estimator=NoScore()).fit(X_IRIS, Y_IRIS)
    first = _fitted(search)
    with pytest.raises(TypeError, match="should have a 'score' method"):
        search.set_params(scoring=None).fit(X_IRIS, Y_IRIS)
    after = _fitted(search)
    assert after.keys() == first.keys() and all(after[k] is first[k] for k in first)


def test_an_empty_cv_iterator(Search):
    from sklearn.model_selection import KFold

    splits = KFold(3).split(X_IRIS)
    list(splits)
    with pytest.raises(ValueError, match=r"^No fits were performed\. Was the CV "
                                         r"iterator empty\?"):
        small_search(Search, cv=splits).fit(X_IRIS, Y_IRIS)


def test_a_generator_of_splits_is_read_once(Search):
    from sklearn.model_selection import StratifiedKFold

    splits = StratifiedKFold(3).split(X_IRIS, Y_IRIS)
    search = small_search(Search, cv=splits).fit(X_IRIS, Y_IRIS)
    reference = small_search(Search, cv=3).fit(X_IRIS, Y_IRIS)
    assert search.n_splits_ == 3 and search.cv is splits
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  reference.cv_results_["mean_test_score"])


def test_each_fit_starts_afresh(Search):
    search = small_search(Search, n_iter=4)
    first = search.fit(X_IRIS, Y_IRIS).cv_results_["params"]
    second = search.fit(X_IRIS, Y_IRIS).cv_results_["params"]
    assert first == second and len(second) >= 4


@pytest.mark.skipif(SKLEARN_VERSION < (1, 9), reason="callbacks arrived in 1.9")
def test_scikit_learn_callbacks_see_every_batch(Search):
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

    search = small_search(Search).set_callbacks(Recorder())
    search.fit(X_IRIS, Y_IRIS)
    label = {BayesSearchCV: "iteration", EvolutionSearchCV: "generation",
             HyperbandSearchCV: "rung"}[Search.cls]
    res = search.cv_results_
    batches = set(zip(res.get("bracket", res["iter"]), res["iter"]))
    assert events.count("search") == 1
    assert events.count(label) == len(batches) > 1
    assert events.count("candidate-split-evaluation") == len(res["params"]) * 3


@pytest.mark.skipif(SKLEARN_VERSION < (1, 9), reason="callbacks arrived in 1.9")
def test_scikit_learns_progress_bar_shows_each_batch(Search, capfd):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    search = small_search(Search).set_callbacks(ProgressBar())
    search.fit(X_IRIS, Y_IRIS)
    out = "".join(capfd.readouterr())
    label = {BayesSearchCV: "iteration", EvolutionSearchCV: "generation",
             HyperbandSearchCV: "rung"}[Search.cls]
    assert f"{Search.cls.__name__} - {label} #0" in out
    assert "refit-with-best-params" in out


def test_searching_a_step_of_a_searched_estimator_choice_is_accepted(Search):
    pipe = Pipeline([("clf", SVC())])
    space = {"clf": Categorical([LogisticRegression()]), "clf__tol": [1e-4, 1e-3]}
    search = Search(pipe, space, n_iter=2, cv=2, random_state=0)
    search.fit(X_IRIS, Y_IRIS)
    assert {p["clf__tol"] for p in search.cv_results_["params"]} == {1e-4, 1e-3}


# -- faults ------------------------------------------------------------------------------


def test_strings_that_name_numpy_dtypes_are_kept_as_strings(Search):
    # scikit-learn 1.5.0 read such choices as dtypes when formatting cv_results_ and
    # failed after every fit of the first batch (fixed in 1.5.1, skhpo's floor)
    tags = ["float32", "float64", "B", "i"]
    search = Search(Tagged(), {"x": Real(0.0, 1.0), "tag": tags}, n_iter=6, cv=3,
                    random_state=0).fit(X_IRIS, Y_IRIS)
    column = search.cv_results_["param_tag"]
    assert all(isinstance(t, str) and t in tags for t in column)
    assert [p["tag"] for p in search.cv_results_["params"]] == list(column)


def test_a_failing_candidate_is_recorded_and_the_search_goes_on(Search):
    space = {"x": Real(0.0, 1.0), "fail": [True, False]}
    with pytest.warns(FitFailedWarning, match="cannot be fitted"):
        search = Search(Fragile(), space, n_iter=12, cv=3, random_state=0)
        search.fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    failed = np.array([p["fail"] for p in res["params"]])
    assert len(res["params"]) >= 12 and failed.any()
    assert np.all(np.isnan(res["mean_test_score"][failed]))
    assert np.all(np.isfinite(res["mean_test_score"][~failed]))
    assert search.best_params_["fail"] is False
    np.testing.assert_array_equal(np.isnan(search.optimizer_.scores_), failed)


@pytest.mark.parametrize("return_train_score", [False, True])
def test_failures_are_warned_of_once_for_the_whole_search(Search, return_train_score):
    # as after RandomizedSearchCV's one batch: one summary of every failed fit, and one
    # warning per kind of non-finite score, of the final results; not one per batch
    search = Search(Fragile(), {"x": Real(0.0, 1.0), "fail": [True, False]}, n_iter=12,
                    cv=3, return_train_score=return_train_score, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    n_batches = len(set(zip(res.get("bracket", [0] * len(res["params"])), res["iter"])))
    assert n_batches > 1
    n_failed = int(sum(p["fail"] for p in res["params"])) * 3
    failures = [str(w.message) for w in caught if w.category is FitFailedWarning]
    assert len(failures) == 1
    assert f"{n_failed} fits failed out of a total of {3 * len(res['params'])}" in (
        failures[0])
    assert "this configuration cannot be fitted" in failures[0]
    kinds = ["test", "train"] if return_train_score else ["test"]
    assert [str(w.message) for w in caught if "non-finite" in str(w.message)] == [
        f"One or more of the {kind} scores are non-finite: {res[f'mean_{kind}_score']}"
        for kind in kinds]


def test_verbose_lines_count_each_batch_s_failed_candidates(Search, capsys):
    search = Search(Fragile(), {"x": Real(0.0, 1.0), "fail": [True, False]}, n_iter=12,
                    cv=3, verbose=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X_IRIS, Y_IRIS)
    lines = [ln for ln in capsys.readouterr().out.splitlines()
             if ln.startswith(f"[{Search.cls.__name__}]")]
    counts = [int(re.search(r"\((\d+) failed\)", ln).group(1)) if "failed)" in ln else 0
              for ln in lines]
    res = search.cv_results_
    assert sum(counts) == sum(p["fail"] for p in res["params"]) > 0


@pytest.mark.parametrize("at, fail", [(20, [True, False]), (29, [True, False]),
                                      (5, [True])], ids=["20", "29", "every-fit-fails"])
def test_an_interrupted_search_warns_of_what_partial_results_holds(Search, at, fail):
    InterruptedAt.n_fits, InterruptedAt.at = 0, at
    search = Search(InterruptedAt(), {"x": Real(0.0, 1.0), "fail": fail},
                    n_iter=12, cv=3, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            search.fit(X_IRIS, Y_IRIS)
    res = search.partial_results_
    splits = np.array([res[f"split{k}_test_score"] for k in range(3)])
    n_failed, n_total = int(np.isnan(splits).sum()), splits.size
    failures = [str(w.message) for w in caught if w.category is FitFailedWarning]
    assert n_failed > 0
    if n_failed == n_total:
        assert failures == [failures[0]] and failures[0].startswith(
            f"\nAll {n_failed} fits before the interruption failed; partial_results_ "
            "records them with error_score=nan. The first error:\n")
    else:
        assert failures == [failures[0]]
        assert f"{n_failed} fits failed out of a total of {n_total}" in failures[0]
    nonfinite = [str(w.message) for w in caught if "non-finite" in str(w.message)]
    assert nonfinite == [f"One or more of the test scores are non-finite: "
                         f"{res['mean_test_score']}"]
    # an error filter does not replace the interruption
    InterruptedAt.n_fits = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(KeyboardInterrupt):
            search.fit(X_IRIS, Y_IRIS)


def test_a_module_filter_on_scikit_learn_hides_the_non_finite_warning(Search):
    search = Search(Fragile(), {"x": Real(0.0, 1.0), "fail": [True, False]}, n_iter=12,
                    cv=3, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # as for RandomizedSearchCV: the warning comes from scikit-learn's module
        warnings.filterwarnings("ignore", module="sklearn")
        search.fit(X_IRIS, Y_IRIS)
    assert not [w for w in caught if "non-finite" in str(w.message)]
    assert np.isnan(search.cv_results_["mean_test_score"]).any()


def test_keeping_the_non_finite_warning_leaves_other_threads_and_filters_alone():
    import threading

    from skhpo._sklearn_compat import _sk_search, nonfinite_warnings_kept

    message = "One or more of the test scores are non-finite: [nan]"
    kept = []
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        filters = list(warnings.filters)
        with nonfinite_warnings_kept(kept):
            assert warnings.filters == filters  # the process's filters are untouched
            other = threading.Thread(
                target=lambda: _sk_search.warnings.warn(message, UserWarning))
            other.start()
            other.join()
            _sk_search.warnings.warn(message, UserWarning)
            _sk_search.warnings.warn("another warning", UserWarning)
        assert warnings.filters == filters
    assert [k.message for k in kept] == [message]  # this thread's, and only it
    assert sorted(str(w.message) for w in shown) == sorted(["another warning", message])


def test_an_error_filter_on_the_non_finite_warning_keeps_every_result(Search):
    search = Search(Fragile(), {"x": Real(0.0, 1.0), "fail": [True, False]}, n_iter=12,
                    cv=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.filterwarnings("error", message="One or more of the test scores")
        with pytest.raises(UserWarning, match="non-finite"):
            search.fit(X_IRIS, Y_IRIS)
    # raised once every batch was evaluated, none lost
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = Search(Fragile(), {"x": Real(0.0, 1.0), "fail": [True, False]},
                      n_iter=12, cv=3, random_state=0).fit(X_IRIS, Y_IRIS)
    assert search.partial_results_["params"] == full.cv_results_["params"]


@pytest.mark.parametrize("error_score", [-1.0, 0.0, 5.0])
def test_a_failed_fit_is_a_failure_to_the_strategy_whatever_error_score(Search,
                                                                        error_score):
    search = Search(Fragile(fail=True), {"x": Real(0, 1), "fail": [True, False]},
                    n_iter=9, cv=2, error_score=error_score, refit=False,
                    random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    failed = np.array([p["fail"] for p in res["params"]])
    assert failed.any() and (~failed).any()
    # cv_results_ holds error_score, as scikit-learn's searches do; the strategy nan
    np.testing.assert_array_equal(res["mean_test_score"][failed], error_score)
    np.testing.assert_array_equal(np.isnan(search.optimizer_.scores_), failed)


@pytest.mark.parametrize("refit", [True, False])
def test_a_failed_candidate_is_never_the_best_whatever_error_score(Search, refit):
    # error_score=5 outranks every real score (at most 1): scikit-learn's choice, rank 1,
    # would be a failed candidate, whose refit would fail
    search = Search(Fragile(), {"x": Real(0.0, 1.0), "fail": [True, False]}, n_iter=12,
                    cv=3, error_score=5.0, refit=refit, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    failed = np.array([p["fail"] for p in res["params"]])
    assert failed.any() and res["rank_test_score"][failed].min() == 1
    assert search.best_params_["fail"] is False
    assert isinstance(search.best_index_, np.integer)  # as scikit-learn's argmin gives
    mine = competing(search) & ~failed
    assert search.best_score_ == res["mean_test_score"][mine].max()
    if refit:
        assert search.best_estimator_.fail is False


def test_the_candidates_do_not_depend_on_a_numeric_error_score(Search):
    # failures scored as the best score of all must not draw the search to them
    def candidates(error_score):
        search = Search(Fragile(), {"x": Real(0, 1), "fail": [True, False]}, n_iter=12,
                        cv=2, error_score=error_score, refit=False, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            search.fit(X_IRIS, Y_IRIS)
        return search.cv_results_["params"]

    assert candidates(5.0) == candidates(np.nan)


def _inf_for_large_c(estimator, X, y):
    """A scorer that is +inf for C > 1 (an inverse error on a perfect fold, say)."""
    return np.inf if estimator.C > 1 else estimator.score(X, y)


def test_a_score_of_plus_inf_is_recorded_and_a_failure_to_the_strategy(Search):
    # RandomizedSearchCV records +inf and goes on: so does every skhpo search, and its
    # strategy, which cannot learn from +inf, sees a failure
    search = Search(LogisticRegression(max_iter=500), {"C": Real(1e-2, 1e2, log=True)},
                    n_iter=6, cv=3, scoring=_inf_for_large_c, refit=False,
                    random_state=0)
    with pytest.warns(UserWarning, match=r"scored \+inf on 'score': cv_results_ "
                                         r"records \+inf") as record:
        search.fit(X_IRIS, Y_IRIS)
    # said once, as +inf, not also as a rung of nan scores
    assert not any("scored nan" in str(w.message) for w in record)
    res = search.cv_results_
    large = np.array([p["C"] > 1 for p in res["params"]])
    assert large.any() and (~large).any()
    assert np.all(np.isposinf(res["mean_test_score"][large]))
    assert np.all(np.isfinite(res["mean_test_score"][~large]))
    told = search.optimizer_.scores_
    assert len(told) == len(large)
    np.testing.assert_array_equal(np.isnan(told), large)


@pytest.mark.parametrize("Search", ASK_TELL, ids=lambda cls: cls.__name__)
def test_every_batch_is_evaluated_on_the_folds_of_the_first(Search):
    # a splitter that shuffles without a seed gives new folds on each call; one
    # RandomizedSearchCV call evaluates every candidate on one set of them, and so must
    # a search of several batches
    from sklearn.model_selection import KFold

    X = np.arange(len(Y_IRIS), dtype=float).reshape(-1, 1)
    seen = []

    def record_test_fold(estimator, X_test, y_test):
        seen.append(tuple(np.sort(X_test[:, 0])))
        return 0.0

    search = Search(LogisticRegression(), {"C": Real(1e-2, 1e2, log=True)}, n_iter=6,
                    cv=KFold(3, shuffle=True), scoring=record_test_fold, refit=False,
                    random_state=0, **SEARCHES[Search])
    search.fit(X, Y_IRIS)
    assert len(search.cv_results_["params"]) == 6 and len(seen) == 18
    assert len(set(seen)) == 3
    # a second fit splits again: a fresh set of folds, shared by all its batches
    seen.clear()
    search.fit(X, Y_IRIS)
    assert len(set(seen)) == 3


def test_a_discrete_distribution_with_few_reachable_values(Search):
    from sklearn.neighbors import KNeighborsClassifier

    # geom(0.5) reaches 1 to 30 between its 1e-9 and 1 - 1e-9 quantiles
    search = Search(KNeighborsClassifier(), {"n_neighbors": geom(0.5)}, n_iter=24,
                    cv=2, refit=False, random_state=0).fit(X_IRIS, Y_IRIS)
    ks = [p["n_neighbors"] for p in search.cv_results_["params"]]
    assert all(type(k) is int and 1 <= k <= 30 for k in ks)
    if Search.cls in ASK_TELL:
        assert len(ks) == 24 == len(set(ks))
        with pytest.warns(UserWarning, match="The total space of parameters 30 is "
                                             "smaller than n_iter=40"):
            search.set_params(n_iter=40).fit(X_IRIS, Y_IRIS)
        assert sorted(p["n_neighbors"] for p in search.cv_results_["params"]) == list(
            range(1, 31))


def test_overlapping_sub_spaces_evaluate_each_point_once(Search):
    space = [{"C": [0.1, 1.0, 10.0]}, {"C": [1.0, 10.0, 100.0]}]
    search = Search(CountingLR(), space, n_iter=10, cv=2, refit=False, random_state=0)
    if Search.cls in ASK_TELL:
        with pytest.warns(UserWarning, match="The total space of parameters 4 is smaller "
                                             "than n_iter=10"):
            search.fit(X_IRIS, Y_IRIS)
        assert sorted(p["C"] for p in search.cv_results_["params"]) == [
            0.1, 1.0, 10.0, 100.0]
    else:
        search.fit(X_IRIS, Y_IRIS)
        first = search.cv_results_["iter"] == 0
        for b in set(search.cv_results_["bracket"]):
            cs = [p["C"] for p, f, k in zip(search.cv_results_["params"], first,
                                            search.cv_results_["bracket"]) if f and k == b]
            assert len(cs) == len(set(cs)) <= 4


def test_a_search_that_runs_out_of_unseen_points_says_so(Search, monkeypatch):
    if Search.cls not in ASK_TELL:
        pytest.skip("brackets, not n_iter")
    search = Search(Fragile(), {"x": Real(0, 1)}, n_iter=12, cv=2, refit=False,
                    random_state=0)
    # a strategy that finds 5 unseen points in all: a short batch (EvolutionSearchCV's
    # second generation) or none (BayesSearchCV's sixth candidate) ends the search
    from skhpo.strategies._base import Strategy

    real_ask = Strategy.ask

    def ask(self, n=1):
        n = min(n, 5 - len(self.scores_))
        return real_ask(self, n) if n > 0 else []

    monkeypatch.setattr(Strategy, "ask", ask)
    with pytest.warns(UserWarning, match=rf"^{Search.cls.__name__} evaluated 5 of the 12 "
                      r"candidates planned: no other point of param_distributions"):
        search.fit(X_IRIS, Y_IRIS)
    assert len(search.cv_results_["params"]) == 5


def test_every_fit_failing_raises_like_grid_search(Search):
    search = Search(Fragile(fail=True), {"x": Real(0, 1)}, n_iter=3, cv=2,
                    random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match=r"(?s)All the \d+ fits failed.*cannot be fitted"):
            search.fit(X_IRIS, Y_IRIS)


def test_error_score_raise_raises_the_first_error(Search):
    search = Search(Fragile(fail=True), {"x": Real(0, 1)}, n_iter=3, cv=2,
                    error_score="raise")
    with pytest.raises(RuntimeError, match="cannot be fitted"):
        search.fit(X_IRIS, Y_IRIS)


def test_other_searches_keep_scikit_learns_behaviour():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match="All the 4 fits failed"):
            GridSearchCV(Fragile(fail=True), {"x": [0.1, 0.2]}, cv=2).fit(X_IRIS, Y_IRIS)


# -- bad input: clear errors before any fitting ------------------------------------------

SHARED_BAD_PARAMETERS = [
    ({"n_iter": 0}, ValueError, "n_iter", r"an int in the range \[1, inf\)", "0"),
    ({"random_state": "seed"}, ValueError, "random_state",
     r"an int in the range \[0, 4294967295\], an instance of "
     r"'numpy.random.mtrand.RandomState' or None", "'seed'"),
    ({"param_distributions": 3}, ValueError, "param_distributions",
     "an instance of 'dict' or an instance of 'list'", "3"),
]


def test_an_infinite_error_score_is_refused_before_any_fit(Search):
    assert_refused_before_any_fit(
        Search.cls, {"error_score": np.inf}, ValueError,
        r"^error_score=inf would rank every failed candidate first")

BAD_SPACES = [
    ({"C": {1.0, 2.0}}, TypeError,
     r"^param_distributions\['C'\] must be a list \(or tuple, or 1-D array\) of "
     r"choices, not a set: its order must not change between runs\.$"),
    ({"C": np.array([[1.0, 2.0], [3.0, 4.0]])}, ValueError,
     r"^param_distributions\['C'\] must be a one-dimensional array of choices; got one "
     r"of shape \(2, 2\)\.$"),
    ({"C": randint}, TypeError,
     r"^param_distributions\['C'\]: .* cannot be evaluated as a distribution"),
    ({"C": []}, ValueError, r"^param_distributions\['C'\] is an empty list of choices\.$"),
    ({"C": 1.0}, TypeError,
     r"^param_distributions\['C'\] must be a list of choices, a frozen scipy.stats "
     r"distribution or skhpo.space.Real/Integer/Categorical; got float 1.0\.$"),
    ({"nope": [1, 2]}, ValueError,
     r"^param_distributions names 'nope', which is not a parameter of CountingLR\. "
     r"Valid parameters are: \['C', "),
    ([{"C": [1.0]}, {"clf__C": [1.0]}], ValueError,
     r"^param_distributions \(sub-space 1\) names 'clf__C', which is not a parameter "
     "of CountingLR"),
    ({"C": loguniform(0, 1)}, ValueError,
     r"^param_distributions\['C'\]: the distribution loguniform\(0, 1\) has invalid "
     r"parameters \(its quantile function is not finite\)\.$"),
]


@pytest.mark.parametrize("kwargs, error, name, rule, got", SHARED_BAD_PARAMETERS)
def test_bad_parameters_are_refused_before_any_fit(Search, kwargs, error, name, rule, got):
    if "n_iter" in kwargs and Search.cls not in ASK_TELL:
        pytest.skip("no n_iter")
    assert_refused_before_any_fit(Search.cls, kwargs, error,
                                  param_error(Search.cls, name, rule, got))


@pytest.mark.parametrize("refit", ["accuracy", True])
def test_a_refit_no_metric_of_a_callable_scoring_is_refused_after_the_first_batch(
        Search, refit):
    def scoring(est, X, y):
        return {"acc": est.score(X, y), "one": 1.0}

    search = Search(CountingLR(), {"C": Real(0.1, 1.0)}, n_iter=12, cv=2,
                    scoring=scoring, refit=refit, random_state=0)
    with pytest.raises(ValueError, match=rf"^refit={refit!r}, but scoring returns "
                       r"several metrics, \['acc', 'one'\]: with multi-metric scoring, "
                       r"refit must be one of them, a callable, or False\.$"):
        search.fit(X_IRIS, Y_IRIS)
    full = len(Search(CountingLR(), {"C": Real(0.1, 1.0)}, n_iter=12, cv=2,
                      scoring=scoring, refit=False, random_state=0
                      ).fit(X_IRIS, Y_IRIS).cv_results_["params"])
    assert 0 < len(search.partial_results_["params"]) < full


OWN_COUNTS = {
    BayesSearchCV: ["n_iter", "n_initial_points", "n_points"],
    EvolutionSearchCV: ["n_iter", "population_size", "patience"],
    HyperbandSearchCV: ["min_resources", "max_resources", "n_brackets"],
}


@pytest.mark.parametrize("value", [True, False, np.True_])
def test_a_bool_for_an_own_count_is_refused_before_any_fit(Search, value):
    # scikit-learn's Interval(Integral, ...) would take True for 1
    names = OWN_COUNTS[Search.cls]
    assert names and all(n in Search.cls._parameter_constraints for n in names)
    for name in names:
        assert_refused_before_any_fit(
            Search.cls, {name: value}, InvalidParameterError,
            rf"^The '{name}' parameter of {Search.cls.__name__} must be an int\b.*"
            rf"Got {value!r} instead\.$")


@pytest.mark.parametrize("space, error, match", BAD_SPACES)
def test_bad_spaces_are_refused_before_any_fit(Search, space, error, match):
    assert_refused_before_any_fit(Search.cls, {"param_distributions": space}, error, match)


def test_a_parameter_of_a_searched_step_is_one_of_every_choice(Search):
    # a tree candidate could not be given C: the search would stop at the first one
    pipe = Pipeline([("clf", CountingLR())])
    for choices in ([CountingLR(), DecisionTreeClassifier()],
                    [DecisionTreeClassifier(), CountingLR()]):
        assert_refused_before_any_fit(
            Search.cls, {"estimator": pipe,
                         "param_distributions": {"clf": choices, "clf__C": [0.5, 1.0]}},
            ValueError,
            r"^param_distributions names 'clf__C', but 'clf' is searched among choices "
            r"of which DecisionTreeClassifier\(\) has no parameter 'C': a candidate "
            r"holding it could not be set\. Give each choice of 'clf' a dict of its own")
    # each choice in a sub-space of its own, with its own parameters
    space = [{"clf": [CountingLR()], "clf__C": [0.5, 1.0]},
             {"clf": [DecisionTreeClassifier()], "clf__max_depth": [1, 2]}]
    search = Search(pipe, space, cv=2, random_state=0).fit(X_IRIS, Y_IRIS)
    kinds = {type(p["clf"]).__name__ for p in search.cv_results_["params"]}
    assert kinds == {"CountingLR", "DecisionTreeClassifier"}


def test_bad_data_is_refused_by_scikit_learn(Search):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        small_search(Search).fit(X_IRIS, Y_IRIS[:-1])


def test_the_shared_docstring_entries_are_filled_in(Search):
    import inspect

    doc = inspect.cleandoc(Search.cls.__doc__)  # indented before Python 3.13, not after
    assert "{partial_results_}" not in doc
    entry = doc[doc.index("partial_results_ : dict"):].split("\n\n")[0].splitlines()
    assert entry[1].startswith("    Only after an interrupted ``fit``")
    assert len(entry) == 7 and all(line.startswith("    ") for line in entry[1:])
