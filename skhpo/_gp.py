"""A small Gaussian-process regressor for Bayesian optimisation on the unit cube.

Matern-5/2 kernel with one length scale per input feature (ARD), a signal variance and a
Gaussian noise variance. Hyperparameters are maximum-a-posteriori estimates found by
L-BFGS-B with analytic gradients, warm-started from the previous fit, under weak
log-normal priors: length scales centred on half the unit cube (0.5, one e-fold either
way), signal variance on 1, noise variance on ``exp(-4)``. The priors keep the few
observations of a hyperparameter search from collapsing a length scale to a point or
stretching it to irrelevance. Targets are expected standardised (mean 0, variance 1).

The regressor is deliberately minimal (numpy + scipy, no kernel objects): the cost of one
Bayesian-optimisation step is dominated by it, and a fit is one Cholesky factorisation
and one inverse per L-BFGS iteration.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize
from scipy.linalg import lapack

_SQRT5 = math.sqrt(5.0)
_LOG_2PI = math.log(2.0 * math.pi)
_JITTER = 1e-8

# bounds of the log hyperparameters: length scales, signal variance, noise variance
_LOG_LENGTH_BOUNDS = (math.log(1e-2), math.log(1e3))
_LOG_SIGNAL_BOUNDS = (math.log(5e-2), math.log(20.0))
_LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(1.0))
# log-normal priors: (mean, standard deviation) of the log hyperparameter
_SIGNAL_PRIOR = (0.0, 1.0)
_NOISE_PRIOR = (-4.0, 1.0)


def _length_prior(n_features: int) -> tuple[float, float]:
    return math.log(0.5), 1.0


def _scaled_sq_dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``A`` and ``B``."""
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def _matern52(sq_dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matern-5/2 correlation and the factor ``(5/3)(1 + sqrt5 r) exp(-sqrt5 r)``
    whose product with ``(dx / l)^2`` is the derivative w.r.t. ``log l``."""
    r = np.sqrt(sq_dist)
    e = np.exp(-_SQRT5 * r)
    poly = 1.0 + _SQRT5 * r
    return (poly + (5.0 / 3.0) * sq_dist) * e, (5.0 / 3.0) * poly * e


def _cholesky_inverse(K: np.ndarray):
    """Lower Cholesky factor and inverse of a symmetric positive definite matrix,
    or ``None`` if it is not numerically positive definite."""
    L, info = lapack.dpotrf(K, lower=1, clean=1)
    if info != 0:
        return None
    K_inv, info = lapack.dpotri(L, lower=1)
    if info != 0:
        return None
    K_inv = np.tril(K_inv)
    K_inv += np.tril(K_inv, -1).T
    return L, K_inv


class GaussianProcess:
    """Zero-mean GP with a Matern-5/2 ARD kernel and MAP hyperparameters.

    Attributes
    ----------
    theta_ : ndarray of shape (n_features + 2,)
        Log length scales, log signal variance, log noise variance.
    """

    def __init__(self, theta: np.ndarray | None = None):
        self.theta_ = None if theta is None else np.array(theta, dtype=float)

    # -- fitting ---------------------------------------------------------------------

    def _default_theta(self, n_features: int) -> np.ndarray:
        mu, _ = _length_prior(n_features)
        return np.concatenate([np.full(n_features, mu), [0.0, _NOISE_PRIOR[0]]])

    def _neg_log_posterior(self, theta, X, y):
        n, d = X.shape
        length = np.exp(theta[:d])
        signal, noise = math.exp(theta[d]), math.exp(theta[d + 1])
        Z = X / length
        corr, dfactor = _matern52(_scaled_sq_dist(Z, Z))
        K = signal * corr
        K[np.diag_indices_from(K)] += noise + _JITTER
        factor = _cholesky_inverse(K)
        if factor is None:
            return 1e25, np.zeros_like(theta)
        L, K_inv = factor
        alpha = K_inv @ y
        nll = 0.5 * y @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * _LOG_2PI
        # W = K^-1 - alpha alpha^T, d nll / d theta_i = 0.5 tr(W dK/dtheta_i)
        W = K_inv
        W -= np.outer(alpha, alpha)
        grad = np.empty_like(theta)
        M = W * (signal * dfactor)
        Mrow = M.sum(1)
        # sum_ij M_ij (z_i - z_j)^2 per feature, without forming n x n x d tensors
        grad[:d] = 0.5 * (2.0 * (Z * Z * Mrow[:, None]).sum(0) - 2.0 * (Z * (M @ Z)).sum(0))
        grad[d] = 0.5 * (W * (signal * corr)).sum()
        grad[d + 1] = 0.5 * noise * np.trace(W)
        # priors
        mu_l, sd_l = _length_prior(d)
        nll += 0.5 * (((theta[:d] - mu_l) / sd_l) ** 2).sum()
        grad[:d] += (theta[:d] - mu_l) / sd_l**2
        for i, (mu, sd) in ((d, _SIGNAL_PRIOR), (d + 1, _NOISE_PRIOR)):
            nll += 0.5 * ((theta[i] - mu) / sd) ** 2
            grad[i] += (theta[i] - mu) / sd**2
        return nll, grad

    def fit(self, X: np.ndarray, y: np.ndarray, *, optimize_theta: bool = True,
            maxiter: int = 200) -> GaussianProcess:
        """Fit to features ``X`` (n, d) and standardised targets ``y`` (n,)."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n, d = X.shape
        if self.theta_ is None or len(self.theta_) != d + 2:
            self.theta_ = self._default_theta(d)
        if optimize_theta and n >= 2:
            bounds = [_LOG_LENGTH_BOUNDS] * d + [_LOG_SIGNAL_BOUNDS, _LOG_NOISE_BOUNDS]
            best = None
            for x0 in [self.theta_]:
                res = optimize.minimize(
                    self._neg_log_posterior,
                    np.clip(x0, [b[0] for b in bounds], [b[1] for b in bounds]),
                    args=(X, y),
                    jac=True,
                    method="L-BFGS-B",
                    bounds=bounds,
                    options={"maxiter": maxiter, "ftol": 1e-6, "gtol": 1e-4},
                )
                if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
                    best = res
                self.n_iter_ = res.nit
            if best is not None:
                self.theta_ = best.x
        self._condition(X, y)
        return self

    def _condition(self, X, y, noiseless=None):
        n, d = X.shape
        theta = self.theta_
        self.X_, self.y_ = X, y
        self._noiseless = np.zeros(n, dtype=bool) if noiseless is None else noiseless
        self._length = np.exp(theta[:d])
        self._signal = math.exp(theta[d])
        self._noise = math.exp(theta[d + 1])
        self._Z = X / self._length
        K = self._signal * _matern52(_scaled_sq_dist(self._Z, self._Z))[0]
        K[np.diag_indices_from(K)] += np.where(self._noiseless, 0.0, self._noise) + _JITTER
        jitter = _JITTER
        while (factor := _cholesky_inverse(K)) is None:
            jitter *= 10.0
            K[np.diag_indices_from(K)] += jitter
        self._K_inv = factor[1]
        self._alpha = self._K_inv @ y

    def condition_on(self, X_new: np.ndarray, y_new: np.ndarray) -> GaussianProcess:
        """A copy that also believes ``f(X_new) = y_new`` exactly (no noise), with the
        hyperparameters unchanged: how a batch treats the points it already chose."""
        gp = GaussianProcess(self.theta_)
        gp._condition(
            np.vstack([self.X_, X_new]),
            np.concatenate([self.y_, y_new]),
            np.concatenate([self._noiseless, np.ones(len(X_new), dtype=bool)]),
        )
        return gp

    # -- prediction ------------------------------------------------------------------

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent function at ``X``."""
        Zs = np.asarray(X, dtype=float) / self._length
        Ks = self._signal * _matern52(_scaled_sq_dist(Zs, self._Z))[0]
        mean = Ks @ self._alpha
        var = self._signal - ((Ks @ self._K_inv) * Ks).sum(1)
        return mean, np.sqrt(np.maximum(var, 1e-12))
