"""The ask/tell interface every skhpo strategy implements.

A strategy proposes parameter dicts (:meth:`Strategy.ask`) and learns from their scores
(:meth:`Strategy.tell`). It knows nothing of estimators or cross-validation, so it can tune
any black-box function::

    opt = BayesOptimizer({"x": Real(-5, 5)}, random_state=0)
    for _ in range(20):
        [params] = opt.ask()
        opt.tell([params], [-(params["x"] - 1) ** 2])

Scores follow scikit-learn's convention: **greater is better**. A ``nan`` score marks a
failed evaluation; the strategy steers away from it.

Lifecycle and guarantees shared by all strategies:

- ``ask`` returns a :class:`Batch`: a list of parameter dicts proposed together, with
  what the strategy says about them (:attr:`Batch.columns`, :attr:`Batch.n_resources`);
  ``tell(batch, scores)`` takes their scores in the same order. This is the one loop
  every skhpo search runs: ask a batch, evaluate it, tell its scores.
- ``ask(n)`` returns at most ``n`` parameter dicts of native Python values, distinct from
  each other, from every point already told and from every point asked but not yet told,
  as long as the space has unseen points; fewer than ``n`` only when the space is
  exhausted.
- ``tell`` accepts any points of the space, asked or not (e.g. to warm-start).
- The same ``random_state`` and the same sequence of calls give the same proposals.
- Strategies pickle and unpickle mid-run.

:class:`~skhpo.strategies.HyperbandOptimizer` keeps this contract with the differences
multi-fidelity makes: ``ask()`` hands out whole rungs (``None`` once every bracket has
run; an ``n`` smaller than the next rung is refused rather than splitting it), the
candidates promoted from a rung are asked again, with a larger resource, and ``tell``
takes only the rung last asked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from .._threads import single_threaded_blas
from .._validation import check, check_random_state, is_int
from ..space import _MAX_GRID, SearchSpace, SobolDesign

_KEY_DECIMALS = 9


def _key(u: np.ndarray) -> tuple:
    return tuple(np.round(u, _KEY_DECIMALS).tolist())


class Batch(list):
    """Candidates a strategy proposes together: a list of parameter dicts, plus what the
    strategy says about them.

    A ``Batch`` is a ``list`` (index it, iterate it, pass it back to ``tell``); the
    attributes carry what varies from one batch to the next.

    Parameters
    ----------
    params : iterable of dict
        The candidates.
    columns : dict of str to list, default=None
        Facts about each candidate, one value per candidate, in order (the generation
        that bred it, the Hyperband bracket and rung it belongs to, ...). A
        ``*SearchCV`` adds them to ``cv_results_`` as extra columns.
    n_resources : int or None, default=None
        The resource each candidate is evaluated with (multi-fidelity strategies);
        ``None``: the full evaluation.
    """

    def __init__(self, params=(), *, columns: dict | None = None, n_resources=None):
        super().__init__(params)
        self.columns = {k: list(v) for k, v in (columns or {}).items()}
        for name, values in self.columns.items():
            if len(values) != len(self):
                raise ValueError(
                    f"columns[{name!r}] has {len(values)} values for {len(self)} "
                    "candidates."
                )
        self.n_resources = n_resources

    @property
    def params(self) -> list:
        """The candidates, as a plain list."""
        return list(self)


def _check_n(n) -> None:
    check("n", n, is_int(n) and n >= 1, "a positive int")


class Strategy:
    """Base class of ask/tell strategies on a :class:`~skhpo.space.SearchSpace`.

    Subclasses implement ``_propose`` (and may extend :meth:`tell`).

    Parameters
    ----------
    space : dict, list of dict or SearchSpace
        What to search, as ``param_distributions`` of ``RandomizedSearchCV``.
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice of the strategy.

    Attributes
    ----------
    space : SearchSpace
    X_ : ndarray of shape (n_told, space.n_coords)
        Unit points told so far.
    scores_ : ndarray of shape (n_told,)
        Their scores (``nan`` for failures).
    best_index_ : int or None
        Index in ``X_`` of the best finite score (``None`` before any).
    best_params_ : dict or None
        The parameters of that point (``None`` before any).
    best_score_ : float
        Its score (``nan`` before any).
    """

    def __init__(self, space, *, random_state=None):
        self.space = SearchSpace.from_user(space)
        self.random_state = random_state
        self._rng = check_random_state(random_state)
        self.X_ = np.zeros((0, self.space.n_coords))
        self.scores_ = np.zeros(0)
        self._told_params: list = []  # as told, for best_params_
        self._told_keys: set = set()
        self._pending: dict = {}
        self._design = None
        self._n_design_used = 0

    # -- public API --------------------------------------------------------------------

    def ask(self, n: int = 1) -> Batch:
        """Propose up to ``n`` new, distinct parameter dicts, as a :class:`Batch` (empty
        once the space is exhausted)."""
        _check_n(n)
        n = int(min(n, self.n_unseen))
        if n <= 0:
            return Batch()
        with single_threaded_blas():
            U = self._propose(n)
        U = self._dedupe(U, n)
        params = self.space.decode(U)
        for u in U:
            self._pending[_key(u)] = u
        return Batch(params, columns=self._columns(len(params)))

    def planned_batches(self, n_total: int, batch_size: int) -> int:
        """How many batches of ``batch_size`` asks ``n_total`` candidates take (what a
        progress display counts on)."""
        return math.ceil(n_total / max(1, batch_size))

    def tell(self, params: Sequence[Mapping], scores) -> None:
        """Record the ``scores`` (greater is better, ``nan`` = failed) of ``params``."""
        if isinstance(params, Mapping):
            raise TypeError("params must be a list of dicts, got a single dict.")
        params = list(params)
        scores = np.asarray(scores, dtype=float).reshape(-1)
        if len(params) != len(scores):
            raise ValueError(
                f"params and scores differ in length: {len(params)} != {len(scores)}."
            )
        if np.isposinf(scores).any():
            raise ValueError("scores must not be +inf.")
        if len(params) == 0:
            return
        U = np.array([self.space.encode(p) for p in params]).reshape(len(params), -1)
        scores = np.where(np.isneginf(scores), np.nan, scores)
        for u in U:
            k = _key(u)
            self._pending.pop(k, None)
            self._told_keys.add(k)
        self.X_ = np.vstack([self.X_, U])
        self.scores_ = np.concatenate([self.scores_, scores])
        self._told_params.extend(dict(p) for p in params)
        self._after_tell(U, scores)

    @property
    def n_unseen(self) -> float:
        """How many points of the space are neither told nor pending."""
        return self.space.size - len(self._told_keys | set(self._pending))

    @property
    def best_index_(self) -> int | None:
        """Index in :attr:`Strategy.X_` of the best finite score, ``None`` before any."""
        finite = np.isfinite(self.scores_)
        if not finite.any():
            return None
        return int(np.flatnonzero(finite)[np.argmax(self.scores_[finite])])

    @property
    def best_params_(self) -> dict | None:
        """The parameters of the best finite score (as told), ``None`` before any."""
        i = self.best_index_
        return None if i is None else dict(self._told_params[i])

    @property
    def best_score_(self) -> float:
        """The best finite score, ``nan`` before any."""
        i = self.best_index_
        return math.nan if i is None else float(self.scores_[i])

    # -- for subclasses ----------------------------------------------------------------

    def _propose(self, n: int) -> np.ndarray:
        """``n`` snapped unit points (duplicates are replaced by the base class)."""
        raise NotImplementedError

    def _after_tell(self, U: np.ndarray, scores: np.ndarray) -> None:
        """Hook run after new observations are recorded."""

    def _columns(self, n: int) -> dict:
        """The :attr:`Batch.columns` of a batch of ``n`` just proposed."""
        return {}

    def _design_points(self, n: int, size: int) -> list:
        """The next ``n`` unseen points of a scrambled Sobol' design of ``size`` points
        (seeded on first use, each point drawn as it is read), fewer once the design is
        used up."""
        if self._design is None:
            self._design = SobolDesign(self.space, size, self._rng)
        out = []
        while len(out) < n and self._n_design_used < len(self._design):
            u = self._design[self._n_design_used]
            self._n_design_used += 1
            if not self._is_seen(u) and all(_key(u) != _key(v) for v in out):
                out.append(u)
        return out

    def _is_seen(self, u: np.ndarray) -> bool:
        k = _key(u)
        return k in self._told_keys or k in self._pending

    def _dedupe(self, U: np.ndarray, n: int) -> np.ndarray:
        """Keep the first ``n`` unseen, distinct rows of ``U``, topping up with random
        unseen points of the space."""
        keep, keys = [], set()
        for u in U:
            k = _key(u)
            if k in keys or self._is_seen(u):
                continue
            keep.append(u)
            keys.add(k)
            if len(keep) == n:
                break
        if len(keep) < n:
            for u in self._random_unseen(n - len(keep), exclude=keys):
                keep.append(u)
        return np.array(keep).reshape(len(keep), self.space.n_coords)

    def _random_unseen(self, n: int, exclude: set = frozenset()) -> list:
        """Up to ``n`` random unseen points (enumerating a small finite space)."""
        out, keys = [], set(exclude)
        for _ in range(20):
            for u in self.space.sample(max(4 * n, 32), self._rng):
                k = _key(u)
                if k not in keys and not self._is_seen(u):
                    out.append(u)
                    keys.add(k)
                    if len(out) == n:
                        return out
        if self.space.size <= _MAX_GRID:
            grid = self.space.grid()
            self._rng.shuffle(grid)
            for u in grid:
                k = _key(u)
                if k not in keys and not self._is_seen(u):
                    out.append(u)
                    keys.add(k)
                    if len(out) == n:
                        break
        return out

    def _unseen_mask(self, U: np.ndarray) -> np.ndarray:
        return np.array([not self._is_seen(u) for u in U], dtype=bool)
