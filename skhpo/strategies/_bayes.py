"""Bayesian optimisation with a Gaussian-process surrogate, as an ask/tell strategy."""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import stats

from .._acquisition import ACQUISITIONS
from .._gp import GaussianProcess
from ._base import Strategy, _key

__all__ = ["BayesOptimizer"]

# A finite space up to this size is searched exhaustively for the acquisition maximum.
_MAX_ENUMERATE = 4096


# losses spread over more than this many times their median absolute deviation are
# first compressed by a logarithm
_EXTREME_RANGE = 1e6


def _compress_extremes(losses: np.ndarray) -> np.ndarray:
    """Losses as they are, unless their range is extreme (a diverged fit scoring -1e25
    among scores near -3000): then a signed logarithm of their distance to the median,
    in units of their median absolute deviation. Standardised as they are, the catastrophic
    losses would squeeze every other one to a single value (1e-22 apart), which no power
    transform can pull apart again; the order of the losses is kept."""
    with np.errstate(over="ignore", invalid="ignore"):
        lo, med, hi = np.percentile(losses, [25, 50, 75])
        d = losses - med
        # the median absolute deviation: unmoved by up to half the losses being
        # catastrophic; else the interquartile range, else the smallest deviation.
        # Deviations within rounding (two CV means that differ in the last bit) are
        # no spread at all.
        tiny = 1e-9 * max(abs(med), 1e-300)
        spread = np.median(np.abs(d))
        if not spread > tiny:
            spread = hi - lo
        if not spread > tiny:
            nonzero = np.abs(d[np.abs(d) > tiny])
            spread = nonzero.min() if len(nonzero) else 0.0
        if spread > 0 and np.ptp(losses) > _EXTREME_RANGE * spread:
            # beyond _EXTREME_RANGE spreads a loss says only "catastrophic": capped
            return np.sign(d) * np.log1p(np.minimum(np.abs(d) / spread, _EXTREME_RANGE))
        if np.max(np.abs(losses), initial=0.0) > 1e150:  # huge but alike: scale first
            return losses / np.max(np.abs(losses))
    return losses


def _warp(losses: np.ndarray) -> np.ndarray:
    """Standardise losses after a Yeo-Johnson power transform, which tames heavy
    tails (a few catastrophic configurations would otherwise squash the region that
    matters; Cowen-Rivers et al., 2022, "HEBO"); extreme ones are compressed first
    (:func:`_compress_extremes`). Falls back to plain standardisation."""
    losses = _compress_extremes(np.asarray(losses, dtype=float))
    y = (losses - losses.mean()) / (losses.std() or 1.0)
    if len(y) >= 3 and np.ptp(y) > 0:
        # np.errstate, not warnings.catch_warnings: it is thread-local, where the
        # warnings filters are the process's (searches may run in threads)
        with np.errstate(all="ignore"):
            try:
                t, _ = stats.yeojohnson(y)
            except Exception:  # numerical failure of the lambda search
                t = None
        if t is not None and np.all(np.isfinite(t)) and np.ptp(t) > 0:
            y = t
    return (y - y.mean()) / (y.std() or 1.0)


class BayesOptimizer(Strategy):
    """Gaussian-process Bayesian optimisation over a mixed, conditional space.

    The first ``n_initial_points`` proposals come from a scrambled Sobol' design that
    follows each dimension's prior. After that, a ``random_fraction`` of the proposals
    (every fourth by default) are drawn from the prior, a safety net against a
    surrogate that is confidently wrong, such as on the plateaus of a decision tree's
    accuracy (random configurations are interleaved the same way in SMAC; Hutter, Hoos
    & Leyton-Brown, 2011, "Sequential Model-Based Optimization for General Algorithm
    Configuration"). Every other proposal maximises an acquisition function of a
    Gaussian process fitted to everything told so far:

    - the GP (Matern-5/2, one length scale per feature, learned noise) works on the
      unit-cube encoding of :class:`~skhpo.space.SearchSpace`, with categorical
      parameters one-hot encoded and integer and categorical values snapped to their
      bins before the surrogate sees them (Garrido-Merchan & Hernandez-Lobato, 2020);
    - scores are negated into losses, power-transformed and standardised; a failed
      evaluation (``nan``) is imputed with the worst loss seen;
    - the acquisition is maximised over the whole space when it is finite and small,
      otherwise over random prior samples plus perturbations of the best points refined
      by a local search;
    - a batch (``ask(n)``, ``n > 1``) is chosen greedily with the *kriging believer*
      heuristic: each chosen point is added to the GP with its predicted value before
      the next is chosen (Ginsbourger, Le Riche & Carraro, 2010), so the batch spreads.

    Parameters
    ----------
    space : dict, list of dict or SearchSpace
        What to search, as ``param_distributions`` of ``RandomizedSearchCV``.
    n_initial_points : int, default=10
        Number of space-filling proposals before the surrogate is used.
    acquisition : {"lcb", "ei", "pi"}, default="lcb"
        ``"lcb"``: lower confidence bound of the loss, i.e. the optimistic bound
        ``mean + kappa * std`` of the score (Srinivas et al., 2010); ``"ei"``: expected
        improvement, optimised in log space (Ament et al., 2023); ``"pi"``: probability
        of improvement. The default was chosen on the benchmarks in ``benchmarks/``,
        where it was the most robust of the three.
    xi : float, default=0.0
        Improvement margin of ``"ei"`` and ``"pi"``, in units of the losses the
        surrogate models (negated scores, power-transformed and standardised).
    kappa : float, default=1.96
        Exploration weight of ``"lcb"``.
    random_fraction : float in [0, 1), default=0.25
        Fraction of the proposals after the design drawn from the prior instead of the
        surrogate, interleaved deterministically (0.25: every fourth; 0: never).
    n_candidates : int, default=1000
        Random points scored per proposal before the local search.
    random_state : int, RandomState instance or None, default=None
        Seeds the design, the candidates and the local search.

    Attributes
    ----------
    gp_ : GaussianProcess or None
        The surrogate fitted for the latest proposal (``None`` before the first model
        proposal); as well as :class:`Strategy`'s ``X_``, ``scores_``, ``best_index_``,
        ``best_params_`` and ``best_score_``.

    Examples
    --------
    >>> from skhpo.space import Real, Integer
    >>> from skhpo.strategies import BayesOptimizer
    >>> opt = BayesOptimizer({"x": Real(-2.0, 2.0), "k": Integer(0, 4)}, random_state=0)
    >>> for _ in range(15):
    ...     batch = opt.ask(1)
    ...     opt.tell(batch, [-(p["x"] - 0.5) ** 2 - (p["k"] - 3) ** 2 for p in batch])
    >>> opt.best_params_["k"]
    3
    """

    def __init__(self, space, *, n_initial_points: int = 10, acquisition: str = "lcb",
                 xi: float = 0.0, kappa: float = 1.96, random_fraction: float = 0.25,
                 n_candidates: int = 1000, random_state=None):
        for name, value, low in (("n_initial_points", n_initial_points, 1),
                                 ("n_candidates", n_candidates, 1)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an int, got {value!r}.")
            if value < low:
                raise ValueError(f"{name} must be >= {low}, got {value!r}.")
        if acquisition not in ACQUISITIONS:
            raise ValueError(
                f"acquisition must be one of {sorted(ACQUISITIONS)}, got {acquisition!r}."
            )
        for name, value in (("xi", xi), ("kappa", kappa), ("random_fraction", random_fraction)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a real number, got {value!r}.")
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}.")
        if random_fraction >= 1:
            raise ValueError(f"random_fraction must be < 1, got {random_fraction!r}.")
        super().__init__(space, random_state=random_state)
        self.n_initial_points = int(n_initial_points)
        self.acquisition = acquisition
        self.xi = float(xi)
        self.kappa = float(kappa)
        self.random_fraction = float(random_fraction)
        self.n_candidates = int(n_candidates)
        self._theta = None
        self.gp_ = None

    # -- proposals -----------------------------------------------------------------

    def _is_random_slot(self, k: int) -> bool:
        """Whether the ``k``-th proposal after the design is drawn from the prior:
        a deterministic ``random_fraction`` of the slots (every fourth for 0.25)."""
        f = self.random_fraction
        return math.floor((k + 1) * f) > math.floor(k * f)

    def _propose(self, n):
        out = []
        n_before = len(self.scores_) + len(self._pending)
        n_design = self.n_initial_points - n_before
        if n_design > 0:
            out.extend(self._design_points(min(n, n_design), self.n_initial_points))
        first_slot = max(0, n_before - self.n_initial_points) + len(out)
        slots = range(first_slot, first_slot + n - len(out))
        n_model = sum(not self._is_random_slot(k) for k in slots)
        if n_model > 0 and np.isfinite(self.scores_).sum() >= 2:
            out.extend(self._model_points(n_model, exclude={_key(u) for u in out}))
        # random slots, too few results for a model, or nothing unseen left for it
        out.extend(self._random_unseen(n - len(out), exclude={_key(u) for u in out}))
        return np.array(out).reshape(len(out), self.space.n_coords)

    def _fit_surrogate(self):
        losses = -self.scores_.copy()
        failed = ~np.isfinite(losses)
        losses[failed] = np.max(losses[~failed])
        y = _warp(losses)
        gp = GaussianProcess(self._theta).fit(self._train_features(), y)
        self._theta = gp.theta_
        self.gp_ = gp
        return gp, float(y.min())

    def _train_features(self) -> np.ndarray:
        """The surrogate's inputs for the points told (:attr:`Strategy.X_`)."""
        return self.space.features(self.X_)

    def _query_features(self, U: np.ndarray) -> np.ndarray:
        """The surrogate's inputs for candidate points ``U``."""
        return self.space.features(U)

    def _acquisition_values(self, gp, best, U):
        mean, std = gp.predict(self._query_features(U))
        if self.acquisition == "lcb":
            return ACQUISITIONS["lcb"](mean, std, kappa=self.kappa)
        return ACQUISITIONS[self.acquisition](mean, std, best, xi=self.xi)

    def _model_points(self, n, exclude):
        gp, best = self._fit_surrogate()
        chosen, keys = [], set(exclude)
        for i in range(n):
            u = self._maximise_acquisition(gp, best, keys)
            if u is None:
                break
            chosen.append(u)
            keys.add(_key(u))
            if i < n - 1:
                # kriging believer: pretend the GP's prediction was observed, and count
                # it as the incumbent if it is better, so that its neighbours lose appeal
                f = self._query_features(u)
                mean, _ = gp.predict(f)
                gp = gp.condition_on(f, mean)
                best = min(best, float(mean[0]))
        return chosen

    def _maximise_acquisition(self, gp, best, exclude):
        space = self.space
        if space.size <= _MAX_ENUMERATE:
            cand = space.grid()
            cand = cand[[_key(u) not in exclude and not self._is_seen(u) for u in cand]]
            if len(cand) == 0:
                return None
            return cand[np.argmax(self._acquisition_values(gp, best, cand))]
        finite = np.flatnonzero(np.isfinite(self.scores_))
        top = self.X_[finite[np.argsort(self.scores_[finite])[-5:]]]
        cand = np.vstack([space.sample(self.n_candidates, self._rng),
                          self._perturb(top, 20, 0.1)])
        vals = self._acquisition_values(gp, best, cand)
        for sigma in (0.1, 0.03, 0.01):
            best_rows = cand[np.argsort(vals)[-8:]]
            local = self._perturb(best_rows, 25, sigma)
            cand = np.vstack([cand, local])
            vals = np.concatenate([vals, self._acquisition_values(gp, best, local)])
        for i in np.argsort(-vals, kind="stable"):
            u = cand[i]
            if _key(u) not in exclude and not self._is_seen(u):
                return u
        return None

    def _perturb(self, U, repeats, sigma):
        """Random neighbours of unit points: Gaussian steps on every coordinate, and
        with probability ``1 / n_coords`` a discrete coordinate redrawn at random.
        Coordinates of inactive sub-spaces are redrawn, so that a neighbour that moves
        to another sub-space starts from a random point of it."""
        space = self.space
        if len(U) == 0:
            return np.zeros((0, space.n_coords))
        U = np.repeat(U, repeats, axis=0)
        R = self._rng.uniform(size=U.shape)
        sub = space.subspace_index(U)
        for s in np.unique(sub):
            rows = sub == s
            inactive = ~space.active_mask(s)
            U[np.ix_(rows, inactive)] = R[np.ix_(rows, inactive)]
        V = U + self._rng.normal(0.0, sigma, size=U.shape)
        redraw = (self._rng.uniform(size=U.shape) < 1.0 / max(space.n_coords, 1)) & (
            space.is_discrete()[None, :]
        )
        V[redraw] = R[redraw]
        return space.snap(V)
