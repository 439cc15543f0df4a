"""Judge metrics honest at the boundary: a Bayesian bootstrap over items with prior
pseudo-items, the device that keeps the leaderboard's intervals from collapsing.

A judge consistent on 24 pairs out of 24 gives every item-bootstrap resample the same
24 out of 24, so the percentile interval of its consistency is [1, 1]; two judges that
always agree give κ = 1 in every resample. As in `scoring.rank_models`, each interval is
then the wider, bound by bound, of the percentile bootstrap's and that of a Bayesian
bootstrap (Rubin, 1981) whose Dirichlet weights also cover ``prior_items`` pseudo-items
per outcome, each as large as an average real item of the statistic: a
Dirichlet-process posterior centred on "every outcome equally likely". For a share
over items of one vote each, s successes out of n then draw from Beta(s + 1, n − s + 1),
the Bayes–Laplace posterior (24 of 24: a 95% lower bound of 0.86, next to the exact
binomial 0.858); with hundreds of items the pseudo-items weigh nothing.

Every statistic here is a function of per-item sums: shares of counts, and Cohen's κ
of a 2 × 2 table of sides, so a draw is a product of its item table with the draw's
item weights.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kappa_from_cells", "kappa_draws", "item_weight_draws", "share_draws"]


def item_weight_draws(n_items: int, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """Rubin's Bayesian-bootstrap weights on the items: ``(rounds, n_items)``
    standard exponentials (normalised, they are flat Dirichlet draws)."""
    return rng.standard_exponential((rounds, n_items))


def _volume(totals: np.ndarray) -> np.ndarray:
    """Average size of an item that holds any of a statistic's sample (last axis: items)."""
    present = (totals > 0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present > 0, totals.sum(axis=-1) / np.maximum(present, 1), 0.0)


def share_draws(hits: np.ndarray, totals: np.ndarray, weights: np.ndarray, prior_items: float,
                rng: np.random.Generator) -> np.ndarray:
    """Bayesian-bootstrap draws of shares ``hits / totals`` with a pseudo-item on each side.

    Parameters
    ----------
    hits, totals : numpy.ndarray, shape (..., n_items)
        Per item: how many of the statistic's votes count, and how many there are.
    weights : numpy.ndarray, shape (rounds, n_items)
        `item_weight_draws`, shared by every statistic of one resample.
    prior_items : float
        Shape of each pseudo-item's Gamma weight (its mean weight).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (rounds, ...)
        NaN where a share has no votes.
    """
    shape = hits.shape[:-1]
    flat_hits, flat_totals = hits.reshape(-1, hits.shape[-1]), totals.reshape(-1, totals.shape[-1])
    volume = _volume(flat_totals)
    rounds = weights.shape[0]
    won, lost = (rng.standard_gamma(prior_items, (rounds, len(volume))) for _ in range(2))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (weights @ flat_hits.T + won * volume) / (weights @ flat_totals.T + (won + lost) * volume)
    share[:, volume == 0] = np.nan
    return share.reshape((rounds,) + shape)


def kappa_from_cells(cells: np.ndarray) -> np.ndarray:
    """Cohen's κ of 2 × 2 tables of sides, cells ``(first, first), (first, second),
    (second, first), (second, second)`` on the last axis; NaN where chance agreement is
    certain (both always on one side) or the table is empty."""
    ff, fs, sf, ss = (cells[..., k] for k in range(4))
    total = ff + fs + sf + ss
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (ff + ss) / total
        expected = ((ff + fs) * (ff + sf) + (sf + ss) * (fs + ss)) / total**2
        kappa = (observed - expected) / (1.0 - expected)
    return np.where(np.isclose(expected, 1.0) | (total == 0), np.nan, kappa)


def kappa_draws(cells: np.ndarray, weights: np.ndarray, prior_items: float, rng: np.random.Generator) -> np.ndarray:
    """Bayesian-bootstrap draws of Cohen's κ with a pseudo-item in each cell of the table
    (a flat Dirichlet prior on the four cell probabilities).

    Parameters
    ----------
    cells : numpy.ndarray, shape (..., n_items, 4)
        Per item, the four cells of the table of sides (`kappa_from_cells`).
    weights, prior_items, rng :
        As for `share_draws`.

    Returns
    -------
    numpy.ndarray, shape (rounds, ...)
    """
    shape, n_items = cells.shape[:-2], cells.shape[-2]
    flat = cells.reshape(-1, n_items, 4)
    volume = _volume(flat.sum(axis=-1))
    rounds = weights.shape[0]
    drawn = np.einsum("ri,gic->rgc", weights, flat)
    drawn += rng.standard_gamma(prior_items, (rounds, len(volume), 4)) * volume[None, :, None]
    kappa = kappa_from_cells(drawn)
    kappa[:, volume == 0] = np.nan
    return kappa.reshape((rounds,) + shape)
