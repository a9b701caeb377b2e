import os

# The test suite runs in parallel processes (pytest-xdist) on small problems: one BLAS
# thread per process avoids oversubscribing the cores, which makes small fits orders of
# magnitude slower on a busy machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)


import threading  # noqa: E402

import pytest  # noqa: E402

from tests._helpers import join_worker_threads  # noqa: E402


@pytest.fixture(autouse=True)
def _no_fit_outlives_its_test():
    """Wait for the worker threads a test started (joblib's threading backend) to end.

    When a fit raises, joblib returns at once while the other threads finish the fits
    they hold; such a thread leaving scikit-learn's ``catch_warnings`` block after the
    next test entered its own restores the warnings filters of before, and the next
    test's recorded warnings go missing.
    """
    before = set(threading.enumerate())
    yield
    join_worker_threads(before)
