"""The ledger of a run: every unit of work, its status, and what it produced.

One `Ledger` per open run store (simonw/llm's shape): it learns the store's schema once
when opened, and owns every SQL statement a run makes — its calls and products here,
its provider batches, adaptive refits and human labels as parts (``batches``,
``adaptive``, ``labels``) over the same connection. Stages never see it: they plan from
what the engine reads here. A unit's product (item, response or vote) and its call's
final status are written in one transaction, so a crash leaves either both or neither:
resuming is simply doing the keys that are not final.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from council.records import CallRecord
from council.store.adaptive_steps import AdaptiveSteps
from council.store.batches import Batches
from council.store.db import connect, open_reader
from council.store.labels import Labels
from council.store.outcomes import PRODUCT_TABLES, insert_product, write_outcome
from council.store.sqlite import Schema, read_schema, transaction, utc_now
from council.vocab import FAILED_STATUSES, FINAL_STATUSES, CallStatus

__all__ = ["CallRow", "Ledger", "StageCalls"]

_FINAL_MARKS = ", ".join("?" for _ in FINAL_STATUSES)


@dataclass(frozen=True)
class CallRow:
    """One unit of work as the ledger holds it."""

    key: str
    member: str
    status: str
    prompt_hash: str
    fingerprint: str | None
    rejections: int
    error_kind: str | None
    cache_hits: int


@dataclass(frozen=True)
class StageCalls:
    """Every unit of one stage in the ledger, in the order first planned."""

    rows: tuple[CallRow, ...]

    def keys(self) -> list[str]:
        return [row.key for row in self.rows]

    def statuses(self) -> dict[str, str]:
        return {row.key: row.status for row in self.rows}

    def fingerprints(self) -> dict[str, str]:
        """Stored fingerprints (of the units recorded with one)."""
        return {row.key: row.fingerprint for row in self.rows if row.fingerprint is not None}

    def prompt_hashes(self) -> set[str]:
        return {row.prompt_hash for row in self.rows}

    def final_keys(self) -> set[str]:
        return {row.key for row in self.rows if row.status in FINAL_STATUSES}

    def given_up(self, max_rejections: int) -> set[str]:
        """Failed units the provider refused ``max_rejections`` times: never asked again."""
        return {row.key for row in self.rows if row.status in FAILED_STATUSES and row.rejections >= max_rejections}

    def done(self, max_rejections: int) -> set[str]:
        """The one rule of what a run does not do again: final, or given up."""
        return self.final_keys() | self.given_up(max_rejections)

    def error_kinds(self) -> dict[str, str]:
        """Failed units and why they failed (``unknown`` for those stored without a kind)."""
        return {row.key: row.error_kind or "unknown" for row in self.rows if row.status in FAILED_STATUSES}

    def cache_hit_keys(self) -> set[str]:
        """Units whose result came (wholly or in part) from the call cache."""
        return {row.key for row in self.rows if row.cache_hits > 0}


class Ledger:
    """One run store, opened once: `Ledger.open` to write (created and migrated as
    needed), `Ledger.read` to read (read-only, never migrated)."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn, self.path = conn, path
        self.schema: Schema = read_schema(conn)
        self.batches = Batches(conn, self.schema)
        self.adaptive = AdaptiveSteps(conn, self.schema)
        self.labels = Labels(conn, self.schema)

    @classmethod
    def open(cls, path: str | Path) -> Ledger:
        return cls(connect(path), Path(path))

    @classmethod
    def read(cls, path: str | Path) -> Ledger:
        return cls(open_reader(path), Path(path))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def calls(self, stage: str) -> StageCalls:
        """Every unit of ``stage``, typed; one query (older stores read zeros and nulls
        for what they did not record)."""
        has = self.schema.has
        columns = ", ".join([
            "key", "member", "status", "prompt_hash",
            "fingerprint" if has("calls", "fingerprint") else "NULL",
            "rejections" if has("calls", "rejections") else "0",
            "error_kind" if has("calls", "error_kind") else "NULL",
            "cache_hits" if has("calls", "cache_hits") else "0",
        ])
        rows = self.conn.execute(f"SELECT {columns} FROM calls WHERE stage = ? ORDER BY rowid", (stage,))
        return StageCalls(tuple(CallRow(*row) for row in rows))

    def ensure_pending(self, units: Iterable[tuple[str, str, str, str, str]]) -> None:
        """Insert (key, stage, member, prompt_hash, fingerprint) rows not in the ledger yet,
        as pending. Rows stored before fingerprints existed take the one given (nothing
        recorded what shaped them)."""
        now = utc_now()
        rows = list(units)
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR IGNORE INTO calls (key, stage, member, status, prompt_hash, fingerprint, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(key, stage, member, CallStatus.PENDING, digest, fp, now) for key, stage, member, digest, fp in rows],
            )
            self.conn.executemany("UPDATE calls SET fingerprint = ? WHERE key = ? AND fingerprint IS NULL",
                                  [(fp, key) for key, _, _, _, fp in rows])

    def _archive(self, key: str, reason: str, now: str) -> None:
        """Move a unit's result to ``superseded`` and set its call back to pending."""
        call = self.conn.execute(
            "SELECT key, stage, member, status, fingerprint, attempts, input_tokens, output_tokens, cost_usd "
            "FROM calls WHERE key = ?", (key,),
        ).fetchone()
        if call is None:
            return
        product_table, product = None, None
        for table in PRODUCT_TABLES:
            cursor = self.conn.execute(f"SELECT * FROM {table} WHERE call_key = ?", (key,))
            row = cursor.fetchone()
            if row is not None:
                product_table = table
                product = json.dumps(dict(zip([d[0] for d in cursor.description], row)))
                self.conn.execute(f"DELETE FROM {table} WHERE call_key = ?", (key,))
        self.conn.execute(
            "INSERT INTO superseded (key, stage, member, status, fingerprint, attempts, input_tokens, output_tokens, "
            "cost_usd, product_table, product_json, superseded_at, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*call, product_table, product, now, reason),
        )
        self.conn.execute(
            "UPDATE calls SET status = ?, attempts = 0, input_tokens = 0, output_tokens = 0, cost_usd = 0, "
            "latency_s = NULL, error = NULL, error_kind = NULL, rejections = 0, fingerprint = NULL, cache_hits = 0, "
            "provider_model = NULL, updated_at = ? "
            "WHERE key = ?", (CallStatus.PENDING, now, key),
        )

    def supersede(self, reasons: dict[str, str]) -> int:
        """Set aside the results of the keys in ``reasons`` (key -> why), in one transaction:
        kept in ``superseded`` with what they cost, out of every table readers rank, their
        calls pending again. An item set aside takes its answers and judgments with it.
        Returns how many results were set aside."""
        now = utc_now()
        moved = 0
        with transaction(self.conn):
            for key, reason in reasons.items():
                item = self.conn.execute("SELECT id FROM items WHERE call_key = ?", (key,)).fetchone()
                if item is not None:
                    dependants = self.conn.execute(
                        "SELECT call_key FROM responses WHERE item = ? UNION SELECT call_key FROM votes WHERE item = ? "
                        "UNION SELECT call_key FROM drift_votes WHERE item = ?",
                        (item[0], item[0], item[0]),
                    ).fetchall()
                    for (dependant,) in dependants:
                        self._archive(dependant, f"its item was set aside: {reason}", now)
                        moved += 1
                self._archive(key, reason, now)
                moved += 1
        return moved

    def final_count(self, stage: str) -> int:
        """Units of ``stage`` that are done (progress, read while worker processes write)."""
        query = f"SELECT count(*) FROM calls WHERE stage = ? AND status IN ({_FINAL_MARKS})"
        return int(self.conn.execute(query, (stage, *FINAL_STATUSES)).fetchone()[0])

    def record(self, outcome: CallRecord) -> None:
        """Write a unit's outcome; attempts and spend add to what earlier runs recorded."""
        with transaction(self.conn):
            write_outcome(self.conn, outcome)

    def import_records(self, records: Iterable[tuple[str, str, str, str, str, CallRecord]]) -> None:
        """Enter work done without a call (a fixed set's items, candidates' answers) as done.

        ``records`` are (key, stage, member, prompt_hash, fingerprint, outcome). A key done
        already is left as it is (a fingerprint is only added where none was recorded); a
        key pending again — set aside because its content changed — takes the new content.
        """
        now = utc_now()
        with transaction(self.conn):
            for key, stage, member, digest, fingerprint, outcome in records:
                self.conn.execute(
                    "INSERT INTO calls (key, stage, member, status, prompt_hash, fingerprint, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                    "prompt_hash = CASE WHEN status = ? THEN prompt_hash ELSE excluded.prompt_hash END, "
                    "fingerprint = CASE WHEN status = ? THEN coalesce(fingerprint, excluded.fingerprint) "
                    "ELSE excluded.fingerprint END, "
                    "status = CASE WHEN status = ? THEN status ELSE excluded.status END, "
                    "updated_at = excluded.updated_at",
                    (key, stage, member, outcome.status, digest, fingerprint, now, CallStatus.OK, CallStatus.OK,
                     CallStatus.OK),
                )
                insert_product(self.conn, outcome, verb="INSERT OR IGNORE")

    def items(self) -> list[tuple[str, str]]:
        """(id, text) of every item, in the order they were stored."""
        return self.conn.execute("SELECT id, text FROM items ORDER BY rowid").fetchall()

    def answers(self) -> dict[str, dict[str, str]]:
        """Stored answers by item and respondent."""
        found: dict[str, dict[str, str]] = {}
        for item, respondent, text in self.conn.execute("SELECT item, respondent, text FROM responses"):
            found.setdefault(item, {})[respondent] = text
        return found

    def vote_rows(self) -> list[tuple[str, str, str, str, str | None]]:
        """Every stored judgment as (item, judge, model_a, model_b, verdict), in the order stored."""
        return self.conn.execute("SELECT item, judge, model_a, model_b, verdict FROM votes ORDER BY rowid").fetchall()

    def criterion_vote_rows(self) -> list[tuple[str, str, str, str, str, str | None, str]]:
        """Every judgment's verdict on each criterion, as (item, judge, model_a, model_b,
        criterion, verdict or None, call key), in the order stored (none before migration 10)."""
        if not self.schema.has("votes", "criteria"):
            return []
        rows = []
        for item, judge, a, b, criteria, key in self.conn.execute(
                "SELECT item, judge, model_a, model_b, criteria, call_key FROM votes WHERE criteria IS NOT NULL "
                "ORDER BY rowid"):
            rows += [(item, judge, a, b, criterion, verdict, key)
                     for criterion, verdict in json.loads(criteria).items()]
        return rows

    def spent_usd(self) -> float:
        """Everything the run has paid for, results set aside included."""
        spent = float(self.conn.execute("SELECT coalesce(sum(cost_usd), 0) FROM calls").fetchone()[0])
        if self.schema.has("superseded"):  # stores before migration 4 have no superseded table
            spent += float(self.conn.execute("SELECT coalesce(sum(cost_usd), 0) FROM superseded").fetchone()[0])
        if self.schema.has("batches"):  # batch lines paid for units that no longer wanted them
            spent += float(self.conn.execute("SELECT coalesce(sum(unrecorded_usd), 0) FROM batches").fetchone()[0])
        return spent

    def save_snapshot(self, round_number: int, series: str, snapshot: dict) -> None:
        """Store a completed round's leaderboard snapshot (once: a round completes once)."""
        with transaction(self.conn):
            self.conn.execute(
                "INSERT OR IGNORE INTO round_snapshot (round, series, completed_at, snapshot_json) VALUES (?, ?, ?, ?)",
                (round_number, series, snapshot["completed_at"], json.dumps(snapshot, sort_keys=True)),
            )

    def start_invocation(self, *, command: str, config: dict, config_hash: str,
                         package_version: str) -> int:
        """Record that a command started on this run; returns its id."""
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO invocations (started_at, command, config_json, config_hash, package_version) "
                "VALUES (?, ?, ?, ?, ?)",
                (utc_now(), command, json.dumps(config, sort_keys=True), config_hash, package_version),
            )
        return int(cursor.lastrowid or 0)

    def finish_invocation(self, invocation: int, outcome: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE invocations SET finished_at = ?, outcome = ? WHERE id = ?", (utc_now(), outcome, invocation)
            )
