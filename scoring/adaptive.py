"""Adaptive judging: which judgments to ask next, given the votes so far.

A *slot* is one judge comparing one pair of answers on one item, in both orders (two
calls). A design starts sparse (`start_design`: a few pairs per item along a seeded ring
of the models, so the comparisons are connected after a handful of items) and then, after
each refit, asks the slots that most help the leaderboard (`adaptive_step`):

* the refit is the leaderboard's own item bootstrap (`rank_models`);
* a pair of models is *in doubt* when their intervals overlap by less than the slots
  still open to the pair could remove: judged in k slots with g·k possible, the
  intervals may shrink by about 1/√g, so the overlap must be under (1 − 1/√g) of their
  mean width. A pair never judged is always in doubt. Separated pairs need no more
  evidence (an interval that is wide because its model wins everything stays wide);
  pairs whose intervals lie on top of each other after most of their evidence are not
  pursued: more votes rarely separate equals, and they would take the whole budget;
* the next slots go to those pairs' least-judged (item, pair) cells — a new item is worth
  more than another judge on the same item, because the item is the bootstrap's unit —
  and, among equally judged cells, to the judges with the fewest slots so far.

The design stops when no pair is in doubt, or when the separated pairs have not changed
over ``patience`` refits that gave every pair in doubt room for another judgment
(`unchanged`). Every choice is a function of the votes, the set of open slots and the
seed, so a run that is killed and resumed chooses the same slots. Chatbot Arena's
active sampling (Chiang et al., 2024, arXiv 2403.04132) is the precedent; the Language
Model Council's full design (Zhao et al., 2024, arXiv 2406.08598) is what it is measured
against (`replay_adaptive`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from scoring.leaderboard import Leaderboard, rank_models
from scoring.settings import ScoringSettings
from scoring.votes import Votes

__all__ = ["AdaptiveStep", "DesignComparison", "Refit", "adaptive_step", "compare_designs", "random_design",
           "replay_adaptive", "separated_pairs", "start_design", "unchanged"]

Slot = tuple[str, str, str]  # (model_a, model_b, judge) on one item


def _hash(*parts: object) -> int:
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:15], 16)


def start_design(models: Sequence[str], judges: Sequence[str], item: str, *, pairs: int, seed: int,
                 include_self: bool = False) -> list[Slot]:
    """The first slots asked on ``item``: ``pairs`` consecutive edges of a ring of the
    models (shuffled by ``seed``), starting where a hash of the seed and the item says,
    each judged by one judge chosen by hash — so a few items connect every model.

    Parameters
    ----------
    models, judges : sequence of str
        The contestants and the judges.
    item : str
    pairs : int
        Pairs per item (at most the ring's edges).
    seed : int
    include_self : bool
        Whether a judge may judge a pair holding its own answer.

    Returns
    -------
    list of (model_a, model_b, judge)
        Pairs in the order of ``models``; a pair no judge may judge is left out.
    """
    ring = sorted(models, key=lambda m: _hash(seed, "ring", m))
    n = len(ring)
    if n < 2:
        return []
    edges = [(ring[k], ring[(k + 1) % n]) for k in range(n if n > 2 else 1)]
    offset = _hash(seed, item) % len(edges)
    position = {m: i for i, m in enumerate(models)}
    slots = []
    for j in range(min(pairs, len(edges))):
        a, b = sorted(edges[(offset + j) % len(edges)], key=position.__getitem__)
        eligible = [judge for judge in judges if include_self or judge not in (a, b)]
        if eligible:
            slots.append((a, b, eligible[_hash(seed, item, a, b) % len(eligible)]))
    return slots


def separated_pairs(board: Leaderboard) -> frozenset[tuple[str, str]]:
    """Pairs (above, below) whose strength intervals are apart."""
    lower, upper, models = board.strength_lower, board.strength_upper, board.models
    return frozenset((models[i], models[j]) for i in range(len(models)) for j in range(len(models))
                     if i != j and upper[j] < lower[i])


def _doubtful(board: Leaderboard, judged: dict[frozenset, float], open_: dict[frozenset, int]
              ) -> list[tuple[str, str]]:
    """Overlapping pairs that the slots still open to them could separate: if a pair
    judged in k slots can have g·k, its intervals may shrink by about 1/√g (the
    bootstrap's error falls with the square root of the evidence), so the overlap must be
    under (1 − 1/√g) of their mean width. A pair never judged is always in doubt."""
    lower, upper, models = board.strength_lower, board.strength_upper, board.models
    width = upper - lower
    doubtful = []
    for i in range(len(models)):
        for j in range(i + 1, len(models)):
            pair = frozenset((models[i], models[j]))
            overlap = min(upper[j] - lower[i], upper[i] - lower[j])  # > 0: the intervals overlap
            room = open_.get(pair, 0)
            if overlap < 0 or not room:
                continue
            done = judged.get(pair, 0.0)
            shrink = 1.0 if done == 0 else 1 - np.sqrt(done / (done + room))
            if overlap < shrink * (width[i] + width[j]) / 2:
                doubtful.append((models[i], models[j]))
    return doubtful


@dataclass(frozen=True)
class AdaptiveStep:
    """One refit and what it chose.

    Attributes
    ----------
    chosen : numpy.ndarray of int
        Indices into the open slots, in the order to ask them (empty when it stopped).
    stopped : {None, "settled", "exhausted"}
        ``"settled"``: no pair is in doubt; ``"exhausted"``: pairs are in doubt but no open
        slot compares them.
    doubtful : tuple of (str, str)
        Pairs whose intervals overlap and that the open slots could still separate.
    separated : frozenset of (str, str)
        As `separated_pairs`.
    rank_intervals : tuple of (str, int, int)
        Each model's rank interval, in the leaderboard's order.
    """

    chosen: np.ndarray
    stopped: str | None
    doubtful: tuple[tuple[str, str], ...]
    separated: frozenset[tuple[str, str]]
    rank_intervals: tuple[tuple[str, int, int], ...]
    untried: int = 0


def adaptive_step(votes: Votes, slot_item: Sequence[str], slot_a: Sequence[str], slot_b: Sequence[str],
                  slot_judge: Sequence[str], n: int, *, settings: ScoringSettings | None = None,
                  seed: int = 0) -> AdaptiveStep:
    """Refit ``votes`` and choose up to ``n`` of the open slots to ask next, by the rule
    of the module docstring.

    Parameters
    ----------
    votes : Votes
        Every vote made so far.
    slot_item, slot_a, slot_b, slot_judge : sequence of str
        One entry per slot not asked yet: an item, a pair, a judge (both orders).
    n : int
        Slots to choose at most.
    settings : ScoringSettings, optional
        The refit's (default: 200 item-bootstrap rounds).
    seed : int
        Tie-breaks; mix the step number in for fresh ones each step.

    Returns
    -------
    AdaptiveStep
        Deterministic given the votes, the *set* of slots and ``seed``: the order the
        slots are listed in does not matter.
    """
    board = rank_models(votes, settings or ScoringSettings(rounds=200, seed=seed))
    ranks = tuple((m, int(lo), int(hi)) for m, lo, hi in zip(board.models, board.rank_lower, board.rank_upper))

    def cell(item: str, a: str, b: str) -> tuple[str, str, str]:
        first, second = sorted((a, b))
        return item, first, second

    taken: dict[tuple[str, str, str], float] = {}
    judged: dict[frozenset, float] = {}
    load: dict[str, float] = {}
    for i, j, a, b in zip(votes.item, votes.judge, votes.model_a, votes.model_b):
        key = cell(votes.items[i], votes.models[a], votes.models[b])
        taken[key] = taken.get(key, 0) + 0.5  # a slot is two votes, one per order
        judged[frozenset(key[1:])] = judged.get(frozenset(key[1:]), 0) + 0.5
        load[votes.judges[j]] = load.get(votes.judges[j], 0) + 0.5
    room: dict[frozenset, int] = {}
    for a, b in zip(slot_a, slot_b):
        room[frozenset((a, b))] = room.get(frozenset((a, b)), 0) + 1
    doubtful = _doubtful(board, judged, room)
    # A model no vote has compared yet (the start design missed it) is in doubt with everyone.
    unseen = sorted({*slot_a, *slot_b} - set(board.models))
    everyone = [*board.models, *unseen]
    doubtful += [(u, x) for k, u in enumerate(unseen) for x in everyone[:len(board.models) + k]]
    empty = np.zeros(0, dtype=np.int64)
    separated = separated_pairs(board)
    untried = sum(1 for pair in doubtful if not judged.get(frozenset(pair)))

    def made(chosen: np.ndarray, stopped: str | None) -> AdaptiveStep:
        return AdaptiveStep(chosen, stopped, tuple(doubtful), separated, ranks, untried)

    if not doubtful:
        return made(empty, "settled")
    wanted = {frozenset(pair) for pair in doubtful}
    open_ = [k for k in range(len(slot_item)) if frozenset((slot_a[k], slot_b[k])) in wanted]
    if not open_:
        return made(empty, "exhausted")
    # Ties break by a hash of the slot, not its position: the choice must not depend on
    # the order the slots are listed in (a run lists them in the order items were stored).
    tie = np.array([_hash(seed, slot_item[k], slot_a[k], slot_b[k], slot_judge[k]) for k in open_], dtype=np.float64)
    # Within a cell, its slots line up by their judges' load: the k-th of them would make
    # the cell's (taken + k)-th judgment, its layer. Lower layers first (new items before
    # more judges on one item); within a layer, each judge's slots line up too, so one
    # step spreads over judges.
    by_cell: dict[tuple[str, str, str], list[int]] = {}
    for pos, k in enumerate(open_):
        by_cell.setdefault(cell(slot_item[k], slot_a[k], slot_b[k]), []).append(pos)
    layer = np.zeros(len(open_))
    for key, members in by_cell.items():
        members.sort(key=lambda pos: (load.get(slot_judge[open_[pos]], 0), tie[pos]))
        for rank, pos in enumerate(members):
            layer[pos] = taken.get(key, 0) + rank
    turn = np.zeros(len(open_))
    seen: dict[tuple[float, str], int] = {}
    for pos in np.lexsort((tie, layer)):
        judge = slot_judge[open_[pos]]
        turn[pos] = load.get(judge, 0) + seen.get((layer[pos], judge), 0)
        seen[(layer[pos], judge)] = seen.get((layer[pos], judge), 0) + 1
    order = np.lexsort((tie, turn, layer))[:n]
    return made(np.asarray(open_, dtype=np.int64)[order], None)


class Refit(NamedTuple):
    """What `unchanged` compares: a refit's separated pairs, the votes it saw, how many
    pairs were in doubt, and how many of those had no judgment of their own yet."""

    separated: frozenset[tuple[str, str]]
    n_votes: int
    doubtful: int
    untried: int = 0


def unchanged(history: Sequence[Refit], patience: int) -> bool:
    """Whether the leaderboard stopped changing: the separated pairs of the last
    ``patience`` + 1 refits are the same, and meanwhile every pair then in doubt could
    have had another judgment (two votes each), and no pair in doubt is untried — so a
    large council does not "settle" on its first refits merely because nothing is
    separated yet.

    Rank intervals are not compared: at a refit's 200 bootstrap rounds their ends move
    with the draws alone, and a design that waited for them to stand still asked 57–75%
    of all calls on simulated councils."""
    if patience < 1 or len(history) < patience + 1 or history[-1].untried:
        return False
    last = history[-(patience + 1):]
    same = all(entry.separated == last[0].separated for entry in last[1:])
    return same and last[-1].n_votes - last[0].n_votes >= 2 * last[0].doubtful


@dataclass(frozen=True)
class DesignComparison:
    """How a design's leaderboard compares with the full design's: the share of the
    full design's separated pairs it separates too, those it separates the other way
    round, and those it separates that the full design does not."""

    separated_full: int
    recall: float
    reversed: int
    extra: int


def compare_designs(full: frozenset[tuple[str, str]], got: frozenset[tuple[str, str]]) -> DesignComparison:
    """Compare the separated pairs of a design (``got``) with the full design's."""
    flipped = {(b, a) for a, b in full}
    recall = len(full & got) / len(full) if full else 1.0
    return DesignComparison(len(full), recall, len(got & flipped), len(got - full - flipped))


def random_design(votes: Votes, calls: int, seed: int = 0) -> np.ndarray:
    """A mask of ``calls`` of the votes that are not self-judgments, drawn uniformly —
    the baseline a rule must beat. (A council never asks a member to judge its own
    answer, so a random design would not either.)"""
    eligible = np.flatnonzero(~votes.is_self)
    mask = np.zeros(len(votes), dtype=bool)
    mask[np.random.default_rng(seed).choice(eligible, size=min(calls, len(eligible)), replace=False)] = True
    return mask


def replay_adaptive(votes: Votes, *, pairs_per_item: int = 2, batch_calls: int = 200, max_calls: int | None = None,
                    patience: int = 3, settings: ScoringSettings | None = None,
                    seed: int = 0) -> tuple[np.ndarray, str, int]:
    """Replay adaptive judging on complete ``votes`` (a call returns its recorded vote;
    nothing else is visible), by `start_design`, `adaptive_step` and `unchanged` exactly
    as a council run takes them. Self-judgments are never asked.

    Parameters
    ----------
    votes : Votes
        A complete design: every slot a council could ask, both orders.
    pairs_per_item, batch_calls, max_calls, patience
        As ``judge.adaptive`` in a council file (``max_calls`` None: all of them).
    settings : ScoringSettings, optional
        Each refit's (default: 200 rounds).
    seed : int

    Returns
    -------
    used : numpy.ndarray of bool
        The votes it asked.
    stopped : {"settled", "exhausted", "max_calls"}
    refits : int
    """
    settings = settings or ScoringSettings(rounds=200, seed=seed)
    own = votes.is_self
    slots: dict[tuple[str, str, str, str], list[int]] = {}
    for k in np.flatnonzero(~own):
        a, b = sorted((votes.models[votes.model_a[k]], votes.models[votes.model_b[k]]), key=votes.models.index)
        slots.setdefault((votes.items[votes.item[k]], a, b, votes.judges[votes.judge[k]]), []).append(int(k))
    used = np.zeros(len(votes), dtype=bool)
    for item in votes.items:
        for a, b, judge in start_design(votes.models, votes.judges, item, pairs=pairs_per_item, seed=seed):
            used[slots.pop((item, a, b, judge), [])] = True
    cap = max_calls if max_calls is not None else int((~own).sum())
    history: list[Refit] = []
    refits = 0
    while True:
        room = min(batch_calls, cap - int(used.sum())) // 2
        if room <= 0:
            return used, "max_calls", refits
        keys = list(slots)
        step = adaptive_step(votes.select(used), [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
                             [k[3] for k in keys], room, settings=settings,
                             seed=seed + refits)
        refits += 1
        history.append(Refit(step.separated, int(used.sum()), len(step.doubtful), step.untried))
        if step.stopped:
            return used, step.stopped, refits
        if unchanged(history, patience):
            return used, "settled", refits
        for k in step.chosen:
            used[slots.pop(keys[k])] = True
