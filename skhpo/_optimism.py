"""How optimistic a search's ``best_score_`` is, from the per-split scores it already has.

``best_score_`` is the largest of many noisy cross-validated means, so it overstates the
chosen candidate's score on new data: the winner's curse (Cawley and Talbot, 2010). Both
estimates below take the matrix ``S`` of test scores, one row per candidate and one
column per split (greater is better), and the row ``b`` the search chose (the largest
mean).

- :func:`tibshirani_optimism`, Tibshirani and Tibshirani (2009): on each split, how far
  the split's own best candidate scores above the chosen one,
  ``mean_k(max_i S[i, k] - S[b, k])``. Non-negative, and zero only when the chosen
  candidate is the best on every split.
- :func:`fold_bootstrap_optimism`: the bootstrap bias correction of Tsamardinos,
  Greasidou and Borboudakis (2018, BBC-CV), applied to splits rather than to pooled
  predictions: draw splits with replacement, choose the best mean on the drawn splits,
  score it on the splits not drawn; the optimism is the chosen mean minus the average of
  those out-of-bootstrap scores.

``benchmarks/optimism.py`` compares them, and nested cross-validation, with the score on
large held-out sets. Neither is exposed on the searches yet: on that benchmark's
report half, where cross-validation was already pessimistic (each fold trains on fewer
samples than the final refit), subtracting either moved ``best_score_`` further from the
held-out score in most runs.

References
----------
.. [1] R. J. Tibshirani and R. Tibshirani. "A bias correction for the minimum error
   rate in cross-validation." The Annals of Applied Statistics 3(2), 2009.
.. [2] I. Tsamardinos, E. Greasidou and G. Borboudakis. "Bootstrapping the out-of-sample
   predictions for efficient and accurate cross-validation." Machine Learning 107, 2018.
.. [3] G. C. Cawley and N. L. C. Talbot. "On over-fitting in model selection and
   subsequent selection bias in performance evaluation." JMLR 11, 2010.
"""

from __future__ import annotations

import numpy as np


def _checked(scores, best) -> tuple[np.ndarray, int]:
    S = np.asarray(scores, dtype=float)
    if S.ndim != 2 or S.shape[0] < 1 or S.shape[1] < 1:
        raise ValueError(
            f"scores must be a 2-D array (candidates x splits), got shape {S.shape}."
        )
    if not 0 <= best < S.shape[0]:
        raise ValueError(f"best={best} is not a row of scores ({S.shape[0]} rows).")
    if not np.all(np.isfinite(S[best])):
        raise ValueError("The chosen candidate's split scores must be finite.")
    return S, int(best)


def _usable(S: np.ndarray) -> np.ndarray:
    """Rows with a finite score on every split (a failed candidate has none)."""
    return S[np.all(np.isfinite(S), axis=1)]


def tibshirani_optimism(scores, best: int) -> float:
    """Tibshirani and Tibshirani's (2009) estimate of the optimism of the best mean.

    Parameters
    ----------
    scores : array-like of shape (n_candidates, n_splits)
        Test score of each candidate on each split, greater is better. Rows with a
        non-finite score (failed candidates) are left out.
    best : int
        Row of the chosen candidate.

    Returns
    -------
    optimism : float
        ``mean_k(max_i S[i, k] - S[best, k])``, ``>= 0``.

    Examples
    --------
    The chosen candidate (row 1, the best mean) is beaten by 0.25 on the first split:

    >>> tibshirani_optimism([[1.0, 0.25], [0.75, 0.75]], best=1)
    0.125
    """
    S, best = _checked(scores, best)
    chosen = S[best]
    return float(np.mean(_usable(S).max(axis=0) - chosen))


def fold_bootstrap_optimism(scores, best: int, n_bootstraps: int = 1000,
                            random_state=0) -> float:
    """The bootstrap bias correction (BBC-CV) over splits.

    Parameters
    ----------
    scores : array-like of shape (n_candidates, n_splits)
        Test score of each candidate on each split, greater is better. Rows with a
        non-finite score (failed candidates) are left out.
    best : int
        Row of the chosen candidate.
    n_bootstraps : int, default=1000
        Bootstrap draws of the splits (a draw that leaves no split out is skipped).
    random_state : int, default=0
        Seeds the draws.

    Returns
    -------
    optimism : float
        The chosen candidate's mean minus the mean out-of-bootstrap score of the
        bootstrap winners, floored at 0.
    """
    S, best = _checked(scores, best)
    chosen = float(S[best].mean())
    S = _usable(S)
    n_splits = S.shape[1]
    if n_splits < 2:
        return 0.0
    rng = np.random.default_rng(random_state)
    draws = rng.integers(0, n_splits, size=(n_bootstraps, n_splits))
    out = []
    for draw in draws:
        left_out = np.setdiff1d(np.arange(n_splits), draw, assume_unique=False)
        if len(left_out) == 0:
            continue
        winner = int(np.argmax(S[:, draw].mean(axis=1)))
        out.append(S[winner, left_out].mean())
    if not out:
        return 0.0
    return max(0.0, chosen - float(np.mean(out)))


OPTIMISM = {"tibshirani": tibshirani_optimism, "fold_bootstrap": fold_bootstrap_optimism}
