"""The one module that imports private scikit-learn names.

A scikit-learn release that moves one of them breaks this file only. It also holds the
two behaviours skhpo changes in scikit-learn, both for its own searches only: *failure
isolation*, and warnings of non-finite scores given once per search, not per batch
(:class:`_SearchModuleWarnings`).

``BaseSearchCV.fit``'s ``evaluate_candidates`` raises ``ValueError`` when every fit of one
call fails. For a search that evaluates one candidate (or a few) per call, that aborts the
whole search on the first misconfigured candidate, losing every result so far. For
searches that opt in (by holding a list in the attribute ``_skhpo_fit_failures``
while ``_run_search`` runs), the check below only records each fit's error; at the end
of the search, scikit-learn's own check runs once on every fit of the whole search: it
warns "N fits failed out of a total of M", or raises its "All the N fits failed" error
if *every* fit failed, as ``GridSearchCV`` would. Every other caller, any
``GridSearchCV`` included, gets scikit-learn's behaviour unchanged.
"""

from __future__ import annotations

import re
import sys
import threading
import warnings
from contextlib import contextmanager
from typing import NamedTuple

from sklearn.model_selection import _search as _sk_search
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _num_samples as num_samples

__all__ = [
    "BaseSearchCV",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "num_samples",
    "batch_outputs",
    "replay_batch",
    "results_so_far",
    "results_with",
    "streamed",
    "n_outputs",
    "held_warnings",
    "nonfinite_warnings_kept",
    "SCORER_WITHOUT_WEIGHTS",
    "reissue",
    "warn_or_raise_about_fit_failures",
    "align_score_types",
    "check_param_value",
]


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

_warn_or_raise_about_fit_failures = _sk_search._warn_or_raise_about_fit_failures


def _isolating_warn_or_raise(results, error_score):
    """Drop-in for scikit-learn's check, called from ``evaluate_candidates``: for a
    search that opted in, the batch's fit errors are only recorded, for one summary at
    the end of the search (:func:`warn_or_raise_about_fit_failures`)."""
    frame = sys._getframe(1)
    search = frame.f_locals.get("self")
    log = getattr(search, "_skhpo_fit_failures", None)
    if not isinstance(log, list):
        return _warn_or_raise_about_fit_failures(results, error_score)
    if callable(search.scoring):
        align_score_types(search, results, frame.f_locals.get("all_out") or [])
    log.extend(r["fit_error"] for r in results)


_SCALAR = "score"  # a callable scorer that returns a number


def align_score_types(search, out: list, earlier: list) -> None:
    """Give the outputs of one batch (``out``) and of the batches before it
    (``earlier``) the same kind of scores, for a callable ``scoring``.

    A callable scorer returns a number or a dict, and a failed fit is scored with a bare
    ``error_score`` either way: scikit-learn learns which from a successful fit of the
    same batch. When every fit of a batch failed, the kind is the one learnt from an
    earlier batch (``search._skhpo_score_keys``: the dict's keys, or ``"score"``).
    Failures recorded before the first dict came are given its keys then.
    """
    kind = getattr(search, "_skhpo_score_keys", None)
    learnt = next((list(r["test_scores"]) for r in out
                   if isinstance(r.get("test_scores"), dict)), None)
    if learnt is None and kind is None and any(r["fit_error"] is None for r in out):
        learnt = _SCALAR
    if learnt is not None and kind != learnt:
        search._skhpo_score_keys = kind = learnt
        if kind != _SCALAR:
            _as_dicts(earlier, kind)
    if kind is not None and kind != _SCALAR:
        _as_dicts(out, kind)


def _as_dicts(outputs, keys) -> None:
    for r in outputs:
        for name in ("test_scores", "train_scores"):
            if name in r and not isinstance(r[name], dict):
                r[name] = dict.fromkeys(keys, r[name])


if getattr(_sk_search._warn_or_raise_about_fit_failures, "__name__", "") != (
    "_isolating_warn_or_raise"
):
    _sk_search._warn_or_raise_about_fit_failures = _isolating_warn_or_raise


def warn_or_raise_about_fit_failures(fit_errors: list, error_score) -> None:
    """scikit-learn's summary of a whole search's failed fits, as ``RandomizedSearchCV``
    gives it after its one batch: a ``FitFailedWarning`` ("N fits failed out of a total
    of M", with the errors), or its error if every fit failed."""
    if any(e is not None for e in fit_errors):
        _warn_or_raise_about_fit_failures(
            [{"fit_error": e} for e in fit_errors], error_score
        )


# scikit-learn's warning, at each formatting of the results, that a mean score is not
# finite (``BaseSearchCV._format_results``)
_NONFINITE = r"One or more of the \w+ scores are non-finite"
# and its warning, at each routing of fit parameters, that a scorer takes no weights
SCORER_WITHOUT_WEIGHTS = r"The scoring .* does not support sample_weight"


class _Kept(NamedTuple):
    """A warning scikit-learn issued while a skhpo search kept it, and from where."""

    message: str
    category: type
    filename: str
    lineno: int


class _SearchModuleWarnings:
    """Stands in for the ``warnings`` module in scikit-learn's ``_search.py``.

    Every call passes through, but for one: within :func:`held_warnings`, in its
    thread, ``warn`` holds the warnings whose message matches rather than issuing them
    (a skhpo search holds scikit-learn's warning of non-finite scores while it formats
    each batch's results, to issue the last once at its end). The process's warnings
    filters are never touched, so searches in other threads, and other code, are left
    alone.
    """

    def __init__(self, module):
        self._module = module
        self._local = threading.local()

    def __getattr__(self, name):
        return getattr(self._module, name)

    def warn(self, message, category=None, stacklevel=1, *args, **kwargs):
        for pattern, held in reversed(getattr(self._local, "holds", ())):
            if re.match(pattern, str(message)):
                caller = sys._getframe(stacklevel)
                held.append(_Kept(str(message), category or UserWarning,
                                  caller.f_code.co_filename, caller.f_lineno))
                return None
        return self._module.warn(message, category, stacklevel + 1, *args, **kwargs)


if not isinstance(getattr(_sk_search, "warnings", None), _SearchModuleWarnings):
    _sk_search.warnings = _SearchModuleWarnings(warnings)


@contextmanager
def held_warnings(pattern: str):
    """Within the block, in this thread, the warnings of scikit-learn's search module
    whose message matches ``pattern`` go to the list this yields, not to the user."""
    local = _sk_search.warnings._local
    outer = getattr(local, "holds", ())
    held: list = []
    local.holds = (*outer, (pattern, held))
    try:
        yield held
    finally:
        local.holds = outer


@contextmanager
def nonfinite_warnings_kept(kept: list):
    """Within the block, in this thread, scikit-learn's warnings of non-finite scores
    are kept rather than issued; when it ends, ``kept`` holds them (and only them)."""
    with held_warnings(_NONFINITE) as held:
        try:
            yield
        finally:
            kept[:] = held


def reissue(w: _Kept) -> None:
    """Issue a kept warning as scikit-learn would have: from its line, as its module
    (so filters on the module, and the "default" action's once per line, apply)."""
    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                           module=_sk_search.__name__,
                           registry=_sk_search.__dict__.setdefault("__warningregistry__",
                                                                   {}),
                           module_globals=_sk_search.__dict__)


# -- checkpoints: reading and replaying evaluate_candidates' bookkeeping --------------------
#
# ``BaseSearchCV.fit`` keeps every evaluation in lists local to ``fit`` that its closure
# ``evaluate_candidates`` appends to. A checkpointed search reads the raw outputs of a new
# batch from them, and replays a recorded batch into them without fitting anything, so
# that ``cv_results_`` is scikit-learn's own formatting of old and new evaluations alike.

_CELLS = ("all_candidate_params", "all_out", "all_more_results", "results", "parallel")


def _cells(evaluate_candidates) -> dict:
    code = getattr(evaluate_candidates, "__code__", None)
    closure = getattr(evaluate_candidates, "__closure__", None) or ()
    cells = dict(zip(code.co_freevars, closure)) if code is not None else {}
    missing = [name for name in _CELLS if name not in cells]
    if missing:
        raise RuntimeError(
            "This scikit-learn version's BaseSearchCV.evaluate_candidates no longer "
            f"keeps {missing}; skhpo's checkpoints cannot work with it."
        )
    return cells


def batch_outputs(evaluate_candidates, start: int) -> list:
    """The per-(candidate, split) outputs of ``_fit_and_score`` from index ``start``."""
    return list(_cells(evaluate_candidates)["all_out"].cell_contents[start:])


def n_outputs(evaluate_candidates) -> int:
    return len(_cells(evaluate_candidates)["all_out"].cell_contents)


def replay_batch(evaluate_candidates, search, candidate_params, out, more_results):
    """Add a recorded batch to the search's results as if it had just been evaluated;
    return the results, as ``evaluate_candidates`` would."""
    cells = _cells(evaluate_candidates)
    all_params = cells["all_candidate_params"].cell_contents
    all_out = cells["all_out"].cell_contents
    all_more = cells["all_more_results"].cell_contents
    if callable(search.scoring):
        align_score_types(search, out, all_out)
    all_params.extend(candidate_params)
    all_out.extend(out)
    for key, value in more_results.items():
        all_more[key].extend(value)
    n_splits = len(out) // len(candidate_params)
    results = search._format_results(all_params, n_splits, all_out, all_more)
    cells["results"].cell_contents = results
    return results


def results_with(evaluate_candidates, search, candidate_params, out, more_results):
    """The formatted results of every evaluation ``evaluate_candidates`` holds (its
    last call's too, if it was cut after adding them) and of ``candidate_params``
    (whose outputs are ``out``), leaving the search's bookkeeping as it is; ``{}``
    with none."""
    cells = _cells(evaluate_candidates)
    all_out = list(cells["all_out"].cell_contents)
    out = [dict(o) for o in out]
    if callable(search.scoring):
        align_score_types(search, out, all_out)
    all_params = [*cells["all_candidate_params"].cell_contents, *candidate_params]
    if not all_params:
        return {}
    all_more = {k: list(v) for k, v in cells["all_more_results"].cell_contents.items()}
    for key, value in more_results.items():
        all_more.setdefault(key, []).extend(value)
    all_out += out
    return search._format_results(all_params, len(all_out) // len(all_params), all_out,
                                  all_more)


class _Streamed:
    """Stands in for ``evaluate_candidates``' ``parallel`` during one call: runs the
    same tasks, in the same order, through joblib's ordered generator, and hands each
    candidate's outputs (all its splits) to ``on_candidate(index, outputs)`` as soon as
    they are in, rather than all at the end. With a joblib backend that cannot stream
    (``multiprocessing``, say) the batch runs as one call, as in scikit-learn.

    Which task is a candidate's last is read from the ``split_progress=(split,
    n_splits)`` that ``evaluate_candidates`` gives each ``_fit_and_score`` task.
    """

    def __init__(self, parallel, on_candidate):
        self._parallel = parallel
        self._on_candidate = on_candidate

    def __call__(self, iterable):
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

    def __getattr__(self, name):
        return getattr(self._parallel, name)


@contextmanager
def streamed(evaluate_candidates, on_candidate):
    """Within this context, ``evaluate_candidates`` hands each candidate's outputs to
    ``on_candidate(index, outputs)`` as they complete (see :class:`_Streamed`)."""
    cell = _cells(evaluate_candidates)["parallel"]
    parallel = cell.cell_contents
    cell.cell_contents = _Streamed(parallel, on_candidate)
    try:
        yield
    finally:
        cell.cell_contents = parallel


def results_so_far(evaluate_candidates):
    """The formatted results of every batch completed so far (``{}`` before any)."""
    return _cells(evaluate_candidates)["results"].cell_contents
