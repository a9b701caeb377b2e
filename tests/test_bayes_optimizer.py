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
