"""Agreement with human judgments (Zhao et al., 2024, arXiv 2406.08598, §6.2, Table 2
and Figures 23–24).

Human pairwise labels come as `Votes` too (one "judge" per annotator). Per vote key
(item, first model, second model), the humans' majority side is the human verdict.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from scoring._json import HasEstimates, with_interval
from scoring.agreement import _kappa, side_cells, vote_table_by_item
from scoring.bootstrap import take_items
from scoring.boundary import item_weight_draws, kappa_draws, share_draws
from scoring.errors import ScoringError
from scoring.ranking import percentile_intervals
from scoring.settings import ScoringSettings
from scoring.votes import Votes

__all__ = ["HumanAgreement", "human_agreement"]


@dataclass(frozen=True, eq=False)
class HumanAgreement(HasEstimates):
    """How the judges and the council agree with people.

    ``exact`` and ``kappa`` (per judge, then ``council_*`` for the majority side of all
    judges) compare sides on the vote keys both labelled, ties excluded: the share on
    the same side, and Cohen's κ. ``n_shared`` counts those keys. ``spearman`` and
    ``kendall`` correlate the council's and the humans' leaderboards (scores of the
    models both rank). Every ``*_lower``/``*_upper`` is a percentile
    interval from one joint item bootstrap (the same items redrawn for both); those of
    agreement and κ are widened at the boundary as the leaderboard's are
    (`scoring.boundary`: 20 agreements out of 20 do not make agreement certain);
    ``estimate(name)`` gives any of them as a `scoring.Estimate`.
    """

    judges: tuple[str, ...]
    agreement: np.ndarray
    agreement_lower: np.ndarray
    agreement_upper: np.ndarray
    kappa: np.ndarray
    kappa_lower: np.ndarray
    kappa_upper: np.ndarray
    n_shared: np.ndarray
    council_agreement: float
    council_agreement_lower: float
    council_agreement_upper: float
    council_kappa: float
    council_kappa_lower: float
    council_kappa_upper: float
    council_n_shared: int
    models: tuple[str, ...]
    council_scores: np.ndarray
    human_scores: np.ndarray
    spearman: float
    spearman_lower: float
    spearman_upper: float
    kendall: float
    kendall_lower: float
    kendall_upper: float

    def to_dict(self) -> dict:
        return {
            "judges": [
                {"judge": judge,
                 "agreement": with_interval(self.agreement[j], self.agreement_lower[j], self.agreement_upper[j]),
                 "kappa": with_interval(self.kappa[j], self.kappa_lower[j], self.kappa_upper[j]),
                 "n_shared": int(self.n_shared[j])}
                for j, judge in enumerate(self.judges)
            ],
            "council": {
                "agreement": self.estimate('council_agreement').to_dict(),
                "kappa": self.estimate('council_kappa').to_dict(),
                "n_shared": self.council_n_shared,
            },
            "leaderboards": {
                "models": list(self.models),
                "council_scores": [float(x) for x in self.council_scores],
                "human_scores": [float(x) for x in self.human_scores],
                "spearman": self.estimate('spearman').to_dict(),
                "kendall": self.estimate('kendall').to_dict(),
            },
        }


def _on_shared_names(votes: Votes, human: Votes) -> tuple[Votes, Votes]:
    """Both vote sets re-indexed over the union of their items, judges and models."""
    items = tuple(sorted(set(votes.items) | set(human.items)))
    models = tuple(sorted(set(votes.models) | set(human.models)))

    item_at = {name: i for i, name in enumerate(items)}
    model_at = {name: m for m, name in enumerate(models)}

    def reindex(source: Votes) -> Votes:
        item_map = np.array([item_at[name] for name in source.items], dtype=np.int32)
        model_map = np.array([model_at[name] for name in source.models], dtype=np.int32)
        return Votes(
            item=item_map[source.item] if len(source) else source.item,
            judge=source.judge,
            model_a=model_map[source.model_a] if len(source) else source.model_a,
            model_b=model_map[source.model_b] if len(source) else source.model_b,
            outcome=source.outcome, items=items, judges=source.judges, models=models,
        )

    return reindex(votes), reindex(human)


def _majority_side(outcome: np.ndarray) -> np.ndarray:
    """Per key, the side most of the columns chose (0 on a split; no vote counts 0)."""
    return np.sign(np.sign(outcome).astype(np.int64).sum(axis=1))


def _sides(votes: Votes, human: Votes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vote key: each judge's side, then the council's majority side, as columns;
    the humans' majority side; and the key's item."""
    # One table over the same keys: stack, then split the judge columns.
    both = Votes(
        item=np.concatenate([votes.item, human.item]),
        judge=np.concatenate([votes.judge, human.judge + len(votes.judges)]),
        model_a=np.concatenate([votes.model_a, human.model_a]),
        model_b=np.concatenate([votes.model_b, human.model_b]),
        outcome=np.concatenate([votes.outcome, human.outcome]),
        items=votes.items, judges=votes.judges + human.judges, models=votes.models,
    )
    outcome, _, key_item = vote_table_by_item(both)  # 0 where a column gave no vote, as for a tie
    n = len(votes.judges)
    judge_side = np.sign(outcome[:, :n])
    council_side = _majority_side(outcome[:, :n])[:, None]
    return np.concatenate([judge_side, council_side], axis=1), _majority_side(outcome[:, n:])[:, None], key_item


def _side_agreement(votes: Votes, human: Votes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Same-side share, Cohen's κ and shared decided keys against the humans' majority
    side: one entry per judge, then the council's majority side last."""
    sides, human_side, _ = _sides(votes, human)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa, agreement, shared = _kappa(sides, human_side, sides != 0, human_side != 0)
    return agreement[:, 0], kappa[:, 0], shared[:, 0].astype(int)


def _prior_side_draws(votes: Votes, human: Votes, settings: ScoringSettings, rounds: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Same-side share and κ with the humans (rows), per judge then the council
    (columns), drawn by the Bayesian bootstrap with prior pseudo-items of
    `scoring.boundary`: what keeps 20 agreements out of 20 from an interval of [1, 1]."""
    sides, human_side, key_item = _sides(votes, human)
    n_items = len(votes.items)
    cells = side_cells(sides, human_side, key_item, n_items)[:, 0]
    weights = item_weight_draws(n_items, rounds, rng)
    same_side = share_draws(cells[..., 0] + cells[..., 3], cells.sum(axis=-1), weights, settings.prior_items, rng)
    return np.stack([same_side, kappa_draws(cells, weights, settings.prior_items, rng)], axis=1)


def _correlations(a, b) -> tuple[float, float]:
    # Imported here: scipy.stats takes ~0.7 s to import, which every CLI command that
    # loads `scoring` would otherwise pay.
    from scipy.stats import kendalltau, spearmanr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant leaderboard has no rank correlation: NaN
        return float(spearmanr(a, b).statistic), float(kendalltau(a, b).statistic)


def human_agreement(
    votes: Votes, human: Votes, settings: ScoringSettings | None = None, *, rounds: int = 200, seed: int | None = 0
) -> HumanAgreement:
    """Agreement of each judge and of the council with human labels, and the rank
    correlation of the two leaderboards with item-bootstrap intervals.

    Parameters
    ----------
    votes : Votes
        The council's votes.
    human : Votes
        Human labels on (some of) the same items and model pairs, in the same format.
    settings : ScoringSettings, optional
        How both leaderboards are fitted (point estimates only).
    rounds : int
        Joint item-bootstrap rounds for the intervals.
    seed : int or None
    """
    from scoring.leaderboard import point_scores

    settings = settings or ScoringSettings()
    votes, human = _on_shared_names(votes, human)
    shared_items = np.intersect1d(np.unique(votes.item), np.unique(human.item))
    if not len(shared_items):
        raise ScoringError("the human labels share no item with the council's votes (item names must match)")
    agreement, kappa, shared = _side_agreement(votes, human)
    try:
        council_points = point_scores(votes, settings)
        human_points = point_scores(human, settings.replace(include_self=True))
    except ScoringError as error:
        raise ScoringError(f"cannot rank both the council and the humans: {error}") from None
    models = tuple(m for m in sorted(council_points) if m in human_points)
    if len(models) < 2:
        raise ScoringError("the council and the humans rank fewer than two models in common")
    council_scores = np.array([council_points[m] for m in models])
    human_scores = np.array([human_points[m] for m in models])
    spearman, kendall = _correlations(council_scores, human_scores)
    rng = np.random.default_rng(seed)
    draws, side_draws = [], []
    for _ in range(rounds):
        drawn = rng.choice(shared_items, size=len(shared_items))
        # One draw of items for both sets, so the two leaderboards stay paired.
        council_r, human_r = (take_items(v, drawn) for v in (votes, human))
        side_draws.append(_side_agreement(council_r, human_r)[:2])
        try:
            c = point_scores(council_r, settings)
            h = point_scores(human_r, settings.replace(include_self=True))
        except ScoringError:
            continue
        common = [m for m in models if m in c and m in h]
        if len(common) >= 2:
            draws.append(_correlations([c[m] for m in common], [h[m] for m in common]))
    draws_array = np.array(draws) if draws else np.full((1, 2), np.nan)
    low, high = percentile_intervals(draws_array, settings.level, skip_nan=True)
    side_low, side_high = percentile_intervals(np.array(side_draws), settings.level, skip_nan=True)
    if settings.prior_items > 0:
        # Widened as the leaderboard is: the wider, bound by bound, of the two.
        prior_low, prior_high = percentile_intervals(_prior_side_draws(votes, human, settings, rounds, rng),
                                                     settings.level, skip_nan=True)
        side_low, side_high = np.fmin(side_low, prior_low), np.fmax(side_high, prior_high)
    return HumanAgreement(
        judges=votes.judges,
        agreement=agreement[:-1],
        agreement_lower=side_low[0, :-1],
        agreement_upper=side_high[0, :-1],
        kappa=kappa[:-1],
        kappa_lower=side_low[1, :-1],
        kappa_upper=side_high[1, :-1],
        n_shared=shared[:-1],
        council_agreement=float(agreement[-1]),
        council_agreement_lower=float(side_low[0, -1]),
        council_agreement_upper=float(side_high[0, -1]),
        council_kappa=float(kappa[-1]),
        council_kappa_lower=float(side_low[1, -1]),
        council_kappa_upper=float(side_high[1, -1]),
        council_n_shared=int(shared[-1]),
        models=models,
        council_scores=council_scores,
        human_scores=human_scores,
        spearman=spearman,
        spearman_lower=float(low[0]),
        spearman_upper=float(high[0]),
        kendall=kendall,
        kendall_lower=float(low[1]),
        kendall_upper=float(high[1]),
    )

