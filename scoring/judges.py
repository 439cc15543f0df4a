"""Per-judge diagnostics (Zhao et al., 2024, arXiv 2406.08598, §5: judge bias)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.votes import UNSCORED, Votes

__all__ = ["PositionPreference", "position_preference"]


@dataclass(frozen=True, eq=False)
class PositionPreference:
    """How often each judge's decided votes favour the answer shown first.

    Every pair is judged in both orders, so an unbiased judge favours the first
    position half the time. Intervals are Wilson score intervals (Wilson, 1927) on
    the decided votes.
    """

    judges: tuple[str, ...]
    n_decided: np.ndarray
    n_unscored: np.ndarray
    first_share: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def position_preference(votes: Votes, level: float = 0.95) -> PositionPreference:
    """Share of each judge's decided (non-tie, scored) votes that favour position A."""
    from scipy.stats import norm

    n_judges = len(votes.judges)
    judge = votes.judge
    decided = (votes.outcome != UNSCORED) & (votes.outcome != 0)
    first = np.bincount(judge[decided & (votes.outcome > 0)], minlength=n_judges).astype(float)
    total = np.bincount(judge[decided], minlength=n_judges).astype(float)
    unscored = np.bincount(judge[votes.outcome == UNSCORED], minlength=n_judges)
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = first / total
        centre = (first + z * z / 2) / (total + z * z)
        half = z * np.sqrt(first * (total - first) / total + z * z / 4) / (total + z * z)
    return PositionPreference(votes.judges, total.astype(int), unscored, share, centre - half, centre + half)
