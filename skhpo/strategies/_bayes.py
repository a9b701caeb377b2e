"""Bayesian optimisation with a Gaussian-process surrogate, as an ask/tell strategy."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from scipy import stats

from .._acquisition import ACQUISITIONS
from .._gp import GaussianProcess
from .._threads import single_threaded_blas
from .._validation import check, check_int, check_option, check_real
from ._base import Strategy, _key

__all__ = ["BayesOptimizer"]

# A finite space up to this size is searched exhaustively for the acquisition maximum.
_MAX_ENUMERATE = 4096

# predict() asks the Gaussian process about this many points at a time, which bounds
# its memory (a matrix of this many rows by the number of points told)
_PREDICT_CHUNK = 2048


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
      Points asked earlier whose scores are not told yet (pending, as when candidates
      are proposed while others are still being evaluated) are added likewise first.

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
        proposal), on the transformed losses; :meth:`predict` reads the surrogate in
        units of the score, without changing the optimiser. As well as
        :class:`Strategy`'s ``X_``, ``scores_``, ``best_index_``, ``best_params_`` and
        ``best_score_``.

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
        check_int("n_initial_points", n_initial_points, 1)
        check_int("n_candidates", n_candidates, 1)
        check_option("acquisition", acquisition, sorted(ACQUISITIONS))
        for name, value in (("xi", xi), ("kappa", kappa), ("random_fraction", random_fraction)):
            check_real(name, value, lambda v: v >= 0, "finite and >= 0")
        check("random_fraction", random_fraction, random_fraction < 1, "< 1")
        super().__init__(space, random_state=random_state)
        self.n_initial_points = int(n_initial_points)
        self.acquisition = acquisition
        self.xi = float(xi)
        self.kappa = float(kappa)
        self.random_fraction = float(random_fraction)
        self.n_candidates = int(n_candidates)
        self._theta = None
        self.gp_ = None

    # -- the surrogate's predictions ---------------------------------------------------

    def predict(self, params, return_std=False):
        """The surrogate's predicted score of parameter dicts (greater is better).

        The Gaussian process models the losses as this optimiser transforms them
        (negated scores, a failure imputed with the worst loss, then power-transformed
        and standardised): at a point ``x`` its posterior is
        ``N(mu(x), sigma(x)**2)`` on that scale. The prediction maps it back to
        the units of the scores told through ``g``, the piecewise-linear interpolation
        of the scores told against their transformed losses (non-increasing, and
        constant beyond the best and the worst score told)::

            score(x) = g(mu(x))
            std(x)   = (g(mu(x) - sigma(x)) - g(mu(x) + sigma(x))) / 2

        As ``g`` is monotone, ``score`` is the median of the surrogate's predictive
        distribution of the score, and ``std`` half the width of its central 68%
        interval ``[g(mu + sigma), g(mu - sigma)]``: the GP's standard deviation in
        score units where ``g`` is linear. Both stay within the range of the scores
        told: ``score`` between the worst and the best, ``std`` at most half their
        difference.

        Nothing about the optimiser changes. The surrogate fitted for the latest
        proposal (``gp_``) answers when it was fitted to every score told so far;
        otherwise a new one is fitted the way a proposal would fit it and then
        discarded, so that ``gp_``, the random state and every later proposal are
        the same as if this method had never been called.

        Parameters
        ----------
        params : list of dict
            ``n_points`` points of the search space, such as :meth:`ask` returns or
            :meth:`tell` accepts.
        return_std : bool, default=False
            Whether to return ``std`` as well.

        Returns
        -------
        score : ndarray of shape (n_points,)
            The predicted score of each point, ``g(mu(x))``.
        std : ndarray of shape (n_points,)
            Its uncertainty in score units, as above; only with ``return_std=True``.

        Raises
        ------
        ValueError
            If no finite score has been told yet, or a dict is not a point of the
            space.
        TypeError
            If ``params`` is not a list of dicts.

        See Also
        --------
        predict_unit : The same for unit points of :attr:`space`.

        Examples
        --------
        >>> from skhpo.space import Real
        >>> from skhpo.strategies import BayesOptimizer
        >>> opt = BayesOptimizer({"x": Real(-2.0, 2.0)}, random_state=0)
        >>> xs = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]
        >>> opt.tell([{"x": x} for x in xs], [-x**2 for x in xs])
        >>> score, std = opt.predict([{"x": 0.0}, {"x": 1.5}], return_std=True)
        >>> score.shape, std.shape
        ((2,), (2,))
        >>> bool(score[0] > score[1])
        True
        """
        self._check_observed()
        if isinstance(params, Mapping):
            raise TypeError("params must be a list of dicts, got a single dict.")
        if isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
            raise TypeError(
                f"params must be a list of dicts, got {type(params).__name__}."
            )
        params = list(params)
        U = np.zeros((len(params), self.space.n_coords))
        for i, p in enumerate(params):
            if not isinstance(p, Mapping):
                raise TypeError(
                    f"params must be a list of dicts; params[{i}] is a "
                    f"{type(p).__name__} (unit points go to predict_unit)."
                )
            try:
                U[i] = self.space.encode(p)
            except ValueError as exc:
                raise ValueError(f"params[{i}]: {exc}") from None
        return self._predict_points(U, return_std)

    def predict_unit(self, U, return_std=False):
        """The surrogate's predicted score of unit points (greater is better).

        :meth:`predict` for points given by their unit-cube coordinates
        (:class:`~skhpo.space.SearchSpace`'s, as :attr:`Strategy.X_` holds them),
        snapped to points of the space first (``space.snap``): no parameter dicts to
        build, for many points at once. The same scale and the same guarantee: the
        optimiser does not change.

        Parameters
        ----------
        U : array-like of shape (n_points, space.n_coords)
            Unit points, every coordinate in ``[0, 1]``.
        return_std : bool, default=False
            Whether to return ``std`` as well.

        Returns
        -------
        score : ndarray of shape (n_points,)
            The predicted score of each point.
        std : ndarray of shape (n_points,)
            Its uncertainty in score units (see :meth:`predict`); only with
            ``return_std=True``.

        Raises
        ------
        ValueError
            If no finite score has been told yet, or ``U`` has the wrong shape or
            values outside ``[0, 1]``.
        TypeError
            If ``U`` does not hold numbers.

        Examples
        --------
        >>> import numpy as np
        >>> from skhpo.space import Real
        >>> from skhpo.strategies import BayesOptimizer
        >>> opt = BayesOptimizer({"x": Real(-2.0, 2.0)}, random_state=0)
        >>> xs = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]
        >>> opt.tell([{"x": x} for x in xs], [-x**2 for x in xs])
        >>> U = np.linspace(0.0, 1.0, 5)[:, None]  # x = -2, -1, 0, 1, 2
        >>> opt.predict_unit(U).shape
        (5,)
        """
        self._check_observed()
        try:
            U = np.asarray(U, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"U must be an array of unit points (numbers), got {type(U).__name__}."
            ) from None
        n_coords = self.space.n_coords
        if U.ndim != 2 or U.shape[1] != n_coords:
            raise ValueError(
                f"U must be a 2-D array of shape (n_points, {n_coords}), got shape "
                f"{U.shape}."
            )
        if not (np.all(np.isfinite(U)) and np.all((U >= 0) & (U <= 1))):
            raise ValueError("U must lie in the unit cube: every coordinate finite and "
                             "in [0, 1].")
        return self._predict_points(self.space.snap(U), return_std)

    def _check_observed(self) -> None:
        if not np.isfinite(self.scores_).any():
            what = "no observations" if len(self.scores_) == 0 else (
                "no successful observations (every score told is nan)")
            raise ValueError(
                f"This {type(self).__name__} has {what} yet: tell it some scores "
                "before predicting."
            )

    def _predict_points(self, U: np.ndarray, return_std: bool):
        """:meth:`predict` of snapped unit points, changing nothing in ``self``."""
        losses = self._losses()
        y = _warp(losses)
        X = self._train_features()
        F = self._query_features(U)
        gp = self.gp_
        current = (gp is not None and np.array_equal(gp.X_, X)
                   and np.array_equal(gp.y_, y))
        with single_threaded_blas():  # as in ask
            if not current:
                # a local fit, as _fit_surrogate would make it (self._theta is copied)
                gp = GaussianProcess(self._theta).fit(X, y)
            parts = [gp.predict(F[i:i + _PREDICT_CHUNK])
                     for i in range(0, max(len(F), 1), _PREDICT_CHUNK)]
        mean = np.concatenate([m for m, _ in parts])
        std = np.concatenate([s for _, s in parts])
        order = np.argsort(y)
        to_score = (y[order], -losses[order])
        score = np.interp(mean, *to_score)
        if not return_std:
            return score
        low, high = np.interp(mean + std, *to_score), np.interp(mean - std, *to_score)
        return score, (high - low) / 2

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

    def _losses(self) -> np.ndarray:
        """The losses the surrogate models, before :func:`_warp`: negated scores, a
        failed evaluation imputed with the worst finite loss."""
        losses = -self.scores_.copy()
        failed = ~np.isfinite(losses)
        losses[failed] = np.max(losses[~failed])
        return losses

    def _fit_surrogate(self):
        y = _warp(self._losses())
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
        if self._pending:
            # points asked earlier and not told yet (being evaluated): believe the
            # surrogate's prediction for them, as for the points of one batch
            U = np.array(list(self._pending.values()))
            f = self._query_features(U)
            mean, _ = gp.predict(f)
            gp = gp.condition_on(f, mean)
            best = min(best, float(mean.min()))
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
