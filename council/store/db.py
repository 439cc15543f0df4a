"""Opening the run store: one SQLite file per run directory, migrated on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from council.store.migrations import migrate
from council.store.sqlite import open_connection

__all__ = ["DB_NAME", "connect"]

DB_NAME = "council.db"


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating and migrating as needed) a run store.

    Raises `BadInput` naming the file when the store was written by a newer Council.
    """
    conn = open_connection(path)
    try:
        migrate(conn, path=str(path))
    except BaseException:
        conn.close()
        raise
    return conn
