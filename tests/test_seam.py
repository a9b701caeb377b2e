"""The seam to scikit-learn: one object per fit, no state left on the search, nothing
changed for scikit-learn's own searches, nested searches left alone."""

import pathlib
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from skhpo import BayesSearchCV, EvolutionSearchCV, HyperbandSearchCV
from skhpo._run import SearchRun
from skhpo.space import Real
from tests._helpers import X_IRIS, Y_IRIS

SEARCHES = {
    "bayes": lambda est, space, **kw: BayesSearchCV(est, space, n_iter=4, cv=3,
                                                    random_state=0, **kw),
    "evolution": lambda est, space, **kw: EvolutionSearchCV(
        est, space, n_iter=4, population_size=2, cv=3, random_state=0, **kw),
    "hyperband": lambda est, space, **kw: HyperbandSearchCV(
        est, space, resource="max_iter", min_resources=10, max_resources=90, cv=3,
        random_state=0, **kw),
}


@pytest.fixture(params=sorted(SEARCHES))
def make(request):
    return SEARCHES[request.param]


def test_skhpo_uses_no_frame_inspection():
    root = pathlib.Path(__file__).resolve().parents[1] / "skhpo"
    found = [f"{path.name}:{n}" for path in root.rglob("*.py")
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(r"_getframe|f_locals|inspect\.(stack|currentframe)", line)]
    assert found == []


def test_private_scikit_learn_names_are_imported_in_one_module():
    root = pathlib.Path(__file__).resolve().parents[1] / "skhpo"
    private = re.compile(r"^\s*(from|import) sklearn\S*\._|^\s*from sklearn\S* import _")
    found = sorted({path.name for path in root.rglob("*.py")
                    for line in path.read_text().splitlines() if private.search(line)})
    assert found == ["_sklearn_compat.py"]


def test_an_unsupported_scikit_learn_fails_at_import_naming_the_range():
    code = ("import sklearn; sklearn.__version__ = '1.4.2'\n"
            "import skhpo\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=pathlib.Path(__file__).resolve().parents[1])
    assert proc.returncode != 0
    assert re.search(r"ImportError: skhpo supports scikit-learn 1\.5\.1 up to \(not "
                     r"including\) 1\.10; this is scikit-learn 1\.4\.2", proc.stderr)


def test_a_fit_leaves_no_private_state_on_the_search(make):
    search = make(LogisticRegression(), {"C": Real(0.01, 10.0, log=True)})
    search.fit(X_IRIS, Y_IRIS)
    reference = RandomizedSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_iter=2,
                                   cv=3).fit(X_IRIS, Y_IRIS)
    extra = {k for k in vars(search) if k.startswith("_")} - set(vars(reference))
    assert extra == set()
    assert SearchRun.of(search) is None  # the run ends with fit


class _FailsInside(ClassifierMixin, BaseEstimator):
    """A fit with ``c > 0`` raises: a GridSearchCV of such candidates alone raises
    scikit-learn's "All the N fits failed"."""

    def __init__(self, c=1.0):
        self.c = c

    def fit(self, X, y):
        if self.c > 0:
            raise ValueError("inner failure")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class _Nested(ClassifierMixin, BaseEstimator):
    """Fits a GridSearchCV (sequentially, in the same thread as the outer search) and
    records whether it raised scikit-learn's own error."""

    seen: list = []

    def __init__(self, x=0.5):
        self.x = x

    def fit(self, X, y):
        try:
            GridSearchCV(_FailsInside(), {"c": [1.0, 2.0]}, cv=2).fit(X, y)
        except ValueError as exc:
            _Nested.seen.append(str(exc))
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_a_search_nested_in_the_estimator_keeps_scikit_learns_behaviour(make):
    """The outer search's failure isolation applies to its own batches only: a
    GridSearchCV fitted inside one of its fits still raises its "All the N fits
    failed" error."""
    _Nested.seen.clear()
    if make is SEARCHES["hyperband"]:
        search = HyperbandSearchCV(_Nested(), {"x": Real(0.0, 1.0)}, min_resources=30,
                                   cv=3, random_state=0)
    else:
        search = make(_Nested(), {"x": Real(0.0, 1.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X_IRIS, Y_IRIS)
    n_fits = len(search.cv_results_["params"]) * 3 + 1  # and the refit
    assert len(_Nested.seen) == n_fits
    assert all("All the 4 fits failed" in message for message in _Nested.seen)


def test_scikit_learns_own_searches_are_unchanged_with_skhpo_imported():
    with pytest.raises(ValueError, match="All the 4 fits failed"):
        GridSearchCV(_FailsInside(), {"c": [1.0, 2.0]}, cv=2).fit(X_IRIS, Y_IRIS)
    with pytest.warns(UserWarning, match="One or more of the test scores are non-finite"):
        GridSearchCV(_FailsInside(), {"c": [0.0, 1.0]}, cv=2,
                     error_score=np.nan).fit(X_IRIS, Y_IRIS)


def test_a_fit_that_fails_after_opening_its_checkpoint_releases_it(tmp_path):
    import json
    import os

    path = tmp_path / "c.jsonl"

    def search():
        return BayesSearchCV(LogisticRegression(), {"C": Real(0.1, 10.0, log=True)},
                             n_iter=2, cv=3, checkpoint=path)  # its seed: in the header

    search().fit(X_IRIS, Y_IRIS)
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["seed"] = "damaged"
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    errors = []
    for _ in range(2):
        with pytest.raises(Exception) as caught:
            search().fit(X_IRIS, Y_IRIS)
        errors.append(type(caught.value))
    assert errors[0] is errors[1]  # the same error, not "in use by another search"
    assert not os.path.exists(os.path.realpath(path) + ".lock")


class _Interrupts(ClassifierMixin, BaseEstimator):
    def __init__(self, x=0.5):
        self.x = x

    def fit(self, X, y):
        raise KeyboardInterrupt


def test_an_interrupted_search_leaves_scikit_learns_searches_as_they_were(make):
    from skhpo import _sklearn_compat

    search = make(_Interrupts(), {"x": Real(0.0, 1.0)}) if make is not SEARCHES[
        "hyperband"] else HyperbandSearchCV(_Interrupts(), {"x": Real(0.0, 1.0)},
                                            min_resources=30, cv=3, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        search.fit(X_IRIS, Y_IRIS)
    assert _sklearn_compat._EVALUATING.get() is None
    assert SearchRun.of(search) is None
    with pytest.raises(ValueError, match="All the 4 fits failed"):
        GridSearchCV(_FailsInside(), {"c": [1.0, 2.0]}, cv=2).fit(X_IRIS, Y_IRIS)
