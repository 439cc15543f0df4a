"""Answer length and verdicts: length bias, and a length-controlled Bradley–Terry.

Lengths come as an ``(n_items, n_models)`` array aligned with ``Votes.items`` and
``Votes.models`` (words per answer, NaN where unknown); votes whose answers have no
length are left out of these measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from scoring._json import HasEstimates
from scoring.votes import UNSCORED, Votes

__all__ = [
    "LengthBias", "LengthControlled", "length_bias", "length_difference", "length_log_ratio", "length_summary",
    "rank_models_length_controlled", "word_count",
]


def word_count(text: str) -> int:
    """Words of an answer as the paper's code counts them: whitespace-separated runs."""
    return len(text.split())


def length_summary(words) -> dict[str, float]:
    """count, mean, std (n − 1), min, quartiles (linear interpolation) and max: the
    table the paper's code prints per respondent."""
    words = np.asarray(words, dtype=float)
    q1, median, q3 = np.percentile(words, [25, 50, 75])
    return {
        "count": float(len(words)), "mean": float(words.mean()), "std": float(words.std(ddof=1)),
        "min": float(words.min()), "25%": float(q1), "50%": float(median), "75%": float(q3), "max": float(words.max()),
    }


def _pair_lengths(votes: Votes, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.asarray(lengths, dtype=float)
    expected = (len(votes.items), len(votes.models))
    if lengths.shape != expected:
        raise ValueError(f"lengths must have shape (n_items, n_models) = {expected}, got {lengths.shape}")
    return lengths[votes.item, votes.model_a], lengths[votes.item, votes.model_b]


def length_difference(votes: Votes, lengths: np.ndarray) -> np.ndarray:
    """Words of the first answer minus words of the second, per vote (NaN if unknown)."""
    first, second = _pair_lengths(votes, lengths)
    return first - second


def length_log_ratio(votes: Votes, lengths: np.ndarray) -> np.ndarray:
    """log2((words of first + 1) / (words of second + 1)) per vote: +1 means the first
    answer is twice as long. The +1 keeps empty answers finite."""
    first, second = _pair_lengths(votes, lengths)
    return np.log2((first + 1.0) / (second + 1.0))


@dataclass(frozen=True, eq=False)
class LengthBias:
    """How much answer length explains each judge's verdicts.

    Per vote, y is +1 when the first answer's side won, −1 for the second, 0 for a tie,
    and x the words of the first answer minus the second's (the paper's §5.3 and its
    code). ``r2`` is the R² of the least-squares line of y on x, ``slope`` its slope
    in verdict units per 100 words, ``n_votes`` the votes with both lengths known. The
    ``council_*`` fields pool every judge's votes. NaN where x or y never varies.
    """

    judges: tuple[str, ...]
    r2: np.ndarray
    slope: np.ndarray
    n_votes: np.ndarray
    council_r2: float
    council_slope: float
    council_n_votes: int


def _line(group: np.ndarray, x: np.ndarray, y: np.ndarray, n_groups: int):
    count = np.bincount(group, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = np.bincount(group, x, n_groups) / count
        mean_y = np.bincount(group, y, n_groups) / count
        dx, dy = x - mean_x[group], y - mean_y[group]
        sxx = np.bincount(group, dx * dx, n_groups)
        syy = np.bincount(group, dy * dy, n_groups)
        sxy = np.bincount(group, dx * dy, n_groups)
        slope = sxy / sxx
        r2 = sxy * sxy / (sxx * syy)
    varies = (sxx > 0) & (syy > 0)
    return np.where(varies, r2, np.nan), np.where(sxx > 0, slope * 100.0, np.nan), count.astype(int)


def length_bias(votes: Votes, lengths: np.ndarray) -> LengthBias:
    """R² and slope of each judge's verdict side on the answers' word difference."""
    difference = length_difference(votes, lengths)
    usable = (votes.outcome != UNSCORED) & np.isfinite(difference) & (votes.judge >= 0)
    x = difference[usable]
    y = np.sign(votes.outcome[usable]).astype(float)
    judge = votes.judge[usable]
    r2, slope, count = _line(judge, x, y, len(votes.judges))
    council_r2, council_slope, council_count = _line(np.zeros(len(x), dtype=np.int64), x, y, 1)
    return LengthBias(votes.judges, r2, slope, count, float(council_r2[0]), float(council_slope[0]),
                      int(council_count[0]))


def _logistic_fit(a, b, won, lost, z, n_models, alpha, start=None, max_iter=100, tol=1e-10):
    """MAP of σ(s_a − s_b + γ z) with ridge ``alpha·(Σs² + γ²)``, by Newton.

    The ridge on γ keeps it finite when verdicts follow length perfectly (complete
    separation), as the ridge on ``s`` does for a model that never lost.

    ``won``/``lost`` are the win credits of the first/second model per comparison.
    Returns centred strengths and γ.
    """
    n = n_models
    theta = np.zeros(n + 1) if start is None else start.copy()
    total = won + lost
    cell_ab, cell_ba, cell_aa, cell_bb = a * n + b, b * n + a, a * n + a, b * n + b
    cells = np.concatenate([cell_ab, cell_ba, cell_aa, cell_bb])
    for _ in range(max_iter):
        s, gamma = theta[:-1], theta[-1]
        p = expit(s[a] - s[b] + gamma * z)
        residual = won - total * p
        w = total * p * (1 - p)
        grad = np.empty(n + 1)
        grad[:-1] = np.bincount(a, residual, n) - np.bincount(b, residual, n) - 2 * alpha * s
        grad[-1] = residual @ z - 2 * alpha * gamma
        hessian = np.empty((n + 1, n + 1))
        hessian[:-1, :-1] = np.bincount(cells, np.concatenate([-w, -w, w, w]), n * n).reshape(n, n)
        hz = np.bincount(a, w * z, n) - np.bincount(b, w * z, n)
        hessian[:-1, -1] = hz
        hessian[-1, :-1] = hz
        hessian[-1, -1] = w @ (z * z) + 2 * alpha
        # The ridge, and (for alpha = 0) a pin on the strengths' sum, which the
        # likelihood leaves free: 1 is then an eigenvector with a step of zero.
        hessian[:-1, :-1] += 2 * alpha * np.eye(n) + 1.0 / n
        # 1e-9 on the diagonal, as in fit_bradley_terry: solvable when a resample
        # leaves a model without comparisons or lengths that never differ.
        step = np.linalg.solve(hessian + 1e-9 * np.eye(n + 1), grad)
        # Undamped Newton can overshoot from far away (a model that never lost).
        largest = np.max(np.abs(step))
        if largest > 2.0:
            step *= 2.0 / largest
        theta = theta + step
        if largest < tol:
            break
    theta[:-1] -= theta[:-1].mean()
    return theta[:-1], float(theta[-1])


@dataclass(frozen=True, eq=False)
class LengthControlled(HasEstimates):
    """A leaderboard with answer length held equal, and the length effect itself.

    ``length_effect`` is γ of σ(s_a − s_b + γ·log2(len_a / len_b)): the log-odds a
    judge adds for an answer twice as long as the other (0: no length preference).
    ``n_left_out`` counts votes dropped because an answer's length was unknown. γ
    shares the strengths' ridge ``alpha``; ``estimate("length_effect")`` gives it with its
    interval as a `scoring.Estimate`.
    """

    leaderboard: object  # scoring.Leaderboard; typed loosely to avoid an import cycle
    length_effect: float
    length_effect_lower: float
    length_effect_upper: float
    n_left_out: int


def rank_models_length_controlled(votes: Votes, lengths: np.ndarray, settings=None) -> LengthControlled:
    """Bradley–Terry with a length covariate, as Arena-Hard's style control (Li et al.,
    2024) and AlpacaEval's length-controlled win rates (Dubois et al., 2024) do.

    Each comparison's log-odds are ``s_a − s_b + γ·log2((len_a + 1) / (len_b + 1))``;
    the strengths ``s`` then rank models as if their answers were equally long. Votes
    are selected and pooled as ``settings`` say, and the cluster bootstrap resamples
    items (reweighting each comparison by how often its item was drawn).

    Parameters
    ----------
    votes : Votes
    lengths : numpy.ndarray, shape (n_items, n_models)
        Words per answer, aligned with ``votes.items`` and ``votes.models``.
    settings : ScoringSettings, optional

    Returns
    -------
    LengthControlled
    """
    from scoring.bootstrap import pair_volumes
    from scoring.bradley_terry import vote_cells
    from scoring.errors import ScoringError
    from scoring.leaderboard import assemble_leaderboard, check_resamplable, point_fit, prepare_votes
    from scoring.ranking import percentile_intervals
    from scoring.settings import ScoringSettings

    settings = settings or ScoringSettings()
    lengths = np.asarray(lengths, dtype=float)
    first_words, second_words = _pair_lengths(votes, lengths)
    known = np.isfinite(first_words) & np.isfinite(second_words)
    n_left_out = int((~known & votes.scored).sum())
    prepared = prepare_votes(votes.select(known), settings)
    fit_votes = prepared.votes
    # The same checks as rank_models: two models, the reference, connected, two items.
    point_fit(fit_votes, settings)
    check_resamplable(fit_votes, settings)
    columns = [votes.models.index(name) for name in fit_votes.models]
    z_all = length_log_ratio(fit_votes, lengths[:, columns])
    rows, cells, weights = vote_cells(fit_votes, strong_weight=settings.strong_weight, tie_weight=settings.tie_weight)
    n = len(fit_votes.models)
    # One comparison per vote: credit to its first model (won) and to its second (lost).
    first = cells // n == fit_votes.model_a[rows]
    won = np.bincount(rows, weights * first, len(fit_votes))
    lost = np.bincount(rows, weights * ~first, len(fit_votes))
    used = (won + lost) > 0
    a, b, z, item = fit_votes.model_a[used], fit_votes.model_b[used], z_all[used], fit_votes.item[used]
    won, lost = won[used], lost[used]
    unit = item if settings.resample == "item" else np.arange(len(a))
    # The boundary-honest draws of rank_models: a Bayesian bootstrap whose units
    # include, per compared pair, pseudo-items won by each side (answers of equal
    # length, so they speak of strength only); the point is the fit at its mean weights.
    pair_a, pair_b, volume = pair_volumes(a, b, unit, n)
    pseudo_a, pseudo_b = np.concatenate([pair_a, pair_b]), np.concatenate([pair_b, pair_a])
    all_a, all_b = np.concatenate([a, pseudo_a]), np.concatenate([b, pseudo_b])
    # A pseudo-item is an average unit of its pair, length ratio included: a prior at
    # equal length would speak against the fitted length effect, and pull γ and through
    # it the strengths (the two are collinear when weak models write long answers).
    pair_of = np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)
    sign = np.where(a < b, 1.0, -1.0)
    mean_z = (np.bincount(pair_of, sign * z * (won + lost), n * n)
              / np.maximum(np.bincount(pair_of, won + lost, n * n), 1e-300))[pair_a * n + pair_b]
    all_z = np.concatenate([z, mean_z, -mean_z])
    all_won = np.concatenate([won, np.tile(volume, 2)])
    all_lost = np.concatenate([lost, np.zeros(len(pseudo_a))])
    mean_weight = np.concatenate([np.ones(len(a)), np.full(len(pseudo_a), settings.prior_items)])
    strength, gamma = _logistic_fit(all_a, all_b, all_won * mean_weight, all_lost * mean_weight, all_z, n,
                                    settings.alpha)
    rng = np.random.default_rng(settings.seed)
    present = np.unique(item)
    draws = np.empty((settings.rounds, n))
    gammas = np.empty(settings.rounds)
    start = np.append(strength, gamma)
    for r in range(settings.rounds):
        if settings.resample == "item":
            count = np.bincount(present[rng.integers(0, len(present), len(present))], minlength=len(fit_votes.items))
            weight = count[item].astype(float)
        else:
            weight = np.bincount(rng.integers(0, len(a), len(a)), minlength=len(a)).astype(float)
        draws[r], gammas[r] = _logistic_fit(a, b, won * weight, lost * weight, z, n, settings.alpha, start=start)
    prior_draws = None
    if settings.prior_items > 0:
        prior_draws = np.empty((settings.rounds, n))
        for r in range(settings.rounds):
            weight = np.concatenate([rng.standard_exponential(int(unit.max()) + 1)[unit],
                                     rng.standard_gamma(settings.prior_items, len(pseudo_a))])
            prior_draws[r], _ = _logistic_fit(all_a, all_b, all_won * weight, all_lost * weight, all_z, n,
                                              settings.alpha, start=start)
    if settings.reference is not None:
        strength = strength - strength[fit_votes.models.index(settings.reference)]
    if not np.all(np.isfinite(draws)):
        raise ScoringError("the length-controlled fit did not converge on some bootstrap resample")
    board = assemble_leaderboard(strength, draws, prepared, settings, prior_draws=prior_draws)
    low, high = percentile_intervals(gammas[:, None], settings.level)
    return LengthControlled(board, gamma, float(low[0]), float(high[0]), n_left_out)
