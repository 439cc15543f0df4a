"""Bradley–Terry maximum-likelihood fits on aggregated win counts.

The Bradley–Terry model (Bradley & Terry, 1952) gives model ``i`` a log-strength
``s_i`` with ``P(i beats j) = 1 / (1 + exp(s_j - s_i))``. The Language Model Council
(Zhao et al., 2024, arXiv 2406.08598) and Chatbot Arena (Chiang et al., 2024) fit it
by logistic regression on one row per vote; the likelihood only depends on the win
counts per ordered pair, so we fit on the ``n × n`` count matrix instead, which makes
a fit cost the same for 1,000 or 1,000,000 votes and lets a thousand bootstrap fits
run as one batched Newton iteration.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from scoring.errors import DisconnectedComparisonsError
from scoring.votes import UNSCORED, Votes

__all__ = [
    "DEFAULT_ALPHA",
    "check_connected",
    "fit_bradley_terry",
    "vote_cells",
    "win_matrix",
    "win_probabilities",
]

#: Ridge ``alpha * sum(s**2)`` (choix's convention): a Gaussian prior of variance
#: ``1 / (2 alpha)`` on each log-strength. Weak enough to leave council-sized data
#: unchanged to ~1e-4, strong enough that a model that never lost stays finite.
DEFAULT_ALPHA = 0.01


def vote_cells(
    votes: Votes, *, strong_weight: float = 1.0, tie_weight: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spread each scored vote over cells ``winner * n + loser`` of a win matrix.

    Parameters
    ----------
    votes : Votes
    strong_weight : float
        Weight of a strong verdict (A>>B, B>>A); a plain win weighs 1.
    tie_weight : float
        Win credited to *each* side of a tie: 0.5 makes a tie one vote split in two
        (the paper's Table 1); the paper's code in the mean-pooling era used 1.

    Returns
    -------
    rows, cells, weights : numpy.ndarray
        The vote each entry comes from (ties give two entries), its cell, its weight.
    """
    n = len(votes.models)
    rows = np.flatnonzero(votes.outcome != UNSCORED)
    outcome = votes.outcome[rows]
    a = votes.model_a[rows].astype(np.int64)
    b = votes.model_b[rows].astype(np.int64)
    decided = outcome != 0
    winner = np.where(outcome > 0, a, b)[decided]
    loser = np.where(outcome > 0, b, a)[decided]
    weight = np.where(np.abs(outcome[decided]) == 2, float(strong_weight), 1.0)
    tied = ~decided
    tie_rows = rows[tied]
    all_rows = np.concatenate([rows[decided], tie_rows, tie_rows])
    cells = np.concatenate([winner * n + loser, a[tied] * n + b[tied], b[tied] * n + a[tied]])
    weights = np.concatenate([weight, np.full(2 * tied.sum(), float(tie_weight))])
    return all_rows, cells, weights


def win_matrix(votes: Votes, *, strong_weight: float = 1.0, tie_weight: float = 0.5) -> np.ndarray:
    """Weighted wins: entry ``[i, j]`` is how much ``i`` won against ``j``.

    See `vote_cells` for the weights. Unscored votes contribute nothing.
    """
    n = len(votes.models)
    _, cells, weights = vote_cells(votes, strong_weight=strong_weight, tie_weight=tie_weight)
    return np.bincount(cells, weights=weights, minlength=n * n).reshape(n, n)


def check_connected(wins: np.ndarray, names: tuple[str, ...] | None = None) -> None:
    """Raise `DisconnectedComparisonsError` unless every model is linked to every other
    by a chain of comparisons."""
    n = wins.shape[0]
    if n < 2:
        return
    # A breadth-first search on the dense matrix: this runs once per fit, thousands of
    # times in the judge bootstraps, where scipy's csgraph costs ~10x more per call
    # (213 µs against 23 µs for 20 models, measured).
    linked = (wins + wins.T) > 0
    group = np.full(n, -1)
    count = 0
    for start in range(n):
        if group[start] >= 0:
            continue
        group[start] = count
        frontier = [start]
        while frontier:
            reached = np.flatnonzero(linked[frontier].any(axis=0) & (group < 0))
            group[reached] = count
            frontier = list(reached)
        count += 1
    if count > 1:
        names = names or tuple(str(i) for i in range(n))
        groups = [[names[i] for i in np.flatnonzero(group == label)] for label in range(count)]
        raise DisconnectedComparisonsError(sorted(groups, key=len, reverse=True))


class _PairwiseData:
    """Win counts as a list of the model pairs compared anywhere in a batch.

    A council's design compares few of the ``n²`` cells (every model against one
    reference: ``n − 1`` pairs), and the ``(i, j)`` and ``(j, i)`` cells of a pair share
    one probability; so every step works on ``(batch, pairs)`` arrays, and the Hessian
    is one matrix product with the pairs' outer products.
    """

    def __init__(self, wins: np.ndarray) -> None:
        n = wins.shape[-1]
        anywhere = wins.any(axis=0)
        self.first, self.second = np.nonzero(np.triu(anywhere | anywhere.T, k=1))
        self.won = wins[:, self.first, self.second]  # the first of the pair over the second
        self.lost = wins[:, self.second, self.first]
        self.totals = self.won + self.lost
        # A star (every compared pair holds one model, the hub: a reference design)
        # has an arrow-shaped Hessian, solved in O(n) instead of O(n³).
        counts = np.bincount(np.concatenate([self.first, self.second]), minlength=n)
        hubs = np.flatnonzero(counts == len(self.first)) if len(self.first) > 1 else np.zeros(0, dtype=int)
        self.hub = int(hubs[0]) if len(hubs) else None
        if self.hub is not None:
            self.spoke = np.where(self.first == self.hub, self.second, self.first)
        incidence = np.zeros((len(self.first), n))
        incidence[np.arange(len(self.first)), self.first] = 1.0
        incidence[np.arange(len(self.first)), self.second] = -1.0
        self.incidence = incidence
        self.outer = (incidence[:, :, None] * incidence[:, None, :]).reshape(len(self.first), n * n)

    def newton_step(self, gradient: np.ndarray, curvature: np.ndarray, ridge: float) -> np.ndarray:
        """Solve (Laplacian(curvature) + ridge·I + 11ᵀ/n) step = gradient, for gradients
        summing to 0 (so the 11ᵀ/n term, which only fixes the shift, drops out)."""
        batch, n = gradient.shape
        if self.hub is None:
            hessian = (curvature @ self.outer).reshape(batch, n, n) + ridge * np.eye(n) + 1.0 / n
            return np.linalg.solve(hessian, gradient[..., None])[..., 0]
        # Arrow system: spokes m see only the hub h. With Σ g = 0 the hub's equation
        # reduces without cancellation to x_h = −Σ g_m/(c_m+λ) / (1 + Σ c_m/(c_m+λ)).
        c = np.zeros((batch, n))
        c[:, self.spoke] = curvature
        spokes = np.ones(n, dtype=bool)
        spokes[self.hub] = False
        g = gradient - gradient.mean(axis=-1, keepdims=True)
        inverse = 1.0 / (c[:, spokes] + ridge)
        hub = -(g[:, spokes] * inverse).sum(axis=-1) / (1.0 + (c[:, spokes] * inverse).sum(axis=-1))
        step = np.empty_like(g)
        step[:, self.hub] = hub
        step[:, spokes] = (g[:, spokes] + c[:, spokes] * hub[:, None]) * inverse
        return step

    def difference(self, s: np.ndarray) -> np.ndarray:
        return s[:, self.first] - s[:, self.second]

    def log_posterior(self, s: np.ndarray, rows: np.ndarray, alpha: float) -> np.ndarray:
        # won·log σ(d) + lost·log σ(−d) = totals·log σ(d) − lost·d
        d = self.difference(s)
        return (-(self.totals[rows] * np.logaddexp(0.0, -d)) - self.lost[rows] * d).sum(axis=-1) - alpha * (
            s * s
        ).sum(axis=-1)


def fit_bradley_terry(
    wins: np.ndarray,
    *,
    alpha: float = DEFAULT_ALPHA,
    tol: float = 1e-10,
    max_iter: int = 200,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Maximum a-posteriori Bradley–Terry log-strengths from win counts.

    Maximises ``sum_ij W_ij log σ(s_i − s_j) − alpha · sum_i s_i²`` by damped Newton
    steps, all matrices of a batch at once.

    Parameters
    ----------
    wins : numpy.ndarray, shape (n, n) or (batch, n, n)
        ``wins[..., i, j]``: weighted wins of ``i`` over ``j`` (may be fractional).
    alpha : float
        Ridge strength (choix's ``alpha``). ``0`` gives the plain maximum-likelihood
        estimate, which exists only when every model both won and lost within a
        strongly connected comparison graph.
    tol : float
        Stop when no log-strength moves by more than this.
    max_iter : int
    start : numpy.ndarray, shape (n,) or (batch, n), optional
        Where Newton's method starts (default 0): the full data's fit is a good start
        for its bootstrap resamples, which then take a few steps instead of many.

    Returns
    -------
    numpy.ndarray, shape (n,) or (batch, n)
        Log-strengths, centred to mean 0 within each fit.

    Notes
    -----
    The likelihood is invariant to adding a constant to every ``s``; Newton steps
    are taken in the mean-zero subspace (adding ``11ᵀ/n`` to the negative Hessian),
    which keeps ``alpha = 0`` solvable on connected data.
    """
    wins = np.asarray(wins, dtype=np.float64)
    single = wins.ndim == 2
    if single:
        wins = wins[None]
    batch, n, _ = wins.shape
    s = np.zeros((batch, n)) if start is None else np.array(np.broadcast_to(start, (batch, n)), dtype=np.float64)
    s -= s.mean(axis=-1, keepdims=True)
    if n < 2:
        return s[0] if single else s
    data = _PairwiseData(wins)
    scale = np.maximum(1.0, data.totals.sum(axis=-1))
    # 1e-9 on the diagonal keeps the Newton system solvable when a bootstrap draw
    # leaves a model without comparisons or (with alpha = 0) without a single win.
    ridge = 2.0 * alpha + 1e-9
    active = np.ones(batch, dtype=bool)
    # Log-posterior at the current s, carried from one line search to the next.
    value = data.log_posterior(s, np.arange(batch), alpha)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        sa = s[idx]
        p = expit(data.difference(sa))  # P(first of the pair beats the second)
        gradient = (data.won[idx] - data.totals[idx] * p) @ data.incidence - 2.0 * alpha * sa
        curvature = data.totals[idx] * p * (1.0 - p)
        step = data.newton_step(gradient, curvature, ridge)
        step -= step.mean(axis=-1, keepdims=True)
        step, value[idx] = _damped(sa, step, data, idx, alpha, value[idx])
        s[idx] = sa + step
        # Done when steps are tiny, or when the gradient is at rounding level: along a
        # near-flat direction (a model that never lost, tiny alpha) the Newton step is
        # rounding noise divided by a tiny curvature and never drops below tol.
        flat = np.abs(gradient).max(axis=-1) <= 1e-12 * scale[idx]
        active[idx] = (np.abs(step).max(axis=-1) > tol) & ~flat
    s -= s.mean(axis=-1, keepdims=True)
    return s[0] if single else s


def _damped(
    s: np.ndarray, step: np.ndarray, data: _PairwiseData, rows: np.ndarray, alpha: float, current: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Halve each fit's Newton step until its log-posterior does not decrease.

    Newton's method on the logistic likelihood can overshoot when a model nearly
    never loses; a per-fit backtracking keeps every fit of a batch monotone. Returns
    the steps taken and the log-posterior where they land (``current`` is where they
    start); a fit whose step never stops decreasing it does not move.
    """
    # Long steps only happen far from the optimum: cap them before testing.
    largest = np.abs(step).max(axis=-1, keepdims=True)
    step = step * np.minimum(1.0, 4.0 / np.maximum(largest, 1e-300))
    scale = np.ones(len(s))
    landed = current.copy()
    pending = np.ones(len(s), dtype=bool)
    for _ in range(30):
        idx = np.flatnonzero(pending)
        if idx.size == 0:
            break
        trial = s[idx] + scale[idx, None] * step[idx]
        trial_value = data.log_posterior(trial, rows[idx], alpha)
        better = trial_value >= current[idx] - 1e-12 * np.abs(current[idx])
        landed[idx[better]] = trial_value[better]
        pending[idx[better]] = False
        scale[idx[~better]] *= 0.5
    scale[pending] = 0.0
    return scale[:, None] * step, landed


def win_probabilities(strengths: np.ndarray) -> np.ndarray:
    """``P[i, j]``: probability that ``i`` beats ``j`` under log-strengths ``strengths``."""
    s = np.asarray(strengths, dtype=np.float64)
    return expit(s[..., :, None] - s[..., None, :])
