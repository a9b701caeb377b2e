"""Imports of the peer libraries, their versions, and the command of a smoke check.

The peers are optional: a missing one only disables its methods.  Run
``python -m benchmarks._peers`` to print the versions and check that every
peer can run a tiny search with the installed scikit-learn / numpy
(:func:`benchmarks.methods.check`).

Known packaging gap: ``sklearn-genetic-opt`` imports ``pandas`` without
declaring it, so ``pandas`` is listed in ``benchmarks/requirements.txt``.
No code shim is needed for the versions listed there.
"""

from __future__ import annotations

import contextlib
import importlib
import platform
import sys
import warnings
from importlib import metadata

#: Distributions whose versions are recorded with every result.
DISTRIBUTIONS = (
    "skhpo", "scikit-learn", "numpy", "scipy", "joblib", "threadpoolctl",
    "scikit-optimize", "optuna", "optuna-integration", "sklearn-genetic-opt",
    "deap", "pandas",
)


def versions() -> dict:
    """Installed version of each distribution in :data:`DISTRIBUTIONS`."""
    out = {"python": platform.python_version()}
    for dist in DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


@contextlib.contextmanager
def quiet():
    """Silence warnings and optuna's per-trial logging.

    Searches deliberately try poor configurations (convergence warnings,
    degenerate trees, ...); failures still show up as NaN scores.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import optuna
        except ImportError:
            yield
            return
        level = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        try:
            yield
        finally:
            optuna.logging.set_verbosity(level)


def load(module: str):
    """Import ``module`` (inside :func:`quiet`, import-time warnings included)."""
    with quiet():
        return importlib.import_module(module)


if __name__ == "__main__":
    # the check lives with the methods it runs, which import this module (load,
    # quiet); imported only when this module runs as a command, it makes no cycle
    from benchmarks.methods import check

    sys.exit(0 if check(sys.argv[1:] or None) else 1)
