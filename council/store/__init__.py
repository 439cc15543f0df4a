"""The run store: one SQLite ledger per run directory, and the read API over it."""

from council.store.db import connect
from council.store.frames import RunStore, open_run

__all__ = ["RunStore", "connect", "open_run"]
