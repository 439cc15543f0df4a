"""The ledger of calls: every unit of work, its status, and what it produced.

A unit's product (item, response or vote) and its call's final status are written in
one transaction, so a crash leaves either both or neither: resuming is simply doing
the keys that are not final.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Iterable

from council.store.db import transaction, utc_now

__all__ = ["FINAL", "CallRecord", "Usage", "ensure_pending", "final_keys", "record", "spent_usd", "stage_counts"]

#: Statuses that mean "done, never call again": an unparseable verdict was paid for.
FINAL = ("ok", "unparseable")


@dataclass(frozen=True)
class Usage:
    """What one unit of work cost, over all its attempts and re-asks."""

    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            self.attempts + other.attempts,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost_usd + other.cost_usd,
            self.latency_s + other.latency_s,
        )


@dataclass(frozen=True)
class CallRecord:
    """The outcome of a unit to write: status, usage, error, and product rows."""

    key: str
    status: str
    usage: Usage
    error: str | None = None
    product_table: str | None = None
    product: dict | None = None


def ensure_pending(conn: sqlite3.Connection, units: Iterable[tuple[str, str, str, str]]) -> None:
    """Insert (key, stage, member, prompt_hash) rows not in the ledger yet, as pending."""
    now = utc_now()
    with transaction(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO calls (key, stage, member, status, prompt_hash, updated_at) "
            "VALUES (?, ?, ?, 'pending', ?, ?)",
            [(key, stage, member, prompt_hash, now) for key, stage, member, prompt_hash in units],
        )


def final_keys(conn: sqlite3.Connection, stage: str) -> set[str]:
    placeholders = ", ".join("?" for _ in FINAL)
    rows = conn.execute(f"SELECT key FROM calls WHERE stage = ? AND status IN ({placeholders})", (stage, *FINAL))
    return {row[0] for row in rows}


def record(conn: sqlite3.Connection, outcome: CallRecord) -> None:
    """Write a unit's outcome; attempts and spend add to what earlier runs recorded."""
    usage = outcome.usage
    with transaction(conn):
        if outcome.product_table is not None:
            columns = ", ".join(outcome.product)
            marks = ", ".join("?" for _ in outcome.product)
            conn.execute(
                f"INSERT INTO {outcome.product_table} ({columns}) VALUES ({marks})", tuple(outcome.product.values())
            )
        conn.execute(
            "UPDATE calls SET status = ?, attempts = attempts + ?, input_tokens = input_tokens + ?, "
            "output_tokens = output_tokens + ?, cost_usd = cost_usd + ?, latency_s = ?, error = ?, updated_at = ? "
            "WHERE key = ?",
            (
                outcome.status, usage.attempts, usage.input_tokens, usage.output_tokens, usage.cost_usd,
                usage.latency_s, outcome.error, utc_now(), outcome.key,
            ),
        )


def spent_usd(conn: sqlite3.Connection) -> float:
    return float(conn.execute("SELECT coalesce(sum(cost_usd), 0) FROM calls").fetchone()[0])


def stage_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Calls per stage and status."""
    counts: dict[str, dict[str, int]] = {}
    for stage, status, n in conn.execute("SELECT stage, status, count(*) FROM calls GROUP BY stage, status"):
        counts.setdefault(stage, {})[status] = n
    return counts
