"""Human labels into a run: checked like every input, stored all or none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from council.errors import BadInput
from council.inputs.votes import line_of_row, read_votes
from council.store.db import DB_NAME
from council.store.frames import open_run
from council.store.labels import Label, LabelExists
from council.store.ledger import Ledger
from scoring import UNSCORED, label_of

__all__ = ["LabelImport", "import_labels"]


@dataclass(frozen=True)
class LabelImport:
    """What `import_labels` stored."""

    n_labels: int
    labellers: tuple[str, ...]
    n_unjudged: int  # labels on an (item, pair) the jury never judged: stored, not used against the jury

    def summary(self, path: str) -> str:
        text = f"stored {self.n_labels} label(s) by {', '.join(self.labellers)} from {path}"
        if self.n_unjudged:
            text += (f"; {self.n_unjudged} are on pairs the jury never judged on that item: kept, but the "
                     "human-preference leaderboard uses only labels it can set beside a jury verdict")
        return text


def import_labels(run_dir: str | Path, path: str | Path) -> LabelImport:
    """Store the labels of a votes file (``judge`` = the labeller) in the run.

    Every label must name an item of the run and two of its contestants, carry a
    verdict, and be the labeller's first on that item and pair (in either order):
    anything else is `BadInput` naming the line, and nothing is stored.
    """
    path = str(path)
    votes = read_votes(path, duplicates="error", self_pairs="error").votes
    with open_run(run_dir) as store:
        items = set(store.item_texts())
        contestants = set(store.responses["respondent"].to_list())
        judged = {(item, *sorted((a, b))) for item, a, b in
                  store.frame("votes").select("item", "model_a", "model_b").iter_rows()}

    def refuse(row: int, message: str, field: str | None = None):
        raise BadInput(message, path=path, line=line_of_row(path, row), field=field)

    names = np.asarray(votes.items, dtype=object)[votes.item]
    for bad in np.flatnonzero(~np.isin(names, list(items))):
        refuse(int(bad), f"no item {names[bad]!r} in the run {run_dir}", "item")
    for column in ("model_a", "model_b"):
        named = np.asarray(votes.models, dtype=object)[getattr(votes, column)]
        for bad in np.flatnonzero(~np.isin(named, list(contestants))):
            refuse(int(bad), f"{named[bad]!r} answered nothing in the run {run_dir}", column)
    for bad in np.flatnonzero(votes.outcome == UNSCORED):
        refuse(int(bad), "a label needs a verdict (A>>B, A>B, A=B, B>A or B>>A)", "verdict")
    with Ledger.open(Path(run_dir) / DB_NAME) as ledger:
        stored = ledger.labels.existing_pairs()
        seen: dict[tuple[str, str, str, str], int] = {}
        labels = []
        for row in range(len(votes)):
            item, labeller = votes.items[votes.item[row]], votes.judges[votes.judge[row]]
            a, b = votes.models[votes.model_a[row]], votes.models[votes.model_b[row]]
            key = (labeller, item, *sorted((a, b)))
            if key in stored:
                refuse(row, f"{labeller} has labelled {a} and {b} on {item} already; a label is never replaced")
            if key in seen:
                refuse(row, f"{labeller} labels {a} and {b} on {item} twice (also line {line_of_row(path, seen[key])})")
            seen[key] = row
            verdict = str(label_of(int(votes.outcome[row])))
            labels.append(Label(item, a, b, labeller, verdict, Path(path).name))
        try:
            ledger.labels.add_labels(labels)
        except LabelExists:
            raise BadInput("another labeller stored one of these labels meanwhile; nothing was stored, import "
                           "again", path=path) from None
    unjudged = sum((label.item, *sorted((label.model_a, label.model_b))) not in judged for label in labels)
    return LabelImport(len(labels), tuple(sorted({label.labeller for label in labels})), unjudged)
