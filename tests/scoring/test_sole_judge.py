"""Batched per-judge leaderboards give what one leaderboard per judge gives."""

import numpy as np
import pytest

from scoring import ScoringError, ScoringSettings, fit_bradley_terry, point_scores, rank_models, simulate_council
from scoring.sole_judge import council_strengths, sole_judge_separability, sole_judge_strengths


def _one_by_one(votes, settings):
    """Each judge's leaderboard the plain way: its votes alone through point_scores."""
    out = np.full((len(votes.judges), len(votes.models)), np.nan)
    for j in range(len(votes.judges)):
        try:
            scores = point_scores(votes.select(votes.judge == j), settings)
        except ScoringError:
            continue
        for model, score in scores.items():
            out[j, votes.models.index(model)] = score
    return out


@pytest.mark.parametrize("settings", [
    ScoringSettings(),
    ScoringSettings(reference="model-0", include_self=True),
    ScoringSettings(aggregation="majority", consistency="sidewise", strong_weight=2.0),
    ScoringSettings(reference="model-3", alpha=1e-8),
], ids=["default", "reference", "pooled", "no-ridge"])
@pytest.mark.parametrize("design", ["all-pairs", "reference"])
def test_batched_sole_judge_fits_equal_one_leaderboard_per_judge(settings, design):
    from scoring.leaderboard import elo_scale, win_rate_percent

    council = simulate_council(n_models=6, n_items=12, n_judges=4, pairs_per_item=8 if design == "all-pairs" else None,
                               reference=0 if design == "reference" else None, tie_margin=0.3, seed=5)
    votes = council.votes
    expected = _one_by_one(votes, settings)
    to_score = win_rate_percent if settings.reference is not None else elo_scale
    found = to_score(sole_judge_strengths([votes], settings)[0])
    np.testing.assert_allclose(found, expected, atol=1e-5)
    council_found = to_score(council_strengths([votes], settings)[0])
    council_expected = point_scores(votes, settings)
    for model, score in council_expected.items():
        assert council_found[votes.models.index(model)] == pytest.approx(score, abs=1e-5)


def test_a_judge_without_a_leaderboard_gets_nan():
    votes = simulate_council(n_models=4, n_items=6, n_judges=3, reference=0, seed=1).votes
    # Judge 1 keeps only votes that do not involve the reference model-0: not rankable with it.
    keep = (votes.judge != 1) | ((votes.model_a != 0) & (votes.model_b != 0))
    strengths = sole_judge_strengths([votes.select(keep)], ScoringSettings(reference="model-0"))[0]
    # Judge 0 is model-0: its votes are all self-judgments, left out by default.
    assert np.isnan(strengths[1]).all() and np.isnan(strengths[0]).all()
    assert np.isfinite(strengths[2, [0, 1, 3]]).all() and np.isnan(strengths[2, 2])  # its own model left out


def test_sole_judge_separability_is_rank_models_separability_within_monte_carlo_error():
    votes = simulate_council(n_models=5, n_items=30, n_judges=3, strength_sd=1.2, seed=2).votes
    settings = ScoringSettings(rounds=400)
    batched = sole_judge_separability([votes], settings, rounds=400, rng=np.random.default_rng(0))[0]
    for j in range(3):
        board = rank_models(votes.select(votes.judge == j), settings.replace(seed=j))
        assert batched[j] == pytest.approx(board.separability, abs=20.0)
    assert np.isfinite(batched).all()


def test_warm_started_fits_land_where_cold_ones_do():
    rng = np.random.default_rng(3)
    wins = rng.poisson(3.0, (50, 7, 7)).astype(float)
    cold = fit_bradley_terry(wins)
    warm = fit_bradley_terry(wins, start=cold[0] + 1.0)
    np.testing.assert_allclose(warm, cold, atol=1e-8)


def test_star_fits_with_models_left_out_of_a_draw():
    rng = np.random.default_rng(4)
    star = np.zeros((30, 6, 6))
    star[:, 0, 1:], star[:, 1:, 0] = rng.poisson(2, (30, 5)), rng.poisson(2, (30, 5))
    star[:10, 0, 2] = star[:10, 2, 0] = 0  # model 2 absent from a third of the draws
    batched = fit_bradley_terry(star)
    single = np.array([fit_bradley_terry(w) for w in star])
    np.testing.assert_allclose(batched, single, atol=1e-9)
    assert np.allclose(batched[:10, 2], 0.0, atol=1e-6)


def test_rank_many_ranks_each_set_as_rank_models_does():
    from scoring.sole_judge import rank_many

    votes = simulate_council(n_models=6, n_items=40, n_judges=3, reference=0, strength_sd=1.0, seed=6).votes
    sets = [votes.select(votes.item < k) for k in (1, 10, 40)]  # one item: not rankable by the item bootstrap
    settings = ScoringSettings(reference="model-0", rounds=400)
    many = rank_many(sets, settings, np.random.default_rng(0))
    assert many.ranked.tolist() == [False, True, True]
    for k in (1, 2):
        board = rank_models(sets[k], settings)
        for i, model in enumerate(board.models):
            assert many.rank[k, votes.models.index(model)] == board.rank[i]
            assert many.strength[k, votes.models.index(model)] == pytest.approx(board.strength[i], abs=1e-6)
        assert many.separability[k] == pytest.approx(board.separability, abs=15.0)
