"""A leaderboard of human preference, prediction-powered: every jury vote, corrected by
a few human labels.

A jury's leaderboard estimates what the *jury* prefers; where the jury is biased (to
length, to a style, to a family of models) its intervals cover the wrong thing, however
narrow. Human labels on a slice of the comparisons estimate what *people* prefer, but a
slice is small. Prediction-powered inference (Angelopoulos, Bates, Fannjiang, Jordan &
Zrnic, *Science* 2023) uses both: fit Bradley–Terry on the jury's verdicts on every
comparison, and correct the fit with the difference between the humans' and the jury's
verdicts on the labelled comparisons (the rectifier). PPI++ (Angelopoulos, Duchi &
Zrnic, 2023, arXiv 2311.01453) weighs the jury's part by a power-tuning λ in [0, 1]
chosen from the data to minimise the estimate's variance: λ = 0 is the human-only fit,
so an uninformative jury costs (asymptotically) nothing.

Here a comparison is one (item, pair of models) — a *key*; the jury's verdict on it is
its win share over every judge and both orders, and so is the humans'. With ``k`` of
``K`` keys labelled, the estimate maximises the Bradley–Terry log-likelihood of the win
matrix

    W(λ) = H + λ · (k/K · J − J_H)

where ``H`` holds the humans' shares on the labelled keys, ``J`` the jury's on every key
and ``J_H`` the jury's on the labelled keys (the per-key means of PPI++'s losses, times
``k``, so λ = 0 is the fit of the labels alone on their own scale). The estimand is the
strengths a Bradley–Terry fit of *human* labels on every key would give. A pair whose
corrected wins come out negative on one side is projected back onto possible wins
(`_usable`).

Intervals come from a bootstrap of items, labelled and unlabelled items drawn apart so
each draw keeps its number of labels, with λ held at its estimate; as every leaderboard
here, each interval is the wider, bound by bound, of that percentile bootstrap's and a
Bayesian bootstrap's whose human part carries the prior's pseudo-items
(`scoring.leaderboard.point_wins`), which is also in the point.

Labels must be a random sample of the keys (or of the items) for the rectifier to be
unbiased; labels chosen where the jury looks unsure need their inclusion probabilities
(active inference), which this estimator does not take.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from scoring.bootstrap import pair_volumes
from scoring.bradley_terry import check_connected, fit_bradley_terry, vote_cells
from scoring.errors import ScoringError
from scoring.leaderboard import Leaderboard, PreparedVotes, assemble_leaderboard, rank_models, select_votes
from scoring.settings import ScoringSettings
from scoring.votes import Votes

__all__ = [
    "CHANCE_FLOOR", "HumanLeaderboard", "KeyShares", "key_shares", "labelling_chances", "labelling_order",
    "power_tuning", "rank_human_preference",
]


@dataclass(frozen=True, eq=False)
class KeyShares:
    """Verdicts per key (item, pair of models, lower model index first): the win share
    of the first model of the pair over every vote on the key (ties half), the votes
    behind it, and (for labels) how likely the key was to be chosen for labelling."""

    item: np.ndarray
    first: np.ndarray
    second: np.ndarray
    share: np.ndarray
    n_votes: np.ndarray
    selection: np.ndarray  # each key's chance of being labelled relative to a uniform draw (1: uniform)

    def codes(self, n_models: int) -> np.ndarray:
        """One integer per key (item-major: keys of one item are consecutive)."""
        return (self.item.astype(np.int64) * n_models + self.first) * n_models + self.second

    def take(self, rows: np.ndarray) -> KeyShares:
        return KeyShares(self.item[rows], self.first[rows], self.second[rows], self.share[rows], self.n_votes[rows],
                         self.selection[rows])


def key_shares(votes: Votes, settings: ScoringSettings, selection: np.ndarray | None = None) -> KeyShares:
    """The votes ``settings`` select (scored, self-judgments and inconsistent couplets as
    they say; `scoring.leaderboard.select_votes`), pooled per key into win shares, with
    strong and tie weights as the leaderboard counts them. ``selection`` (per vote):
    how likely its key was to be chosen for labelling relative to a uniform choice; a
    key takes the mean over its votes (default 1)."""
    selected, _, _ = select_votes(votes, settings)
    n = len(votes.models)
    rows, cells, weights = vote_cells(selected, strong_weight=settings.strong_weight, tie_weight=settings.tie_weight)
    a, b = selected.model_a[rows].astype(np.int64), selected.model_b[rows].astype(np.int64)
    low, high = np.minimum(a, b), np.maximum(a, b)
    code = (selected.item[rows].astype(np.int64) * n + low) * n + high
    keys, key_of = np.unique(code, return_inverse=True)
    credit = np.bincount(key_of, weights * (cells // n == low), len(keys))
    total = np.bincount(key_of, weights, len(keys))
    _, first_row = np.unique(code, return_index=True)
    votes_per_key = np.bincount(key_of[np.unique(rows, return_index=True)[1]], minlength=len(keys))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = credit / total
    chance = np.ones(len(keys))
    if selection is not None:
        every = _vote_codes(votes, n)
        found = np.isin(every, keys)
        where = np.searchsorted(keys, every[found])
        chance = np.bincount(where, np.asarray(selection, dtype=float)[found], len(keys)) / np.maximum(
            np.bincount(where, minlength=len(keys)), 1)
    return KeyShares(keys // (n * n), (keys // n) % n, keys % n, share, votes_per_key, chance)


def _contributions(shares: KeyShares, n: int, n_items: int, weight: np.ndarray | None = None) -> csr_matrix:
    """One row per item: its keys' shares as wins (times ``weight`` per key), over the
    n × n win matrix."""
    weight = np.ones(len(shares.share)) if weight is None else weight
    rows = np.concatenate([shares.item, shares.item])
    cells = np.concatenate([shares.first * n + shares.second, shares.second * n + shares.first])
    wins = np.concatenate([weight * shares.share, weight * (1.0 - shares.share)])
    return csr_matrix((wins, (rows, cells)), shape=(n_items, n * n))


def _usable(wins: np.ndarray) -> np.ndarray:
    """Each pair's corrected wins projected onto what wins can be: a side that came out
    negative (the rectifier took the jury's labelled verdicts away) is set to zero and
    the other to the pair's total, and a pair with no positive total is left out.

    The corrected share of a pair estimates a probability, so moving it into [0, 1]
    can only bring it nearer the truth; left negative, one side's loss falls without
    bound and the fit runs off to where the ridge stops it (a resample of the paper's
    sample drew −5,000 Elo). PPI++'s own fit (ppi-python) keeps such terms: where no
    pair needs the projection the two agree (`tests/scoring/test_ppi.py`)."""
    total = wins + np.swapaxes(wins, -1, -2)
    positive = np.maximum(total, 0.0)
    return np.where(total > 0, np.clip(wins, 0.0, positive), 0.0)


@dataclass(frozen=True, eq=False)
class _Design:
    """Everything the estimate needs, per item: the humans' wins on labelled keys, the
    jury's on those keys and on every key, the key counts, and the prior's pseudo-wins."""

    human: csr_matrix
    jury_labelled: csr_matrix
    jury: csr_matrix
    labelled_keys: np.ndarray
    keys: np.ndarray
    labelled_items: np.ndarray
    pseudo: np.ndarray  # (pairs, n*n) pseudo-units of the human part
    n: int

    def wins(self, weights: np.ndarray, tuning: float, pseudo_weights: np.ndarray | None = None) -> np.ndarray:
        """W(λ) under item weights (rounds × items); pseudo_weights (rounds × pairs) or
        the pseudo-units' mean weight when None."""
        human = (self.human.T @ weights.T).T
        jury_labelled = (self.jury_labelled.T @ weights.T).T
        jury = (self.jury.T @ weights.T).T
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = (weights @ self.labelled_keys) / (weights @ self.keys)
        wins = human + tuning * (ratio[:, None] * jury - jury_labelled)
        if pseudo_weights is not None:
            wins = wins + pseudo_weights @ self.pseudo
        rounds = weights.shape[0]
        return _usable(wins.reshape(rounds, self.n, self.n))


def _design(jury: KeyShares, human: KeyShares, n: int, n_items: int, settings: ScoringSettings) -> _Design:
    """The per-item pieces of W(λ); every human key must be one the jury judged."""
    jury_on_labels = jury.take(np.searchsorted(jury.codes(n), human.codes(n)))
    # Labels chosen with unequal chances count inversely to them (Horvitz–Thompson), and
    # the key count of the labels is the weighted one (Hájek), so uniform labels weigh 1.
    weight = 1.0 / human.selection
    labelled_keys = np.bincount(human.item, weight, minlength=n_items)
    pseudo = np.zeros((0, n * n))
    if settings.prior_items > 0:
        # One pseudo-item won by each side of every labelled pair, as large as an
        # average labelled item comparing it (`scoring.bootstrap.point_win_matrix`).
        i, j, volume = pair_volumes(human.first, human.second, human.item, n)
        pseudo = np.zeros((2 * len(i), n * n))
        pseudo[np.arange(len(i)), i * n + j] = volume
        pseudo[len(i) + np.arange(len(i)), j * n + i] = volume
    return _Design(
        human=_contributions(human, n, n_items, weight),
        jury_labelled=_contributions(jury_on_labels, n, n_items, weight),
        jury=_contributions(jury, n, n_items), labelled_keys=labelled_keys,
        keys=np.bincount(jury.item, minlength=n_items).astype(float),
        labelled_items=np.flatnonzero(labelled_keys > 0), pseudo=pseudo, n=n,
    )


def _item_gradients(contribution: csr_matrix, strength: np.ndarray, n: int) -> np.ndarray:
    """Per item, the gradient of its Bradley–Terry negative log-likelihood at ``strength``."""
    coo = contribution.tocoo()
    winner, loser = coo.col // n, coo.col % n
    pull = coo.data * (1.0 / (1.0 + np.exp(strength[winner] - strength[loser])))  # W · (1 − σ(s_w − s_l))
    gradients = np.zeros((contribution.shape[0], n))
    np.add.at(gradients, (coo.row, winner), -pull)
    np.add.at(gradients, (coo.row, loser), pull)
    return gradients


def _key_hessian(design: _Design, strength: np.ndarray) -> np.ndarray:
    """The Hessian of the Bradley–Terry loss over every key the jury judged and every
    labelled key (one unit of weight each, as ppi-python pools its samples): it depends
    on which pairs are compared, not on any verdict."""
    n = design.n
    totals = np.asarray(design.jury.sum(axis=0) + design.human.sum(axis=0)).reshape(n, n)
    pairs = totals + totals.T
    p = 1.0 / (1.0 + np.exp(strength[None, :] - strength[:, None]))  # σ(s_i − s_j)
    curvature = pairs * p * (1.0 - p)
    return np.diag(curvature.sum(axis=1)) - curvature


def _covariance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The (biased) cross-covariance of two sets of rows, as ppi-python's."""
    return (a - a.mean(axis=0)).T @ (b - b.mean(axis=0)) / len(a)


def power_tuning(design: _Design, strength: np.ndarray, anchor: int | None = None) -> float:
    """PPI++'s variance-minimising λ (Angelopoulos, Duchi & Zrnic, 2023, §6), for
    labels that come in clusters (items), clipped to [0, 1].

    The estimate moves with ``V [(1/k) Σ_labelled items (G_Y − λ G_f) + (λ/K) Σ_items G_J]``:
    ``G_Y`` and ``G_f`` the people's and the jury's gradients summed over an item's
    labelled comparisons, ``G_J`` the jury's over all its comparisons, k and K the
    labelled and all comparisons, V the inverse Hessian. Over m labelled items of N,
    its variance is smallest at

        λ = (m/k²) Tr(V C_Yf V) / ((m/k²) Tr(V C_ff V) + (N/K²) Tr(V C_JJ V)),

    with ``C`` the covariances over items, symmetrised. With one comparison per item
    and every comparison judged this is ppi-python's ``_calc_lam_glm`` up to its pooling
    of the two jury variances; with labels spread over many items' comparisons the
    jury's item sums hold many more comparisons than the labels', which a per-comparison
    formula would count as noise. Evaluated at ``strength`` (the λ = 1 fit). Strengths
    are identified up to a shift: with an ``anchor`` (the reference model) its
    coordinate is left out, as in a regression without it; otherwise V is the
    pseudo-inverse, the variance of centred strengths.
    """
    n = design.n
    labelled = design.labelled_items
    if len(labelled) < 2:
        return 0.0
    human_g = _item_gradients(design.human, strength, n)[labelled]
    jury_labelled_g = _item_gradients(design.jury_labelled, strength, n)[labelled]
    jury_g = _item_gradients(design.jury, strength, n)[design.keys > 0]
    hessian = _key_hessian(design, strength)
    if anchor is not None:
        keep = np.arange(n) != anchor
        human_g, jury_labelled_g, jury_g = human_g[:, keep], jury_labelled_g[:, keep], jury_g[:, keep]
        inverse = np.linalg.inv(hessian[np.ix_(keep, keep)])
    else:
        inverse = np.linalg.pinv(hessian)

    def spread(covariance: np.ndarray) -> float:
        return float(np.trace(inverse @ covariance @ inverse))

    cross = _covariance(human_g, jury_labelled_g)
    labels_weight = len(labelled) / design.labelled_keys.sum() ** 2
    jury_weight = len(jury_g) / design.keys.sum() ** 2
    denominator = labels_weight * spread(_covariance(jury_labelled_g, jury_labelled_g)) + jury_weight * spread(
        _covariance(jury_g, jury_g))
    if not denominator > 0:
        return 0.0
    return float(np.clip(labels_weight * spread((cross + cross.T) / 2.0) / denominator, 0.0, 1.0))


@dataclass(frozen=True, eq=False)
class HumanLeaderboard:
    """A leaderboard of human preference (``leaderboard``, in the units and centring of
    any leaderboard), with what made it and the two it combines.

    Attributes
    ----------
    leaderboard : Leaderboard
        Prediction-powered: ``estimand`` "human".
    tuning : float
        PPI++'s power-tuning λ: 0 uses the labels alone, 1 trusts the jury fully.
    n_human_votes, n_human_items, n_human_keys : int
        Human votes used, the items and (item, pair) keys they label.
    n_human_unmatched : int
        Human votes on keys the jury never judged: no rectifier, so left out (they
        still count in the human-only leaderboard).
    jury_only : Leaderboard
        `rank_models` of the jury's votes: the jury's preference.
    human_only : Leaderboard
        The same estimator with λ = 0: the labels alone.
    """

    leaderboard: Leaderboard
    tuning: float
    n_human_votes: int
    n_human_items: int
    n_human_keys: int
    n_human_unmatched: int
    jury_only: Leaderboard
    human_only: Leaderboard

    estimand = "human"

    def to_dict(self) -> dict:
        """A leaderboard's JSON (``council score --json``) with ``"estimand": "human"``,
        the label counts, the tuning weight, and the jury-only and human-only boards."""
        return {
            **self.leaderboard.to_dict(),
            "estimand": self.estimand,
            "n_human_votes": self.n_human_votes,
            "n_human_items": self.n_human_items,
            "n_human_keys": self.n_human_keys,
            "n_human_unmatched": self.n_human_unmatched,
            "tuning": self.tuning,
            "jury_only": self.jury_only.to_dict(),
            "human_only": self.human_only.to_dict(),
        }


#: Bootstrap rounds fitted together.
_CHUNK = 250


def _compact(shares: KeyShares, remap: np.ndarray) -> KeyShares:
    first, second = remap[shares.first], remap[shares.second]
    return KeyShares(shares.item, np.minimum(first, second), np.maximum(first, second),
                     np.where(first <= second, shares.share, 1.0 - shares.share), shares.n_votes, shares.selection)


def _draws(design: _Design, tuning: float, point: np.ndarray, settings: ScoringSettings,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Percentile-bootstrap draws (labelled and unlabelled items redrawn apart) and,
    with ``prior_items``, Bayesian-bootstrap draws with the prior's pseudo-items."""
    labelled = design.labelled_items
    unlabelled = np.flatnonzero((design.keys > 0) & (design.labelled_keys == 0))
    n_items = len(design.keys)
    plain, bayesian = [], []
    for done in range(0, settings.rounds, _CHUNK):
        size = min(_CHUNK, settings.rounds - done)
        start = np.broadcast_to(point, (size, len(point))).copy()
        weights = np.zeros((size, n_items))
        for pool in (labelled, unlabelled):
            if len(pool):
                drawn = pool[rng.integers(0, len(pool), (size, len(pool)))]
                np.add.at(weights, (np.repeat(np.arange(size), len(pool)), drawn.ravel()), 1.0)
        mean_pseudo = np.full((size, design.pseudo.shape[0]), settings.prior_items)
        plain.append(fit_bradley_terry(design.wins(weights, tuning, mean_pseudo * 0), alpha=settings.alpha,
                                       start=start))
        if settings.prior_items > 0:
            weights = np.zeros((size, n_items))
            present = np.flatnonzero(design.keys > 0)
            weights[:, present] = rng.standard_exponential((size, len(present)))
            pseudo = rng.standard_gamma(settings.prior_items, (size, design.pseudo.shape[0]))
            bayesian.append(fit_bradley_terry(design.wins(weights, tuning, pseudo), alpha=settings.alpha,
                                              start=start))
    return np.concatenate(plain), (np.concatenate(bayesian) if bayesian else None)


def _board(design: _Design, tuning: float, prepared: PreparedVotes, settings: ScoringSettings) -> Leaderboard:
    ones = np.ones((1, len(design.keys)))
    mean_pseudo = np.full((1, design.pseudo.shape[0]), settings.prior_items)
    point = fit_bradley_terry(design.wins(ones, tuning, mean_pseudo), alpha=settings.alpha)[0]
    models = prepared.votes.models
    if settings.reference is not None:
        point = point - point[models.index(settings.reference)]
    draws, prior_draws = _draws(design, tuning, point, settings, np.random.default_rng(settings.seed))
    return assemble_leaderboard(point, draws, prepared, settings, prior_draws=prior_draws)


def rank_human_preference(votes: Votes, human: Votes, settings: ScoringSettings | None = None, *,
                          tuning: float | None = None, selection: np.ndarray | None = None) -> HumanLeaderboard:
    """Rank the models by **human** preference: Bradley–Terry on every jury verdict,
    rectified by the human labels (prediction-powered, PPI++; see the module).

    Parameters
    ----------
    votes : Votes
        The jury's votes.
    human : Votes
        Human labels in the same format (``judge`` = the labeller), on items and model
        pairs the jury judged; names are matched.
    settings : ScoringSettings, optional
        As for `rank_models` (selection, weights, ridge, bootstrap, prior, seed); the
        humans' votes are never "self-judgments".
    tuning : float, optional
        λ in [0, 1] instead of PPI++'s estimate (0: labels alone; 1: plain PPI).
    selection : numpy.ndarray, optional
        Per human vote, how likely its comparison was to be chosen for labelling
        relative to a uniform choice (what a labelling page that favours split juries
        records); labels count inversely to it. Default: uniform.

    Returns
    -------
    HumanLeaderboard

    Raises
    ------
    ScoringError
        No human label on a comparison the jury judged, or what `rank_models` refuses.
    """
    from scoring.human import _on_shared_names

    settings = settings or ScoringSettings()
    jury_only = rank_models(votes, settings)
    votes, human = _on_shared_names(votes, human)
    n_all = len(votes.models)
    jury = key_shares(votes, settings)
    people = key_shares(human, settings.replace(include_self=True, consistency=None), selection)
    matched = np.isin(people.codes(n_all), jury.codes(n_all))
    if not matched.any():
        raise ScoringError("no human label is on a comparison the jury judged (same item and pair of models): "
                           "nothing to correct the jury with; rank the jury's own preference instead")
    used = np.union1d(jury.first, jury.second)
    remap = np.full(n_all, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    n = len(used)
    jury, labelled = _compact(jury, remap), _compact(people.take(np.flatnonzero(matched)), remap)
    design = _design(jury, labelled, n, len(votes.items), settings)
    models = tuple(votes.models[m] for m in used)
    check_connected(np.asarray(design.jury.sum(axis=0)).reshape(n, n), models)
    if settings.reference is not None and settings.reference not in models:
        raise ScoringError(f"reference model {settings.reference!r} is not among the compared models")
    human_votes = human.select(np.isin(_vote_codes(human, n_all), people.codes(n_all)[matched]) & human.scored)
    prepared = PreparedVotes(
        Votes(item=human_votes.item, judge=human_votes.judge, model_a=remap[human_votes.model_a].astype(np.int32),
              model_b=remap[human_votes.model_b].astype(np.int32), outcome=human_votes.outcome, items=votes.items,
              judges=human.judges, models=models),
        int((~human.scored).sum()), 0, 0, ())
    if tuning is None:
        ones = np.ones((1, len(votes.items)))
        trusting = fit_bradley_terry(design.wins(ones, 1.0, np.full((1, design.pseudo.shape[0]),
                                                                    settings.prior_items)), alpha=settings.alpha)[0]
        anchor = models.index(settings.reference) if settings.reference is not None else None
        tuning = power_tuning(design, trusting, anchor)
    return HumanLeaderboard(
        leaderboard=_board(design, tuning, prepared, settings),
        tuning=float(tuning),
        n_human_votes=len(human_votes),
        n_human_items=len(design.labelled_items),
        n_human_keys=int(matched.sum()),
        n_human_unmatched=int(people.n_votes[~matched].sum()),
        jury_only=jury_only,
        human_only=_board(design, 0.0, prepared, settings),
    )


def _vote_codes(votes: Votes, n: int) -> np.ndarray:
    """Each vote's key code (`KeyShares.codes`)."""
    low = np.minimum(votes.model_a, votes.model_b).astype(np.int64)
    high = np.maximum(votes.model_a, votes.model_b).astype(np.int64)
    return (votes.item.astype(np.int64) * n + low) * n + high


#: What every comparison's chance of being labelled starts from, next to a split jury's
#: ½: where the jury is unanimous, people may still disagree with it (that is the bias
#: the labels are for), and the inverse weighting needs every chance well above 0.
CHANCE_FLOOR = 0.2


def labelling_chances(share: np.ndarray) -> np.ndarray:
    """How much likelier than a uniform choice each comparison should be labelled
    (mean 1): proportional to the spread of its label's term in the estimate. A key's
    rectifier gradient is ``(1 − λ)σ(d) − Y + λf`` for the person's verdict Y and the
    jury's share f; where the fit follows the jury and people side with it as often,
    its spread is √(f(1 − f)) — the variance-minimising chances of active inference
    (Zrnic & Candès, 2024) — plus `CHANCE_FLOOR`: a split jury gets 3.5 times the
    chance of a unanimous one."""
    f = np.clip(np.nan_to_num(np.asarray(share, dtype=float), nan=0.5), 0.0, 1.0)
    spread = np.sqrt(f * (1.0 - f)) + CHANCE_FLOOR
    return spread / spread.mean()


def labelling_order(chances: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """The order to label comparisons in: sequential Poisson sampling (Ohlsson, 1998),
    ascending ``uniforms / chances``, so the first n of the order are a sample of n
    with inclusion chances nearly proportional to ``chances``, for any n — a labeller
    may stop anywhere. ``uniforms``: one fixed uniform(0, 1) draw per comparison."""
    return np.argsort(np.asarray(uniforms) / np.asarray(chances), kind="stable")
