"""Numbered, append-only schema migrations of the run store.

Never edit a migration that has shipped: add the next number. The resulting schema is
pinned by ``tests/council/test_store.py``.
"""

from __future__ import annotations

import sqlite3

from council.errors import BadInput
from council.store.sqlite import read_schema, transaction, utc_now

__all__ = ["MIGRATIONS", "migrate", "refuse_newer", "schema_version"]

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "ledger",
        """
        CREATE TABLE invocations (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            command TEXT NOT NULL,
            config_json TEXT NOT NULL,
            config_hash TEXT NOT NULL,
            package_version TEXT NOT NULL,
            outcome TEXT
        );
        CREATE TABLE calls (
            key TEXT PRIMARY KEY,
            stage TEXT NOT NULL CHECK (stage IN ('compose', 'respond', 'judge')),
            member TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'ok', 'retryable_error', 'failed', 'unparseable')),
            attempts INTEGER NOT NULL DEFAULT 0,
            prompt_hash TEXT NOT NULL,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            latency_s REAL,
            error TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX calls_by_stage_status ON calls (stage, status);
        CREATE TABLE items (
            id TEXT PRIMARY KEY,
            call_key TEXT NOT NULL UNIQUE REFERENCES calls (key),
            author TEXT NOT NULL,
            seed_id TEXT NOT NULL,
            seed_text TEXT NOT NULL,
            replicate INTEGER NOT NULL,
            text TEXT NOT NULL,
            raw_output TEXT NOT NULL
        );
        CREATE TABLE responses (
            call_key TEXT PRIMARY KEY REFERENCES calls (key),
            item TEXT NOT NULL REFERENCES items (id),
            respondent TEXT NOT NULL,
            text TEXT NOT NULL,
            raw_text TEXT NOT NULL,
            word_count INTEGER NOT NULL,
            truncated INTEGER NOT NULL CHECK (truncated IN (0, 1)),
            UNIQUE (item, respondent)
        );
        CREATE TABLE votes (
            call_key TEXT PRIMARY KEY REFERENCES calls (key),
            item TEXT NOT NULL REFERENCES items (id),
            judge TEXT NOT NULL,
            model_a TEXT NOT NULL,
            model_b TEXT NOT NULL,
            verdict TEXT CHECK (verdict IN ('A>>B', 'A>B', 'A=B', 'B>A', 'B>>A')),
            parse_status TEXT NOT NULL CHECK (parse_status IN ('json', 'tag', 'unparseable')),
            reasoning TEXT,
            raw_output TEXT NOT NULL,
            UNIQUE (item, judge, model_a, model_b),
            CHECK ((verdict IS NULL) = (parse_status = 'unparseable'))
        );
        """,
    ),
    (
        2,
        "item_category",
        """
        ALTER TABLE items ADD COLUMN category TEXT
        """,
    ),
    (
        3,
        "call_error_kind",
        """
        ALTER TABLE calls ADD COLUMN error_kind TEXT;
        ALTER TABLE calls ADD COLUMN rejections INTEGER NOT NULL DEFAULT 0
        """,
    ),
    (
        4,
        "fingerprints",
        """
        ALTER TABLE calls ADD COLUMN fingerprint TEXT;
        CREATE TABLE superseded (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            stage TEXT NOT NULL,
            member TEXT NOT NULL,
            status TEXT NOT NULL,
            fingerprint TEXT,
            attempts INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL,
            product_table TEXT,
            product_json TEXT,
            superseded_at TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX superseded_by_key ON superseded (key)
        """,
    ),
    (
        5,
        "rounds",
        """
        ALTER TABLE calls ADD COLUMN cache_hits INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE calls ADD COLUMN provider_model TEXT;
        CREATE TABLE drift_votes (
            call_key TEXT PRIMARY KEY REFERENCES calls (key),
            item TEXT NOT NULL REFERENCES items (id),
            judge TEXT NOT NULL,
            member TEXT NOT NULL,
            new_first INTEGER NOT NULL CHECK (new_first IN (0, 1)),
            verdict TEXT CHECK (verdict IN ('A>>B', 'A>B', 'A=B', 'B>A', 'B>>A')),
            parse_status TEXT NOT NULL CHECK (parse_status IN ('json', 'tag', 'unparseable')),
            reasoning TEXT,
            raw_output TEXT NOT NULL,
            CHECK ((verdict IS NULL) = (parse_status = 'unparseable'))
        );
        CREATE TABLE round_snapshot (
            round INTEGER PRIMARY KEY,
            series TEXT NOT NULL,
            completed_at TEXT NOT NULL,
            snapshot_json TEXT NOT NULL
        )
        """,
    ),
    (
        6,
        "batches",
        """
        CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            member TEXT NOT NULL,
            stage TEXT NOT NULL CHECK (stage IN ('respond', 'judge')),
            provider TEXT NOT NULL,
            input_file_id TEXT,
            provider_batch_id TEXT UNIQUE,
            status TEXT NOT NULL,
            output_file_id TEXT,
            error_file_id TEXT,
            completed_lines INTEGER NOT NULL DEFAULT 0,
            failed_lines INTEGER NOT NULL DEFAULT 0,
            reserved_usd REAL NOT NULL DEFAULT 0,
            unrecorded_usd REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            submitted_at TEXT,
            updated_at TEXT NOT NULL,
            ingested_at TEXT
        );
        CREATE TABLE batch_lines (
            id INTEGER PRIMARY KEY,
            batch INTEGER NOT NULL REFERENCES batches (id),
            custom_id TEXT NOT NULL,
            key TEXT NOT NULL REFERENCES calls (key),
            fingerprint TEXT NOT NULL,
            UNIQUE (batch, custom_id),
            UNIQUE (batch, key)
        );
        CREATE INDEX batch_lines_by_key ON batch_lines (key);
        CREATE INDEX batches_live ON batches (ingested_at)
        """,
    ),
    (
        7,
        "adaptive judging: each refit, and the slots it chose",
        """
        CREATE TABLE adaptive_steps (
            step INTEGER PRIMARY KEY,
            n_votes INTEGER NOT NULL,
            doubtful INTEGER NOT NULL,
            separated TEXT NOT NULL,
            rank_intervals TEXT NOT NULL,
            chosen INTEGER NOT NULL,
            stopped TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE adaptive_choices (
            step INTEGER NOT NULL REFERENCES adaptive_steps (step),
            item TEXT NOT NULL,
            model_a TEXT NOT NULL,
            model_b TEXT NOT NULL,
            judge TEXT NOT NULL,
            PRIMARY KEY (item, model_a, model_b, judge)
        )
        """,
    ),
    (
        8,
        "human labels: one per labeller, item and pair, never replaced",
        """
        CREATE TABLE human_labels (
            id INTEGER PRIMARY KEY,
            item TEXT NOT NULL,
            model_a TEXT NOT NULL,
            model_b TEXT NOT NULL CHECK (model_b <> model_a),
            labeller TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('A>>B', 'A>B', 'A=B', 'B>A', 'B>>A')),
            source TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX human_labels_once
            ON human_labels (labeller, item, min(model_a, model_b), max(model_a, model_b))
        """,
    ),
    (
        9,
        "human labels: how likelier than uniform the page offered each comparison (null: uniform)",
        """
        ALTER TABLE human_labels ADD COLUMN selection_weight REAL CHECK (selection_weight > 0)
        """,
    ),
    (
        10,
        "votes: a verdict per criterion from the same reply (JSON: criterion -> verdict or null)",
        """
        ALTER TABLE votes ADD COLUMN criteria TEXT
        """,
    ),
]


def refuse_newer(version: int, migrations: list[tuple[int, str, str]], path: str | None) -> None:
    """A store of a schema newer than these migrations is `BadInput`: a writer would
    corrupt it and a reader misread it."""
    newest_known = migrations[-1][0]
    if version > newest_known:
        raise BadInput(f"this run store has schema version {version}, newer than this Council knows "
                       f"({newest_known}): upgrade council-llm to read it", path=path)


def schema_version(conn: sqlite3.Connection) -> int:
    """The newest migration applied to this store (0 for an empty file)."""
    if not read_schema(conn).has("schema_migrations"):
        return 0
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])


def migrate(conn: sqlite3.Connection, *, path: str | None = None,
            migrations: list[tuple[int, str, str]] | None = None) -> list[int]:
    """Apply the migrations not yet applied (the run store's, unless ``migrations`` are
    another file's), each in its own transaction; returns them.

    Each migration re-checks inside its transaction whether it is applied, so two
    processes opening a new store at once apply it once.
    """
    with transaction(conn):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        newest = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    migrations = MIGRATIONS if migrations is None else migrations
    refuse_newer(newest or 0, migrations, path)
    applied = []
    for version, name, sql in migrations:
        with transaction(conn):
            if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone():
                continue
            for statement in filter(str.strip, sql.split(";")):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, utc_now()),
            )
        applied.append(version)
    return applied
