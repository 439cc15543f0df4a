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


def test_self_enhancement_reproduces_the_paper_code(lmc_votes, reference_outputs):
    from scoring import judge_affinity, scoring_settings

    expected = reference_outputs["self_enhancement_bias"]["bias"]
    affinity = judge_affinity(lmc_votes, scoring_settings("reference", reference="qwen1.5-32B-Chat"))
    for judge, want in expected.items():
        got = affinity.self_enhancement[affinity.judges.index(judge)] / 100
        # The paper subtracts win rates it has rounded to two decimals.
        assert got == pytest.approx(want, abs=2e-4), judge
    reference_row = affinity.scores[:, affinity.models.index("qwen1.5-32B-Chat")]
    assert np.allclose(reference_row[~np.isnan(reference_row)], 50.0)


def test_a_judge_that_favours_itself_shows_self_enhancement():
    rows = []
    for k in range(6):
        rows += [(f"i{k}", "x", "x", "y", "A>B"), (f"i{k}", "x", "y", "x", "B>A")]  # x always picks x
        rows += [(f"i{k}", "z", "x", "y", "A>B" if k % 2 else "B>A")]  # z is even-handed
    votes = make_votes(*zip(*rows))
    from scoring import ScoringSettings, judge_affinity

    affinity = judge_affinity(votes, ScoringSettings(include_self=True, reference="y"))
    x = affinity.judges.index("x")
    assert affinity.self_enhancement[x] > 10  # its own score for x is ~100, the council (x included) ~83
    assert np.isnan(affinity.self_enhancement[affinity.judges.index("z")])
