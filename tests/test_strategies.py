"""The contract every ask/tell strategy keeps, run over each of them."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from skhpo.space import Integer, Real, SearchSpace
from skhpo.strategies import Batch, BayesOptimizer, EvolutionOptimizer, HyperbandOptimizer

STRATEGIES = {
    "bayes": lambda space, seed, **kw: BayesOptimizer(
        space, random_state=seed, n_initial_points=kw.get("n_initial_points", 5)
    ),
    "evolution": lambda space, seed, **kw: EvolutionOptimizer(
        space, random_state=seed, population_size=kw.get("population_size", 6)
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


# -- EvolutionOptimizer specifics -----------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"population_size": 1}, ValueError, "population_size must be >= 2, got 1"),
        ({"population_size": 4.0}, TypeError, "population_size must be an int, got 4.0"),
        ({"n_parents": 0}, ValueError, "n_parents must be >= 1, got 0"),
        ({"crossover_rate": 1.5}, ValueError, r"crossover_rate must be in \[0, 1\], got 1.5"),
        ({"crossover_rate": "a"}, TypeError, "crossover_rate must be a real number"),
        ({"mutation_rate": -0.1}, ValueError, r"mutation_rate must be in \[0, 1\], got -0.1"),
        ({"initial_sigma": 0.0}, ValueError, r"initial_sigma must be in \(0, 0.5\], got 0.0"),
        ({"initial_sigma": True}, TypeError, "initial_sigma must be a real number"),
        ({"patience": 0}, ValueError, "patience must be >= 1, got 0"),
    ],
)
def test_evolution_optimizer_parameter_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        EvolutionOptimizer({"x": Real(0, 1)}, **kwargs)


def test_evolution_beats_random_search_on_a_shifted_sphere():
    """At an equal budget of 80 (a design and 7 generations of 10), the evolution
    strategy's regret is well below random search's, seed after seed."""
    shift = [1.3, -2.1, 0.7, 3.2]
    space = {f"x{i}": Real(-5.0, 5.0) for i in range(4)}

    def sphere(p):
        return -sum((p[f"x{i}"] - c) ** 2 for i, c in enumerate(shift))

    ours, random = [], []
    for seed in range(5):
        ours.append(-run(EvolutionOptimizer(space, random_state=seed), sphere, 80,
                         batch=10).best_score_)
        unit = SearchSpace(space).sample(80, np.random.RandomState(seed))
        random.append(-max(sphere(p) for p in SearchSpace(space).decode(unit)))
    assert np.median(ours) < 0.5 * np.median(random)
    assert sum(o < r for o, r in zip(ours, random)) >= 4


def test_evolution_first_generation_is_the_design_then_offspring_of_the_best():
    space = {"x": Real(0, 1), "y": Real(0, 1)}
    opt = EvolutionOptimizer(space, population_size=8, n_parents=1, initial_sigma=0.02,
                             random_state=0)
    design = opt.ask(8)
    expected = SearchSpace(space).sobol(8, np.random.RandomState(0))
    np.testing.assert_allclose([opt.space.encode(p) for p in design], expected)
    opt.tell(design, [-abs(p["x"] - 0.5) - abs(p["y"] - 0.5) for p in design])
    best = opt.best_params_
    offspring = opt.ask(8)
    assert opt.n_generations_ == 2
    # with one parent, every offspring is a mutant of the best point: most stay close
    dist = [max(abs(p["x"] - best["x"]), abs(p["y"] - best["y"])) for p in offspring]
    assert np.median(dist) < 0.1


def test_evolution_step_size_follows_the_one_fifth_rule():
    # on a slope, about half of the mutants improve: the step grows
    opt = EvolutionOptimizer({"x": Real(0, 1), "y": Real(0, 1)}, initial_sigma=0.001,
                             crossover_rate=0.0, random_state=0)
    run(opt, lambda p: p["x"] + p["y"], 40, batch=10)
    assert opt.sigma_ > 0.002
    # when the only parent is the optimum no offspring can succeed: each one shrinks the
    # step by a factor exp(-1/4) ** (1 / population_size)
    opt = EvolutionOptimizer({"x": Real(-5.0, 5.0)}, n_parents=1, initial_sigma=0.3,
                             random_state=0)
    opt.tell([{"x": 0.0}], [0.0])
    run(opt, lambda p: -abs(p["x"]), 61, batch=10)
    n_offspring = 61 - 1 - 9  # minus the told optimum and the rest of the design
    assert opt.sigma_ == pytest.approx(0.3 * math.exp(-0.25 * n_offspring / 10))


def test_evolution_remutates_near_duplicates_instead_of_sampling_at_random():
    # steps of 0.001 on an integer of 101 values almost always round back to the parent;
    # the offspring must still be distinct neighbours of it, not random values
    opt = EvolutionOptimizer({"a": Integer(0, 100)}, population_size=4, n_parents=1,
                             initial_sigma=0.001, random_state=0)
    run(opt, lambda p: -abs(p["a"] - 50), 4, batch=4)
    parent = opt.best_params_["a"]
    offspring = [p["a"] for p in opt.ask(4)]
    assert len(set(offspring)) == 4 and parent not in offspring
    assert all(abs(a - parent) <= 5 for a in offspring)


def test_evolution_moves_between_sub_spaces_and_inherits_the_best_there():
    # the only parent is in "lin" and every offspring switches sub-space: it must start
    # from the best "tree" point told (leaf=2), not from the worse one or the prior
    opt = EvolutionOptimizer(CONDITIONAL, population_size=2, n_parents=1,
                             mutation_rate=1.0, initial_sigma=0.05, random_state=0)
    opt.tell([{"kind": "lin", "c": 0.8}, {"kind": "tree", "depth": 4, "leaf": 2},
              {"kind": "tree", "depth": 1, "leaf": 4}], [0.0, -0.5, -2.0])
    offspring = opt.ask(5)
    assert all(p["kind"] == "tree" and p["leaf"] == 2 for p in offspring)
    assert sorted(p["depth"] for p in offspring) == [1, 2, 3, 5, 6]
    # and a run over both sub-spaces finds the optimum of either
    opt = EvolutionOptimizer(CONDITIONAL, population_size=6, random_state=0)
    run(opt, conditional_objective, 30, batch=6)
    assert {p["kind"] for p in opt.space.decode(opt.X_[6:])} == {"lin", "tree"}
    assert opt.best_score_ > -0.02


def test_evolution_patience_stops_proposals_after_stale_generations():
    opt = EvolutionOptimizer({"x": Real(0, 1)}, population_size=4, patience=2,
                             random_state=0)
    for _ in range(3):  # the design sets the best; two generations do not beat it
        batch = opt.ask(4)
        opt.tell(batch, [1.0] * len(batch))
    assert opt.stopped_ and opt.n_stale_ == 2 and opt.n_generations_ == 3
    assert opt.ask(4) == []
    with pytest.raises(ValueError, match="n must be a positive int"):
        opt.ask(0)
    improving = EvolutionOptimizer({"x": Real(0, 1)}, population_size=4, patience=1,
                                   random_state=0)
    run(improving, lambda p: len(improving.scores_) + p["x"], 20, batch=4)
    assert not improving.stopped_ and len(improving.scores_) == 20


@settings(max_examples=25, deadline=None)
@given(
    population_size=st.integers(2, 8),
    n_parents=st.none() | st.integers(1, 5),
    crossover_rate=st.floats(0.0, 1.0),
    mutation_rate=st.none() | st.floats(0.0, 1.0),
    initial_sigma=st.floats(0.001, 0.5),
    seed=st.integers(0, 2**16),
)
def test_evolution_any_knobs_give_new_points_of_the_space(
    population_size, n_parents, crossover_rate, mutation_rate, initial_sigma, seed
):
    opt = EvolutionOptimizer(CONDITIONAL + [MIXED], population_size=population_size,
                             n_parents=n_parents, crossover_rate=crossover_rate,
                             mutation_rate=mutation_rate, initial_sigma=initial_sigma,
                             random_state=seed)
    seen = set()
    for _ in range(4):
        batch = opt.ask(population_size)
        assert len(batch) == population_size
        for p in batch:
            _assert_in_space(opt.space, p)
            key = tuple(sorted((k, repr(v)) for k, v in p.items()))
            assert key not in seen
            seen.add(key)
        opt.tell(batch, [
            mixed_objective(p) if "lr" in p else conditional_objective(p) for p in batch
        ])


@pytest.mark.parametrize("make", [
    lambda space: BayesOptimizer(space, n_initial_points=10**12, random_state=0),
    lambda space: EvolutionOptimizer(space, population_size=10**12, random_state=0),
], ids=["n_initial_points", "population_size"])
def test_a_huge_design_costs_only_the_points_asked(make):
    # the design is drawn as it is read: 10**12 points would need 8 TiB at once
    space = {"x": Real(0, 1), "y": stats.loguniform(1e-3, 1.0)}
    opt = make(space)
    points = opt.ask(5)
    expected = SearchSpace(space).sobol(5, np.random.RandomState(0))
    np.testing.assert_allclose([opt.space.encode(p) for p in points], expected)
    assert len(opt._design._points) < 64


def test_a_sobol_design_is_a_prefix_of_any_larger_one():
    import warnings

    from skhpo.space import SobolDesign

    from scipy.stats import qmc

    space = SearchSpace({"x": Real(0, 1), "k": Integer(1, 9), "c": ["a", "b", "c"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's warning of unbalanced Sobol' draws
        for n in (1, 3, 8, 13):
            # the points of one draw of n (rounded up to a power of 2)
            seed = np.random.RandomState(3).randint(2**31 - 1)
            once = qmc.Sobol(space.n_coords, scramble=True, seed=seed).random_base2(
                math.ceil(math.log2(n)))[:n]
            large = SobolDesign(space, 10**9, np.random.RandomState(3))
            np.testing.assert_array_equal([large[i] for i in range(n)], space.snap(once))
            np.testing.assert_array_equal(space.sobol(n, np.random.RandomState(3)),
                                          space.snap(once))
    assert space.sobol(0, np.random.RandomState(0)).shape == (0, space.n_coords)
    with pytest.raises(IndexError):
        SobolDesign(space, 4, np.random.RandomState(0))[4]


@pytest.mark.parametrize("random_state", ["seed", -1, 1.5, 2**32,
                                          np.random.default_rng(0)],
                         ids=["str", "negative", "float", "too-large", "Generator"])
@pytest.mark.parametrize("make", [
    lambda rs: BayesOptimizer({"x": [1, 2]}, random_state=rs),
    lambda rs: EvolutionOptimizer({"x": [1, 2]}, random_state=rs),
    lambda rs: HyperbandOptimizer({"x": [1, 2]}, min_resources=1, max_resources=9,
                                  random_state=rs),
], ids=["BayesOptimizer", "EvolutionOptimizer", "HyperbandOptimizer"])
def test_a_bad_random_state_is_named(make, random_state):
    with pytest.raises(ValueError, match=r"^random_state must be None, an int in "
                       r"\[0, 2\*\*32 - 1\] or a numpy\.random\.RandomState, got "):
        make(random_state)
    assert make(np.random.RandomState(0)) is not None and make(np.int64(3)) is not None


def test_the_strategies_leave_the_process_warnings_filters_alone(monkeypatch):
    # a strategy runs in its search's thread, and searches may run in threads: the
    # process's warnings filters (catch_warnings is not thread-safe) are not its own
    import warnings

    def forbidden(*args, **kwargs):
        raise AssertionError("warnings.catch_warnings in a strategy")

    monkeypatch.setattr(warnings, "catch_warnings", forbidden)
    opt = BayesOptimizer({"x": Real(0, 1), "k": [1, 2, 3]}, n_initial_points=4,
                         random_state=0)
    for _ in range(4):
        points = opt.ask(2)
        # heavy-tailed scores: the losses are warped (Yeo-Johnson) before the GP
        opt.tell(points, [-math.exp(12 * p["x"]) - p["k"] for p in points])
    assert len(opt.scores_) == 8 and opt.gp_ is not None


# -- the batch protocol, kept by every strategy, HyperbandOptimizer too -----------------
#
# A search runs one loop over any strategy: ``batch = ask()``, evaluate it, then
# ``tell(batch, scores)``. ``ask()`` without ``n`` is each strategy's natural batch (one
# candidate, a generation, a Hyperband rung).

BATCH_STRATEGIES = {
    **STRATEGIES,
    "hyperband": lambda space, seed, **kw: HyperbandOptimizer(
        space, min_resources=1, max_resources=9, n_brackets=kw.get("n_brackets", 6),
        random_state=seed),
    "hyperband-bayes": lambda space, seed, **kw: HyperbandOptimizer(
        space, min_resources=1, max_resources=9, n_brackets=kw.get("n_brackets", 6),
        sampler="bayes", random_state=seed),
}


@pytest.fixture(params=sorted(BATCH_STRATEGIES))
def make_any(request):
    return BATCH_STRATEGIES[request.param]


def run_batches(strategy, objective, n_batches):
    """``n_batches`` turns of the search loop; the batches asked, in order."""
    asked = []
    for _ in range(n_batches):
        batch = strategy.ask()
        if not batch:
            break
        asked.append(batch)
        strategy.tell(batch, [objective(p) for p in batch])
    return asked


@pytest.mark.parametrize(
    "spec, objective", [(MIXED, mixed_objective), (CONDITIONAL, conditional_objective)],
    ids=["mixed", "conditional"],
)
def test_batches_are_native_in_bounds_distinct_with_their_columns(make_any, spec,
                                                                   objective):
    strategy = make_any(spec, 0)
    batches = run_batches(strategy, objective, 10)
    assert len(batches) == 10
    for batch in batches:
        assert isinstance(batch, Batch) and len(batch) >= 1
        keys = [tuple(sorted((k, repr(v)) for k, v in p.items())) for p in batch]
        assert len(set(keys)) == len(keys)  # distinct within a batch
        for p in batch:
            _assert_in_space(strategy.space, p)
        for name, values in batch.columns.items():
            assert len(values) == len(batch), name
    assert len(strategy.scores_) == sum(len(b) for b in batches) == len(strategy.X_)


def test_batches_are_reproducible_and_seeded(make_any):
    def proposals(seed):
        return [list(b) for b in run_batches(make_any(MIXED, seed), mixed_objective, 8)]

    assert proposals(5) == proposals(5)
    assert proposals(5) != proposals(6)


def test_pickle_round_trip_between_batches(make_any):
    a = make_any(MIXED, 3)
    run_batches(a, mixed_objective, 4)
    b = pickle.loads(pickle.dumps(a))
    assert list(a.ask()) == list(b.ask())


def test_failed_candidates_are_survived_and_never_the_best(make_any):
    strategy = make_any(MIXED, 0)
    k = 0
    for _ in range(12):
        batch = strategy.ask()
        scores = []
        for p in batch:
            scores.append(np.nan if k % 3 == 0 else mixed_objective(p))
            k += 1
        strategy.tell(batch, scores)
    assert np.isnan(strategy.scores_).any()
    assert np.isfinite(strategy.best_score_)
    assert strategy.best_params_ is not None


@pytest.mark.parametrize(
    "scores, error, match",
    [
        (lambda b: [1.0] * (len(b) + 1), ValueError, "length|Expected"),
        (lambda b: [np.inf] * len(b), ValueError, r"\+inf"),
    ],
)
def test_bad_scores_are_refused(make_any, scores, error, match):
    strategy = make_any({"x": Real(0, 1)}, 0)
    batch = strategy.ask()
    with pytest.raises(error, match=match):
        strategy.tell(batch, scores(batch))


def test_a_batch_refuses_columns_of_another_length():
    with pytest.raises(ValueError, match=r"columns\['iter'\] has 1 values for 2"):
        Batch([{"x": 1}, {"x": 2}], columns={"iter": [0]})


def test_hyperband_refuses_to_split_a_rung_and_a_tell_of_other_candidates():
    opt = HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=9,
                             random_state=0)
    with pytest.raises(ValueError, match="n must be a positive int"):
        opt.ask(0)
    with pytest.raises(ValueError, match="holds 9 candidates, more than n=3"):
        opt.ask(3)
    rung = opt.ask(9)  # the rung refused above, now taken whole
    assert len(rung) == 9 and opt.ask() is rung
    assert rung.columns == {"bracket": [0] * 9, "iter": [0] * 9, "n_resources": [1] * 9}
    with pytest.raises(ValueError, match="params must be the rung last asked"):
        opt.tell(rung[:2], [1.0] * 9)
    with pytest.raises(ValueError, match="params must be the rung last asked"):
        opt.tell([1.0] * 9, [0.0] * 9)  # scores and failed flags, not the rung
    with pytest.raises(ValueError, match="params must be the rung last asked"):
        opt.tell([{"x": 0.5}] * 9, [0.0] * 9)
    with pytest.raises(ValueError, match="params must be the rung last asked"):
        opt.tell(rung[::-1], [0.0] * 9)
    with pytest.raises(TypeError, match="list of dicts"):
        opt.tell(rung[0], [1.0] * 9)
    opt.tell([{**p, "n_estimators": 1} for p in rung], [0.0] * 9)  # a resource added
    assert len(opt.scores_) == 9


def test_evolution_batches_name_their_generation():
    # the k-th point proposed is of generation k // population_size, whatever the
    # batches it is asked in: one at a time (steady state) or a generation at once
    opt = EvolutionOptimizer(MIXED, population_size=4, random_state=0)
    batches = run_batches(opt, mixed_objective, 6)
    assert [b.columns for b in batches] == [{"generation": [g]} for g in [0] * 4 + [1] * 2]
    assert opt.n_generations_ == 2
    gen = opt.ask(4)
    assert gen.columns == {"generation": [1, 1, 2, 2]}
    assert opt.n_generations_ == 3


def test_evolution_patience_counts_generations_of_scores_told_one_at_a_time():
    opt = EvolutionOptimizer({"x": Real(0, 1)}, population_size=4, patience=2,
                             random_state=0)
    n = 0
    while True:
        batch = opt.ask(1)
        if not batch:
            break
        opt.tell(batch, [1.0])  # the design sets the best; nothing beats it
        n += 1
    assert opt.stopped_ and opt.n_stale_ == 2 and n == 4 + 2 * 4


def test_evolution_a_replay_told_at_once_counts_each_generation():
    # a checkpoint's points, told in one call, count generation by generation: steadily
    # improving ones do not exhaust patience; and they take their places in the
    # numbering of the generations
    opt = EvolutionOptimizer({"x": Real(0, 1)}, population_size=4, patience=2,
                             random_state=0)
    opt.tell([{"x": i / 20} for i in range(12)], list(range(12)))
    assert not opt.stopped_ and opt.n_stale_ == 0 and opt.n_generations_ == 3
    assert opt.ask(1).columns == {"generation": [3]}


def test_evolution_a_stop_is_for_good():
    # scores of points still being evaluated when patience ran out do not restart it
    opt = EvolutionOptimizer({"x": Real(0, 1)}, population_size=2, patience=1,
                             random_state=0)
    design = opt.ask(2)
    opt.tell(design, [1.0, 1.0])
    late = opt.ask(2)
    opt.tell(late[:1], [0.5])
    in_flight = opt.ask(1)
    opt.tell(late[1:], [0.5])
    assert opt.stopped_ and opt.ask(1) == []
    opt.tell(in_flight, [9.0])
    assert opt.stopped_ and opt.ask(1) == []
