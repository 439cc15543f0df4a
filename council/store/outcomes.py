"""Writing a unit's outcome: its call's status and spend, and its product, together.

Shared by the ledger's own writes and a provider batch's ingestion, which writes many
outcomes inside one transaction.
"""

from __future__ import annotations

import sqlite3

from council.records import CallRecord
from council.secrets import redact
from council.store.sqlite import utc_now
from council.vocab import ErrorKind

__all__ = ["PRODUCT_TABLES", "insert_product", "write_outcome"]

#: Tables a unit's product goes to; names are never taken from elsewhere into SQL.
PRODUCT_TABLES = ("items", "responses", "votes", "drift_votes")


def insert_product(conn: sqlite3.Connection, outcome: CallRecord, verb: str = "INSERT") -> None:
    if outcome.product_table is None or outcome.product is None:
        return
    if outcome.product_table not in PRODUCT_TABLES:
        raise ValueError(f"unknown product table {outcome.product_table!r}")
    columns = ", ".join(outcome.product)
    marks = ", ".join("?" for _ in outcome.product)
    conn.execute(
        f"{verb} INTO {outcome.product_table} ({columns}) VALUES ({marks})", tuple(outcome.product.values())
    )


def write_outcome(conn: sqlite3.Connection, outcome: CallRecord) -> None:
    """Write a unit's outcome inside a transaction the caller holds; attempts and spend
    add to what earlier runs recorded."""
    usage = outcome.usage
    insert_product(conn, outcome)
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
