"""Acquisition functions: pure functions of a posterior ``(mean, std)`` and the best loss.

Every function here is written for *minimising* a loss (skhpo's strategies minimise the
negated, standardised score) and returns a utility to be *maximised*. All accept arrays of
any shape and broadcast.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["log_expected_improvement", "log_probability_of_improvement",
           "lower_confidence_bound", "ACQUISITIONS"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_HALF_LOG_PI_OVER_2 = 0.5 * math.log(math.pi / 2.0)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_ASYMPTOTIC_BELOW = -1.0 / math.sqrt(np.finfo(float).eps)


def _log1mexp(a: np.ndarray) -> np.ndarray:
    """``log(1 - exp(a))`` for ``a <= 0``, accurate at both ends (Maechler, 2012)."""
    a = np.minimum(a, -1e-300)
    return np.where(a > -math.log(2.0), np.log(-np.expm1(a)), np.log1p(-np.exp(a)))


def _log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z * Phi(z))``, stable for very negative ``z``.

    For ``z > -1`` the direct formula is exact enough. Below, with the scaled
    complementary error function ``erfcx``,
    ``h(z) = phi(z) * (1 - sqrt(pi/2) |z| erfcx(|z| / sqrt 2))``, whose logarithm is
    computed with :func:`_log1mexp`; below ``-1/sqrt(eps)`` the asymptote
    ``log phi(z) - 2 log|z|`` is used (Ament et al., 2023, "Unexpected Improvements to
    Expected Improvement for Bayesian Optimization", eq. 9).
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(
        np.exp(-0.5 * zu * zu - _LOG_SQRT_2PI) + zu * special.ndtr(zu)
    )
    mid = ~upper & (z > _ASYMPTOTIC_BELOW)
    zm = z[mid]
    a = np.log(special.erfcx(-zm * _INV_SQRT2) * np.abs(zm)) + _HALF_LOG_PI_OVER_2
    out[mid] = -0.5 * zm * zm - _LOG_SQRT_2PI + _log1mexp(a)
    low = ~upper & ~mid
    zl = z[low]
    out[low] = -0.5 * zl * zl - _LOG_SQRT_2PI - 2.0 * np.log(np.abs(zl))
    return out


def log_expected_improvement(mean, std, best, xi: float = 0.0):
    """Logarithm of the expected improvement over ``best``.

    ``EI(x) = E[max(best - xi - f(x), 0)] = std * h(z)`` with
    ``z = (best - xi - mean) / std`` and ``h(z) = phi(z) + z Phi(z)``, so
    ``log EI = log std + log h(z)``, which stays finite and informative where EI itself
    underflows to zero (Ament et al., 2023).

    Parameters
    ----------
    mean, std : array-like
        Posterior mean and standard deviation (``std > 0``) of the loss.
    best : float
        Best (lowest) loss observed.
    xi : float, default=0.0
        Minimum improvement worth having.
    """
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    z = (best - xi - mean) / std
    return np.log(std) + _log_h(z)


def log_probability_of_improvement(mean, std, best, xi: float = 0.0):
    """Logarithm of the probability that the loss is below ``best - xi``:
    ``log Phi((best - xi - mean) / std)``."""
    z = (best - xi - np.asarray(mean, dtype=float)) / np.asarray(std, dtype=float)
    return special.log_ndtr(z)


def lower_confidence_bound(mean, std, best=None, kappa: float = 1.96):
    """Negated lower confidence bound ``-(mean - kappa * std)``: high where the loss
    could be low. ``best`` is ignored (accepted for a uniform signature)."""
    return -(np.asarray(mean, dtype=float) - kappa * np.asarray(std, dtype=float))


ACQUISITIONS = {
    "ei": log_expected_improvement,
    "pi": log_probability_of_improvement,
    "lcb": lower_confidence_bound,
}
