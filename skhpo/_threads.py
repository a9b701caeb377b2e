"""Keep the strategies' small linear algebra on one BLAS thread.

The Gaussian-process matrices are a few hundred rows wide: at that size a multi-threaded
BLAS spends more time synchronising than computing, and far more when the cores are busy
with the joblib workers that fit estimators. On a two-core machine a 200 x 200 Cholesky
factorisation took a median 0.19 ms on one thread and 0.23 ms on two while the machine
ran no spinning processes; with both cores busy, 0.20 ms on one thread and 240 ms on two
(``benchmarks/results/main-process-20261124-052309.md``, ``python -m
benchmarks.main_process``).
"""

from __future__ import annotations

import contextlib

# threadpoolctl is installed with (and required by) scikit-learn
from threadpoolctl import ThreadpoolController

_controller = None


@contextlib.contextmanager
def single_threaded_blas():
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        yield
