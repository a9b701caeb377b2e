import numpy as np
import pytest
from scipy import optimize, stats

from skhpo._acquisition import (
    log_expected_improvement,
    log_probability_of_improvement,
    lower_confidence_bound,
)
from skhpo._gp import GaussianProcess


def _direct_ei(mean, std, best):
    z = (best - mean) / std
    return std * (z * stats.norm.cdf(z) + stats.norm.pdf(z))


def test_log_ei_matches_the_textbook_formula_where_it_is_representable():
    mean = np.linspace(-3, 6, 200)
    std = np.full_like(mean, 0.7)
    np.testing.assert_allclose(
        log_expected_improvement(mean, std, 0.0), np.log(_direct_ei(mean, std, 0.0)),
        rtol=1e-7,
    )


def test_log_ei_stays_finite_and_ordered_where_ei_underflows():
    mean = np.array([10.0, 40.0, 1e3, 1e9, 1e12])
    values = log_expected_improvement(mean, np.ones_like(mean), 0.0)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) < 0)  # a worse mean is always less attractive
    assert _direct_ei(40.0, 1.0, 0.0) == 0.0  # where the naive formula gives nothing


def test_log_pi_and_lcb():
    np.testing.assert_allclose(
        log_probability_of_improvement(np.array([0.5]), np.array([2.0]), 1.0),
        np.log(stats.norm.cdf(0.25)),
    )
    np.testing.assert_allclose(lower_confidence_bound(1.0, 2.0, kappa=1.5), 2.0)


def _data(n=30, d=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(n, d))
    y = np.sin(6 * X[:, 0]) + X[:, 1] ** 2
    return X, (y - y.mean()) / y.std()


def test_gradient_of_the_log_posterior_matches_finite_differences():
    X, y = _data()
    gp = GaussianProcess()
    theta = np.array([-1.0, 0.3, 1.2, 0.1, -3.0])
    err = optimize.check_grad(
        lambda t: gp._neg_log_posterior(t, X, y)[0],
        lambda t: gp._neg_log_posterior(t, X, y)[1],
        theta,
    )
    assert err < 1e-4 * np.linalg.norm(gp._neg_log_posterior(theta, X, y)[1])


def test_gp_interpolates_and_is_uncertain_far_from_data():
    X, y = _data()
    gp = GaussianProcess().fit(X, y)
    mean, std = gp.predict(X)
    assert np.abs(mean - y).max() < 0.2
    assert std.max() < 0.3
    _, far_std = gp.predict(np.full((1, 3), 5.0))
    assert far_std[0] > 5 * std.mean()


def test_relevant_inputs_get_shorter_length_scales():
    X, y = _data(n=60, d=3)
    gp = GaussianProcess().fit(X, y)
    length = np.exp(gp.theta_[:3])
    assert length[0] < length[2] and length[1] < length[2]


def test_conditioning_keeps_hyperparameters_and_shrinks_uncertainty():
    X, y = _data()
    gp = GaussianProcess().fit(X, y)
    x_new = np.array([[0.5, 0.5, 0.5]])
    m, s = gp.predict(x_new)
    gp2 = gp.condition_on(x_new, m)
    np.testing.assert_array_equal(gp.theta_, gp2.theta_)
    assert gp2.predict(x_new)[1][0] < s[0]


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_data_sets(n):
    X = np.random.RandomState(0).uniform(size=(n, 3))
    y = np.array([0.0, 1.0])[:n]
    gp = GaussianProcess().fit(X, y)
    mean, std = gp.predict(X)
    assert np.all(np.isfinite(mean)) and np.all(std > 0)
