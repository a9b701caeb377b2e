import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from skhpo.space import Categorical, Integer, Real, SearchSpace

MIXED = {
    "a": Real(1e-3, 1e3, log=True),
    "b": Real(-1.0, 2.0),
    "c": Integer(1, 50),
    "d": Integer(2, 4096, log=True),
    "e": Categorical(["x", None, (1, 2), SVC()]),
    "f": stats.loguniform(1e-4, 1e-1),
    "g": stats.randint(3, 9),
    "h": stats.norm(0.0, 2.0),
    "i": [True, False],
}
CONDITIONAL = [
    {"clf": [SVC()], "clf__C": stats.loguniform(1e-2, 1e2)},
    {"clf": [LogisticRegression()], "clf__C": Real(0.1, 10.0), "clf__tol": [1e-4, 1e-3]},
]


def _check_value(dim, value):
    if isinstance(dim, Real):
        assert type(value) is float and dim.low <= value <= dim.high
    elif isinstance(dim, Integer):
        assert type(value) is int and dim.low <= value <= dim.high
    elif isinstance(dim, Categorical):
        assert any(value is c for c in dim.choices)
    else:  # scipy distribution
        low, high = dim.dist.support()
        assert low <= value <= high
        assert type(value) is (int if dim.discrete else float)


@pytest.mark.parametrize("spec", [MIXED, CONDITIONAL], ids=["mixed", "conditional"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_decode_is_native_in_bounds_and_round_trips(spec, data):
    space = SearchSpace(spec)
    u = np.array(
        data.draw(st.lists(st.floats(0, 1), min_size=space.n_coords, max_size=space.n_coords))
    )
    snapped = space.snap(u)
    # snapping is idempotent
    np.testing.assert_allclose(space.snap(snapped), snapped, atol=1e-12)
    [params] = space.decode(snapped)
    sub = space.subspaces[space.subspace_index(snapped)[0]]
    assert set(params) == {k for k, _ in sub}
    for name, dim in sub:
        _check_value(dim, params[name])
    # decode(encode(params)) gives the same values back
    [again] = space.decode(space.encode(params))
    for name, dim in sub:
        if isinstance(params[name], float):
            assert math.isclose(again[name], params[name], rel_tol=1e-7, abs_tol=1e-12)
        else:
            assert again[name] is params[name] or again[name] == params[name]


@settings(max_examples=50, deadline=None)
@given(
    low=st.integers(-1000, 1000),
    width=st.integers(1, 1000),
    log=st.booleans(),
    u=st.floats(0, 1),
)
def test_integer_bins_cover_every_value(low, width, log, u):
    if log:
        low = abs(low) + 1
    dim = Integer(low, low + width, log=log)
    [v] = dim.from_unit(np.array([u]))
    assert low <= v <= low + width
    assert dim.from_unit(np.array([dim.to_unit(v)])) == [v]
    grid = dim.grid_unit()
    assert [x for u in grid for x in dim.from_unit(np.array([u]))] == list(
        range(low, low + width + 1)
    )


def test_priors_are_followed():
    rng = np.random.RandomState(0)
    space = SearchSpace({"r": Real(1e-3, 1e3, log=True), "i": Integer(0, 3),
                         "c": ["a", "b"], "n": stats.norm(5, 1)})
    params = space.decode(space.sample(4000, rng))
    logs = np.log10([p["r"] for p in params])
    assert abs(np.mean(logs)) < 0.1  # log-uniform over [-3, 3]
    assert np.bincount([p["i"] for p in params]).min() > 900
    assert abs(np.mean([p["c"] == "a" for p in params]) - 0.5) < 0.03
    assert abs(np.mean([p["n"] for p in params]) - 5) < 0.1


def test_size_grid_and_numpy_choices():
    space = SearchSpace([{"a": [1, 2, 3], "b": Integer(0, 1)}, {"c": np.array([0.5, 1.5])}])
    assert space.size == 8
    decoded = space.decode(space.grid())
    assert len({tuple(sorted(p.items())) for p in decoded}) == 8
    assert all(type(p["c"]) is float for p in decoded if "c" in p)
    assert SearchSpace({"a": Real(0, 1)}).size == math.inf
    assert SearchSpace({"a": stats.randint(0, 10)}).size == 10


def test_dimensions_are_immutable_equal_by_value_and_pickle():
    assert Real(0, 1) == Real(0.0, 1.0)
    assert Real(1, 2) != Real(1, 2, log=True)
    assert Real(1, 2, log=True) == Real(1, 2, log=True)
    assert Integer(1, 5) == Integer(1, 5) and Integer(1, 5) != Real(1, 5)
    assert Categorical(["a", None]) == Categorical(["a", None])
    assert hash(Real(1, 2)) == hash(Real(1, 2))
    for dim in (Real(1, 2, log=True), Integer(1, 5), Categorical(["a", (1,)])):
        assert pickle.loads(pickle.dumps(dim)) == dim
        with pytest.raises(AttributeError):
            dim.low = 0


def test_encode_refuses_points_outside_the_space():
    space = SearchSpace({"a": Real(0, 1), "b": ["x", "y"]})
    with pytest.raises(ValueError, match="outside"):
        space.encode({"a": 2.0, "b": "x"})
    with pytest.raises(ValueError, match="not one of|outside"):
        space.encode({"a": 0.5, "b": "z"})
    with pytest.raises(ValueError, match="has parameters"):
        space.encode({"a": 0.5})


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: Real(1, 1), ValueError, "low must be < high"),
        (lambda: Real(2, 1), ValueError, "low must be < high"),
        (lambda: Real(0, 1, log=True), ValueError, "low must be > 0 when log=True"),
        (lambda: Real("a", 1), TypeError, "low must be a real number"),
        (lambda: Real(0, math.inf), ValueError, "high must be finite"),
        (lambda: Real(0, 1, log="yes"), TypeError, "log must be a bool"),
        (lambda: Real(-1e308, 1e308), ValueError,
         r"^Real: high - low must be a finite float, got low=-1e\+308, high=1e\+308\.$"),
        (lambda: Integer(3, 3), ValueError, "low must be < high"),
        (lambda: Integer(0, 10, log=True), ValueError, "low must be > 0"),
        (lambda: Integer(0.5, 3), TypeError, "low must be an int"),
        (lambda: Categorical([]), ValueError, "must not be empty"),
        (lambda: Categorical("abc"), TypeError, "list of values"),
        (lambda: Categorical(5), TypeError, "list of values"),
        # a set of strings is ordered by the hash seed: candidates would change by run
        (lambda: Categorical({"a", "b"}), TypeError,
         r"^Categorical: choices must be a list of values \(or a tuple, or a 1-D array\), "
         r"not a set: its order must not change between runs\.$"),
        (lambda: Categorical(frozenset([1, 2])), TypeError, "not a frozenset: its order"),
    ],
)
def test_dimension_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    "spec, error, match",
    [
        ({"C": []}, ValueError, r"param_distributions\['C'\] is an empty list"),
        ({"C": 1.0}, TypeError, r"param_distributions\['C'\] must be a list of choices"),
        ({"C": "abc"}, TypeError, r"param_distributions\['C'\] must be a list"),
        ({"C": {"a": 1}}, TypeError, r"param_distributions\['C'\] must be a list"),
        ({"C": stats.loguniform(-1, 1)}, ValueError, r"\['C'\].*invalid parameters"),
        ({1: [1, 2]}, TypeError, "keys must be parameter names"),
        ([], ValueError, "must not be an empty list"),
        ([{"C": [1]}, 3], TypeError, r"param_distributions\[1\] must be a dict"),
        ("C", TypeError, "must be a dict or a list of dicts"),
    ],
)
def test_search_space_errors(spec, error, match):
    with pytest.raises(error, match=match):
        SearchSpace(spec)


def test_rvs_without_quantile_function_is_refused():
    class OnlyRvs:
        def rvs(self, random_state=None):
            return 1.0

    with pytest.raises(TypeError, match=r"\['C'\].*no ppf"):
        SearchSpace({"C": OnlyRvs()})


# -- discrete scipy.stats distributions --------------------------------------------------


@pytest.mark.parametrize("dist, low, high", [
    (stats.geom(0.3), 1, 59),         # infinite support, reached between the quantiles
    (stats.poisson(0.5, loc=1), 1, 10),
    (stats.binom(100, 0.5), 21, 79),  # finite support, reached in part
    (stats.randint(4, 64), 4, 63),
])
def test_a_discrete_distribution_has_the_values_its_quantiles_reach(dist, low, high):
    space = SearchSpace({"k": dist})
    assert space.size == high - low + 1
    values = sorted(p["k"] for p in space.decode(space.grid()))
    assert values == list(range(low, high + 1))
    assert all(type(v) is int for v in values)
    rng = np.random.RandomState(0)
    assert all(low <= p["k"] <= high for p in space.decode(space.sample(200, rng)))


@pytest.mark.parametrize("frozen", [True, False])
def test_rv_discrete_with_listed_values_takes_only_those(frozen):
    dist = stats.rv_discrete(values=([1, 5, 15], [0.2, 0.3, 0.5]))
    space = SearchSpace({"k": dist() if frozen else dist})
    assert space.size == 3
    assert sorted(p["k"] for p in space.decode(space.grid())) == [1, 5, 15]
    drawn = [p["k"] for p in space.decode(space.sample(300, np.random.RandomState(0)))]
    assert set(drawn) == {1, 5, 15} and all(type(v) is int for v in drawn)
    # each value's coordinate is the middle of its mass: 0.1, 0.35, 0.75
    np.testing.assert_allclose(sorted(space.encode({"k": v})[0] for v in (1, 5, 15)),
                               [0.1, 0.35, 0.75])
    halves = stats.rv_discrete(values=([0.5, 1.5], [0.5, 0.5]))()
    halves = SearchSpace({"k": halves})
    assert sorted(p["k"] for p in halves.decode(halves.grid())) == [0.5, 1.5]
    # a value whose mass is lost in rounding cannot be drawn, nor counted
    lost = SearchSpace({"k": stats.rv_discrete(values=([0, 1, 2], [0.5, 1e-20, 0.5]))()})
    assert lost.size == 2
    assert sorted(p["k"] for p in lost.decode(lost.grid())) == [0, 2]


def test_a_distribution_that_is_not_frozen_is_refused_naming_the_parameter():
    with pytest.raises(TypeError, match=r"^param_distributions\['k'\]: .* cannot be "
                       r"evaluated as a distribution \(TypeError: .*\); pass a frozen "
                       r"one, such as scipy.stats.randint\(1, 10\)\.$"):
        SearchSpace({"k": stats.randint})


def test_choices_of_different_types_are_different_choices():
    # max_features=1 is one feature, 1.0 all of them; numpy scalars are Python ones
    dim = Categorical([1, 1.0, np.int64(1), True, np.float64(1.0), "1"])
    assert dim.n_values == 4
    space = SearchSpace({"max_features": [1, 1.0]})
    decoded = [p["max_features"] for p in space.decode(space.grid())]
    assert sorted(map(repr, decoded)) == ["1", "1.0"]
    assert [type(v) for v in dim.from_unit(dim.grid_unit())] == [int, float, bool, str]
    assert dim.index(np.int64(1)) == 0 and dim.index(1.0) == 1 and dim.index(True) == 3


def test_a_point_of_two_sub_spaces_is_one_point():
    space = SearchSpace([{"C": [0.1, 1.0, 10.0]}, {"C": [1.0, 10.0, 100.0]},
                         {"C": [1.0], "kernel": ["rbf"]}])
    assert space.size == 5
    grid = space.grid()
    assert [p for p in space.decode(grid)] == [
        {"C": 0.1}, {"C": 1.0}, {"C": 10.0}, {"C": 100.0}, {"C": 1.0, "kernel": "rbf"}]
    # C=10 drawn in the second sub-space is the first sub-space's point
    U = space.sample(200, np.random.RandomState(0))
    keys = {tuple(u) for u in U}
    assert len(keys) == 5
    for u in U:
        np.testing.assert_array_equal(space.encode(space.decode(u)[0]), u)


def test_repeated_nan_and_array_choices_are_one_choice():
    nan = Categorical([float("nan"), float("nan"), 1.0])
    assert nan.n_values == 2
    assert nan.to_unit(float("nan")) == nan.to_unit(np.float64("nan")) != nan.to_unit(1.0)
    arrays = Categorical([np.zeros(2), np.zeros(2), np.ones(2), np.zeros(3)])
    assert arrays.n_values == 3
    assert arrays.to_unit(np.zeros(2)) == arrays.to_unit(arrays.choices[1])
    assert Categorical([np.zeros(2), np.zeros(2, dtype=int)]).n_values == 2


def test_ordered_containers_are_choices_in_their_order():
    pd = pytest.importorskip("pandas")
    expected = ("b", "a", "c")
    for choices in (pd.Series(list("bac")), pd.Index(list("bac")),
                    dict.fromkeys("bac").keys(), (c for c in "bac"), np.array(list("bac"))):
        assert Categorical(choices).choices == expected
    # in param_distributions too, but for an iterator, which a second fit (or a clone)
    # would find empty
    for choices in (pd.Series(list("bac")), pd.Index(list("bac")),
                    dict.fromkeys("bac").keys(), range(3)):
        (((_, dim),),) = SearchSpace({"k": choices}).subspaces
        assert dim.choices == tuple(choices)
    for choices in ((c for c in "bac"), iter("bac")):
        with pytest.raises(TypeError, match=r"^param_distributions\['k'\] must be a list "
                           r"\(or tuple, or 1-D array\) of choices, not a \w+: it can be "
                           r"read only once\.$"):
            SearchSpace({"k": choices})
