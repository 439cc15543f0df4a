"""Agreement between judges: Cohen's κ against scikit-learn, exact agreement by hand."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import contrarianism, judge_agreement, make_votes, simulate_council

sklearn_metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn is the κ oracle (dev extra)")

LABELS = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]


def test_exact_and_sidewise_agreement_on_a_hand_made_pair():
    rows = [
        ("i1", "j1", "x", "y", "A>>B"), ("i1", "j2", "x", "y", "A>B"),  # same side, not exact
        ("i2", "j1", "x", "y", "B>A"), ("i2", "j2", "x", "y", "B>A"),  # exact
        ("i3", "j1", "x", "y", "A=B"), ("i3", "j2", "x", "y", "A=B"),  # exact tie: no side
        ("i4", "j1", "x", "y", "A>B"),  # j1 only: not shared
    ]
    agreement = judge_agreement(make_votes(*zip(*rows)))
    assert agreement.n_shared[0, 1] == 3
    assert agreement.exact[0, 1] == pytest.approx(2 / 3)
    assert agreement.sidewise[0, 1] == pytest.approx(1.0)  # over the two decided shared keys


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.sampled_from(LABELS)), min_size=4, max_size=40))
def test_kappa_matches_scikit_learn(pairs):
    rows = []
    for k, (first, second) in enumerate(pairs):
        rows += [(f"i{k}", "j1", "x", "y", first), (f"i{k}", "j2", "x", "y", second)]
    agreement = judge_agreement(make_votes(*zip(*rows)))
    # The convention: sides only, keys where either judge called a tie left out.
    decided = [(a[0] if a[1] != "=" else None, b[0] if b[1] != "=" else None) for a, b in pairs]
    kept = [(a, b) for a, b in decided if a and b]
    if not kept:
        assert np.isnan(agreement.kappa[0, 1])
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one category only: κ is 0/0, scikit-learn warns
        expected = sklearn_metrics.cohen_kappa_score([a for a, _ in kept], [b for _, b in kept])
    if np.isnan(expected):
        assert np.isnan(agreement.kappa[0, 1])
    else:
        assert agreement.kappa[0, 1] == pytest.approx(expected, abs=1e-12)
        assert agreement.kappa[1, 0] == pytest.approx(expected, abs=1e-12)


def test_contrarianism_singles_out_a_judge_who_votes_against_the_council():
    council = simulate_council(n_models=6, n_items=30, n_judges=5, seed=3)
    votes = council.votes
    # Turn the first judge into a contrarian: every verdict flipped.
    flipped = np.where(votes.judge == 0, -votes.outcome, votes.outcome)
    contrary = type(votes)(
        item=votes.item, judge=votes.judge, model_a=votes.model_a, model_b=votes.model_b,
        outcome=np.where(votes.scored, flipped, votes.outcome), items=votes.items, judges=votes.judges,
        models=votes.models,
    )
    values = contrarianism(contrary)
    assert values[0] > 1.3  # worse than chance: systematic opposition
    assert np.all(values[1:] < 0.9)


def test_identical_judges_are_not_contrarian():
    rows = []
    rng = np.random.default_rng(0)
    for k in range(20):
        label = ["A>B", "B>A"][rng.integers(2)]
        rows += [(f"i{k}", judge, "x", "y", label) for judge in ("j1", "j2", "j3")]
    assert np.allclose(contrarianism(make_votes(*zip(*rows))), 0.0)


def test_too_few_shared_keys_give_no_summary():
    rows = []
    for k in range(3):  # three shared keys: a κ of 1 by coincidence, not evidence
        rows += [(f"i{k}", judge, "x", "y", "A>B" if k else "B>A") for judge in ("j1", "j2")]
    votes = make_votes(*zip(*rows))
    agreement = judge_agreement(votes)
    assert agreement.kappa[0, 1] == pytest.approx(1.0) and agreement.n_decided[0, 1] == 3
    assert np.isnan(agreement.mean_kappa()).all()
    assert np.isnan(contrarianism(votes)).all()
    assert agreement.mean_kappa(min_decided=3)[0] == pytest.approx(1.0)


def test_a_repeated_vote_counts_once_the_first_time():
    rows = [("i1", "j1", "x", "y", "A>B"), ("i1", "j1", "x", "y", "B>A"), ("i1", "j2", "x", "y", "A>B")]
    from scoring import vote_table

    outcome, present = vote_table(make_votes(*zip(*rows)))
    assert outcome.tolist() == [[1, 1]] and present.all()
