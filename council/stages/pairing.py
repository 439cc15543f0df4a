"""Which pairs of answers each item's judges compare, and who judges them.

``all_pairs`` compares every two contestants (respondent members and candidates);
``reference`` compares each of them with one reference (the paper's design, 2·(n−1)
judgments per judge and item); ``sampled`` takes ``pairs_per_item`` pairs per item, chosen by a hash of the council
seed, the item and the pair, so the choice is stable across runs and resumes. Every
pair is judged in both orders, by every judge that is not one of the pair (unless
``judge.include_self``). ``adaptive`` starts from `scoring.start_design` (the edges of a
ring of the contestants dealt out over the items, one judge each, so they connect every
contestant) and adds the slots its refits chose, which the run stores (``chosen``): the
design grows with the votes, not with the config alone. The start design of an item
depends on its place among all the items, so adaptive judging is planned with ``items``.
`judge_pairs` is the one place these rules live: the judge stage plans with it,
`council plan` counts with it and `council status` totals with it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from itertools import combinations
from typing import NamedTuple

from council.config import CouncilConfig, JudgeConfig
from council.vocab import Role
from scoring.adaptive import start_design

__all__ = [
    "JudgedPair", "all_pairs_calls", "chosen_pairs", "every_pair", "grows_by_refits", "item_pairs", "judge_pairs",
]


def _rank(seed: int, item: str, a: str, b: str) -> str:
    return hashlib.sha256(f"{seed}/{item}/{a}/{b}".encode()).hexdigest()


def item_pairs(judge: JudgeConfig, respondents: list[str], item: str, seed: int) -> list[tuple[str, str]]:
    """Unordered pairs (in respondents' order) to judge on ``item``; each is judged in both orders."""
    pairs = list(combinations(respondents, 2))
    if judge.pairing == "reference":
        pairs = [pair for pair in pairs if judge.reference in pair]
    elif judge.pairing == "sampled":
        pairs = sorted(pairs, key=lambda pair: _rank(seed, item, *pair))[: judge.pairs_per_item]
    return pairs


class JudgedPair(NamedTuple):
    """One order of one pair on an item, and the judges who compare it."""

    model_a: str  # shown first
    model_b: str  # shown second
    judges: tuple[str, ...]


def grows_by_refits(config: CouncilConfig) -> bool:
    """Whether the judge design grows as votes come in (adaptive judging): refits add
    slots, so a run is complete only once its design stopped."""
    return config.judge.pairing == "adaptive"


def judge_pairs(config: CouncilConfig, item: str, chosen: Sequence[tuple[str, str, str]] = (),
                items: Sequence[str] = ()) -> list[JudgedPair]:
    """Every ordered pair judged on ``item``, both orders next to each other, with its
    judges; under adaptive judging, ``chosen`` are the (model_a, model_b, judge) slots
    the run's refits added on this item, and ``items`` every item of the design (the
    start design deals its pairs out over them; ``item`` alone when empty)."""
    respondents = config.contestants
    judges = [m.name for m in config.with_role(Role.JUDGE)]
    if grows_by_refits(config):
        start = _start_design(tuple(respondents), tuple(judges), tuple(items) or (item,),
                              config.judge.adaptive.start_pairs_per_item, config.seed, config.judge.include_self)
        return _adaptive_pairs(config, respondents, judges, start.get(item, []), chosen)
    ordered = []
    for a, b in item_pairs(config.judge, respondents, item, config.seed):
        for first, second in ((a, b), (b, a)):
            who = tuple(j for j in judges if config.judge.include_self or j not in (a, b))
            ordered.append(JudgedPair(first, second, who))
    return ordered


@functools.lru_cache(maxsize=8)
def _start_design(respondents: tuple[str, ...], judges: tuple[str, ...], items: tuple[str, ...], pairs: int,
                  seed: int, include_self: bool) -> dict[str, list[tuple[str, str, str]]]:
    """`scoring.start_design`, once per design rather than once per item asked about."""
    return start_design(respondents, judges, items, pairs=pairs, seed=seed, include_self=include_self)


def _adaptive_pairs(config: CouncilConfig, respondents: list[str], judges: list[str],
                    start: list[tuple[str, str, str]], chosen: Sequence[tuple[str, str, str]]) -> list[JudgedPair]:
    include_self = config.judge.include_self
    slots = list(start)
    # A stored choice of a member no longer in the council, or one the council would not
    # ask, is left out: its votes are leftovers.
    slots += [(*sorted((a, b), key=respondents.index), j) for a, b, j in chosen  # type: ignore[misc]
              if a in respondents and b in respondents and a != b and j in judges
              and (include_self or j not in (a, b))]
    by_pair: dict[tuple[str, str], list[str]] = {}
    for a, b, judge in slots:
        if judge not in by_pair.setdefault((a, b), []):
            by_pair[(a, b)].append(judge)
    ordered = []
    for (a, b), who in by_pair.items():
        ordered += [JudgedPair(a, b, tuple(who)), JudgedPair(b, a, tuple(who))]
    return ordered


def chosen_pairs(config: CouncilConfig, chosen: Sequence[tuple[str, str, str]]) -> list[JudgedPair]:
    """The ordered pairs of adaptive slots alone (no start design), as `judge_pairs`
    orders and filters them."""
    return _adaptive_pairs(config, config.contestants, [m.name for m in config.with_role(Role.JUDGE)], [], chosen)


def every_pair(config: CouncilConfig, item: str) -> list[JudgedPair]:
    """The all-pairs design's pairs on ``item`` (one order, the contestants'), each with
    every judge who may judge it: what an adaptive design may choose from."""
    full = config.model_copy(update={"judge": config.judge.model_copy(update={"pairing": "all_pairs"})})
    return judge_pairs(full, item)[::2]  # both orders sit next to each other


def all_pairs_calls(config: CouncilConfig, items: int) -> dict[str, int]:
    """Judge calls per judge of the all-pairs design over ``items`` items: the most an
    adaptive design can ask, and what its calls are measured against."""
    calls = {m.name: 0 for m in config.with_role(Role.JUDGE)}
    for _a, _b, judges in every_pair(config, ""):
        for judge in judges:
            calls[judge] += 2 * items  # both orders
    return calls
