"""Separability-checked rankings: intervals, rank intervals, separability, tiers.

A ranking says one model beats another only when the data can tell them apart
(Zhao et al., 2024, arXiv 2406.08598, §4; Li et al., 2024, "From Crowdsourced Data to
High-Quality Benchmarks", Arena-Hard's separability).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "implied_rank_intervals", "leader_groups", "percentile_interval_errors", "percentile_intervals", "point_ranks",
    "rank_intervals", "rank_upper_bounds", "separability", "tiers",
]


def percentile_intervals(
    draws: np.ndarray, level: float = 0.95, *, skip_nan: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile intervals of bootstrap draws (rows are rounds).

    With ``skip_nan``, rounds where a statistic was undefined (NaN) are left out of
    its interval, and a statistic undefined in every round gets NaN bounds.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    tail = 100.0 * (1.0 - level) / 2.0
    if not skip_nan:
        lower, upper = np.percentile(draws, [tail, 100.0 - tail], axis=0)
        return lower, upper
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        lower, upper = np.nanpercentile(draws, [tail, 100.0 - tail], axis=0)
    return lower, upper


def percentile_interval_errors(draws: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo standard error of each end of `percentile_intervals` ``(draws, level)``.

    The q-quantile of R draws is near the order statistic of rank qR, whose rank among
    the draws of another run of R spreads binomially, ±√(Rq(1 − q)): the standard error
    of the end is half the distance between the quantiles at q ± √(q(1 − q)/R) (the
    order-statistic interval for a quantile; e.g. Hyndman & Fan, 1996, for the
    estimator, and Davison & Hinkley, 1997, §2.5.2, for Monte Carlo error of bootstrap
    quantiles). Rounds are rows.
    """
    rounds = draws.shape[0]
    tail = (1.0 - level) / 2.0
    errors = []
    for q in (tail, 1.0 - tail):
        spread = np.sqrt(q * (1.0 - q) / rounds)
        below, above = np.quantile(draws, [max(0.0, q - spread), min(1.0, q + spread)], axis=0)
        errors.append((above - below) / 2.0)
    return errors[0], errors[1]


#: Strengths closer than this are equal: fits of equal records differ by rounding only.
RANK_TOLERANCE = 1e-9


def point_ranks(values: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest value; equal values (within `RANK_TOLERANCE`) share the
    better rank."""
    values = np.asarray(values, dtype=np.float64)
    return 1 + (values[..., None, :] > values[..., :, None] + RANK_TOLERANCE).sum(axis=-1)


def rank_intervals(draws: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed intervals of each model's rank over the bootstrap draws.

    Ranks are taken within each draw (1 = best). The bounds are ranks that some draw
    actually gave (inverted-CDF quantiles), so they are whole numbers. Each interval
    is marginal: it does not hold jointly for all models at ``level``.
    """
    ranks = point_ranks(draws)
    tail = (1.0 - level) / 2.0
    lower = np.quantile(ranks, tail, axis=0, method="inverted_cdf")
    upper = np.quantile(ranks, 1.0 - tail, axis=0, method="inverted_cdf")
    return lower.astype(int), upper.astype(int)


def _below(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` strictly below ``b`` by more than rounding: interval ends that coincide
    (a bootstrap draw where two models tie gives one's lower bound and the other's
    upper bound the same value) must not come apart because the fits of relabelled or
    reordered models round differently in the last bits."""
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    return a < b - RANK_TOLERANCE * scale


def _separated(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return _below(upper[:, None], lower[None, :]) | _below(upper[None, :], lower[:, None])


def separability(lower: np.ndarray, upper: np.ndarray) -> float:
    """Percentage of model pairs whose intervals do not overlap.

    Two intervals are apart when one's upper bound is strictly below the other's lower
    bound, the definition of Arena-Hard-Auto and of the Language Model Council's code;
    ends equal up to rounding (`RANK_TOLERANCE`, relative) touch.
    """
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    n = len(lower)
    if n < 2:
        return 0.0
    apart = _separated(lower, upper)[np.triu_indices(n, k=1)]
    return 100.0 * apart.mean()


def tiers(point: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Tier of each model, 1 for the best group.

    Models are ordered by point estimate and cut into consecutive groups. A cut goes
    below the k best models exactly when every one of them is separated from every
    model below: the lowest lower bound among the k best is strictly above the
    highest upper bound among the rest. So any model of a tier beats any model of a
    lower tier with its interval apart, and two models share a tier whenever the data
    cannot order the groups they are in.
    """
    point, lower, upper = (np.asarray(x, dtype=np.float64) for x in (point, lower, upper))
    order = np.argsort(-np.round(point, 9), kind="stable")
    lowest_above = np.minimum.accumulate(lower[order])
    highest_below = np.maximum.accumulate(upper[order][::-1])[::-1]
    cut_after = _below(highest_below[1:], lowest_above[:-1])
    tier_in_order = 1 + np.concatenate([[0], np.cumsum(cut_after)])
    result = np.empty(len(point), dtype=int)
    result[order] = tier_in_order
    return result


def rank_upper_bounds(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Chatbot Arena's rank upper bound (Chiang et al., 2024, §5): 1 + the number of
    models whose interval lies entirely above this model's.

    It is the best rank the data allow a model: no model above that count is shown
    to be worse than it.
    """
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    return 1 + _below(upper[:, None], lower[None, :]).sum(axis=1)


def implied_rank_intervals(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ranks a model's interval allows: from 1 + the number of models whose
    interval lies entirely above it (`rank_upper_bounds`) to n − the number whose
    interval lies entirely below it.

    Two models whose intervals overlap always get overlapping rank intervals: a model
    entirely below the higher of them and entirely above the lower would put their
    intervals apart.
    """
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    below = _below(upper[None, :], lower[:, None]).sum(axis=1)  # models entirely below each
    return rank_upper_bounds(lower, upper), len(lower) - below


def leader_groups(point: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Groups of models, 1 for the best, as many as one guarantee allows: every
    model's interval lies entirely below the interval of the leader (the best model
    by point estimate) of every group above its own.

    Groups are consecutive in point order. They refine `tiers` (every tier cut is a
    group cut), whose stronger guarantee — every model of a tier apart from every
    model of a lower tier — makes one tier of any run of overlapping intervals; within
    each tier the groups are the most the guarantee allows.

    Notes
    -----
    Call the leaders ``l_1 < l_2 < ...`` (positions in point order) and ``M(t)`` the
    highest upper bound from position ``t`` down. The guarantee holds exactly when
    ``M(l_{k+1}) < lower(l_k)`` for every k, since leaders and models further down
    have lower bounds and upper bounds no higher. The most groups is then a longest
    chain of positions under that relation, found by dynamic programming.
    """
    point, lower, upper = (np.asarray(x, dtype=np.float64) for x in (point, lower, upper))
    order = np.argsort(-np.round(point, 9), kind="stable")
    low, high = lower[order], upper[order]
    below = np.maximum.accumulate(high[::-1])[::-1]  # M(t)
    tier_of = tiers(point, lower, upper)[order]
    group_in_order = np.zeros(len(order), dtype=int)
    for tier in np.unique(tier_of):
        positions = np.flatnonzero(tier_of == tier)
        first, last = positions[0], positions[-1]
        length = np.zeros(last + 1, dtype=int)
        previous = np.full(last + 1, -1)
        length[first] = 1
        for t in range(first + 1, last + 1):
            candidates = np.flatnonzero((length[first:t] > 0) & _below(below[t], low[first:t])) + first
            if candidates.size:
                best = candidates[np.argmax(length[candidates])]
                length[t], previous[t] = length[best] + 1, best
        leader = int(np.argmax(length[first:] == length[first:].max())) + first
        leaders = []
        while leader >= 0:
            leaders.append(leader)
            leader = previous[leader]
        starts = np.zeros(last + 1 - first, dtype=int)
        starts[np.array(leaders) - first] = 1
        group_in_order[first:last + 1] = group_in_order[:first].max(initial=0) + np.cumsum(starts)
    result = np.empty(len(point), dtype=int)
    result[order] = group_in_order
    return result
