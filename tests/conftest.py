import os

# The test suite runs in parallel processes (pytest-xdist) on small problems: one BLAS
# thread per process avoids oversubscribing the cores, which makes small fits orders of
# magnitude slower on a busy machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)
