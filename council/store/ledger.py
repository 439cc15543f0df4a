"""The ledger of calls: every unit of work, its status, and what it produced.

This module holds every read and write the engine makes while a run goes on; stages
never see a connection, only what the engine reads for them here. A unit's product
(item, response or vote) and its call's final status are written in one transaction,
so a crash leaves either both or neither: resuming is simply doing the keys that are
not final.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from council.secrets import redact
from council.store.sqlite import has_column, has_table, transaction, utc_now
from council.usage import Usage
from council.vocab import FINAL_STATUSES, CallStatus, ErrorKind

__all__ = [
    "CallRecord", "answers", "cache_hit_keys", "ensure_pending", "error_kinds", "final_count", "final_keys",
    "finish_invocation", "fingerprints", "given_up_keys", "import_records", "supersede",
    "items", "keys", "prompt_hashes", "record", "save_snapshot", "spent_usd", "start_invocation", "statuses",
    "vote_rows", "write_outcome",
]

_FINAL_MARKS = ", ".join("?" for _ in FINAL_STATUSES)
#: Tables a unit's product goes to; names are never taken from elsewhere into SQL.
PRODUCT_TABLES = ("items", "responses", "votes", "drift_votes")


@dataclass(frozen=True)
class CallRecord:
    """The outcome of a unit to write: status, usage, error, and product rows."""

    key: str
    status: CallStatus
    usage: Usage
    error: str | None = None
    error_kind: str | None = None  # a council.vocab.ErrorKind when a provider call failed
    product_table: str | None = None
    product: dict | None = None
    provider_model: str | None = None  # the model id the provider said answered (not for cache hits)


def ensure_pending(conn: sqlite3.Connection, units: Iterable[tuple[str, str, str, str, str]]) -> None:
    """Insert (key, stage, member, prompt_hash, fingerprint) rows not in the ledger yet,
    as pending. Rows stored before fingerprints existed take the one given (nothing
    recorded what shaped them)."""
    now = utc_now()
    rows = list(units)
    with transaction(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO calls (key, stage, member, status, prompt_hash, fingerprint, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(key, stage, member, CallStatus.PENDING, digest, fp, now) for key, stage, member, digest, fp in rows],
        )
        conn.executemany("UPDATE calls SET fingerprint = ? WHERE key = ? AND fingerprint IS NULL",
                         [(fp, key) for key, _, _, _, fp in rows])


def fingerprints(conn: sqlite3.Connection, stage: str) -> dict[str, str]:
    """Stored fingerprints of ``stage``'s units (those recorded with one)."""
    rows = conn.execute("SELECT key, fingerprint FROM calls WHERE stage = ? AND fingerprint IS NOT NULL", (stage,))
    return dict(rows.fetchall())


def _archive(conn: sqlite3.Connection, key: str, reason: str, now: str) -> None:
    """Move a unit's result to ``superseded`` and set its call back to pending."""
    call = conn.execute(
        "SELECT key, stage, member, status, fingerprint, attempts, input_tokens, output_tokens, cost_usd "
        "FROM calls WHERE key = ?", (key,),
    ).fetchone()
    if call is None:
        return
    product_table, product = None, None
    for table in PRODUCT_TABLES:
        cursor = conn.execute(f"SELECT * FROM {table} WHERE call_key = ?", (key,))
        row = cursor.fetchone()
        if row is not None:
            product_table = table
            product = json.dumps(dict(zip([d[0] for d in cursor.description], row)))
            conn.execute(f"DELETE FROM {table} WHERE call_key = ?", (key,))
    conn.execute(
        "INSERT INTO superseded (key, stage, member, status, fingerprint, attempts, input_tokens, output_tokens, "
        "cost_usd, product_table, product_json, superseded_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*call, product_table, product, now, reason),
    )
    conn.execute(
        "UPDATE calls SET status = ?, attempts = 0, input_tokens = 0, output_tokens = 0, cost_usd = 0, "
        "latency_s = NULL, error = NULL, error_kind = NULL, rejections = 0, fingerprint = NULL, cache_hits = 0, "
        "provider_model = NULL, updated_at = ? "
        "WHERE key = ?", (CallStatus.PENDING, now, key),
    )


def supersede(conn: sqlite3.Connection, reasons: dict[str, str]) -> int:
    """Set aside the results of the keys in ``reasons`` (key -> why), in one transaction:
    kept in ``superseded`` with what they cost, out of every table readers rank, their
    calls pending again. An item set aside takes its answers and judgments with it.
    Returns how many results were set aside."""
    now = utc_now()
    moved = 0
    with transaction(conn):
        for key, reason in reasons.items():
            item = conn.execute("SELECT id FROM items WHERE call_key = ?", (key,)).fetchone()
            if item is not None:
                dependants = conn.execute(
                    "SELECT call_key FROM responses WHERE item = ? UNION SELECT call_key FROM votes WHERE item = ? "
                    "UNION SELECT call_key FROM drift_votes WHERE item = ?",
                    (item[0], item[0], item[0]),
                ).fetchall()
                for (dependant,) in dependants:
                    _archive(conn, dependant, f"its item was set aside: {reason}", now)
                    moved += 1
            _archive(conn, key, reason, now)
            moved += 1
    return moved


def final_keys(conn: sqlite3.Connection, stage: str) -> set[str]:
    query = f"SELECT key FROM calls WHERE stage = ? AND status IN ({_FINAL_MARKS})"
    rows = conn.execute(query, (stage, *FINAL_STATUSES))
    return {row[0] for row in rows}


def prompt_hashes(conn: sqlite3.Connection, stage: str) -> set[str]:
    """The distinct prompt hashes ``stage``'s units were planned with."""
    return {row[0] for row in conn.execute("SELECT DISTINCT prompt_hash FROM calls WHERE stage = ?", (stage,))}


def given_up_keys(conn: sqlite3.Connection, stage: str, max_rejections: int) -> set[str]:
    """Failed keys of ``stage`` the provider has refused ``max_rejections`` times: not asked again."""
    if not has_column(conn, "calls", "rejections"):
        return set()
    rows = conn.execute(
        "SELECT key FROM calls WHERE stage = ? AND status IN (?, ?) AND rejections >= ?",
        (stage, CallStatus.FAILED, CallStatus.RETRYABLE_ERROR, max_rejections),
    )
    return {row[0] for row in rows}


def cache_hit_keys(conn: sqlite3.Connection, stage: str) -> set[str]:
    """Keys of ``stage`` whose result came (wholly or in part) from the call cache."""
    if not has_column(conn, "calls", "cache_hits"):
        return set()
    return {row[0] for row in conn.execute("SELECT key FROM calls WHERE stage = ? AND cache_hits > 0", (stage,))}


def statuses(conn: sqlite3.Connection, stage: str) -> dict[str, str]:
    """Every key of ``stage`` in the ledger and its status."""
    return dict(conn.execute("SELECT key, status FROM calls WHERE stage = ?", (stage,)).fetchall())


def error_kinds(conn: sqlite3.Connection, stage: str) -> dict[str, str]:
    """Failed keys of ``stage`` and why they failed (``unknown`` for those stored without a kind)."""
    kind = "error_kind" if has_column(conn, "calls", "error_kind") else "NULL"
    rows = conn.execute(
        f"SELECT key, coalesce({kind}, 'unknown') FROM calls WHERE stage = ? AND status IN (?, ?)",
        (stage, CallStatus.FAILED, CallStatus.RETRYABLE_ERROR),
    )
    return dict(rows.fetchall())


def final_count(conn: sqlite3.Connection, stage: str) -> int:
    """Units of ``stage`` that are done (progress, read while worker processes write)."""
    query = f"SELECT count(*) FROM calls WHERE stage = ? AND status IN ({_FINAL_MARKS})"
    return int(conn.execute(query, (stage, *FINAL_STATUSES)).fetchone()[0])


def keys(conn: sqlite3.Connection, stage: str) -> list[str]:
    """Every key of ``stage`` in the ledger, in the order they were first planned."""
    return [row[0] for row in conn.execute("SELECT key FROM calls WHERE stage = ? ORDER BY rowid", (stage,))]


def _insert_product(conn: sqlite3.Connection, outcome: CallRecord, verb: str = "INSERT") -> None:
    if outcome.product_table is None or outcome.product is None:
        return
    if outcome.product_table not in PRODUCT_TABLES:
        raise ValueError(f"unknown product table {outcome.product_table!r}")
    columns = ", ".join(outcome.product)
    marks = ", ".join("?" for _ in outcome.product)
    conn.execute(
        f"{verb} INTO {outcome.product_table} ({columns}) VALUES ({marks})", tuple(outcome.product.values())
    )


def record(conn: sqlite3.Connection, outcome: CallRecord) -> None:
    """Write a unit's outcome; attempts and spend add to what earlier runs recorded."""
    with transaction(conn):
        write_outcome(conn, outcome)


def write_outcome(conn: sqlite3.Connection, outcome: CallRecord) -> None:
    """`record` inside a transaction the caller holds (a batch's lines go in one)."""
    usage = outcome.usage
    _insert_product(conn, outcome)
    conn.execute(
        "UPDATE calls SET status = ?, attempts = attempts + ?, input_tokens = input_tokens + ?, "
        "output_tokens = output_tokens + ?, cost_usd = cost_usd + ?, latency_s = ?, error = ?, error_kind = ?, "
        "rejections = rejections + ?, cache_hits = cache_hits + ?, provider_model = coalesce(?, provider_model), "
        "updated_at = ? WHERE key = ?",
        (
            outcome.status, usage.attempts, usage.input_tokens, usage.output_tokens, usage.cost_usd,
            usage.latency_s, redact(outcome.error) if outcome.error else None, outcome.error_kind,
            int(outcome.error_kind == ErrorKind.REJECTED), usage.cache_hits, outcome.provider_model, utc_now(),
            outcome.key,
        ),
    )


def import_records(conn: sqlite3.Connection, records: Iterable[tuple[str, str, str, str, str, CallRecord]]) -> None:
    """Enter work done without a call (a fixed set's items, candidates' answers) as done.

    ``records`` are (key, stage, member, prompt_hash, fingerprint, outcome). A key done
    already is left as it is (a fingerprint is only added where none was recorded); a
    key pending again — set aside because its content changed — takes the new content.
    """
    now = utc_now()
    with transaction(conn):
        for key, stage, member, digest, fingerprint, outcome in records:
            conn.execute(
                "INSERT INTO calls (key, stage, member, status, prompt_hash, fingerprint, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "prompt_hash = CASE WHEN status = ? THEN prompt_hash ELSE excluded.prompt_hash END, "
                "fingerprint = CASE WHEN status = ? THEN coalesce(fingerprint, excluded.fingerprint) "
                "ELSE excluded.fingerprint END, "
                "status = CASE WHEN status = ? THEN status ELSE excluded.status END, updated_at = excluded.updated_at",
                (key, stage, member, outcome.status, digest, fingerprint, now, CallStatus.OK, CallStatus.OK,
                 CallStatus.OK),
            )
            _insert_product(conn, outcome, verb="INSERT OR IGNORE")


def items(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(id, text) of every item, in the order they were stored."""
    return conn.execute("SELECT id, text FROM items ORDER BY rowid").fetchall()


def answers(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """Stored answers by item and respondent."""
    found: dict[str, dict[str, str]] = {}
    for item, respondent, text in conn.execute("SELECT item, respondent, text FROM responses"):
        found.setdefault(item, {})[respondent] = text
    return found


def vote_rows(conn: sqlite3.Connection) -> list[tuple[str, str, str, str, str | None]]:
    """Every stored judgment as (item, judge, model_a, model_b, verdict), in the order stored."""
    return conn.execute("SELECT item, judge, model_a, model_b, verdict FROM votes ORDER BY rowid").fetchall()


def spent_usd(conn: sqlite3.Connection) -> float:
    """Everything the run has paid for, results set aside included."""
    spent = float(conn.execute("SELECT coalesce(sum(cost_usd), 0) FROM calls").fetchone()[0])
    if has_column(conn, "calls", "fingerprint"):  # stores before migration 4 have no superseded table
        spent += float(conn.execute("SELECT coalesce(sum(cost_usd), 0) FROM superseded").fetchone()[0])
    if has_table(conn, "batches"):  # batch lines paid for units that no longer wanted them
        spent += float(conn.execute("SELECT coalesce(sum(unrecorded_usd), 0) FROM batches").fetchone()[0])
    return spent


def save_snapshot(conn: sqlite3.Connection, round_number: int, series: str, snapshot: dict) -> None:
    """Store a completed round's leaderboard snapshot (once: a round completes once)."""
    with transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO round_snapshot (round, series, completed_at, snapshot_json) VALUES (?, ?, ?, ?)",
            (round_number, series, snapshot["completed_at"], json.dumps(snapshot, sort_keys=True)),
        )


def start_invocation(conn: sqlite3.Connection, *, command: str, config: dict, config_hash: str,
                     package_version: str) -> int:
    """Record that a command started on this run; returns its id."""
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO invocations (started_at, command, config_json, config_hash, package_version) "
            "VALUES (?, ?, ?, ?, ?)",
            (utc_now(), command, json.dumps(config, sort_keys=True), config_hash, package_version),
        )
    return int(cursor.lastrowid or 0)


def finish_invocation(conn: sqlite3.Connection, invocation: int, outcome: str) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE invocations SET finished_at = ?, outcome = ? WHERE id = ?", (utc_now(), outcome, invocation)
        )
