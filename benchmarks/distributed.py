"""Distributed suite: how busy a search keeps the workers of a dask cluster.

A ``dask.distributed.LocalCluster`` with ``--workers`` worker processes (default 2, one
thread each) runs every search through joblib's ``"dask"`` backend, unchanged. Each
search tunes a ``RandomForestClassifier(n_estimators=50)`` on a 4000 x 20
``make_classification`` set with 3-fold CV (24 candidates for BayesSearchCV and
EvolutionSearchCV; one Hyperband iteration with ``resource="n_estimators"``).

*Utilisation* = the time the workers spent computing tasks (from dask's task stream:
the union of each worker's compute intervals) / (the search's wall time x number of
workers): 1.0 means no worker ever waited. The forest fits with ``n_jobs=1`` so that it
does not spread its own trees over the cluster. A batch of
``b`` candidates x ``k`` folds gives ``b * k`` tasks; workers idle when that is not a
multiple of the number of workers, while the strategy proposes the next batch, and when
tasks differ in length. With ``n_points=None`` (the default) and several workers,
BayesSearchCV and EvolutionSearchCV make one parallel call in which each candidate is
proposed when a worker is free to fit it.
"""

from __future__ import annotations

import time


from benchmarks._peers import load, quiet
from benchmarks.report import fmt, header_md, table

N_SPLITS = 3


def _data(n_samples):
    from sklearn.datasets import make_classification

    return make_classification(n_samples=n_samples, n_features=20, n_informative=10,
                               random_state=0)


def _busy_seconds(tasks, start, end):
    """Sum over workers of the union of their compute intervals in [start, end]."""
    per_worker: dict = {}
    for task in tasks:
        for ss in task.get("startstops", ()):
            if ss.get("action") == "compute":
                per_worker.setdefault(task["worker"], []).append(
                    (max(ss["start"], start), min(ss["stop"], end)))
    total = 0.0
    for intervals in per_worker.values():
        intervals.sort()
        cur_start, cur_end = None, None
        for a, b in intervals:
            if b <= a:
                continue
            if cur_end is None or a > cur_end:
                if cur_end is not None:
                    total += cur_end - cur_start
                cur_start, cur_end = a, b
            else:
                cur_end = max(cur_end, b)
        if cur_end is not None:
            total += cur_end - cur_start
    return total


def _configs(n_iter):
    """(name, make, asynchronous) of each search measured."""
    from scipy.stats import randint, uniform

    skhpo = load("skhpo")
    space = {"max_depth": randint(2, 16), "min_samples_leaf": randint(1, 20),
             "max_features": uniform(0.1, 0.9)}
    configs = [("BayesSearchCV() (default: asynchronous)",
                lambda est: skhpo.BayesSearchCV(est, space, n_iter=n_iter,
                                                n_initial_points=8, random_state=0),
                True)]
    for n_points in (1, 2, 4, 8):
        configs.append((f"BayesSearchCV(n_points={n_points})",
                        lambda est, n_points=n_points: skhpo.BayesSearchCV(
                            est, space, n_iter=n_iter, n_points=n_points,
                            n_initial_points=8, random_state=0), False))
    configs.append(("EvolutionSearchCV(population_size=8) (default: asynchronous)",
                    lambda est: skhpo.EvolutionSearchCV(est, space, n_iter=n_iter,
                                                        population_size=8,
                                                        random_state=0), True))
    configs.append(("EvolutionSearchCV(population_size=8, n_points=8)",
                    lambda est: skhpo.EvolutionSearchCV(est, space, n_iter=n_iter,
                                                        population_size=8, n_points=8,
                                                        random_state=0), False))
    configs.append(("HyperbandSearchCV(resource='n_estimators')",
                    lambda est: skhpo.HyperbandSearchCV(
                        est, space, resource="n_estimators", min_resources=6,
                        max_resources=54, random_state=0), False))
    return configs


def run(n_workers, n_iter, n_samples, log=print):
    distributed = load("distributed")
    joblib = load("joblib")
    from sklearn.ensemble import RandomForestClassifier

    X, y = _data(n_samples)
    rows = []
    with distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                  processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        client.run(lambda: __import__("sklearn"))  # workers warm before timing
        for name, make, asynchronous in _configs(n_iter):
            search = make(RandomForestClassifier(n_estimators=50, n_jobs=1,
                                                 random_state=0))
            search.set_params(cv=N_SPLITS, refit=False, n_jobs=-1)
            with quiet(), distributed.get_task_stream(client) as stream, \
                    joblib.parallel_backend("dask"):
                start = time.time()
                search.fit(X, y)
                end = time.time()
            wall = end - start
            res = search.cv_results_
            busy = _busy_seconds(stream.data, start, end)
            # an asynchronous search makes one parallel call for all its candidates
            batches = 1 if asynchronous else len(set(zip(res.get("bracket", res["iter"]),
                                                         res["iter"])))
            n_cands = len(res["params"])
            rows.append({"search": name, "wall": wall, "busy": busy,
                         "utilisation": busy / (wall * n_workers),
                         "candidates": n_cands, "batches": batches,
                         "tasks_per_batch": n_cands * N_SPLITS / batches})
            log(f"[distributed] {name:45s} wall {wall:.1f}s utilisation "
                f"{rows[-1]['utilisation']:.2f}")
    return rows


def markdown(rows, env, n_workers, n_iter, n_samples):
    parts = [header_md("Worker utilisation on a dask cluster", env),
             __doc__.split("\n\n", 1)[1],
             f"\n{n_workers} workers, {n_iter} candidates, {n_samples} samples.\n",
             table(["search", "candidates", "parallel calls", "tasks per call",
                    "busy s", "wall s", "utilisation"],
                   [[r["search"], str(r["candidates"]), str(r["batches"]),
                     fmt(r["tasks_per_batch"], ".1f"), fmt(r["busy"], ".1f"),
                     fmt(r["wall"], ".1f"), fmt(r["utilisation"], ".2f")]
                    for r in rows])]
    return "\n".join(parts) + "\n"


def main(n_workers, n_iter, n_samples, env, log=print):
    rows = run(n_workers, n_iter, n_samples, log=log)
    return markdown(rows, env, n_workers, n_iter, n_samples), {"results": rows,
                                                               "env": env}
