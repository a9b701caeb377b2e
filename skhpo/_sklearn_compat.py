"""The one module that imports private scikit-learn names.

A scikit-learn release that moves one of them breaks this file only. It also holds the
one behaviour skhpo changes in scikit-learn: *failure isolation* for its own searches.

``BaseSearchCV.fit``'s ``evaluate_candidates`` raises ``ValueError`` when every fit of one
call fails. For a search that evaluates one candidate (or a few) per call, that aborts the
whole search on the first misconfigured candidate, losing every result so far. For
searches that opt in (by holding a list in the attribute ``_skhpo_fit_failures``
while ``_run_search`` runs), the check below records each fit's error instead and only warns;
the search raises scikit-learn's own "All the fits failed" error once, at the end, if
*every* fit of the whole search failed, as ``GridSearchCV`` would. Every other caller,
any ``GridSearchCV`` included, gets scikit-learn's behaviour unchanged.
"""

from __future__ import annotations

import sys
import warnings

from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import _search as _sk_search
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _num_samples as num_samples

__all__ = [
    "BaseSearchCV",
    "HasMethods",
    "Interval",
    "StrOptions",
    "num_samples",
    "raise_if_all_fits_failed",
]

_warn_or_raise_about_fit_failures = _sk_search._warn_or_raise_about_fit_failures


def _isolating_warn_or_raise(results, error_score):
    """Drop-in for scikit-learn's check, called from ``evaluate_candidates``."""
    search = sys._getframe(1).f_locals.get("self")
    log = getattr(search, "_skhpo_fit_failures", None)
    if not isinstance(log, list):
        return _warn_or_raise_about_fit_failures(results, error_score)
    errors = [r["fit_error"] for r in results]
    log.extend(errors)
    n_failed = sum(e is not None for e in errors)
    if n_failed and n_failed == len(errors):
        first = next(e for e in errors if e is not None)
        warnings.warn(
            f"\nAll {n_failed} fits of this batch of candidates failed; they are scored "
            f"error_score={error_score!r} and the search goes on. The first error:\n"
            f"{first}",
            FitFailedWarning,
        )
    else:
        _warn_or_raise_about_fit_failures(results, error_score)


if getattr(_sk_search._warn_or_raise_about_fit_failures, "__name__", "") != (
    "_isolating_warn_or_raise"
):
    _sk_search._warn_or_raise_about_fit_failures = _isolating_warn_or_raise


def raise_if_all_fits_failed(fit_errors: list, error_score) -> None:
    """scikit-learn's error when every fit of a whole search failed."""
    if fit_errors and all(e is not None for e in fit_errors):
        _warn_or_raise_about_fit_failures(
            [{"fit_error": e} for e in fit_errors], error_score
        )
