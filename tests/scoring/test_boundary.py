"""Judge metrics honest at the boundary (`scoring.boundary`), against closed forms."""

import numpy as np
import pytest
from scipy.stats import beta

from scoring import ScoringSettings, judge_metrics, make_votes, simulate_council
from scoring.agreement import _kappa, item_cross, side_cells, vote_table_by_item
from scoring.boundary import item_weight_draws, kappa_draws, kappa_from_cells, share_draws


def _bounds(draws):
    return np.percentile(draws, [2.5, 97.5], axis=0)


@pytest.mark.parametrize("volume", [1, 3])
def test_a_perfect_share_draws_from_the_bayes_laplace_posterior(volume):
    # 24 items, each holding `volume` votes that all count: Beta(25, 1) whatever the volume.
    rng = np.random.default_rng(0)
    hits = np.full((1, 24), float(volume))
    draws = share_draws(hits, hits.copy(), item_weight_draws(24, 20_000, rng), 1.0, rng)[:, 0]
    lower, upper = _bounds(draws)
    assert lower == pytest.approx(beta.ppf(0.025, 25, 1), abs=0.005)
    assert lower < 0.87 and upper == pytest.approx(beta.ppf(0.975, 25, 1), abs=0.002)


def test_a_mixed_share_of_equal_items_is_the_beta_posterior():
    rng = np.random.default_rng(1)
    hits = np.array([[1.0] * 15 + [0.0] * 5])
    draws = share_draws(hits, np.ones_like(hits), item_weight_draws(20, 20_000, rng), 1.0, rng)[:, 0]
    np.testing.assert_allclose(_bounds(draws), beta.ppf([0.025, 0.975], 16, 6), atol=0.01)


def test_a_share_without_votes_is_undefined():
    rng = np.random.default_rng(2)
    draws = share_draws(np.zeros((2, 5)), np.array([[0.0] * 5, [1.0] * 5]), item_weight_draws(5, 10, rng), 1.0, rng)
    assert np.isnan(draws[:, 0]).all() and np.isfinite(draws[:, 1]).all()


def test_kappa_of_cells_is_cohens_kappa():
    # 20 keys: both first 8, both second 7, first/second 3, second/first 2.
    a = np.array([1] * 8 + [-1] * 7 + [1] * 3 + [-1] * 2)[:, None]
    b = np.array([1] * 8 + [-1] * 7 + [-1] * 3 + [1] * 2)[:, None]
    kappa, _, _ = _kappa(a, b, a != 0, b != 0)
    assert kappa_from_cells(np.array([8.0, 3.0, 2.0, 7.0])) == pytest.approx(kappa[0, 0])
    observed, expected = 15 / 20, (11 * 10 + 9 * 10) / 400
    assert kappa[0, 0] == pytest.approx((observed - expected) / (1 - expected))


def test_perfect_agreement_gets_a_kappa_interval_below_one():
    rng = np.random.default_rng(3)
    cells = np.zeros((1, 24, 4))
    cells[0, :12, 0] = 1.0  # both first on 12 items, both second on 12
    cells[0, 12:, 3] = 1.0
    lower, upper = _bounds(kappa_draws(cells, item_weight_draws(24, 5000, rng), 1.0, rng)[:, 0])
    assert kappa_from_cells(cells.sum(axis=1))[0] == 1.0
    assert 0.5 < lower < 0.9 and upper > 0.97


def test_per_item_tables_sum_to_the_whole_tables():
    votes = simulate_council(n_models=4, n_items=6, seed=4).votes
    outcome, present, key_item = vote_table_by_item(votes)
    side = np.sign(outcome)
    cells = side_cells(side, side, key_item, len(votes.items))
    kappa, _, _ = _kappa(side, side, side != 0, side != 0)
    off = ~np.eye(len(votes.judges), dtype=bool)
    np.testing.assert_allclose(kappa_from_cells(cells.sum(axis=2))[off], kappa[off])
    p = present.astype(float)
    np.testing.assert_allclose(item_cross(p, p, key_item, len(votes.items)).sum(axis=-1), p.T @ p)


def _always_consistent_judge(pairs: int):
    """One judge, one pair per item in both orders, always for x: consistent on every couplet."""
    rows = []
    for k in range(pairs):
        rows += [(f"i{k}", "judge", "x", "y", "A>B"), (f"i{k}", "judge", "y", "x", "B>A")]
    return make_votes(*zip(*rows))


def test_a_judge_consistent_on_24_pairs_of_24_gets_an_interval_reaching_down_to_about_086():
    metrics = judge_metrics(_always_consistent_judge(24), ScoringSettings(), rounds=2000, separability_rounds=0)
    estimate, lower, upper = (value[0] for value in metrics.metric("position_consistency"))
    assert estimate == 1.0 and upper == 1.0
    assert lower == pytest.approx(beta.ppf(0.025, 25, 1), abs=0.01)
    _, bias_lower, bias_upper = (value[0] for value in metrics.metric("position_bias_first"))
    assert bias_lower == 0.0 and 0.05 < bias_upper < 0.2
    plain = judge_metrics(_always_consistent_judge(24), ScoringSettings(prior_items=0), rounds=200,
                          separability_rounds=0)
    assert plain.metric("position_consistency")[1][0] == 1.0, "the percentile bootstrap alone collapses"
