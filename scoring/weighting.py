"""Judges weighed by people: a jury whose votes count as much as human labels say they
are worth, judged on labels it never saw.

Pooling judges is no cure by itself. On adversarial pairs many judges do worse than a
coin (Zeng et al., 2024, "Evaluating Large Language Models at Evaluating Instruction
Following", LLMBar), and the paper's mean pooling of a council (Zhao et al., 2024,
arXiv 2406.08598, §3.4) then sits near chance, below its best judge. Here each judge's
side on a comparison (+1 first model, −1 second, 0 a tie or no vote; its votes in both
orders averaged) is a feature, and the humans' majority side the label: an
L2-penalised logistic regression without intercept (a comparison's orientation is
arbitrary, so the weighted vote is antisymmetric) learns one weight per judge — zero
or negative where the labels say so. The jury's verdict is the sign of the weighted sum.

Weighting is judged by cross-validation over items (all comparisons of an item in one
fold, as they share answers), against mean pooling and against the best single judge
chosen on the same training folds. Agreement with people is per comparison: 1 on the
humans' majority side, 0 on the other, ½ when either side is a tie or the jury has no
side; its interval is an item bootstrap of the held-out comparisons, widened at the
boundary (`scoring.boundary`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring._json import Estimate, with_interval
from scoring.boundary import item_weight_draws, share_draws
from scoring.errors import ScoringError
from scoring.ranking import percentile_intervals
from scoring.settings import ScoringSettings
from scoring.votes import Votes

__all__ = ["JudgeWeighting", "judge_sides", "judge_weighting", "weigh_judges"]

#: Ridge on the weights: a Gaussian prior of variance 1/(2 · RIDGE) per weight, so a
#: judge that agrees on every training comparison gets a finite weight.
RIDGE = 0.5


def judge_sides(votes: Votes, human: Votes, settings: ScoringSettings | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per labelled comparison (item, pair): each judge's side and the humans'.

    Returns
    -------
    sides : numpy.ndarray, shape (keys, judges)
        +1 where the judge's votes (both orders, strong and tie weights as
        ``settings``) favour the pair's first model (lower index), −1 the second, 0 a
        tie or no vote.
    human_side : numpy.ndarray, shape (keys,)
        The humans' majority side, the same way.
    item : numpy.ndarray, shape (keys,)
        The item of each comparison, for folds and the bootstrap.
    """
    from scoring.human import _on_shared_names
    from scoring.ppi import key_shares

    settings = (settings or ScoringSettings()).replace(include_self=True, consistency=None)
    votes, human = _on_shared_names(votes, human)
    n = len(votes.models)
    people = key_shares(human, settings)
    codes = people.codes(n)
    sides = np.zeros((len(codes), len(votes.judges)))
    for j in range(len(votes.judges)):
        own = key_shares(votes.select(votes.judge == j), settings)
        found = np.isin(own.codes(n), codes)
        rows = np.searchsorted(codes, own.codes(n)[found])
        sides[rows, j] = np.sign(own.share[found] - 0.5)
    return sides, np.sign(people.share - 0.5), people.item


def weigh_judges(sides: np.ndarray, human_side: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """Judge weights of an L2-penalised logistic regression, without intercept, of the
    humans' side on the judges' sides (comparisons the humans tied are left out).

    Newton's method on a concave objective: a few steps from zero."""
    decided = human_side != 0
    x, y = sides[decided], (human_side[decided] > 0).astype(float)
    weights = np.zeros(sides.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(x @ weights)))
        gradient = x.T @ (y - p) - 2.0 * ridge * weights
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + 2.0 * ridge * np.eye(len(weights))
        step = np.linalg.solve(hessian, gradient)
        weights += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return weights


def _agreement(prediction: np.ndarray, human_side: np.ndarray) -> np.ndarray:
    """Per comparison: 1 on the humans' side, 0 against it, ½ when either is a tie."""
    return np.where((prediction == 0) | (human_side == 0), 0.5, (np.sign(prediction) == human_side).astype(float))


@dataclass(frozen=True, eq=False)
class JudgeWeighting:
    """A weighted jury judged on held-out labels.

    Attributes
    ----------
    judges : tuple of str
    weights : numpy.ndarray
        Fitted on every labelled comparison (what a weighted jury would use).
    folds : int
    weighted, mean_pooling, best_judge : Estimate
        Held-out agreement with the humans' majority side (see the module), each with
        an item-bootstrap interval.
    best_judges : tuple of str
        The best single judge chosen on each fold's training items.
    n_comparisons, n_items : int
    """

    judges: tuple[str, ...]
    weights: np.ndarray
    folds: int
    weighted: Estimate
    mean_pooling: Estimate
    best_judge: Estimate
    best_judges: tuple[str, ...]
    n_comparisons: int
    n_items: int
    method: str = "logistic"

    @property
    def matches_best_judge(self) -> bool:
        """Whether the weighted jury agrees with people at least as often as the best
        single judge, on the held-out comparisons."""
        return bool(self.weighted.estimate >= self.best_judge.estimate)

    def to_dict(self) -> dict:
        """``{"method", "folds", "weights": {judge: w}, "held_out_agreement": {"weighted",
        "mean_pooling", "best_judge": {estimate, lower, upper}}, ...}``."""
        return {
            "method": self.method,
            "folds": self.folds,
            "weights": {judge: float(w) for judge, w in zip(self.judges, self.weights)},
            "held_out_agreement": {name: with_interval(*getattr(self, name)) for name in
                                   ("weighted", "mean_pooling", "best_judge")},
            "best_judges": list(self.best_judges),
            "matches_best_judge": self.matches_best_judge,
            "n_comparisons": self.n_comparisons,
            "n_items": self.n_items,
        }


def _interval(scores: np.ndarray, item: np.ndarray, rounds: int, level: float, prior_items: float,
              rng: np.random.Generator) -> Estimate:
    """The mean of per-comparison scores with an item-bootstrap interval, widened at the
    boundary (a share with items as units)."""
    _, unit = np.unique(item, return_inverse=True)
    n_items = int(unit.max()) + 1
    hits, totals = np.bincount(unit, scores, n_items), np.bincount(unit, minlength=n_items).astype(float)
    counts = np.stack([np.bincount(rng.integers(0, n_items, n_items), minlength=n_items) for _ in range(rounds)])
    lower, upper = percentile_intervals((counts @ hits) / (counts @ totals), level)
    if prior_items > 0:
        weights = item_weight_draws(n_items, rounds, rng)
        prior_lower, prior_upper = percentile_intervals(
            share_draws(hits[None], totals[None], weights, prior_items, rng)[:, 0], level)
        lower, upper = min(lower, prior_lower), max(upper, prior_upper)
    return Estimate(float(scores.mean()), float(lower), float(upper))


def judge_weighting(votes: Votes, human: Votes, settings: ScoringSettings | None = None, *, folds: int = 5,
                    rounds: int = 1000, seed: int | None = 0) -> JudgeWeighting:
    """Learn judge weights from human labels, and compare the weighted jury with mean
    pooling and the best single judge on held-out items (see the module).

    Parameters
    ----------
    votes : Votes
        The judges' votes.
    human : Votes
        Human labels on some of the same comparisons.
    settings : ScoringSettings, optional
        Strong and tie weights for the sides, interval level and boundary prior.
    folds : int
        Cross-validation folds over items (fewer when there are fewer labelled items).
    rounds : int
        Bootstrap rounds of the held-out agreement intervals.
    seed : int or None
        Fold assignment and bootstrap.

    Raises
    ------
    ScoringError
        Fewer than two labelled items share a comparison with the judges.
    """
    settings = settings or ScoringSettings()
    sides, human_side, item = judge_sides(votes, human, settings)
    labelled_items = np.unique(item)
    if len(labelled_items) < 2:
        raise ScoringError("judge weighting needs human labels on at least two items the judges judged")
    rng = np.random.default_rng(seed)
    k = min(folds, len(labelled_items))
    fold_of_item = np.empty(int(item.max()) + 1, dtype=np.int64)
    fold_of_item[rng.permutation(labelled_items)] = np.arange(len(labelled_items)) % k
    fold = fold_of_item[item]
    weighted, pooled, best = (np.empty(len(item)) for _ in range(3))
    best_judges = []
    for f in range(k):
        train, test = fold != f, fold == f
        weights = weigh_judges(sides[train], human_side[train])
        weighted[test] = _agreement(np.sign(sides[test] @ weights), human_side[test])
        pooled[test] = _agreement(np.sign(sides[test].sum(axis=1)), human_side[test])
        own = np.array([_agreement(sides[train, j], human_side[train]).mean() for j in range(sides.shape[1])])
        chosen = int(np.argmax(own))
        best_judges.append(chosen)
        best[test] = _agreement(sides[test, chosen], human_side[test])
    names = votes.judges
    return JudgeWeighting(
        judges=names,
        weights=weigh_judges(sides, human_side),
        folds=k,
        weighted=_interval(weighted, item, rounds, settings.level, settings.prior_items, rng),
        mean_pooling=_interval(pooled, item, rounds, settings.level, settings.prior_items, rng),
        best_judge=_interval(best, item, rounds, settings.level, settings.prior_items, rng),
        best_judges=tuple(names[j] for j in best_judges),
        n_comparisons=len(item),
        n_items=len(labelled_items),
    )
