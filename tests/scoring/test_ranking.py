import numpy as np
import pytest

from scoring import percentile_intervals, point_ranks, rank_intervals, separability, tiers


def test_separability_counts_pairs_apart_strictly():
    lower = np.array([10.0, 5.0, 0.0])
    upper = np.array([12.0, 10.0, 4.0])
    # (0,1) touch at 10: not apart under the strict rule; (0,2) and (1,2) apart.
    assert separability(lower, upper) == pytest.approx(200 / 3)


def test_tiers_cut_only_where_everything_above_is_apart_from_everything_below():
    point = np.array([10.0, 8.0, 5.0, 4.0, 0.0])
    lower = np.array([9.0, 6.0, 4.0, 2.0, -1.0])
    upper = np.array([11.0, 9.5, 5.5, 5.0, 1.0])
    # 0 overlaps 1; both are apart from 2 and below; 2 and 3 overlap; 4 is apart from all.
    assert list(tiers(point, lower, upper)) == [1, 1, 2, 2, 3]


def test_a_wide_interval_below_holds_back_the_cut_above_it():
    point = np.array([10.0, 5.0, 0.0])
    lower = np.array([9.0, 4.0, -20.0])
    upper = np.array([11.0, 6.0, 9.5])
    assert list(tiers(point, lower, upper)) == [1, 1, 1]


def test_tiers_follow_point_order_not_input_order():
    point = np.array([0.0, 10.0])
    lower = np.array([-1.0, 9.0])
    upper = np.array([1.0, 11.0])
    assert list(tiers(point, lower, upper)) == [2, 1]


def test_rank_intervals_are_whole_ranks_that_occurred():
    rng = np.random.default_rng(0)
    draws = rng.normal([3.0, 2.9, 0.0], 0.5, size=(2000, 3))
    low, high = rank_intervals(draws, 0.95)
    assert list(low) == [1, 1, 3] and list(high) == [2, 2, 3]
    assert list(point_ranks(np.array([1.0, 3.0, 3.0]))) == [3, 1, 1]


def test_percentile_intervals_have_the_asked_coverage():
    rng = np.random.default_rng(1)
    draws = rng.normal(0, 1, size=(200_000, 1))
    low, high = percentile_intervals(draws, 0.95)
    assert low[0] == pytest.approx(-1.96, abs=0.02) and high[0] == pytest.approx(1.96, abs=0.02)
    with pytest.raises(ValueError):
        percentile_intervals(draws, 1.5)


def test_one_item_cannot_give_intervals():
    from scoring import ScoringError, ScoringSettings, make_votes, rank_models

    votes = make_votes(["i1"] * 4, ["j"] * 4, ["x", "y", "x", "z"], ["y", "x", "z", "x"], ["A>B", "B>A", "A>B", "B>A"])
    with pytest.raises(ScoringError, match="one item"):
        rank_models(votes)
    assert len(rank_models(votes, ScoringSettings(resample="vote", rounds=20)).models) == 3
