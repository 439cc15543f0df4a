"""The ``council`` command: thin commands over the Python API, one module per group.

``app`` holds the root group and the one place errors become exit codes; ``runs``
(run, plan, status, export), ``analyse`` (score, judges, ablate, report),
``dilemmas`` and ``demo`` register their commands on it. Imports stay inside
commands so that ``council score`` never pays for what runs need (litellm alone
costs seconds at start-up).
"""

from council.cli.app import main

__all__ = ["main"]
