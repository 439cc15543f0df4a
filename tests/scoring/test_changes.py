"""Round-to-round changes: a paired item bootstrap, checked by simulation with known truth."""

import numpy as np
import pytest

from scoring import (
    UNSCORED,
    ScoringError,
    ScoringSettings,
    Votes,
    make_votes,
    point_scores,
    preference_shift,
    score_changes,
    simulate_council,
)

ITEMS = 40


def _round(votes: Votes, number: int) -> Votes:
    """The ``number``-th block of ITEMS items, under the first block's item names: the
    same prompts answered afresh, judged by the same judges (same tastes)."""
    keep = (votes.item >= number * ITEMS) & (votes.item < (number + 1) * ITEMS)
    return Votes(item=votes.item[keep] - number * ITEMS, judge=votes.judge[keep], model_a=votes.model_a[keep],
                 model_b=votes.model_b[keep], outcome=votes.outcome[keep], items=votes.items[:ITEMS],
                 judges=votes.judges, models=votes.models)


def test_point_changes_are_the_score_differences_against_the_median_model():
    council = simulate_council(n_models=5, n_items=2 * ITEMS, seed=3)
    before, after = _round(council.votes, 0), _round(council.votes, 1)
    settings = ScoringSettings(rounds=50)
    changes = score_changes(before, after, settings)
    first, second = point_scores(before, settings), point_scores(after, settings)
    raw = np.array([second[m] - first[m] for m in changes.models])
    np.testing.assert_allclose(changes.delta, raw - np.median(raw), atol=1e-6)
    assert changes.n_items == ITEMS


def test_nothing_changed_flags_at_most_five_percent_and_a_real_change_is_found():
    # 200 pairs of rounds of a 6-model council on 40 items; in each, one copy of round 2
    # where nothing changed and one where model 2 lost 1.0 log-strength (174 Elo).
    settings = ScoringSettings(rounds=300)
    flagged, compared, found = 0, 0, 0
    trials = 200
    for trial in range(trials):
        truth = np.random.default_rng(trial).normal(0.0, 0.5, 6)
        same = simulate_council(n_models=6, n_items=2 * ITEMS, strengths=truth, seed=1000 + trial).votes
        worse = truth.copy()
        worse[2] -= 1.0
        changed = simulate_council(n_models=6, n_items=2 * ITEMS, strengths=worse, seed=1000 + trial).votes
        null = score_changes(_round(same, 0), _round(same, 1), settings)
        flagged += int(null.significant.sum())
        compared += len(null.models)
        real = score_changes(_round(same, 0), _round(changed, 1), settings)
        found += int(real.significant[real.models.index("model-2")] and real.delta[2] < 0)
    false_rate, power = flagged / compared, found / trials
    print(f"false change rate {false_rate:.3f} over {compared} model-rounds; power at 174 Elo {power:.2f}")
    assert false_rate <= 0.05
    assert power >= 0.80


def test_only_shared_items_pair_and_too_few_are_refused():
    votes = simulate_council(n_models=3, n_items=6, seed=1).votes
    renamed = Votes(item=votes.item, judge=votes.judge, model_a=votes.model_a, model_b=votes.model_b,
                    outcome=votes.outcome, items=tuple(f"other-{i}" for i in range(6)), judges=votes.judges,
                    models=votes.models)
    with pytest.raises(ScoringError, match="share 0 item"):
        score_changes(votes, renamed)


def test_preference_shift_sees_a_consistent_preference_and_not_noise():
    items = np.repeat(np.arange(10), 4)
    worse = preference_shift(items, np.full(40, -1))
    assert worse.changed and worse.mean == -1 and worse.upper < 0
    mirrored = preference_shift(items, np.tile([1, -1, 1, -1], 10))
    assert not mirrored.changed and mirrored.mean == 0
    unscored = preference_shift(items, np.where(items < 5, UNSCORED, 1))
    assert unscored.n_items == 5 and unscored.n_votes == 20
    assert not preference_shift(np.zeros(4), np.full(4, 2)).changed  # one item proves nothing


def test_identical_rounds_change_nothing():
    votes = make_votes(["i1", "i2"] * 3, ["j"] * 6, ["x", "y", "x", "y", "z", "z"], ["y", "x", "z", "z", "x", "y"],
                       ["A>B", "B>A", "A>B", "A=B", "B>A", "A=B"])
    changes = score_changes(votes, votes, ScoringSettings(rounds=20))
    np.testing.assert_allclose(changes.delta, 0.0, atol=1e-9)
    assert not changes.significant.any()
