"""Judge diagnostics against hand-made cases and the paper code's judge profiles."""

import math

import numpy as np
import pytest

from scoring import judge_profiles, make_votes, position_preference

MAPPING = {
    "consistency": "consistency",
    "inconsistency": "inconsistency",
    "paired_consistency": "repped_consistency",
    "bias_first": "bias_towards_a",
    "bias_second": "bias_towards_b",
    "first_votes": "a_votes",
    "second_votes": "b_votes",
    "tie_votes": "tie_votes",
    "conviction": "major_votes",
}


def test_profiles_on_a_hand_made_judge():
    votes = make_votes(
        ["i1", "i1", "i2", "i2", "i3"],
        ["j"] * 5,
        ["x", "y", "x", "y", "x"],
        ["y", "x", "y", "x", "y"],
        ["A>>B", "B>A", "A>B", "A>B", "B>A"],  # i1 consistent; i2 always first; i3 alone
    )
    profile = judge_profiles(votes)
    assert profile.n_votes[0] == 5
    assert profile.consistency[0] == pytest.approx(2 / 5)
    assert profile.inconsistency[0] == pytest.approx(2 / 5)
    assert profile.paired_consistency[0] == pytest.approx(0.5)
    assert (profile.bias_first[0], profile.bias_second[0]) == (pytest.approx(2 / 5), 0.0)
    assert profile.conviction[0] == pytest.approx(1 / 5)


def test_position_preference_counts_decided_votes():
    votes = make_votes(["i"] * 4, ["j"] * 4, ["x", "y", "x", "y"], ["y", "x", "y", "x"], ["A>B", "A>B", "A>B", None])
    bias = position_preference(votes)
    assert bias.n_decided[0] == 3 and bias.n_unscored[0] == 1 and bias.first_share[0] == 1.0
    assert 0.4 < bias.lower[0] < 1.0 <= bias.upper[0] + 1e-12


def test_profiles_reproduce_the_paper_code(lmc_votes, reference_outputs):
    # The reference also profiles its pooled councils; the 20 real judges are compared here.
    expected = {j: v for j, v in reference_outputs["judge_profiles"].items() if not j.startswith("council")}
    profile = judge_profiles(lmc_votes)
    assert set(expected) == set(profile.judges) and len(expected) == 20
    for i, judge in enumerate(profile.judges):
        for ours, theirs in MAPPING.items():
            want = expected[judge][theirs]
            got = getattr(profile, ours)[i]
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert np.isnan(got), (judge, ours)
            else:
                assert got == pytest.approx(want, abs=1e-6), (judge, ours)
