"""SQLite connections as the run store uses them: pragmas, transactions, timestamps."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["Schema", "open_connection", "read_schema", "transaction", "utc_now"]


def utc_now() -> str:
    """Timestamps in the store: ISO 8601, UTC."""
    return datetime.now(timezone.utc).isoformat()


@dataclass(frozen=True)
class Schema:
    """The tables and columns a store has, learnt once when it is opened.

    Readers never migrate, so a store written by an older Council lacks what later
    migrations add; every reader asks this instead of probing the file again.
    """

    tables: Mapping[str, frozenset[str]]

    def has(self, table: str, column: str | None = None) -> bool:
        columns = self.tables.get(table)
        return columns is not None and (column is None or column in columns)


def read_schema(conn: sqlite3.Connection) -> Schema:
    """Every table of the store and its columns, in one query."""
    rows = conn.execute(
        "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p WHERE m.type = 'table'"
    ).fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return Schema({table: frozenset(columns) for table, columns in tables.items()})


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
