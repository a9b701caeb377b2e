"""skhpo.plot: each plot rendered headless, checked for what it drew."""

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import RandomizedSearchCV
from sklearn.svm import SVC

from skhpo import BayesSearchCV, EvolutionSearchCV, HyperbandSearchCV

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skhpo import plot  # noqa: E402

X, Y = load_iris(return_X_y=True)
SPACE = {"C": loguniform(1e-2, 1e2), "gamma": loguniform(1e-3, 1e1),
         "shrinking": [True, False]}


@pytest.fixture(scope="module")
def searches():
    bayes = BayesSearchCV(SVC(), SPACE, n_iter=10, n_initial_points=5, cv=3,
                          random_state=0).fit(X, Y)
    rand = RandomizedSearchCV(SVC(), SPACE, n_iter=10, cv=3, random_state=0).fit(X, Y)
    hyper = HyperbandSearchCV(SVC(), SPACE, cv=3, random_state=0).fit(X, Y)
    return bayes, rand, hyper


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_convergence_draws_one_best_so_far_line_per_search(searches):
    bayes, rand, hyper = searches
    ax = plot.plot_convergence(bayes, rand, hyper)
    assert [ln.get_label() for ln in ax.lines] == [
        "BayesSearchCV", "RandomizedSearchCV", "HyperbandSearchCV"]
    y = ax.lines[0].get_ydata()
    assert len(y) == 10 and np.all(np.diff(y) >= 0)
    assert y[-1] == bayes.best_score_
    # Hyperband: only candidates at the largest resource count
    assert np.nanmax(ax.lines[2].get_ydata()) == hyper.best_score_
    assert ax.get_xlabel() == "candidates evaluated"
    assert ax.get_ylabel() == "best mean CV score so far"
    ax = plot.plot_convergence(bayes.cv_results_, x="time", labels=["mine"])
    x = ax.lines[0].get_xdata()
    assert np.all(np.diff(x) > 0) and ax.lines[0].get_label() == "mine"
    assert ax.get_xlabel() == "cumulative fit and score time (s)"


def test_scores_against_each_parameter(searches):
    bayes = searches[0]
    fig = plot.plot_scores(bayes)
    assert [ax.get_xlabel() for ax in fig.axes] == ["C", "gamma", "shrinking"]
    points = fig.axes[0].collections[0].get_offsets()
    assert len(points) == 10
    np.testing.assert_allclose(sorted(points[:, 1]),
                               sorted(bayes.cv_results_["mean_test_score"]))
    assert fig.axes[0].get_xscale() == "log"  # C spans four decades
    assert [t.get_text() for t in fig.axes[2].get_xticklabels()] in (
        ["True", "False"], ["False", "True"])
    fig = plot.plot_scores(bayes, params=["gamma"])
    assert len(fig.axes) == 1


def test_parallel_coordinates_draw_a_line_per_candidate(searches):
    bayes = searches[0]
    ax = plot.plot_parallel_coordinates(bayes)
    assert len(ax.lines) == 10
    assert [t.get_text() for t in ax.get_xticklabels()] == ["C", "gamma", "shrinking",
                                                            "score"]
    ys = np.array([ln.get_ydata() for ln in ax.lines])
    assert ys.min() >= 0 and ys.max() <= 1
    assert ys[-1, -1] == 1.0  # the best is drawn last, at the top of the score axis


def test_rungs_connect_each_candidate_across_resources(searches):
    hyper = searches[2]
    ax = plot.plot_rungs(hyper)
    res = hyper.cv_results_
    xs = np.concatenate([ln.get_xdata() for ln in ax.lines])
    assert len(xs) == len(res["params"]) and ax.get_xscale() == "log"
    promoted = [ln for ln in ax.lines if len(ln.get_xdata()) > 1]
    assert promoted and all(np.all(np.diff(ln.get_xdata()) > 0) for ln in promoted)
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        f"bracket {b}" for b in set(res["bracket"])}
    with pytest.raises(ValueError, match="plot_rungs needs a HyperbandSearchCV"):
        plot.plot_rungs(searches[0])


def test_rungs_of_cv_results_alone_and_of_successive_halving():
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import HalvingRandomSearchCV

    space = {"C": loguniform(1e-2, 1e2)}
    hyper = HyperbandSearchCV(LogisticRegression(), space, resource="max_iter",
                              min_resources=2, max_resources=54, cv=3,
                              random_state=0).fit(X, Y)

    def connected(ax):
        return sorted(len(ln.get_xdata()) for ln in ax.lines)

    # the resource parameter (max_iter) is found in cv_results_ alone
    from_search = plot.plot_rungs(hyper)
    from_results = plot.plot_rungs(hyper.cv_results_)
    assert connected(from_results) == connected(from_search) and max(
        connected(from_search)) == 4
    assert from_results.get_xlabel() == from_search.get_xlabel() == "resource (max_iter)"
    halving = HalvingRandomSearchCV(LogisticRegression(), space, n_candidates=9, cv=3,
                                    random_state=0).fit(X, Y)
    for source in (halving, halving.cv_results_):
        ax = plot.plot_rungs(source)
        assert sum(connected(ax)) == len(halving.cv_results_["params"])
        assert max(connected(ax)) == halving.n_iterations_
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["bracket 0"]
        assert ax.get_xlabel() == "resource (n_samples)"


def test_partial_dependence_one_and_two_parameters(searches):
    bayes = searches[0]
    ax = plot.plot_partial_dependence(bayes, "C", grid_resolution=15)
    line = ax.lines[0]
    assert len(line.get_xdata()) == 15 and ax.get_xscale() == "log"
    scores = bayes.cv_results_["mean_test_score"]
    # in score units: within the range of the scores observed
    assert scores.min() - 1e-9 <= line.get_ydata().min()
    assert line.get_ydata().max() <= scores.max() + 1e-9
    assert len(ax.collections[0].get_offsets()) == 10
    ax = plot.plot_partial_dependence(bayes, "shrinking")
    assert len(ax.patches) == 2
    ax = plot.plot_partial_dependence(bayes, ["C", "gamma"], grid_resolution=8)
    assert ax.get_xlabel() == "C" and ax.get_ylabel() == "gamma"
    assert len(ax.figure.axes) == 2  # the contours and their colour bar


def test_partial_dependence_leaves_the_search_as_it_is(searches):
    import pickle

    optimizer = searches[0].optimizer_
    gp, theta, attributes = optimizer.gp_, optimizer._theta, dict(vars(optimizer))
    state = pickle.dumps(optimizer)
    first = plot.plot_partial_dependence(searches[0], "C").lines[0].get_ydata()
    plot.plot_partial_dependence(searches[0], ["C", "gamma"], grid_resolution=5)
    again = plot.plot_partial_dependence(searches[0], "C").lines[0].get_ydata()
    np.testing.assert_array_equal(again, first)
    assert searches[0].optimizer_ is optimizer
    assert optimizer.gp_ is gp and optimizer._theta is theta
    assert all(vars(optimizer)[k] is v for k, v in attributes.items())
    assert vars(optimizer).keys() == attributes.keys()
    assert pickle.dumps(optimizer) == state


def test_partial_dependence_averages_the_surrogate_prediction(searches, monkeypatch):
    bayes = searches[0]
    optimizer = bayes.optimizer_
    space = optimizer.space
    names = [name for name, _ in space.subspaces[0]]  # C, gamma, shrinking
    base = space.sample(16, np.random.RandomState(3))

    def by_hand(assign):
        U = base.copy()
        for name, u in assign.items():
            U[:, names.index(name)] = u
        return optimizer.predict_unit(U).mean()

    grid = np.linspace(0.0, 1.0, 4)
    ax = plot.plot_partial_dependence(bayes, "gamma", n_samples=16, grid_resolution=4,
                                      random_state=3)
    np.testing.assert_allclose(ax.lines[0].get_ydata(),
                               [by_hand({"gamma": u}) for u in grid], rtol=1e-12)
    drawn = []
    contourf = type(ax).contourf
    monkeypatch.setattr(type(ax), "contourf",
                        lambda self, x, y, Z, **kw: drawn.append(Z) or contourf(
                            self, x, y, Z, **kw))
    plot.plot_partial_dependence(bayes, ["C", "gamma"], n_samples=16,
                                 grid_resolution=4, random_state=3)
    expected = [[by_hand({"C": uc, "gamma": ug}) for uc in grid] for ug in grid]
    np.testing.assert_allclose(drawn[0], expected, rtol=1e-12)


def test_clear_errors(searches):
    bayes, rand, hyper = searches
    with pytest.raises(NotFittedError, match="not fitted yet"):
        plot.plot_convergence(BayesSearchCV(SVC(), SPACE))
    with pytest.raises(TypeError, match="needs a fitted BayesSearchCV; got "
                                        "RandomizedSearchCV"):
        plot.plot_partial_dependence(rand, "C")
    with pytest.raises(ValueError, match=r"params \['nope'\] were not searched"):
        plot.plot_scores(bayes, params=["nope"])
    with pytest.raises(ValueError, match=r"params \['nope'\] were not searched"):
        plot.plot_scores(bayes, params="nope")  # a name, not its letters
    assert len(plot.plot_scores(bayes, params="gamma").axes) == 1
    with pytest.raises(ValueError, match="params must name at least one parameter"):
        plot.plot_parallel_coordinates(bayes, params=[])
    with pytest.raises(ValueError, match="one or two parameters"):
        plot.plot_partial_dependence(bayes, ["C", "gamma", "shrinking"])
    with pytest.raises(ValueError, match="x must be 'evaluations' or 'time'"):
        plot.plot_convergence(bayes, x="seconds")
    with pytest.raises(ValueError, match="metric='f1' is not in cv_results_"):
        plot.plot_scores(bayes, metric="f1")
    with pytest.raises(TypeError, match="Expected a fitted search or its cv_results_"):
        plot.plot_convergence(42)
    evo = EvolutionSearchCV(SVC(), [{"C": [1.0]}, {"gamma": [0.1]}], n_iter=2, cv=2,
                            random_state=0)
    with pytest.raises(TypeError, match="needs a fitted BayesSearchCV"):
        plot.plot_partial_dependence(evo.fit(X, Y), "C")


def test_missing_matplotlib_is_a_clear_import_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"skhpo.plot needs matplotlib; install it "
                                          r"with pip install matplotlib"):
        plot._plt()
