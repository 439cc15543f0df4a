"""Agreement between judges, and with the council (Zhao et al., 2024, arXiv 2406.08598,
§5.1 and Table 2).

Judges are compared on the vote keys they share: one (item, first model, second model)
shown to both in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.votes import Votes

__all__ = [
    "MIN_KAPPA_KEYS", "JudgeAgreement", "contrarian_sides", "contrarianism", "item_cross", "judge_agreement",
    "side_cells", "vote_table", "vote_table_by_item",
]

#: Fewest shared decided keys for a κ to be summarised or drawn: below this, one or
#: two coincidences make κ ±1.
MIN_KAPPA_KEYS = 5


def vote_table(votes: Votes) -> tuple[np.ndarray, np.ndarray]:
    """Scored votes laid out as a (vote key × judge) table.

    Returns
    -------
    outcome : numpy.ndarray of int8, shape (n_keys, n_judges)
        Each judge's outcome on each (item, model_a, model_b), 0 where it gave none;
        the first vote counts when a judge repeated one.
    present : numpy.ndarray of bool, same shape
        Where the judge gave a scored vote.
    """
    outcome, present, _ = vote_table_by_item(votes)
    return outcome, present


def vote_table_by_item(votes: Votes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`vote_table`, and the item of each key (for per-item sums)."""
    from scoring.aggregation import row_keys

    scored = votes.select(votes.scored)
    keys, first_of_key, key_index = np.unique(row_keys(scored.item, scored.model_a, scored.model_b),
                                              return_index=True, return_inverse=True)
    outcome = np.zeros((len(keys), len(votes.judges)), dtype=np.int8)
    present = np.zeros(outcome.shape, dtype=bool)
    # The first vote of each (key, judge): numpy leaves the order of repeated fancy
    # assignments unspecified, so repeats are dropped before writing.
    _, first = np.unique(key_index.astype(np.int64) * len(votes.judges) + scored.judge, return_index=True)
    outcome[key_index[first], scored.judge[first]] = scored.outcome[first]
    present[key_index[first], scored.judge[first]] = True
    return outcome, present, scored.item[first_of_key].astype(np.int64)


def item_cross(left: np.ndarray, right: np.ndarray, key_item: np.ndarray, n_items: int) -> np.ndarray:
    """``out[a, b, i]``: the sum over item ``i``'s keys of ``left[key, a] * right[key, b]``
    (the per-item pieces of ``left.T @ right``)."""
    out = np.zeros((left.shape[1], right.shape[1], n_items))
    order = np.argsort(key_item, kind="stable")
    items, starts = np.unique(key_item[order], return_index=True)
    for item, begin, end in zip(items, starts, np.append(starts[1:], len(order))):
        rows = order[begin:end]
        out[:, :, item] = left[rows].T @ right[rows]
    return out


def side_cells(a_side: np.ndarray, b_side: np.ndarray, key_item: np.ndarray, n_items: int) -> np.ndarray:
    """Per item, the 2 × 2 tables of sides between every column of ``a_side`` and every
    column of ``b_side`` (+1 first, −1 second, 0 none or tie, left out): shape
    ``(a_columns, b_columns, n_items, 4)``, cells as `scoring.boundary.kappa_from_cells`."""
    a_first, a_second = (a_side > 0).astype(float), (a_side < 0).astype(float)
    b_first, b_second = (b_side > 0).astype(float), (b_side < 0).astype(float)
    return np.stack([item_cross(x, y, key_item, n_items)
                     for x, y in ((a_first, b_first), (a_first, b_second), (a_second, b_first),
                                  (a_second, b_second))], axis=-1)


def _kappa(a_side: np.ndarray, b_side: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray):
    """Cohen's κ and agreement between columns of two side tables, all column pairs.

    ``*_side`` are +1 (first answer preferred) / -1 (second) with ``mask_*`` marking
    decided votes; keys where either column is missing are left out.
    """
    a_first = (mask_a & (a_side > 0)).astype(float)
    a_second = (mask_a & (a_side < 0)).astype(float)
    b_first = (mask_b & (b_side > 0)).astype(float)
    b_second = (mask_b & (b_side < 0)).astype(float)
    shared = mask_a.astype(float).T @ mask_b.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (a_first.T @ b_first + a_second.T @ b_second) / shared
        expected = (a_first.T @ mask_b / shared) * (mask_a.T.astype(float) @ b_first / shared) + (
            a_second.T @ mask_b / shared
        ) * (mask_a.T.astype(float) @ b_second / shared)
        kappa = (observed - expected) / (1.0 - expected)
    # Both judges always on one side agree by chance alone: κ is undefined there.
    kappa[np.isclose(expected, 1.0)] = np.nan
    return kappa, observed, shared


@dataclass(frozen=True, eq=False)
class JudgeAgreement:
    """Pairwise agreement between judges on the vote keys they share.

    ``kappa[j, k]`` is Cohen's κ (Cohen, 1960) on the side each judge preferred,
    over shared keys where neither judge called a tie (the paper code's convention);
    ``sidewise[j, k]`` is the raw share of those keys on the same side; ``exact[j,
    k]`` the share of shared keys (ties included) with the very same verdict on the
    five-point scale. ``n_shared`` counts shared keys, ``n_decided`` those where
    neither called a tie (κ's sample). NaN where two judges share no key (or, for κ,
    where both always chose one side).
    """

    judges: tuple[str, ...]
    kappa: np.ndarray
    sidewise: np.ndarray
    exact: np.ndarray
    n_shared: np.ndarray
    n_decided: np.ndarray

    def mean_kappa(self, min_decided: int = MIN_KAPPA_KEYS) -> np.ndarray:
        """Each judge's mean κ with the other judges that share at least
        ``min_decided`` decided keys with it (NaN if none does)."""
        import warnings

        off = np.where(self.n_decided >= min_decided, self.kappa, np.nan)
        np.fill_diagonal(off, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a judge sharing no key: NaN
            return np.nanmean(off, axis=1)


def judge_agreement(votes: Votes) -> JudgeAgreement:
    """Cohen's κ on sides, side-wise and exact agreement for every pair of judges."""
    outcome, present = vote_table(votes)
    side = np.sign(outcome)
    decided = present & (side != 0)
    kappa, sidewise, n_decided = _kappa(side, side, decided, decided)
    present_f = present.astype(float)
    same = np.zeros((len(votes.judges),) * 2)
    for value in (-2, -1, 0, 1, 2):
        hit = (present & (outcome == value)).astype(float)
        same += hit.T @ hit
    n_shared = present_f.T @ present_f
    with np.errstate(invalid="ignore", divide="ignore"):
        exact = same / n_shared
    return JudgeAgreement(votes.judges, kappa, sidewise, exact, n_shared.astype(int), n_decided.astype(int))


def contrarianism(votes: Votes) -> np.ndarray:
    """Each judge's disagreement with the rest of the council: 1 − Cohen's κ.

    The council's side on a vote key is the majority side of the *other* judges' votes
    on it (leave-one-out: with a small council, a judge counted in its own majority
    would agree with itself); keys where the others split evenly, or where the judge
    called a tie, are left out. 0 means the judge sides with the council as often as
    its own and the council's side rates allow perfectly (κ = 1); 1 means no more
    agreement than chance; above 1, systematic opposition. The paper (§5.1) names the
    trait without fixing a formula; κ discounts the agreement two judges that both
    favour, say, the first position would show by chance. NaN for a judge with fewer
    than `MIN_KAPPA_KEYS` such keys.
    """
    side, others = contrarian_sides(vote_table(votes)[0])
    result = np.full(len(votes.judges), np.nan)
    for j in range(len(votes.judges)):
        mask = (side[:, j] != 0) & (others[:, j] != 0)
        if mask.sum() < MIN_KAPPA_KEYS:
            continue
        kappa, _, _ = _kappa(side[:, [j]], others[:, [j]], mask[:, None], mask[:, None])
        result[j] = 1.0 - kappa[0, 0]
    return result


def contrarian_sides(outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each judge's side on each key of a `vote_table` (0 for a tie and for no vote
    alike), and the majority side of the other judges (leave-one-out), as `contrarianism`
    compares them."""
    side = np.sign(outcome).astype(np.int64)
    return side, np.sign(side.sum(axis=1, keepdims=True) - side)
