"""Opening the run store: one SQLite file per run directory.

Writers (`connect`) create and migrate it; readers (`open_reader`) open it read-only
and never migrate, so ``status``, ``score`` or ``export`` work on a directory they may
not write and never change a store behind a run's back. Storage faults — a damaged
file, a full disk, a directory that cannot be written, a store newer than this code —
become one `BadInput` naming the file and what to do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from council.errors import BadInput
from council.store.migrations import MIGRATIONS, migrate, refuse_newer, schema_version
from council.store.sqlite import open_connection

__all__ = ["DB_NAME", "connect", "explain_storage_error", "open_reader", "storage_errors"]

DB_NAME = "council.db"


def explain_storage_error(error: sqlite3.Error, path: str | Path) -> BadInput:
    """What a storage fault means for the user, as one line naming the file."""
    text = str(error).lower()
    if "disk is full" in text or "disk i/o error" in text:
        why = "the disk is full (or failing): free space and run again; every unit committed so far is kept"
    elif "readonly" in text or "read-only" in text or "unable to open" in text:
        why = "cannot write here (a read-only directory or file?): run in a directory you can write"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        why = "the run store is damaged (truncated or not SQLite): restore it from a backup, or start a new --run-dir"
    elif "locked" in text or "busy" in text:
        why = "the run store stayed locked by another process: wait for it to finish and run again"
    else:
        why = f"the run store could not be used ({error})"
    return BadInput(why, path=str(path))


@contextmanager
def storage_errors(path: str | Path) -> Iterator[None]:
    """Turn SQLite's errors inside the block into `BadInput` about ``path``."""
    try:
        yield
    except sqlite3.Error as error:
        raise explain_storage_error(error, path) from None


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating and migrating as needed) a run store, for writing."""
    with storage_errors(path):
        conn = open_connection(path)
        try:
            migrate(conn, path=str(path))
        except BaseException:
            conn.close()
            raise
    return conn


def open_reader(path: str | Path) -> sqlite3.Connection:
    """Open a run store read-only; refuse one written by a newer Council."""
    with storage_errors(path):
        conn = open_connection(path, readonly=True)
        try:
            version = schema_version(conn)
        except BaseException:
            conn.close()
            raise
    try:
        refuse_newer(version, MIGRATIONS, str(path))
    except BadInput:
        conn.close()
        raise
    return conn
