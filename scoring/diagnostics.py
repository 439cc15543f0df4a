"""Every judge diagnostic of the Language Model Council, with item-bootstrap intervals.

Zhao et al. (2024, arXiv 2406.08598, §5 and Tables 1, 5–7) report position bias,
consistency, conviction, contrarianism, polarization, self-enhancement, length bias and
each judge's separability as point values. Each is a statistic of the votes, so the
cluster bootstrap that gives the leaderboard its intervals gives these theirs: items are
redrawn with all their votes and every metric is recomputed on each redraw.

The redraws collapse where the leaderboard's did: a judge consistent on every couplet is
consistent in every redraw. So, as the leaderboard's, the intervals of the shares, of the
κ-based agreement and contrarianism and of the strength metrics (affinity, polarization,
self-enhancement) are each the wider, bound by bound, of the percentile bootstrap's and
that of a Bayesian bootstrap with prior pseudo-items (`scoring.boundary`; the strength
metrics with the leaderboard's own prior, `scoring.sole_judge.prior_strength_draws`).
Their points are the leaderboard's: fits of `scoring.leaderboard.point_wins`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from scoring._json import Estimate, with_interval
from scoring.agreement import MIN_KAPPA_KEYS, JudgeAgreement, contrarianism, judge_agreement
from scoring.bootstrap import resample_items
from scoring.display import JUDGE_COLUMNS, ShowsTable, judge_rows
from scoring.judges import judge_affinities, judge_affinity, judge_profiles, polarization
from scoring.length import length_bias
from scoring.ranking import percentile_intervals
from scoring.settings import ScoringSettings
from scoring.sole_judge import sole_judge_separability
from scoring.votes import Votes

__all__ = ["JUDGE_METRICS", "JudgeMetrics", "judge_metrics"]

#: Metric name → what it measures (the JSON keys of ``council judges --json``).
JUDGE_METRICS = {
    "position_consistency": "share of votes in side-wise consistent couplets (both orders agree on the winner)",
    "position_consistency_strict": "share of votes in couplets whose labels mirror exactly",
    "position_bias_first": "share of votes in inconsistent couplets that chose the first position",
    "position_bias_second": "share of votes in inconsistent couplets that chose the second position",
    "conviction": "share of strong verdicts (A>>B, B>>A)",
    "agreement": f"mean Cohen's κ on sides with each other judge sharing at least {MIN_KAPPA_KEYS} decided vote keys",
    "contrarianism": "1 − Cohen's κ with the majority side of the other judges",
    "polarization": "range (max − min) of the scores the judge alone gives the models",
    "self_enhancement_bias": "the judge's score for its own model minus the council's",
    "length_bias_r2": "R² of verdict side on word difference (first − second)",
    "length_bias_slope": "verdict units per 100 words of difference",
    "separability": "% of model pairs whose intervals separate with this judge as sole judge",
}


@dataclass(frozen=True, eq=False)
class JudgeMetrics(ShowsTable):
    """Judge diagnostics with intervals from an item bootstrap, widened at the boundary
    (with ``settings.prior_items`` > 0) as the leaderboard's are.

    Attributes
    ----------
    judges : tuple of str
    metrics : tuple of str
        Row names of the arrays, the keys of `JUDGE_METRICS`.
    estimate, lower, upper : numpy.ndarray, shape (n_metrics, n_judges)
        Point values on all votes, and the interval bounds (NaN where undefined: no
        couplets, no lengths, a judge that is not a ranked model…).
    n_votes, n_unscored : numpy.ndarray of int
        Each judge's scored votes, and its votes without a usable verdict (never
        counted in any metric).
    agreement : JudgeAgreement
        Pairwise agreement on all votes; ``kappa_lower``/``kappa_upper`` bound its κ
        and ``exact_lower``/``exact_upper`` its exact agreement.
    scores : numpy.ndarray, shape (n_judges, n_models)
        The score each judge alone gives each model (affinity), on the settings' scale,
        bounded by ``scores_lower``/``scores_upper``.
    council_scores : numpy.ndarray
    models : tuple of str
    rounds, separability_rounds, separability_draws : int
        Outer bootstrap rounds; inner rounds of each sole-judge leaderboard; outer
        rounds that recompute separability.
    settings : ScoringSettings
    """

    judges: tuple[str, ...]
    metrics: tuple[str, ...]
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n_votes: np.ndarray
    n_unscored: np.ndarray
    agreement: JudgeAgreement
    kappa_lower: np.ndarray
    kappa_upper: np.ndarray
    exact_lower: np.ndarray
    exact_upper: np.ndarray
    models: tuple[str, ...]
    scores: np.ndarray
    scores_lower: np.ndarray
    scores_upper: np.ndarray
    council_scores: np.ndarray
    rounds: int
    separability_rounds: int
    separability_draws: int
    settings: ScoringSettings

    def _table(self) -> tuple[list[str], list[list[str]], str]:
        columns = [c for c in JUDGE_COLUMNS if c[0] in self.metrics]
        return (["judge", "votes", *(header for _, header, _, _ in columns)], judge_rows(self, columns),
                f"{len(self.judges)} judges; {100 * self.settings.level:g}% intervals from {self.rounds} "
                "item-bootstrap rounds")

    def __repr__(self) -> str:
        return f"JudgeMetrics(judges={self.judges!r}, models={self.models!r}, rounds={self.rounds})"

    def metric(self, name: str) -> Estimate:
        """One metric's `Estimate`: arrays with one entry per judge."""
        row = self.metrics.index(name)
        return Estimate(self.estimate[row], self.lower[row], self.upper[row])

    def to_dict(self) -> dict:
        """JSON-ready: ``{"judges": [{"judge", "n_votes", <metric>: {estimate, lower,
        upper}, "affinity": {model: {…}}}], "agreement": [{"judges", "n_shared",
        "n_decided", "kappa": {…}, "exact": {…}}]}`` plus how the intervals were made;
        NaN becomes null."""

        judges = []
        for j, judge in enumerate(self.judges):
            row: dict = {"judge": judge, "n_votes": int(self.n_votes[j]), "n_unscored": int(self.n_unscored[j])}
            for m, name in enumerate(self.metrics):
                row[name] = with_interval(self.estimate[m, j], self.lower[m, j], self.upper[m, j])
            row["affinity"] = {
                model: with_interval(self.scores[j, k], self.scores_lower[j, k], self.scores_upper[j, k])
                for k, model in enumerate(self.models) if np.isfinite(self.scores[j, k])
            }
            judges.append(row)
        pairs = []
        agreement = self.agreement
        for a in range(len(self.judges)):
            for b in range(a + 1, len(self.judges)):
                if agreement.n_shared[a, b]:
                    pairs.append({
                        "judges": [self.judges[a], self.judges[b]],
                        "n_shared": int(agreement.n_shared[a, b]),
                        "n_decided": int(agreement.n_decided[a, b]),
                        "kappa": with_interval(agreement.kappa[a, b], self.kappa_lower[a, b], self.kappa_upper[a, b]),
                        "exact": with_interval(agreement.exact[a, b], self.exact_lower[a, b], self.exact_upper[a, b]),
                    })
        return {
            "settings": self.settings.to_dict(),
            "rounds": self.rounds,
            "separability_rounds": self.separability_rounds,
            "separability_draws": self.separability_draws,
            "level": self.settings.level,
            "metrics": {name: JUDGE_METRICS[name] for name in self.metrics},
            "judges": judges,
            "agreement": pairs,
        }


#: Resampled vote sets held at once: their affinity fits go through one batch.
_BLOCK = 50


def _statistics(votes, settings, lengths, affinity, sole_separability):
    """All metrics (n_metrics × n_judges) of one set of votes, given its affinity and
    sole-judge separability (fitted in batches over many sets), with the agreement
    and profiles they came from."""
    profiles = judge_profiles(votes)
    agreement = judge_agreement(votes)
    if lengths is not None:
        lengths_fit = length_bias(votes, lengths)
        r2, slope = lengths_fit.r2, lengths_fit.slope
    else:
        r2 = slope = np.full(len(votes.judges), np.nan)
    values = {
        "position_consistency": profiles.consistency,
        "position_consistency_strict": profiles.strict_consistency,
        "position_bias_first": profiles.bias_first,
        "position_bias_second": profiles.bias_second,
        "conviction": profiles.conviction,
        "agreement": agreement.mean_kappa(),
        "contrarianism": contrarianism(votes),
        "polarization": polarization(affinity.scores),
        "self_enhancement_bias": affinity.self_enhancement,
        "length_bias_r2": r2,
        "length_bias_slope": slope,
        "separability": sole_separability,
    }
    return np.array([values[name] for name in JUDGE_METRICS]), agreement, profiles


def judge_metrics(
    votes: Votes,
    settings: ScoringSettings | None = None,
    *,
    lengths: np.ndarray | None = None,
    rounds: int = 200,
    separability_rounds: int = 100,
    separability_draws: int = 0,
    seed: int | None = 0,
) -> JudgeMetrics:
    """Every judge's diagnostics with item-bootstrap intervals.

    Parameters
    ----------
    votes : Votes
        Raw votes, self-judgments included (self-enhancement needs them).
    settings : ScoringSettings, optional
        How scores are fitted: reference model, weights, alpha, consistency filter and
        interval level. Affinity and self-enhancement always include self-judgments.
    lengths : numpy.ndarray, shape (n_items, n_models), optional
        Words per answer; without it the length-bias metrics are NaN.
    rounds : int
        Item-bootstrap rounds for the intervals.
    separability_rounds : int
        Bootstrap rounds of each sole-judge leaderboard (its separability is a
        statistic of its own intervals); 0 skips the metric.
    separability_draws : int
        Outer rounds that also recompute separability, for its interval (a nested
        bootstrap: ``separability_draws × judges × separability_rounds`` fits, twice
        over with ``prior_items``; about 0.15 s a draw on the paper's 1,000-vote
        sample). 0 (the default) gives separability without an interval.
    seed : int or None

    Returns
    -------
    JudgeMetrics
    """
    settings = settings or ScoringSettings()
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    n_unscored = np.bincount(votes.judge[~votes.scored], minlength=len(votes.judges))
    if settings.consistency is not None:
        from scoring.aggregation import consistent_votes

        votes = consistent_votes(votes.select(votes.scored), settings.consistency)
    rng = np.random.default_rng(seed)
    affinity_settings = settings.replace(include_self=True)
    affinity = judge_affinity(votes, affinity_settings)
    no_separability = np.full(len(votes.judges), np.nan)

    def separabilities(vote_sets):
        if not separability_rounds or not vote_sets:
            return [no_separability] * len(vote_sets)
        return list(sole_judge_separability(vote_sets, settings, separability_rounds, rng))

    estimate, agreement, profiles = _statistics(votes, settings, lengths, affinity, separabilities([votes])[0])
    draws = np.empty((rounds,) + estimate.shape)
    kappa_draws = np.empty((rounds,) + agreement.kappa.shape)
    exact_draws = np.empty_like(kappa_draws)
    score_draws = np.full((rounds,) + affinity.scores.shape, np.nan)
    for first in range(0, rounds, _BLOCK):
        block = range(first, min(first + _BLOCK, rounds))
        resampled = [resample_items(votes, rng) for _ in block]
        sets = [votes_drawn for votes_drawn, _ in resampled]
        # The percentile bootstrap's fits are plain ones, as `rank_models`'s draws: the prior
        # has its own draws (`_prior_draws`), and in both it would pull the draws in twice.
        affinities = judge_affinities(sets, affinity_settings.replace(prior_items=0.0))
        sole = separabilities([s for r, s in zip(block, sets) if r < separability_draws])
        for k, r in enumerate(block):
            drawn = resampled[k][1]
            draws[r], resampled_agreement, _ = _statistics(
                sets[k], settings, lengths[drawn] if lengths is not None else None, affinities[k],
                sole[k] if k < len(sole) else no_separability,
            )
            kappa_draws[r] = resampled_agreement.kappa
            exact_draws[r] = resampled_agreement.exact
            columns = [affinity.models.index(m) for m in affinities[k].models if m in affinity.models]
            kept = [i for i, m in enumerate(affinities[k].models) if m in affinity.models]
            score_draws[r][:, columns] = affinities[k].scores[:, kept]
    level = settings.level
    lower, upper = percentile_intervals(draws, level, skip_nan=True)
    kappa_lower, kappa_upper = percentile_intervals(kappa_draws, level, skip_nan=True)
    exact_lower, exact_upper = percentile_intervals(exact_draws, level, skip_nan=True)
    scores_lower, scores_upper = percentile_intervals(score_draws, level, skip_nan=True)
    if settings.prior_items > 0:
        prior = _prior_draws(votes, settings, affinity, agreement, rounds, rng)
        no_prior = np.full(prior["conviction"].shape, np.nan)
        metric_prior = np.stack([prior.get(name, no_prior) for name in JUDGE_METRICS], axis=1)
        lower, upper = _wider((lower, upper), metric_prior, level)
        kappa_lower, kappa_upper = _wider((kappa_lower, kappa_upper), prior["kappa"], level)
        exact_lower, exact_upper = _wider((exact_lower, exact_upper), prior["exact"], level)
        scores_lower, scores_upper = _wider((scores_lower, scores_upper), prior["scores"], level)
    return JudgeMetrics(
        judges=votes.judges,
        metrics=tuple(JUDGE_METRICS),
        estimate=estimate,
        lower=lower,
        upper=upper,
        n_votes=profiles.n_votes,
        n_unscored=n_unscored,
        agreement=agreement,
        kappa_lower=kappa_lower,
        kappa_upper=kappa_upper,
        exact_lower=exact_lower,
        exact_upper=exact_upper,
        models=affinity.models,
        scores=affinity.scores,
        scores_lower=scores_lower,
        scores_upper=scores_upper,
        council_scores=affinity.council,
        rounds=rounds,
        separability_rounds=separability_rounds,
        separability_draws=min(separability_draws, rounds) if separability_rounds else 0,
        settings=settings,
    )



def _wider(bounds: tuple[np.ndarray, np.ndarray], prior_draws: np.ndarray, level: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """The wider, bound by bound, of percentile ``bounds`` and the prior draws' (where
    those are defined), as `rank_models` widens its intervals."""
    lower, upper = bounds
    prior_lower, prior_upper = percentile_intervals(prior_draws, level, skip_nan=True)
    return np.fmin(lower, prior_lower), np.fmax(upper, prior_upper)


def _prior_draws(votes: Votes, settings: ScoringSettings, affinity, agreement: JudgeAgreement, rounds: int,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draws of the Bayesian bootstrap with prior pseudo-items (`scoring.boundary`) of
    every metric it widens, all from one set of item weights: the shares, κ-based
    agreement and contrarianism, pairwise κ and exact agreement, and the strength
    metrics (affinity, polarization, self-enhancement) with the leaderboard's prior."""
    from scoring.agreement import contrarian_sides, item_cross, side_cells, vote_table_by_item
    from scoring.boundary import item_weight_draws, kappa_draws, share_draws
    from scoring.judges import profile_item_counts
    from scoring.leaderboard import elo_scale, win_rate_percent
    from scoring.sole_judge import prior_strength_draws

    n_items, prior_items = len(votes.items), settings.prior_items
    weights = item_weight_draws(n_items, rounds, rng)
    counts, totals = profile_item_counts(votes)
    out = {name: share_draws(counts[field], totals, weights, prior_items, rng) for name, field in (
        ("position_consistency", "consistency"), ("position_consistency_strict", "strict_consistency"),
        ("position_bias_first", "bias_first"), ("position_bias_second", "bias_second"), ("conviction", "conviction"))}

    outcome, present, key_item = vote_table_by_item(votes)
    side = np.sign(outcome)
    kappa = kappa_draws(side_cells(side, side, key_item, n_items), weights, prior_items, rng)
    partners = agreement.n_decided >= MIN_KAPPA_KEYS
    np.fill_diagonal(partners, False)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a judge without partners: NaN
        out["agreement"] = np.nanmean(np.where(partners, kappa, np.nan), axis=-1)
    out["kappa"] = kappa
    present_f = present.astype(float)
    verdicts = [(present & (outcome == value)).astype(float) for value in (-2, -1, 0, 1, 2)]
    same = np.sum([item_cross(hit, hit, key_item, n_items) for hit in verdicts], axis=0)
    out["exact"] = share_draws(same, item_cross(present_f, present_f, key_item, n_items), weights, prior_items, rng)

    own_side, others = contrarian_sides(outcome)
    cells = side_cells(own_side, others, key_item, n_items)
    diagonal = cells[np.arange(len(votes.judges)), np.arange(len(votes.judges))]
    out["contrarianism"] = 1.0 - kappa_draws(diagonal, weights, prior_items, rng)
    out["contrarianism"][:, ~np.isfinite(contrarianism(votes))] = np.nan

    to_score = win_rate_percent if settings.reference is not None else elo_scale
    sole, council = prior_strength_draws(votes, settings.replace(include_self=True), weights, rng)
    columns = [votes.models.index(m) for m in affinity.models]
    scores = to_score(sole[:, :, columns])
    out["scores"] = scores
    out["polarization"] = polarization(scores)
    council_scores = to_score(council[:, columns])
    own = [affinity.models.index(judge) if judge in affinity.models else -1 for judge in votes.judges]
    out["self_enhancement_bias"] = np.stack(
        [scores[:, j, i] - council_scores[:, i] if i >= 0 else np.full(rounds, np.nan) for j, i in enumerate(own)],
        axis=1)
    return out
