"""The seam to scikit-learn: the one module that uses scikit-learn's private code.

A skhpo search is a ``BaseSearchCV`` whose ``_run_search`` calls ``evaluate_candidates``
once per batch. What skhpo needs beyond that public protocol sits here, behind one
object per fit, :class:`Bookkeeping`, so that a scikit-learn release that changes one of
these names breaks this file only. It relies on:

- ``sklearn.model_selection._search.BaseSearchCV`` (subclassed), its ``_format_results``
  and its ``_parameter_constraints``;
- the free variables of ``BaseSearchCV.fit``'s closure ``evaluate_candidates``:
  ``all_candidate_params``, ``all_out`` and ``all_more_results`` (every evaluation so
  far), ``results`` (their formatting) and ``parallel`` (the ``joblib.Parallel`` it
  runs a batch with). :class:`Bookkeeping` reads them to checkpoint a batch, writes
  them to replay one from a checkpoint without fitting, and stands in for ``parallel``
  to hand on each candidate as soon as its folds are done (and, for an asynchronous
  search, to choose each candidate's parameters when a worker is free to fit it: the
  dicts of ``candidate_params`` are filled in place, before their tasks are handed
  out);
- ``_search._warn_or_raise_about_fit_failures``, the check ``evaluate_candidates`` makes
  right after its parallel run, and ``_search.warnings``, through which
  ``_format_results`` warns of non-finite scores. Both are replaced, once, by stand-ins
  that pass every call through unchanged except those of a skhpo search's own
  ``evaluate_candidates``: for these, each fit's error is recorded in the search's
  failure log (a whole search's failures are summarised once, at its end, as after
  ``RandomizedSearchCV``'s single batch), and the warnings of non-finite scores are
  held back (the final results are formatted once more at the end of the search, for
  scikit-learn to issue them once). Which call is the search's own is carried by a
  context variable, set for the length of the ``evaluate_candidates`` call, and read
  only once its parallel run is over: never during a fit, so a search nested in the
  estimator, in the same thread, is left alone;
- ``sklearn.utils._param_validation`` (constraints) and ``sklearn.utils.validation.
  _num_samples``.

An unsupported scikit-learn fails at import, with the supported range in the message.
"""

from __future__ import annotations

import contextvars
import itertools
import re
import warnings
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import sklearn

SUPPORTED = ("1.5.1", "1.10")  # from this release, up to (not including) that one


def _release(version: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


if not _release(SUPPORTED[0]) <= _release(sklearn.__version__) < _release(SUPPORTED[1]):
    raise ImportError(
        f"skhpo supports scikit-learn {SUPPORTED[0]} up to (not including) "
        f"{SUPPORTED[1]}; this is scikit-learn {sklearn.__version__}. Install a "
        f"supported release: pip install 'scikit-learn>={SUPPORTED[0]},<{SUPPORTED[1]}'."
    )

from sklearn.model_selection import _search as _sk_search  # noqa: E402
from sklearn.model_selection._search import BaseSearchCV  # noqa: E402
from sklearn.utils._param_validation import (  # noqa: E402
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _num_samples as num_samples  # noqa: E402

__all__ = [
    "BaseSearchCV",
    "Bookkeeping",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "SCORER_WITHOUT_WEIGHTS",
    "check_param_value",
    "held_warnings",
    "nonfinite_warnings_kept",
    "num_samples",
    "warn_or_raise_about_fit_failures",
]

# the names evaluate_candidates' closure must hold
_CELLS = ("all_candidate_params", "all_out", "all_more_results", "results", "parallel")

# scikit-learn's warning, at each formatting of the results, that a mean score is not
# finite (``BaseSearchCV._format_results``)
_NONFINITE = r"One or more of the \w+ scores are non-finite"
# and its warning, at each routing of fit parameters, that a scorer takes no weights
SCORER_WITHOUT_WEIGHTS = r"The scoring .* does not support sample_weight"

_SCALAR = "score"  # a callable scorer that returns a number


def check_param_value(estimator, param: str, value) -> None:
    """Raise scikit-learn's ``InvalidParameterError`` (a ``ValueError``) if the
    constraints ``estimator``'s class declares for ``param`` refuse ``value``; nothing
    if it declares none, or none this scikit-learn can read."""
    constraints = getattr(type(estimator), "_parameter_constraints", None)
    if not isinstance(constraints, dict) or param not in constraints:
        return
    try:
        validate_parameter_constraints({param: constraints[param]}, {param: value},
                                       caller_name=type(estimator).__name__)
    except InvalidParameterError:
        raise
    except Exception:  # a constraint of a kind this scikit-learn does not know
        return


_sk_warn_or_raise = getattr(_sk_search._warn_or_raise_about_fit_failures,
                            "_skhpo_wraps", _sk_search._warn_or_raise_about_fit_failures)


def warn_or_raise_about_fit_failures(fit_errors: list, error_score) -> None:
    """scikit-learn's summary of a whole search's failed fits, as ``RandomizedSearchCV``
    gives it after its one batch: a ``FitFailedWarning`` ("N fits failed out of a total
    of M", with the errors), or its error if every fit failed."""
    if any(e is not None for e in fit_errors):
        _sk_warn_or_raise([{"fit_error": e} for e in fit_errors], error_score)


# -- what the stand-ins read: the bookkeeping whose evaluate_candidates call is under
# way (the failure check and the formatting after its parallel run are its), and
# warnings held ---------------------------------------------------------------------

_EVALUATING: contextvars.ContextVar = contextvars.ContextVar("skhpo_evaluating",
                                                             default=None)
_HELD: contextvars.ContextVar = contextvars.ContextVar("skhpo_held", default=())


def _checking():
    """The bookkeeping whose batch's parallel run is over, in this context, if any:
    what follows it, up to the end of its ``evaluate_candidates`` call, is the batch's
    failure check and formatting."""
    book = _EVALUATING.get()
    return book if book is not None and book._parallel_done else None


def _check_fit_failures(results, error_score):
    """Stands in for scikit-learn's ``_warn_or_raise_about_fit_failures``: within a
    skhpo search's ``evaluate_candidates`` call, records the batch's fit errors in its
    failure log; everywhere else, scikit-learn's check."""
    book = _checking()
    if book is None:
        return _sk_warn_or_raise(results, error_score)
    book._record_failures(results)


_check_fit_failures._skhpo_wraps = _sk_warn_or_raise


class _Held(NamedTuple):
    """A warning held back rather than issued."""

    message: str
    category: type


class _SearchModuleWarnings:
    """Stands in for the ``warnings`` module in scikit-learn's ``_search.py``.

    Every call passes through, but for one: ``warn`` holds back the warnings of
    non-finite scores of a skhpo search's batch, and, within :func:`held_warnings`, in
    its context (thread), the warnings whose message matches. The process's warnings
    filters are never touched, so searches in other threads, and other code, are left
    alone.
    """

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return getattr(self._module, name)

    def warn(self, message, category=None, stacklevel=1, *args, **kwargs):
        book = _checking()
        if book is not None and re.match(_NONFINITE, str(message)):
            book._nonfinite_held = True
            return None
        for pattern, held in reversed(_HELD.get()):
            if re.match(pattern, str(message)):
                held.append(_Held(str(message), category or UserWarning))
                return None
        return self._module.warn(message, category, stacklevel + 1, *args, **kwargs)


if getattr(_sk_search._warn_or_raise_about_fit_failures, "__name__", "") != (
        "_check_fit_failures"):
    _sk_search._warn_or_raise_about_fit_failures = _check_fit_failures
if not isinstance(getattr(_sk_search, "warnings", None), _SearchModuleWarnings):
    _sk_search.warnings = _SearchModuleWarnings(warnings)


@contextmanager
def held_warnings(pattern: str):
    """Within the block, in this context (thread), the warnings of scikit-learn's search
    module whose message matches ``pattern`` go to the list this yields, not to the
    user."""
    held: list = []
    token = _HELD.set((*_HELD.get(), (pattern, held)))
    try:
        yield held
    finally:
        _HELD.reset(token)


@contextmanager
def nonfinite_warnings_kept(kept: list):
    """Within the block, in this context (thread), scikit-learn's warnings of non-finite
    scores are kept rather than issued; when it ends, ``kept`` holds them (and only
    them)."""
    with held_warnings(_NONFINITE) as held:
        try:
            yield
        finally:
            kept[:] = held


# -- one fit's bookkeeping ------------------------------------------------------------


def _cells(evaluate_candidates) -> dict:
    code = getattr(evaluate_candidates, "__code__", None)
    closure = getattr(evaluate_candidates, "__closure__", None) or ()
    cells = dict(zip(code.co_freevars, closure)) if code is not None else {}
    missing = [name for name in _CELLS if name not in cells]
    if missing:
        raise RuntimeError(
            "This scikit-learn's BaseSearchCV.evaluate_candidates no longer keeps "
            f"{missing}; skhpo supports scikit-learn {SUPPORTED[0]} up to (not "
            f"including) {SUPPORTED[1]}."
        )
    return {name: cells[name] for name in _CELLS}


class Bookkeeping:
    """scikit-learn's record of one search's evaluations, read and written through
    the ``evaluate_candidates`` that ``BaseSearchCV.fit`` hands to ``_run_search``.

    It evaluates batches (:meth:`evaluate`), replays recorded ones without fitting
    (:meth:`replay`), formats every evaluation held (:meth:`results`,
    :meth:`results_with`), and keeps the search's failure log (:attr:`fit_errors`: each
    fit's error, ``None`` for a fit that succeeded, in the order of ``all_out``) and
    whether its latest formatting warned of non-finite scores, for :meth:`finish` to
    have scikit-learn issue those warnings once, at the end of the search. A search
    makes one per run of its loop (one per ``fit``).

    Parameters
    ----------
    search : BaseSearchCV
        The search being fitted (its ``scoring``, ``error_score`` and
        ``_format_results`` are used).
    evaluate_candidates : callable
        The closure ``BaseSearchCV.fit`` passed to ``_run_search``.
    """

    def __init__(self, search, evaluate_candidates):
        self._search = search
        self._evaluate_candidates = evaluate_candidates
        self._cells = _cells(evaluate_candidates)
        self.fit_errors: list = []
        self._parallel_done = False  # within evaluate: the batch's fits are all done
        self._nonfinite_held = False  # a warning of non-finite scores held back
        self._nonfinite = False  # ... by the latest formatting
        self._last_format = None  # its arguments, when not every evaluation held
        self._score_keys = None  # what a callable scorer returns: "score" or dict keys

    # -- reading ------------------------------------------------------------------------

    @property
    def n_outputs(self) -> int:
        """How many (candidate, split) outputs scikit-learn holds."""
        return len(self._cells["all_out"].cell_contents)

    def outputs(self, start: int) -> list:
        """The per-(candidate, split) outputs of ``_fit_and_score`` from ``start``."""
        return list(self._cells["all_out"].cell_contents[start:])

    @property
    def results(self) -> dict:
        """The formatted results of every batch completed so far (``{}`` before any)."""
        return self._cells["results"].cell_contents

    # -- writing ------------------------------------------------------------------------

    def evaluate(self, candidate_params, *, more_results, cv=None, callback_ctx=None,
                 on_candidate=None, propose=None, on_result=None) -> dict:
        """``evaluate_candidates``, handing each candidate's outputs (all its splits) to
        ``on_candidate(index, outputs)`` as soon as they, and those of the candidates
        before it, are in; returns the formatted results of every evaluation.

        With ``propose``, the candidates are chosen as the run goes (asynchronously):
        ``candidate_params`` are empty dicts, and just before the first fit of candidate
        ``j`` is handed to joblib (when a worker is free), ``propose(j)`` returns its
        parameters (``None``: no more candidates; the call then ends with those
        proposed). ``on_result(j, outputs)`` gets each candidate's outputs as soon as
        its own splits are done, in whatever order they finish.
        """
        try:
            return self._evaluate(candidate_params, more_results=more_results, cv=cv,
                                  callback_ctx=callback_ctx, on_candidate=on_candidate,
                                  propose=propose, on_result=on_result)
        except _EndedEarly as cut:
            # the call's fits are all in, but scikit-learn, expecting a candidate per
            # slot, added none of them: add those proposed, as it would have
            if cut.n_candidates == 0:
                return self.results
            n = cut.n_candidates
            return self.replay(list(candidate_params)[:n], cut.out,
                               {k: list(v)[:n] for k, v in more_results.items()})

    def _evaluate(self, candidate_params, *, more_results, cv, callback_ctx, on_candidate,
                  propose, on_result) -> dict:
        kwargs = {"more_results": more_results}
        if cv is not None:
            kwargs["cv"] = cv
        if callback_ctx is not None:
            kwargs["callback_ctx"] = callback_ctx
        cell = self._cells["parallel"]
        parallel = cell.cell_contents
        before, token = self.results, None
        self._parallel_done = self._nonfinite_held = False
        try:
            cell.cell_contents = _Streamed(parallel, on_candidate or (lambda j, out: None),
                                           self, propose=propose, on_result=on_result)
            token = _EVALUATING.set(self)
            return self._evaluate_candidates(candidate_params, **kwargs)
        finally:
            if token is not None:
                _EVALUATING.reset(token)
            cell.cell_contents = parallel
            self._parallel_done = False
            if self.results is not before:  # the batch was formatted
                self._nonfinite, self._last_format = self._nonfinite_held, None

    def replay(self, candidate_params, out, more_results) -> dict:
        """Add a recorded batch to the search's results as if it had just been
        evaluated (its fit errors to the failure log too); return the results, as
        ``evaluate_candidates`` would."""
        cells = self._cells
        all_params = cells["all_candidate_params"].cell_contents
        all_out = cells["all_out"].cell_contents
        all_more = cells["all_more_results"].cell_contents
        if callable(self._search.scoring):
            self._align_score_types(out, all_out)
        self.fit_errors.extend(o["fit_error"] for o in out)
        all_params.extend(candidate_params)
        all_out.extend(out)
        for key, value in more_results.items():
            all_more[key].extend(value)
        results = self._format(all_params, len(out) // len(candidate_params), all_out,
                               all_more, held=True)
        cells["results"].cell_contents = results
        return results

    def results_with(self, candidate_params, out, more_results) -> dict:
        """The formatted results of every evaluation held (the last call's too, if it
        was cut after adding them) and of ``candidate_params`` (whose outputs are
        ``out``), leaving the bookkeeping as it is; ``{}`` with none."""
        cells = self._cells
        all_out = list(cells["all_out"].cell_contents)
        out = [dict(o) for o in out]
        if callable(self._search.scoring):
            self._align_score_types(out, all_out)
        all_params = [*cells["all_candidate_params"].cell_contents, *candidate_params]
        if not all_params:
            return {}
        all_more = {k: list(v) for k, v in cells["all_more_results"].cell_contents.items()}
        for key, value in more_results.items():
            all_more.setdefault(key, []).extend(value)
        all_out += out
        return self._format(all_params, len(all_out) // len(all_params), all_out,
                            all_more)

    # -- the end of a search --------------------------------------------------------------

    def finish(self) -> None:
        """scikit-learn's warnings, once for the whole search and in its order: of the
        failed fits ("N fits failed out of a total of M", or its error if every fit
        failed), then of non-finite mean scores in the final results."""
        warn_or_raise_about_fit_failures(self.fit_errors, self._search.error_score)
        self.issue_nonfinite_warnings()

    def issue_nonfinite_warnings(self) -> None:
        """Issue the warnings of non-finite scores of the latest formatting, from
        scikit-learn's own line (by formatting the same evaluations again, unheld)."""
        if not self._nonfinite:
            return
        args = self._last_format or self._held_evaluations()
        with np.errstate(all="ignore"):  # its arithmetic warned the first time
            self._search._format_results(*args)

    # -- internals ----------------------------------------------------------------------

    def _held_evaluations(self) -> tuple:
        """``_format_results``' arguments for every evaluation held."""
        cells = self._cells
        params = cells["all_candidate_params"].cell_contents
        out = cells["all_out"].cell_contents
        return (params, len(out) // max(1, len(params)), out,
                cells["all_more_results"].cell_contents)

    def _format(self, params, n_splits, out, more, held: bool = False) -> dict:
        """Format evaluations (``held``: every evaluation held, and nothing else),
        holding back the warnings of non-finite scores."""
        self._last_format = None if held else (
            list(params), n_splits, list(out), {k: list(v) for k, v in more.items()})
        kept: list = []
        try:
            with nonfinite_warnings_kept(kept):
                return self._search._format_results(params, n_splits, out, more)
        finally:
            self._nonfinite = bool(kept)

    def _record_failures(self, out) -> None:
        if callable(self._search.scoring):
            self._align_score_types(out, self._cells["all_out"].cell_contents)
        self.fit_errors.extend(r["fit_error"] for r in out)

    def _align_score_types(self, out: list, earlier: list) -> None:
        """Give the outputs of one batch (``out``) and of the batches before it
        (``earlier``) the same kind of scores, for a callable ``scoring``.

        A callable scorer returns a number or a dict, and a failed fit is scored with a
        bare ``error_score`` either way: scikit-learn learns which from a successful fit
        of the same batch. When every fit of a batch failed, the kind is the one learnt
        from an earlier batch (the dict's keys, or ``"score"``). Failures recorded before
        the first dict came are given its keys then.
        """
        kind = self._score_keys
        learnt = next((list(r["test_scores"]) for r in out
                       if isinstance(r.get("test_scores"), dict)), None)
        if learnt is None and kind is None and any(r["fit_error"] is None for r in out):
            learnt = _SCALAR
        if learnt is not None and kind != learnt:
            self._score_keys = kind = learnt
            if kind != _SCALAR:
                _as_dicts(earlier, kind)
        if kind is not None and kind != _SCALAR:
            _as_dicts(out, kind)


def _as_dicts(outputs, keys) -> None:
    for r in outputs:
        for name in ("test_scores", "train_scores"):
            if name in r and not isinstance(r[name], dict):
                r[name] = dict.fromkeys(keys, r[name])


class _EndedEarly(Exception):
    """An asynchronous call whose strategy proposed fewer candidates than it had slots:
    carries the outputs of those it proposed, in order."""

    def __init__(self, n_candidates: int, out: list):
        super().__init__(n_candidates)
        self.n_candidates = n_candidates
        self.out = out


class _Tagged:
    """A task of ``evaluate_candidates`` that returns ``(index, output)``, so that its
    output is known for its own in joblib's unordered generator. scikit-learn's
    ``Parallel`` hands its configuration to the task it wraps (``with_config...``)."""

    def __init__(self, index: int, func):
        self.index = index
        self.func = func

    def __call__(self, *args, **kwargs):
        return self.index, self.func(*args, **kwargs)

    def with_config(self, *args, **kwargs):
        self.func = self.func.with_config(*args, **kwargs)
        return self

    def with_config_and_warning_filters(self, *args, **kwargs):
        self.func = self.func.with_config_and_warning_filters(*args, **kwargs)
        return self


class _Streamed:
    """Stands in for ``evaluate_candidates``' ``parallel`` during one call: runs the
    same tasks, in the same order, through joblib's ordered generator, and hands each
    candidate's outputs (all its splits) to ``on_candidate(index, outputs)`` as soon as
    they are in, rather than all at the end. With a joblib backend that cannot stream
    (``multiprocessing``, say) the batch runs as one call, as in scikit-learn. When the
    run is over, the bookkeeping takes the failure check and formatting that follow.

    With ``propose`` (asynchronous), the parameters of candidate ``j`` are asked for
    when joblib takes its first task, which it does as soon as a worker is free (with
    at most ``n_jobs`` tasks handed out, plus one candidate's queued), and the outputs
    come in the order the fits end: ``on_result(j, outputs)`` is called as soon as a
    candidate's splits are done, ``on_candidate`` still in the candidates' order.

    Which task is a candidate's last is read from the ``split_progress=(split,
    n_splits)`` that ``evaluate_candidates`` gives each ``_fit_and_score`` task.
    """

    def __init__(self, parallel, on_candidate, book: Bookkeeping, propose=None,
                 on_result=None):
        self._parallel = parallel
        self._on_candidate = on_candidate
        self._book = book
        self._propose = propose
        self._on_result = on_result or (lambda j, out: None)

    def __call__(self, iterable):
        out = self._run_async(iterable) if self._propose else self._run(iterable)
        self._book._parallel_done = True
        return out

    def _run(self, iterable):
        try:
            streaming = type(self._parallel)(
                n_jobs=self._parallel.n_jobs, pre_dispatch=self._parallel.pre_dispatch,
                return_as="generator")
        except ValueError:  # "Backend ... does not support return_as=generator"
            return self._parallel(iterable)
        splits = []  # (split, n_splits) of each task handed to joblib, in order

        def tasks():
            for task in iterable:
                splits.append(task[2].get("split_progress"))
                yield task

        out, start, candidate = [], 0, 0
        outputs = streaming(tasks())
        try:
            for output in outputs:
                out.append(output)
                split = splits[len(out) - 1]
                if split is not None and split[0] == split[1] - 1:
                    self._on_candidate(candidate, out[start:])
                    start, candidate = len(out), candidate + 1
        finally:
            outputs.close()  # on an interruption, joblib cancels what is left
        return out

    def _run_async(self, iterable):
        from joblib import effective_n_jobs

        parallel = self._parallel
        iterable = iter(iterable)
        first = next(iterable, None)
        if first is None:
            return []
        iterable = itertools.chain([first], iterable)
        # a task per worker, and one candidate's tasks queued: a worker that frees up
        # takes a task at once while the next candidate is being proposed
        in_flight = effective_n_jobs(parallel.n_jobs) + first[2]["split_progress"][1]
        streaming = None
        for return_as in ("generator_unordered", "generator"):  # joblib < 1.4: ordered
            try:
                # batch_size=1: joblib's automatic batching would take many tasks, and
                # so propose many candidates, at once
                streaming = type(parallel)(n_jobs=parallel.n_jobs, pre_dispatch=in_flight,
                                           batch_size=1, return_as=return_as)
                break
            except ValueError:
                continue
        state = {"n_tasks": 0, "n_splits": 1, "all": False, "error": None}

        def tasks():
            # joblib runs this in whichever thread hands out the next task
            for func, args, kwargs in iterable:
                split, n_splits = kwargs["split_progress"]
                state["n_splits"] = n_splits
                if split == 0:
                    try:
                        params = self._propose(state["n_tasks"] // n_splits)
                    except Exception as e:  # raised in the caller's thread, once the
                        state["error"] = e  # fits handed out are in
                        return
                    if params is None:
                        return
                    kwargs["parameters"].update(params)
                yield _Tagged(state["n_tasks"], func), args, kwargs
                state["n_tasks"] += 1
            state["all"] = True

        out: dict = {}
        n_in: dict = {}  # candidate -> splits done
        kept = 0
        # a backend that cannot stream runs the call whole, its results at the end
        outputs = streaming(tasks()) if streaming is not None else iter(parallel(tasks()))
        try:
            for t, output in outputs:
                out[t] = output
                k = state["n_splits"]
                j = t // k
                n_in[j] = n_in.get(j, 0) + 1
                if n_in[j] == k:
                    self._on_result(j, [out[j * k + s] for s in range(k)])
                while n_in.get(kept, 0) == k:
                    self._on_candidate(kept, [out[kept * k + s] for s in range(k)])
                    kept += 1
        finally:
            if hasattr(outputs, "close"):
                outputs.close()
        if state["error"] is not None:
            raise state["error"]
        ordered = [out[t] for t in range(state["n_tasks"])]
        if not state["all"]:
            raise _EndedEarly(state["n_tasks"] // state["n_splits"], ordered)
        return ordered

    def __getattr__(self, name):
        return getattr(self._parallel, name)
