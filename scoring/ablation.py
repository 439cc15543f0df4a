"""How many judges and items a council needs: Monte Carlo jury ablation.

The Language Model Council's Figure 5 (Zhao et al., 2024, arXiv 2406.08598, §6): draw
sub-councils of judges without replacement and subsets of items, rank the models with
each, and watch separability and rank stability as both grow. Random voters can be
added to see how much noise a council absorbs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring._json import finite
from scoring.errors import ScoringError
from scoring.settings import ScoringSettings
from scoring.votes import Votes

__all__ = ["JuryAblation", "jury_ablation", "rank_stability"]


def rank_stability(ranks: np.ndarray) -> float:
    """Mean over models of the population standard deviation of their rank across
    trials: the paper's MERV (lower is more stable). NaN ranks (a model a trial could
    not rank) are left out of that model's spread."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanstd(ranks, axis=0)
    return float(np.nanmean(spread)) if np.isfinite(spread).any() else float("nan")


@dataclass(frozen=True, eq=False)
class JuryAblation:
    """Separability and rank stability per (jury size, test-set size).

    Arrays have shape ``(len(jury_sizes), len(test_sizes))``. ``separability_mean``
    and ``_std`` summarise the trials' leaderboards (percent of separated pairs);
    ``rank_stability`` is the MERV of the trials' point ranks; ``n_failed`` counts
    trials whose votes could not be ranked (disconnected, one model). ``adversarial``
    random voters joined every sub-council.
    """

    jury_sizes: tuple[int, ...]
    test_sizes: tuple[int, ...]
    separability_mean: np.ndarray
    separability_std: np.ndarray
    rank_stability: np.ndarray
    n_failed: np.ndarray
    trials: int
    adversarial: int
    settings: ScoringSettings

    def to_dict(self) -> dict:
        cells = []
        for c, jury in enumerate(self.jury_sizes):
            for t, test in enumerate(self.test_sizes):
                cells.append({
                    "judges": jury,
                    "items": test,
                    "separability_mean": finite(self.separability_mean[c, t]),
                    "separability_std": finite(self.separability_std[c, t]),
                    "rank_stability": finite(self.rank_stability[c, t]),
                    "failed_trials": int(self.n_failed[c, t]),
                })
        return {"trials": self.trials, "adversarial": self.adversarial, "settings": self.settings.to_dict(),
                "cells": cells}


def _random_voters(votes: Votes, count: int, rng: np.random.Generator) -> Votes:
    """``count`` voters who each copy a random real judge's vote keys and vote at random
    on the four-point scale (the paper's adversarial jurors)."""
    judges = np.unique(votes.judge[votes.scored])
    if not len(judges):
        return votes
    rows = [votes.select(votes.scored & (votes.judge == rng.choice(judges))) for _ in range(count)]
    extra_judges = tuple(f"random-voter-{k + 1}" for k in range(count))
    parts = [votes] + rows
    judge = np.concatenate([votes.judge] + [np.full(len(r), len(votes.judges) + k) for k, r in enumerate(rows)])
    outcome = np.concatenate([votes.outcome] + [rng.choice(np.array([-2, -1, 1, 2]), size=len(r)) for r in rows])
    return Votes(
        item=np.concatenate([p.item for p in parts]),
        judge=judge,
        model_a=np.concatenate([p.model_a for p in parts]),
        model_b=np.concatenate([p.model_b for p in parts]),
        outcome=outcome,
        items=votes.items,
        judges=votes.judges + extra_judges,
        models=votes.models,
    )


def jury_ablation(
    votes: Votes,
    settings: ScoringSettings | None = None,
    *,
    jury_sizes: tuple[int, ...] | None = None,
    test_sizes: tuple[int, ...] | None = None,
    trials: int = 20,
    adversarial: int = 0,
    rounds: int = 100,
    seed: int | None = 0,
) -> JuryAblation:
    """Monte Carlo sub-councils × test-set sizes.

    Parameters
    ----------
    votes : Votes
    settings : ScoringSettings, optional
        How each trial's leaderboard is made (aggregation, reference, filters…); its
        bootstrap uses ``rounds`` rounds.
    jury_sizes, test_sizes : tuple of int, optional
        Judges per sub-council (default: 1 to all, up to 6 sizes) and items per test set
        (default: up to 5 sizes from a fifth of the items, and at least two, to all of them).
    trials : int
        Sub-councils drawn per cell, judges and items without replacement.
    adversarial : int
        Random voters added to every sub-council.
    rounds : int
        Bootstrap rounds of each trial's leaderboard.
    seed : int or None

    Returns
    -------
    JuryAblation
    """
    from scoring.sole_judge import rank_many

    settings = (settings or ScoringSettings()).replace(rounds=rounds)
    n_judges, n_items = len(votes.judges), len(votes.items)
    jury_sizes = tuple(jury_sizes or _spread(1, n_judges, 6))
    # Two items at least: the item bootstrap of one item has no spread to measure.
    test_sizes = tuple(test_sizes or _spread(min(n_items, max(2, n_items // 5)), n_items, 5))
    for name, sizes, most in (("jury size", jury_sizes, n_judges), ("test size", test_sizes, n_items)):
        bad = [size for size in sizes if not 1 <= size <= most]
        if bad:
            raise ScoringError(f"{name} {bad[0]} is outside 1..{most}")
    rng = np.random.default_rng(seed)
    shape = (len(jury_sizes), len(test_sizes))
    separability_mean, separability_std, stability = (np.full(shape, np.nan) for _ in range(3))
    # Every trial's sub-council is drawn first, in the order the draws always came
    # (cell by cell, trial by trial), and all their leaderboards are fitted in shared batches.
    subs = []
    for jury in jury_sizes:
        for test in test_sizes:
            for _ in range(trials):
                judges = rng.choice(n_judges, size=jury, replace=False)
                items = rng.choice(n_items, size=test, replace=False)
                sub = votes.select(np.isin(votes.judge, judges) & np.isin(votes.item, items))
                if adversarial:
                    sub = _random_voters(sub, adversarial, rng)
                subs.append(sub)
    boards = rank_many(subs, settings, rng)  # sub-councils keep the votes' model table
    ranked = boards.ranked.reshape(shape + (trials,))
    separations = boards.separability.reshape(shape + (trials,))
    ranks = boards.rank.reshape(shape + (trials, len(votes.models)))
    failed = trials - ranked.sum(axis=-1)
    for c in range(len(jury_sizes)):
        for t in range(len(test_sizes)):
            if ranked[c, t].any():
                values = separations[c, t][ranked[c, t]]
                separability_mean[c, t] = np.mean(values)
                separability_std[c, t] = np.std(values)
                stability[c, t] = rank_stability(ranks[c, t][ranked[c, t]])
    return JuryAblation(jury_sizes, test_sizes, separability_mean, separability_std, stability, failed, trials,
                        adversarial, settings)


def _spread(low: int, high: int, count: int) -> list[int]:
    """Up to ``count`` distinct integers from ``low`` to ``high``, evenly spaced."""
    return sorted({int(round(x)) for x in np.linspace(low, high, count)})
