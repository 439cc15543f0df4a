"""What a labelling page shows and stores: the comparisons of a run, one at a time,
blind, in an order fixed for the run, each label committed the moment it is given.

The order is computed once from the jury's votes (`scoring.ppi.labelling_order`), with
each comparison's uniform draw taken from a hash of its item and pair: every process
serving the run — after a kill, or several at once — offers the same order, and what a
labeller has labelled is read from the store each time, so nothing is asked twice and
nothing is lost. Which of the two answers is shown first is a coin fixed per labeller
and comparison, so a reload shows the same page.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from council.errors import BadInput
from council.stages.base import task_of
from council.stages.verdicts import labels as verdict_labels
from council.store.db import DB_NAME
from council.store.frames import open_run
from council.store.labels import Label
from council.store.ledger import Ledger
from scoring import ScoringSettings
from scoring.ppi import key_shares, labelling_chances, labelling_order
from scoring.settings import LabelChoice

__all__ = ["Comparison", "LabellingQueue", "PAGE_SOURCE"]

#: ``source`` of labels given on the page (an import's is its file name).
PAGE_SOURCE = "page"


def _uniform(*parts: str) -> float:
    """A fixed uniform(0, 1) draw for a comparison: the same in every process."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2.0**64


@dataclass(frozen=True)
class Comparison:
    """One comparison as a labeller sees it: ``first`` is the model whose answer is
    shown first (never shown to the labeller)."""

    item: str
    first: str
    second: str
    selection_weight: float

    @property
    def pair(self) -> tuple[str, str, str]:
        low, high = sorted((self.first, self.second))
        return self.item, low, high


class LabellingQueue:
    """A run's comparisons in labelling order, and the labels given on them."""

    def __init__(self, run_dir: str | Path, choose: LabelChoice = "split"):
        self.run_dir = Path(run_dir)
        with open_run(self.run_dir) as store:
            config = store.config()
            votes = store.scoring_votes()
            self.items = store.item_texts()
            answers = store.responses.select("item", "respondent", "text").iter_rows()
            self.answers = {(item, respondent): text for item, respondent, text in answers}
        if config is None:
            raise BadInput("the run has no council file stored: run it first", path=str(run_dir))
        task = task_of(config)
        self.criteria = task.criteria
        self.instructions = task.instructions or task.description
        self.verdicts = verdict_labels(config.judge.allow_tie)
        jury = key_shares(votes, ScoringSettings(include_self=True))
        names = votes.models
        pairs = [(votes.items[i], names[a], names[b]) for i, a, b in zip(jury.item, jury.first, jury.second)]
        # Only comparisons both of whose answers are stored can be shown.
        shown = np.array([(item, a) in self.answers and (item, b) in self.answers for item, a, b in pairs],
                         dtype=bool)
        pairs = [pair for pair, ok in zip(pairs, shown) if ok]
        if not pairs:
            raise BadInput("the run has no judged comparison to label yet", path=str(run_dir))
        chances = labelling_chances(jury.share[shown]) if choose == "split" else np.ones(len(pairs))
        uniforms = np.array([_uniform(*pair) for pair in pairs])
        order = labelling_order(chances, uniforms)
        self.order = [pairs[k] for k in order]
        self.chances = {pairs[k]: float(chances[k]) for k in order}
        self._lock = threading.Lock()

    def _done(self, labeller: str) -> set[tuple[str, str, str]]:
        with Ledger.open(self.run_dir / DB_NAME) as ledger:
            return {(item, a, b) for who, item, a, b in ledger.labels.existing_pairs() if who == labeller}

    def progress(self, labeller: str) -> tuple[int, int]:
        """Comparisons the labeller has labelled (of those offered), and how many there are."""
        done = self._done(labeller)
        return sum(pair in done for pair in self.order), len(self.order)

    def next_for(self, labeller: str, skipped: Set[tuple[str, str, str]] = frozenset()) -> Comparison | None:
        """The first comparison in the order the labeller has neither labelled nor
        skipped (None when none is left)."""
        done = self._done(labeller)
        for pair in self.order:
            if pair not in done and pair not in skipped:
                item, a, b = pair
                swap = _uniform(labeller, *pair) < 0.5
                first, second = (b, a) if swap else (a, b)
                return Comparison(item, first, second, self.chances[pair])
        return None

    def answer(self, item: str, model: str) -> str:
        return self.answers[(item, model)]

    def record(self, labeller: str, comparison: Comparison, verdict: str) -> None:
        """Store a label now. `LabelExists` when the labeller has one on it."""
        if verdict not in self.verdicts:
            raise ValueError(f"verdict must be one of {', '.join(self.verdicts)}")
        label = Label(comparison.item, comparison.first, comparison.second, labeller, verdict,
                                  PAGE_SOURCE, comparison.selection_weight)
        with self._lock, Ledger.open(self.run_dir / DB_NAME) as ledger:
            ledger.labels.add_labels([label])

    def undo(self, labeller: str) -> Label | None:
        """Remove the labeller's latest label given on the page, and return it."""
        with self._lock, Ledger.open(self.run_dir / DB_NAME) as ledger:
            return ledger.labels.remove_latest(labeller, PAGE_SOURCE)
