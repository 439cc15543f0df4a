"""What changed between two rounds of a council, and whether the change is real.

A council run again a month later ranks the same models on (mostly) the same items.
Each model's score changes by sampling noise alone; the question a user asks is which
changes the data support. The items both rounds share are the paired unit: resampling
them once for both rounds (a paired cluster bootstrap, Davison & Hinkley, 1997, §3.8)
keeps what the two rounds have in common — an item that is hard for a model in one
round tends to be hard in the next — out of the difference's uncertainty.

As in `rank_models`, each interval is the wider, bound by bound, of the percentile
bootstrap's and that of a Bayesian bootstrap whose Dirichlet weights also cover prior
pseudo-units for every compared pair (``settings.prior_items``): when the verdicts
order the models perfectly, every resample agrees and the percentile interval alone has
no width, though the scores it would compare are set by the ridge, not by the data.

Scores carry no absolute origin (Bradley–Terry strengths are identified up to a
constant), so a change is measured against the models' median change: a model that
got worse is seen as worse, not as every other model getting better. With fewer than
three models in common, a change is that of the difference between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from scoring._json import finite
from scoring.bootstrap import _pseudo_items
from scoring.bradley_terry import fit_bradley_terry, vote_cells
from scoring.errors import ScoringError
from scoring.leaderboard import ELO_PER_STRENGTH, prepare_votes
from scoring.ranking import percentile_intervals
from scoring.settings import ScoringSettings
from scoring.votes import UNSCORED, Votes

__all__ = ["PreferenceShift", "ScoreChanges", "preference_shift", "score_changes"]


@dataclass(frozen=True, eq=False)
class ScoreChanges:
    """Each common model's score change (Elo points, after minus before) with its
    interval, and whether the interval excludes 0.

    Attributes
    ----------
    models : tuple of str
        Models ranked in both rounds.
    delta, delta_lower, delta_upper : numpy.ndarray
    significant : numpy.ndarray of bool
    n_items : int
        Items both rounds share (the paired units).
    """

    models: tuple[str, ...]
    delta: np.ndarray
    delta_lower: np.ndarray
    delta_upper: np.ndarray
    significant: np.ndarray
    n_items: int

    def to_dict(self) -> dict:
        return {
            "n_items": self.n_items,
            "models": [
                {"model": m, "score_delta": finite(self.delta[k]), "delta_lower": finite(self.delta_lower[k]),
                 "delta_upper": finite(self.delta_upper[k]), "significant": bool(self.significant[k])}
                for k, m in enumerate(self.models)
            ],
        }


def _readdressed(matrix: csr_matrix, votes: Votes, models: tuple[str, ...]) -> csr_matrix:
    """``matrix``'s win-matrix columns moved from the round's model numbering to ``models``'."""
    position = np.array([models.index(m) for m in votes.models], dtype=np.int64)
    coo = matrix.tocoo()
    winner, loser = np.divmod(coo.col.astype(np.int64), len(votes.models))
    n = len(models)
    return csr_matrix((coo.data, (coo.row, position[winner] * n + position[loser])), shape=(matrix.shape[0], n * n))


def _contributions(votes: Votes, item_index: dict[str, int], models: tuple[str, ...],
                   settings: ScoringSettings) -> tuple[csr_matrix, csr_matrix]:
    """One row per shared item: its votes' contribution to the n × n win matrix over
    ``models`` (votes on other items are left out); and the prior's pseudo-units of the
    pairs those votes compare, one row each."""
    rows, cells, weights = vote_cells(votes, strong_weight=settings.strong_weight, tie_weight=settings.tie_weight)
    unit = np.array([item_index.get(votes.items[i], -1) for i in votes.item[rows]], dtype=np.int64)
    keep = unit >= 0
    n_local = len(votes.models)
    local = csr_matrix((weights[keep], (unit[keep], cells[keep])), shape=(len(item_index), n_local * n_local))
    pseudo = _pseudo_items(votes, rows[keep], unit[keep])
    return _readdressed(local, votes, models), _readdressed(pseudo, votes, models)


def _anchored(before: np.ndarray, after: np.ndarray, common: np.ndarray) -> np.ndarray:
    change = after[..., common] - before[..., common]
    return ELO_PER_STRENGTH * (change - np.median(change, axis=-1, keepdims=True))


def score_changes(before: Votes, after: Votes, settings: ScoringSettings | None = None) -> ScoreChanges:
    """Paired item-bootstrap intervals for each model's score change between two rounds.

    Parameters
    ----------
    before, after : Votes
        The two rounds' votes. Only items present (by name) in both count; models
        ranked in one round only take part in the fits but get no change.
    settings : ScoringSettings, optional
        Vote selection, pooling, weights, ridge, rounds, level and seed, as for
        `rank_models` (the reference setting is not used: changes are anchored on the
        median model).

    Returns
    -------
    ScoreChanges

    Raises
    ------
    ScoringError
        Fewer than two shared items, or fewer than two models in common.
    """
    settings = settings or ScoringSettings()
    first, second = prepare_votes(before, settings).votes, prepare_votes(after, settings).votes
    shared = sorted(set(np.asarray(first.items)[np.unique(first.item)]) &
                    set(np.asarray(second.items)[np.unique(second.item)]))
    if len(shared) < 2:
        raise ScoringError(f"the rounds share {len(shared)} item(s) with votes: a paired comparison needs two or more")
    common_names = tuple(m for m in first.models if m in set(second.models))
    if len(common_names) < 2:
        raise ScoringError("fewer than two models were ranked in both rounds: nothing to compare")
    models = tuple(dict.fromkeys(first.models + second.models))
    common = np.array([models.index(m) for m in common_names])
    item_index = {item: k for k, item in enumerate(shared)}
    units = [_contributions(v, item_index, models, settings) for v in (first, second)]
    n, k = len(models), len(shared)
    # Each round's point is `rank_models`'s: its votes and the prior's pseudo-units at their mean weight.
    point = [fit_bradley_terry(np.asarray(u.sum(axis=0) + settings.prior_items * pseudo.sum(axis=0)).reshape(n, n),
                               alpha=settings.alpha) for u, pseudo in units]
    delta = _anchored(point[0], point[1], common)
    rng = np.random.default_rng(settings.seed)

    def fits(weights: np.ndarray, prior: Sequence[np.ndarray | None]) -> np.ndarray:
        size = weights.shape[1]
        both = []
        for (u, pseudo), start, extra in zip(units, point, prior):
            wins = u.T @ weights + (pseudo.T @ extra if extra is not None else 0.0)
            both.append(fit_bradley_terry(np.ascontiguousarray(wins.T).reshape(size, n, n), alpha=settings.alpha,
                                          start=np.broadcast_to(start, (size, n)).copy()))
        return _anchored(both[0], both[1], common)

    draws, prior_draws = [], []
    for done in range(0, settings.rounds, 250):
        size = min(250, settings.rounds - done)
        # One draw of the shared items serves both rounds: the pairing.
        counts = np.stack([np.bincount(rng.integers(0, k, k), minlength=k) for _ in range(size)], axis=1)
        draws.append(fits(counts.astype(np.float64), [None, None]))
        if settings.prior_items > 0:
            weights = rng.standard_exponential((k, size))
            prior = [rng.standard_gamma(settings.prior_items, (pseudo.shape[0], size)) for _, pseudo in units]
            prior_draws.append(fits(weights, prior))
    # The bootstrap's spread underestimates the sampling spread by (k − 1)/k in
    # variance over k items; expanding the draws by its root keeps the false-change rate
    # at the nominal level on the 20–50 items councils have (Hesterberg, 2015, §4).
    expand = np.sqrt(k / (k - 1))
    lower, upper = percentile_intervals(delta + expand * (np.concatenate(draws) - delta), settings.level)
    if prior_draws:
        prior_lower, prior_upper = percentile_intervals(delta + expand * (np.concatenate(prior_draws) - delta),
                                                        settings.level)
        lower, upper = np.minimum(lower, prior_lower), np.maximum(upper, prior_upper)
    significant = (lower > 0) | (upper < 0)
    return ScoreChanges(common_names, delta, lower, upper, significant, len(shared))


@dataclass(frozen=True)
class PreferenceShift:
    """How much judges prefer a model's new answers to its previous answers to the same
    items: the mean verdict from the new answer's side (−2 … 2, 0 = no preference) with
    its item-bootstrap interval; ``changed`` when the interval excludes 0."""

    mean: float
    lower: float
    upper: float
    n_votes: int
    n_items: int

    @property
    def changed(self) -> bool:
        return self.n_items >= 2 and (self.lower > 0 or self.upper < 0)


def preference_shift(item: np.ndarray, outcome: np.ndarray, *, rounds: int = 2000, level: float = 0.95,
                     seed: int = 0) -> PreferenceShift:
    """The judges' consensus preference between a model's new and previous answers.

    Parameters
    ----------
    item : numpy.ndarray
        The item of each vote (any labels); items are the resampled units.
    outcome : numpy.ndarray
        Each verdict as seen from the new answer (2 = new much better … −2 = previous
        much better; ``UNSCORED`` votes are left out). Votes of both orders count, so
        position bias cancels.
    rounds, level, seed :
        Bootstrap resamples, interval level and generator seed.
    """
    item, outcome = np.asarray(item), np.asarray(outcome, dtype=np.float64)
    scored = outcome != UNSCORED
    _, unit = np.unique(item[scored], return_inverse=True)
    values = outcome[scored]
    n_items = int(unit.max()) + 1 if len(unit) else 0
    if n_items == 0:
        return PreferenceShift(float("nan"), float("nan"), float("nan"), 0, 0)
    sums, sizes = np.bincount(unit, values, n_items), np.bincount(unit, minlength=n_items).astype(np.float64)
    rng = np.random.default_rng(seed)
    counts = np.stack([np.bincount(rng.integers(0, n_items, n_items), minlength=n_items) for _ in range(rounds)])
    means = (counts @ sums) / (counts @ sizes)
    lower, upper = percentile_intervals(means, level)
    return PreferenceShift(float(values.mean()), float(lower), float(upper), int(len(values)), n_items)
