"""Where a run stands: per stage done, total, failed, pending and unparseable, and spend."""

from __future__ import annotations

import sqlite3
from typing import Any

from council.config import CouncilConfig, RetryConfig
from council.engine.adaptive import adaptive_status
from council.engine.execution import read_state
from council.engine.plan import current_keys, left_out
from council.errors import BadInput
from council.stages import STAGES
from council.stages.base import StageContext
from council.store import batches, ledger
from council.vocab import FAILED_STATUSES, FINAL_STATUSES, CallStatus, StageName

__all__ = ["run_status"]


def run_status(conn: sqlite3.Connection, config: CouncilConfig | None) -> dict:
    """Counts per stage over the council's current work (`current_keys`): done, total,
    failed (and by kind), pending, unparseable, given up, served by the call cache; the
    ledger's leftovers; spend;
    completeness; ``batches``: provider batches sent and not yet taken in; ``adaptive``:
    where an adaptive design stands and why it stopped (`adaptive_status`; None for
    other pairings); and
    ``left_out``: judgments not planned because a candidate's file
    does not answer an item (`council.engine.plan.left_out`).

    Units the provider refused ``retry.max_rejections`` times are *given up*: counted as
    failed, never asked again, and not blocking completion. *Leftovers* — work of members
    or seeds no longer in the council — are reported and never block completion either.
    Without a config (or when its test set is gone) the ledger's own keys are counted.
    """
    max_rejections = (config.retry if config is not None else RetryConfig()).max_rejections
    given_up_all = {stage.name: ledger.given_up_keys(conn, stage.name, max_rejections) for stage in STAGES}
    current: dict[str, list[str]] | None = None
    left: dict = {"judgments": 0, "unanswered": {}}
    stored_items = 0
    if config is not None:
        state = read_state(conn)
        stored_items = len(state.items)
        try:
            ctx = StageContext.open(config)
            current = current_keys(config, state, frozenset().union(*given_up_all.values()), ctx)
            left = left_out(config, ctx)
        except BadInput:  # the test set moved since the run: count what the ledger knows
            current = None
    stages: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        stored = ledger.statuses(conn, stage.name)
        wanted = current[stage.name] if current is not None else list(stored)
        wanted_set = set(wanted)
        by_status: dict[str, int] = {}
        for key in wanted:
            status = stored.get(key, CallStatus.PENDING)
            by_status[status] = by_status.get(status, 0) + 1
        failures: dict[str, int] = {}
        for key, kind in ledger.error_kinds(conn, stage.name).items():
            if key in wanted_set:
                failures[kind] = failures.get(kind, 0) + 1
        stages[stage.name.value] = {
            "done": sum(by_status.get(s, 0) for s in FINAL_STATUSES),
            "total": len(wanted),
            "failed": sum(by_status.get(s, 0) for s in FAILED_STATUSES),
            "pending": by_status.get(CallStatus.PENDING, 0),
            "unparseable": by_status.get(CallStatus.UNPARSEABLE, 0),
            "given_up": len(given_up_all[stage.name] & wanted_set),
            "failures": failures,
            "leftover": sum(1 for key in stored if key not in wanted_set),
            "cache_hits": len(ledger.cache_hit_keys(conn, stage.name) & wanted_set),
        }
    complete = all(s["done"] + s["given_up"] == s["total"] and s["total"] > 0 for s in stages.values())
    live = [{"stage": row.stage, "member": row.member, "lines": row.lines, "status": row.status,
             "completed": row.completed_lines, "failed": row.failed_lines, "provider_batch_id": row.provider_batch_id}
            for row in batches.live_batches(conn)]
    design = None
    if config is not None and config.judge.pairing == "adaptive":
        design = adaptive_status(conn, config, stages[StageName.JUDGE.value]["total"], stored_items)
        complete = complete and design is not None and design["stopped"] is not None  # refits may still add work
    return {"complete": complete, "stages": stages, "cost_usd": ledger.spent_usd(conn), "left_out": left,
            "batches": live, "adaptive": design}
