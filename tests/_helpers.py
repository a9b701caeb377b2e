"""Data and functions the test modules share; the fake estimators are in
``tests._estimators``."""

import threading

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from skhpo.space import Real
from tests._estimators import FITS, CountingLR

X_IRIS, Y_IRIS = load_iris(return_X_y=True)


def small_search(Search, **kwargs):
    """A 6-candidate search of ``LogisticRegression`` on iris, 3-fold CV; ``Search``
    makes a search from ``(estimator, space, **kwargs)``."""
    params = dict(n_iter=6, cv=3, random_state=0)
    params.update(kwargs)
    return Search(
        LogisticRegression(max_iter=500),
        {"C": Real(1e-3, 1e2, log=True), "fit_intercept": [True, False]},
        **params,
    )


def param_error(cls, name, rule, got):
    """The pattern of scikit-learn's error for a bad constructor parameter of ``cls``."""
    return (rf"The '{name}' parameter of {cls.__name__} must be {rule}\. "
            rf"Got {got} instead\.")


def assert_refused_before_any_fit(cls, kwargs, error, match):
    """``cls`` with ``kwargs`` raises ``error`` matching ``match`` in ``fit``, before
    fitting anything."""
    params = dict(estimator=CountingLR(), param_distributions={"C": Real(0.1, 1.0)})
    params.update(kwargs)
    FITS.clear()
    with pytest.raises(error, match=match):
        cls(**params).fit(X_IRIS, Y_IRIS)
    assert not FITS


def dict_scorer(est, X, y):
    """A callable scorer returning a dict: ``acc`` (the estimator's score) and ``one``."""
    return {"acc": est.score(X, y), "one": 1.0}


def join_worker_threads(before=()) -> None:
    """Wait for the worker threads of joblib's threading backend (started since the
    threads ``before``) to end: when a fit raises, joblib returns at once while they
    finish, and may start, the fits they were handed."""
    for thread in set(threading.enumerate()) - set(before):
        if thread.name.endswith("(worker)"):
            thread.join(timeout=60)
