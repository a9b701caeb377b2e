"""Imports of the peer libraries, their versions, and a smoke check.

The peers are optional: a missing one only disables its methods.  Run
``python -m benchmarks._peers`` to print the versions and check that every
peer can run a tiny search with the installed scikit-learn / numpy.

Known packaging gap: ``sklearn-genetic-opt`` imports ``pandas`` without
declaring it, so ``pandas`` is listed in ``benchmarks/requirements.txt``.
No code shim is needed for the versions listed there.
"""

from __future__ import annotations

import contextlib
import importlib
import platform
import sys
import traceback
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


def _check_search(name):
    """Fit a 4-evaluation search of method ``name`` on a tiny problem."""
    from benchmarks.methods import run_method
    from benchmarks.problems import PROBLEMS

    problem = PROBLEMS["logreg-breast_cancer"]
    X, y, cv = problem.load()
    res = run_method(name, problem, X, y, cv, budget=4, seed=0)
    if res.get("error"):
        raise RuntimeError(res["error"])
    return f"{len(res['scores'])} evaluations, best {max(res['scores']):.4f}"


def check(methods=None) -> bool:
    """Print versions and run :func:`_check_search` for each method."""
    from benchmarks.methods import METHODS

    for k, v in versions().items():
        print(f"{k:22s} {v}")
    ok = True
    for name in methods or METHODS:
        try:
            print(f"[ok]   {name}: {_check_search(name)}")
        except Exception:  # report every peer, then fail
            ok = False
            print(f"[FAIL] {name}:\n{traceback.format_exc()}")
    return ok


if __name__ == "__main__":
    sys.exit(0 if check(sys.argv[1:] or None) else 1)
