"""An elitist evolution strategy on mixed, conditional spaces, as an ask/tell strategy."""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_real
from ..space import Categorical
from ._base import Batch, Strategy, _check_n, _key

__all__ = ["EvolutionOptimizer"]

# The 1/5th success rule: the step size grows when more than a fifth of the offspring
# beat their parents and shrinks when fewer do.
_TARGET_SUCCESS = 0.2
# Bounds of the step size, in units of the unit cube.
_SIGMA_MIN, _SIGMA_MAX = 1e-3, 0.5
# An offspring whose discrete coordinates equal those of a point already told or pending
# and whose continuous coordinates are all within this distance of it is a near-duplicate:
# it is mutated again (with a larger step) rather than evaluated.
_NEAR = 1e-3
# Re-mutations of a near-duplicate, each with a step 1.5 times larger, before the base
# class tops the generation up with random unseen points.
_MAX_RETRIES = 12


def _reflect(v: np.ndarray) -> np.ndarray:
    """Fold coordinates back into ``[0, 1]`` at the bounds (no pile-up at the edges)."""
    v = np.mod(v, 2.0)
    return np.where(v > 1.0, 2.0 - v, v)


class EvolutionOptimizer(Strategy):
    """An elitist (mu + lambda) evolution strategy for mixed, conditional spaces.

    The algorithm works on the unit-cube encoding of :class:`~skhpo.space.SearchSpace`
    and runs one generation per :meth:`ask` call:

    1. **Initial population.** The first ``population_size`` proposals are a scrambled
       Sobol' design that follows each dimension's prior.
    2. **Parents.** The ``n_parents`` best points told so far: the survivors of a
       ``(mu + lambda)`` selection over every generation (Beyer & Schwefel, 2002), which
       is elitist (the best point is never lost). Failed evaluations (``nan``) are
       never parents.
    3. **Mating selection.** Each offspring's parents are picked by binary tournaments
       among the parents, on the score alone (Goldberg & Deb, 1991; Deb, 2000). One
       offspring in ``population_size`` (the first of each generation) is a mutant of
       the best point.
    4. **Recombination**, with probability ``crossover_rate`` when both parents lie in
       the same sub-space: extended intermediate (BLX-0.25) recombination of the
       continuous and integer coordinates, ``u = u1 + w (u2 - u1)`` with ``w`` uniform on
       ``[-0.25, 1.25]`` per coordinate (Eshelman & Schaffer, 1993; Muehlenbein &
       Schlierkamp-Voosen, 1993), and uniform crossover of the categorical ones.
       Otherwise the offspring starts as a copy of its first parent.
    5. **Mutation.** A Cauchy-distributed step of scale ``sigma`` on every active
       continuous and integer coordinate (integers are ordered, so a step moves to a
       nearby value), reflected at the bounds. Most steps are local, but the heavy tail
       makes a few coordinates jump far, which escapes the plateaus and narrow good
       regions common in hyperparameter landscapes (Yao, Liu & Lin, 1999). Each
       categorical coordinate, and the selector of the sub-space, is redrawn to a
       *different* value with probability ``mutation_rate``. An offspring that moves to
       another sub-space takes that sub-space's coordinates from the best point told
       there, or from the prior if there is none, before its step.
    6. **Step-size adaptation** by Rechenberg's 1/5th success rule, applied per
       offspring as in the (1 + 1)-ES of Kern et al. (2004) with a damping of
       ``population_size``: after each :meth:`Strategy.tell <skhpo.strategies.Strategy.tell>`,
       ``sigma *= exp((successes - n / 5) / (0.8 population_size))``, where ``n``
       offspring were told and ``successes`` counts those that beat their better parent
       (a tie counts one half: on a plateau the step is too small to tell, not too
       large). A generation of ``population_size`` offspring thus changes ``sigma`` by
       ``exp((p_s - 1/5) / (4/5))`` for a success rate ``p_s``, whatever the batch sizes
       it is asked in. ``sigma`` stays within ``[0.001, 0.5]``.
    7. **No re-evaluation.** An offspring that equals, or nearly equals, a point already
       told or pending (same discrete values, every continuous coordinate within
       ``1e-3``) is mutated again with a step 1.5 times larger, and categorical redraws
       more likely, up to 12 times, before the generation is topped up with random
       unseen points.

    With ``population_size=10`` and a budget of 40 evaluations this is a Sobol' design
    followed by three generations that concentrate around the best few points.

    Parameters
    ----------
    space : dict, list of dict or SearchSpace
        What to search, as ``param_distributions`` of ``RandomizedSearchCV``.
    population_size : int, default=10
        Size of the initial design and of a generation: the ``k``-th point proposed
        belongs to generation ``k // population_size``, whatever the batch sizes it is
        asked in, and the step-size adaptation and ``patience`` count generations of
        ``population_size`` points.
    n_parents : int or None, default=None
        Number of best points that breed (``mu``); ``None`` means
        ``max(2, population_size // 3)``.
    crossover_rate : float, default=0.5
        Probability that an offspring recombines its two parents (when they differ and
        share a sub-space) rather than starting as a copy of one; every offspring is
        then mutated.
    mutation_rate : float or None, default=None
        Probability that each categorical coordinate (and the sub-space selector) of an
        offspring is redrawn. ``None`` means ``1 / d``, where ``d`` is the number of
        coordinates of the offspring's sub-space.
    initial_sigma : float, default=0.1
        Initial scale of the mutation steps, in units of the unit cube (the
        quantile scale of each dimension's prior: a log-uniform parameter moves on a log
        scale), in ``(0, 0.5]``.
    patience : int or None, default=None
        Stop after ``patience`` consecutive generations' worth of scores (each
        ``population_size`` points told) without an improvement of the best score: from
        then on :meth:`ask` returns an empty list and ``stopped_`` is true. ``None``
        never stops.
    random_state : int, RandomState instance or None, default=None
        Seeds the design, the selection and the variation.

    Attributes
    ----------
    sigma_ : float
        The current step size.
    n_generations_ : int
        Number of generations begun: points proposed / ``population_size``, rounded
        up.
    n_stale_ : int
        Consecutive generations' worth of scores told without an improvement of the
        best score.
    stopped_ : bool
        Whether ``patience`` ran out.

    References
    ----------
    - H.-G. Beyer and H.-P. Schwefel (2002). Evolution strategies - A comprehensive
      introduction. *Natural Computing* 1(1), 3-52.
    - I. Rechenberg (1973). *Evolutionsstrategie: Optimierung technischer Systeme nach
      Prinzipien der biologischen Evolution*. Frommann-Holzboog.
    - S. Kern, S. D. Mueller, N. Hansen, D. Buche, J. Ocenasek and P. Koumoutsakos
      (2004). Learning probability distributions in continuous evolutionary algorithms -
      a comparative review. *Natural Computing* 3(1), 77-112.
    - D. E. Goldberg and K. Deb (1991). A comparative analysis of selection schemes used
      in genetic algorithms. *Foundations of Genetic Algorithms* 1, 69-93.
    - K. Deb (2000). An efficient constraint handling method for genetic algorithms.
      *Computer Methods in Applied Mechanics and Engineering* 186(2-4), 311-338.
    - X. Yao, Y. Liu and G. Lin (1999). Evolutionary programming made faster. *IEEE
      Transactions on Evolutionary Computation* 3(2), 82-102.
    - L. J. Eshelman and J. D. Schaffer (1993). Real-coded genetic algorithms and
      interval-schemata. *Foundations of Genetic Algorithms* 2, 187-202.
    - H. Muehlenbein and D. Schlierkamp-Voosen (1993). Predictive models for the breeder
      genetic algorithm. *Evolutionary Computation* 1(1), 25-49.

    Examples
    --------
    >>> from skhpo.space import Real, Integer
    >>> from skhpo.strategies import EvolutionOptimizer
    >>> opt = EvolutionOptimizer({"x": Real(-2.0, 2.0), "k": Integer(0, 4)},
    ...                          population_size=6, random_state=0)
    >>> for _ in range(6):
    ...     generation = opt.ask(6)
    ...     opt.tell(generation, [-(p["x"] - 0.5) ** 2 - (p["k"] - 3) ** 2
    ...                           for p in generation])
    >>> opt.best_params_["k"]
    3
    """

    def __init__(self, space, *, population_size: int = 10, n_parents: int | None = None,
                 crossover_rate: float = 0.5, mutation_rate: float | None = None,
                 initial_sigma: float = 0.1, patience: int | None = None,
                 random_state=None):
        check_int("population_size", population_size, 2)
        if n_parents is not None:
            check_int("n_parents", n_parents, 1)
        if patience is not None:
            check_int("patience", patience, 1)
        check_real("crossover_rate", crossover_rate, _is_probability, "in [0, 1]")
        if mutation_rate is not None:
            check_real("mutation_rate", mutation_rate, _is_probability, "in [0, 1]")
        check_real("initial_sigma", initial_sigma, lambda s: 0 < s <= _SIGMA_MAX,
                   f"in (0, {_SIGMA_MAX}]")
        super().__init__(space, random_state=random_state)
        self.population_size = int(population_size)
        self.n_parents = None if n_parents is None else int(n_parents)
        self.crossover_rate = float(crossover_rate)
        self.mutation_rate = None if mutation_rate is None else float(mutation_rate)
        self.initial_sigma = float(initial_sigma)
        self.patience = None if patience is None else int(patience)
        self.sigma_ = self.initial_sigma
        self.n_generations_ = 0
        self.n_stale_ = 0
        self._best = -math.inf
        self._n_offspring = 0
        self._n_asked = 0  # points proposed
        self._n_unjudged = 0  # points told since the last generation's worth
        self._improved = False  # ... and whether one of them improved the best
        self._stopped = False
        # key of each pending offspring -> score of its better parent
        self._parent_score: dict = {}
        self._n_choices = self._choices_per_coordinate()
        self._discrete = self.space.is_discrete()

    @property
    def stopped_(self) -> bool:
        """Whether ``patience`` has run out (for good: scores told afterwards, of
        points still being evaluated, do not restart the search)."""
        return self._stopped

    def tell(self, params, scores) -> None:
        pending = set(self._pending)
        n_before = len(self.scores_)
        super().tell(params, scores)
        # points told without being asked (a checkpoint's, say) take their place in
        # the count of points proposed, which numbers the generations
        self._n_asked += sum(_key(u) not in pending for u in self.X_[n_before:])
        self.n_generations_ = -(-self._n_asked // self.population_size)

    def ask(self, n: int = 1) -> Batch:
        """Propose up to ``n`` new, distinct parameter dicts (none once ``patience``
        has run out); their :attr:`~Batch.columns` hold each one's ``generation`` (0
        for the initial design)."""
        if self.stopped_:
            _check_n(n)
            return Batch()
        params = super().ask(n)
        self._n_asked += len(params)
        self.n_generations_ = -(-self._n_asked // self.population_size)
        return params

    def _columns(self, n):
        return {"generation": [(self._n_asked + i) // self.population_size
                               for i in range(n)]}

    # -- proposals -----------------------------------------------------------------

    def _propose(self, n):
        out = []
        n_design = self.population_size - len(self.scores_) - len(self._pending)
        if n_design > 0:
            out.extend(self._design_points(min(n, n_design), self.population_size))
        parents = self._parents()
        if len(out) < n and len(parents):
            out.extend(self._offspring(n - len(out), parents, exclude=out))
        # without a finite score to breed from, the base class fills in random points
        return np.array(out).reshape(len(out), self.space.n_coords)

    def _parents(self):
        """Indices in ``X_`` of the ``n_parents`` best finite scores, best first."""
        finite = np.flatnonzero(np.isfinite(self.scores_))
        mu = self.n_parents or max(2, self.population_size // 3)
        order = np.argsort(-self.scores_[finite], kind="stable")
        return finite[order[:mu]]

    def _tournament(self, parents):
        """Binary tournament: the better of two parents drawn at random (by rank)."""
        a, b = self._rng.randint(len(parents), size=2)
        return parents[min(a, b)]

    def _offspring(self, n, parents, exclude):
        space = self.space
        reference = [self.X_, *(np.atleast_2d(u) for u in self._pending.values()),
                     *(np.atleast_2d(u) for u in exclude)]
        reference = np.vstack(reference) if reference else np.zeros((0, space.n_coords))
        out = []
        for _ in range(n):
            if self._n_offspring % self.population_size == 0:
                i1 = i2 = parents[0]
            else:
                i1, i2 = self._tournament(parents), self._tournament(parents)
            base = self.X_[i1]
            parent_score = float(self.scores_[i1])
            if i1 != i2 and self._rng.uniform() < self.crossover_rate:
                base = self._recombine(self.X_[i1], self.X_[i2])
                parent_score = float(max(self.scores_[i1], self.scores_[i2]))
            for attempt in range(_MAX_RETRIES):
                child = self._mutate(base, self.sigma_ * 1.5**attempt, attempt)
                if not self._near(child, reference):
                    break
            else:
                continue
            self._n_offspring += 1
            out.append(child)
            reference = np.vstack([reference, child])
            self._parent_score[_key(child)] = parent_score
        return out

    def _recombine(self, u1, u2):
        space = self.space
        s1, s2 = space.subspace_index(np.vstack([u1, u2]))
        if s1 != s2:
            return u1.copy()
        w = self._rng.uniform(-0.25, 1.25, size=len(u1))
        child = u1 + w * (u2 - u1)
        nominal = self._n_choices > 0
        swap = nominal & (self._rng.uniform(size=len(u1)) < 0.5)
        child[nominal] = np.where(swap, u2, u1)[nominal]
        return space.snap(_reflect(child))[0]

    def _mutate(self, u, sigma, attempt):
        space = self.space
        v = u.copy()
        s = int(space.subspace_index(v)[0])
        active = space.active_mask(s)
        rate = self.mutation_rate
        if rate is None:
            rate = 1.0 / max(int(active.sum()), 1)
        # a near-duplicate is retried with categorical redraws ever more likely
        rate = 1.0 - (1.0 - rate) * 0.8**attempt
        nominal = active & (self._n_choices > 0)
        redraw = nominal & (self._rng.uniform(size=len(v)) < rate)
        for c in np.flatnonzero(redraw):
            k = int(self._n_choices[c])
            old = min(int(v[c] * k), k - 1)
            v[c] = ((old + self._rng.randint(1, k)) % k + 0.5) / k
        s_new = int(space.subspace_index(v)[0])
        if s_new != s:
            v = self._enter_subspace(v, s_new)
            active = space.active_mask(s_new)
        steps = active & (self._n_choices == 0)
        z = self._rng.standard_cauchy(size=int(steps.sum()))
        v[steps] = _reflect(v[steps] + sigma * z)
        return space.snap(v)[0]

    def _enter_subspace(self, v, s):
        """``v`` moved to sub-space ``s``: take its coordinates from the best point told
        in ``s``, or from the prior."""
        space = self.space
        cols = space.active_mask(s)
        if space.n_coords and len(space.subspaces) > 1:
            cols[0] = False
        told = (space.subspace_index(self.X_) == s) & np.isfinite(self.scores_)
        if told.any():
            idx = np.flatnonzero(told)
            source = self.X_[idx[np.argmax(self.scores_[idx])]]
        else:
            source = self._rng.uniform(size=len(v))
        v = v.copy()
        v[cols] = source[cols]
        return v

    def _near(self, u, reference):
        """Whether ``u`` is (nearly) a point of ``reference``."""
        if len(reference) == 0:
            return False
        diff = np.abs(reference - u)
        discrete = self._discrete
        same = np.all(diff[:, discrete] < 1e-9, axis=1)
        if (~discrete).any():
            same &= np.max(diff[:, ~discrete], axis=1) < _NEAR
        return bool(same.any())

    def _choices_per_coordinate(self):
        """Number of choices of each categorical coordinate (and of the selector), 0 for
        the ordered (continuous and integer) coordinates."""
        space = self.space
        k = np.zeros(space.n_coords, dtype=int)
        several = len(space.subspaces) > 1
        if several:
            k[0] = len(space.subspaces)
        for s, dims in enumerate(space.subspaces):
            cols = np.flatnonzero(space.active_mask(s))[int(several):]
            for c, (_, dim) in zip(cols, dims):
                if isinstance(dim, Categorical) and len(dim.choices) > 1:
                    k[c] = len(dim.choices)
        return k

    # -- learning ------------------------------------------------------------------

    def _after_tell(self, U, scores):
        successes, judged = 0.0, 0
        for u, score in zip(U, scores):
            parent = self._parent_score.pop(_key(u), None)
            if parent is not None:
                judged += 1
                if np.isfinite(score):
                    successes += 1.0 if score > parent else 0.5 if score == parent else 0.0
        if judged:
            change = (successes - _TARGET_SUCCESS * judged) / (
                (1 - _TARGET_SUCCESS) * self.population_size
            )
            self.sigma_ = float(np.clip(self.sigma_ * math.exp(change),
                                        _SIGMA_MIN, _SIGMA_MAX))
        for score in scores:  # in the order told, a generation's worth at a time
            if np.isfinite(score) and score > self._best:
                self._best = float(score)
                self._improved = True
            self._n_unjudged += 1
            if self._n_unjudged == self.population_size:
                self._n_unjudged = 0
                self.n_stale_ = 0 if self._improved else self.n_stale_ + 1
                self._improved = False
                if self.patience is not None and self.n_stale_ >= self.patience:
                    self._stopped = True


def _is_probability(p) -> bool:
    return 0.0 <= p <= 1.0
