"""Hyperband: the bracket arithmetic, the rung scheduler, and what HyperbandSearchCV adds
to the shared contract (tests/test_search_contract.py runs it too)."""

import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import loguniform
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier, SGDClassifier
from sklearn.metrics import accuracy_score, get_scorer, make_scorer
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skhpo import HyperbandSearchCV
from skhpo._hyperband_search import _SubsampledSplitter
from skhpo.space import Categorical, Integer, Real
from skhpo.strategies import HyperbandOptimizer, hyperband_brackets
from skhpo.strategies._hyperband import _resources
from tests._estimators import FITS, CoinSplitter, CountingLR, FailsAt, Flaky, Recorder
from tests._helpers import X_IRIS, Y_IRIS, dict_scorer

# -- bracket arithmetic ------------------------------------------------------------------

# Li et al. (2018), Section 3.3: R = 81, eta = 3; (n_i, r_i) per rung of each bracket
PAPER_TABLE = {
    4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    3: [(34, 3), (11, 9), (3, 27), (1, 81)],
    2: [(15, 9), (5, 27), (1, 81)],
    1: [(8, 27), (2, 81)],
    0: [(5, 81)],
}


def test_brackets_reproduce_the_table_of_the_paper():
    brackets = hyperband_brackets(1, 81, 3)
    assert [b.s for b in brackets] == [4, 3, 2, 1, 0]
    for b in brackets:
        assert list(zip(b.n_candidates, b.n_resources)) == PAPER_TABLE[b.s]


def test_brackets_of_other_shapes():
    # eta = 2, R = 8: s_max = 3
    assert [(b.n_candidates, b.n_resources) for b in hyperband_brackets(1, 8, 2)] == [
        ((8, 4, 2, 1), (1, 2, 4, 8)),
        ((6, 3, 1), (2, 4, 8)),
        ((4, 2), (4, 8)),
        ((4,), (8,)),
    ]
    # min_resources == max_resources: a single bracket of one rung
    [only] = hyperband_brackets(5, 5, 3)
    assert (only.s, only.n_candidates, only.n_resources) == (0, (1,), (5,))
    # R not a power of eta: resources rounded, never below the minimum
    assert hyperband_brackets(1, 100, 3)[0].n_resources == (1, 4, 11, 33, 100)
    # eta close to 1: fewer halvings rather than rungs that repeat a resource
    assert [b.n_resources for b in hyperband_brackets(1, 3, 1.2)] == [(2, 3), (3,)]
    # ... down to no halving at all, found without trying every smaller s_max in turn
    # (which took minutes for the first and never ended for the second)
    for args in ((18, 150, 1.0001), (1, 10**9, 1 + 1e-12)):
        [only] = hyperband_brackets(*args)
        assert (only.s, only.n_candidates, only.n_resources) == (0, (1,), (args[1],))


@settings(max_examples=200, deadline=None)
@given(min_r=st.integers(1, 50), factor=st.integers(1, 400),
       eta=st.one_of(st.integers(2, 5), st.floats(1.2, 6.0), st.floats(1.0001, 1.2)))
def test_bracket_invariants(min_r, factor, eta):
    max_r = min_r * factor
    brackets = hyperband_brackets(min_r, max_r, eta)
    s_max = len(brackets) - 1
    assert min_r * eta**s_max <= max_r * (1 + 1e-9)
    if min_r * eta ** (s_max + 1) <= max_r:
        # one more halving would fit, but rounding would repeat a resource
        assert len(set(_resources(min_r, max_r, eta, s_max + 1))) < s_max + 2
    for b, s in zip(brackets, range(s_max, -1, -1)):
        assert b.s == s and len(b.n_candidates) == len(b.n_resources) == s + 1
        assert b.n_resources[-1] == max_r
        assert all(min_r <= r <= max_r for r in b.n_resources)
        assert all(lo < hi for lo, hi in zip(b.n_resources, b.n_resources[1:]))
        assert list(b.n_candidates) == sorted(b.n_candidates, reverse=True)
        assert b.n_candidates[-1] >= 1
        # every bracket spends about the same: at most (s_max + 1) R plus rounding
        assert b.budget <= (s_max + 1) * max_r * 1.5 + max_r


@pytest.mark.parametrize("args, error, match", [
    ((0, 10, 3), ValueError, "min_resources must be >= 1, got 0"),
    ((1, 10, 1), ValueError, "eta must be a finite number > 1, got 1"),
    ((1, 10, math.inf), ValueError, "eta must be a finite number > 1"),
    ((11, 10, 3), ValueError, "min_resources=11 is greater than max_resources=10"),
    ((1.5, 10, 3), TypeError, "min_resources must be an int, got 1.5"),
    ((1, 10, "3"), TypeError, "eta must be a real number, got '3'"),
])
def test_bad_bracket_arguments(args, error, match):
    with pytest.raises(error, match=match):
        hyperband_brackets(*args)


# -- the scheduler -------------------------------------------------------------------------


def run_scheduler(opt, objective):
    rungs = []
    while (rung := opt.ask()) is not None:
        rungs.append(rung)
        opt.tell(rung, [objective(p, rung.n_resources) for p in rung.params])
    return rungs


def noisy_quadratic(p, r):
    """Best at x = 0.3; low resources blur it with a deterministic bias."""
    return -abs(p["x"] - 0.3) - 0.5 / r * math.sin(40 * p["x"]) ** 2


def test_scheduler_runs_the_schedule_and_promotes_the_best():
    opt = HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=27,
                             random_state=0)
    rungs = run_scheduler(opt, noisy_quadratic)
    planned = [(b.s, i, n, r) for b in hyperband_brackets(1, 27, 3)
               for i, (n, r) in enumerate(zip(b.n_candidates, b.n_resources))]
    assert [(g.s, g.rung, len(g.params), g.n_resources) for g in rungs] == planned
    for prev, nxt in zip(rungs, rungs[1:]):
        if nxt.bracket == prev.bracket:
            scores = [noisy_quadratic(p, prev.n_resources) for p in prev.params]
            top = sorted(range(len(scores)), key=lambda i: -scores[i])[:len(nxt.params)]
            assert sorted(prev.params[i]["x"] for i in top) == sorted(
                p["x"] for p in nxt.params)
    assert opt.n_brackets_ == 4 and opt.ask() is None
    assert opt.resources_[opt.best_index_] == 27
    assert len(opt.params_) == len(opt.scores_) == sum(len(g.params) for g in rungs)


def test_scheduler_cycles_brackets_and_refuses_misuse():
    opt = HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=9,
                             n_brackets=5, random_state=0)
    assert [b.s for b in opt.schedule()] == [2, 1, 0, 2, 1]
    with pytest.raises(RuntimeError, match="call ask"):
        opt.tell([{"x": 0.5}], [1.0])
    rung = opt.ask()
    assert opt.ask() is rung  # asking again before tell returns the same rung
    with pytest.raises(ValueError, match="Expected 9 scores for this rung, got 2"):
        opt.tell(rung, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"\+inf"):
        opt.tell(rung, [math.inf] * 9)
    with pytest.raises(ValueError, match="sampler must be one of"):
        HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=9,
                           sampler="tpe")
    with pytest.raises(TypeError, match="n_brackets must be an int"):
        HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=9,
                           n_brackets=2.0)


def test_failed_candidates_are_never_promoted():
    opt = HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=9,
                             n_brackets=1, random_state=0)
    rung = opt.ask()
    opt.tell(rung, [math.nan if p["x"] > 0.2 else p["x"] for p in rung.params])
    survivors = opt.ask().params
    assert survivors and all(p["x"] <= 0.2 for p in survivors)
    # a rung where everything fails ends its bracket
    opt2 = HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=9,
                              n_brackets=2, random_state=0)
    first = opt2.ask()
    opt2.tell(first, [math.nan] * len(first.params))
    assert opt2.ask().bracket == 1


def test_a_small_finite_space_caps_the_rungs():
    opt = HyperbandOptimizer({"k": [1, 2, 3, 4]}, min_resources=1, max_resources=9,
                             random_state=0)
    rungs = run_scheduler(opt, lambda p, r: p["k"] / r)
    first = rungs[0]
    assert first.n_resources == 1 and sorted(p["k"] for p in first.params) == [1, 2, 3, 4]
    assert len(rungs[1].params) == 1  # floor(4 / 3)
    # distinct within a bracket, repeated across brackets
    for b in {g.bracket for g in rungs}:
        for g in rungs:
            if g.bracket == b:
                assert len({p["k"] for p in g.params}) == len(g.params)


def test_scheduler_is_reproducible_and_pickles_mid_run():
    def make():
        return HyperbandOptimizer({"x": Real(0, 1), "c": ["a", "b"]}, min_resources=1,
                                  max_resources=9, sampler="bayes", random_state=3)

    def f(p, r):
        return -abs(p["x"] - 0.6) + (p["c"] == "a") * 0.1 - 0.1 / r

    a, b = make(), make()
    assert [g.params for g in run_scheduler(a, f)] == [g.params for g in run_scheduler(b, f)]
    c = make()
    for _ in range(3):
        rung = c.ask()
        c.tell(rung, [f(p, rung.n_resources) for p in rung.params])
    d = pickle.loads(pickle.dumps(c))
    assert [g.params for g in run_scheduler(c, f)] == [g.params for g in run_scheduler(d, f)]


def test_bayes_sampler_learns_from_every_resource():
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    opt = HyperbandOptimizer(space, min_resources=1, max_resources=9, n_brackets=2,
                             sampler="bayes", random_state=0)
    first = opt.ask()
    assert opt.model_ is None  # nothing told yet: drawn at random
    opt.tell(first, [-abs(p["x"] - 0.2) for p in first.params])
    while (rung := opt.ask()).bracket == 0:
        opt.tell(rung, [-abs(p["x"] - 0.2) for p in rung.params])
    # bracket 1 was proposed by one model of all 13 results of bracket 0 (9 at
    # resource 1, 3 at 3, 1 at 9), each with its resource (log-scaled to [0, 1])
    model = opt.model_
    assert len(rung.params) == 5 and model.gp_ is not None
    np.testing.assert_array_equal(model.scores_, opt.scores_)
    np.testing.assert_allclose(model._train_features()[:, -1],
                               np.log(opt.resources_) / np.log(9))
    np.testing.assert_allclose(model._query_features(model.X_[:2])[:, -1], 1.0)
    random_opt = HyperbandOptimizer(space, min_resources=1, max_resources=9,
                                    random_state=0)
    run_scheduler(random_opt, lambda p, r: p["x"])
    assert random_opt.model_ is None


def test_fidelity_model_keeps_one_resource_per_point():
    from skhpo.strategies._hyperband import _FidelityBayes

    model = _FidelityBayes({"x": Real(0, 1)}, min_resources=1, max_resources=9,
                           random_state=0)
    model.tell_at([{"x": 0.1}, {"x": 0.2}], [0.5, 0.6], [1, 3])
    model.tell([{"x": 0.3}], [0.7])  # no resource: a full-resource result
    np.testing.assert_allclose(model._train_features()[:, -1], [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="resources and scores differ in length"):
        model.tell_at([{"x": 0.4}], [0.1], [1, 3])
    with pytest.raises(ValueError, match="resources must be finite and > 0"):
        model.tell_at([{"x": 0.4}], [0.1], [0])
    with pytest.raises(ValueError, match="params and scores differ"):
        model.tell_at([{"x": 0.4}, {"x": 0.5}], [0.1], [1])
    # nothing of the refused calls was recorded, and a later plain tell still aligns
    model.tell([{"x": 0.6}], [0.2])
    assert len(model.scores_) == len(model._train_features()) == 4
    np.testing.assert_allclose(model._train_features()[:, -1], [0.0, 0.5, 1.0, 1.0])


def test_bayes_sampler_proposes_where_low_resources_score_well():
    # The highest resource has seen only four promoted candidates, all near x = 0.2;
    # the lowest has seen the whole space, and x > 0.5 is poor there. A model of the
    # highest rung alone would send proposals to the unseen x > 0.5; one model of every
    # rung keeps them where the low resource found good candidates.
    def f(x, r):
        return -((x[0] - 0.2) ** 2) - 0.05 / r

    grid = [(a, b) for a in np.linspace(0.05, 0.95, 7) for b in np.linspace(0.05, 0.95, 7)]
    top = [(0.15, 0.3), (0.22, 0.7), (0.25, 0.1), (0.18, 0.9)]
    points = [*grid, *top]
    resources = [1] * len(grid) + [9] * len(top)
    scores = [f(x, r) for x, r in zip(points, resources)]
    opt = HyperbandOptimizer({"x": Real(0, 1), "y": Real(0, 1)}, min_resources=1,
                             max_resources=9, n_brackets=2, sampler="bayes",
                             random_state=0)
    opt.params_ = [{"x": x, "y": y} for x, y in points]
    opt.resources_ = np.array(resources)
    opt.scores_ = np.array(scores)
    proposals = opt._sample(6)
    assert opt.model_ is not None
    # the model's proposals come first; at most 2 of 6 are drawn from the prior
    assert all(p["x"] < 0.45 for p in proposals[:4]), proposals


def test_bayes_sampler_beats_random_on_average():
    def f(p, r):
        return -((p["x"] - 0.73) ** 2 + (p["y"] - 0.21) ** 2) - 0.02 / r

    def best(sampler, seed):
        opt = HyperbandOptimizer({"x": Real(0, 1), "y": Real(0, 1)}, min_resources=1,
                                 max_resources=27, n_brackets=8, sampler=sampler,
                                 random_state=seed)
        run_scheduler(opt, f)
        return opt.best_score_

    seeds = range(6)
    bayes = np.mean([best("bayes", s) for s in seeds])
    rand = np.mean([best("random", s) for s in seeds])
    assert bayes > rand


# -- the sub-sampling splitter -------------------------------------------------------------


@pytest.mark.parametrize("subsample_test", [True, False])
def test_subsamples_are_nested_and_stratified(subsample_test):
    X, y = make_classification(n_samples=600, weights=[0.8, 0.2], random_state=0)
    base = StratifiedKFold(3)

    def folds(fraction, seed=7):
        return list(_SubsampledSplitter(base, fraction, seed=seed, stratify=True,
                                        subsample_test=subsample_test).split(X, y))

    small, large = folds(0.1), folds(0.5)
    for (tr_s, te_s), (tr_l, te_l), (tr, te) in zip(small, large, base.split(X, y)):
        assert len(tr_s) == int(0.1 * len(tr)) and len(tr_l) == int(0.5 * len(tr))
        assert set(tr_s) <= set(tr_l) <= set(tr)
        assert abs(y[tr_s].mean() - y[tr].mean()) <= 1 / len(tr_s) + 1e-9
        if subsample_test:
            assert len(te_s) == int(0.1 * len(te)) and len(te_l) == int(0.5 * len(te))
            assert set(te_s) <= set(te_l) <= set(te)
            assert abs(y[te_s].mean() - y[te].mean()) <= 1 / len(te_s) + 1e-9
            assert not set(te_s) & set(tr)
        else:
            np.testing.assert_array_equal(te_s, te)
            np.testing.assert_array_equal(te_l, te)
    again = folds(0.1)
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
               for a, b in zip(small, again))
    other = folds(0.1, seed=8)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(small, other))


@pytest.mark.parametrize("subsample_test", [True, False])
def test_a_subsampled_fold_keeps_at_least_two_samples(subsample_test):
    X, y = make_classification(n_samples=55, random_state=0)
    base = KFold(3)
    for (tr, te), (tr_s, te_s) in zip(base.split(X, y), _SubsampledSplitter(
            base, 1 / 55, seed=0, stratify=False,
            subsample_test=subsample_test).split(X, y)):
        assert len(tr_s) == 2 and set(tr_s) <= set(tr)
        assert len(te_s) == (2 if subsample_test else len(te)) and set(te_s) <= set(te)


def test_a_small_regression_rung_is_scored():
    # 55 samples, 3 folds of 19, 18 and 18, a first rung of 6 samples: int(6 / 55 * 18)
    # would leave test folds of 1 sample, on which R^2 is undefined (nan), and the most
    # exploratory bracket would end there
    X, y = make_regression(n_samples=55, n_features=5, noise=1.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search = HyperbandSearchCV(Ridge(), {"alpha": loguniform(1e-3, 1e2)}, cv=3,
                                   random_state=0).fit(X, y)
    res = search.cv_results_
    first = (np.asarray(res["bracket"]) == 0) & (np.asarray(res["iter"]) == 0)
    assert search.min_resources_ == 6 and np.all(res["n_resources"][first] == 6)
    assert np.all(np.isfinite(res["mean_test_score"]))


# -- HyperbandSearchCV -----------------------------------------------------------------------


def test_cv_results_columns_follow_the_schedule():
    search = HyperbandSearchCV(Recorder(), {"x": Real(0, 1)}, resource="budget",
                               min_resources=1, max_resources=9, cv=3,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    expected = [(k, i, r) for k, b in enumerate(search.brackets_)
                for i, (n, r) in enumerate(zip(b.n_candidates, b.n_resources))
                for _ in range(n)]
    got = list(zip(res["bracket"], res["iter"], res["n_resources"]))
    assert got == expected
    assert [p["budget"] for p in res["params"]] == list(res["n_resources"])
    assert search.n_brackets_ == 3
    assert (search.min_resources_, search.max_resources_) == (1, 9)


def test_best_comes_only_from_max_resources():
    Recorder.fits.clear()
    search = HyperbandSearchCV(Recorder(), {"x": Real(0, 1)}, resource="budget",
                               min_resources=1, max_resources=9, cv=3,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    at_max = res["n_resources"] == 9
    # low-budget rows score higher, and rank first, but cannot win
    assert res["mean_test_score"][~at_max].max() > res["mean_test_score"][at_max].max()
    assert res["rank_test_score"][search.best_index_] > 1
    assert at_max[search.best_index_]
    assert search.best_score_ == res["mean_test_score"][at_max].max()
    assert search.best_params_["budget"] == 9
    # the refit uses the full resource
    assert Recorder.fits[-1] == (150, 9)


def test_resource_parameter_of_a_pipeline_step_and_grid_search_agreement():
    pipe = Pipeline([("scale", StandardScaler()),
                     ("clf", LogisticRegression(max_iter=40))])
    space = {"clf__C": [0.01, 0.1, 1.0, 10.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at small max_iter
        search = HyperbandSearchCV(pipe, space, resource="clf__max_iter", eta=2,
                                   min_resources=5, cv=3, random_state=0)
        search.fit(X_IRIS, Y_IRIS)
        res = search.cv_results_
        assert search.max_resources_ == 40 and set(res["n_resources"]) == {5, 10, 20, 40}
        at_max = np.flatnonzero(res["n_resources"] == 40)
        params = [res["params"][i] for i in at_max]
        grid = GridSearchCV(pipe, {k: [v] for k, v in params[0].items()}, cv=3)
        for i, p in zip(at_max, params):
            grid.set_params(param_grid={k: [v] for k, v in p.items()}).fit(X_IRIS, Y_IRIS)
            assert res["mean_test_score"][i] == pytest.approx(grid.best_score_)


@pytest.mark.parametrize("subsample_test", [True, False])
def test_n_samples_resource_subsamples_each_split(subsample_test):
    Recorder.fits.clear()
    Recorder.scored.clear()
    search = HyperbandSearchCV(Recorder(), {"x": Real(0, 1)}, min_resources=30,
                               subsample_test=subsample_test, cv=3,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert search.max_resources_ == 150 and sorted(set(res["n_resources"])) == [50, 150]
    # 3-fold on 150 samples: 100 training and 50 test samples per split; the last fit
    # is the refit on all 150
    low = np.repeat(res["n_resources"] == 50, 3)
    fits = np.array([n for n, _ in Recorder.fits[:-1]])
    scored = np.array(Recorder.scored)
    np.testing.assert_array_equal(fits, np.where(low, int(50 / 150 * 100), 100))
    np.testing.assert_array_equal(
        scored, np.where(low & subsample_test, int(50 / 150 * 50), 50))
    assert res["mean_test_score"].shape == (len(res["params"]),)


def test_default_min_resources_follow_scikit_learns_halving():
    search = HyperbandSearchCV(LogisticRegression(), {"C": Real(0.1, 10)}, cv=3,
                               n_brackets=1, random_state=0).fit(X_IRIS, Y_IRIS)
    assert search.min_resources_ == 2 * 3 * 3  # 2 x n_splits x n_classes
    search = HyperbandSearchCV(Ridge(), {"alpha": Real(0.1, 10)}, cv=4, n_brackets=1,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    assert search.min_resources_ == 2 * 4


@pytest.mark.parametrize("sampler", ["random", "bayes"])
def test_same_random_state_same_results_whatever_n_jobs(sampler):
    def fit(n_jobs):
        return HyperbandSearchCV(
            LogisticRegression(max_iter=300), {"C": loguniform(1e-3, 1e2),
                                               "fit_intercept": [True, False]},
            sampler=sampler, n_brackets=3, cv=3, random_state=4, n_jobs=n_jobs,
        ).fit(X_IRIS, Y_IRIS).cv_results_

    one, two = fit(1), fit(2)
    assert one["params"] == two["params"]
    np.testing.assert_array_equal(one["mean_test_score"], two["mean_test_score"])
    np.testing.assert_array_equal(one["n_resources"], two["n_resources"])


def test_nested_cross_validation_with_a_resource_parameter():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = HyperbandSearchCV(LogisticRegression(max_iter=27), {"C": Real(0.01, 10)},
                                   resource="max_iter", min_resources=3, cv=3,
                                   random_state=0)
        scores = cross_val_score(search, X_IRIS, Y_IRIS, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.8)


def test_failing_candidates_are_not_promoted():
    with pytest.warns(FitFailedWarning, match="cannot fit"):
        search = HyperbandSearchCV(Flaky(), {"x": Real(0, 1)}, resource="budget",
                                   min_resources=1, max_resources=9, cv=2,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    failed = np.isnan(res["mean_test_score"])
    assert failed.any() and not failed[res["iter"] > 0].any()
    assert search.best_params_["x"] <= 0.5


def test_verbose_prints_one_line_per_rung(capsys):
    HyperbandSearchCV(Recorder(), {"x": Real(0, 1)}, resource="budget",
                      min_resources=1, max_resources=9, n_brackets=1, cv=2,
                      random_state=0, verbose=1).fit(X_IRIS, Y_IRIS)
    lines = [ln for ln in capsys.readouterr().out.splitlines()
             if ln.startswith("[HyperbandSearchCV]")]
    assert lines[0] == ("[HyperbandSearchCV] bracket 0 (s=2) rung 0: 9 candidates with "
                        "budget=1, best score at budget=9 so far none yet")
    assert len(lines) == 3 and "none yet" not in lines[-1]


# -- refused before any fit ------------------------------------------------------------------


def _param_error(name, rule, got):
    return (rf"The '{name}' parameter of HyperbandSearchCV must be {rule}\. "
            rf"Got {got} instead\.")


BAD = [
    ({"eta": 1}, ValueError, _param_error("eta", r"a float in the range \(1(\.0)?, inf\)", "1")),
    ({"eta": 0.5}, ValueError, _param_error("eta", r"a float in the range \(1(\.0)?, inf\)",
                                            "0.5")),
    ({"min_resources": 0}, ValueError,
     _param_error("min_resources", r"an int in the range \[1, inf\) or a str among "
                  r"\{'auto'\}", "0")),
    ({"max_resources": "all"}, ValueError,
     _param_error("max_resources", r"an int in the range \[1, inf\) or a str among "
                  r"\{'auto'\}", "'all'")),
    ({"n_brackets": 0}, ValueError,
     _param_error("n_brackets", r"an int in the range \[1, inf\) or None", "0")),
    ({"subsample_test": "yes"}, ValueError,
     _param_error("subsample_test", r"an instance of 'bool'.*", "'yes'")),
    ({"sampler": "tpe"}, ValueError,
     _param_error("sampler", r"a str among \{.*\}", "'tpe'")),
    ({"resource": 3}, ValueError, _param_error("resource", "an instance of 'str'", "3")),
    ({"min_resources": 100, "max_resources": 50}, ValueError,
     r"^min_resources=100 is greater than max_resources=50\.$"),
    ({"max_resources": 151}, ValueError,
     r"^max_resources=151 is greater than the number of samples \(150\) with "
     r"resource='n_samples'\.$"),
    ({"resource": "n_layers"}, ValueError,
     r"^resource='n_layers' is neither 'n_samples' nor a parameter of CountingLR\. "
     r"Valid parameters are: \['C', "),
    ({"resource": "max_iter", "param_distributions": {"max_iter": [10, 20]}}, ValueError,
     r"^resource='max_iter' is also in param_distributions; HyperbandSearchCV sets it "
     r"for each rung, so it cannot be searched\.$"),
    ({"resource": "tol"}, ValueError,
     r"^resource='tol' must name an integer parameter; CountingLR has tol=0\.0001\.$"),
    ({"resource": "tol", "max_resources": 10}, ValueError,
     r"^resource='tol' must name an integer parameter; CountingLR has tol=0\.0001\.$"),
    ({"resource": "solver", "max_resources": 10}, ValueError,
     r"^resource='solver' must name an integer parameter; CountingLR has "
     r"solver='lbfgs'\.$"),
    # an int the estimator's declared constraints refuse (class_weight's default is
    # None, so its value alone does not tell)
    ({"resource": "class_weight", "max_resources": 9}, ValueError,
     r"^resource='class_weight' cannot be set to 1 in CountingLR: The 'class_weight' "
     r"parameter of CountingLR must be an instance of 'dict', a str among "
     r"\{'balanced'\} or None\. Got 1 instead\.$"),
    ({"estimator": Pipeline([("clf", CountingLR())]), "resource": "clf__class_weight",
      "min_resources": 3, "max_resources": 9,
      "param_distributions": {"clf__C": Real(0.1, 1.0)}}, ValueError,
     r"^resource='clf__class_weight' cannot be set to 3 in Pipeline: The 'class_weight' "
     r"parameter of CountingLR must be"),
    ({"estimator": DecisionTreeClassifier(), "resource": "min_samples_split",
      "max_resources": 9, "param_distributions": {"max_depth": [2, 3]}}, ValueError,
     r"^resource='min_samples_split' cannot be set to 1 in DecisionTreeClassifier: The "
     r"'min_samples_split' parameter of DecisionTreeClassifier must be an int in the "
     r"range \[2, inf\)"),
    # the step holding the resource is searched: every choice must have it
    ({"estimator": Pipeline([("clf", CountingLR())]), "resource": "clf__max_iter",
      "max_resources": 27,
      "param_distributions": {"clf": [CountingLR(), DecisionTreeClassifier()]}},
     ValueError, r"^resource='clf__max_iter' is neither 'n_samples' nor a parameter of "
     r"DecisionTreeClassifier\(\)\. Valid parameters are: \['ccp_alpha', "),
    ({"estimator": Pipeline([("clf", DecisionTreeClassifier())]),
      "resource": "clf__max_iter",
      "param_distributions": {"clf": [CountingLR(), CountingLR(C=2.0)]}},
     ValueError, r"^max_resources='auto' takes the estimator's own clf__max_iter=None, "
     r"which is not a positive int; pass max_resources explicitly\.$"),
    ({"cv": KFold(3, shuffle=True)}, ValueError,
     r"^cv=KFold\(n_splits=3, random_state=None, shuffle=True\) gives different folds "
     r"on each call to split\(\), but HyperbandSearchCV compares the rungs of a bracket "
     r"on the same folds\. Set its random_state to an int, or shuffle=False\.$"),
    ({"cv": ShuffleSplit(3)}, ValueError, "gives different folds on each call"),
    ({"param_distributions": {"C": Real(1, 2), "nope": [1]}}, ValueError,
     "names 'nope', which is not a parameter of CountingLR"),
]


@pytest.mark.parametrize("kwargs, error, match", BAD)
def test_bad_input_is_refused_before_any_fit(kwargs, error, match):
    params = dict(estimator=CountingLR(), param_distributions={"C": Real(0.1, 1.0)})
    params.update(kwargs)
    FITS.clear()
    with pytest.raises(error, match=match):
        HyperbandSearchCV(**params).fit(X_IRIS, Y_IRIS)
    assert not FITS


def test_resource_constraints_are_read_only_where_declared():
    # an estimator declaring a constraint this scikit-learn cannot read, or none at
    # all, is not refused on that account
    class Unreadable(LogisticRegression):
        _parameter_constraints = {**LogisticRegression._parameter_constraints,
                                  "max_iter": [object()]}

        def _validate_params(self):  # its own fit would refuse the unknown kind
            pass

    class Undeclared(LogisticRegression):
        _parameter_constraints = {}

    for cls in (Unreadable, Undeclared):
        search = HyperbandSearchCV(cls(), {"C": Real(0.1, 10)}, resource="max_iter",
                                   min_resources=30, max_resources=90, cv=3,
                                   random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X_IRIS, Y_IRIS)
        assert search.max_resources_ == 90


def test_seeded_shuffling_splitters_are_accepted():
    search = HyperbandSearchCV(LogisticRegression(max_iter=300), {"C": Real(0.1, 10)},
                               cv=KFold(3, shuffle=True, random_state=0), n_brackets=1,
                               random_state=0).fit(X_IRIS, Y_IRIS)
    assert search.n_splits_ == 3


def test_conditional_space_of_estimator_choices_with_n_samples():
    pipe = Pipeline([("clf", LogisticRegression())])
    space = [
        {"clf": Categorical([LogisticRegression(max_iter=300)]),
         "clf__C": Real(0.01, 10, log=True)},
        {"clf": Categorical([RidgeClassifier()]), "clf__alpha": Integer(1, 10)},
    ]
    search = HyperbandSearchCV(pipe, space, cv=3, n_brackets=2, random_state=0)
    search.fit(X_IRIS, Y_IRIS)
    kinds = {type(p["clf"]).__name__ for p in search.cv_results_["params"]}
    assert kinds == {"LogisticRegression", "RidgeClassifier"}


# -- edge cases ------------------------------------------------------------------------------


def test_best_falls_back_to_the_largest_resource_with_a_success():
    with pytest.warns(FitFailedWarning):
        search = HyperbandSearchCV(FailsAt(fail_at=9), {"x": Real(0, 1)},
                                   resource="budget", min_resources=1, max_resources=9,
                                   n_brackets=1, cv=2, refit=False,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert np.isnan(res["mean_test_score"][res["n_resources"] == 9]).all()
    assert res["n_resources"][search.best_index_] == 3
    assert search.best_score_ == np.nanmax(res["mean_test_score"][res["n_resources"] == 3])


def test_a_numeric_error_score_does_not_promote_a_failed_candidate():
    with pytest.warns(FitFailedWarning):
        search = HyperbandSearchCV(Flaky(), {"x": Real(0, 1)}, resource="budget",
                                   min_resources=1, max_resources=9, cv=2,
                                   error_score=5.0, refit=False,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    xs = np.array([p["x"] for p in res["params"]])
    # recorded as error_score, the best score of all, yet never promoted
    assert (res["mean_test_score"][xs > 0.5] == 5.0).all()
    assert (xs[res["iter"] == 0] > 0.5).any() and not (xs[res["iter"] > 0] > 0.5).any()
    # and a failure (nan) to the optimiser
    np.testing.assert_array_equal(np.isnan(search.optimizer_.scores_), xs > 0.5)
    # nor chosen as the best, though the last bracket evaluates some at max_resources
    assert (xs[(res["n_resources"] == 9) & (res["mean_test_score"] == 5.0)] > 0.5).any()
    assert xs[search.best_index_] <= 0.5 and search.best_score_ < 5.0


def test_the_bayes_sampler_does_not_depend_on_a_numeric_error_score():
    def candidates(error_score):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            search = HyperbandSearchCV(Flaky(), {"x": Real(0, 1)}, resource="budget",
                                       min_resources=1, max_resources=9, n_brackets=6,
                                       sampler="bayes", cv=2, error_score=error_score,
                                       refit=False, random_state=0).fit(X_IRIS, Y_IRIS)
        return search.cv_results_["params"]

    assert candidates(5.0) == candidates(np.nan)


@pytest.mark.parametrize("error_score", [0.0, 5.0])
def test_a_numeric_error_score_never_makes_a_failed_candidate_the_one_refitted(error_score):
    with pytest.warns(FitFailedWarning):
        search = HyperbandSearchCV(FailsAt(fail_at=9), {"x": Real(0, 1)},
                                   resource="budget", min_resources=1, max_resources=9,
                                   cv=2, error_score=error_score,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert (res["mean_test_score"][res["n_resources"] == 9] == error_score).all()
    assert search.best_params_["budget"] == 3 == search.best_estimator_.budget


def test_bayes_sampler_on_a_small_finite_space_runs_every_bracket():
    opt = HyperbandOptimizer({"k": [1, 2, 3, 4, 5, 6]}, min_resources=1,
                             max_resources=81, sampler="bayes", random_state=0)
    rungs = run_scheduler(opt, lambda p, r: -abs(p["k"] - 4) - 1 / r)
    assert opt.n_brackets_ == 5 == len({g.bracket for g in rungs})
    assert all(len(g.params) >= 1 for g in rungs)


def _float_scorer(est, X, y):
    return est.score(X, y)


def budget_search(estimator, **kwargs):
    """A search over ``x`` with ``budget`` from 1 to 9 as resource, 2-fold CV."""
    return HyperbandSearchCV(estimator, {"x": Real(0, 1)}, resource="budget",
                             min_resources=1, max_resources=9, cv=2, random_state=0,
                             **kwargs)


def test_callable_scorer_returning_a_dict_with_a_fully_failed_rung():
    with pytest.warns(FitFailedWarning):
        search = budget_search(FailsAt(fail_at=3), n_brackets=1, scoring=dict_scorer,
                               refit="acc").fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert np.isnan(res["mean_test_acc"][res["n_resources"] == 3]).all()
    assert np.isfinite(res["mean_test_acc"][res["n_resources"] == 1]).all()


@pytest.mark.parametrize("scoring", [make_scorer(accuracy_score), get_scorer("accuracy"),
                                     _float_scorer],
                         ids=["make_scorer", "get_scorer", "function"])
def test_callable_scorer_returning_a_number_with_a_fully_failed_rung(scoring):
    with pytest.warns(FitFailedWarning) as caught:
        search = budget_search(FailsAt(fail_at=3), n_brackets=2,
                               scoring=scoring).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert np.isnan(res["mean_test_score"][res["n_resources"] == 3]).all()
    assert len(res["params"]) == 17 and search.best_params_["budget"] == 1
    # one summary of the whole search, as RandomizedSearchCV gives
    splits = [res[f"split{k}_test_score"] for k in range(search.n_splits_)]
    n_failed, n_total = int(np.isnan(splits).sum()), 17 * search.n_splits_
    assert n_failed >= 6
    assert [str(w.message).split(".")[0].strip() for w in caught
            if w.category is FitFailedWarning] == [
        f"{n_failed} fits failed out of a total of {n_total}"]


def test_callable_dict_scorer_whose_first_rung_fails_entirely():
    # its keys are only known from the second bracket: the first rung gets them then
    with pytest.warns(FitFailedWarning):
        search = budget_search(FailsAt(fail_at=1), n_brackets=2, scoring=dict_scorer,
                               refit="acc").fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    first = res["n_resources"] == 1
    assert first.any() and np.isnan(res["mean_test_acc"][first]).all()
    assert np.isnan(res["mean_test_one"][first]).all()
    assert (res["mean_test_one"][~first] == 1.0).all()
    assert search.best_params_["budget"] == 9


def test_score_keys_do_not_outlive_a_fit():
    def scorer_b(est, X, y):
        return {"m": est.score(X, y)}

    search = budget_search(FailsAt(fail_at=3), n_brackets=2, scoring=dict_scorer,
                           refit="acc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X_IRIS, Y_IRIS)
        search.set_params(estimator=FailsAt(fail_at=1), scoring=scorer_b, refit="m")
        search.fit(X_IRIS, Y_IRIS)
    assert "mean_test_m" in search.cv_results_ and "mean_test_acc" not in search.cv_results_


def test_resource_of_a_searched_step_every_choice_of_which_has_it():
    pipe = Pipeline([("clf", DecisionTreeClassifier())])
    space = {"clf": [LogisticRegression(), SGDClassifier(random_state=0)]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence
        search = HyperbandSearchCV(pipe, space, resource="clf__max_iter",
                                   max_resources=27, min_resources=3, cv=3,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    assert search.best_params_["clf__max_iter"] == 27
    assert search.best_estimator_.named_steps["clf"].max_iter == 27


def test_an_empty_space_evaluates_the_defaults():
    with pytest.warns(UserWarning, match=r"The total space of parameters 1 is smaller"):
        search = HyperbandSearchCV(LogisticRegression(max_iter=300), {}, cv=3,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    assert all(p == {} for p in search.cv_results_["params"])
    assert search.best_params_ == {}


def test_a_finite_space_smaller_than_a_bracket_warns_and_caps_it():
    with pytest.warns(UserWarning, match=r"^The total space of parameters 2 is smaller "
                                         r"than the 3 candidates the largest bracket "
                                         r"starts; each bracket starts at most all of them"):
        search = HyperbandSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]},
                                   min_resources=18, cv=3,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    assert all((res["iter"][res["bracket"] == b] == 0).sum() <= 2
               for b in set(res["bracket"]))


def test_a_schedule_with_no_rung_below_the_full_resource_warns():
    # ten classes: min_resources="auto" (2 x 5 splits x 10 classes) is every sample
    X, y = make_classification(100, 10, n_informative=6, n_classes=10,
                               n_clusters_per_class=1, random_state=0)
    with pytest.warns(UserWarning, match=r"^With min_resources_=100, max_resources_=100 "
                                         r"and eta=3, no rung is below max_resources_"):
        search = HyperbandSearchCV(LogisticRegression(max_iter=300), {"C": Real(0.1, 10)},
                                   cv=5, random_state=0).fit(X, y)
    assert len(search.cv_results_["params"]) == 1
    # eta so close to 1 that max_resources / eta rounds to max_resources
    with pytest.warns(UserWarning, match=r"and eta=1.001, no rung is below"):
        search = HyperbandSearchCV(LogisticRegression(), {"C": Real(0.1, 10)},
                                   resource="max_iter", min_resources=18,
                                   max_resources=150, eta=1.001, cv=3,
                                   random_state=0).fit(X_IRIS, Y_IRIS)
    assert search.cv_results_["n_resources"].tolist() == [150]
    # a schedule that halves says nothing
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        HyperbandSearchCV(LogisticRegression(max_iter=300), {"C": Real(0.1, 10)},
                          min_resources=50, cv=3, random_state=0).fit(X_IRIS, Y_IRIS)
    assert not [w for w in caught if "no rung is below" in str(w.message)]


def test_multilabel_min_resources_count_labels():
    from sklearn.datasets import make_multilabel_classification
    from sklearn.neighbors import KNeighborsClassifier

    X, Y = make_multilabel_classification(n_samples=300, n_classes=4, random_state=0)
    search = HyperbandSearchCV(KNeighborsClassifier(), {"n_neighbors": Integer(1, 29)},
                               cv=5, n_brackets=1, random_state=0).fit(X, Y)
    assert search.min_resources_ == 2 * 5 * 4


@pytest.mark.parametrize("min_resources", ["auto", 17])
def test_a_one_column_target_is_stratified_and_counted_as_classes(min_resources):
    # a (n, 1) target (df[["target"]]) is the 1-D one, as to scikit-learn's classifiers
    seen = []

    class Spy(LogisticRegression):
        def fit(self, X, y, **kw):
            seen.append(np.bincount(np.ravel(y), minlength=3))
            return super().fit(X, np.ravel(y), **kw)

    searches = []
    for y in (Y_IRIS, Y_IRIS.reshape(-1, 1)):
        seen.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search = HyperbandSearchCV(Spy(max_iter=200), {"C": Real(0.1, 10, log=True)},
                                       cv=5, n_brackets=1, refit=False,
                                       min_resources=min_resources,
                                       random_state=0).fit(X_IRIS, y)
        searches.append((search.min_resources_, search.cv_results_["params"],
                         [c.tolist() for c in seen]))
    assert searches[0][0] == (2 * 5 * 3 if min_resources == "auto" else 17)
    assert searches[1] == searches[0]


def test_a_rung_whose_every_score_is_nan_warns():
    # 15 positives in 300: the sub-sampled test folds of the first rungs hold none, where
    # roc_auc is undefined
    X, y = make_classification(300, n_features=6, weights=[0.95], flip_y=0,
                               random_state=0)
    search = HyperbandSearchCV(LogisticRegression(), {"C": Real(1e-3, 1e2, log=True)},
                               scoring="roc_auc", random_state=0)
    with pytest.warns(UserWarning, match=r"^Every candidate of bracket 0, rung 0 "
                      r"\(n_samples=\d+\) scored nan though not every fit failed.*"
                      r"try subsample_test=False or a larger min_resources\.$"):
        search.fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Every candidate", category=UserWarning)
        search.set_params(subsample_test=False).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_splits_given_as_lists_and_masks():
    folds = list(StratifiedKFold(3).split(X_IRIS, Y_IRIS))
    as_lists = [(list(tr), list(te)) for tr, te in folds]
    as_masks = [(np.isin(np.arange(150), tr), np.isin(np.arange(150), te))
                for tr, te in folds]
    results = []
    for cv in (folds, as_lists, as_masks):
        search = HyperbandSearchCV(LogisticRegression(max_iter=300), {"C": Real(0.1, 10)},
                                   min_resources=30, n_brackets=2, cv=cv, random_state=0)
        results.append(search.fit(X_IRIS, Y_IRIS).cv_results_["mean_test_score"])
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_a_splitter_whose_folds_change_is_refused_whatever_its_attributes():
    FITS.clear()
    with pytest.raises(ValueError, match="gives different folds on each call to split"):
        HyperbandSearchCV(CountingLR(), {"C": Real(0.1, 1)},
                          cv=CoinSplitter()).fit(X_IRIS, Y_IRIS)
    assert not FITS


def test_the_bayes_sampler_does_not_propose_again_a_candidate_at_a_bound():
    # the best C is the smallest: the model proposes the bound, which must be the point
    # its value is told back as, not a new one each bracket
    opt = HyperbandOptimizer({"C": loguniform(1e-3, 1e3)}, min_resources=1,
                             max_resources=9, sampler="bayes", n_brackets=12,
                             random_state=0)
    started = []
    while (rung := opt.ask()) is not None:
        if rung.rung == 0:
            started += [p["C"] for p in rung.params]
        opt.tell(rung, [-math.log10(p["C"]) - 1 / rung.n_resources for p in rung.params])
    assert min(started) < 1.001e-3
    assert len(started) == len(set(started))


@pytest.mark.parametrize("sampler", ["random", "bayes"])
def test_the_caller_may_change_the_candidates_it_is_handed(sampler):
    # a caller filling in the resource in place, as a search adapter might
    opt = HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=9,
                             sampler=sampler, n_brackets=4, random_state=0)
    while (rung := opt.ask()) is not None:
        for p in rung.params:
            p["n_iter"] = rung.n_resources
        opt.tell(rung, [-abs(p["x"] - 0.3) for p in rung.params])
    assert all(set(p) == {"x"} for p in opt.params_)
    assert opt.n_brackets_ == 4 and set(opt.best_params_) == {"x"}
