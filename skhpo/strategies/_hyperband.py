"""Hyperband: bracket maths and an ask/tell rung scheduler.

Hyperband (Li et al., 2018) spends a budget on many cheap, low-fidelity evaluations and
a few expensive ones. With a maximum resource ``R`` (samples, boosting iterations, ...)
a minimum ``r_min`` and a ratio ``eta``, it runs ``s_max + 1`` *brackets*, where
``s_max = floor(log_eta(R / r_min))``. Bracket ``s`` is one run of successive halving:
it starts ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` candidates at resource
``R * eta**-s`` and, ``s`` times over, keeps the best ``1 / eta`` of them and multiplies
their resource by ``eta``, until the survivors are evaluated at ``R``. Every bracket
spends about the same budget; the brackets differ in how aggressively they trade
resources per candidate for candidates.

:func:`hyperband_brackets` is that arithmetic as a pure function.
:class:`HyperbandOptimizer` schedules the rungs as an ask/tell loop over any black box
``f(params, resource)``, drawing each bracket's candidates at random from the space or,
with ``sampler="bayes"``, from a Gaussian-process model of the scores at every resource,
the resource being one of its inputs (model-based Hyperband in the spirit of BOHB,
Falkner et al., 2018, with the multi-fidelity surrogate of Wu et al., 2020).

References
----------
.. [1] L. Li, K. Jamieson, G. DeSalvo, A. Rostamizadeh and A. Talwalkar. "Hyperband: A
   Novel Bandit-Based Approach to Hyperparameter Optimization." JMLR 18(185), 2018.
.. [2] S. Falkner, A. Klein and F. Hutter. "BOHB: Robust and Efficient Hyperparameter
   Optimization at Scale." ICML 2018.
.. [3] J. Wu, S. Toscano-Palmerin, P. I. Frazier and A. G. Wilson. "Practical
   Multi-fidelity Bayesian Optimization for Hyperparameter Tuning." UAI 2020.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_option, check_real
from ..space import SearchSpace
from ._base import Batch, Strategy, _check_n, _key
from ._bayes import BayesOptimizer

SAMPLERS = ("random", "bayes")


@dataclass(frozen=True)
class Bracket:
    """One bracket of Hyperband: a successive-halving schedule.

    Attributes
    ----------
    s : int
        The bracket's index in the paper: ``s`` halvings, ``s + 1`` rungs.
    n_candidates : tuple of int
        Candidates evaluated at each rung (``n_candidates[0]`` start the bracket).
    n_resources : tuple of int
        Resource given to each candidate of each rung; the last is ``max_resources``.
    """

    s: int
    n_candidates: tuple
    n_resources: tuple

    @property
    def budget(self) -> int:
        """Total resource spent: the sum over rungs of candidates x resource."""
        return int(sum(n * r for n, r in zip(self.n_candidates, self.n_resources)))


def _check_eta(eta):
    check_real("eta", eta, lambda e: e > 1, "a finite number > 1")
    return int(eta) if isinstance(eta, numbers.Integral) else float(eta)


def hyperband_brackets(min_resources: int, max_resources: int, eta=3) -> list[Bracket]:
    """The brackets of one Hyperband iteration, most exploratory first.

    Algorithm 1 of Li et al. (2018) with ``R = max_resources`` and the smallest resource
    at least ``min_resources``:

    - ``s_max = floor(log_eta(R / min_resources))``, the number of halvings of the most
      exploratory bracket (smaller if rounding would give two rungs of a bracket the
      same resource, as with ``eta`` close to 1);
    - for ``s = s_max, ..., 0``: ``n = ceil((s_max + 1) / (s + 1) * eta**s)``; rung
      ``i = 0..s`` evaluates ``floor(n * eta**-i)`` candidates with resource
      ``R * eta**(i - s)``, rounded to the nearest integer.

    Parameters
    ----------
    min_resources : int
        Smallest resource a candidate may get (``>= 1``).
    max_resources : int
        Resource of the last rung of every bracket (``>= min_resources``).
    eta : int or float, default=3
        Ratio between consecutive rungs (``> 1``): a rung keeps the best ``1 / eta`` of
        its candidates and gives each ``eta`` times the resource.

    Returns
    -------
    brackets : list of Bracket
        ``s_max + 1`` brackets, ``s`` decreasing.

    Examples
    --------
    The table of Li et al. (2018), Section 3.3 (``R = 81, eta = 3``):

    >>> for b in hyperband_brackets(1, 81, 3):
    ...     print(b.s, b.n_candidates, b.n_resources)
    4 (81, 27, 9, 3, 1) (1, 3, 9, 27, 81)
    3 (34, 11, 3, 1) (3, 9, 27, 81)
    2 (15, 5, 1) (9, 27, 81)
    1 (8, 2) (27, 81)
    0 (5,) (81,)
    """
    min_resources = check_int("min_resources", min_resources, 1)
    max_resources = check_int("max_resources", max_resources, 1)
    eta = _check_eta(eta)
    if min_resources > max_resources:
        raise ValueError(
            f"min_resources={min_resources} is greater than max_resources={max_resources}."
        )
    # floor(log_eta(R / r)), corrected for floating-point surprises at exact powers
    s_max = math.floor(math.log(max_resources / min_resources) / math.log1p(eta - 1))
    while s_max > 0 and min_resources * eta ** s_max > max_resources * (1 + 1e-12):
        s_max -= 1
    while min_resources * eta ** (s_max + 1) <= max_resources * (1 + 1e-12):
        s_max += 1
    # with eta close to 1, rounding would give consecutive rungs the same resource:
    # fewer halvings instead, so that every rung gives more than the one before. The
    # rungs of bracket s take the first s + 1 terms of R * eta**-k (k = 0, 1, ...), so
    # the largest s whose rungs all differ is where that sequence first repeats.
    previous = max_resources
    for k in range(1, s_max + 1):
        value = _resource(min_resources, max_resources, eta, k)
        if value == previous:
            s_max = k - 1
            break
        previous = value
    brackets = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) / (s + 1) * eta**s - 1e-9)
        n_candidates = tuple(max(1, math.floor(n * eta**-i + 1e-9)) for i in range(s + 1))
        brackets.append(Bracket(s, n_candidates,
                                _resources(min_resources, max_resources, eta, s)))
    return brackets


def _resource(min_resources, max_resources, eta, k) -> int:
    """``R * eta**-k`` rounded, within ``[min_resources, max_resources]``."""
    return max(min_resources, min(max_resources, round(max_resources * eta ** -k)))


def _resources(min_resources, max_resources, eta, s) -> tuple:
    return tuple(_resource(min_resources, max_resources, eta, s - i) for i in range(s + 1))


class Rung(Batch):
    """What :meth:`HyperbandOptimizer.ask` hands out: a :class:`Batch` of candidates
    that all get the same resource.

    Its :attr:`~Batch.columns` are ``bracket``, ``iter`` (the rung) and
    ``n_resources``, one value per candidate.

    Attributes
    ----------
    bracket : int
        Index of the bracket in the order run (0, 1, ...).
    s : int
        The bracket's ``s`` (see :class:`Bracket`).
    rung : int
        Index of the rung within the bracket (0 = the first, cheapest one).
    n_resources : int
        Resource each candidate gets.
    params : list of dict
        The candidates.
    """

    def __init__(self, bracket: int, s: int, rung: int, n_resources: int, params):
        params = list(params)
        n = len(params)
        super().__init__(params, n_resources=n_resources,
                         columns={"bracket": [bracket] * n, "iter": [rung] * n,
                                  "n_resources": [n_resources] * n})
        self.bracket = bracket
        self.s = s
        self.rung = rung

    def __repr__(self) -> str:
        return (f"Rung(bracket={self.bracket}, s={self.s}, rung={self.rung}, "
                f"n_resources={self.n_resources}, params={list(self)!r})")

    def __eq__(self, other):
        if isinstance(other, Rung):
            return (list(self) == list(other)
                    and (self.bracket, self.s, self.rung, self.n_resources)
                    == (other.bracket, other.s, other.rung, other.n_resources))
        return list.__eq__(self, other)

    __hash__ = None


class _PriorSampler(Strategy):
    """Distinct random points of the space, drawn from each dimension's prior."""

    def _propose(self, n):
        points = self._random_unseen(n)
        return np.array(points).reshape(len(points), self.space.n_coords)


class _FidelityBayes(BayesOptimizer):
    """:class:`~skhpo.strategies.BayesOptimizer` whose Gaussian process also takes the
    resource as an input (its logarithm, scaled to ``[0, 1]``): it learns from the
    results at every resource and proposes for ``max_resources``.

    One model of every rung, rather than one of the highest rung alone, for two
    reasons. The highest rungs hold few results early on, and only those of candidates
    promoted for scoring well, so a model of them alone takes the regions it has not
    seen for as good as the average promoted candidate and sends proposals there; the
    low rungs, drawn across the space, say which regions are poor. And how far a low
    resource predicts the full one is then learnt, as the GP's length scale along the
    resource, rather than assumed (a Gaussian process over the hyperparameters and the
    fidelity, as in Wu, Toscano-Palmerin, Frazier and Wilson, 2020, "Practical
    Multi-fidelity Bayesian Optimization for Hyperparameter Tuning", UAI).

    Proposals are ranked by the lower confidence bound (the default acquisition), which
    needs no incumbent: the best loss that ``"ei"`` and ``"pi"`` would compare with is
    taken over every resource.
    """

    def __init__(self, space, *, min_resources: int, max_resources: int, **kwargs):
        super().__init__(space, **kwargs)
        self._log_min = math.log(min_resources)
        self._log_span = math.log(max_resources) - self._log_min
        self._fidelity = np.zeros(0)  # one per row of X_
        self._incoming = None  # the fidelities of the points tell_at is recording

    def tell_at(self, params, scores, resources) -> None:
        """:meth:`tell`, with the resource each score was obtained with (a plain
        :meth:`tell` records its scores as obtained with ``max_resources``)."""
        r = np.asarray(resources, dtype=float).reshape(-1)
        n_scores = np.asarray(scores, dtype=float).size
        if len(r) != n_scores:
            raise ValueError(f"resources and scores differ in length: {len(r)} != "
                             f"{n_scores}.")
        if not np.all(np.isfinite(r) & (r > 0)):
            raise ValueError("resources must be finite and > 0.")
        self._incoming = ((np.log(r) - self._log_min) / self._log_span
                          if self._log_span > 0 else np.ones(len(r)))
        try:
            self.tell(params, scores)
        finally:
            self._incoming = None

    def _after_tell(self, U, scores) -> None:
        super()._after_tell(U, scores)
        fidelity = np.ones(len(U)) if self._incoming is None else self._incoming
        self._fidelity = np.concatenate([self._fidelity, fidelity])

    def _train_features(self) -> np.ndarray:
        return np.column_stack([self.space.features(self.X_), self._fidelity])

    def _query_features(self, U: np.ndarray) -> np.ndarray:
        F = self.space.features(U)
        return np.column_stack([F, np.ones(len(F))])


class HyperbandOptimizer(Strategy):
    """Ask/tell Hyperband over a search space and a resource.

    Each :meth:`ask` returns the next :class:`Rung`: a :class:`Batch` of candidates to
    evaluate with a given resource; :meth:`tell` takes the rung back with their scores
    (greater is better; ``nan`` = failed).
    Within a bracket, the best ``n_candidates[i + 1]`` of rung ``i`` (never a failed
    one) move on to rung ``i + 1``. Brackets run from the most exploratory to the least
    and start again from the most exploratory once all ``s_max + 1`` have run.

    Parameters
    ----------
    space : dict, list of dict or SearchSpace
        What to search, as ``param_distributions`` of ``RandomizedSearchCV``.
    min_resources, max_resources : int
        Smallest and largest resource (see :func:`hyperband_brackets`).
    eta : int or float, default=3
        Ratio between rungs (``> 1``).
    n_brackets : int or None, default=None
        Brackets to run in all. ``None`` runs each of the ``s_max + 1`` brackets once,
        one Hyperband iteration; a larger value cycles through them again, a smaller
        one runs only the most exploratory.
    sampler : {"random", "bayes"}, default="random"
        How a bracket's first candidates are chosen. ``"random"`` draws distinct points
        from the prior. ``"bayes"`` fits a :class:`~skhpo.strategies.BayesOptimizer`
        whose Gaussian process takes the resource as an extra input to every score
        observed so far, at every resource, and asks it for the whole rung at
        ``max_resources`` (a kriging-believer batch, a quarter of it drawn from the
        prior); with fewer finite scores than the space has coordinates plus two, it
        draws at random.
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice.

    Attributes
    ----------
    space : SearchSpace
    brackets_ : list of Bracket
        One Hyperband iteration's brackets (:func:`hyperband_brackets`).
    params_ : list of dict
        Every candidate told so far, in order (a candidate promoted twice appears at
        each of its rungs).
    X_ : ndarray of shape (n_told, space.n_coords)
        The unit point of each entry of ``params_``.
    resources_ : ndarray of int
        The resource of each entry of ``params_``.
    scores_ : ndarray of float
        The score of each entry of ``params_`` (``nan`` for a failed one).
    n_brackets_ : int
        Brackets started so far.
    model_ : BayesOptimizer or None
        With ``sampler="bayes"``, the model that proposed the latest bracket (``None``
        while brackets are drawn at random).
    best_index_ : int or None
        Index in ``params_`` of the best finite score at the highest resource reached
        (``None`` before any).
    best_params_ : dict or None
        That candidate (``None`` before any).
    best_score_ : float
        Its score (``nan`` before any).

    Examples
    --------
    >>> from skhpo.space import Real
    >>> opt = HyperbandOptimizer({"x": Real(0, 1)}, min_resources=1, max_resources=9,
    ...                          random_state=0)
    >>> while (rung := opt.ask()) is not None:
    ...     opt.tell(rung, [-abs(p["x"] - 0.3) - 1 / rung.n_resources for p in rung])
    >>> sorted(set(opt.resources_.tolist()))
    [1, 3, 9]
    """

    def __init__(self, space, *, min_resources: int, max_resources: int, eta=3,
                 n_brackets=None, sampler: str = "random", random_state=None):
        space = SearchSpace.from_user(space)
        self.brackets_ = hyperband_brackets(min_resources, max_resources, eta)
        self.min_resources = int(min_resources)
        self.max_resources = int(max_resources)
        self.eta = eta
        if n_brackets is not None:
            n_brackets = check_int("n_brackets", n_brackets, 1)
        self.n_brackets = n_brackets
        check_option("sampler", sampler, SAMPLERS)
        self.sampler = sampler
        super().__init__(space, random_state=random_state)
        self.params_: list = []
        self.resources_ = np.zeros(0, dtype=int)
        self.scores_ = np.zeros(0)
        self.n_brackets_ = 0
        self.model_ = None
        self._current: Rung | None = None
        self._kept_params: list = []  # the current rung's candidates, as handed out
        self._survivors: list | None = None  # candidates of the next rung
        self._rung_index = 0
        self._done = False

    @property
    def n_brackets_total(self) -> int:
        """Brackets this optimiser runs in all."""
        return len(self.brackets_) if self.n_brackets is None else self.n_brackets

    def schedule(self) -> list[Bracket]:
        """The planned brackets in the order they run (before any finite-space cap)."""
        k = len(self.brackets_)
        return [self.brackets_[i % k] for i in range(self.n_brackets_total)]

    def planned_batches(self, n_total=None, batch_size=None) -> int:
        """The rungs of :meth:`schedule`: the batches a whole run asks (the arguments
        are ignored: the schedule fixes every rung's size)."""
        return sum(b.s + 1 for b in self.schedule())

    # -- ask / tell --------------------------------------------------------------------

    def ask(self, n: int | None = None) -> Rung | None:
        """The next rung to evaluate, or ``None`` once every bracket has run.

        Asking again before :meth:`tell` returns the same rung. ``n``, if given, is the
        most candidates the caller can take at once: a rung is never split, so a rung
        larger than ``n`` is refused (and handed out by the next ``ask``).
        """
        if n is not None:
            _check_n(n)
        if self._current is None:
            self._current = self._next_rung()
        rung = self._current
        if n is not None and rung is not None and len(rung) > n:
            raise ValueError(
                f"The next rung holds {len(rung)} candidates, more than n={n}: a rung "
                "is evaluated whole. Call ask() without n."
            )
        return rung

    def _next_rung(self) -> Rung | None:
        if self._survivors:
            bracket = self.schedule()[self.n_brackets_ - 1]
            params = self._survivors
            self._survivors = None
        else:
            if self.n_brackets_ >= self.n_brackets_total:
                return None
            bracket = self.schedule()[self.n_brackets_]
            params = self._sample(bracket.n_candidates[0])
            self.n_brackets_ += 1
            self._rung_index = 0
        i = self._rung_index
        # the caller gets copies: filling in the resource, say, changes nothing here
        self._kept_params = [dict(p) for p in params]
        return Rung(self.n_brackets_ - 1, bracket.s, i, bracket.n_resources[i],
                    [dict(p) for p in params])

    def tell(self, params, scores, failed=None) -> None:
        """Record the scores of the rung last asked: ``params`` is that rung (its
        candidates, in its order), ``scores`` theirs.

        ``nan`` (or ``-inf``) marks a failed evaluation; so does ``failed`` (booleans,
        one per candidate) for failures scored with a number, which are recorded as
        ``nan``. A failed candidate is never promoted nor the best, and the bayes
        sampler's model sees it as a failure.
        """
        rung = self._current
        if rung is None:
            raise RuntimeError("tell() called with no rung pending: call ask() first.")
        if isinstance(params, Mapping):
            raise TypeError("params must be a list of dicts, got a single dict.")
        scores = np.asarray(scores, dtype=float).reshape(-1)
        if len(scores) != len(rung):
            raise ValueError(
                f"Expected {len(rung)} scores for this rung, got {len(scores)}."
            )
        if len(params) != len(rung) or not self._is_current(params):
            raise ValueError(
                f"params must be the rung last asked (its {len(rung)} candidates, in "
                "its order, a resource parameter added or not), whose scores these "
                "are."
            )
        if np.isposinf(scores).any():
            raise ValueError("scores must not be +inf.")
        bad = np.isneginf(scores)
        if failed is not None:
            failed = np.asarray(failed, dtype=bool).reshape(-1)
            if len(failed) != len(scores):
                raise ValueError(f"Expected {len(scores)} failed flags, got "
                                 f"{len(failed)}.")
            bad |= failed
        # a failure is nan whatever number it was scored with: never promoted, never
        # the best, and a failure to the bayes sampler's model
        scores = np.where(bad, np.nan, scores)
        kept = self._kept_params  # as handed out, whatever the caller did to them
        self.params_.extend(dict(p) for p in kept)
        U = np.array([self.space.encode(p) for p in kept]).reshape(len(kept), -1)
        self.X_ = np.vstack([self.X_, U])
        self._told_keys.update(_key(u) for u in U)
        self.resources_ = np.concatenate(
            [self.resources_, np.full(len(scores), rung.n_resources, dtype=int)]
        )
        self.scores_ = np.concatenate([self.scores_, scores])
        self._current = None
        bracket = self.schedule()[rung.bracket]
        if rung.rung < bracket.s:
            keep = min(bracket.n_candidates[rung.rung + 1],
                       max(1, int(len(scores) / self.eta + 1e-9)))
            finite = np.flatnonzero(np.isfinite(scores))
            order = finite[np.argsort(-scores[finite], kind="stable")][:keep]
            self._survivors = [kept[j] for j in sorted(order)]  # copied when asked
            self._rung_index = rung.rung + 1

    def _is_current(self, params) -> bool:
        """Whether ``params`` are the candidates of the rung last asked, in order
        (compared as points of the space: keys outside it, a resource say, are
        ignored)."""
        for p, kept in zip(params, self._kept_params):
            if not isinstance(p, Mapping) or not all(k in p for k in kept):
                return False
            try:
                same = np.array_equal(self.space.encode({k: p[k] for k in kept}),
                                      self.space.encode(kept))
            except (TypeError, ValueError):
                return False
            if not same:
                return False
        return True

    # -- sampling ----------------------------------------------------------------------

    def _seed(self) -> int:
        return int(self._rng.randint(np.iinfo(np.int32).max))

    def _sample(self, n: int) -> list:
        seed = self._seed()
        if self.sampler != "bayes" or (
                np.isfinite(self.scores_).sum() < self.space.n_coords + 2):
            self.model_ = None
            return _PriorSampler(self.space, random_state=seed).ask(n)
        self.model_ = _FidelityBayes(self.space, min_resources=self.min_resources,
                                     max_resources=self.max_resources,
                                     n_initial_points=1, random_state=seed)
        self.model_.tell_at(self.params_, self.scores_, self.resources_)
        params = self.model_.ask(n)
        if len(params) < n:
            # a finite space whose every point the model has seen: the rest of the
            # bracket from the prior, distinct from the model's proposals
            prior = _PriorSampler(self.space, random_state=seed)
            prior.tell(params, np.zeros(len(params)))
            params += prior.ask(n - len(params)) if prior.n_unseen > 0 else []
        return params

    # -- results -----------------------------------------------------------------------

    @property
    def best_index_(self) -> int | None:
        """Index in ``params_`` of the best finite score at the highest resource
        reached, ``None`` before any."""
        if len(self.scores_) == 0:
            return None
        top = self.resources_ == self.resources_.max()
        ok = np.flatnonzero(top & np.isfinite(self.scores_))
        if len(ok) == 0:
            return None
        return int(ok[np.argmax(self.scores_[ok])])

    @property
    def best_params_(self) -> dict | None:
        i = self.best_index_
        return None if i is None else self.params_[i]

    @property
    def best_score_(self) -> float:
        i = self.best_index_
        return math.nan if i is None else float(self.scores_[i])

