"""The run store: one SQLite file per run directory, and the only code that speaks SQL.

``ledger.Ledger`` is one open store: it learns the schema once and owns every statement
of a run (its provider batches, adaptive refits and human labels as parts); ``db`` opens
and migrates; ``frames.RunStore`` is the read API every reader uses (`council.open_run`);
``cache`` is the call cache's own file.
"""
