"""What skhpo's ``*SearchCV`` classes share, as scikit-learn estimators: parameters
and their checks before any fit, the checkpoint's fingerprint, the objective, the
choice of the best candidate. Each ``fit`` runs a :class:`~skhpo._run.SearchRun`,
which holds the fit's state and its one ask -> evaluate -> tell loop."""

from __future__ import annotations

import math
import os
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import check_cv
from sklearn.utils import indexable

from ._fingerprint import data_hash, describe, seed_from_json, seed_to_json, space_signature
from ._journal import Journal
from ._run import (SearchRun, SplitOnce, asynchronous_workers, failures_note,
                   listed_splits)
from ._sklearn_compat import (
    SCORER_WITHOUT_WEIGHTS,
    BaseSearchCV,
    Interval,
    InvalidParameterError,
    held_warnings,
    num_samples,
    warn_or_raise_about_fit_failures,
)
from .space import Categorical, SearchSpace

# settings that change how a search runs, not what it finds: a checkpoint ignores them
_RUNTIME_SETTINGS = ("n_jobs", "verbose", "pre_dispatch", "checkpoint")


def _refuse_bools(owner, constraints: dict, skip=()) -> None:
    """Refuse ``True``/``False`` for ``owner``'s integer parameters that
    scikit-learn's ``Interval(Integral, ...)`` constraints (in ``constraints``) would let
    through as 1 and 0, but for the names in ``skip``."""
    for name, allowed in constraints.items():
        if name in skip:
            continue
        value = getattr(owner, name)
        if isinstance(value, bool) and any(
                isinstance(c, Interval) and c.type is Integral for c in allowed):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(owner).__name__} must be an int, "
                f"not a bool. Got {value!r} instead."
            )


def _is_fitted(name: str) -> bool:
    """Whether ``name`` is a fitted attribute, by scikit-learn's convention."""
    return name.endswith("_") and not name.startswith("_")


def searched_step(name: str, dims) -> tuple:
    """``(choices, rest)`` when ``name`` is ``step__rest`` and ``step`` is searched among
    ``choices`` in the sub-space ``dims`` (the longest such ``step``); else ``(None,
    name)``."""
    searched = dict(dims)
    parts = name.split("__")
    for i in range(len(parts) - 1, 0, -1):
        dim = searched.get("__".join(parts[:i]))
        if isinstance(dim, Categorical):
            return dim.choices, "__".join(parts[i:])
    return None, name


def _check_param_names(space: SearchSpace, estimator) -> None:
    """Refuse parameter names that some candidate's estimator would not have.

    ``step__param``, when ``step`` is itself searched in the same sub-space, must be a
    parameter of every choice of ``step`` (a candidate holding a choice without it
    could not be set); otherwise a name must be a parameter of ``estimator``.
    """
    valid = set(estimator.get_params(deep=True))
    for s, dims in enumerate(space.subspaces):
        where = f" (sub-space {s})" if len(space.subspaces) > 1 else ""
        for name, _ in dims:
            choices, rest = searched_step(name, dims)
            if choices is None:
                if name not in valid:
                    raise ValueError(
                        f"param_distributions{where} names {name!r}, which is not a "
                        f"parameter of {type(estimator).__name__}. Valid parameters "
                        f"are: {sorted(valid)}."
                    )
                continue
            lacking = [c for c in choices if isinstance(c, type)
                       or not hasattr(c, "get_params")
                       or rest not in c.get_params(deep=True)]
            if lacking:
                step = name[:-len(rest) - 2]
                raise ValueError(
                    f"param_distributions{where} names {name!r}, but {step!r} is "
                    f"searched among choices of which {lacking[0]!r} has no parameter "
                    f"{rest!r}: a candidate holding it could not be set. Give each "
                    f"choice of {step!r} a dict of its own, with its own parameters "
                    "(a list of dicts)."
                )


# the description of ``partial_results_``, the same in every search's docstring, where
# "{partial_results_}" stands for it
_PARTIAL_RESULTS_DOC = """\
Only after an interrupted ``fit`` (``KeyboardInterrupt``, an error with
``error_score="raise"``, scikit-learn's "All the N fits failed" error, a
warnings filter that turns the end-of-search warnings into errors, or an error
during the final refit): the ``cv_results_`` of every batch completed before the
interruption and of the done candidates of the batch it cut (each kept once it
and those before it in the batch were done)."""


def _fill_docstring(doc: str, mark: str, text: str) -> str:
    """``doc`` with ``mark`` replaced by ``text``, each line of which is indented as
    the mark is (Python 3.13 strips a docstring's common indentation, earlier
    versions do not)."""
    at = doc.index(mark)
    indent = doc[doc.rfind("\n", 0, at) + 1:at]
    return doc.replace(mark, text.replace("\n", "\n" + indent))


class _SkhpoSearchCV(BaseSearchCV):
    """What every skhpo search shares: checks before any fit, checkpoints, the
    objective, and the choice of the best candidate. Subclasses build a strategy in
    ``_run_search`` and hand it to the fit's :class:`~skhpo._run.SearchRun`."""

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "random_state": ["random_state"],
        "checkpoint": [str, os.PathLike, None],
    }

    # what a verbose line and scikit-learn's callbacks call one batch
    _batch_label = "iteration"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__doc__ and "{partial_results_}" in cls.__doc__:
            cls.__doc__ = _fill_docstring(cls.__doc__, "{partial_results_}",
                                          _PARTIAL_RESULTS_DOC)

    def fit(self, X, y=None, **params):
        """Run the search, then refit the best candidate on the whole data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Target, or None for unsupervised learning.
        **params : dict
            Passed to the estimator's ``fit``, the scorer and the splitter, as in
            ``RandomizedSearchCV``.

        Returns
        -------
        self : object
            The fitted search.
        """
        self._validate_params()
        # scikit-learn's own parameters keep scikit-learn's checks
        _refuse_bools(self, self._parameter_constraints,
                      skip=BaseSearchCV._parameter_constraints)
        if isinstance(self.error_score, Real) and self.error_score == math.inf:
            raise ValueError(
                "error_score=inf would rank every failed candidate first; use a "
                "finite number, nan or 'raise'."
            )
        self.__dict__.pop("partial_results_", None)
        # a fit that fails before any result leaves the search as it was (fitted
        # attributes set by the checks before fit, min_resources_ say, included)
        fitted_before = {k: v for k, v in vars(self).items() if _is_fitted(k)}
        try:
            return self._fit(X, y, params)
        except BaseException:
            if "partial_results_" not in self.__dict__:
                for name in [k for k in vars(self) if _is_fitted(k)]:
                    del self.__dict__[name]
                self.__dict__.update(fitted_before)
            raise

    def _fit(self, X, y, params):
        space = self._check_space()
        X_checked, y_checked = indexable(X, y)
        with self._cv_read_once():
            run = self._start_run(space, X_checked, y_checked, params)
            try:
                with run.active():
                    return super().fit(X, y, **params)
            except BaseException:
                # interrupted after the search (during the refit): keep its results
                if "partial_results_" not in self.__dict__ and run.results_at_end:
                    self.partial_results_ = run.results_at_end
                raise
            finally:
                if run.journal is not None:
                    run.journal.close()

    @contextmanager
    def _cv_read_once(self):
        """Within the block, a ``cv`` given as a generator of splits (which can be read
        once) is the list of its splits, read here: the checks before fit and
        scikit-learn's ``fit`` both read ``self.cv``."""
        cv_param = self.cv
        if hasattr(cv_param, "__next__"):
            self.cv = list(cv_param)
        try:
            yield
        finally:
            self.cv = cv_param

    def _start_run(self, space, X, y, params) -> SearchRun:
        """Every check that needs the data, then the fit's :class:`SearchRun`, with
        its checkpoint open (the caller closes it)."""
        cv = self._check_before_fit(space, X, y, params)
        seed = self.random_state
        if isinstance(seed, Integral):
            seed = int(seed)
        journal = n_splits = None
        if self.checkpoint is not None:
            splits = self._constant_splits(
                X, y, params, "needs the same folds on every run to resume from a "
                "checkpoint")
            n_splits = len(splits)
            fingerprint, details = self._fingerprint(space, X, y, params, splits)
            journal = Journal.open(self.checkpoint, type(self).__name__, fingerprint,
                                   seed_to_json(self.random_state), details=details)
            try:
                seed = seed_from_json(journal.seed)
            except BaseException:
                journal.close()  # the caller closes only the run's
                raise
        return SearchRun(self, space=space, seed=seed, journal=journal,
                         n_splits=n_splits, cv=cv, n_samples=_n_samples(X))

    def _check_before_fit(self, space, X, y, params):
        """Checks of subclasses that need the data, before any fit; returns the
        splitter every batch is evaluated with (``None``: scikit-learn's own)."""
        return None

    def _split_params(self, params) -> dict:
        """The parameters ``fit`` routes to the splitter's ``split``."""
        # scikit-learn's fit warns of a scorer that takes no sample_weight: once
        with held_warnings(SCORER_WITHOUT_WEIGHTS):
            return self._get_routed_params_for_fit(params).splitter.split

    def _constant_splits(self, X, y, params, why: str) -> list:
        """The CV splits, refused unless two calls to ``split`` give the same folds."""
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        split_params = self._split_params(params)

        def splits():
            return listed_splits(cv.split(X, y, **split_params))

        first, second = splits(), splits()
        same = len(first) == len(second) and all(
            np.array_equal(a, c) and np.array_equal(b, d)
            for (a, b), (c, d) in zip(first, second)
        )
        if not same:
            raise ValueError(
                f"cv={cv!r} gives different folds on each call to split(), but "
                f"{type(self).__name__} {why}. Set its random_state to an int, or "
                "shuffle=False."
            )
        return first

    def _fingerprint(self, space, X, y, params, splits) -> tuple[dict, dict]:
        """What a checkpoint must match to be resumed by this search, and the settings
        one by one (for an error message that names the one that changed)."""
        settings = {
            k: v for k, v in sorted(self.get_params(deep=False).items())
            if k not in ("estimator", "param_distributions", "scoring", "cv",
                         *_RUNTIME_SETTINGS)
            # the default n_points=None is left out: checkpoints written before the
            # parameter existed (EvolutionSearchCV) resume under it
            and not (k == "n_points" and v is None)
        }
        if not isinstance(settings.get("random_state"), (Integral, type(None))):
            # the checkpoint keeps the generator's state; its address means nothing
            settings["random_state"] = type(settings["random_state"]).__name__
        details = {"settings": {k: describe(v) for k, v in settings.items()}}
        return {
            "estimator": describe(self.estimator),
            "space": space_signature(space),
            "scoring": describe(self.scoring),
            "settings": describe(settings),
            "cv": data_hash(splits),
            "X": data_hash(X),
            "y": data_hash(y),
            "fit_params": data_hash(params),
        }, details

    # -- checks ------------------------------------------------------------------------

    def _check_space(self) -> SearchSpace:
        space = SearchSpace(self.param_distributions)
        _check_param_names(space, self.estimator)
        return space

    def _objective_key(self, results: dict) -> str:
        """The ``cv_results_`` column the strategy maximises.

        The single score; with multimetric scoring the metric named by ``refit``, or,
        when ``refit`` is a callable or False, the first metric of ``scoring``.
        """
        if "mean_test_score" in results:
            return "mean_test_score"
        if callable(self.scoring):
            # a callable's metrics are known only now: refuse a refit that names none
            # of them here, rather than (as scikit-learn) once the whole search has run
            names = [k[len("mean_test_"):] for k in results if k.startswith("mean_test_")]
            if not (self.refit is False or callable(self.refit)
                    or (isinstance(self.refit, str) and self.refit in names)):
                raise ValueError(
                    f"refit={self.refit!r}, but scoring returns several metrics, "
                    f"{names}: with multi-metric scoring, refit must be one of them, a "
                    "callable, or False."
                )
        if isinstance(self.refit, str):
            return f"mean_test_{self.refit}"
        if isinstance(self.scoring, (list, tuple, dict)):
            return f"mean_test_{next(iter(self.scoring))}"
        return next(k for k in results if k.startswith("mean_test_"))

    # -- the loop's hooks --------------------------------------------------------------

    def _for_strategy(self, scores, key, failed) -> np.ndarray:
        """The scores a strategy is told: ``nan`` for a failed fit, whatever
        ``error_score`` recorded (a number could draw the search to where fits fail),
        and for ``+inf``, which ``cv_results_`` keeps, as scikit-learn's searches do,
        but no strategy can learn from."""
        infinite = np.isposinf(scores)
        n_infinite = int((infinite & ~failed).sum())
        if n_infinite:
            warnings.warn(
                f"{n_infinite} candidate(s) of this batch scored +inf on "
                f"{key[len('mean_test_'):]!r}: cv_results_ records +inf, and "
                f"{type(self).__name__} treats them as failed evaluations when "
                "choosing what to evaluate next. Check the scoring.",
                UserWarning,
            )
        return np.where(failed | infinite, np.nan, scores)

    def _warn_of_interrupted(self, fit_errors: list, book) -> None:
        """The warnings of a search cut short, for what ``partial_results_`` holds:
        its failed fits and non-finite scores. Never raises: what the caller sees is the
        interruption, whatever the warnings filters."""
        try:
            n_failed = sum(e is not None for e in fit_errors)
            if n_failed and n_failed == len(fit_errors):
                first = next(e for e in fit_errors if e is not None)
                warnings.warn(
                    f"\nAll {n_failed} fits before the interruption failed; "
                    "partial_results_ records them with "
                    f"error_score={self.error_score!r}. The first error:\n{first}",
                    FitFailedWarning,
                )
            elif n_failed:
                warn_or_raise_about_fit_failures(fit_errors, self.error_score)
            book.issue_nonfinite_warnings()
        except Exception:  # a filter that turns these warnings into errors
            pass

    def _report_batch(self, strategy, batch, i, *, scores, failed, key, done,
                      n_total) -> None:
        """After batch ``i``: the verbose line."""
        best = strategy.best_score_
        if math.isnan(best):
            best = -math.inf
        self._say(
            f"{self._batch_label} {i}: {len(batch)} candidates{failures_note(failed)}, "
            f"{done}/{n_total} evaluated, best {key[len('mean_test_'):]} so far "
            f"{best:.6g}"
        )

    def _report_candidate(self, strategy, i, *, score, failed, key, done,
                          n_total) -> None:
        """After candidate ``i`` of an asynchronous search: the verbose line."""
        best = strategy.best_score_
        if math.isnan(best):
            best = -math.inf
        metric = key[len('mean_test_'):]
        what = "failed" if failed else f"{metric} {score:.6g}"
        self._say(f"candidate {i}: {what}, {done}/{n_total} evaluated, best {metric} "
                  f"so far {best:.6g}")

    # -- the best candidate ------------------------------------------------------------

    def _select_best_index(self, refit, refit_metric, results):
        """scikit-learn's choice (the first of rank 1), among the candidates none of
        whose fits failed: a numeric ``error_score`` as good as the real scores must
        not make a failed candidate the best, whose refit would fail. A callable
        ``refit`` chooses among all rows, as in scikit-learn."""
        failed = _row_failed(self)
        if callable(refit) or not failed.any() or failed.all() or (
                len(failed) != len(results["params"])):
            return BaseSearchCV._select_best_index(refit, refit_metric, results)
        ranks = np.asarray(results[f"rank_test_{refit_metric}"])
        ok = np.flatnonzero(~failed)
        return ok[np.argmin(ranks[ok])]

    def _say(self, message: str) -> None:
        if self.verbose > 0:
            print(f"[{type(self).__name__}] {message}")


def _n_samples(X) -> int | None:
    try:
        return num_samples(X)
    except TypeError:  # no samples to count (X=None, say)
        return None


def _row_failed(search) -> np.ndarray:
    """Per ``cv_results_`` row of the fit under way: whether a fit failed (empty
    outside a fit)."""
    run = SearchRun.of(search)
    return np.asarray(run.row_failed if run is not None else [], dtype=bool)


class _AskTellSearchCV(_SkhpoSearchCV):
    """Base of the searches that ask their strategy for ``n_iter`` candidates."""

    _parameter_constraints: dict = {
        **_SkhpoSearchCV._parameter_constraints,
        "n_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def _check_before_fit(self, space, X, y, params):
        # every batch gets the folds of the first (see SplitOnce)
        return SplitOnce(check_cv(self.cv, y, classifier=is_classifier(self.estimator)))

    def _n_candidates(self, space: SearchSpace) -> int:
        """``n_iter``, or the size of a smaller finite space (with sklearn's warning)."""
        if space.size < self.n_iter:
            warnings.warn(
                f"The total space of parameters {space.size} is smaller than "
                f"n_iter={self.n_iter}. Running {space.size} iterations. For exhaustive "
                "searches, use GridSearchCV.",
                UserWarning,
            )
            return int(space.size)
        return int(self.n_iter)

    def _search(self, evaluate_candidates, strategy, *, batch_size, one_worker_batch,
                callback_ctx):
        """The run's loop over ``strategy``, ``n_iter`` candidates (fewer in a smaller
        finite space) in batches of ``batch_size``; with ``batch_size=None``,
        asynchronously when the search has several workers, else in batches of
        ``one_worker_batch``. Returns how many were evaluated, and how many were
        planned."""
        run = SearchRun.of(self)
        n_total = self._n_candidates(run.space)
        mode = ("async" if batch_size is None and asynchronous_workers(self.n_jobs) > 1
                else "batches")
        if run.journal is not None:
            mode = run.journal.settle_dispatch(mode)
        if mode == "async":
            done = run.async_loop(evaluate_candidates, strategy, n_total=n_total,
                                  callback_ctx=callback_ctx)
        else:
            done = run.search_loop(evaluate_candidates, strategy, n_total=n_total,
                                   batch_size=batch_size or one_worker_batch,
                                   callback_ctx=callback_ctx)
        if done < n_total and not getattr(strategy, "stopped_", False):
            warnings.warn(
                f"{type(self).__name__} evaluated {done} of the {n_total} candidates "
                "planned: no other point of param_distributions could be found (a "
                "candidate is never evaluated twice, and a discrete "
                "distribution reaches only the values between its 1e-9 and 1 - 1e-9 "
                "quantiles).",
                UserWarning,
            )
        return done, n_total
