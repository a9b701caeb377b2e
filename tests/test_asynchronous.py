"""Searches that keep every worker busy: with ``n_points=None`` and several workers,
BayesSearchCV and EvolutionSearchCV propose each candidate when a worker is free to fit
it, and tell each score as soon as its folds are done."""

import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import KFold

from skhpo import BayesSearchCV, EvolutionSearchCV
from skhpo.space import Real
from tests._estimators import Timed
from tests._helpers import X_IRIS, Y_IRIS, join_worker_threads, param_error

SPACE = {"C": Real(1e-3, 1e2, log=True), "fit_intercept": [True, False]}
CLASSES = [BayesSearchCV, EvolutionSearchCV]
SETTINGS = {BayesSearchCV: dict(n_initial_points=4),
            EvolutionSearchCV: dict(population_size=4)}


def search(cls, **kwargs):
    params = dict(n_iter=12, cv=KFold(3), random_state=0, **SETTINGS[cls])
    params.update(kwargs)
    return cls(Timed(max_iter=300), SPACE, **params)


def fit_in_threads(s, n_jobs=2):
    with parallel_config(backend="threading"):
        s.set_params(n_jobs=n_jobs)
        return s.fit(X_IRIS, Y_IRIS)


def key(params):
    return tuple(sorted(params.items()))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_a_slow_fit_does_not_hold_the_others(cls):
    # the first fit takes 1.5 s; meanwhile the other worker goes on proposing and
    # fitting candidates, as RandomizedSearchCV's workers would
    Timed.reset(slow=1.5, cost=0.002, slow_first=True)
    s = fit_in_threads(search(cls))
    slow_end = max(end for _, _, end in Timed.log[:1])
    others_done = sum(end is not None and end < slow_end for _, _, end in Timed.log[1:])
    assert others_done >= 9  # three candidates' folds at the very least
    # batches of one candidate at a time wait for each other
    Timed.reset(slow=1.5, cost=0.002, slow_first=True)
    fit_in_threads(search(cls, n_points=1))
    slow_end = Timed.log[0][2]
    assert sum(e is not None and e < slow_end for _, _, e in Timed.log[1:]) <= 2
    assert len(s.cv_results_["params"]) == 12


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_results_are_scikit_learn_s_and_the_strategy_is_told_each_mean(cls):
    Timed.reset()
    s = fit_in_threads(search(cls))
    r = s.cv_results_
    assert list(r["iter"]) == list(range(12))
    assert len({key(p) for p in r["params"]}) == 12  # no candidate twice
    assert s.best_index_ == int(np.argmin(r["rank_test_score"]))
    assert s.best_params_ == r["params"][s.best_index_]
    told = {key(p): v for p, v in zip(s.optimizer_.space.decode(s.optimizer_.X_),
                                      s.optimizer_.scores_)}
    assert len(told) == 12
    for p, mean in zip(r["params"], r["mean_test_score"]):
        assert told[key(p)] == pytest.approx(mean, rel=1e-12)
    # what a synchronous search of the same rows would hold, column for column
    sync = fit_in_threads(search(cls, n_points=4))
    assert set(sync.cv_results_) == set(r)


def test_the_refit_metric_is_what_the_strategy_maximises():
    Timed.reset()
    s = fit_in_threads(search(BayesSearchCV, scoring=["accuracy", "f1_macro"],
                              refit="f1_macro"))
    told = dict(zip(map(key, s.optimizer_.space.decode(s.optimizer_.X_)),
                    s.optimizer_.scores_))
    r = s.cv_results_
    for p, f1 in zip(r["params"], r["mean_test_f1_macro"]):
        assert told[key(p)] == pytest.approx(f1, rel=1e-12)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_one_worker_gives_the_synchronous_search(cls):
    # with one worker, n_points=None is one candidate at a time (BayesSearchCV) or a
    # generation at a time (EvolutionSearchCV), as before: the same candidates
    Timed.reset()
    one = search(cls).fit(X_IRIS, Y_IRIS)
    same = search(cls, n_points=1 if cls is BayesSearchCV else 4).fit(X_IRIS, Y_IRIS)
    assert one.cv_results_["params"] == same.cv_results_["params"]
    np.testing.assert_array_equal(one.cv_results_["mean_test_score"],
                                  same.cv_results_["mean_test_score"])


def test_failed_fits_are_recorded_and_summarised_once():
    Timed.reset()
    params = search(BayesSearchCV).fit(X_IRIS, Y_IRIS).cv_results_["params"]
    Timed.reset(fail=(params[1]["C"],))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = fit_in_threads(search(BayesSearchCV))
    failed = [str(w.message) for w in caught if issubclass(w.category, FitFailedWarning)]
    assert len(failed) == 1 and "3 fits failed out of a total of 36" in failed[0]
    row = [key(p) for p in s.cv_results_["params"]].index(key(params[1]))
    assert np.isnan(s.cv_results_["mean_test_score"][row])
    assert np.isnan(s.optimizer_.scores_[
        [key(p) for p in s.optimizer_.space.decode(s.optimizer_.X_)].index(key(params[1]))])


def test_patience_ends_a_steady_state_evolution_with_consistent_results():
    Timed.reset()

    class Flat(Timed):
        def score(self, X, y):
            return 0.5  # nothing ever improves on the design

    s = EvolutionSearchCV(Flat(max_iter=300), SPACE, n_iter=40, population_size=4,
                          patience=2, cv=KFold(3), random_state=0)
    fit_in_threads(s)
    n = len(s.cv_results_["params"])
    assert s.stopped_early_ and 4 + 2 * 4 <= n < 40
    assert list(s.cv_results_["iter"]) == list(range(n))
    assert len(s.cv_results_["mean_test_score"]) == n and s.best_index_ is not None


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_an_interrupted_search_resumes_from_its_checkpoint_without_refitting(cls,
                                                                           tmp_path):
    path = tmp_path / "c.jsonl"
    Timed.reset(interrupt_at=20, cost=0.002)
    cut = search(cls, checkpoint=path)
    with pytest.raises(KeyboardInterrupt):
        fit_in_threads(cut)
    join_worker_threads()  # the fits handed out before the interruption
    kept = cut.partial_results_["params"]
    assert 1 <= len(kept) < 12
    Timed.reset()
    # resumed with another number of workers: it goes on as it began
    resumed = search(cls, checkpoint=path).fit(X_IRIS, Y_IRIS)
    r = resumed.cv_results_
    assert r["params"][:len(kept)] == kept
    assert len(r["params"]) == 12 and len({key(p) for p in r["params"]}) == 12
    # the candidates the checkpoint held are not fitted again (+1: the refit)
    assert len(Timed.log) == 3 * (12 - len(kept)) + 1
    assert list(r["iter"]) == list(range(12))
    # and a second resume replays everything
    Timed.reset()
    again = search(cls, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert again.cv_results_["params"] == r["params"]
    assert len(Timed.log) == 1  # the refit only


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad, error, rule", [
    (0, ValueError, r"an int in the range \[1, inf\) or None"),
    ("auto", ValueError, r"an int in the range \[1, inf\) or None"),
    (2.5, ValueError, r"an int in the range \[1, inf\) or None"),
])
def test_bad_n_points_is_refused_before_any_fit(cls, bad, error, rule):
    Timed.reset()
    with pytest.raises(error, match=param_error(cls, "n_points", rule, repr(bad))):
        fit_in_threads(search(cls, n_points=bad))
    assert not Timed.log


def test_a_process_backend_proposes_a_candidate_only_when_a_worker_frees_up(
        monkeypatch):
    # loky batches quick tasks automatically, which would propose many candidates at
    # once: an asynchronous search hands out one task at a time, a task per worker plus
    # one candidate's queued
    from skhpo.strategies import BayesOptimizer

    pending = []
    ask = BayesOptimizer.ask

    def counting_ask(self, n=1):
        pending.append(len(self._pending))
        return ask(self, n)

    monkeypatch.setattr(BayesOptimizer, "ask", counting_ask)
    from sklearn.linear_model import LogisticRegression

    s = BayesSearchCV(LogisticRegression(max_iter=300), SPACE, n_iter=24, cv=KFold(3),
                      n_initial_points=4, random_state=0, n_jobs=2)
    with parallel_config(backend="loky"):
        s.fit(X_IRIS, Y_IRIS)
    assert len(s.cv_results_["params"]) == 24 and len(pending) == 24
    # (2 workers + 3 queued) tasks of 3 folds span at most 3 candidates, plus one or two
    # done whose scores the main thread has not read yet (joblib < 1.4 returns results
    # in order: a few more wait for an earlier one); joblib's automatic batching took
    # 12 ahead here
    import joblib

    unordered = tuple(int(v) for v in joblib.__version__.split(".")[:2]) >= (1, 4)
    assert max(pending) <= (5 if unordered else 8)
