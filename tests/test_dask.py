"""Searches run unchanged on a dask.distributed cluster (joblib's "dask" backend)."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.linear_model import LogisticRegression

from skhpo import BayesSearchCV, EvolutionSearchCV, HyperbandSearchCV
from skhpo._run import asynchronous_workers
from skhpo.space import Real
from tests._helpers import X_IRIS, Y_IRIS

distributed = pytest.importorskip("distributed")

SPACE = {"C": Real(1e-3, 1e2, log=True), "fit_intercept": [True, False]}
SEARCHES = {
    BayesSearchCV: dict(n_iter=8, n_initial_points=4, n_points=4),
    EvolutionSearchCV: dict(n_iter=8, population_size=4, n_points=4),
    HyperbandSearchCV: dict(n_brackets=2, sampler="bayes"),
}


@pytest.fixture(scope="module")
def client():
    # a real cluster: two worker processes, on loopback
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.mark.parametrize("cls", list(SEARCHES), ids=lambda c: c.__name__)
def test_same_results_on_a_dask_cluster_as_locally(cls, client, tmp_path):
    def search(**kwargs):
        return cls(LogisticRegression(max_iter=300), SPACE, cv=3, random_state=0,
                   **SEARCHES[cls], **kwargs)

    local = search(n_jobs=1).fit(X_IRIS, Y_IRIS)
    with distributed.get_task_stream(client) as stream, parallel_backend("dask"):
        remote = search(n_jobs=-1, checkpoint=tmp_path / "c.jsonl").fit(X_IRIS, Y_IRIS)
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    # the fits ran on both of the cluster's workers
    assert {task["worker"] for task in stream.data} == set(
        client.scheduler_info()["workers"])


@pytest.mark.parametrize("cls", [BayesSearchCV, EvolutionSearchCV], ids=lambda c: c.__name__)
def test_the_asynchronous_default_keeps_the_cluster_busy(cls, client, tmp_path):
    # n_points=None: each candidate is proposed when a worker is free; every candidate
    # is evaluated once, on both workers, and the checkpoint holds them all
    space = {"C": Real(1e-3, 1e2, log=True), "fit_intercept": [True, False]}
    with distributed.get_task_stream(client) as stream, parallel_backend("dask"):
        search = cls(LogisticRegression(max_iter=300), space, n_iter=10, cv=3,
                     random_state=0, n_jobs=-1, checkpoint=tmp_path / "c.jsonl")
        search.fit(X_IRIS, Y_IRIS)
        # joblib < 1.4's dask backend does not return results as they come: there the
        # search is synchronous
        asynchronous = asynchronous_workers(-1) > 1
    params = search.cv_results_["params"]
    assert len(params) == 10 and len({tuple(sorted(p.items())) for p in params}) == 10
    if asynchronous:
        assert list(search.cv_results_["iter"]) == list(range(10))
    assert {task["worker"] for task in stream.data} == set(
        client.scheduler_info()["workers"])
    resumed = cls(LogisticRegression(max_iter=300), space, n_iter=10, cv=3,
                  random_state=0, checkpoint=tmp_path / "c.jsonl").fit(X_IRIS, Y_IRIS)
    assert resumed.cv_results_["params"] == params
