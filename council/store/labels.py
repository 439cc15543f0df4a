"""Human labels in a run's store: who preferred which of two answers to one item.

One label per labeller, item and pair of models (in either order shown): a second one
is refused, never written over — a person's earlier judgment is data too. The only
removal is a labeller's undo of their own latest label.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from council.store.sqlite import has_column, has_table, transaction, utc_now

__all__ = ["Label", "LabelExists", "add_labels", "existing_pairs", "label_rows", "remove_latest"]


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


def existing_pairs(conn: sqlite3.Connection) -> set[tuple[str, str, str, str]]:
    """Each stored (labeller, item, first, second) with the pair in sorted order."""
    if not has_table(conn, "human_labels"):
        return set()
    rows = conn.execute("SELECT labeller, item, min(model_a, model_b), max(model_a, model_b) FROM human_labels")
    return {(labeller, item, first, second) for labeller, item, first, second in rows}


def add_labels(conn: sqlite3.Connection, labels: Iterable[Label]) -> int:
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
        with transaction(conn):
            conn.executemany("INSERT INTO human_labels (item, model_a, model_b, labeller, verdict, source, "
                             "selection_weight, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    except sqlite3.IntegrityError as error:
        raise LabelExists(str(error)) from None
    return len(rows)


def label_rows(conn: sqlite3.Connection) -> list[tuple[str, str, str, str, str, float]]:
    """Every stored label as (item, labeller, model_a, model_b, verdict, selection
    weight — 1 where the comparison was not chosen by chance weights), oldest first."""
    if not has_table(conn, "human_labels"):
        return []
    # A reader never migrates: a store of schema 8 has no selection weights (all uniform).
    weight = "coalesce(selection_weight, 1.0)" if has_column(conn, "human_labels", "selection_weight") else "1.0"
    return conn.execute(f"SELECT item, labeller, model_a, model_b, verdict, {weight} "
                        "FROM human_labels ORDER BY id").fetchall()


def remove_latest(conn: sqlite3.Connection, labeller: str, source: str) -> Label | None:
    """Undo: remove the labeller's latest label from ``source`` and return it (None
    when there is none)."""
    with transaction(conn):
        row = conn.execute("SELECT id, item, model_a, model_b, labeller, verdict, source, selection_weight "
                           "FROM human_labels WHERE labeller = ? AND source = ? ORDER BY id DESC LIMIT 1",
                           (labeller, source)).fetchone()
        if row is None:
            return None
        conn.execute("DELETE FROM human_labels WHERE id = ?", (row[0],))
    return Label(*row[1:])
