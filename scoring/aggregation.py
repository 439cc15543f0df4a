"""Vote selection and aggregation: self-judgments, position consistency, juries.

Follows the Language Model Council (Zhao et al., 2024, arXiv 2406.08598, §3.4): votes
of several judges on one (item, first model, second model) can count one by one, or be
pooled into one council verdict by majority or by the mean of the scale.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from scoring.votes import Votes

__all__ = ["aggregate_votes", "consistent_votes", "couplet_partners", "drop_self_judgments", "row_keys", "scored_votes"]

Aggregation = Literal["none", "majority", "mean"]
CountTie = Literal["tie", "first_label"]
Consistency = Literal["strict", "sidewise"]

#: Labels sorted as text ("A=B" < "A>>B" < "A>B" < "B>>A" < "B>A") by outcome code:
#: the order the paper's code breaks count ties in.
_TEXT_ORDER = {0: 0, 2: 1, 1: 2, -2: 3, -1: 4}


def scored_votes(votes: Votes) -> Votes:
    """The votes with a usable verdict."""
    return votes.select(votes.scored)


def drop_self_judgments(votes: Votes) -> tuple[Votes, int]:
    """Remove votes whose judge is one of the two models compared.

    Returns the remaining votes and how many were removed, so that callers report the
    count rather than losing it.
    """
    own = votes.is_self
    return votes.select(~own), int(own.sum())


def row_keys(*columns: np.ndarray) -> np.ndarray:
    """One integer per distinct row of the given non-negative integer columns."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        width = int(column.max()) + 2 if len(column) else 1
        key = key * width + (column.astype(np.int64) + 1)
    return key


def couplet_partners(votes: Votes) -> tuple[np.ndarray, np.ndarray]:
    """For each vote, whether its position-swapped partner (same judge and item) exists,
    and that partner's outcome (last occurrence of a repeated key; 0 where none)."""
    forward = row_keys(votes.item, votes.judge, votes.model_a, votes.model_b)
    swapped = row_keys(votes.item, votes.judge, votes.model_b, votes.model_a)
    order = np.argsort(forward, kind="stable")
    sorted_keys = forward[order]
    # searchsorted on the right finds the last occurrence of each partner key.
    position = np.clip(np.searchsorted(sorted_keys, swapped, side="right") - 1, 0, None)
    has_partner = sorted_keys[position] == swapped if len(votes) else np.zeros(0, dtype=bool)
    partner_outcome = np.where(has_partner, votes.outcome[order[position]], 0).astype(np.int16)
    return has_partner, partner_outcome


def consistent_votes(votes: Votes, rule: Consistency = "strict") -> Votes:
    """Keep votes whose position-swapped partner agrees with them.

    A couplet is a vote and its partner by the same judge on the same item with the
    two models in the other order. ``"strict"`` keeps a couplet whose labels mirror
    exactly (A>>B with B>>A); ``"sidewise"`` one whose preferred sides mirror or that
    are both ties. Votes without a partner are kept. Position consistency is the
    paper's Table 1 "consistency" filter (§4.2).

    Parameters
    ----------
    votes : Votes
        Scored votes; one vote per (item, judge, model_a, model_b) is expected, and a
        repeated key is compared through its last occurrence.
    rule : {"strict", "sidewise"}
    """
    if rule not in ("strict", "sidewise"):
        raise ValueError(f"unknown consistency rule {rule!r}; use 'strict' or 'sidewise'")
    if not len(votes):
        return votes
    has_partner, partner_outcome = couplet_partners(votes)
    mine = votes.outcome.astype(np.int16)
    if rule == "strict":
        agrees = mine == -partner_outcome
    else:
        agrees = np.sign(mine) == -np.sign(partner_outcome)
    return votes.select(~has_partner | agrees)


def aggregate_votes(votes: Votes, method: Aggregation = "none", *, count_tie: CountTie = "tie") -> Votes:
    """Pool the judges' votes on each (item, model_a, model_b) into one verdict.

    Parameters
    ----------
    votes : Votes
        Scored votes (unscored ones are ignored here).
    method : {"none", "majority", "mean"}
        ``"none"`` returns the votes unchanged. ``"majority"`` takes the side (first
        position, second position, tie) most judges chose; a draw between sides is a
        tie, and the verdict is strong when more than half of the winning side's votes
        were strong. ``"mean"`` maps A>>B…B>>A to 2, 1, 0, −1, −2, averages, and rounds
        half to even, 0 becoming a tie (the paper's "mean pooling").
    count_tie : {"tie", "first_label"}
        Majority only. ``"first_label"`` reproduces the paper's code instead: the most
        frequent *label* wins and a draw in counts goes to the label that sorts first
        as text, which favours the first position.

    Returns
    -------
    Votes
        One vote per group, with ``judge == -1``.
    """
    if method == "none":
        return votes
    if method not in ("majority", "mean"):
        raise ValueError(f"unknown aggregation {method!r}; use 'none', 'majority' or 'mean'")
    votes = scored_votes(votes)
    if not len(votes):
        return votes
    key = row_keys(votes.item, votes.model_a, votes.model_b)
    groups, first, group_of = np.unique(key, return_index=True, return_inverse=True)
    n_groups = len(groups)
    outcome = votes.outcome.astype(np.int64)
    if method == "mean":
        total = np.bincount(group_of, weights=outcome, minlength=n_groups)
        size = np.bincount(group_of, minlength=n_groups)
        pooled = np.round(total / size).astype(np.int8)  # numpy rounds half to even
    elif count_tie == "first_label":
        pooled = _majority_label(group_of, outcome, n_groups)
    else:
        pooled = _majority_side(group_of, outcome, n_groups)
    return Votes(
        item=votes.item[first],
        judge=np.full(n_groups, -1, dtype=np.int32),
        model_a=votes.model_a[first],
        model_b=votes.model_b[first],
        outcome=pooled,
        items=votes.items,
        judges=votes.judges,
        models=votes.models,
        n_unknown=votes.n_unknown,
    )


def _label_counts(group_of: np.ndarray, outcome: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts of each outcome 2, 1, 0, −1, −2 (columns 0..4) per group."""
    counts = np.zeros((n_groups, 5), dtype=np.int64)
    np.add.at(counts, (group_of, 2 - outcome), 1)
    return counts


def _majority_side(group_of: np.ndarray, outcome: np.ndarray, n_groups: int) -> np.ndarray:
    counts = _label_counts(group_of, outcome, n_groups)
    side_a = counts[:, 0] + counts[:, 1]
    side_b = counts[:, 3] + counts[:, 4]
    tie = counts[:, 2]
    a_wins = (side_a > side_b) & (side_a > tie)
    b_wins = (side_b > side_a) & (side_b > tie)
    pooled = np.zeros(n_groups, dtype=np.int8)
    pooled[a_wins] = np.where(2 * counts[a_wins, 0] > side_a[a_wins], 2, 1)
    pooled[b_wins] = np.where(2 * counts[b_wins, 4] > side_b[b_wins], -2, -1)
    return pooled


def _majority_label(group_of: np.ndarray, outcome: np.ndarray, n_groups: int) -> np.ndarray:
    counts = _label_counts(group_of, outcome, n_groups)
    codes = np.array([2, 1, 0, -1, -2])
    text_rank = np.array([_TEXT_ORDER[int(code)] for code in codes])
    # Highest count first, then the label that sorts first as text.
    score = counts * 10 - text_rank[None, :]
    return codes[np.argmax(score, axis=1)].astype(np.int8)

