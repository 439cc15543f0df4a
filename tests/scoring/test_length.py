"""Length bias against scipy's regression, and the length-controlled Bradley–Terry
against scipy's optimiser and a simulation where the truth is known."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import linregress

from scoring import (
    ScoringSettings,
    length_bias,
    length_log_ratio,
    make_votes,
    rank_models,
    rank_models_length_controlled,
    simulate_council,
)


def _verbose_council(seed=1, gamma=1.0):
    """Judges who add ``gamma`` log-odds per doubling of length; the weakest models
    write the longest answers, so length and quality pull opposite ways."""
    rng = np.random.default_rng(seed)
    n_models, n_items, n_judges = 6, 40, 4
    truth = np.linspace(-1, 1, n_models)
    verbosity = np.array([2.5, 1.6, 1.0, 1.0, 0.7, 0.5])
    words = rng.lognormal(np.log(200 * verbosity)[None, :], 0.3, size=(n_items, n_models))
    rows = []
    for i in range(n_items):
        for a in range(n_models):
            for b in range(n_models):
                if a == b:
                    continue
                p = expit(truth[a] - truth[b] + gamma * np.log2((words[i, a] + 1) / (words[i, b] + 1)))
                for j in range(n_judges):
                    rows.append((f"i{i:02d}", f"j{j}", f"m{a}", f"m{b}", "A>B" if rng.random() < p else "B>A"))
    votes = make_votes(*zip(*rows))
    lengths = np.array([[words[int(item[1:]), int(model[1:])] for model in votes.models] for item in votes.items])
    return votes, lengths, truth - truth.mean()


def test_length_bias_matches_a_least_squares_line_per_judge():
    council = simulate_council(n_models=5, n_items=20, n_judges=3, seed=2)
    votes = council.votes
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 400, size=(len(votes.items), len(votes.models))).astype(float)
    bias = length_bias(votes, lengths)
    for j in range(len(votes.judges)):
        mine = (votes.judge == j) & votes.scored
        x = lengths[votes.item[mine], votes.model_a[mine]] - lengths[votes.item[mine], votes.model_b[mine]]
        y = np.sign(votes.outcome[mine])
        fit = linregress(x, y)
        assert bias.r2[j] == pytest.approx(fit.rvalue**2, rel=1e-9)
        assert bias.slope[j] == pytest.approx(100 * fit.slope, rel=1e-9)
        assert bias.n_votes[j] == mine.sum()


def test_unknown_lengths_leave_votes_out():
    votes = make_votes(["i1", "i1", "i2"], ["j"] * 3, ["x", "y", "x"], ["y", "x", "y"], ["A>B", "B>A", "A>B"])
    lengths = np.array([[100.0, 50.0], [np.nan, 80.0]])  # items i1, i2; models x, y
    assert length_bias(votes, lengths).n_votes[0] == 2
    with pytest.raises(ValueError, match="shape"):
        length_bias(votes, lengths[:1])


def test_length_controlled_fit_matches_scipy():
    votes, lengths, _ = _verbose_council(seed=4)
    controlled = rank_models_length_controlled(votes, lengths, ScoringSettings(rounds=20, alpha=0.01,
                                                                                    prior_items=0))
    z = length_log_ratio(votes, lengths)
    won = (votes.outcome > 0).astype(float)
    n = len(votes.models)

    def negative_log_posterior(theta):
        eta = theta[:n][votes.model_a] - theta[:n][votes.model_b] + theta[n] * z
        return (won * np.logaddexp(0, -eta) + (1 - won) * np.logaddexp(0, eta)).sum() + 0.01 * (theta**2).sum()

    oracle = minimize(negative_log_posterior, np.zeros(n + 1), method="BFGS", options={"gtol": 1e-9}).x
    board = controlled.leaderboard
    ours = dict(zip(board.models, board.strength))
    expected = oracle[:n] - oracle[:n].mean()
    for m, model in enumerate(votes.models):
        assert ours[model] == pytest.approx(expected[m], abs=1e-5)
    assert controlled.length_effect == pytest.approx(oracle[n], abs=1e-5)


def test_length_control_recovers_the_truth_that_plain_bradley_terry_misses():
    votes, lengths, truth = _verbose_council(seed=1, gamma=1.0)
    settings = ScoringSettings(rounds=100)
    plain = rank_models(votes, settings)
    controlled = rank_models_length_controlled(votes, lengths, settings)
    true_order = tuple(f"m{i}" for i in np.argsort(-truth))
    assert controlled.leaderboard.models == true_order
    assert plain.models != true_order  # verbosity fooled the uncontrolled fit
    assert controlled.length_effect_lower < 1.0 < controlled.length_effect_upper
    strengths = dict(zip(controlled.leaderboard.models, controlled.leaderboard.strength))
    assert max(abs(strengths[f"m{i}"] - truth[i]) for i in range(6)) < 0.25


def test_no_length_effect_is_found_where_there_is_none():
    votes, lengths, _ = _verbose_council(seed=2, gamma=0.0)
    controlled = rank_models_length_controlled(votes, lengths, ScoringSettings(rounds=100))
    assert controlled.length_effect_lower < 0.0 < controlled.length_effect_upper


def test_length_controlled_intervals_are_honest_at_the_boundary_too():
    from scoring import ScoringSettings, make_votes, rank_models_length_controlled

    rows = [(f"q{i}", "judge", model, "ref", verdict) for i in range(10)
            for model, verdict in (("winner", "A>B"), ("other", "A=B"))]
    votes = make_votes(*zip(*rows))
    lengths = np.full((len(votes.items), len(votes.models)), 100.0)
    lengths[:, votes.models.index("winner")] = 120.0
    controlled = rank_models_length_controlled(votes, lengths, ScoringSettings(reference="ref", rounds=300)).leaderboard
    winner = controlled.models.index("winner")
    assert controlled.score_lower[winner] < 85  # the percentile bootstrap alone: no width at all
    plain = rank_models_length_controlled(votes, lengths, ScoringSettings(reference="ref", rounds=300, prior_items=0))
    assert plain.leaderboard.score_upper[winner] - plain.leaderboard.score_lower[winner] < 1
