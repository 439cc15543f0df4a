"""Many small leaderboards at once: each judge's on its votes alone, and sub-councils'.

The judge diagnostics of the Language Model Council (Zhao et al., 2024, arXiv
2406.08598, §5) fit a leaderboard per judge — for affinity and self-enhancement, and
for each judge's separability — and the item bootstrap refits them on every resample
(for separability, with a bootstrap inside each resample); the jury ablation (§6) ranks
hundreds of sub-councils. Here every such leaderboard becomes win matrices over the
council's whole model table, and all of them — judges, resamples, inner rounds,
sub-councils — go through `fit_bradley_terry` in shared batches, each resample starting
from its set's point fit. (Batching is not what made this fast: the old code already
batched each bootstrap's rounds. The fits are the cost — a sole judge's resamples of
~50 votes sit at the boundary — so what counts is `fit_bradley_terry`'s pairwise steps
and its arrow solve for reference designs.)

Padding is exact: with a ridge (``alpha > 0``) a model without comparisons has
strength 0 at the optimum and the others are what a fit on the set's own models
gives, centred alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.aggregation import aggregate_votes
from scoring.bootstrap import resampled_win_matrices
from scoring.bradley_terry import fit_bradley_terry, vote_cells
from scoring.ranking import percentile_intervals, separability
from scoring.settings import ScoringSettings
from scoring.votes import Votes

__all__ = [
    "ManyLeaderboards", "council_strengths", "prior_strength_draws", "rank_many", "sole_judge_separability",
    "sole_judge_strengths", "sole_judge_votes",
]

#: Fits per `fit_bradley_terry` call: bounds memory (~13 MB for 20 models).
_BATCH = 4000


def sole_judge_votes(votes: Votes, settings: ScoringSettings) -> Votes:
    """The votes each judge's own leaderboard would fit: scored, self-judgments and
    position-inconsistent couplets left out as ``settings`` say, and pooled (if at
    all) within each judge; judge indices kept."""
    from scoring.leaderboard import select_votes

    selected, _, _ = select_votes(votes, settings)
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
    """The win matrices each judge's own point fit takes (`leaderboard.point_wins`:
    its votes, and the prior's pseudo-units on the pairs it compared), one per judge,
    over the whole model table."""
    from scoring.leaderboard import point_wins

    n, judges = len(prepared.models), len(prepared.judges)
    rows, cells, weights = vote_cells(prepared, strong_weight=settings.strong_weight, tie_weight=settings.tie_weight)
    key = prepared.judge[rows].astype(np.int64) * n * n + cells
    wins = np.bincount(key, weights=weights, minlength=judges * n * n).reshape(judges, n, n)
    if settings.prior_items > 0:
        for j in np.unique(prepared.judge[prepared.scored]):
            wins[j] = point_wins(prepared.select(prepared.judge == j), settings)
    return wins


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
    reference = _reference_index(vote_sets[0].models, settings)
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
    if not vote_sets:
        return np.zeros((0, 0))
    wins, _ = _prepared_wins(vote_sets, settings)
    return _strengths(wins, _reference_index(vote_sets[0].models, settings), settings)


def _reference_index(models: tuple[str, ...], settings: ScoringSettings) -> int | None:
    return models.index(settings.reference) if settings.reference in models else None


def _prepared_wins(vote_sets: list[Votes], settings: ScoringSettings) -> tuple[np.ndarray, list[Votes]]:
    """Each set's votes as `prepare_votes` leaves them, and the win matrices their
    point fits take (`leaderboard.point_wins`) over the sets' shared model table."""
    from scoring.leaderboard import point_wins, prepare_votes

    models = vote_sets[0].models
    n = len(models)
    wins = np.zeros((len(vote_sets), n, n))
    prepared = []
    for k, votes in enumerate(vote_sets):
        fit_votes = prepare_votes(votes, settings).votes
        prepared.append(fit_votes)
        # prepare_votes renumbers the models it keeps: back onto the shared table.
        to_table = np.array([models.index(name) for name in fit_votes.models], dtype=np.int64)
        wins[k][np.ix_(to_table, to_table)] = point_wins(fit_votes, settings)
    return wins, prepared


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


@dataclass(frozen=True, eq=False)
class ManyLeaderboards:
    """The parts of `scoring.rank_models`'s leaderboard that summaries of many need,
    for each of many sets of votes over one model table.

    Attributes
    ----------
    ranked : numpy.ndarray of bool, shape (sets,)
        Whether the set makes a leaderboard (`rank_models` would not raise).
    strength : numpy.ndarray, shape (sets, models)
        Point strengths; NaN for a model the set does not rank.
    rank : numpy.ndarray, shape (sets, models)
        Point ranks among the set's ranked models (NaN elsewhere).
    separability : numpy.ndarray, shape (sets,)
        Percentage of the set's model pairs whose score intervals are apart.
    """

    ranked: np.ndarray
    strength: np.ndarray
    rank: np.ndarray
    separability: np.ndarray


def rank_many(vote_sets: list[Votes], settings: ScoringSettings, rng: np.random.Generator) -> ManyLeaderboards:
    """`scoring.rank_models` on each set of votes, the bootstrap fits of all of them
    in shared batches, each resample starting from its set's point fit.

    The intervals are `rank_models`'s: ``settings.rounds`` resamples, the wider of the
    percentile bootstrap's and (if ``prior_items`` > 0) the prior's, drawn from ``rng``
    set after set. A set that `rank_models` would refuse (no votes, one model, no
    reference, disconnected, one item for the item bootstrap) is not ranked.
    """
    from scoring.leaderboard import elo_scale, resamplable, win_rate_percent
    from scoring.ranking import point_ranks

    sets = len(vote_sets)
    models = vote_sets[0].models if sets else ()
    n = len(models)
    reference = _reference_index(models, settings)
    wins_of_set, prepared = _prepared_wins(vote_sets, settings) if sets else (np.zeros((0, 0, 0)), [])
    strength = _strengths(wins_of_set, reference, settings)
    ranked = np.isfinite(strength).any(axis=1)
    rank = np.full((sets, n), np.nan)
    result = np.full(sets, np.nan)
    to_score = win_rate_percent if settings.reference is not None else elo_scale
    kinds = [0.0] + ([settings.prior_items] if settings.prior_items > 0 else [])
    pending: list[tuple[int, np.ndarray, list[np.ndarray]]] = []

    def settle() -> None:
        if not pending:
            return
        wins = np.concatenate([w for _, _, parts in pending for w in parts])
        start = np.concatenate([np.repeat(np.nan_to_num(strength[k])[None], len(w), axis=0)
                                for k, _, parts in pending for w in parts])
        draws = _fit(wins, settings.alpha, start)
        offset = 0
        for k, fitted, parts in pending:
            bounds = []
            for part in parts:
                own = draws[offset:offset + len(part)][:, fitted]
                offset += len(part)
                if reference is not None:
                    anchor = int(np.count_nonzero(fitted[:reference]))  # the reference's column in own
                    own = own - own[:, anchor:anchor + 1]
                bounds.append(percentile_intervals(to_score(own), settings.level))
            result[k] = separability(np.min([b[0] for b in bounds], axis=0), np.max([b[1] for b in bounds], axis=0))
        pending.clear()

    for k, fit_votes in enumerate(prepared):
        if ranked[k] and not resamplable(fit_votes, settings):
            ranked[k] = False
        if not ranked[k]:
            continue
        fitted = np.isfinite(strength[k])
        rank[k, fitted] = point_ranks(strength[k, fitted])
        to_table = np.array([models.index(name) for name in fit_votes.models])
        parts = []
        for prior_items in kinds:
            compact = np.concatenate(list(resampled_win_matrices(
                fit_votes, rounds=settings.rounds, resample=settings.resample, rng=rng,
                strong_weight=settings.strong_weight, tie_weight=settings.tie_weight, prior_items=prior_items,
            )))
            wins = np.zeros((len(compact), n, n))
            wins[:, to_table[:, None], to_table[None, :]] = compact
            parts.append(wins)
        pending.append((k, fitted, parts))
        if sum(len(w) for _, _, p in pending for w in p) >= _BATCH:
            settle()
    settle()
    strength[~ranked] = np.nan
    return ManyLeaderboards(ranked=ranked, strength=strength, rank=rank, separability=result)


def sole_judge_separability(vote_sets: list[Votes], settings: ScoringSettings, rounds: int,
                            rng: np.random.Generator) -> np.ndarray:
    """The separability of each judge's own leaderboard (`rank_models` on its votes
    alone, ``rounds`` resamples) on each set of votes.

    Returns
    -------
    numpy.ndarray, shape (sets, judges)
        NaN for a judge whose votes make no leaderboard or come from one item.
    """
    judges = len(vote_sets[0].judges) if vote_sets else 0
    own = [votes.select(votes.judge == j) for votes in vote_sets for j in range(judges)]
    boards = rank_many(own, settings.replace(rounds=rounds), rng)
    return boards.separability.reshape(len(vote_sets), judges)


def _bayesian_wins(votes: Votes, to_table: np.ndarray, n: int, weights: np.ndarray, settings: ScoringSettings,
                   rng: np.random.Generator) -> np.ndarray:
    """Win matrices over the model table, one per row of item ``weights``: the votes'
    wins weighted by their item, plus the prior's pseudo-units (`leaderboard.point_wins`)
    under Gamma(``prior_items``) weights."""
    from scipy.sparse import csr_matrix

    from scoring.bootstrap import pair_volumes

    rows, cells, vote_weight = vote_cells(votes, strong_weight=settings.strong_weight, tie_weight=settings.tie_weight)
    m = len(votes.models)
    table_cells = to_table[cells // m] * n + to_table[cells % m]
    contribution = csr_matrix((vote_weight, (votes.item[rows], table_cells)), shape=(weights.shape[1], n * n))
    wins = np.asarray((contribution.T @ weights.T).T)
    _, once = np.unique(rows, return_index=True)
    scored = rows[once]
    if not len(scored):
        return wins.reshape(len(weights), n, n)
    i, j, volume = pair_volumes(votes.model_a[scored], votes.model_b[scored], votes.item[scored], m)
    i, j = to_table[i], to_table[j]
    for first, second in ((i, j), (j, i)):
        wins[:, first * n + second] += rng.standard_gamma(settings.prior_items, (len(weights), len(i))) * volume
    return wins.reshape(len(weights), n, n)


def prior_strength_draws(votes: Votes, settings: ScoringSettings, weights: np.ndarray,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bayesian-bootstrap draws, with the prior's pseudo-units, of each judge's own
    strengths and of the council's (`sole_judge_strengths`, `council_strengths`).

    Parameters
    ----------
    votes : Votes
    settings : ScoringSettings
        With ``prior_items`` > 0.
    weights : numpy.ndarray, shape (rounds, n_items)
        Item weights (`scoring.boundary.item_weight_draws`), shared with any other
        statistic of the same draws.
    rng : numpy.random.Generator

    Returns
    -------
    sole : numpy.ndarray, shape (rounds, judges, models)
    council : numpy.ndarray, shape (rounds, models)
        Over ``votes.models``, anchored or centred as in `sole_judge_strengths`.
    """
    from scoring.leaderboard import prepare_votes

    models, n, rounds = votes.models, len(votes.models), len(weights)
    reference = _reference_index(models, settings)
    everyone = np.arange(n)
    own = sole_judge_votes(votes, settings)
    sole = np.stack([_bayesian_wins(own.select(own.judge == j), everyone, n, weights, settings, rng)
                     for j in range(len(votes.judges))], axis=1)
    fit_votes = prepare_votes(votes, settings).votes
    to_table = np.array([models.index(name) for name in fit_votes.models], dtype=np.int64)
    council = _bayesian_wins(fit_votes, to_table, n, weights, settings, rng)
    sole_strengths = _strengths(sole.reshape(-1, n, n), reference, settings).reshape(rounds, -1, n)
    return sole_strengths, _strengths(council, reference, settings)
