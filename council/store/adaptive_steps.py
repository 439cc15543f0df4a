"""Adaptive judging in the ledger: each refit (a step) and the slots it chose.

A step and its choices are written in one transaction, before any of the chosen calls
is made: the judge stage plans its units from the stored choices, so a process killed
after a step asks exactly those slots when it runs again, and the next refit sees the
same votes it would have seen. A step that stopped the design records why.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from council.store.sqlite import Schema, transaction, utc_now

__all__ = ["AdaptiveSteps", "StepRow"]


@dataclass(frozen=True)
class StepRow:
    step: int
    n_votes: int
    doubtful: int
    chosen: int
    stopped: str | None
    separated: frozenset[tuple[str, str]]


def _row(row: tuple) -> StepRow:
    step, n_votes, doubtful, chosen, stopped, separated = row
    return StepRow(step, n_votes, doubtful, chosen, stopped, frozenset(tuple(p) for p in json.loads(separated)))


class AdaptiveSteps:
    """Adaptive judging's refits in one run's ledger (`council.store.ledger.Ledger.adaptive`)."""

    def __init__(self, conn: sqlite3.Connection, schema: Schema):
        self.conn, self.schema = conn, schema

    def record_step(self, *, n_votes: int, doubtful: int, separated: frozenset[tuple[str, str]],
                    rank_intervals: tuple[tuple[str, int, int], ...], chosen: list[tuple[str, str, str, str]],
                    stopped: str | None) -> StepRow:
        """Store a refit and the (item, model_a, model_b, judge) slots it chose; returns its row."""
        with transaction(self.conn):
            step = self.conn.execute("SELECT coalesce(max(step), 0) + 1 FROM adaptive_steps").fetchone()[0]
            self.conn.execute(
                "INSERT INTO adaptive_steps (step, n_votes, doubtful, separated, rank_intervals, chosen, stopped, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (step, n_votes, doubtful, json.dumps(sorted(separated)), json.dumps(list(rank_intervals)), len(chosen),
                 stopped, utc_now()),
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO adaptive_choices (step, item, model_a, model_b, judge) VALUES (?, ?, ?, ?, ?)",
                [(step, *slot) for slot in chosen],
            )
        return StepRow(step, n_votes, doubtful, len(chosen), stopped, separated)

    def chosen_slots(self) -> dict[str, tuple[tuple[str, str, str], ...]]:
        """The slots every step chose, by item: (model_a, model_b, judge), in the order chosen."""
        if not self.schema.has("adaptive_choices"):
            return {}
        found: dict[str, list[tuple[str, str, str]]] = {}
        for item, a, b, judge in self.conn.execute(
                "SELECT item, model_a, model_b, judge FROM adaptive_choices ORDER BY step, rowid"):
            found.setdefault(item, []).append((a, b, judge))
        return {item: tuple(slots) for item, slots in found.items()}

    def steps(self) -> list[StepRow]:
        """Every step, oldest first (none in a store older than adaptive judging)."""
        if not self.schema.has("adaptive_steps"):
            return []
        return [_row(row) for row in self.conn.execute(
            "SELECT step, n_votes, doubtful, chosen, stopped, separated FROM adaptive_steps ORDER BY step")]
