"""The estimates of how far best_score_ overstates the chosen candidate
(``skhpo._optimism``, measured by ``benchmarks/optimism.py``)."""

import numpy as np
import pytest

from skhpo._optimism import fold_bootstrap_optimism, tibshirani_optimism


def test_tibshirani_is_the_mean_lead_of_each_splits_best():
    S = np.array([[1.0, 0.25, 0.5], [0.75, 0.75, 0.5], [0.5, 0.5, 1.0]])
    # row 1 has the best mean (2/3); per split the best beats it by 0.25, 0, 0.5
    assert tibshirani_optimism(S, 1) == pytest.approx(0.25)
    # the best on every split: nothing to correct
    assert tibshirani_optimism([[1.0, 1.0], [0.5, 0.75]], 0) == 0.0


def test_failed_candidates_are_left_out_of_the_estimates():
    S = np.array([[0.75, 0.75], [np.nan, 1.0], [0.5, 0.5]])
    assert tibshirani_optimism(S, 0) == 0.0
    assert fold_bootstrap_optimism(S, 0) == 0.0


def test_fold_bootstrap_is_seeded_non_negative_and_sees_a_lucky_winner():
    rng = np.random.default_rng(0)
    noise = rng.normal(0.5, 0.05, size=(40, 5))  # 40 equally good candidates
    best = int(np.argmax(noise.mean(axis=1)))
    a = fold_bootstrap_optimism(noise, best, random_state=3)
    assert a == fold_bootstrap_optimism(noise, best, random_state=3)
    # the winner of 40 equals is lucky: its lead over the truth (0.5) is found
    lead = noise[best].mean() - 0.5
    assert 0.3 * lead < a and 0.3 * lead < tibshirani_optimism(noise, best)
    assert fold_bootstrap_optimism([[0.5], [0.75]], 1) == 0.0  # one split: no estimate


@pytest.mark.parametrize(
    "scores, best, match",
    [
        ([0.5, 0.6], 0, "2-D array"),
        ([[0.5, 0.6]], 1, "best=1 is not a row"),
        ([[np.nan, 0.6], [0.5, 0.5]], 0, "chosen candidate's split scores must be finite"),
    ],
)
def test_bad_input_is_refused(scores, best, match):
    for estimate in (tibshirani_optimism, fold_bootstrap_optimism):
        with pytest.raises(ValueError, match=match):
            estimate(scores, best)


