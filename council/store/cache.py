"""The call cache: completed calls by the content that produced them, in one SQLite file.

Shared by the rounds of a series and by any runs pointed at the same file. Keys are
computed by `council.providers.cached.call_key` from everything that shapes a reply;
this module only stores and finds them. Its schema has its own numbered migrations.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from council.records import CachedCompletion
from council.store.db import storage_errors
from council.store.migrations import migrate
from council.store.sqlite import open_connection, transaction, utc_now

__all__ = ["CACHE_MIGRATIONS", "CallCache"]

CACHE_MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "completions",
        """
        CREATE TABLE completions (
            key TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            text TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL,
            provider_model TEXT,
            stored_at TEXT NOT NULL
        )
        """,
    ),
]


class CallCache:
    """A call cache file, opened (created and migrated as needed) for reading and writing.

    Opened lazily in each process that uses it (worker processes open their own)."""

    def __init__(self, path: str | Path, *, any_temperature: bool = False):
        self.path = Path(path)
        self.any_temperature = any_temperature  # serve calls at every temperature, not temperature 0 only
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            with storage_errors(self.path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = open_connection(self.path)
                migrate(conn, path=str(self.path), migrations=CACHE_MIGRATIONS)
            self._conn = conn
        return self._conn

    def get(self, key: str) -> CachedCompletion | None:
        """The stored completion for ``key``, or None."""
        with storage_errors(self.path):
            conn = self._connection()
            row = conn.execute(
                "SELECT model, text, input_tokens, output_tokens, cost_usd, provider_model FROM completions "
                "WHERE key = ?", (key,),
            ).fetchone()
        return None if row is None else CachedCompletion(*row)

    def _absent(self) -> bool:
        """No file yet: a reader (a plan) does not create one."""
        return self._conn is None and not self.path.is_file()

    def holds(self, key: str) -> bool:
        """Whether ``key`` is stored (a plan's look, not a hit)."""
        if self._absent():
            return False
        with storage_errors(self.path):
            return self._connection().execute("SELECT 1 FROM completions WHERE key = ?", (key,)).fetchone() is not None

    def put(self, key: str, completion: CachedCompletion) -> None:
        """Store a completed call; the first completion stored under a key stays."""
        c = completion
        with storage_errors(self.path):
            conn = self._connection()
            with transaction(conn):
                conn.execute(
                    "INSERT OR IGNORE INTO completions (key, model, text, input_tokens, output_tokens, cost_usd, "
                    "provider_model, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, c.model, c.text, c.input_tokens, c.output_tokens, c.cost_usd, c.provider_model, utc_now()),
                )

    def size(self) -> int:
        """How many completions the file holds (0 when it does not exist yet)."""
        if self._absent():
            return 0
        with storage_errors(self.path):
            return int(self._connection().execute("SELECT count(*) FROM completions").fetchone()[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
