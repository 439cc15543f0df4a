"""Jury ablation: more items and judges separate more; random voters blur; seeded."""

import numpy as np
import pytest

from scoring import ScoringSettings, jury_ablation, rank_stability, simulate_council


@pytest.fixture(scope="module")
def council():
    return simulate_council(n_models=5, n_items=30, n_judges=5, strength_sd=0.8, seed=11).votes


def test_bigger_test_sets_separate_more_and_rank_more_stably(council):
    ablation = jury_ablation(council, ScoringSettings(), jury_sizes=(1, 5), test_sizes=(6, 30), trials=8, rounds=60)
    assert ablation.separability_mean[1, 1] > ablation.separability_mean[0, 0]
    # The whole council on the whole test set is one and the same draw every trial: only
    # the bootstrap's Monte Carlo noise (60 rounds) can move a separation.
    assert ablation.rank_stability[1, 1] == 0.0 and ablation.separability_std[1, 1] < 5.0
    assert ablation.rank_stability[0, 0] > 0.0


def test_random_voters_lower_separability(council):
    honest = jury_ablation(council, jury_sizes=(2,), test_sizes=(30,), trials=8, rounds=60, seed=3)
    noisy = jury_ablation(council, jury_sizes=(2,), test_sizes=(30,), trials=8, rounds=60, seed=3, adversarial=6)
    assert noisy.separability_mean[0, 0] < honest.separability_mean[0, 0]
    assert noisy.adversarial == 6


def test_seeded_and_checked(council):
    a = jury_ablation(council, jury_sizes=(2, 3), test_sizes=(10,), trials=4, rounds=30, seed=1)
    b = jury_ablation(council, jury_sizes=(2, 3), test_sizes=(10,), trials=4, rounds=30, seed=1)
    assert np.array_equal(a.separability_mean, b.separability_mean)
    assert a.to_dict()["cells"][0]["judges"] == 2
    with pytest.raises(ValueError, match="jury size 9"):
        jury_ablation(council, jury_sizes=(9,), trials=1)


def test_rank_stability_is_the_mean_population_sd_of_ranks():
    ranks = np.array([[1, 2, 3], [2, 1, 3], [1, 2, np.nan]])
    expected = np.mean([np.std([1, 2, 1]), np.std([2, 1, 2]), 0.0])
    assert rank_stability(ranks) == pytest.approx(expected)

