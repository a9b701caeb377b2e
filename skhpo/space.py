"""Search spaces: what scikit-learn users already write, validated and mapped to the unit cube.

A search space is built from the ``param_distributions`` a user would hand to
:class:`~sklearn.model_selection.RandomizedSearchCV`: a dict, or a list of dicts for
conditional sub-spaces, whose values are lists of choices, frozen ``scipy.stats``
distributions, or skhpo's own :class:`Real`, :class:`Integer` and :class:`Categorical`.

Every strategy works on *unit points*: one coordinate in ``[0, 1]`` per dimension, plus
one leading coordinate that selects the sub-space when there are several. Each dimension
maps a coordinate to a value through its quantile function (``from_unit``) and back
(``to_unit``), so that a uniform coordinate samples the dimension's prior: uniform for
:class:`Real`, log-uniform for ``Real(..., log=True)``, the distribution itself for a
``scipy.stats`` object. :meth:`SearchSpace.features` one-hot encodes categorical
coordinates for surrogate models.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from ._validation import check_bool, check_int, check_real

__all__ = ["Real", "Integer", "Categorical", "Dimension", "SearchSpace"]

# Continuous quantile functions are evaluated on [_EPS, 1 - _EPS] so that distributions
# with unbounded support never produce infinite values.
_EPS = 1e-9
_MAX_GRID = 1_000_000  # finite spaces up to this size can be enumerated


def _native(value: Any) -> Any:
    """Return numpy scalars as the equivalent Python scalar, anything else unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value


class Dimension:
    """One searched parameter: a prior over values and its map to ``[0, 1]``.

    Subclasses implement the vectorised quantile map ``from_unit``, its inverse
    ``to_unit``, and a few facts used by the strategies (``n_values``, ``n_features``).
    """

    #: number of distinct values, ``math.inf`` for continuous dimensions
    n_values: float = math.inf
    #: number of columns this dimension takes in :meth:`SearchSpace.features`
    n_features: int = 1

    def from_unit(self, u: np.ndarray) -> list:
        """Values (native Python objects) at unit coordinates ``u``."""
        raise NotImplementedError

    def to_unit(self, value: Any) -> float:
        """The unit coordinate of ``value`` (the centre of its bin for discrete values)."""
        raise NotImplementedError

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Canonical coordinates: ``to_unit(from_unit(u))``, vectorised."""
        return np.clip(u, 0.0, 1.0)

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one this dimension can produce."""
        raise NotImplementedError

    def grid_unit(self) -> np.ndarray:
        """Coordinates of every value of a finite dimension."""
        raise ValueError(f"{self!r} has infinitely many values.")

    def features(self, u: np.ndarray) -> np.ndarray:
        """Surrogate-model features of coordinates ``u``: shape ``(len(u), n_features)``."""
        return np.asarray(u, dtype=float).reshape(-1, 1)

    def validate(self, name: str) -> None:
        """Raise a clear error, naming the parameter, if this prior cannot be searched."""


class Real(Dimension):
    """A real-valued parameter in ``[low, high]``.

    Parameters
    ----------
    low, high : float
        Inclusive bounds, ``low < high``.
    log : bool, default=False
        Search on a log scale (requires ``low > 0``): the prior is log-uniform.
    """

    __slots__ = ("low", "high", "log")

    def __init__(self, low: float, high: float, log: bool = False):
        low = check_real("Real: low", low, as_float=True)
        high = check_real("Real: high", high, as_float=True)
        check_bool("Real: log", log)
        if low >= high:
            raise ValueError(f"Real: low must be < high, got low={low!r}, high={high!r}.")
        if log and low <= 0:
            raise ValueError(f"Real: low must be > 0 when log=True, got low={low!r}.")
        if not log and not math.isfinite(high - low):
            # the unit coordinate maps to low + u * (high - low)
            raise ValueError(
                f"Real: high - low must be a finite float, got low={low!r}, high={high!r}."
            )
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "log", bool(log))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable.")

    def __repr__(self):
        log = ", log=True" if self.log else ""
        return f"Real({self.low!r}, {self.high!r}{log})"

    def __eq__(self, other):
        return type(other) is type(self) and (self.low, self.high, self.log) == (
            other.low,
            other.high,
            other.log,
        )

    def __hash__(self):
        return hash((type(self).__name__, self.low, self.high, self.log))

    def __reduce__(self):
        return (type(self), (self.low, self.high, self.log))

    def _scale(self):
        if self.log:
            return math.log(self.low), math.log(self.high)
        return self.low, self.high

    def from_unit(self, u):
        lo, hi = self._scale()
        v = lo + np.clip(np.asarray(u, dtype=float), 0.0, 1.0) * (hi - lo)
        if self.log:
            v = np.exp(v)
        return [float(x) for x in np.clip(v, self.low, self.high)]

    def to_unit(self, value):
        lo, hi = self._scale()
        v = math.log(value) if self.log else float(value)
        return float(min(1.0, max(0.0, (v - lo) / (hi - lo))))

    def contains(self, value):
        return (
            isinstance(value, numbers.Real)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )


class Integer(Dimension):
    """An integer parameter in ``[low, high]``, both inclusive.

    Each integer owns an equal share of the unit interval (of its logarithm when
    ``log=True``), so a uniform coordinate samples a uniform (log-uniform) integer.

    Parameters
    ----------
    low, high : int
        Inclusive bounds, ``low < high``.
    log : bool, default=False
        Search on a log scale (requires ``low >= 1``).
    """

    __slots__ = ("low", "high", "log")

    def __init__(self, low: int, high: int, log: bool = False):
        check_int("Integer: low", low)
        check_int("Integer: high", high)
        check_bool("Integer: log", log)
        low, high = int(low), int(high)
        if low >= high:
            raise ValueError(
                f"Integer: low must be < high, got low={low!r}, high={high!r}."
            )
        if log and low <= 0:
            raise ValueError(f"Integer: low must be > 0 when log=True, got low={low!r}.")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "log", bool(log))

    __setattr__ = Real.__setattr__
    __eq__ = Real.__eq__
    __hash__ = Real.__hash__
    __reduce__ = Real.__reduce__

    def __repr__(self):
        log = ", log=True" if self.log else ""
        return f"Integer({self.low!r}, {self.high!r}{log})"

    @property
    def n_values(self):
        return self.high - self.low + 1

    def _scale(self):
        lo, hi = self.low - 0.5, self.high + 0.5
        if self.log:
            return math.log(lo), math.log(hi)
        return lo, hi

    def _values(self, u):
        lo, hi = self._scale()
        v = lo + np.clip(np.asarray(u, dtype=float), 0.0, 1.0) * (hi - lo)
        if self.log:
            v = np.exp(v)
        return np.clip(np.floor(v + 0.5), self.low, self.high)

    def _unit_of(self, values):
        lo, hi = self._scale()
        # the centre of each integer's bin (in log space when log=True)
        if self.log:
            centre = 0.5 * (np.log(values - 0.5) + np.log(values + 0.5))
        else:
            centre = values
        return np.clip((centre - lo) / (hi - lo), 0.0, 1.0)

    def from_unit(self, u):
        return [int(x) for x in self._values(u)]

    def to_unit(self, value):
        return float(self._unit_of(np.float64(value)))

    def snap(self, u):
        return self._unit_of(self._values(u))

    def contains(self, value):
        return (
            isinstance(value, numbers.Integral)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )

    def grid_unit(self):
        return self._unit_of(np.arange(self.low, self.high + 1, dtype=float))


def _why_ordered(choices) -> str:
    """Why a set or an iterator cannot list choices: a set's order, hence the
    candidates drawn, would change from run to run (with the hash seed of strings,
    say); an iterator is read once."""
    if isinstance(choices, (set, frozenset)):
        return ": its order must not change between runs"
    return ": it can be read only once"


def _same(a: Any, b: Any) -> bool:
    """Equality that never raises (arrays, estimators and other objects as choices).

    Values of different types differ, numpy scalars aside: ``1`` and ``1.0`` are two
    choices (``max_features=1`` is one feature, ``1.0`` all of them), as are ``True``
    and ``1``; ``numpy.int64(1)`` and ``1`` are one.
    """
    if a is b:
        return True
    a, b = _native(a), _native(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and a != a:
        return b != b  # nan is one choice, however many nan objects list it
    if isinstance(a, np.ndarray):
        try:
            return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
        except Exception:
            return False
    try:
        return bool(a == b)
    except Exception:  # an object whose == does not give one truth value
        return False


class Categorical(Dimension):
    """A parameter that takes one of a list of choices, each with equal prior mass.

    Choices may be any objects: numbers, strings, ``None``, tuples, estimators.
    Numpy scalars are handed out as the equivalent Python scalars.

    Parameters
    ----------
    choices : list, tuple, array or other ordered iterable
        The values to choose from; at least one. A repeated value is one choice. Not a
        set, whose order (hence the candidates drawn) changes from run to run.
    """

    __slots__ = ("choices", "_canonical")

    def __init__(self, choices):
        if isinstance(choices, (str, bytes)) or isinstance(choices, Mapping):
            raise TypeError(
                f"Categorical: choices must be a list of values, got {choices!r}."
            )
        if isinstance(choices, (set, frozenset)):
            raise TypeError(
                "Categorical: choices must be a list of values (or a tuple, or a 1-D "
                f"array), not a {type(choices).__name__}{_why_ordered(choices)}."
            )
        try:
            choices = tuple(_native(c) for c in choices)
        except TypeError:
            raise TypeError(
                f"Categorical: choices must be a list of values, got {choices!r}."
            ) from None
        if not choices:
            raise ValueError("Categorical: choices must not be empty.")
        object.__setattr__(self, "choices", choices)
        # index of the first choice equal to each choice: duplicates are one point
        canonical = []
        for i, c in enumerate(choices):
            canonical.append(next(j for j in range(i + 1) if _same(choices[j], c)))
        object.__setattr__(self, "_canonical", np.asarray(canonical))

    __setattr__ = Real.__setattr__

    def __repr__(self):
        return f"Categorical({list(self.choices)!r})"

    def __eq__(self, other):
        return (
            type(other) is type(self)
            and len(self.choices) == len(other.choices)
            and all(_same(a, b) for a, b in zip(self.choices, other.choices))
        )

    def __hash__(self):
        return hash((type(self).__name__, len(self.choices)))

    def __reduce__(self):
        return (type(self), (list(self.choices),))

    @property
    def n_values(self):
        return len(np.unique(self._canonical))

    @property
    def n_features(self):
        return len(self.choices)

    def _index(self, u):
        k = len(self.choices)
        idx = np.floor(np.clip(np.asarray(u, dtype=float), 0.0, 1.0) * k)
        return self._canonical[np.clip(idx, 0, k - 1).astype(int)]

    def index(self, value) -> int:
        """Position of ``value`` among the choices (``ValueError`` if absent)."""
        for i, c in enumerate(self.choices):
            if c is value:
                return int(self._canonical[i])
        for i, c in enumerate(self.choices):
            if _same(c, value):
                return int(self._canonical[i])
        raise ValueError(f"{value!r} is not one of {list(self.choices)!r}.")

    def from_unit(self, u):
        return [self.choices[i] for i in np.atleast_1d(self._index(u))]

    def to_unit(self, value):
        return (self.index(value) + 0.5) / len(self.choices)

    def snap(self, u):
        return (self._index(u) + 0.5) / len(self.choices)

    def contains(self, value):
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def grid_unit(self):
        return (np.unique(self._canonical) + 0.5) / len(self.choices)

    def features(self, u):
        idx = np.atleast_1d(self._index(u))
        out = np.zeros((len(idx), len(self.choices)))
        out[np.arange(len(idx)), idx] = 1.0
        return out


class _Distribution(Dimension):
    """A frozen ``scipy.stats`` distribution, searched through its quantile function.

    The unit coordinate of a value is its CDF (the middle of its probability mass for a
    discrete distribution), so the surrogate sees a ``loguniform`` axis on a log scale.
    Quantiles are taken between ``1e-9`` and ``1 - 1e-9``: a discrete distribution's
    values are those between them (``geom(0.3)``: 1 to 59), and a
    ``rv_discrete(values=(xk, pk))`` takes only its ``xk`` of positive mass there.
    """

    def __init__(self, dist):
        self.dist = dist
        base = dist if isinstance(dist, stats.rv_discrete) else getattr(dist, "dist", None)
        self.discrete = isinstance(base, stats.rv_discrete)
        low, high = dist.support()
        self.low, self.high = float(low), float(high)
        self._points = None  # the values of a discrete distribution, where few
        self._cast = int if self.discrete else float
        if not self.discrete:
            return
        with np.errstate(all="ignore"):
            reach = np.asarray(dist.ppf([_EPS, 1.0 - _EPS]), dtype=float)
        self._reach = (float(max(reach[0], self.low)), float(min(reach[1], self.high)))
        xk = getattr(base, "xk", None)
        if xk is not None:  # rv_discrete(values=(xk, pk)): only its listed values
            xk, pk = np.asarray(xk, dtype=float), np.asarray(base.pk, dtype=float)
            lo, hi = self._reach
            points = np.unique(xk[(pk > 0) & (xk >= lo) & (xk <= hi)])
            # a value whose mass is lost in rounding (its CDF step is 0) cannot be drawn;
            # _unit_of reads self._points, so set it before filtering
            self._points = points
            self._points = points[self._values(self._unit_of(points)) == points]
            if not all(float(x).is_integer() for x in self._points):
                self._cast = float

    def __repr__(self):
        d = self.dist
        name = getattr(getattr(d, "dist", None), "name", type(d).__name__)
        args = ", ".join([repr(a) for a in getattr(d, "args", ())])
        kwds = ", ".join(f"{k}={v!r}" for k, v in getattr(d, "kwds", {}).items())
        return f"{name}({', '.join(x for x in (args, kwds) if x)})"

    def __eq__(self, other):
        return type(other) is type(self) and other.dist is self.dist

    def __hash__(self):
        return id(self.dist)

    @property
    def n_values(self):
        if self._points is not None:
            return len(self._points)
        if self.discrete and all(math.isfinite(r) for r in self._reach):
            return int(self._reach[1] - self._reach[0] + 1)
        return math.inf

    def validate(self, name):
        with np.errstate(all="ignore"):
            probe = np.asarray(self.dist.ppf([_EPS, 0.5, 1 - _EPS]), dtype=float)
        if not np.all(np.isfinite(probe)):
            raise ValueError(
                f"param_distributions[{name!r}]: the distribution {self!r} has invalid "
                "parameters (its quantile function is not finite)."
            )

    def _values(self, u):
        u = np.clip(np.asarray(u, dtype=float), _EPS, 1.0 - _EPS)
        v = np.asarray(self.dist.ppf(u), dtype=float)
        return np.clip(v, self.low, self.high)

    def _unit_of(self, values):
        values = np.asarray(values, dtype=float)
        if self._points is not None:
            # the middle of the mass of each listed value: from the CDF at the value
            # before it
            i = np.searchsorted(self._points, values) - 1
            prev = self._points[np.clip(i, 0, None)]
            below = np.where(i >= 0, self.dist.cdf(prev), 0.0)
            u = 0.5 * (below + self.dist.cdf(values))
        elif self.discrete:
            u = 0.5 * (self.dist.cdf(values - 1) + self.dist.cdf(values))
        else:
            u = self.dist.cdf(values)
        return np.clip(np.asarray(u, dtype=float), 0.0, 1.0)

    def from_unit(self, u):
        return [self._cast(x) for x in np.atleast_1d(self._values(u))]

    def to_unit(self, value):
        return float(self._unit_of(value))

    def snap(self, u):
        if self.discrete:
            return self._unit_of(self._values(u))
        # the quantiles are taken within [_EPS, 1 - _EPS]: u = 0 is the point at _EPS
        # (which is what telling its value back encodes to)
        return np.clip(u, _EPS, 1.0 - _EPS)

    def contains(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if self._points is not None:
            return bool(np.isclose(self._points, float(value), rtol=0, atol=1e-12).any())
        if self.discrete and not float(value).is_integer():
            return False
        return self.low <= value <= self.high

    def grid_unit(self):
        if not math.isfinite(self.n_values):
            return super().grid_unit()
        if self._points is not None:
            return self._unit_of(self._points)
        return self._unit_of(np.arange(self._reach[0], self._reach[1] + 1))


def as_dimension(name: str, value: Any) -> Dimension:
    """The :class:`Dimension` for one entry ``name: value`` of ``param_distributions``."""
    if isinstance(value, Dimension):
        dim = value
    elif hasattr(value, "ppf") and hasattr(value, "cdf") and hasattr(value, "rvs"):
        try:
            dim = _Distribution(value)
        except (TypeError, ValueError) as exc:  # e.g. a distribution not frozen
            raise TypeError(
                f"param_distributions[{name!r}]: {value!r} cannot be evaluated as a "
                f"distribution ({type(exc).__name__}: {exc}); pass a frozen one, such "
                "as scipy.stats.randint(1, 10)."
            ) from None
    elif hasattr(value, "rvs"):
        raise TypeError(
            f"param_distributions[{name!r}]: {value!r} has rvs() but no ppf()/cdf(); "
            "skhpo needs a frozen scipy.stats distribution, a list of choices, or "
            "skhpo.space.Real/Integer/Categorical."
        )
    elif isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise TypeError(
            f"param_distributions[{name!r}] must be a list of choices, a frozen "
            "scipy.stats distribution or skhpo.space.Real/Integer/Categorical; "
            f"got {type(value).__name__} {value!r}."
        )
    elif isinstance(value, (set, frozenset)) or iter(value) is value:
        # a set is hash-ordered; an iterator (a generator, say) can be read only once,
        # and the search is cloned, pickled and fitted again
        raise TypeError(
            f"param_distributions[{name!r}] must be a list (or tuple, or 1-D array) of "
            f"choices, not a {type(value).__name__}{_why_ordered(value)}."
        )
    elif isinstance(value, np.ndarray) and value.ndim != 1:
        raise ValueError(
            f"param_distributions[{name!r}] must be a one-dimensional array of choices; "
            f"got one of shape {value.shape}."
        )
    else:
        try:
            dim = Categorical(value)
        except ValueError:
            raise ValueError(
                f"param_distributions[{name!r}] is an empty list of choices."
            ) from None
    dim.validate(name)
    return dim


class SearchSpace:
    """A validated search space: one or several sub-spaces of named dimensions.

    Parameters
    ----------
    param_distributions : dict or list of dict
        As for :class:`~sklearn.model_selection.RandomizedSearchCV`: parameter names to
        lists of choices, frozen ``scipy.stats`` distributions or skhpo dimensions. A
        list of dicts declares conditional sub-spaces; each sub-space is chosen with equal
        prior probability. A :class:`SearchSpace` is accepted and returned as is by
        :meth:`from_user`.

    Attributes
    ----------
    subspaces : tuple of tuple of (str, Dimension)
        The sub-spaces, each with its parameters in sorted order.
    n_coords : int
        Length of a unit point (plus one selector coordinate with several sub-spaces).
    n_features : int
        Length of a feature vector (:meth:`features`).
    """

    def __init__(self, param_distributions):
        if isinstance(param_distributions, Mapping):
            dicts = [param_distributions]
        elif isinstance(param_distributions, (list, tuple)):
            dicts = list(param_distributions)
            if not dicts:
                raise ValueError("param_distributions must not be an empty list.")
        else:
            raise TypeError(
                "param_distributions must be a dict or a list of dicts, got "
                f"{type(param_distributions).__name__}."
            )
        subspaces = []
        for i, d in enumerate(dicts):
            if not isinstance(d, Mapping):
                raise TypeError(
                    f"param_distributions[{i}] must be a dict, got {type(d).__name__}."
                )
            for key in d:
                if not isinstance(key, str):
                    raise TypeError(
                        f"param_distributions keys must be parameter names (str), "
                        f"got {key!r}."
                    )
            subspaces.append(tuple((k, as_dimension(k, d[k])) for k in sorted(d)))
        self.subspaces = tuple(subspaces)
        self._selector = len(subspaces) > 1
        offset = int(self._selector)
        self._slices = []
        for sub in self.subspaces:
            self._slices.append(slice(offset, offset + len(sub)))
            offset += len(sub)
        self.n_coords = offset
        self.n_features = (len(subspaces) if self._selector else 0) + sum(
            dim.n_features for sub in self.subspaces for _, dim in sub
        )
        # sub-spaces with the parameters of an earlier one: a point of theirs may be
        # one of the earlier sub-space, which is then its canonical form
        names = [frozenset(k for k, _ in sub) for sub in self.subspaces]
        self._overlapping = frozenset(
            s for s in range(len(names)) if any(names[t] == names[s] for t in range(s))
        )

    @classmethod
    def from_user(cls, param_distributions) -> SearchSpace:
        """A :class:`SearchSpace` from ``param_distributions`` (or the space itself)."""
        if isinstance(param_distributions, SearchSpace):
            return param_distributions
        return cls(param_distributions)

    def __repr__(self):
        subs = [
            "{" + ", ".join(f"{k!r}: {d!r}" for k, d in sub) + "}" for sub in self.subspaces
        ]
        return f"SearchSpace({subs[0] if len(subs) == 1 else '[' + ', '.join(subs) + ']'})"

    @property
    def names(self) -> list[str]:
        """Every parameter name, in sub-space order, without repeats."""
        return list(dict.fromkeys(k for sub in self.subspaces for k, _ in sub))

    @property
    def size(self) -> float:
        """Number of distinct points, ``math.inf`` if any dimension is continuous."""
        size = sum(math.prod(d.n_values for _, d in sub) for sub in self.subspaces)
        if self._overlapping and size <= _MAX_GRID:
            if "_distinct" not in self.__dict__:
                self._distinct = len(self.grid())  # a point of two sub-spaces is one
            return self._distinct
        return size

    # -- unit points -------------------------------------------------------------------

    def subspace_index(self, U: np.ndarray) -> np.ndarray:
        """Which sub-space each unit point belongs to."""
        U = np.atleast_2d(U)
        if not self._selector:
            return np.zeros(len(U), dtype=int)
        m = len(self.subspaces)
        return np.clip(np.floor(U[:, 0] * m), 0, m - 1).astype(int)

    def snap(self, U: np.ndarray) -> np.ndarray:
        """Canonical unit points: discrete coordinates at the centre of their bins, the
        coordinates of inactive sub-spaces at 0, and a point whose parameters an earlier
        sub-space also holds, moved there (one point, one unit point)."""
        out = self._snap_within(U)
        if self._overlapping:
            for i in np.flatnonzero(np.isin(self.subspace_index(out),
                                            list(self._overlapping))):
                out[i] = self.encode(self.decode(out[i])[0])
        return out

    def _snap_within(self, U: np.ndarray) -> np.ndarray:
        """:meth:`snap`, each point left in its own sub-space."""
        U = np.clip(np.array(np.atleast_2d(U), dtype=float), 0.0, 1.0)
        out = np.zeros_like(U)
        sub = self.subspace_index(U)
        if self._selector:
            out[:, 0] = (sub + 0.5) / len(self.subspaces)
        for s, (dims, sl) in enumerate(zip(self.subspaces, self._slices)):
            rows = sub == s
            if not rows.any():
                continue
            for j, (_, dim) in enumerate(dims):
                col = sl.start + j
                out[rows, col] = dim.snap(U[rows, col])
        return out

    def sample(self, n: int, rng: np.random.RandomState) -> np.ndarray:
        """``n`` snapped unit points drawn from the prior."""
        return self.snap(rng.uniform(size=(n, self.n_coords)))

    def sobol(self, n: int, rng: np.random.RandomState) -> np.ndarray:
        """``n`` snapped unit points of a scrambled Sobol' sequence (a space-filling
        design that still follows each dimension's prior)."""
        design = SobolDesign(self, n, rng)
        return np.array([design[i] for i in range(len(design))]).reshape(
            len(design), self.n_coords)

    def grid(self) -> np.ndarray:
        """Every point of a finite space, as snapped unit points, each once."""
        blocks = []
        m = len(self.subspaces)
        for s, (dims, sl) in enumerate(zip(self.subspaces, self._slices)):
            axes = [dim.grid_unit() for _, dim in dims]
            n = math.prod(len(a) for a in axes)
            block = np.zeros((n, self.n_coords))
            if self._selector:
                block[:, 0] = (s + 0.5) / m
            if axes:
                mesh = np.meshgrid(*axes, indexing="ij")
                for j, g in enumerate(mesh):
                    block[:, sl.start + j] = g.ravel()
            blocks.append(block)
        grid = np.vstack(blocks)
        if self._overlapping:
            canonical = self.snap(grid)
            _, first = np.unique(canonical, axis=0, return_index=True)
            grid = canonical[np.sort(first)]
        return grid

    def decode(self, U: np.ndarray) -> list[dict]:
        """Parameter dicts (native Python values) of unit points."""
        U = np.atleast_2d(U)
        out = []
        for row, s in zip(U, self.subspace_index(U)):
            sl = self._slices[s]
            out.append(
                {
                    name: dim.from_unit(row[sl.start + j : sl.start + j + 1])[0]
                    for j, (name, dim) in enumerate(self.subspaces[s])
                }
            )
        return out

    def encode(self, params: Mapping) -> np.ndarray:
        """The snapped unit point of a parameter dict.

        Raises ``ValueError`` when ``params`` belongs to no sub-space.
        """
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a dict, got {type(params).__name__}.")
        keys = set(params)
        problems = []
        for s, (dims, sl) in enumerate(zip(self.subspaces, self._slices)):
            if keys != {k for k, _ in dims}:
                problems.append(f"sub-space {s} has parameters {sorted(k for k, _ in dims)}")
                continue
            bad = [k for k, dim in dims if not dim.contains(params[k])]
            if bad:
                problems.append(
                    f"sub-space {s}: "
                    + ", ".join(f"{k}={params[k]!r} is outside {d!r}" for k, d in dims if k in bad)
                )
                continue
            u = np.zeros(self.n_coords)
            if self._selector:
                u[0] = (s + 0.5) / len(self.subspaces)
            for j, (k, dim) in enumerate(dims):
                u[sl.start + j] = dim.to_unit(params[k])
            return self._snap_within(u)[0]
        raise ValueError(
            f"{dict(params)!r} is not a point of the search space: " + "; ".join(problems)
        )

    def features(self, U: np.ndarray) -> np.ndarray:
        """Surrogate features of snapped unit points: the sub-space one-hot, then each
        dimension's features (one-hot for categoricals), zero where inactive."""
        U = np.atleast_2d(U)
        sub = self.subspace_index(U)
        cols = []
        if self._selector:
            cols.append(np.eye(len(self.subspaces))[sub])
        for s, (dims, sl) in enumerate(zip(self.subspaces, self._slices)):
            active = (sub == s)[:, None]
            for j, (_, dim) in enumerate(dims):
                cols.append(dim.features(U[:, sl.start + j]) * active)
        if not cols:
            return np.zeros((len(U), 0))
        return np.hstack(cols)

    def active_mask(self, sub: int) -> np.ndarray:
        """Boolean mask of the unit coordinates that sub-space ``sub`` uses."""
        mask = np.zeros(self.n_coords, dtype=bool)
        mask[self._slices[sub]] = True
        if self._selector:
            mask[0] = True
        return mask

    def is_discrete(self) -> np.ndarray:
        """Boolean mask of the unit coordinates that take finitely many values."""
        mask = np.zeros(self.n_coords, dtype=bool)
        if self._selector:
            mask[0] = True
        for dims, sl in zip(self.subspaces, self._slices):
            for j, (_, dim) in enumerate(dims):
                mask[sl.start + j] = math.isfinite(dim.n_values)
        return mask


class SobolDesign:
    """The first ``size`` snapped unit points of a scrambled Sobol' sequence for
    ``space``, each drawn only once it is read.

    Points are drawn in blocks that double the number drawn, so the totals stay powers
    of 2, as the sequence's balance needs. A Sobol' sequence's points do not depend on
    how many are drawn, so the design is that of one draw of ``size`` points, and a
    large ``size`` (a generous ``n_initial_points``, say) costs only the points read.
    """

    def __init__(self, space: SearchSpace, size: int, rng: np.random.RandomState):
        self._space = space
        self._size = max(int(size), 0)
        self._sampler = None
        if self._size and space.n_coords:
            self._sampler = qmc.Sobol(space.n_coords, scramble=True,
                                      seed=rng.randint(2**31 - 1))
        self._points = np.zeros((0, space.n_coords))

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, i: int) -> np.ndarray:
        if not 0 <= i < self._size:
            raise IndexError(f"point {i} of a design of {self._size}")
        if self._sampler is None:  # a space with no coordinates
            return np.zeros(0)
        while i >= len(self._points):
            block = self._sampler.random(max(1, len(self._points)))
            self._points = np.vstack([self._points, self._space.snap(block)])
        return self._points[i]
