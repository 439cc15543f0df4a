"""From votes to a separability-checked leaderboard.

The pipeline of the Language Model Council (Zhao et al., 2024, arXiv 2406.08598, §3.4
and §4): select votes, pool judges, fit Bradley–Terry, bootstrap, and rank only as far
as the intervals separate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from scoring._json import HasEstimates
from scoring.aggregation import aggregate_votes, consistent_votes, drop_self_judgments, scored_votes
from scoring.bootstrap import bootstrap_ratings, point_win_matrix
from scoring.bradley_terry import check_connected, fit_bradley_terry, win_matrix, win_probabilities
from scoring.display import ShowsTable, leaderboard_header, leaderboard_rows, leaderboard_text
from scoring.errors import ScoringError
from scoring.ranking import (
    implied_rank_intervals,
    leader_groups,
    percentile_interval_errors,
    percentile_intervals,
    point_ranks,
    rank_intervals,
    separability,
    tiers,
)
from scoring.settings import MAX_AUTO_ROUNDS, ScoringSettings
from scoring.votes import Votes

__all__ = [
    "ELO_PER_STRENGTH", "Leaderboard", "elo_scale", "point_scores", "prepare_votes", "rank_models", "win_rate_percent",
]

#: Elo points per unit of natural-log strength: 400 Elo is a factor 10 in odds.
ELO_PER_STRENGTH = 400.0 / np.log(10.0)


def elo_scale(strength: np.ndarray) -> np.ndarray:
    """Elo-style rating: 1000 where the strength is 0, 400 points per factor 10 in odds."""
    return 1000.0 + ELO_PER_STRENGTH * np.asarray(strength)


def win_rate_percent(strength: np.ndarray) -> np.ndarray:
    """Expected win rate × 100 against a model of strength 0 (the reference)."""
    return 100.0 * expit(strength)


@dataclass(frozen=True, eq=False)
class Leaderboard(HasEstimates, ShowsTable):
    """A ranking with its uncertainty. Arrays run best model first; ``estimate(name)``
    gives ``strength``, ``score``, ``elo`` or ``rank`` with its interval as a `scoring.Estimate`.

    Attributes
    ----------
    models : tuple of str
    strength, strength_lower, strength_upper : numpy.ndarray
        Bradley–Terry log-strength and its interval; 0 at the reference model if any,
        otherwise mean 0.
    score, score_lower, score_upper : numpy.ndarray
        With a reference: expected win rate against it × 100 (the paper's council
        score). Without: Elo-style, ``1000 + 400/ln 10 · strength``.
    elo, elo_lower, elo_upper : numpy.ndarray
        ``1000 + 400/ln 10 · strength``: 1000 at the reference, or on average.
    score_lower_mcse, score_upper_mcse, elo_lower_mcse, elo_upper_mcse : numpy.ndarray
        Monte Carlo standard error of each interval end: how far it would move with
        another seed (`percentile_interval_errors`); more rounds shrink it by √rounds.
    rank, rank_lower, rank_upper : numpy.ndarray of int
        Rank by point estimate, and its interval over the bootstrap draws.
    rank_ub : numpy.ndarray of int
        Chatbot Arena's rank upper bound: 1 + the number of models whose score interval
        lies entirely above (`rank_upper_bounds`).
    group : numpy.ndarray of int
        Each model's interval lies below the leader of every higher group
        (`leader_groups`); the default grouping of the tables.
    tier : numpy.ndarray of int
        The strict grouping: every model of a tier is apart from every model of every
        lower tier (`tiers`).
    n_votes_per_model : numpy.ndarray of int
        Fitted votes (after pooling) that involve each model.
    separability : float
        Percentage of model pairs whose score intervals do not overlap.
    draws : numpy.ndarray, shape (rounds, n_models)
        Bootstrap log-strengths, on the scale of ``strength``.
    prior_draws : numpy.ndarray, shape (rounds, n_models) or None
        Draws of the Bayesian bootstrap with prior pseudo-units that widen the
        intervals at the boundary (see `rank_models`); None when ``prior_items`` is 0.
    n_votes : int
        Votes that entered the fit (after filtering and pooling).
    n_unscored, n_self_excluded, n_inconsistent_excluded : int
        Votes left out, and why.
    unrated : tuple of str
        Models with no vote left to fit.
    settings : ScoringSettings
    """

    models: tuple[str, ...]
    strength: np.ndarray
    strength_lower: np.ndarray
    strength_upper: np.ndarray
    score: np.ndarray
    score_lower: np.ndarray
    score_upper: np.ndarray
    elo: np.ndarray
    elo_lower: np.ndarray
    elo_upper: np.ndarray
    score_lower_mcse: np.ndarray
    score_upper_mcse: np.ndarray
    elo_lower_mcse: np.ndarray
    elo_upper_mcse: np.ndarray
    rank: np.ndarray
    rank_lower: np.ndarray
    rank_upper: np.ndarray
    rank_ub: np.ndarray
    group: np.ndarray
    tier: np.ndarray
    n_votes_per_model: np.ndarray
    separability: float
    draws: np.ndarray
    prior_draws: np.ndarray | None
    n_votes: int
    n_unscored: int
    n_self_excluded: int
    n_inconsistent_excluded: int
    unrated: tuple[str, ...]
    settings: ScoringSettings

    @property
    def mc_tolerance_met(self) -> bool | None:
        """Whether every interval end's Monte Carlo error is under the settings'
        ``mc_tolerance`` (None without one)."""
        tolerance = self.settings.mc_tolerance
        return None if tolerance is None else self.mc_error_elo <= tolerance

    @property
    def mc_error_elo(self) -> float:
        """The largest Monte Carlo standard error of any interval end, in Elo points."""
        ends = np.concatenate([self.elo_lower_mcse, self.elo_upper_mcse])
        return float(ends.max()) if len(ends) else 0.0

    def _table(self) -> tuple[list[str], list[list[str]], str]:
        what = f"against {self.settings.reference}" if self.settings.reference is not None else "Elo"
        return (leaderboard_header(self), leaderboard_rows(self),
                f"{len(self.models)} models ranked from {self.n_votes} votes ({what}; {100 * self.settings.level:g}% "
                f"intervals; separability {self.separability:.1f}%)")

    def _text(self) -> str:
        return leaderboard_text(self)  # what `council score` prints

    def __repr__(self) -> str:
        return f"Leaderboard(models={self.models!r}, n_votes={self.n_votes}, separability={self.separability:.1f})"

    def win_probabilities(self) -> np.ndarray:
        """``P[i, j]``: fitted probability that model ``i`` beats model ``j``."""
        return win_probabilities(self.strength)

    def to_dict(self) -> dict:
        """Plain JSON-ready form; the layout of ``council score --json``."""
        rows = []
        for i, model in enumerate(self.models):
            row: dict[str, str | int | float] = {"model": model}
            for field in ("rank", "rank_lower", "rank_upper", "rank_ub", "group", "tier"):
                row[field] = int(getattr(self, field)[i])
            for field in (
                "strength", "strength_lower", "strength_upper",
                "score", "score_lower", "score_upper",
                "elo", "elo_lower", "elo_upper",
                "score_lower_mcse", "score_upper_mcse", "elo_lower_mcse", "elo_upper_mcse",
            ):
                row[field] = float(getattr(self, field)[i])
            row["n_votes"] = int(self.n_votes_per_model[i])
            rows.append(row)
        return {
            "settings": self.settings.to_dict(),
            "n_votes": self.n_votes,
            "n_unscored": self.n_unscored,
            "n_self_excluded": self.n_self_excluded,
            "n_inconsistent_excluded": self.n_inconsistent_excluded,
            "separability": float(self.separability),
            "mc_error_elo": self.mc_error_elo,
            "mc_tolerance_met": self.mc_tolerance_met,
            "unrated": list(self.unrated),
            "models": rows,
        }


@dataclass(frozen=True, eq=False)
class PreparedVotes:
    """Votes ready to fit, and the counts of what was left out on the way."""

    votes: Votes
    n_unscored: int
    n_self_excluded: int
    n_inconsistent_excluded: int
    unrated: tuple[str, ...]


def _compact_models(votes: Votes) -> tuple[Votes, tuple[str, ...]]:
    """Drop models that no vote involves, renumbering the rest."""
    used = np.union1d(votes.model_a, votes.model_b)
    remap = np.full(len(votes.models), -1, dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    unrated = tuple(name for i, name in enumerate(votes.models) if remap[i] < 0)
    compact = Votes(
        item=votes.item,
        judge=votes.judge,
        model_a=remap[votes.model_a],
        model_b=remap[votes.model_b],
        outcome=votes.outcome,
        items=votes.items,
        judges=votes.judges,
        models=tuple(votes.models[i] for i in used),
        n_unknown=votes.n_unknown,
    )
    return compact, unrated


def select_votes(votes: Votes, settings: ScoringSettings) -> tuple[Votes, int, int]:
    """The settings' selection before pooling: scored → self → consistency. Returns the
    votes kept and how many self-judgments and inconsistent votes were left out."""
    selected = scored_votes(votes)
    n_self = 0
    if not settings.include_self:
        selected, n_self = drop_self_judgments(selected)
    n_inconsistent = 0
    if settings.consistency is not None:
        kept = consistent_votes(selected, settings.consistency)
        n_inconsistent = len(selected) - len(kept)
        selected = kept
    return selected, n_self, n_inconsistent


def prepare_votes(votes: Votes, settings: ScoringSettings) -> PreparedVotes:
    """Apply the settings' selection and pooling: scored → self → consistency → pool."""
    selected, n_self, n_inconsistent = select_votes(votes, settings)
    pooled = aggregate_votes(selected, settings.aggregation, count_tie=settings.count_tie)
    compact, unrated = _compact_models(pooled)
    return PreparedVotes(compact, votes.n_unscored, n_self, n_inconsistent, unrated)


def point_wins(fit_votes: Votes, settings: ScoringSettings) -> np.ndarray:
    """The win matrix every point estimate fits (`scoring.bootstrap.point_win_matrix`):
    with ``prior_items`` > 0, the prior the intervals use is in the point too, so the
    point lies inside its interval where the plain fit sits on the interval's edge,
    set by the ridge."""
    return point_win_matrix(fit_votes, resample=settings.resample, strong_weight=settings.strong_weight,
                            tie_weight=settings.tie_weight, prior_items=settings.prior_items)


def point_fit(fit_votes: Votes, settings: ScoringSettings) -> np.ndarray:
    """Strengths of the prepared votes' models (the fit of `point_wins`), anchored as
    the settings say."""
    if len(fit_votes) == 0:
        raise ScoringError("no scored votes to rank (all were unscored or filtered out)")
    models = fit_votes.models
    if len(models) < 2:
        raise ScoringError(f"only one model was compared ({models[0]}): a ranking needs two or more")
    if settings.reference is not None and settings.reference not in models:
        raise ScoringError(f"reference model {settings.reference!r} is not among the compared models")
    check_connected(win_matrix(fit_votes, strong_weight=settings.strong_weight, tie_weight=settings.tie_weight),
                    models)
    point = fit_bradley_terry(point_wins(fit_votes, settings), alpha=settings.alpha)
    if settings.reference is not None:
        point = point - point[models.index(settings.reference)]
    return point


def resamplable(fit_votes: Votes, settings: ScoringSettings) -> bool:
    """False for an item bootstrap of one item: redrawing it always gives the same
    data, hence zero-width intervals that would call every difference certain."""
    return settings.resample != "item" or len(np.unique(fit_votes.item)) >= 2


def check_resamplable(fit_votes: Votes, settings: ScoringSettings) -> None:
    """Refuse what `resamplable` refuses."""
    if not resamplable(fit_votes, settings):
        raise ScoringError("the votes come from one item: the item bootstrap needs at least two to measure "
                           "uncertainty")


def point_scores(votes: Votes, settings: ScoringSettings | None = None) -> dict[str, float]:
    """Each model's score from the full data, without bootstrap (the settings' scale)."""
    settings = settings or ScoringSettings()
    fit_votes = prepare_votes(votes, settings).votes
    point = point_fit(fit_votes, settings)
    scale = win_rate_percent if settings.reference is not None else elo_scale
    return dict(zip(fit_votes.models, scale(point).tolist()))


def rank_models(votes: Votes, settings: ScoringSettings | None = None) -> Leaderboard:
    """Rank the models of ``votes`` with bootstrap intervals, rank intervals and groups.

    Parameters
    ----------
    votes : Votes
    settings : ScoringSettings, optional
        Defaults to the recommended settings: every judge's vote counts, strong votes
        count as plain wins, self-judgments are left out, and 1000 bootstrap resamples
        of items give 95% intervals.

    Notes
    -----
    A percentile bootstrap collapses at the boundary: when a model wins (loses, ties)
    every vote, every resample says so and its interval has no width, exactly on the
    small test sets where the warning matters most. Each interval is therefore the
    wider, bound by bound, of two: the percentile interval of the cluster bootstrap
    (Davison & Hinkley, 1997), which holds where data are plentiful, and that of a
    Bayesian bootstrap (Rubin, 1981) whose Dirichlet weights also cover, for every
    compared pair, ``prior_items`` pseudo-units won by each side — a Dirichlet-process
    posterior centred on "no difference", with the volume of an average real unit so
    the clustering of votes is kept. For one pair and one vote per item, 10 wins out
    of 10 then give the uniform-prior (Bayes–Laplace) posterior, Beta(11, 1): a 95%
    lower bound near 71%, next to the exact binomial 69.2%. With hundreds of items the
    pseudo-units weigh nothing and the intervals are the percentile ones.

    Returns
    -------
    Leaderboard

    Raises
    ------
    ScoringError
        No scored vote, fewer than two models, an unknown reference model, or a
        comparison graph in disconnected parts (`DisconnectedComparisonsError`).
    """
    settings = settings or ScoringSettings()
    prepared = prepare_votes(votes, settings)
    fit_votes = prepared.votes
    point = point_fit(fit_votes, settings)
    check_resamplable(fit_votes, settings)
    while True:
        draws, prior_draws = bootstrap_draws(fit_votes, settings)
        board = assemble_leaderboard(point, draws, prepared, settings, prior_draws=prior_draws)
        if board.mc_tolerance_met is not False or settings.rounds >= MAX_AUTO_ROUNDS:
            return board
        # Drawn afresh at twice the rounds rather than topped up: the draws stay a function
        # of (seed, rounds) alone, so a board is reproducible from its settings.
        settings = settings.replace(rounds=min(2 * settings.rounds, MAX_AUTO_ROUNDS))


def bootstrap_draws(fit_votes: Votes, settings: ScoringSettings) -> tuple[np.ndarray, np.ndarray | None]:
    """The percentile bootstrap's draws and, unless ``prior_items`` is 0, the draws of
    the Bayesian bootstrap with prior pseudo-units, both from one generator seeded
    with ``settings.seed`` (the first are what they were before the second existed)."""
    rng = np.random.default_rng(settings.seed)

    def draw(prior_items: float) -> np.ndarray:
        return bootstrap_ratings(
            fit_votes, rounds=settings.rounds, resample=settings.resample, rng=rng, alpha=settings.alpha,
            strong_weight=settings.strong_weight, tie_weight=settings.tie_weight, prior_items=prior_items,
        )

    draws = draw(0.0)
    return draws, (draw(settings.prior_items) if settings.prior_items > 0 else None)


def _widest(draws: np.ndarray, prior_draws: np.ndarray | None, bounds) -> tuple[np.ndarray, np.ndarray]:
    lower, upper = bounds(draws)
    if prior_draws is None:
        return lower, upper
    prior_lower, prior_upper = bounds(prior_draws)
    return np.minimum(lower, prior_lower), np.maximum(upper, prior_upper)


def _widest_ends(draws: np.ndarray, prior_draws: np.ndarray | None, transform, level: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`_widest` percentile intervals of ``transform`` of the draws, with each end's Monte
    Carlo standard error from the set of draws that gave it."""
    values = transform(draws)
    lower, upper = percentile_intervals(values, level)
    lower_error, upper_error = percentile_interval_errors(values, level)
    if prior_draws is not None:
        prior_values = transform(prior_draws)
        prior_lower, prior_upper = percentile_intervals(prior_values, level)
        prior_lower_error, prior_upper_error = percentile_interval_errors(prior_values, level)
        lower_error = np.where(prior_lower < lower, prior_lower_error, lower_error)
        upper_error = np.where(prior_upper > upper, prior_upper_error, upper_error)
        lower, upper = np.minimum(lower, prior_lower), np.maximum(upper, prior_upper)
    return lower, upper, lower_error, upper_error


def assemble_leaderboard(point: np.ndarray, draws: np.ndarray, prepared: PreparedVotes,
                         settings: ScoringSettings, *, prior_draws: np.ndarray | None = None) -> Leaderboard:
    """A `Leaderboard` from point strengths and bootstrap draws of the prepared votes'
    models (in their order): anchoring, scales, intervals, ranks, groups, counts.

    Each interval is the wider, bound by bound, of the percentile interval of
    ``draws`` and that of ``prior_draws`` (see `rank_models`)."""
    fit_votes = prepared.votes
    models = fit_votes.models
    if settings.reference is not None:
        reference = models.index(settings.reference)
        draws = draws - draws[:, [reference]]
        if prior_draws is not None:
            prior_draws = prior_draws - prior_draws[:, [reference]]
        to_score = win_rate_percent
    else:
        to_score = elo_scale
    level = settings.level

    strength_lower, strength_upper, strength_lower_error, strength_upper_error = _widest_ends(
        draws, prior_draws, lambda values: values, level)
    score_lower, score_upper, score_lower_error, score_upper_error = _widest_ends(draws, prior_draws, to_score, level)
    score = to_score(point)
    rank_lower, rank_upper = _widest(draws, prior_draws, lambda values: rank_intervals(values, level))
    rank_ub, allowed_upper = implied_rank_intervals(score_lower, score_upper)
    if settings.mode == "recommended":
        # One story: a rank interval holds every rank the score interval allows, so two
        # models whose score intervals overlap never get rank intervals apart (the
        # draws' own rank percentiles can be narrower than the widened score intervals).
        rank_lower, rank_upper = np.minimum(rank_lower, rank_ub), np.maximum(rank_upper, allowed_upper)
    per_model = np.bincount(fit_votes.model_a, minlength=len(models)) + np.bincount(
        fit_votes.model_b, minlength=len(models)
    )
    order = np.lexsort((np.array(models), -np.round(point, 9)))
    return Leaderboard(
        models=tuple(models[i] for i in order),
        strength=point[order],
        strength_lower=strength_lower[order],
        strength_upper=strength_upper[order],
        score=score[order],
        score_lower=score_lower[order],
        score_upper=score_upper[order],
        elo=elo_scale(point)[order],
        elo_lower=elo_scale(strength_lower)[order],
        elo_upper=elo_scale(strength_upper)[order],
        score_lower_mcse=score_lower_error[order],
        score_upper_mcse=score_upper_error[order],
        elo_lower_mcse=ELO_PER_STRENGTH * strength_lower_error[order],
        elo_upper_mcse=ELO_PER_STRENGTH * strength_upper_error[order],
        rank=point_ranks(point)[order],
        rank_lower=rank_lower[order],
        rank_upper=rank_upper[order],
        rank_ub=rank_ub[order],
        group=leader_groups(point, score_lower, score_upper)[order],
        tier=tiers(point, score_lower, score_upper)[order],
        n_votes_per_model=per_model[order],
        separability=separability(score_lower, score_upper),
        draws=draws[:, order],
        prior_draws=None if prior_draws is None else prior_draws[:, order],
        n_votes=len(fit_votes),
        n_unscored=prepared.n_unscored,
        n_self_excluded=prepared.n_self_excluded,
        n_inconsistent_excluded=prepared.n_inconsistent_excluded,
        unrated=prepared.unrated,
        settings=settings,
    )
