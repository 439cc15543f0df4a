"""Which pairs of answers each item's judges compare, and who judges them.

``all_pairs`` compares every two contestants (respondent members and candidates);
``reference`` compares each of them with one reference (the paper's design, 2·(n−1)
judgments per judge and item); ``sampled`` takes ``pairs_per_item`` pairs per item, chosen by a hash of the council
seed, the item and the pair, so the choice is stable across runs and resumes. Every
pair is judged in both orders, by every judge that is not one of the pair (unless
``judge.include_self``). `judge_pairs` is the one place these rules live: the judge
stage plans with it, `council plan` counts with it and `council status` totals with it.
"""

from __future__ import annotations

import hashlib
from itertools import combinations
from typing import NamedTuple

from council.config import CouncilConfig, JudgeConfig

__all__ = ["JudgedPair", "item_pairs", "judge_pairs"]


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


def judge_pairs(config: CouncilConfig, item: str) -> list[JudgedPair]:
    """Every ordered pair judged on ``item``, both orders next to each other, with its judges."""
    respondents = config.contestants
    judges = [m.name for m in config.with_role("judge")]
    ordered = []
    for a, b in item_pairs(config.judge, respondents, item, config.seed):
        for first, second in ((a, b), (b, a)):
            who = tuple(j for j in judges if config.judge.include_self or j not in (a, b))
            ordered.append(JudgedPair(first, second, who))
    return ordered
