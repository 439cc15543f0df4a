"""SQLite connections as the run store uses them: pragmas, transactions, timestamps."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["has_column", "has_table", "open_connection", "transaction", "utc_now"]


def utc_now() -> str:
    """Timestamps in the store: ISO 8601, UTC."""
    return datetime.now(timezone.utc).isoformat()


def has_table(conn: sqlite3.Connection, table: str) -> bool:
    """Whether a store (perhaps older and unmigrated: readers never migrate) has ``table``."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return found is not None


def has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    """Whether a store (perhaps older and unmigrated) has ``column``."""
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: everything inside commits together or not at all.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so two processes never both
    read-then-write and deadlock; the busy timeout makes the second one wait.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def open_connection(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a store file with the pragmas every connection needs (no migration).

    ``readonly`` opens it so that nothing can be written through the connection; in a
    directory nobody may write, where SQLite cannot keep its shared-memory file, it is
    read as an immutable file (no process can be writing it there either).

    WAL lets readers (``council status`` during a run) work while the run writes;
    the busy timeout covers overlapping scheduled runs; foreign keys keep products
    tied to the calls that made them. ``synchronous=NORMAL`` in WAL mode keeps every
    commit across a process kill (only an OS crash can lose the last ones).
    Transactions are explicit (`transaction`): the connection is in autocommit mode.
    """
    if readonly:
        return _open_readonly(Path(path))
    conn = sqlite3.connect(Path(path), timeout=30.0, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _open_readonly(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    if not path.is_file():
        raise sqlite3.OperationalError("unable to open database file")
    for options in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(f"{uri}?{options}", uri=True, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as error:
            conn.close()
            if "unable to open" not in str(error) or options.endswith("immutable=1"):
                raise
    raise AssertionError("unreachable")
