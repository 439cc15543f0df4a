"""The run store: one SQLite ledger per run directory, the only code that speaks SQL.

``db`` opens and migrates a store, ``ledger`` holds every read and write a run makes,
``frames`` is the read API every reader uses (`council.open_run`).
"""
