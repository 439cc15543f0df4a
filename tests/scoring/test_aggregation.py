import numpy as np
import pytest

from scoring import UNSCORED, aggregate_votes, consistent_votes, drop_self_judgments, make_votes


def _votes(rows):
    return make_votes(*zip(*rows))


def _pooled(votes):
    return {(votes.models[a], votes.models[b]): int(o) for a, b, o in zip(votes.model_a, votes.model_b, votes.outcome)}


@pytest.mark.parametrize(
    "labels, expected",
    [
        (["A>B", "B>A"], 0),  # a draw between sides is a tie
        (["A>B", "A>B", "B>A"], 1),
        (["A>>B", "A>B", "B>A"], 1),  # two for A, only one of them strong: a plain win
        (["A>>B", "A>>B", "A>B"], 2),
        (["B>>A", "B>>A", "A>B"], -2),
        (["A=B", "A=B", "A>B"], 0),
        (["A=B", "A>B"], 0),  # a draw between a side and the tie is a tie
    ],
)
def test_majority_takes_the_side_most_judges_chose(labels, expected):
    votes = _votes([("i", f"j{k}", "x", "y", label) for k, label in enumerate(labels)])
    assert _pooled(aggregate_votes(votes, "majority")) == {("x", "y"): expected}


def test_majority_like_the_paper_breaks_draws_towards_the_label_first_as_text():
    votes = _votes([("i", "j1", "x", "y", "A>B"), ("i", "j2", "x", "y", "B>A")])
    assert _pooled(aggregate_votes(votes, "majority", count_tie="first_label")) == {("x", "y"): 1}
    votes = _votes([("i", "j1", "x", "y", "A>B"), ("i", "j2", "x", "y", "A>>B")])
    assert _pooled(aggregate_votes(votes, "majority", count_tie="first_label")) == {("x", "y"): 2}


@pytest.mark.parametrize(
    "labels, expected",
    [
        (["A>>B", "B>A"], 0), (["A>B", "A>>B"], 2), (["B>A", "B>>A"], -2), (["A>>B", "A>B", "B>A"], 1),
        (["A>B", "B>A"], 0),
    ],
)
def test_mean_pooling_rounds_half_to_even(labels, expected):
    votes = _votes([("i", f"j{k}", "x", "y", label) for k, label in enumerate(labels)])
    assert _pooled(aggregate_votes(votes, "mean")) == {("x", "y"): expected}


def test_pooling_keeps_items_and_orders_apart_and_ignores_unscored():
    votes = _votes(
        [
            ("i1", "j1", "x", "y", "A>B"),
            ("i1", "j2", "x", "y", None),
            ("i1", "j1", "y", "x", "B>A"),
            ("i2", "j1", "x", "y", "B>A"),
        ]
    )
    pooled = aggregate_votes(votes, "majority")
    assert len(pooled) == 3
    assert (pooled.judge == -1).all()
    assert UNSCORED not in pooled.outcome


def test_unknown_aggregation_is_rejected():
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate_votes(_votes([("i", "j", "x", "y", "A>B")]), "median")


def test_consistency_filters_keep_mirrored_couplets_and_lone_votes():
    rows = [
        ("i1", "j", "x", "y", "A>B"), ("i1", "j", "y", "x", "B>A"),  # strict and side-wise
        ("i2", "j", "x", "y", "A>>B"), ("i2", "j", "y", "x", "B>A"),  # side-wise only
        ("i3", "j", "x", "y", "A>B"), ("i3", "j", "y", "x", "A>B"),  # position-biased
        ("i4", "j", "x", "y", "A=B"), ("i4", "j", "y", "x", "A=B"),  # both ties
        ("i5", "j", "x", "y", "B>A"),  # no partner
        ("i1", "k", "y", "x", "A>B"),  # partner would be judge k's, which is absent
    ]
    votes = _votes(rows)
    assert len(consistent_votes(votes, "strict")) == 2 + 2 + 1 + 1
    assert len(consistent_votes(votes, "sidewise")) == 2 + 2 + 2 + 1 + 1


def test_self_judgments_are_found_by_name():
    votes = _votes([("i", "x", "x", "y", "A>B"), ("i", "x", "z", "x", "A>B"), ("i", "w", "x", "y", "B>A")])
    kept, removed = drop_self_judgments(votes)
    assert removed == 2 and len(kept) == 1
    assert np.array_equal(votes.is_self, [True, True, False])


def test_verdict_labels_and_markers():
    votes = _votes(
        [("i", "j", "x", "y", v) for v in ["[[A>>B]]", " B>A ", "A=B", "", None, "unparseable", "A>>>B", 2]]
    )
    assert list(votes.outcome) == [2, -1, 0, UNSCORED, UNSCORED, UNSCORED, UNSCORED, 2]
    assert votes.n_unknown == 1 and votes.n_unscored == 4
