"""Each judge's leaderboard on its votes alone, fitted in batches.

The judge diagnostics of the Language Model Council (Zhao et al., 2024, arXiv
2406.08598, §5) fit a leaderboard per judge — for affinity and self-enhancement, and
for each judge's separability — and the item bootstrap refits them on every resample
(for separability, with a bootstrap inside each resample). One leaderboard at a time,
that is thousands of small fits each paying Python's overhead. Here every judge's
votes become a win matrix over the council's whole model table, and all of them —
judges, resamples and inner rounds — go through `fit_bradley_terry` as one batch.

Padding is exact: with a ridge (``alpha > 0``) a model without comparisons has
strength 0 at the optimum and the others are what a fit on the judge's own models
gives, centred alike.
"""

from __future__ import annotations

import numpy as np

from scoring.aggregation import aggregate_votes, consistent_votes, drop_self_judgments, scored_votes
from scoring.bootstrap import resampled_win_matrices
from scoring.bradley_terry import fit_bradley_terry, vote_cells
from scoring.ranking import percentile_intervals, separability
from scoring.settings import ScoringSettings
from scoring.votes import Votes

__all__ = ["council_strengths", "sole_judge_separability", "sole_judge_strengths", "sole_judge_votes"]

#: Fits per `fit_bradley_terry` call: bounds memory (~13 MB for 20 models).
_BATCH = 4000


def sole_judge_votes(votes: Votes, settings: ScoringSettings) -> Votes:
    """The votes each judge's own leaderboard would fit: scored, self-judgments and
    position-inconsistent couplets left out as ``settings`` say, and pooled (if at
    all) within each judge; judge indices kept."""
    selected = scored_votes(votes)
    if not settings.include_self:
        selected, _ = drop_self_judgments(selected)
    if settings.consistency is not None:
        selected = consistent_votes(selected, settings.consistency)
    if settings.aggregation == "none" or not len(selected):
        return selected
    # Pooling within a judge: the judge becomes part of the item for the grouping.
    n_items = len(votes.items)
    keyed = Votes(item=selected.judge.astype(np.int64) * n_items + selected.item, judge=selected.judge,
                  model_a=selected.model_a, model_b=selected.model_b, outcome=selected.outcome,
                  items=votes.items, judges=votes.judges, models=votes.models, n_unknown=votes.n_unknown)
    pooled = aggregate_votes(keyed, settings.aggregation, count_tie=settings.count_tie)
    return Votes(item=pooled.item % n_items, judge=pooled.item // n_items, model_a=pooled.model_a,
                 model_b=pooled.model_b, outcome=pooled.outcome, items=votes.items, judges=votes.judges,
                 models=votes.models, n_unknown=votes.n_unknown)


def _judge_wins(prepared: Votes, settings: ScoringSettings) -> np.ndarray:
    """Win matrices, one per judge, over the whole model table."""
    n, judges = len(prepared.models), len(prepared.judges)
    rows, cells, weights = vote_cells(prepared, strong_weight=settings.strong_weight, tie_weight=settings.tie_weight)
    key = prepared.judge[rows].astype(np.int64) * n * n + cells
    return np.bincount(key, weights=weights, minlength=judges * n * n).reshape(judges, n, n)


def _rankable(wins: np.ndarray, reference: int | None) -> tuple[np.ndarray, np.ndarray]:
    """For a stack of win matrices: which make a leaderboard (`leaderboard.point_fit`'s
    rules: two models or more, the reference among them, connected), and which models
    each compares."""
    batch, n, _ = wins.shape
    linked = (wins + np.swapaxes(wins, -1, -2)) > 0
    compared = linked.any(axis=-1)
    # Reachability by repeated squaring of (I + links): log2(n) batched products.
    reach = (linked | np.eye(n, dtype=bool)).astype(np.float64)
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))))):
        reach = np.minimum(reach @ reach, 1.0)
    first = np.argmax(compared, axis=-1)
    connected = ((reach[np.arange(batch), first] > 0) | ~compared).all(axis=-1)
    usable = (compared.sum(axis=-1) >= 2) & connected
    if reference is not None:
        usable &= compared[:, reference]
    return usable, compared


def _fit(wins: np.ndarray, alpha: float, start: np.ndarray | None = None) -> np.ndarray:
    """`fit_bradley_terry` over a large stack, a bounded part at a time."""
    out = np.empty(wins.shape[:-1])
    for begin in range(0, len(wins), _BATCH):
        part = slice(begin, begin + _BATCH)
        out[part] = fit_bradley_terry(wins[part], alpha=alpha, start=None if start is None else start[part])
    return out


def sole_judge_strengths(vote_sets: list[Votes], settings: ScoringSettings) -> np.ndarray:
    """Each judge's own Bradley–Terry strengths on each set of votes, all fitted as one
    batch.

    Parameters
    ----------
    vote_sets : list of Votes
        Sets sharing one model table and judge table (e.g. item-bootstrap resamples).
    settings : ScoringSettings

    Returns
    -------
    numpy.ndarray, shape (sets, judges, models)
        Anchored at the reference if the settings name one, else centred over the
        models the judge compared; NaN for models a judge did not compare and for a
        judge whose votes make no leaderboard (one model, no reference, disconnected).
    """
    if not vote_sets:
        return np.zeros((0, 0, 0))
    models = vote_sets[0].models
    reference = models.index(settings.reference) if settings.reference in models else None
    wins = np.stack([_judge_wins(sole_judge_votes(votes, settings), settings) for votes in vote_sets])
    sets, judges, n, _ = wins.shape
    return _strengths(wins.reshape(sets * judges, n, n), reference, settings).reshape(sets, judges, n)


def council_strengths(vote_sets: list[Votes], settings: ScoringSettings) -> np.ndarray:
    """The whole council's strengths on each set of votes (`scoring.point_scores`'s fit
    before scaling), all sets fitted as one batch.

    Returns
    -------
    numpy.ndarray, shape (sets, models)
        Over the sets' shared model table, anchored or centred as in
        `sole_judge_strengths`; NaN for a model without fitted votes, and a NaN row
        for a set whose votes make no leaderboard.
    """
    from scoring.leaderboard import prepare_votes

    if not vote_sets:
        return np.zeros((0, 0))
    models = vote_sets[0].models
    n = len(models)
    reference = models.index(settings.reference) if settings.reference in models else None
    wins = np.zeros((len(vote_sets), n, n))
    for k, votes in enumerate(vote_sets):
        fit_votes = prepare_votes(votes, settings).votes
        # prepare_votes renumbers the models it keeps: back onto the shared table.
        to_table = np.array([models.index(name) for name in fit_votes.models], dtype=np.int64)
        rows, cells, weights = vote_cells(fit_votes, strong_weight=settings.strong_weight,
                                          tie_weight=settings.tie_weight)
        m = len(fit_votes.models)
        cells = to_table[cells // max(m, 1)] * n + to_table[cells % max(m, 1)]
        wins[k] = np.bincount(cells, weights=weights, minlength=n * n).reshape(n, n)
    return _strengths(wins, reference, settings)


def _strengths(wins: np.ndarray, reference: int | None, settings: ScoringSettings) -> np.ndarray:
    """Fits of a stack of win matrices over one model table, NaN where no leaderboard."""
    usable, compared = _rankable(wins, reference)
    usable &= settings.reference is None or reference is not None
    strengths = np.full(wins.shape[:2], np.nan)
    if usable.any():
        fitted = _fit(wins[usable], settings.alpha)
        if reference is not None:
            fitted = fitted - fitted[:, [reference]]
        strengths[usable] = fitted
    strengths[~compared] = np.nan
    return strengths


def sole_judge_separability(vote_sets: list[Votes], settings: ScoringSettings, rounds: int,
                            rng: np.random.Generator) -> np.ndarray:
    """The separability of each judge's own leaderboard on each set of votes.

    Each judge's leaderboard is `scoring.rank_models`'s: ``rounds`` resamples of its
    items, intervals the wider of the percentile bootstrap's and the prior's (when
    ``prior_items`` > 0), separability the share of its models' pairs whose score
    intervals are apart. The resamples start from the judge's own fit on the set.

    Returns
    -------
    numpy.ndarray, shape (sets, judges)
        NaN for a judge whose votes make no leaderboard or come from one item.
    """
    from scoring.leaderboard import elo_scale, win_rate_percent

    strengths = sole_judge_strengths(vote_sets, settings)
    result = np.full(strengths.shape[:2], np.nan)
    to_score = win_rate_percent if settings.reference is not None else elo_scale
    kinds = [0.0] + ([settings.prior_items] if settings.prior_items > 0 else [])
    for k, votes in enumerate(vote_sets):
        prepared = sole_judge_votes(votes, settings)
        reference = votes.models.index(settings.reference) if settings.reference is not None else None
        batches, starts, owners = [], [], []
        for j in np.flatnonzero(np.isfinite(strengths[k]).any(axis=1)):
            own = prepared.select(prepared.judge == j)
            if settings.resample == "item" and len(np.unique(own.item)) < 2:
                continue
            for prior_items in kinds:
                batches.append(np.concatenate(list(resampled_win_matrices(
                    own, rounds=rounds, resample=settings.resample, rng=rng, strong_weight=settings.strong_weight,
                    tie_weight=settings.tie_weight, prior_items=prior_items,
                ))))
                starts.append(np.nan_to_num(strengths[k, j]))
                owners.append(j)
        if not batches:
            continue
        wins = np.concatenate(batches)
        start = np.repeat(np.array(starts), rounds, axis=0)
        draws = _fit(wins, settings.alpha, start).reshape(len(batches), rounds, -1)
        for j in set(owners):
            mine = [draws[b] for b, owner in enumerate(owners) if owner == j]
            compared = np.isfinite(strengths[k, j])
            bounds = []
            for own_draws in mine:
                if reference is not None:
                    own_draws = own_draws - own_draws[:, [reference]]
                bounds.append(percentile_intervals(to_score(own_draws[:, compared]), settings.level))
            lower = np.min([low for low, _ in bounds], axis=0)
            upper = np.max([high for _, high in bounds], axis=0)
            result[k, j] = separability(lower, upper)
    return result
