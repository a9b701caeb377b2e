"""What skhpo's ``*SearchCV`` classes share: space checks, the objective, failure
isolation and the ask -> evaluate -> tell loop on top of ``BaseSearchCV``."""

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

from ._checkpoint import (
    Journal,
    data_hash,
    describe,
    seed_from_json,
    seed_to_json,
    space_signature,
)
from ._sklearn_compat import (
    SCORER_WITHOUT_WEIGHTS,
    BaseSearchCV,
    Interval,
    InvalidParameterError,
    batch_outputs,
    held_warnings,
    n_outputs,
    nonfinite_warnings_kept,
    reissue,
    replay_batch,
    results_so_far,
    results_with,
    streamed,
    warn_or_raise_about_fit_failures,
)
from .space import Categorical, SearchSpace

# settings that change how a search runs, not what it finds: a checkpoint ignores them
_RUNTIME_SETTINGS = ("n_jobs", "verbose", "pre_dispatch", "checkpoint")


def _listed(splits) -> list:
    """The ``(train, test)`` pairs a splitter yields, read once, as arrays."""
    return [(np.asarray(train), np.asarray(test)) for train, test in splits]


def _rows(columns: dict, start: int, stop: int) -> dict:
    """The rows ``start:stop`` of extra ``cv_results_`` columns."""
    return {k: list(v)[start:stop] for k, v in columns.items()}


def failures_note(failed) -> str:
    """``" (k failed)"`` for a verbose line, when ``k`` candidates had a failed fit."""
    return f" ({int(np.sum(failed))} failed)" if np.any(failed) else ""


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
    objective, and one batch of candidates evaluated with failure isolation, callbacks
    and a verbose line."""

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "random_state": ["random_state"],
        "checkpoint": [str, os.PathLike, None],
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__doc__ and "{partial_results_}" in cls.__doc__:
            cls.__doc__ = _fill_docstring(cls.__doc__, "{partial_results_}",
                                          _PARTIAL_RESULTS_DOC)

    # attributes that live only during fit
    _FIT_STATE = ("_space", "_journal", "_seed", "_n_splits_checked", "_results_at_end",
                  "_skhpo_score_keys", "_row_failed")

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
        self._refuse_bool_counts()
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
        self._space = self._check_space()
        X_checked, y_checked = indexable(X, y)
        cv_param = self.cv
        if hasattr(cv_param, "__next__"):
            # a generator of splits can be read once: read it once, here
            self.cv = list(cv_param)
        try:
            self._check_before_fit(X_checked, y_checked, params)
            self._journal = None
            self._seed = self.random_state
            if isinstance(self.random_state, Integral):
                self._seed = int(self.random_state)
            if self.checkpoint is not None:
                splits = self._constant_splits(
                    X_checked, y_checked, params, "needs the same folds on every run to "
                    "resume from a checkpoint")
                self._n_splits_checked = len(splits)
                fingerprint, details = self._fingerprint(X_checked, y_checked, params,
                                                         splits)
                self._journal = Journal.open(
                    self.checkpoint, type(self).__name__, fingerprint,
                    seed_to_json(self.random_state), details=details,
                )
                self._seed = seed_from_json(self._journal.seed)
            try:
                return super().fit(X, y, **params)
            except BaseException:
                # interrupted after the search (during the refit): keep its results
                if "partial_results_" not in self.__dict__ and getattr(
                        self, "_results_at_end", None):
                    self.partial_results_ = self._results_at_end
                raise
        finally:
            self.cv = cv_param
            if self.__dict__.get("_journal") is not None:
                self._journal.close()
            for name in self._FIT_STATE:
                self.__dict__.pop(name, None)

    def _refuse_bool_counts(self) -> None:
        """Refuse ``True``/``False`` for skhpo's own integer parameters (counts and
        resources), which scikit-learn's ``Interval(Integral, ...)`` lets through as
        1 and 0."""
        for name, constraints in self._parameter_constraints.items():
            if name in BaseSearchCV._parameter_constraints:
                continue  # scikit-learn's own parameters keep scikit-learn's checks
            value = getattr(self, name)
            if isinstance(value, bool) and any(
                    isinstance(c, Interval) and c.type is Integral for c in constraints):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be an int, "
                    f"not a bool. Got {value!r} instead."
                )

    def _check_before_fit(self, X, y, params) -> None:
        """Checks of subclasses that need the data, before any fit."""

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
            return _listed(cv.split(X, y, **split_params))

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

    def _fingerprint(self, X, y, params, splits) -> tuple[dict, dict]:
        """What a checkpoint must match to be resumed by this search, and the settings
        one by one (for an error message that names the one that changed)."""
        settings = {
            k: v for k, v in sorted(self.get_params(deep=False).items())
            if k not in ("estimator", "param_distributions", "scoring", "cv",
                         *_RUNTIME_SETTINGS)
        }
        if not isinstance(settings.get("random_state"), (Integral, type(None))):
            # the checkpoint keeps the generator's state; its address means nothing
            settings["random_state"] = type(settings["random_state"]).__name__
        details = {"settings": {k: describe(v) for k, v in settings.items()}}
        return {
            "estimator": describe(self.estimator),
            "space": space_signature(self._space),
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

    # -- one batch ---------------------------------------------------------------------

    @contextmanager
    def _search_context(self, evaluate_candidates, callback_ctx, n_batches: int):
        """Failure isolation for the whole search, the results so far on interruption,
        and scikit-learn's "search" callback task (``None`` where scikit-learn has no
        callbacks).

        Fits that fail are recorded with ``error_score``. scikit-learn's warnings of
        failed fits and of non-finite scores come once, at the end, for the whole search
        (as after ``RandomizedSearchCV``'s one batch), and only a search in which every
        fit failed raises. If the search is interrupted
        (``KeyboardInterrupt``, or an error with ``error_score="raise"``), the results of
        every batch completed so far, and of every candidate of the interrupted batch
        whose splits were all done, stay in ``partial_results_``.
        """
        search_ctx = None
        if callback_ctx is not None:
            search_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=n_batches
            ).call_on_fit_task_begin(estimator=self)
        self._skhpo_fit_failures = []
        self._skhpo_nonfinite = []
        self._row_failed = []  # per cv_results_ row: whether a fit failed
        self._pending = None
        searched = False
        try:
            yield search_ctx
            searched = True
            # scikit-learn's warnings, once for the whole search, in its order
            warn_or_raise_about_fit_failures(self._skhpo_fit_failures, self.error_score)
            for w in self._skhpo_nonfinite:
                reissue(w)
            self._results_at_end = results_so_far(evaluate_candidates)
        except BaseException:
            results = results_so_far(evaluate_candidates)
            done, more, start = self._pending or ([], {}, None)
            if n_outputs(evaluate_candidates) != start:
                done = []  # scikit-learn holds them already (or there are none)
            try:
                # every evaluation scikit-learn holds, formatted or not yet, and the
                # done candidates of a batch cut short
                results = results_with(evaluate_candidates, self,
                                       [params for params, _ in done],
                                       [o for _, outputs in done for o in outputs],
                                       _rows(more, 0, len(done))) or results
            except Exception:  # keep what the completed batches hold
                pass
            if results:
                self.partial_results_ = results
            if not searched:
                errors = self._skhpo_fit_failures
                if len(errors) == n_outputs(evaluate_candidates):
                    # the cut batch's errors are not logged yet (scikit-learn logs a
                    # batch's just before adding its outputs)
                    errors = [*errors,
                              *(o["fit_error"] for _, outputs in done for o in outputs)]
                self._warn_of_interrupted(errors)
            raise
        finally:
            del self._skhpo_fit_failures, self._skhpo_nonfinite, self._pending
        if search_ctx is not None:
            search_ctx.call_on_fit_task_end(estimator=self)

    def _warn_of_interrupted(self, fit_errors: list) -> None:
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
            for w in self._skhpo_nonfinite:
                reissue(w)
        except Exception:  # a filter that turns these warnings into errors
            pass

    def _format_results(self, *args, **kwargs):
        # scikit-learn warns of non-finite mean scores each time it formats the results,
        # after every batch here: within a search, only the last formatting's warnings
        # are kept, and issued once at its end
        kept = getattr(self, "_skhpo_nonfinite", None)
        if kept is None:
            return super()._format_results(*args, **kwargs)
        with nonfinite_warnings_kept(kept):
            return super()._format_results(*args, **kwargs)

    def _points(self, batch) -> np.ndarray:
        """Unit points of a batch (what a checkpoint compares on resume)."""
        return np.array([self._space.encode(p) for p in batch]).reshape(len(batch), -1)

    def _evaluate_batch(self, evaluate_candidates, batch, *, search_ctx, label,
                        more_results, cv=None):
        """Fit and score ``batch`` over the folds in one parallel call (or replay it from
        the checkpoint).

        Each candidate's outputs are kept as soon as all its splits, and those of the
        candidates before it in the batch, are done (in the checkpoint, as a part line,
        but for the last, which the batch line records), so an interruption loses only
        the candidates under way or done out of order (and, with a joblib backend that
        cannot stream, the whole batch).

        Returns the objective of each candidate, the objective's name, and which
        candidates had a failed fit.
        """
        journal = getattr(self, "_journal", None)
        n_logged = len(self._skhpo_fit_failures)
        first = 0  # the first candidate to evaluate
        points = None
        if journal is not None:
            points = self._points(batch)
            record = journal.next_record()
            if record is not None:
                journal.check_batch(record, points, more_results,
                                    n_fits=len(batch) * self._n_splits_checked)
                errors = [o["fit_error"] for o in record["out"]]
                self._skhpo_fit_failures.extend(errors)
                results = replay_batch(evaluate_candidates, self, batch, record["out"],
                                       more_results)
                return self._batch_summary(results, batch, errors)
            start = n_outputs(evaluate_candidates)
            part = journal.take_part()
            if part is not None:
                # the candidates an interruption left done: the batch's first ones,
                # replayed, not refitted
                first = len(part["params"])
                done_more = _rows(more_results, 0, first)
                journal.check_batch(part, points[:first], done_more,
                                    n_fits=first * self._n_splits_checked)
                self._skhpo_fit_failures.extend(o["fit_error"] for o in part["out"])
                results = replay_batch(evaluate_candidates, self, batch[:first],
                                       part["out"], done_more)
        if first < len(batch):
            results = self._evaluate_rows(evaluate_candidates, batch, first, search_ctx,
                                          label, more_results, cv, journal, points)
        if journal is not None:
            journal.append(batch, points, more_results,
                           batch_outputs(evaluate_candidates, start))
        return self._batch_summary(results, batch, self._skhpo_fit_failures[n_logged:])

    def _evaluate_rows(self, evaluate_candidates, batch, first, search_ctx, label,
                       more_results, cv, journal, points):
        """One ``evaluate_candidates`` call for ``batch[first:]``, each candidate kept
        as soon as its splits are done (with a ``journal``, as a part line; ``points``
        are the batch's, or ``None`` without one)."""
        rows = batch[first:]
        more = _rows(more_results, first, len(batch))
        kwargs = {"more_results": more}
        if cv is not None:
            kwargs["cv"] = cv
        batch_ctx = None
        if search_ctx is not None:
            batch_ctx = search_ctx.subcontext(
                task_name=label,
                max_subtasks=len(rows) * self.n_splits_,
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=self)
            kwargs["callback_ctx"] = batch_ctx
        done = []  # (candidate, its outputs) as each completes
        # for partial_results_, until scikit-learn adds the batch to its outputs
        self._pending = (done, more, n_outputs(evaluate_candidates))

        def keep(j, outputs):
            done.append((rows[j], list(outputs)))
            i = first + j
            if journal is not None and i < len(batch) - 1:
                journal.append_part(i, [batch[i]], points[i:i + 1],
                                    _rows(more_results, i, i + 1), outputs)

        with streamed(evaluate_candidates, keep):
            results = evaluate_candidates(rows, **kwargs)
        self._pending = None
        if batch_ctx is not None:
            batch_ctx.call_on_fit_task_end(estimator=self)
        return results

    def _batch_summary(self, results, batch, errors):
        key = self._objective_key(results)
        scores = np.asarray(results[key][-len(batch):], dtype=float)
        failed = np.array([e is not None for e in errors], dtype=bool)
        failed = failed.reshape(len(batch), -1).any(axis=1)
        self._row_failed.extend(failed.tolist())
        return scores, key, failed

    def _select_best_index(self, refit, refit_metric, results):
        """scikit-learn's choice (the first of rank 1), among the candidates none of
        whose fits failed: a numeric ``error_score`` as good as the real scores must
        not make a failed candidate the best, whose refit would fail. A callable
        ``refit`` chooses among all rows, as in scikit-learn."""
        failed = np.asarray(getattr(self, "_row_failed", []), dtype=bool)
        if callable(refit) or not failed.any() or failed.all() or (
                len(failed) != len(results["params"])):
            return BaseSearchCV._select_best_index(refit, refit_metric, results)
        ranks = np.asarray(results[f"rank_test_{refit_metric}"])
        ok = np.flatnonzero(~failed)
        return ok[np.argmin(ranks[ok])]

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
                f"{type(self).__name__} treats them as failed evaluations when choosing "
                "what to evaluate next. Check the scoring.",
                UserWarning,
            )
        return np.where(failed | infinite, np.nan, scores)

    def _say(self, message: str) -> None:
        if self.verbose > 0:
            print(f"[{type(self).__name__}] {message}")


class _SplitOnce:
    """``cv``, split once per search: the folds of the first call to :meth:`split`
    are those of every later call.

    scikit-learn's ``evaluate_candidates`` calls ``split`` once per call, and
    ``RandomizedSearchCV`` makes a single call, so a splitter that shuffles without a
    ``random_state`` gives all its candidates one set of folds. A search that makes one
    call per batch gives every batch those same folds through this wrapper, so that
    candidates are compared on the same folds.
    """

    def __init__(self, cv):
        self.cv = cv
        self._splits = None

    def get_n_splits(self, X=None, y=None, groups=None, **kwargs):
        if self._splits is not None:
            return len(self._splits)
        return self.cv.get_n_splits(X, y, groups, **kwargs)

    def split(self, X, y=None, **kwargs):
        if self._splits is None:
            self._splits = _listed(self.cv.split(X, y, **kwargs))
        return iter(self._splits)


class _AskTellSearchCV(_SkhpoSearchCV):
    """Base of the searches driven by a :class:`~skhpo.strategies.Strategy`."""

    _parameter_constraints: dict = {
        **_SkhpoSearchCV._parameter_constraints,
        "n_iter": [Interval(Integral, 1, None, closed="left")],
    }

    _FIT_STATE = (*_SkhpoSearchCV._FIT_STATE, "_split_once")

    def _check_before_fit(self, X, y, params) -> None:
        # every batch gets the folds of the first (see _SplitOnce)
        self._split_once = _SplitOnce(
            check_cv(self.cv, y, classifier=is_classifier(self.estimator)))

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

    def _ask_tell_loop(self, evaluate_candidates, strategy, *, n_total: int,
                       batch_size, callback_ctx=None, more_results=None,
                       label: str = "iteration"):
        """Ask ``batch_size(i)`` candidates, evaluate them over the CV folds in one
        parallel call, tell the strategy their scores; until ``n_total`` are done.

        ``more_results(i, batch)`` returns the extra ``cv_results_`` columns of batch
        ``i``.
        """
        n_batches = self._count_batches(n_total, batch_size)
        with self._search_context(evaluate_candidates, callback_ctx,
                                  n_batches) as search_ctx:
            done, i, best = 0, 0, -math.inf
            while done < n_total:
                asked = min(batch_size(i), n_total - done)
                batch = strategy.ask(asked)
                if not batch:
                    break
                extra = {} if more_results is None else more_results(i, batch)
                scores, key, failed = self._evaluate_batch(
                    evaluate_candidates, batch, search_ctx=search_ctx, label=label,
                    more_results={"iter": [i] * len(batch), **extra},
                    cv=self._split_once,
                )
                scores = self._for_strategy(scores, key, failed)
                strategy.tell(batch, scores)
                done += len(batch)
                if np.isfinite(scores).any():
                    best = max(best, float(np.nanmax(scores)))
                self._say(
                    f"{label} {i}: {len(batch)} candidates{failures_note(failed)}, "
                    f"{done}/{n_total} evaluated, best {key[len('mean_test_'):]} so far "
                    f"{best:.6g}"
                )
                i += 1
                if len(batch) < asked:
                    break  # the strategy found no more unseen points
        if done < n_total and not getattr(strategy, "stopped_", False):
            warnings.warn(
                f"{type(self).__name__} evaluated {done} of the {n_total} candidates "
                "planned: no other point of param_distributions could be found (a "
                "candidate is never evaluated twice, and a discrete "
                "distribution reaches only the values between its 1e-9 and 1 - 1e-9 "
                "quantiles).",
                UserWarning,
            )

    @staticmethod
    def _count_batches(n_total, batch_size):
        done = i = 0
        while done < n_total:
            done += max(1, batch_size(i))
            i += 1
        return i
