"""Where a run stands: per stage done, total, failed, pending and unparseable, and spend."""

from __future__ import annotations

import sqlite3
from typing import Any

from council.config import CouncilConfig, RetryConfig
from council.engine.execution import read_state
from council.engine.plan import expected_calls
from council.errors import BadInput
from council.stages import STAGES
from council.store import ledger
from council.vocab import FAILED_STATUSES, FINAL_STATUSES, CallStatus

__all__ = ["run_status"]


def run_status(conn: sqlite3.Connection, config: CouncilConfig | None) -> dict:
    """Counts per stage (done, total, failed, pending, unparseable, given up, failures by
    kind), spend, completeness.

    A stage's total is what the council needs (`expected_calls`) or what the ledger
    holds, whichever is more. Units the provider refused ``retry.max_rejections`` times
    are *given up*: counted as failed, never asked again, and not blocking completion.
    """
    counts = ledger.stage_counts(conn)
    failures = ledger.failure_counts(conn)
    max_rejections = (config.retry if config is not None else RetryConfig()).max_rejections
    given_up = {stage.name: ledger.given_up_keys(conn, stage.name, max_rejections) for stage in STAGES}
    expected: dict[str, int] = {}
    if config is not None:
        try:
            expected = expected_calls(config, read_state(conn), frozenset().union(*given_up.values()))
        except BadInput:  # the test set moved since the run: count what the ledger knows
            expected = {}
    stages: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        by_status = counts.get(stage.name, {})
        stages[stage.name.value] = {
            "done": sum(by_status.get(s, 0) for s in FINAL_STATUSES),
            "total": max(sum(by_status.values()), expected.get(stage.name, 0)),
            "failed": sum(by_status.get(s, 0) for s in FAILED_STATUSES),
            "pending": by_status.get(CallStatus.PENDING, 0),
            "unparseable": by_status.get(CallStatus.UNPARSEABLE, 0),
            "given_up": len(given_up[stage.name]),
            "failures": failures.get(stage.name, {}),
        }
    complete = all(s["done"] + s["given_up"] == s["total"] and s["total"] > 0 for s in stages.values())
    return {"complete": complete, "stages": stages, "cost_usd": ledger.spent_usd(conn)}
