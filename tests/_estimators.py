"""The fake estimators (and splitter) the test modules share.

Imported as ``tests._estimators``: pytest's ``pythonpath = ["."]`` (pyproject.toml) puts
the repository root on ``sys.path``, in pytest-xdist's workers too, and joblib's loky
workers start with their parent's ``sys.path``, so the classes unpickle there. Several
keep state on the class (a list of fits, a counter, a trigger) that the tests reset and
read; that state is per process.
"""

import zlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

# -- counting fits ---------------------------------------------------------------------

#: One item per fit of :class:`CountingLR` or :class:`Free`; cleared by the tests that
#: check that nothing was fitted.
FITS = []


class CountingLR(LogisticRegression):
    """A logistic regression whose fits are counted in :data:`FITS`."""

    def fit(self, X, y, **kw):
        FITS.append(1)
        return super().fit(X, y, **kw)


class Free(ClassifierMixin, BaseEstimator):
    """Accepts any value for ``a``, ``b`` and ``c``; scores by a hash of them. Its fits
    are counted in :data:`FITS`."""

    def __init__(self, a=None, b=None, c=None):
        self.a = a
        self.b = b
        self.c = c

    def fit(self, X, y):
        FITS.append(1)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y, sample_weight=None):
        return (zlib.crc32(repr((self.a, self.b, self.c)).encode()) % 1000) / 1000


# -- scores set by their parameters, failures on demand --------------------------------


class Fragile(ClassifierMixin, BaseEstimator):
    """Fails to fit when ``fail`` is true; otherwise scores better for x near 0.7."""

    def __init__(self, x=0.5, fail=False):
        self.x = x
        self.fail = fail

    def fit(self, X, y):
        if self.fail:
            raise RuntimeError("this configuration cannot be fitted")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y, sample_weight=None):
        return 1.0 - abs(self.x - 0.7)


class Tagged(Fragile):
    """:class:`Fragile` with a string parameter, ``tag``."""

    def __init__(self, x=0.5, fail=False, tag="float32"):
        super().__init__(x=x, fail=fail)
        self.tag = tag


class InterruptedAt(Fragile):
    """:class:`Fragile` whose fit number ``at`` (counted over the class) is a Ctrl-C."""

    n_fits = 0
    at = None

    def fit(self, X, y):
        type(self).n_fits += 1
        if type(self).n_fits == type(self).at:
            raise KeyboardInterrupt
        return super().fit(X, y)


class Recorder(ClassifierMixin, BaseEstimator):
    """Records the training-set size and ``budget`` of each fit; scores better with a
    larger budget and ``x`` near 0.6, but *low* budgets favour ``x`` near 0.1."""

    fits: list = []
    scored: list = []

    def __init__(self, x=0.5, budget=10):
        self.x = x
        self.budget = budget

    def fit(self, X, y):
        Recorder.fits.append((len(X), self.budget))
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y, sample_weight=None):
        Recorder.scored.append(len(X))
        if self.budget < 9:
            return 2.0 - abs(self.x - 0.1)
        return 1.0 - abs(self.x - 0.6)


class FailsAt(Recorder):
    """Fails to fit with ``budget == fail_at``."""

    def __init__(self, x=0.5, budget=10, fail_at=-1):
        super().__init__(x=x, budget=budget)
        self.fail_at = fail_at

    def fit(self, X, y):
        if self.budget == self.fail_at:
            raise RuntimeError(f"cannot fit with budget {self.budget}")
        return super().fit(X, y)


class Flaky(Recorder):
    """:class:`Recorder` that fails to fit with ``x > 0.5``."""

    def fit(self, X, y):
        if self.x > 0.5:
            raise RuntimeError("cannot fit x > 0.5")
        return super().fit(X, y)


# -- sample weights, no score method ---------------------------------------------------


class WeightRecorder(ClassifierMixin, BaseEstimator):
    """Always predicts the first class (every ``c`` scores the same); records whether
    its fit had sample weights."""

    def __init__(self, c=1.0):
        self.c = c

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.saw_weights_ = sample_weight is not None
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class WeightSummer(WeightRecorder):
    """:class:`WeightRecorder` that records the total weight it was fitted with (-1
    without weights) in ``weight_seen_``."""

    def fit(self, X, y, sample_weight=None):
        self.weight_seen_ = -1.0 if sample_weight is None else float(np.sum(sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


class NoScore(BaseEstimator):
    """A classifier without a ``score`` method."""

    def __init__(self, C=1.0, fit_intercept=True):
        self.C = C
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


# -- interrupted, slow, killed (test_checkpoint) ---------------------------------------


class Interrupting(LogisticRegression):
    """Raises ``trigger["exc"]`` at the ``trigger["at"]``-th fit (counting all fits)."""

    trigger = {"at": None, "n": 0, "exc": KeyboardInterrupt}

    def fit(self, X, y, **kw):
        t = Interrupting.trigger
        t["n"] += 1
        if t["at"] is not None and t["n"] == t["at"]:
            raise t["exc"]("interrupted")
        return super().fit(X, y, **kw)


class FailsSome(Interrupting):
    """:class:`Interrupting` whose fits with ``C`` in ``fail`` raise (counted too)."""

    fail = ()

    def fit(self, X, y, **kw):
        if self.C in FailsSome.fail:
            t = Interrupting.trigger
            t["n"] += 1
            if t["at"] is not None and t["n"] == t["at"]:
                raise KeyboardInterrupt("interrupted")
            raise RuntimeError("cannot fit")
        return super().fit(X, y, **kw)


class BudgetModel(LogisticRegression):
    """``budget`` is a resource; fits with ``budget == 3`` fail; the fit counted
    ``Interrupting.trigger["at"]`` raises KeyboardInterrupt."""

    def __init__(self, C=1.0, budget=1):
        super().__init__(C=C)
        self.budget = budget

    def fit(self, X, y, **kw):
        t = Interrupting.trigger
        t["n"] += 1
        if t["at"] is not None and t["n"] == t["at"]:
            raise KeyboardInterrupt("interrupted")
        if self.budget == 3:
            raise RuntimeError("cannot fit with budget 3")
        return super().fit(X, y, **kw)


class SlowToFail(LogisticRegression):
    """Takes 0.1 s to fit; a fit with ``C`` in ``fail`` raises after 0.4 s."""

    fail = ()

    def fit(self, X, y, **kw):
        import time

        time.sleep(0.4 if self.C in SlowToFail.fail else 0.1)
        if self.C in SlowToFail.fail:
            raise RuntimeError("fails")
        return super().fit(X, y, **kw)


class Killer(LogisticRegression):
    """Same name and parameters as the estimator of the killed process
    (test_checkpoint's ``KILLED_SCRIPT``); counts its fits."""

    n = 0

    def fit(self, X, y, **kw):
        Killer.n += 1
        return super().fit(X, y, **kw)


class Slow(Killer):
    """Same name and parameters as the estimator of the interrupted process
    (test_checkpoint's ``CTRL_C_SCRIPT``); its fits count in ``Killer.n``."""


# -- a splitter ------------------------------------------------------------------------


class CoinSplitter:
    """A splitter without shuffle/random_state attributes whose folds change."""

    def __init__(self):
        self.rng = np.random.RandomState(0)

    def get_n_splits(self, X=None, y=None, groups=None):
        return 2

    def split(self, X, y=None, groups=None):
        perm = self.rng.permutation(len(X))
        yield perm[: len(X) // 2], perm[len(X) // 2:]
        yield perm[len(X) // 2:], perm[: len(X) // 2]


# -- asynchronous dispatch (test_asynchronous) -----------------------------------------


class Timed(LogisticRegression):
    """Records each fit's ``(C, start, end)`` in ``log``; the first fit after
    ``Timed.slow_first = True`` sleeps ``Timed.slow`` seconds, the others ``Timed.cost``;
    a fit with ``C`` in ``fail`` raises; the ``interrupt_at``-th fit (counting from 1)
    raises KeyboardInterrupt."""

    log: list = []
    slow = 0.0
    cost = 0.0
    slow_first = False
    fail = ()
    interrupt_at = None
    _lock = __import__("threading").Lock()

    def fit(self, X, y, **kw):
        import time

        with Timed._lock:
            n = len(Timed.log) + 1
            Timed.log.append([self.C, time.perf_counter(), None])
            entry = Timed.log[-1]
            first, Timed.slow_first = Timed.slow_first, False
        if Timed.interrupt_at is not None and n == Timed.interrupt_at:
            raise KeyboardInterrupt("interrupted")
        time.sleep(Timed.slow if first else Timed.cost)
        if self.C in Timed.fail:
            raise RuntimeError("cannot fit")
        super().fit(X, y, **kw)
        entry[2] = time.perf_counter()
        return self

    @classmethod
    def reset(cls, **settings):
        cls.log = []
        cls.slow, cls.cost, cls.slow_first = 0.0, 0.0, False
        cls.fail, cls.interrupt_at = (), None
        for k, v in settings.items():
            setattr(cls, k, v)
