"""Bootstrap distributions of Bradley–Terry strengths.

Votes on one item are not independent: every judge reads the same two answers, and a
weak answer loses with most judges. Resampling single votes, as the Language Model
Council's code (Zhao et al., 2024, arXiv 2406.08598) and Arena-Hard-Auto (Li et al.,
2024) do, treats them as independent and gives intervals that are far too narrow. The
cluster bootstrap (Davison & Hinkley, 1997, §3.8; Field & Welsh, 2007) resamples whole
items with all their votes, which is the unit a new test set would redraw.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.sparse import csr_matrix

from scoring.bradley_terry import DEFAULT_ALPHA, fit_bradley_terry, vote_cells
from scoring.votes import Votes

__all__ = [
    "bootstrap_ratings", "pair_volumes", "point_win_matrix", "resample_items", "resampled_win_matrices", "take_items",
]

Resample = Literal["item", "vote"]

#: Rounds fitted together: bounds memory to ~chunk × n² floats for any council size.
_CHUNK = 250
#: Bound on unit draws held at once (chunk × units), ~160 MB of int64.
_MAX_DRAWS = 20_000_000


def _units(votes: Votes, resample: Resample, strong_weight: float, tie_weight: float, with_prior: bool):
    n = len(votes.models)
    rows, cells, weights = vote_cells(votes, strong_weight=strong_weight, tie_weight=tie_weight)
    if resample == "item":
        unit, n_units = votes.item[rows], len(votes.items)
    elif resample == "vote":
        # Units are the scored votes themselves; ties span two entries of one unit.
        unique_rows, unit = np.unique(rows, return_inverse=True)
        n_units = len(unique_rows)
    else:
        raise ValueError(f"unknown resampling unit {resample!r}; use 'item' or 'vote'")
    # One row per unit with its summed contribution to the n × n win matrix.
    contribution = csr_matrix((weights, (unit, cells)), shape=(n_units, n * n))
    present = np.flatnonzero(np.diff(contribution.indptr) > 0)
    return contribution[present], len(present), _pseudo_items(votes, rows, unit) if with_prior else None


def _pseudo_items(votes: Votes, rows: np.ndarray, unit: np.ndarray) -> csr_matrix:
    """Two prior pseudo-units per compared pair, one won by each side, each holding as
    many votes (plain wins) as an average unit that compares the pair."""
    n = len(votes.models)
    # Each scored vote once: a tie spans two entries of one row.
    _, once = np.unique(rows, return_index=True)
    i, j, volume = pair_volumes(votes.model_a[rows[once]], votes.model_b[rows[once]], unit[once], n)
    cells = np.concatenate([i * n + j, j * n + i])
    return csr_matrix((np.concatenate([volume, volume]), (np.arange(2 * len(i)), cells)),
                      shape=(2 * len(i), n * n))


def pair_volumes(a: np.ndarray, b: np.ndarray, unit: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pair compared in ``(a[k], b[k])`` once (lower index first), and how many
    comparisons an average resampling unit that compares it holds: the size of the
    prior's pseudo-units."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    pairs, pair_of = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_inverse=True)
    comparisons = np.bincount(pair_of, minlength=len(pairs))
    units = np.bincount(np.unique(unit.astype(np.int64) * len(pairs) + pair_of) % len(pairs), minlength=len(pairs))
    return pairs // n, pairs % n, comparisons / units


def point_win_matrix(votes: Votes, *, resample: Resample = "item", strong_weight: float = 1.0,
                     tie_weight: float = 0.5, prior_items: float = 0.0) -> np.ndarray:
    """The win matrix a point estimate fits: the votes' wins plus, for every compared
    pair, ``prior_items`` pseudo-units won by each side (the volume of an average unit).

    These are the Bayesian bootstrap's wins at its mean weights (each unit's Dirichlet
    weight has mean 1, each pseudo-unit's ``prior_items``), so the point is the fit
    the boundary-honest intervals are centred on: for one pair and one vote per item,
    10 wins out of 10 give odds of 11 to 1, the mean of the Bayes–Laplace posterior
    Beta(11, 1), where the plain fit's odds are set by the ridge alone. With hundreds
    of units per pair the pseudo-units weigh almost nothing.
    """
    n = len(votes.models)
    contribution, _, pseudo = _units(votes, resample, strong_weight, tie_weight, prior_items > 0)
    wins = np.asarray(contribution.sum(axis=0)).reshape(n, n)
    if pseudo is not None:
        wins = wins + prior_items * np.asarray(pseudo.sum(axis=0)).reshape(n, n)
    return wins


def resampled_win_matrices(
    votes: Votes,
    *,
    rounds: int,
    resample: Resample = "item",
    rng: np.random.Generator,
    strong_weight: float = 1.0,
    tie_weight: float = 0.5,
    prior_items: float = 0.0,
):
    """Yield batches of win matrices, each from one bootstrap resample of the units.

    Units (items, or votes) are drawn with replacement, as many as there are units
    that hold at least one scored vote; a unit drawn k times counts k times.

    Yields
    ------
    numpy.ndarray, shape (batch, n, n)
    """
    n = len(votes.models)
    contribution, n_units, pseudo = _units(votes, resample, strong_weight, tie_weight, prior_items > 0)
    if n_units == 0:
        raise ValueError("no scored votes to resample")
    per_chunk = max(1, min(_CHUNK, _MAX_DRAWS // n_units))
    done = 0
    while done < rounds:
        size = min(per_chunk, rounds - done)
        if prior_items > 0:
            # Rubin's (1981) Bayesian bootstrap: Dirichlet weights on the units, here
            # with the prior's pseudo-units among them (a Dirichlet process posterior).
            wins = contribution.T @ rng.standard_exponential((n_units, size))
            wins += pseudo.T @ rng.standard_gamma(prior_items, (pseudo.shape[0], size))
            yield np.ascontiguousarray(wins.T).reshape(size, n, n)
            done += size
            continue
        # How often each unit is drawn in each round: multinomial counts, obtained by
        # counting uniform draws (several times faster than rng.multinomial).
        drawn = rng.integers(0, n_units, size=(size, n_units))
        # Laid out unit-major so the sparse product reads it without a transposed copy.
        drawn *= size
        drawn += np.arange(size)[:, None]
        counts = np.bincount(drawn.reshape(-1), minlength=size * n_units).reshape(n_units, size)
        wins = contribution.T @ counts.astype(np.float64)
        yield np.ascontiguousarray(wins.T).reshape(size, n, n)
        done += size


def bootstrap_ratings(
    votes: Votes,
    *,
    rounds: int = 1000,
    resample: Resample = "item",
    seed: int | None = 0,
    rng: np.random.Generator | None = None,
    strong_weight: float = 1.0,
    tie_weight: float = 0.5,
    alpha: float = DEFAULT_ALPHA,
    prior_items: float = 0.0,
) -> np.ndarray:
    """Bootstrap draws of the Bradley–Terry log-strengths.

    Parameters
    ----------
    votes : Votes
        The votes to fit, already filtered and aggregated.
    rounds : int
        Number of bootstrap resamples.
    resample : {"item", "vote"}
        ``"item"`` (default) resamples items with all their votes, the cluster
        bootstrap; ``"vote"`` resamples single votes as the paper's code does.
    seed, rng :
        ``rng`` if given, else ``numpy.random.default_rng(seed)``.
    strong_weight, tie_weight, alpha :
        As for `win_matrix` and `fit_bradley_terry`.

    Returns
    -------
    numpy.ndarray, shape (rounds, n_models)
        Centred log-strengths, one row per resample.
    """
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    rng = rng if rng is not None else np.random.default_rng(seed)
    draws = [
        fit_bradley_terry(wins, alpha=alpha)
        for wins in resampled_win_matrices(
            votes, rounds=rounds, resample=resample, rng=rng, strong_weight=strong_weight, tie_weight=tie_weight,
            prior_items=prior_items,
        )
    ]
    return np.concatenate(draws, axis=0)


def resample_items(votes: Votes, rng: np.random.Generator) -> tuple[Votes, np.ndarray]:
    """One cluster-bootstrap resample: items drawn with replacement, with all their votes.

    Items without votes are not drawn (as in `bootstrap_ratings`, only items that
    hold votes are units); see `take_items` for the layout.

    Returns
    -------
    resampled : Votes
    drawn : numpy.ndarray of int
        The original item of each new item, to carry per-item data (answer lengths).
    """
    present = np.flatnonzero(np.bincount(votes.item, minlength=len(votes.items)))
    drawn = present[rng.integers(0, len(present), size=len(present))]
    return take_items(votes, drawn), drawn


def take_items(votes: Votes, drawn: np.ndarray) -> Votes:
    """The votes of the ``drawn`` items (indices, repeats allowed), in that order.

    Each drawn copy of an item becomes its own item (named ``"<item>#<k>"`` for the
    k-th draw), so couplets and vote keys stay within one copy and a statistic that
    pairs votes by key never pairs two copies.
    """
    drawn = np.asarray(drawn, dtype=np.int64)
    order = np.argsort(votes.item, kind="stable")
    sizes = np.bincount(votes.item, minlength=len(votes.items))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lengths = sizes[drawn]
    copy = np.repeat(np.arange(len(drawn)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = order[starts[drawn][copy] + offsets]
    return Votes(
        item=copy,
        judge=votes.judge[rows],
        model_a=votes.model_a[rows],
        model_b=votes.model_b[rows],
        outcome=votes.outcome[rows],
        items=tuple(f"{votes.items[i]}#{k}" for k, i in enumerate(drawn)),
        judges=votes.judges,
        models=votes.models,
        n_unknown=votes.n_unknown,
    )
