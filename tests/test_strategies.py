"""The contract every ask/tell strategy keeps, run over each of them."""

import math
import pickle

import numpy as np
import pytest
from scipy import stats

from skhpo.space import Categorical, Integer, Real, SearchSpace
from skhpo.strategies import BayesOptimizer

STRATEGIES = {
    "bayes": lambda space, seed, **kw: BayesOptimizer(
        space, random_state=seed, n_initial_points=kw.get("n_initial_points", 5)
    ),
}

MIXED = {
    "lr": Real(1e-4, 1.0, log=True),
    "x": Real(-1.0, 1.0),
    "depth": Integer(1, 12),
    "kind": ["a", "b", "c"],
    "alpha": stats.loguniform(1e-3, 10),
}
CONDITIONAL = [
    {"kind": ["lin"], "c": Real(0.0, 1.0)},
    {"kind": ["tree"], "depth": Integer(1, 6), "leaf": [1, 2, 4]},
]


def mixed_objective(p):
    return -(
        (math.log10(p["lr"]) + 2) ** 2
        + (p["x"] - 0.3) ** 2
        + ((p["depth"] - 7) / 4) ** 2
        + (p["kind"] != "b")
        + (math.log10(p["alpha"])) ** 2 / 4
    )


def conditional_objective(p):
    if p["kind"] == "lin":
        return -abs(p["c"] - 0.8)
    return -abs(p["depth"] - 4) / 3 - (p["leaf"] != 2) * 0.1


def run(strategy, objective, n_iter, batch=1):
    while len(strategy.scores_) < n_iter:
        cands = strategy.ask(batch)
        strategy.tell(cands, [objective(p) for p in cands])
    return strategy


def _assert_in_space(space, params):
    space.encode(params)  # raises if not a point of the space
    for v in params.values():
        assert type(v) in (int, float, str, bool)


@pytest.fixture(params=sorted(STRATEGIES))
def make(request):
    return STRATEGIES[request.param]


@pytest.mark.parametrize(
    "spec, objective", [(MIXED, mixed_objective), (CONDITIONAL, conditional_objective)],
    ids=["mixed", "conditional"],
)
def test_proposals_are_native_in_bounds_and_distinct(make, spec, objective):
    strategy = make(spec, 0)
    seen = set()
    for _ in range(8):
        batch = strategy.ask(3)
        assert len(batch) == 3
        for p in batch:
            _assert_in_space(strategy.space, p)
            key = tuple(sorted((k, repr(v)) for k, v in p.items()))
            assert key not in seen
            seen.add(key)
        strategy.tell(batch, [objective(p) for p in batch])


def test_same_seed_same_proposals(make):
    a = run(make(MIXED, 7), mixed_objective, 14, batch=2)
    b = run(make(MIXED, 7), mixed_objective, 14, batch=2)
    np.testing.assert_array_equal(a.X_, b.X_)
    c = run(make(MIXED, 8), mixed_objective, 14, batch=2)
    assert not np.array_equal(a.X_, c.X_)


def test_pickle_round_trip_mid_run(make):
    a = run(make(MIXED, 3), mixed_objective, 8)
    b = pickle.loads(pickle.dumps(a))
    assert a.ask(2) == b.ask(2)


def test_finite_space_is_exhausted_exactly_once(make):
    spec = {"a": [1, 2, 3], "b": ["x", "y"], "c": Integer(0, 1)}
    strategy = make(spec, 0)
    seen = []
    while True:
        batch = strategy.ask(5)
        if not batch:
            break
        seen.extend(tuple(sorted(p.items())) for p in batch)
        strategy.tell(batch, [p["a"] + p["c"] for p in batch])
    assert len(seen) == 12 == len(set(seen))
    assert strategy.n_unseen == 0


def test_pending_points_are_not_proposed_again(make):
    strategy = make({"a": Integer(0, 9)}, 0)
    first, second = strategy.ask(5), strategy.ask(5)
    assert len({p["a"] for p in first + second}) == 10
    assert strategy.ask(1) == []


def test_failed_evaluations_are_told_and_survived(make):
    strategy = make(MIXED, 0)
    for i in range(12):
        [p] = strategy.ask(1)
        strategy.tell([p], [np.nan if i % 3 == 0 else mixed_objective(p)])
    assert np.isnan(strategy.scores_).sum() == 4
    assert np.isfinite(strategy.best_score_)


def test_tell_accepts_points_that_were_not_asked(make):
    strategy = make({"x": Real(0, 1)}, 0)
    strategy.tell([{"x": 0.25}, {"x": 0.75}], [1.0, 2.0])
    assert strategy.best_params_ == {"x": 0.75}
    assert strategy.ask(1)[0]["x"] not in (0.25, 0.75)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda s: s.ask(0), ValueError, "n must be a positive int"),
        (lambda s: s.ask(1.5), ValueError, "n must be a positive int"),
        (lambda s: s.tell({"x": 0.5}, [1.0]), TypeError, "list of dicts"),
        (lambda s: s.tell([{"x": 0.5}], [1.0, 2.0]), ValueError, "differ in length"),
        (lambda s: s.tell([{"x": 5.0}], [1.0]), ValueError, "outside"),
        (lambda s: s.tell([{"y": 0.5}], [1.0]), ValueError, "not a point"),
        (lambda s: s.tell([{"x": 0.5}], [np.inf]), ValueError, r"\+inf"),
    ],
)
def test_misuse_is_refused(make, call, error, match):
    with pytest.raises(error, match=match):
        call(make({"x": Real(0, 1)}, 0))


def test_improves_well_beyond_random_sampling(make):
    """At equal budget, a strategy beats the median of random search on a mixed
    objective over several seeds."""
    budget = 30
    ours, random = [], []
    for seed in range(3):
        ours.append(run(make(MIXED, seed), mixed_objective, budget).best_score_)
        rng = np.random.RandomState(seed)
        space = SearchSpace(MIXED)
        random.append(max(mixed_objective(p) for p in space.decode(space.sample(budget, rng))))
    assert np.median(ours) > np.median(random) + 0.3


# -- BayesOptimizer specifics ---------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_initial_points": 0}, ValueError, "n_initial_points must be >= 1"),
        ({"n_initial_points": 2.5}, TypeError, "n_initial_points must be an int"),
        ({"acquisition": "ucb"}, ValueError, "acquisition must be one of"),
        ({"kappa": -1.0}, ValueError, "kappa must be finite and >= 0"),
        ({"xi": "a"}, TypeError, "xi must be a real number"),
        ({"n_candidates": 0}, ValueError, "n_candidates must be >= 1"),
    ],
)
def test_bayes_optimizer_parameter_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        BayesOptimizer({"x": Real(0, 1)}, **kwargs)


@pytest.mark.parametrize("acquisition", ["ei", "pi", "lcb"])
def test_bayes_optimizer_finds_the_optimum_of_a_smooth_function(acquisition):
    opt = BayesOptimizer({"x": Real(-3.0, 3.0), "y": Real(-3.0, 3.0)},
                         acquisition=acquisition, random_state=0)
    run(opt, lambda p: -((p["x"] - 1.2) ** 2 + (p["y"] + 0.4) ** 2), 25)
    assert opt.best_score_ > -0.05


def test_bayes_batches_spread_out():
    opt = BayesOptimizer({"x": Real(0.0, 1.0)}, n_initial_points=4, random_state=0)
    run(opt, lambda p: -abs(p["x"] - 0.5), 4)
    batch = [p["x"] for p in opt.ask(4)]
    gaps = np.diff(sorted(batch))
    assert gaps.min() > 1e-3


def test_bayes_design_follows_initial_points_then_model():
    opt = BayesOptimizer({"x": Real(0.0, 1.0)}, n_initial_points=4, random_state=0)
    run(opt, lambda p: -abs(p["x"] - 0.5), 4)
    assert opt.gp_ is None
    run(opt, lambda p: -abs(p["x"] - 0.5), 5)
    assert opt.gp_ is not None
