"""Keep the strategies' small linear algebra on one BLAS thread.

The Gaussian-process matrices are a few hundred rows wide: at that size a multi-threaded
BLAS spends more time synchronising than computing (a 200 x 200 Cholesky factorisation
took 0.2 ms on one thread and 4 to 15 ms on two threads of a busy two-core machine), and
the cores are better left to the joblib workers that fit estimators.
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
