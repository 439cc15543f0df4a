"""Adaptive judging: which judgments to ask next, given the votes so far.

A *slot* is one judge comparing one pair of answers on one item, in both orders (two
calls). A design starts sparse (`start_design`: the edges of a seeded ring of the models
dealt out over the items, every edge before any twice, so the comparisons connect every
model whatever the number of items) and then, after each refit, asks the slots that most
help the leaderboard (`adaptive_step`):

* the refit is the leaderboard's own item bootstrap (`rank_models`); while the scored
  votes do not connect every model (unreadable verdicts, a model whose answers came
  late) there is nothing to refit, and the step asks the slots that connect them;
* a pair of models is *in doubt* when the slots still open to it could change its
  order: judged in k slots with g·k possible, the intervals may shrink by about 1/√g,
  so an overlap under (1 − 1/√g) of their mean width could still be separated, and a
  gap under half of that could still close — a separation made on little evidence is
  checked before it is kept. A pair never judged is always in doubt. Pairs clearly
  apart need no more evidence (an interval that is wide because its model wins
  everything stays wide); pairs whose intervals lie on top of each other after most of
  their evidence are not pursued: more votes rarely separate equals, and they would
  take the whole budget;
* ``choose="doubt"`` (the default): the next slots go to those pairs' least-judged
  (item, pair) cells — a new item is worth more than another judge on the same item,
  because the item is the bootstrap's unit — and, among equally judged cells, to the
  judges with the fewest slots so far. ``choose="random"`` draws them from every open
  slot instead: a random design grown until the same rule stops it, the baseline the
  doubt rule is measured against (`benchmarks/bench_adaptive.py --truth`).

The design stops when no pair is in doubt, or when the separated pairs have not changed
over ``patience`` refits that gave every pair in doubt room for another judgment
(`unchanged`). Every choice is a function of the votes, the set of open slots and the
seed, so a run that is killed and resumed chooses the same slots. Chatbot Arena's
active sampling (Chiang et al., 2024, arXiv 2403.04132) is the precedent; the Language
Model Council's full design (Zhao et al., 2024, arXiv 2406.08598) and the truth of
simulated councils are what it is measured against (`replay_adaptive`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from scoring.leaderboard import Leaderboard, rank_models, select_votes
from scoring.settings import AdaptiveChoice, ScoringSettings
from scoring.votes import Votes

__all__ = ["AdaptiveStep", "DesignComparison", "Refit", "adaptive_step", "compare_designs", "random_design",
           "replay_adaptive", "separated_pairs", "start_design", "unchanged"]

Slot = tuple[str, str, str]  # (model_a, model_b, judge) on one item


def _hash(*parts: object) -> int:
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:15], 16)


_name_hash = functools.lru_cache(maxsize=1 << 16)(_hash)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every bit of the input moves every bit of the output."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _slot_ties(seed: int, *columns: Sequence[str]) -> np.ndarray:
    """A tie-break per slot from a hash of the seed and the slot's names — never its
    position, so a choice does not depend on the order the slots are listed in (a run
    lists them in the order items were stored). Names are hashed once each and combined
    arithmetically: a refit breaks ties among every open slot, ~10⁵ at 20 members."""
    with np.errstate(over="ignore"):
        tie = np.full(len(columns[0]), _hash(seed, "tie"), dtype=np.uint64)
        for column in columns:
            names = np.fromiter((_name_hash(name) for name in column), dtype=np.uint64, count=len(column))
            tie = _mix(tie ^ names)
    return tie


def start_design(models: Sequence[str], judges: Sequence[str], items: Sequence[str], *, pairs: int, seed: int,
                 include_self: bool = False) -> dict[str, list[Slot]]:
    """The first slots asked on each of ``items``: edges of a ring of the models
    (shuffled by ``seed``), dealt out in consecutive blocks to the items (in an order
    hashed from the seed), so every edge of the ring is judged before any is judged
    twice, and the comparisons connect every model whatever the number of items. Each
    edge is judged by one judge chosen by hash.

    Parameters
    ----------
    models, judges : sequence of str
        The contestants and the judges.
    items : sequence of str
        Every item of the design: an item's block depends on its place among them.
    pairs : int
        Pairs per item; raised to cover the ring's edges when the items are too few
        (and never more than the ring has).
    seed : int
    include_self : bool
        Whether a judge may judge a pair holding its own answer.

    Returns
    -------
    dict of str to list of (model_a, model_b, judge)
        Each item's slots, pairs in the order of ``models``; a pair no judge may judge is
        left out.
    """
    ring = sorted(models, key=lambda m: _hash(seed, "ring", m))
    n = len(ring)
    order = sorted(dict.fromkeys(items), key=lambda item: (_hash(seed, "item", item), item))
    if n < 2 or not order:
        return {item: [] for item in order}
    edges = [(ring[k], ring[(k + 1) % n]) for k in range(n if n > 2 else 1)]
    per_item = min(len(edges), max(pairs, -(-len(edges) // len(order))))
    position = {m: i for i, m in enumerate(models)}
    design = {}
    for place, item in enumerate(order):
        slots = []
        for j in range(per_item):
            a, b = sorted(edges[(place * per_item + j) % len(edges)], key=position.__getitem__)
            eligible = [judge for judge in judges if include_self or judge not in (a, b)]
            if eligible:
                slots.append((a, b, eligible[_hash(seed, item, a, b) % len(eligible)]))
        design[item] = slots
    return design


def separated_pairs(board: Leaderboard) -> frozenset[tuple[str, str]]:
    """Pairs (above, below) whose strength intervals are apart."""
    lower, upper, models = board.strength_lower, board.strength_upper, board.models
    return frozenset((models[i], models[j]) for i in range(len(models)) for j in range(len(models))
                     if i != j and upper[j] < lower[i])


#: A separation is checked while its gap is under this share of the margin an overlap is
#: pursued within (see `_doubtful`).
CHECK_GAP = 0.5


def _doubtful(board: Leaderboard, judged: dict[frozenset, float], open_: dict[frozenset, int]
              ) -> list[tuple[str, str]]:
    """Pairs whose order the slots still open to them could change. If a pair judged in
    k slots can have g·k, its intervals may shrink by about 1/√g (the bootstrap's error
    falls with the square root of the evidence): the margin is (1 − 1/√g) of their mean
    width. Overlapping pairs whose overlap is under the margin could be separated; a
    separated pair whose gap is under `CHECK_GAP` of it is checked, because a design
    that stops asking about a pair as soon as it separates keeps the separations chance
    made (sampling to a foregone conclusion: without the check, one council in 24 of
    `bench_adaptive.py --truth` separated two models of equal strength). A pair never
    judged is always in doubt."""
    lower, upper, models = board.strength_lower, board.strength_upper, board.models
    width = upper - lower
    doubtful = []
    for i in range(len(models)):
        for j in range(i + 1, len(models)):
            pair = frozenset((models[i], models[j]))
            room = open_.get(pair, 0)
            if not room:
                continue
            overlap = min(upper[j] - lower[i], upper[i] - lower[j])  # > 0: the intervals overlap
            done = judged.get(pair, 0.0)
            margin = (1.0 if done == 0 else 1 - np.sqrt(done / (done + room))) * (width[i] + width[j]) / 2
            if (overlap < margin) if overlap >= 0 else (-overlap < CHECK_GAP * margin):
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
        slot compares them (or none can connect what the votes leave apart).
    doubtful : tuple of (str, str)
        Pairs whose order the open slots could still change; before the votes connect
        every model, the pairs across the parts.
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


def _groups(votes: Votes, others: set[str]) -> list[set[str]]:
    """The models linked by a chain of ``votes``' comparisons, each of ``others`` no vote
    compares alone: the parts a fit would have to rank against each other."""
    parent = {m: m for m in (*votes.models, *sorted(others))}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    seen = np.union1d(votes.model_a, votes.model_b)
    for a, b in set(zip(votes.model_a.tolist(), votes.model_b.tolist())):
        parent[root(votes.models[a])] = root(votes.models[b])
    members = {votes.models[i] for i in seen} | others
    groups: dict[str, set[str]] = {}
    for m in sorted(members):
        groups.setdefault(root(m), set()).add(m)
    return list(groups.values())


def adaptive_step(votes: Votes, slot_item: Sequence[str], slot_a: Sequence[str], slot_b: Sequence[str],
                  slot_judge: Sequence[str], n: int, *, settings: ScoringSettings | None = None,
                  seed: int = 0, choose: AdaptiveChoice = "doubt") -> AdaptiveStep:
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
    choose : {"doubt", "random"}
        Which slots: the doubtful pairs' least-judged cells (``"doubt"``), or slots drawn
        at random from all open ones (``"random"``: a random design grown until the same
        stop rule stops it).

    Returns
    -------
    AdaptiveStep
        Deterministic given the votes, the *set* of slots and ``seed``: the order the
        slots are listed in does not matter. When the scored votes do not yet connect
        every model the open slots hold (or come from one item), no refit is made: the
        step chooses the slots that connect them, and stops ``"exhausted"`` if none can.
    """
    settings = settings or ScoringSettings(rounds=200, seed=seed)

    def cell(item: str, a: str, b: str) -> tuple[str, str, str]:
        first, second = sorted((a, b))
        return item, first, second

    # Counted in slots: a slot is two votes, one per order.
    taken: dict[tuple[str, str, str], float] = {}
    judged: dict[frozenset, float] = {}
    lows, highs = np.minimum(votes.model_a, votes.model_b), np.maximum(votes.model_a, votes.model_b)
    cells, counts = np.unique(np.stack([votes.item, lows, highs]), axis=1, return_counts=True)
    for (i, a, b), count in zip(cells.T.tolist(), counts.tolist()):
        key = cell(votes.items[i], votes.models[a], votes.models[b])
        taken[key] = count / 2
        judged[frozenset(key[1:])] = judged.get(frozenset(key[1:]), 0) + count / 2
    judges, counts = np.unique(votes.judge, return_counts=True)
    load = {votes.judges[j]: count / 2 for j, count in zip(judges.tolist(), counts.tolist())}
    tie = _slot_ties(seed, slot_item, slot_a, slot_b, slot_judge)
    empty = np.zeros(0, dtype=np.int64)

    fit_votes = select_votes(votes, settings)[0]
    groups = _groups(fit_votes, {*slot_a, *slot_b})
    if len(groups) > 1 or len(np.unique(fit_votes.item)) < 2:
        layer, turn = _layers(range(len(slot_item)), slot_item, slot_a, slot_b, slot_judge, taken, load, tie)
        return _connect(groups, fit_votes, slot_item, slot_a, slot_b, n, np.lexsort((tie, turn, layer)))

    board = rank_models(votes, settings)
    ranks = tuple((m, int(lo), int(hi)) for m, lo, hi in zip(board.models, board.rank_lower, board.rank_upper))
    room: dict[frozenset, int] = {}
    for a, b in zip(slot_a, slot_b):
        room[frozenset((a, b))] = room.get(frozenset((a, b)), 0) + 1
    doubtful = _doubtful(board, judged, room)
    separated = separated_pairs(board)
    untried = sum(1 for pair in doubtful if not judged.get(frozenset(pair)))

    def made(chosen: np.ndarray, stopped: str | None) -> AdaptiveStep:
        return AdaptiveStep(chosen, stopped, tuple(doubtful), separated, ranks, untried)

    if not doubtful:
        return made(empty, "settled")
    wanted = {frozenset(pair) for pair in doubtful}
    if not any(frozenset((a, b)) in wanted for a, b in zip(slot_a, slot_b)):
        return made(empty, "exhausted")
    if choose == "random":
        return made(np.argsort(tie, kind="stable")[:n].astype(np.int64), None)
    open_ = [k for k in range(len(slot_item)) if frozenset((slot_a[k], slot_b[k])) in wanted]
    layer, turn = _layers(open_, slot_item, slot_a, slot_b, slot_judge, taken, load, tie)
    order = np.lexsort((tie[open_], turn, layer))[:n]
    return made(np.asarray(open_, dtype=np.int64)[order], None)


def _codes(names: Sequence[Hashable]) -> np.ndarray:
    """Each name's number, in order of first appearance."""
    numbers: dict[Hashable, int] = {}
    return np.fromiter((numbers.setdefault(name, len(numbers)) for name in names), dtype=np.int64, count=len(names))


def _rank_within(group: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each entry's place (0, 1, …) among the entries of its ``group``, given ``order``:
    the entries sorted by group, then by what ranks them within it."""
    ranked = np.empty(len(order), dtype=np.int64)
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(sorted_group[1:] != sorted_group[:-1]) + 1] if len(order) else order
    first = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranked[order] = np.arange(len(order)) - first
    return ranked


def _layers(slots: Sequence[int], slot_item: Sequence[str], slot_a: Sequence[str], slot_b: Sequence[str],
            slot_judge: Sequence[str], taken: dict, load: dict, tie: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each open slot's layer and turn: within a cell (item, pair), its slots line up by
    their judges' load, so the k-th of them would make the cell's (taken + k)-th
    judgment, its layer. Lower layers first (new items before more judges on one item);
    within a layer, each judge's slots line up too (its turn), so one step spreads over
    judges."""
    open_ = np.asarray(slots, dtype=np.int64)
    cells = [(slot_item[k], *sorted((slot_a[k], slot_b[k]))) for k in open_]
    cell = _codes(cells)
    judge = _codes([slot_judge[k] for k in open_])
    judge_load = np.array([load.get(slot_judge[k], 0) for k in open_], dtype=np.float64)
    ties = tie[open_]
    done = np.zeros(int(cell.max()) + 1 if len(cell) else 0)
    for key, code in zip(cells, cell.tolist()):
        done[code] = taken.get(key, 0)
    layer = done[cell] + _rank_within(cell, np.lexsort((ties, judge_load, cell)))
    if not len(open_):
        return layer, judge_load
    by_layer_and_judge = np.unique(np.stack([layer, judge]), axis=1, return_inverse=True)[1].reshape(-1)
    turn = judge_load + _rank_within(by_layer_and_judge, np.lexsort((ties, judge, layer)))
    return layer, turn


def _connect(groups: list[set[str]], fit_votes: Votes, slot_item: Sequence[str], slot_a: Sequence[str],
             slot_b: Sequence[str], n: int, preference: np.ndarray) -> AdaptiveStep:
    """The step taken before the votes can be fitted: slots that join the groups (each
    joining two groups not yet joined, the first in ``preference`` — least-judged cells
    first), or, when the votes are connected but come from one item, slots on other
    items. Every pair across groups counts as in doubt and untried, so the design cannot
    settle here."""
    group_of = {m: g for g, members in enumerate(groups) for m in members}
    parent = list(range(len(groups)))

    def root(g: int) -> int:
        while parent[g] != g:
            g = parent[g]
        return g

    judged_items = {fit_votes.items[i] for i in np.unique(fit_votes.item)}
    crossing = sorted({tuple(sorted((a, b))) for a, b in zip(slot_a, slot_b) if group_of[a] != group_of[b]})
    chosen: list[int] = []
    for k in preference:
        if len(chosen) >= n:
            break
        ga, gb = root(group_of[slot_a[k]]), root(group_of[slot_b[k]])
        if len(groups) > 1 and ga != gb:
            parent[ga] = gb
            chosen.append(int(k))
        elif len(groups) == 1 and slot_item[k] not in judged_items:
            judged_items.add(slot_item[k])
            chosen.append(int(k))
    pairs = tuple((a, b) for a, b in crossing)
    return AdaptiveStep(np.asarray(chosen, dtype=np.int64), None if chosen else "exhausted", pairs, frozenset(), (),
                        len(pairs) or 1)


class Refit(NamedTuple):
    """What `unchanged` compares: a refit's separated pairs, the votes it saw, how many
    pairs were in doubt, and how many of those had no judgment of their own yet."""

    separated: frozenset[tuple[str, str]]
    n_votes: int
    doubtful: int
    untried: int = 0


def unchanged(history: Sequence[Refit], patience: int) -> bool:
    """Whether the leaderboard stopped changing: the separated pairs of the last
    ``patience`` + 1 refits are the same and not none, meanwhile every pair then in
    doubt could have had another judgment (two votes each), and no pair in doubt is
    untried — so a large council does not "settle" on its first refits merely because
    nothing is separated yet. (A council of equals still settles: its pairs leave doubt
    once their intervals lie on top of each other, see `adaptive_step`.)

    Rank intervals are not compared: at a refit's 200 bootstrap rounds their ends move
    with the draws alone, and a design that waited for them to stand still asked 57–75%
    of all calls on simulated councils."""
    if patience < 1 or len(history) < patience + 1 or history[-1].untried or not history[-1].separated:
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


def _slots(votes: Votes) -> dict[tuple[str, str, str, str], list[int]]:
    """The votes a council could ask, by slot (item, model_a, model_b, judge; the pair
    in the models' order): both orders of one judge's comparison. Self-judgments are
    left out — a council never asks them."""
    slots: dict[tuple[str, str, str, str], list[int]] = {}
    for k in np.flatnonzero(~votes.is_self):
        a, b = sorted((votes.model_a[k], votes.model_b[k]))
        slots.setdefault((votes.items[votes.item[k]], votes.models[a], votes.models[b],
                          votes.judges[votes.judge[k]]), []).append(int(k))
    return slots


def random_design(votes: Votes, calls: int, seed: int = 0) -> np.ndarray:
    """A mask of about ``calls`` votes: slots (a judge's comparison of a pair on an
    item, both orders) drawn uniformly — the baseline a rule must beat. Self-judgments
    are never drawn, as a council never asks them."""
    slots = list(_slots(votes).values())
    mask = np.zeros(len(votes), dtype=bool)
    for k in np.random.default_rng(seed).permutation(len(slots))[:max(0, calls) // 2]:
        mask[slots[k]] = True
    return mask


def replay_adaptive(votes: Votes, *, pairs_per_item: int = 2, batch_calls: int = 200, max_calls: int | None = None,
                    patience: int = 3, settings: ScoringSettings | None = None, seed: int = 0,
                    choose: AdaptiveChoice = "doubt") -> tuple[np.ndarray, str, int]:
    """Replay adaptive judging on complete ``votes`` (a call returns its recorded vote;
    nothing else is visible), by `start_design`, `adaptive_step` and `unchanged` exactly
    as a council run takes them. Self-judgments are never asked.

    Parameters
    ----------
    votes : Votes
        A complete design: every slot a council could ask, both orders.
    pairs_per_item, batch_calls, max_calls, patience, choose
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
    slots = _slots(votes)
    used = np.zeros(len(votes), dtype=bool)
    for item, start in start_design(votes.models, votes.judges, votes.items, pairs=pairs_per_item, seed=seed).items():
        for a, b, judge in start:
            used[slots.pop((item, a, b, judge), [])] = True
    cap = max_calls if max_calls is not None else int((~votes.is_self).sum())
    history: list[Refit] = []
    refits = 0
    while True:
        room = min(batch_calls, cap - int(used.sum())) // 2
        if room <= 0:
            return used, "max_calls", refits
        keys = list(slots)
        step = adaptive_step(votes.select(used), [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
                             [k[3] for k in keys], room, settings=settings, seed=seed + refits, choose=choose)
        refits += 1
        history.append(Refit(step.separated, int(used.sum()), len(step.doubtful), step.untried))
        if step.stopped:
            return used, step.stopped, refits
        if unchanged(history, patience):
            return used, "settled", refits
        for k in step.chosen:
            used[slots.pop(keys[k])] = True
