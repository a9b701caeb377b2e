"""Library-neutral search-space description and its translations.

Every benchmark problem declares its space once with :class:`Real`,
:class:`Integer` and :class:`Categorical`; each method then receives the
same space expressed in its own native vocabulary (scipy.stats frozen
distributions, ``skhpo.space``, ``skopt.space``, optuna distributions,
``sklearn_genetic.space``).  Bounds are inclusive everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Real:
    """A real dimension on ``[low, high]``, uniform or log-uniform."""

    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Integer:
    """An integer dimension on ``{low, ..., high}`` (both ends included)."""

    low: int
    high: int
    log: bool = False


@dataclass(frozen=True)
class Categorical:
    """A categorical dimension over ``choices``."""

    choices: tuple


Space = Mapping[str, Any]


def _unsupported(dim, target):
    return NotImplementedError(f"{dim!r} has no {target} translation")


def to_scipy(space: Space) -> dict:
    """``param_distributions`` for RandomizedSearchCV (and skhpo as a drop-in)."""
    out = {}
    for name, d in space.items():
        if isinstance(d, Real):
            out[name] = (stats.loguniform(d.low, d.high) if d.log
                         else stats.uniform(d.low, d.high - d.low))
        elif isinstance(d, Integer):
            if d.log:
                raise _unsupported(d, "scipy.stats")
            out[name] = stats.randint(d.low, d.high + 1)
        else:
            out[name] = list(d.choices)
    return out


def to_skhpo(space: Space) -> dict:
    """The space with ``skhpo.space`` dimensions."""
    from skhpo.space import Categorical as C, Integer as I, Real as R

    out = {}
    for name, d in space.items():
        if isinstance(d, Real):
            out[name] = R(d.low, d.high, log=d.log)
        elif isinstance(d, Integer):
            out[name] = I(d.low, d.high, log=d.log)
        else:
            out[name] = C(list(d.choices))
    return out


def to_skopt(space: Space) -> dict:
    """The space with ``skopt.space`` dimensions (named after the keys)."""
    from skopt.space import Categorical as C, Integer as I, Real as R

    out = {}
    for name, d in space.items():
        prior = "log-uniform" if getattr(d, "log", False) else "uniform"
        if isinstance(d, Real):
            out[name] = R(d.low, d.high, prior=prior, name=name)
        elif isinstance(d, Integer):
            out[name] = I(d.low, d.high, prior=prior, name=name)
        else:
            out[name] = C(list(d.choices), name=name)
    return out


def to_optuna(space: Space) -> dict:
    """The space with ``optuna.distributions`` objects."""
    from optuna.distributions import (CategoricalDistribution,
                                      FloatDistribution, IntDistribution)

    out = {}
    for name, d in space.items():
        if isinstance(d, Real):
            out[name] = FloatDistribution(d.low, d.high, log=d.log)
        elif isinstance(d, Integer):
            out[name] = IntDistribution(d.low, d.high, log=d.log)
        else:
            out[name] = CategoricalDistribution(list(d.choices))
    return out


def to_sklearn_genetic(space: Space) -> dict:
    """The space with ``sklearn_genetic.space`` objects."""
    from sklearn_genetic.space import Categorical as C, Continuous, Integer as I

    out = {}
    for name, d in space.items():
        if isinstance(d, Real):
            dist = "log-uniform" if d.log else "uniform"
            out[name] = Continuous(d.low, d.high, distribution=dist)
        elif isinstance(d, Integer):
            if d.log:
                raise _unsupported(d, "sklearn_genetic")
            out[name] = I(d.low, d.high)
        else:
            out[name] = C(list(d.choices))
    return out


def sample(space: Space, n: int, rng: np.random.Generator) -> list[dict]:
    """Draw ``n`` independent points (native Python values) from ``space``."""
    points = []
    for _ in range(n):
        p = {}
        for name, d in space.items():
            if isinstance(d, Real):
                if d.log:
                    v = np.exp(rng.uniform(np.log(d.low), np.log(d.high)))
                else:
                    v = rng.uniform(d.low, d.high)
                p[name] = float(v)
            elif isinstance(d, Integer):
                p[name] = int(rng.integers(d.low, d.high + 1))
            else:
                p[name] = d.choices[int(rng.integers(len(d.choices)))]
        points.append(p)
    return points
