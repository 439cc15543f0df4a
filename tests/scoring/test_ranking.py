import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    ScoringSettings,
    leader_groups,
    percentile_intervals,
    point_ranks,
    rank_intervals,
    rank_models,
    rank_upper_bounds,
    separability,
    simulate_council,
    tiers,
)
from scoring.ranking import RANK_TOLERANCE


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


def test_rank_upper_bound_counts_the_models_entirely_above():
    lower = np.array([10.0, 8.0, 5.0, 1.0])
    upper = np.array([12.0, 11.0, 9.0, 9.5])
    # Model 2 (5..9) is below model 0 only; model 3 (1..9.5) is below model 0 only.
    assert rank_upper_bounds(lower, upper).tolist() == [1, 1, 2, 2]


@st.composite
def intervals(draw):
    n = draw(st.integers(1, 8))
    point = np.array(draw(st.lists(st.floats(-5, 5), min_size=n, max_size=n)))
    below = np.array(draw(st.lists(st.floats(0, 3), min_size=n, max_size=n)))
    above = np.array(draw(st.lists(st.floats(0, 3), min_size=n, max_size=n)))
    return point, point - below, point + above


@settings(max_examples=300, deadline=None)
@given(intervals())
def test_leader_groups_keep_their_guarantee_and_refine_the_tiers(data):
    point, lower, upper = data
    group, tier = leader_groups(point, lower, upper), tiers(point, lower, upper)
    order = np.argsort(-np.round(point, 9), kind="stable")
    # Consecutive in point order, starting at 1, no gaps.
    assert group[order][0] == 1 and set(np.diff(group[order])) <= {0, 1}
    leaders = {g: order[np.flatnonzero(group[order] == g)[0]] for g in set(group.tolist())}
    for model in range(len(point)):
        for g in range(1, group[model]):
            assert _apart(upper[model], lower[leaders[g]]), "a model overlaps the leader of a higher group"
    # Every strict tier cut is a group cut: groups are at least as informative.
    assert all(group[a] != group[b] for a in range(len(point)) for b in range(len(point)) if tier[a] != tier[b])
    # As fine as the guarantee allows: no cut of the point order into consecutive groups
    # that keeps it and the tier cuts has more groups.
    tier_starts = {k for k in range(1, len(order)) if tier[order][k] != tier[order][k - 1]}
    assert group.max() == _most_groups_possible(lower[order], upper[order], tier_starts)


def _apart(upper_end, lower_end) -> bool:
    # The definition the ranking functions document: strictly below, ends equal up to
    # relative rounding touch.
    return upper_end < lower_end - RANK_TOLERANCE * max(1.0, abs(upper_end), abs(lower_end))


def _most_groups_possible(lower, upper, required) -> int:
    n, best = len(lower), 1
    for cuts in range(1 << (n - 1)):
        starts = [0] + [k + 1 for k in range(n - 1) if cuts >> k & 1]
        if not required <= set(starts):
            continue
        leader_of = np.repeat(starts, np.diff(starts + [n]))
        if all(_apart(upper[m], lower[s]) for m in range(n) for s in starts if s < leader_of[m]):
            best = max(best, len(starts))
    return best


def test_groups_say_more_than_tiers_on_a_simulated_twelve_member_council():
    votes = simulate_council(n_models=12, n_items=20, strength_sd=1.2, seed=0).votes
    board = rank_models(votes, ScoringSettings(rounds=300))
    print(f"separability {board.separability:.0f}%, tiers {board.tier.max()}, groups {board.group.max()}")
    assert board.separability > 50 and board.tier.max() == 1
    assert board.group.max() >= 3
    assert (board.rank_ub <= board.rank).all() and board.rank_ub.max() > 1


def test_boundary_records_get_intervals_an_exact_test_would_accept():
    from scipy.stats import binomtest

    from scoring import make_votes

    exact_lower = 100 * binomtest(10, 10).proportion_ci(0.95).low  # 69.2
    verdicts = {"winner": "A>B", "loser": "B>A", "tier": "A=B"}
    rows = [(f"q{i}", "judge", model, "ref", verdict) for i in range(10) for model, verdict in verdicts.items()]
    board = rank_models(make_votes(*zip(*rows)), ScoringSettings(reference="ref"))
    winner, loser, tied = (board.models.index(name) for name in ("winner", "loser", "tier"))
    # The percentile bootstrap gave 99.3 [99.3, 99.4], 1.5 [0.8, 2.0] and 50 [49.99, 50.01].
    assert exact_lower - 5 < board.score_lower[winner] < exact_lower + 5
    assert 100 - exact_lower - 5 < board.score_upper[loser] < 100 - exact_lower + 5
    assert board.score_lower[tied] < 42 and board.score_upper[tied] > 58
    assert board.group[winner] < board.group[tied] < board.group[loser]
