"""Council-shaped synthetic votes whose true ranking is known.

Used to check that intervals cover what they claim. The generative model follows the
structure of a Language Model Council (Zhao et al., 2024, arXiv 2406.08598): every
model answers every item and judges pairs of answers in both orders. What makes votes
on one item correlated is that the answers themselves vary in quality from item to
item, and every judge reads the same answers.

For judge ``j``, item ``i`` and answers of ``a`` (first) and ``b`` (second)::

    d = (s_a + u_ia + e_jia) - (s_b + u_ib + e_jib) + c_ja - c_jb
        + self_preference · ([j = a] - [j = b]) + position_bias + L

with model strengths ``s``, answer quality noise ``u ~ N(0, item_sd)``, a judge's
reading noise ``e ~ N(0, judge_sd)``, a judge's lasting taste ``c ~ N(0, taste_sd)``
and standard logistic noise ``L``. The verdict is a tie when ``|d| <= tie_margin``,
strong when ``|d| > strong_margin``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from scoring.bradley_terry import fit_bradley_terry
from scoring.votes import Votes

__all__ = ["LabelledCouncil", "SimulatedCouncil", "simulate_council", "simulate_labelled_council"]

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(61)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


@dataclass(frozen=True, eq=False)
class SimulatedCouncil:
    """Synthetic votes and the parameters that generated them."""

    votes: Votes
    strengths: np.ndarray
    taste: np.ndarray  # (judge, model)
    pairs: np.ndarray  # (n_pairs, 2): the ordered pairs the design judges
    item_sd: float
    judge_sd: float
    self_preference: float
    position_bias: float
    tie_margin: float
    strong_margin: float

    def population_strengths(
        self, *, strong_weight: float = 1.0, tie_weight: float = 0.5, include_self: bool = False
    ) -> np.ndarray:
        """Bradley–Terry strengths this council's judges would give on infinitely many items.

        This is the target of the estimate from the votes: the fit on the expected
        win counts of one item (Gauss–Hermite quadrature over the answer and reading
        noise), centred to mean 0.
        """
        n = len(self.strengths)
        a, b = self.pairs[:, 0], self.pairs[:, 1]
        judges = np.arange(self.taste.shape[0])[:, None]
        shift = (
            self.strengths[a] - self.strengths[b]
            + self.taste[:, a] - self.taste[:, b]
            + self.self_preference * ((judges == a).astype(float) - (judges == b))
            + self.position_bias
        )
        d = shift[..., None] + np.sqrt(2.0 * (self.item_sd**2 + self.judge_sd**2)) * _NODES

        def chance(x):
            return expit(x) @ _WEIGHTS

        p_a, p_b = chance(d - self.tie_margin), chance(-d - self.tie_margin)
        p_tie = 1.0 - p_a - p_b
        credit_a = p_a + (strong_weight - 1.0) * chance(d - self.strong_margin) + tie_weight * p_tie
        credit_b = p_b + (strong_weight - 1.0) * chance(-d - self.strong_margin) + tie_weight * p_tie
        counted = np.ones_like(shift, dtype=bool) if include_self else (judges != a) & (judges != b)
        wins = np.zeros((n, n))
        first, second = np.broadcast_to(a, shift.shape)[counted], np.broadcast_to(b, shift.shape)[counted]
        np.add.at(wins, (first, second), credit_a[counted])
        np.add.at(wins, (second, first), credit_b[counted])
        return fit_bradley_terry(wins, alpha=0.0)


def _design(n_models: int, reference: int | None) -> np.ndarray:
    a, b = np.meshgrid(np.arange(n_models), np.arange(n_models), indexing="ij")
    keep = a != b
    if reference is not None:
        keep &= (a == reference) | (b == reference)
    return np.stack([a[keep], b[keep]], axis=1)


def simulate_council(
    n_models: int = 8,
    n_items: int = 50,
    *,
    n_judges: int | None = None,
    reference: int | None = None,
    pairs_per_item: int | None = None,
    strength_sd: float = 0.5,
    strengths: Sequence[float] | None = None,
    item_sd: float = 1.0,
    judge_sd: float = 0.3,
    taste_sd: float = 0.2,
    self_preference: float = 0.5,
    position_bias: float = 0.3,
    tie_margin: float = 0.0,
    strong_margin: float = 2.5,
    seed: int | None = 0,
) -> SimulatedCouncil:
    """Simulate a council in which judges judge ordered pairs of answers on every item.

    Parameters
    ----------
    n_models, n_items : int
    n_judges : int, optional
        The first ``n_judges`` models judge (default: all of them, as in a council).
    reference : int, optional
        Judge only pairs with this model, in both orders (the paper's design).
        Default: all ordered pairs.
    pairs_per_item : int, optional
        Judge this many ordered pairs of the design per item, drawn at random.
    strength_sd : float
        Spread of the true log-strengths (drawn, then centred).
    strengths : sequence of float, optional
        The true log-strengths themselves (centred), instead of drawing them.
    item_sd : float
        Answer quality noise per (item, model): the source of within-item correlation.
    judge_sd : float
        A judge's noise in reading one answer.
    taste_sd : float
        A judge's lasting preference for or against each model.
    self_preference : float
        Added in favour of a judge's own answer.
    position_bias : float
        Added in favour of the first position.
    tie_margin, strong_margin : float
        Verdict thresholds on the latent difference; 0 tie margin gives no ties.
    seed : int or None

    Returns
    -------
    SimulatedCouncil
        Judges carry the models' names, so self-judgments are recognisable.
    """
    rng = np.random.default_rng(seed)
    n_judges = n_models if n_judges is None else n_judges
    drawn = rng.normal(0.0, strength_sd, n_models)
    true_strengths = drawn if strengths is None else np.array(strengths, dtype=np.float64)
    if true_strengths.shape != (n_models,):
        raise ValueError(f"strengths must give one value per model ({n_models}), got {true_strengths.shape}")
    true_strengths -= true_strengths.mean()
    taste = rng.normal(0.0, taste_sd, (n_judges, n_models))
    quality = true_strengths[None, :] + rng.normal(0.0, item_sd, (n_items, n_models))
    pairs = _design(n_models, reference)
    if pairs_per_item is None:
        chosen = np.broadcast_to(np.arange(len(pairs)), (n_items, len(pairs)))
    else:
        chosen = np.argsort(rng.random((n_items, len(pairs))), axis=1)[:, :pairs_per_item]
    item = np.repeat(np.arange(n_items), chosen.shape[1])
    a, b = pairs[chosen.reshape(-1), 0], pairs[chosen.reshape(-1), 1]
    judge = np.repeat(np.arange(n_judges), len(item))
    item, a, b = np.tile(item, n_judges), np.tile(a, n_judges), np.tile(b, n_judges)
    reading = rng.normal(0.0, judge_sd, (n_judges, n_items, n_models))
    d = (
        quality[item, a] + reading[judge, item, a] + taste[judge, a]
        - quality[item, b] - reading[judge, item, b] - taste[judge, b]
        + self_preference * ((judge == a).astype(float) - (judge == b))
        + position_bias
        + rng.logistic(0.0, 1.0, len(item))
    )
    outcome = np.where(d > tie_margin, 1, np.where(d < -tie_margin, -1, 0))
    outcome = np.where(np.abs(d) > strong_margin, 2 * np.sign(d), outcome).astype(np.int8)
    width = len(str(n_models - 1))
    names = tuple(f"model-{m:0{width}d}" for m in range(n_models))
    votes = Votes(
        item=item,
        judge=judge,
        model_a=a,
        model_b=b,
        outcome=outcome,
        items=tuple(f"item-{i}" for i in range(n_items)),
        judges=names[:n_judges],
        models=names,
    )
    return SimulatedCouncil(
        votes=votes, strengths=true_strengths, taste=taste, pairs=pairs, item_sd=item_sd, judge_sd=judge_sd,
        self_preference=self_preference, position_bias=position_bias,
        tie_margin=tie_margin, strong_margin=strong_margin,
    )


@dataclass(frozen=True, eq=False)
class LabelledCouncil:
    """A jury's votes, one person's label on every pair of every item, and the
    leaderboard people would give on infinitely many items (centred log-strengths)."""

    jury: Votes
    human: Votes
    human_strengths: np.ndarray
    jury_bias: np.ndarray


def simulate_labelled_council(
    n_models: int = 6,
    n_items: int = 200,
    *,
    n_judges: int = 4,
    strengths: Sequence[float] | None = None,
    jury_bias: Sequence[float] | None = None,
    item_sd: float = 1.0,
    judge_sd: float = 0.5,
    position_bias: float = 0.3,
    person_noise: float = 1.0,
    seed: int | None = 0,
) -> LabelledCouncil:
    """A council whose jury prefers some models more than people do (by length, say).

    On item ``i`` a person prefers ``a`` to ``b`` when ``q_ia − q_ib + L > 0``, with
    answer quality ``q_im = s_m + u_im`` (``u ~ N(0, item_sd)``) and logistic noise
    ``L``; a judge reads the same answers with ``bias_a − bias_b``, its own reading noise
    (``judge_sd``), the first position's pull and logistic noise, in both orders. The
    person labels every pair of every item once, in a random order, so a labelled share
    of items is any subset of ``human``'s items.

    Parameters
    ----------
    n_models, n_items, n_judges : int
    strengths : sequence of float, optional
        People's log-strengths (default: evenly spaced over [−1, 1]).
    jury_bias : sequence of float, optional
        What the jury adds to each model (default: +0.8 to the last two models).
    item_sd, judge_sd, position_bias : float
    person_noise : float
        Scale of the person's logistic noise (1: as a judge's; smaller: an expert).
    seed : int or None
    """
    rng = np.random.default_rng(seed)
    truth = np.linspace(-1.0, 1.0, n_models) if strengths is None else np.array(strengths, dtype=np.float64)
    bias = np.zeros(n_models) if jury_bias is None else np.array(jury_bias, dtype=np.float64)
    if jury_bias is None:
        bias[-2:] = 0.8
    quality = truth[None, :] + rng.normal(0.0, item_sd, (n_items, n_models))
    pairs = _design(n_models, None)
    pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    item = np.repeat(np.arange(n_items), len(pairs))
    a, b = np.tile(pairs[:, 0], n_items), np.tile(pairs[:, 1], n_items)
    person = quality[item, a] - quality[item, b] + rng.logistic(0.0, person_noise, len(item))
    swap = rng.random(len(item)) < 0.5
    human_a, human_b = np.where(swap, b, a), np.where(swap, a, b)
    human_outcome = np.where((person > 0) != swap, 1, -1).astype(np.int8)
    rows = []
    for judge in range(n_judges):
        reading = rng.normal(0.0, judge_sd, (n_items, n_models))
        seen = quality + reading + bias
        for first, second in ((a, b), (b, a)):
            d = seen[item, first] - seen[item, second] + position_bias + rng.logistic(0.0, 1.0, len(item))
            rows.append((item, np.full(len(item), judge), first, second, np.where(d > 0, 1, -1).astype(np.int8)))
    columns = [np.concatenate(parts) for parts in zip(*rows)]
    names = tuple(f"model-{m}" for m in range(n_models))
    items = tuple(f"item-{i}" for i in range(n_items))
    jury = Votes(item=columns[0], judge=columns[1], model_a=columns[2], model_b=columns[3], outcome=columns[4],
                 items=items, judges=tuple(f"judge-{j}" for j in range(n_judges)), models=names)
    human = Votes(item=item, judge=np.zeros(len(item), dtype=np.int32), model_a=human_a, model_b=human_b,
                  outcome=human_outcome, items=items, judges=("person",), models=names)
    # People's population leaderboard: the fit on one item's expected wins.
    d = (truth[pairs[:, 0]] - truth[pairs[:, 1]])[:, None] + np.sqrt(2.0) * item_sd * _NODES
    p = expit(d / person_noise) @ _WEIGHTS
    wins = np.zeros((n_models, n_models))
    wins[pairs[:, 0], pairs[:, 1]] = p
    wins[pairs[:, 1], pairs[:, 0]] = 1.0 - p
    return LabelledCouncil(jury, human, fit_bradley_terry(wins, alpha=0.0), bias)
