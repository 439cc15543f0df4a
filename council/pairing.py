"""Which pairs of answers each item's judges compare.

``all_pairs`` compares every two respondents; ``reference`` compares each respondent
with one reference member (the paper's design, 2·(n−1) judgments per judge and item);
``sampled`` takes ``pairs_per_item`` pairs per item, chosen by a hash of the council
seed, the item and the pair, so the choice is stable across runs and resumes.
"""

from __future__ import annotations

import hashlib
from itertools import combinations

from council.config import JudgeConfig

__all__ = ["item_pairs"]


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
