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


# -- predict / predict_unit ------------------------------------------------------------


def _told(scale=1.0, shift=0.0, random_state=0):
    """An optimiser told a smooth score on x in [-2, 0.5] (nothing told beyond)."""
    import numpy as np

    opt = BayesOptimizer({"x": Real(-2.0, 2.0)}, random_state=random_state)
    xs = np.linspace(-2.0, 0.5, 11)
    scores = scale * -(xs - 0.5) ** 2 + shift
    opt.tell([{"x": float(x)} for x in xs], scores)
    return opt, xs, scores


def test_predict_recovers_the_scores_told_and_is_unsure_far_from_them():
    import numpy as np

    opt, xs, scores = _told()
    score, std = opt.predict([{"x": float(x)} for x in xs], return_std=True)
    assert score.shape == std.shape == (11,) and np.all(std >= 0)
    assert np.abs(score - scores).max() < 0.02 * np.ptp(scores)
    assert std.max() < 0.03 * np.ptp(scores)
    far_score, far_std = opt.predict([{"x": 2.0}], return_std=True)
    assert far_std[0] > 5 * std.mean()
    assert scores.min() <= far_score[0] <= scores.max()
    # the same without return_std, and for unit points (x = -2 + 4u)
    np.testing.assert_array_equal(opt.predict([{"x": 2.0}]), far_score)
    unit = opt.predict_unit(((xs + 2.0) / 4.0)[:, None], return_std=True)
    np.testing.assert_allclose(unit, (score, std), rtol=1e-9, atol=1e-12)
    assert opt.predict([]).shape == (0,)


def test_predict_is_in_the_units_of_the_scores_told():
    import numpy as np

    opt, _, _ = _told()
    scaled, _, _ = _told(scale=1000.0, shift=7.0)
    params = [{"x": float(x)} for x in np.linspace(-2.0, 2.0, 9)]
    score, std = opt.predict(params, return_std=True)
    scaled_score, scaled_std = scaled.predict(params, return_std=True)
    np.testing.assert_allclose(scaled_score, 1000.0 * score + 7.0, rtol=1e-9)
    np.testing.assert_allclose(scaled_std, 1000.0 * std, rtol=1e-9, atol=1e-9)


def test_predict_uses_every_score_told_since_the_latest_proposal():
    import numpy as np

    opt, _, _ = _told()
    opt.ask()
    assert opt.gp_ is not None  # fitted for that proposal, to x <= 0.5 only
    told = [{"x": x} for x in (1.5, 1.75, 2.0)]
    opt.tell(told, [3.0, 3.5, 4.0])  # far better than anything the surrogate has seen
    np.testing.assert_allclose(opt.predict(told), [3.0, 3.5, 4.0], atol=0.3)


def _snapshot(opt):
    import pickle

    return pickle.dumps(opt), opt.gp_, opt._theta, dict(vars(opt))


def _assert_unchanged(opt, snapshot):
    import pickle

    state, gp, theta, attributes = snapshot
    assert opt.gp_ is gp and opt._theta is theta
    assert vars(opt).keys() == attributes.keys()
    assert all(vars(opt)[k] is v for k, v in attributes.items())
    assert pickle.dumps(opt) == state


def test_predict_changes_nothing_in_the_optimiser():
    import numpy as np

    def run(predict):
        opt = BayesOptimizer({"x": Real(-2.0, 2.0), "k": [1, 2, 3]}, n_initial_points=4,
                             random_state=0)
        asked = []
        for i in range(14):
            batch = opt.ask(2)
            asked += batch
            if predict and i >= 3:
                # gp_ fitted just now for this batch: current until the tell
                snapshot = _snapshot(opt)
                opt.predict(batch, return_std=True)
                opt.predict_unit(np.random.RandomState(i).uniform(size=(50, 2)))
                _assert_unchanged(opt, snapshot)
            opt.tell(batch, [-(p["x"] - 0.5) ** 2 - p["k"] for p in batch])
            if predict and i >= 1:
                # scores told since gp_ was fitted (or gp_ is None): a fit of its own
                snapshot = _snapshot(opt)
                opt.predict(batch, return_std=True)
                opt.predict_unit(np.random.RandomState(i).uniform(size=(50, 2)), True)
                _assert_unchanged(opt, snapshot)
        return asked

    assert run(predict=True) == run(predict=False)


def test_predict_answers_with_the_current_surrogate_without_refitting(monkeypatch):
    import numpy as np

    from skhpo import _gp

    opt, xs, _ = _told()
    opt.ask()  # fits gp_ to everything told
    gp = opt.gp_

    def no_fit(*args, **kwargs):
        raise AssertionError("refitted a current surrogate")

    monkeypatch.setattr(_gp.GaussianProcess, "fit", no_fit)
    score = opt.predict([{"x": float(x)} for x in xs])
    assert opt.gp_ is gp and np.all(np.isfinite(score))


def test_predict_on_the_multi_fidelity_surrogate_is_at_the_full_resource():
    import numpy as np

    from skhpo.strategies._hyperband import _FidelityBayes

    opt = _FidelityBayes({"x": Real(-2.0, 2.0)}, min_resources=1, max_resources=9,
                         random_state=0)
    xs = np.linspace(-2.0, 2.0, 9)
    full = -(xs - 0.5) ** 2
    params = [{"x": float(x)} for x in xs]
    opt.tell_at(params, full - 3.0, [1] * 9)  # a low resource scores 3 worse
    opt.tell_at(params, full, [9] * 9)
    snapshot = _snapshot(opt)
    score, std = opt.predict(params, return_std=True)
    _assert_unchanged(opt, snapshot)
    assert np.abs(score - full).max() < 0.5 < np.abs(score - (full - 3.0)).min()
    assert np.all(std >= 0)


@pytest.mark.parametrize("call, error, match", [
    (lambda o: o.predict({"x": 0.0}), TypeError,
     "params must be a list of dicts, got a single dict"),
    (lambda o: o.predict(3.0), TypeError, "params must be a list of dicts, got float"),
    (lambda o: o.predict("x"), TypeError, "params must be a list of dicts, got str"),
    (lambda o: o.predict([{"x": 0.0}, [0.5]]), TypeError,
     r"params\[1\] is a list \(unit points go to predict_unit\)"),
    (lambda o: o.predict([{"x": 5.0}]), ValueError,
     r"params\[0\]: .* is not a point of the search space"),
    (lambda o: o.predict([{"y": 0.0}]), ValueError,
     r"params\[0\]: .* is not a point of the search space"),
    (lambda o: o.predict_unit([0.5]), ValueError,
     r"U must be a 2-D array of shape \(n_points, 1\), got shape \(1,\)"),
    (lambda o: o.predict_unit([[0.5, 0.5]]), ValueError,
     r"U must be a 2-D array of shape \(n_points, 1\), got shape \(1, 2\)"),
    (lambda o: o.predict_unit([[1.5]]), ValueError, r"U must lie in the unit cube"),
    (lambda o: o.predict_unit([[float("nan")]]), ValueError,
     r"U must lie in the unit cube"),
    (lambda o: o.predict_unit([[{"x": 0.0}]]), TypeError,
     "U must be an array of unit points"),
], ids=["one dict", "a number", "a string", "not dicts", "outside the space",
        "unknown name", "1-D unit points", "wrong width", "outside the cube", "nan",
        "not numbers"])
def test_predict_refuses_bad_input(call, error, match):
    opt, _, _ = _told()
    snapshot = _snapshot(opt)
    with pytest.raises(error, match=match):
        call(opt)
    _assert_unchanged(opt, snapshot)


@pytest.mark.parametrize("scores, match", [
    ([], "This BayesOptimizer has no observations yet: tell it some scores"),
    ([float("nan")] * 3, "has no successful observations .every score told is nan. yet"),
])
@pytest.mark.parametrize("method", ["predict", "predict_unit"])
def test_predict_needs_a_finite_score(scores, match, method):
    opt = BayesOptimizer({"x": Real(-2.0, 2.0)}, random_state=0)
    opt.tell([{"x": x} for x in (-1.0, 0.0, 1.0)][:len(scores)], scores)
    point = [{"x": 0.0}] if method == "predict" else [[0.5]]
    with pytest.raises(ValueError, match=match):
        getattr(opt, method)(point)
