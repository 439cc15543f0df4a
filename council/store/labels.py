"""Human labels in a run's store: who preferred which of two answers to one item.

One label per labeller, item and pair of models (in either order shown): a second one
is refused, never written over — a person's earlier judgment is data too. The only
removal is a labeller's undo of their own latest label.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from council.store.sqlite import Schema, transaction, utc_now

__all__ = ["Label", "LabelExists", "Labels"]


@dataclass(frozen=True)
class Label:
    """One human verdict: ``model_a`` is the answer shown first."""

    item: str
    model_a: str
    model_b: str
    labeller: str
    verdict: str
    source: str  # "page", or the file it was imported from
    selection_weight: float | None = None  # chance of this comparison being offered, relative to uniform


class LabelExists(Exception):
    """A label for a (labeller, item, pair) that already has one."""


class Labels:
    """The human labels of one run's ledger (`council.store.ledger.Ledger.labels`)."""

    def __init__(self, conn: sqlite3.Connection, schema: Schema):
        self.conn, self.schema = conn, schema

    def existing_pairs(self) -> set[tuple[str, str, str, str]]:
        """Each stored (labeller, item, first, second) with the pair in sorted order."""
        if not self.schema.has("human_labels"):
            return set()
        rows = self.conn.execute(
            "SELECT labeller, item, min(model_a, model_b), max(model_a, model_b) FROM human_labels")
        return {(labeller, item, first, second) for labeller, item, first, second in rows}

    def add_labels(self, labels: Iterable[Label]) -> int:
        """Store the labels in one transaction (all or none); returns how many.

        Raises
        ------
        LabelExists
            One of them repeats a stored (labeller, item, pair); nothing is written.
        """
        now = utc_now()
        rows = [(label.item, label.model_a, label.model_b, label.labeller, label.verdict, label.source,
                 label.selection_weight, now) for label in labels]
        try:
            with transaction(self.conn):
                self.conn.executemany("INSERT INTO human_labels (item, model_a, model_b, labeller, verdict, source, "
                                      "selection_weight, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.IntegrityError as error:
            raise LabelExists(str(error)) from None
        return len(rows)

    def label_rows(self) -> list[tuple[str, str, str, str, str, float]]:
        """Every stored label as (item, labeller, model_a, model_b, verdict, selection
        weight — 1 where the comparison was not chosen by chance weights), oldest first."""
        if not self.schema.has("human_labels"):
            return []
        # A reader never migrates: a store of schema 8 has no selection weights (all uniform).
        weight = "coalesce(selection_weight, 1.0)" if self.schema.has("human_labels", "selection_weight") else "1.0"
        return self.conn.execute(f"SELECT item, labeller, model_a, model_b, verdict, {weight} "
                                 "FROM human_labels ORDER BY id").fetchall()

    def remove_latest(self, labeller: str, source: str) -> Label | None:
        """Undo: remove the labeller's latest label from ``source`` and return it (None
        when there is none)."""
        with transaction(self.conn):
            row = self.conn.execute("SELECT id, item, model_a, model_b, labeller, verdict, source, selection_weight "
                                    "FROM human_labels WHERE labeller = ? AND source = ? ORDER BY id DESC LIMIT 1",
                                    (labeller, source)).fetchone()
            if row is None:
                return None
            self.conn.execute("DELETE FROM human_labels WHERE id = ?", (row[0],))
        return Label(*row[1:])
