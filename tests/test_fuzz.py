"""Fuzzing: whatever a user passes as ``param_distributions`` or constructor parameters,
a search either runs and stays within the space, or refuses with a clear ValueError or
TypeError before fitting anything; never a crash from deep inside numpy or scipy."""

import math
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.datasets import load_iris

from skhpo import BayesSearchCV, EvolutionSearchCV, HyperbandSearchCV
from skhpo.space import Categorical, Integer, Real
from tests._estimators import FITS, Free

X, Y = load_iris(return_X_y=True)

scalars = st.one_of(
    st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3), st.none(), st.booleans(),
)
numbers = st.one_of(st.integers(-1000, 1000),
                    st.floats(allow_nan=True, allow_infinity=True, width=32))

# a spec: ("kind", args) -> built inside the test, so that construction errors count
specs = st.one_of(
    st.tuples(st.just("list"), st.lists(scalars, max_size=4)),
    st.tuples(st.just("scalar"), scalars),
    st.tuples(st.just("dict"), st.dictionaries(st.text(max_size=2), scalars, max_size=2)),
    st.tuples(st.just("Real"), st.tuples(numbers, numbers, st.booleans())),
    st.tuples(st.just("Integer"), st.tuples(numbers, numbers, st.booleans())),
    st.tuples(st.just("Categorical"), st.lists(scalars, max_size=3)),
    st.tuples(st.just("uniform"), st.tuples(numbers, numbers)),
    st.tuples(st.just("loguniform"), st.tuples(numbers, numbers)),
    st.tuples(st.just("randint"), st.tuples(numbers, numbers)),
    st.tuples(st.just("norm"), st.tuples(numbers, numbers)),
)


def build(spec):
    kind, args = spec
    if kind in ("list", "scalar", "dict"):
        return args
    if kind in ("Real", "Integer"):
        return {"Real": Real, "Integer": Integer}[kind](args[0], args[1], log=args[2])
    if kind == "Categorical":
        return Categorical(args)
    return getattr(stats, kind)(*args)


def within(spec, value):
    kind, args = spec
    if kind in ("list", "Categorical"):
        return any(value is v or value == v for v in args)
    if kind == "Real":
        return type(value) is float and min(args[:2]) <= value <= max(args[:2])
    if kind == "Integer":
        return type(value) is int and args[0] <= value <= args[1]
    if kind == "uniform":
        return type(value) is float and args[0] <= value <= args[0] + args[1]
    if kind == "loguniform":
        return type(value) is float and args[0] <= value <= args[1]
    if kind == "randint":
        return type(value) is int and args[0] <= value < args[1]
    if kind == "norm":
        return type(value) is float and math.isfinite(value)
    return False


SEARCHES = {
    BayesSearchCV: dict(n_iter=3, n_initial_points=2),
    EvolutionSearchCV: dict(n_iter=3, population_size=2),
    HyperbandSearchCV: dict(n_brackets=2, min_resources=50),
}


def run(cls, space, **kwargs):
    """Fit; return the search, or the ValueError/TypeError it raised before fitting."""
    FITS.clear()
    params = dict(cv=2, random_state=0, **SEARCHES[cls])
    params.update(kwargs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(Free(), space, **params).fit(X, Y)
    except (ValueError, TypeError) as exc:
        assert not FITS, f"{type(exc).__name__} after fitting: {exc}"
        assert str(exc), "an error without a message"
        return exc


@pytest.mark.parametrize("cls", list(SEARCHES), ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_space_is_searched_within_bounds_or_refused_clearly(cls, data):
    specs_ = data.draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), specs,
                                       min_size=1, max_size=3))
    try:
        space = {name: build(spec) for name, spec in specs_.items()}
    except (ValueError, TypeError) as exc:
        assert str(exc)
        return  # refused at construction, clearly
    result = run(cls, space)
    if isinstance(result, Exception):
        return
    for params in result.cv_results_["params"]:
        for name, spec in specs_.items():
            assert within(spec, params[name]), (name, spec, params[name])


BAD_VALUES = st.one_of(st.integers(-3, 4), st.floats(allow_nan=True, allow_infinity=True),
                       st.text(max_size=3), st.none(), st.booleans(),
                       st.lists(st.integers(), max_size=2))
CONSTRUCTOR = {
    BayesSearchCV: ["n_iter", "n_initial_points", "n_points", "acquisition",
                    "random_state", "cv", "error_score", "refit", "checkpoint"],
    EvolutionSearchCV: ["n_iter", "population_size", "crossover_rate", "mutation_rate",
                        "patience", "random_state", "cv"],
    HyperbandSearchCV: ["eta", "min_resources", "max_resources", "n_brackets",
                        "sampler", "resource", "random_state", "cv"],
}


@pytest.mark.parametrize("cls", list(SEARCHES), ids=lambda c: c.__name__)
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_any_constructor_parameter_is_accepted_or_refused_clearly(cls, data):
    name = data.draw(st.sampled_from(CONSTRUCTOR[cls]))
    value = data.draw(BAD_VALUES)
    if name == "checkpoint" and isinstance(value, str):
        return  # a file name in the working directory: exercised in test_checkpoint
    run(cls, {"a": Real(0.0, 1.0), "b": ["x", "y"]}, **{name: value})
