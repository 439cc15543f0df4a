"""Per-judge diagnostics (Zhao et al., 2024, arXiv 2406.08598, §5: judge bias)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.votes import UNSCORED, Votes

__all__ = [
    "JudgeAffinity", "JudgeProfiles", "PositionPreference", "judge_affinities", "judge_affinity", "judge_profiles",
    "polarization", "position_preference", "profile_item_counts",
]


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


@dataclass(frozen=True, eq=False)
class JudgeProfiles:
    """Each judge's voting profile (Zhao et al., 2024, §5.1, Table 1's consistency).

    Shares are over the judge's scored votes, one per (item, model_a, model_b). A
    couplet is a vote with its position-swapped partner; it is consistent when the
    preferred sides mirror or both are ties (side-wise). ``consistency`` and
    ``inconsistency`` are the shares of votes in consistent and in inconsistent
    couplets (votes without a partner count in neither); ``strict_consistency`` the
    share in couplets whose labels mirror exactly (A>>B ↔ B>>A, A>B ↔ B>A, A=B ↔
    A=B); ``paired_consistency`` is
    consistency among votes that have a partner (NaN when none has). ``bias_first``
    and ``bias_second`` split the inconsistent votes by the position they favoured:
    a judge that always picks the first answer has ``bias_first`` = inconsistency.
    ``conviction`` is the share of strong verdicts (A>>B, B>>A).
    """

    judges: tuple[str, ...]
    n_votes: np.ndarray
    consistency: np.ndarray
    inconsistency: np.ndarray
    strict_consistency: np.ndarray
    paired_consistency: np.ndarray
    bias_first: np.ndarray
    bias_second: np.ndarray
    first_votes: np.ndarray
    second_votes: np.ndarray
    tie_votes: np.ndarray
    conviction: np.ndarray


def _profile_masks(votes: Votes) -> tuple[Votes, dict[str, np.ndarray], np.ndarray]:
    """The scored votes the profiles count (one per key and judge), which of them each
    share counts (by `JudgeProfiles` field), and which have a position-swapped partner."""
    from scoring.aggregation import couplet_partners, row_keys

    scored = votes.select(votes.scored)
    # One vote per (item, judge, model_a, model_b): the first of any repeats.
    _, first = np.unique(row_keys(scored.item, scored.judge, scored.model_a, scored.model_b), return_index=True)
    keep = np.zeros(len(scored), dtype=bool)
    keep[first] = True
    scored = scored.select(keep)
    has_partner, partner_outcome = couplet_partners(scored)
    side = np.sign(scored.outcome.astype(int))
    agrees = side == -np.sign(partner_outcome)
    consistent = has_partner & agrees
    inconsistent = has_partner & ~agrees
    masks = {
        "consistency": consistent,
        "inconsistency": inconsistent,
        "strict_consistency": has_partner & (scored.outcome == -partner_outcome),
        "bias_first": inconsistent & (side > 0),
        "bias_second": inconsistent & (side < 0),
        "first_votes": side > 0,
        "second_votes": side < 0,
        "tie_votes": side == 0,
        "conviction": np.abs(scored.outcome) == 2,
    }
    return scored, masks, has_partner


def judge_profiles(votes: Votes) -> JudgeProfiles:
    """Consistency, position bias and conviction of every judge, from its own votes."""
    scored, masks, has_partner = _profile_masks(votes)
    n_judges = len(votes.judges)
    total = np.bincount(scored.judge, minlength=n_judges).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = {name: np.bincount(scored.judge[mask], minlength=n_judges) / total for name, mask in masks.items()}
        paired = np.bincount(scored.judge[masks["consistency"]], minlength=n_judges) / np.bincount(
            scored.judge[has_partner], minlength=n_judges
        )
    return JudgeProfiles(judges=votes.judges, n_votes=total.astype(int), paired_consistency=paired, **shares)


def profile_item_counts(votes: Votes) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The counts behind each share of `judge_profiles`, item by item: for every field,
    ``(n_judges, n_items)`` votes it counts, and the judge's scored votes per item
    (the shares' denominator), for the item-weighted draws of `scoring.boundary`."""
    scored, masks, _ = _profile_masks(votes)
    n_judges, n_items = len(votes.judges), len(votes.items)
    cell = scored.judge.astype(np.int64) * n_items + scored.item

    def per_item(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], minlength=n_judges * n_items).reshape(n_judges, n_items).astype(float)

    return {name: per_item(mask) for name, mask in masks.items()}, per_item(np.ones(len(scored), dtype=bool))


@dataclass(frozen=True, eq=False)
class JudgeAffinity:
    """The score each judge alone gives each model, and self-enhancement.

    ``scores[j, m]`` is model ``m``'s score fitted on judge ``j``'s votes alone (NaN
    where that judge never compared ``m``); ``council[m]`` the score from every
    judge's votes. ``self_enhancement[j]`` is judge ``j``'s score for its own model
    minus the council's, in the settings' score units (NaN for a judge that is not
    a ranked model). With a reference, scores are win rates against it × 100: the
    paper's affinity and self-enhancement bias (Zhao et al., 2024, §5.2) ×100.
    """

    judges: tuple[str, ...]
    models: tuple[str, ...]
    scores: np.ndarray
    council: np.ndarray
    self_enhancement: np.ndarray


def judge_affinity(votes: Votes, settings=None) -> JudgeAffinity:
    """Fit each judge's votes alone (point estimates), and compare with the council.

    Self-judgments must be included in ``settings`` for self-enhancement to be seen;
    a judge whose own votes cannot be ranked (one model, disconnected) gets NaN.

    Raises
    ------
    ScoringError
        When the council's votes themselves make no leaderboard.
    """
    from scoring.leaderboard import point_scores
    from scoring.settings import ScoringSettings

    settings = settings or ScoringSettings(include_self=True)
    point_scores(votes, settings)  # the council's own checks, with their messages
    return judge_affinities([votes], settings)[0]


def judge_affinities(vote_sets: list[Votes], settings) -> list[JudgeAffinity]:
    """`judge_affinity` of each set of votes (sharing one model and judge table), every
    judge's and the council's fit of every set in one batch. A set whose council
    makes no leaderboard gets NaN throughout."""
    from scoring.leaderboard import elo_scale, win_rate_percent
    from scoring.sole_judge import council_strengths, sole_judge_strengths

    to_score = win_rate_percent if settings.reference is not None else elo_scale
    sole = to_score(sole_judge_strengths(vote_sets, settings))
    council = to_score(council_strengths(vote_sets, settings))
    affinities = []
    for k, votes in enumerate(vote_sets):
        fitted = np.flatnonzero(np.isfinite(council[k]))
        order = fitted[np.argsort([votes.models[m] for m in fitted], kind="stable")]
        models = tuple(votes.models[m] for m in order)
        scores, council_row = sole[k][:, order], council[k][order]
        own_index = [models.index(judge) if judge in models else -1 for judge in votes.judges]
        self_enhancement = np.array(
            [scores[j, i] - council_row[i] if i >= 0 else np.nan for j, i in enumerate(own_index)]
        )
        affinities.append(JudgeAffinity(votes.judges, models, scores, council_row, self_enhancement))
    return affinities


def polarization(scores: np.ndarray) -> np.ndarray:
    """Range (max − min) of the scores along the last axis, NaNs left out (Zhao et al.,
    2024, §5.1): how far apart a judge places the best and the worst model. NaN for a
    row with no score."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row stays NaN
        return np.nanmax(scores, axis=-1) - np.nanmin(scores, axis=-1)
