"""What a search's main process spends between parallel batches.

Two figures that the library's docstrings quote:

- **BLAS threads** (``skhpo/_threads.py``): the median time of a Cholesky factorisation
  of a 200 x 200 matrix (the size of a Gaussian process's kernel matrix at 200
  observations) with the BLAS limited to one thread and to as many threads as cores,
  on an idle machine and on a *busy* one, where one process per core spins as joblib
  workers fitting estimators would.
- **Breeding** (``EvolutionSearchCV``'s notes): the median time of one generation of
  ``EvolutionOptimizer`` (``ask(population_size)`` and the ``tell`` of its scores) on
  the overhead suite's six-dimensional mixed space, after ``n`` earlier evaluations.

::

    python -m benchmarks.main_process

Writes ``benchmarks/results/main-process-<timestamp>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time

import numpy as np

from benchmarks import space as sp
from benchmarks.overhead import SPACE, objective
from benchmarks.report import environment, fmt, header_md, table, write


def _spin(stop):
    while not stop.is_set():
        pass


class _Busy:
    """One spinning process per core while the block runs (``n=0``: none)."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        ctx = multiprocessing.get_context("spawn")
        self.stop = ctx.Event()
        self.procs = [ctx.Process(target=_spin, args=(self.stop,), daemon=True)
                      for _ in range(self.n)]
        for p in self.procs:
            p.start()
        time.sleep(0.5 if self.procs else 0.0)  # let them start spinning
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for p in self.procs:
            p.join()


def cholesky_seconds(n_threads, size=200, repeats=200, seed=0):
    """Seconds per Cholesky factorisation of a ``size`` x ``size`` SPD matrix."""
    from scipy.linalg import cho_factor
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    a = rng.standard_normal((size, size))
    k = a @ a.T + size * np.eye(size)
    out = []
    with threadpool_limits(limits=n_threads, user_api="blas"):
        cho_factor(k)  # warm up the threads
        for _ in range(repeats):
            t0 = time.perf_counter()
            cho_factor(k)
            out.append(time.perf_counter() - t0)
    return out


def generation_seconds(n_seen, population_size=10, repeats=20, seed=0):
    """Seconds per generation (ask + tell) of ``EvolutionOptimizer`` after ``n_seen``
    evaluations, ``repeats`` generations in a row."""
    from skhpo.strategies import EvolutionOptimizer

    rng = np.random.default_rng(seed)
    opt = EvolutionOptimizer(sp.to_skhpo(SPACE), population_size=population_size,
                             random_state=seed)
    points = sp.sample(SPACE, n_seen, rng)
    opt.tell(points, [objective(p) for p in points])
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        batch = opt.ask(population_size)
        t1 = time.perf_counter()
        scores = [objective(p) for p in batch]
        t2 = time.perf_counter()
        opt.tell(batch, scores)
        out.append(t1 - t0 + time.perf_counter() - t2)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.main_process",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None, help="results directory")
    args = ap.parse_args(argv)
    env = environment("python -m benchmarks.main_process " + " ".join(sys.argv[1:]))
    cores = os.cpu_count() or 1

    blas = []
    for load, n_busy in (("idle", 0), ("busy", cores)):
        with _Busy(n_busy):
            for n_threads in sorted({1, cores}):
                times = cholesky_seconds(n_threads)
                blas.append({"machine": load, "blas_threads": n_threads,
                             "median_ms": 1e3 * float(np.median(times)),
                             "p90_ms": 1e3 * float(np.quantile(times, 0.9)),
                             "seconds": times})
                print(f"cholesky 200, {load}, {n_threads} thread(s): "
                      f"{blas[-1]['median_ms']:.3f} ms median", flush=True)

    breeding = []
    for n_seen in (50, 200, 500):
        times = generation_seconds(n_seen)
        breeding.append({"n_seen": n_seen, "population_size": 10,
                         "median_ms": 1e3 * float(np.median(times)),
                         "max_ms": 1e3 * float(np.max(times)), "seconds": times})
        print(f"generation of 10 after {n_seen}: {breeding[-1]['median_ms']:.2f} ms "
              "median", flush=True)

    md = header_md("What the main process spends between batches", env)
    md += ("\n## Cholesky factorisation, 200 x 200 (200 repeats)\n\n"
           f"Busy: one spinning process per core ({cores}).\n\n")
    md += table(["machine", "BLAS threads", "median ms", "90th percentile ms"],
                [[b["machine"], b["blas_threads"], fmt(b["median_ms"], ".3f"),
                  fmt(b["p90_ms"], ".3f")] for b in blas])
    md += ("\n\n## EvolutionOptimizer, one generation of 10 (ask + tell, 20 generations)"
           "\n\n")
    md += table(["evaluations before", "median ms", "max ms"],
                [[b["n_seen"], fmt(b["median_ms"], ".2f"), fmt(b["max_ms"], ".2f")]
                 for b in breeding])
    md += "\n"
    path = write("main-process", md, {"env": env, "cholesky": blas,
                                      "breeding": breeding}, args.out)
    print(path)


if __name__ == "__main__":
    main()
