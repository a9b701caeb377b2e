import pytest

from skhpo.space import Real
from skhpo.strategies import BayesOptimizer


def test_random_fraction_interleaves_prior_samples_deterministically():
    opt = BayesOptimizer({"x": Real(0, 1)}, random_fraction=0.25)
    assert [k for k in range(12) if opt._is_random_slot(k)] == [3, 7, 11]
    never = BayesOptimizer({"x": Real(0, 1)}, random_fraction=0.0)
    assert not any(never._is_random_slot(k) for k in range(50))


def test_random_slots_skip_the_surrogate():
    opt = BayesOptimizer({"x": Real(0, 1)}, n_initial_points=3, random_fraction=0.5)
    for _ in range(4):
        batch = opt.ask(1)
        opt.tell(batch, [-abs(batch[0]["x"] - 0.3)])
    # proposals 0, 2, ... after the design use the model; 1, 3, ... are random
    fitted = opt.gp_
    batch = opt.ask(1)  # slot 1: random, no new fit
    assert opt.gp_ is fitted
    opt.tell(batch, [0.0])
    opt.ask(1)  # slot 2: model
    assert opt.gp_ is not fitted


@pytest.mark.parametrize("value, error, match", [
    (1.0, ValueError, "random_fraction must be < 1"),
    (-0.1, ValueError, "random_fraction must be finite and >= 0"),
    ("a", TypeError, "random_fraction must be a real number"),
])
def test_random_fraction_errors(value, error, match):
    with pytest.raises(error, match=match):
        BayesOptimizer({"x": Real(0, 1)}, random_fraction=value)


@pytest.mark.parametrize("catastrophe", [1e10, 1e25, 1e200])
def test_catastrophic_scores_do_not_blind_the_surrogate(catastrophe):
    # x > 3 diverges (a diverged SGD's MSE): the surrogate must still tell the others
    # apart and find the optimum at (1, 0)
    import warnings

    best = []
    for seed in range(3):
        opt = BayesOptimizer({"x": Real(-5, 5), "y": Real(-5, 5)}, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow warning either
            for _ in range(30):
                [p] = opt.ask()
                score = -(p["x"] - 1) ** 2 - p["y"] ** 2
                opt.tell([p], [-catastrophe if p["x"] > 3 else score])
        best.append(opt.best_score_)
    assert max(best) > -0.01 and sorted(best)[1] > -0.05


def test_the_warp_keeps_the_order_and_leaves_ordinary_losses_alone():
    import numpy as np

    from skhpo.strategies._bayes import _compress_extremes, _warp

    ordinary = np.array([0.03, 0.05, 0.04, 0.5, 0.035, 0.2])
    np.testing.assert_array_equal(_compress_extremes(ordinary), ordinary)
    # two CV means that differ in the last bit are not a tiny spread
    near_tie = 1 - np.array([0.9493650793650792, 0.9493650793650794, 0.9719047619047618])
    np.testing.assert_array_equal(_compress_extremes(near_tie), near_tie)
    extreme = np.array([3012.0, 3050.0, 3100.0, 4000.0, 1.7e25, 2.0e25])
    warped = _warp(extreme)
    assert list(np.argsort(warped)) == list(np.argsort(extreme))
    assert np.ptp(warped[:3]) > 0.01  # the good ones are told apart (they were 1e-22)
    assert np.all(np.isfinite(_warp(np.array([1e200, 2e200, 3e200, 1.7e308]))))


def test_a_warm_start_at_a_bound_is_not_proposed_again():
    from scipy.stats import loguniform

    first = BayesOptimizer({"C": loguniform(1e-3, 1e3)}, random_state=0)
    told = []
    for _ in range(15):
        batch = first.ask()
        first.tell(batch, [-abs(p["C"]) for p in batch])  # best at the lower bound
        told += batch
    assert min(p["C"] for p in told) < 1.001e-3
    warm = BayesOptimizer({"C": loguniform(1e-3, 1e3)}, random_state=1)
    warm.tell(told, [-p["C"] for p in told])
    proposed = [p["C"] for _ in range(10) for p in warm.ask()]
    assert not set(proposed) & {p["C"] for p in told}
    assert not first._pending  # nothing left pending once all were told


def test_best_params_are_the_parameters_told():
    from scipy.stats import geom, norm

    opt = BayesOptimizer({"x": norm(0, 1), "k": geom(0.3), "r": Real(0.1, 0.7)},
                         random_state=0)
    told = {"x": 9.0, "k": 100, "r": 0.4173369518517427}  # beyond the 1e-9 quantiles
    opt.tell([told], [1.0])
    assert opt.best_params_ == told and opt.best_params_ is not told
    assert type(opt.best_params_["k"]) is int
