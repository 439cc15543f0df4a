"""Judge metrics with intervals: planted biases are found, intervals are honest, and the
point values equal the paper code's where it computes them."""

import json

import numpy as np
import pytest

from scoring import (
    JUDGE_METRICS,
    UNSCORED,
    ScoringSettings,
    Votes,
    judge_metrics,
    judge_profiles,
    make_votes,
    resample_items,
    scoring_settings,
    simulate_council,
)


def _with_first_position_judge(votes: Votes) -> Votes:
    """Judge 0 always prefers the answer shown first."""
    outcome = np.where((votes.judge == 0) & votes.scored, 1, votes.outcome)
    return Votes(item=votes.item, judge=votes.judge, model_a=votes.model_a, model_b=votes.model_b, outcome=outcome,
                 items=votes.items, judges=votes.judges, models=votes.models)


def _with_unscored(votes: Votes) -> Votes:
    """The first vote made unscored (an unparseable verdict)."""
    outcome = votes.outcome.copy()
    outcome[0] = UNSCORED
    return Votes(item=votes.item, judge=votes.judge, model_a=votes.model_a, model_b=votes.model_b, outcome=outcome,
                 items=votes.items, judges=votes.judges, models=votes.models)


def test_resampled_items_carry_all_their_votes():
    votes = simulate_council(n_models=4, n_items=10, n_judges=2, seed=0).votes
    resampled, drawn = resample_items(votes, np.random.default_rng(1))
    assert len(resampled.items) == len(drawn) == 10
    for copy, original in enumerate(drawn):
        mine = resampled.item == copy
        theirs = votes.item == original
        assert mine.sum() == theirs.sum()
        assert sorted(resampled.outcome[mine].tolist()) == sorted(votes.outcome[theirs].tolist())


def test_a_position_biased_and_a_self_loving_judge_are_found():
    council = simulate_council(n_models=5, n_items=24, n_judges=4, self_preference=3.0, position_bias=0.0, seed=5)
    votes = _with_first_position_judge(council.votes)
    metrics = judge_metrics(votes, ScoringSettings(), rounds=60, separability_rounds=40, separability_draws=10)
    first, first_low, _ = metrics.metric("position_bias_first")
    consistency, _, consistency_high = metrics.metric("position_consistency")
    assert first[0] > 0.9 and first_low[0] > 0.8
    assert np.all(first[1:] < 0.4)
    assert consistency[0] < 0.1 and consistency_high[0] < 0.2
    self_bias, low, _ = metrics.metric("self_enhancement_bias")
    # Judges 1-3 love their own answers (self_preference 3 log-odds): intervals above 0.
    assert np.all(low[1:] > 0), self_bias
    for name in JUDGE_METRICS:
        estimate, lower, upper = metrics.metric(name)
        finite = np.isfinite(estimate) & np.isfinite(lower)
        assert np.all(lower[finite] <= upper[finite]), name


def test_json_has_every_metric_with_its_interval():
    votes = simulate_council(n_models=4, n_items=10, n_judges=3, seed=1).votes
    lengths = np.full((len(votes.items), len(votes.models)), 100.0) + np.arange(len(votes.models))
    metrics = judge_metrics(_with_unscored(votes), lengths=lengths, rounds=20, separability_rounds=20,
                            separability_draws=5)
    data = json.loads(json.dumps(metrics.to_dict()))
    assert len(data["judges"]) == 3
    assert [row["n_unscored"] for row in data["judges"]] == [1, 0, 0]
    for row in data["judges"]:
        for name in ("position_consistency", "position_bias_first", "position_bias_second", "conviction",
                     "contrarianism", "polarization", "self_enhancement_bias", "length_bias_r2", "separability"):
            assert set(row[name]) == {"estimate", "lower", "upper"}, name
        assert row["length_bias_r2"]["estimate"] is not None
        assert set(row["affinity"]) <= set(votes.models) and row["affinity"]
    pair = data["agreement"][0]
    assert len(pair["judges"]) == 2 and set(pair["kappa"]) == {"estimate", "lower", "upper"}


def test_metrics_are_reproducible_by_seed():
    votes = simulate_council(n_models=4, n_items=12, n_judges=3, seed=2).votes
    a = judge_metrics(votes, rounds=15, separability_rounds=20, separability_draws=3, seed=7)
    b = judge_metrics(votes, rounds=15, separability_rounds=20, separability_draws=3, seed=7)
    assert np.array_equal(a.lower, b.lower, equal_nan=True) and np.array_equal(a.upper, b.upper, equal_nan=True)


def test_strict_consistency_is_stricter_than_sidewise():
    votes = make_votes(
        ["i1", "i1", "i2", "i2"], ["j"] * 4, ["x", "y", "x", "y"], ["y", "x", "y", "x"],
        ["A>>B", "B>A", "A>B", "B>A"],  # i1: same side, different strength; i2: exact mirror
    )
    profile = judge_profiles(votes)
    assert profile.consistency[0] == 1.0 and profile.strict_consistency[0] == 0.5


def test_point_values_reproduce_the_paper_code(lmc_votes, reference_outputs):
    settings = scoring_settings("reference", reference="qwen1.5-32B-Chat")
    metrics = judge_metrics(lmc_votes, settings, rounds=2, separability_rounds=0)
    profiles = reference_outputs["judge_profiles"]
    bias = reference_outputs["self_enhancement_bias"]["bias"]
    for j, judge in enumerate(metrics.judges):
        assert metrics.metric("position_consistency")[0][j] == pytest.approx(profiles[judge]["consistency"], abs=1e-9)
        assert metrics.metric("position_bias_first")[0][j] == pytest.approx(profiles[judge]["bias_towards_a"], abs=1e-9)
        assert metrics.metric("conviction")[0][j] == pytest.approx(profiles[judge]["major_votes"], abs=1e-9)
        if judge in bias:
            # The paper subtracts win rates it has rounded to two decimals.
            assert metrics.metric("self_enhancement_bias")[0][j] / 100 == pytest.approx(bias[judge], abs=2e-4)
