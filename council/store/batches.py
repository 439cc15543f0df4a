"""Provider batches in the ledger: each batch, its lines, and what it reserved.

A batch is written before anything is sent (its lines, each with the fingerprint of the
call it asks), then takes its input file id and provider batch id as they come back, so
a process killed at any moment leaves a row that says how far it got. A work key in a
batch not yet ingested is *live*: it is never submitted again. A batch's outcomes and
its ``ingested_at`` are written in one transaction, so its output counts exactly once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from council.records import CallRecord
from council.store.outcomes import write_outcome
from council.store.sqlite import Schema, transaction, utc_now
from council.vocab import FINAL_STATUSES

__all__ = ["BatchLine", "BatchRow", "Batches"]

_COLUMNS = ("id, member, stage, provider, input_file_id, provider_batch_id, status, output_file_id, error_file_id, "
            "completed_lines, failed_lines, reserved_usd, (SELECT count(*) FROM batch_lines WHERE batch = batches.id)")


@dataclass(frozen=True)
class BatchRow:
    id: int
    member: str
    stage: str
    provider: str
    input_file_id: str | None
    provider_batch_id: str | None
    status: str
    output_file_id: str | None
    error_file_id: str | None
    completed_lines: int
    failed_lines: int
    reserved_usd: float
    lines: int


@dataclass(frozen=True)
class BatchLine:
    custom_id: str
    key: str
    fingerprint: str


class Batches:
    """The provider batches of one run's ledger (`council.store.ledger.Ledger.batches`)."""

    def __init__(self, conn: sqlite3.Connection, schema: Schema):
        self.conn, self.schema = conn, schema

    def open_batch(self, *, member: str, stage: str, provider: str,
                   lines: list[tuple[str, str]], reserved_usd: float) -> int:
        """Record a batch about to be sent: ``lines`` are (key, fingerprint), each given the
        custom id ``<batch>-<n>`` (short, as every provider takes). Returns its id."""
        now = utc_now()
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO batches (member, stage, provider, status, reserved_usd, created_at, updated_at) "
                "VALUES (?, ?, ?, 'preparing', ?, ?, ?)", (member, stage, provider, reserved_usd, now, now),
            )
            batch = int(cursor.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO batch_lines (batch, custom_id, key, fingerprint) VALUES (?, ?, ?, ?)",
                [(batch, f"{batch}-{n}", key, fingerprint) for n, (key, fingerprint) in enumerate(lines)])
        return batch

    def set_uploaded(self, batch: int, input_file_id: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE batches SET input_file_id = ?, status = 'uploaded', updated_at = ? WHERE id = ?",
                (input_file_id, utc_now(), batch))

    def set_submitted(self, batch: int, provider_batch_id: str, status: str) -> None:
        now = utc_now()
        with transaction(self.conn):
            self.conn.execute("UPDATE batches SET provider_batch_id = ?, status = ?, submitted_at = ?, updated_at = ? "
                              "WHERE id = ?", (provider_batch_id, status, now, now, batch))

    def set_state(self, batch: int, *, status: str, output_file_id: str | None,
                  error_file_id: str | None, completed: int, failed: int) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE batches SET status = ?, output_file_id = ?, error_file_id = ?, completed_lines = ?, "
                "failed_lines = ?, updated_at = ? WHERE id = ?",
                (status, output_file_id, error_file_id, completed, failed, utc_now(), batch),
            )

    def live_batches(self, stage: str | None = None) -> list[BatchRow]:
        """Batches not ingested yet (of ``stage``, or all), oldest first."""
        if not self.schema.has("batches"):
            return []
        where = "ingested_at IS NULL" + (" AND stage = ?" if stage else "")
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM batches WHERE {where} ORDER BY id", (stage,) if stage else ())
        return [BatchRow(*row) for row in rows]

    def live_keys(self) -> set[str]:
        """Work keys in a batch not yet ingested: never to be sent again meanwhile."""
        if not self.schema.has("batches"):
            return set()
        rows = self.conn.execute(
            "SELECT l.key FROM batch_lines l JOIN batches b ON b.id = l.batch WHERE b.ingested_at IS NULL")
        return {row[0] for row in rows}

    def batch_lines(self, batch: int) -> list[BatchLine]:
        rows = self.conn.execute(
            "SELECT custom_id, key, fingerprint FROM batch_lines WHERE batch = ? ORDER BY id", (batch,))
        return [BatchLine(*row) for row in rows]

    def reserved_usd(self) -> float:
        """What live batches may still bill: the budget holds it as spent until they are ingested."""
        if not self.schema.has("batches"):
            return 0.0
        query = "SELECT coalesce(sum(reserved_usd), 0) FROM batches WHERE ingested_at IS NULL"
        return float(self.conn.execute(query).fetchone()[0])

    def asked_before(self) -> set[tuple[str, str]]:
        """(key, fingerprint) of every line an ingested batch held: asked once by batch."""
        if not self.schema.has("batches"):
            return set()
        rows = self.conn.execute("SELECT l.key, l.fingerprint FROM batch_lines l JOIN batches b ON b.id = l.batch "
                                 "WHERE b.ingested_at IS NOT NULL")
        return {(key, fingerprint) for key, fingerprint in rows}

    def ingest(self, batch: int, outcomes: list[CallRecord], orphans_usd: float = 0.0) -> int:
        """Write a batch's outcomes and mark it ingested, in one transaction. An outcome is
        written only while its call still asks what the line asked (same fingerprint) and is
        not final: a unit redone meanwhile because its inputs changed does not take an
        answer to its old question. What the outcomes not written cost, with ``orphans_usd``
        (lines of units no longer planned), stays on the batch as ``unrecorded_usd``, so the
        run's spend still holds it. Returns how many outcomes were written."""
        asked = {line.key: line.fingerprint for line in self.batch_lines(batch)}
        marks = ", ".join("?" for _ in FINAL_STATUSES)
        written = 0
        with transaction(self.conn):
            for outcome in outcomes:
                current = self.conn.execute(f"SELECT fingerprint, status IN ({marks}) FROM calls WHERE key = ?",
                                            (*FINAL_STATUSES, outcome.key)).fetchone()
                if current is None or current[0] != asked.get(outcome.key) or current[1]:
                    orphans_usd += outcome.usage.cost_usd
                    continue
                write_outcome(self.conn, outcome)
                written += 1
            now = utc_now()
            self.conn.execute("UPDATE batches SET ingested_at = ?, updated_at = ?, unrecorded_usd = ? WHERE id = ?",
                              (now, now, orphans_usd, batch))
        return written
