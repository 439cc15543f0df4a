"""Worker processes for stages too large for one core.

litellm spends several milliseconds of CPU on every call, so one process tops out
near 150 calls/s. A large stage is split by member across processes: each member's
pacing stays in one process, every process writes its own results to the shared
SQLite ledger (WAL, one write transaction per unit), and the budget lives in shared
memory. Workers die with the run's process (Linux ``PR_SET_PDEATHSIG``), so killing a
run never leaves calls going out behind its back.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path

from council.config import CouncilConfig, MemberConfig
from council.engine.budget import Budget
from council.engine.execution import Progress, Quiet, StageExecution, call_cache, read_state
from council.providers.client import MemberClient
from council.providers.processes import die_with_parent
from council.stages import stage_named
from council.stages.base import Stage, StageContext, WorkUnit
from council.store import ledger
from council.store.db import DB_NAME, connect

__all__ = ["AUTO_THRESHOLD", "run_in_workers", "worker_count"]

#: A stage with at least this many calls to make uses worker processes (workers: auto).
AUTO_THRESHOLD = 1000


def worker_count(config: CouncilConfig, units: list[WorkUnit]) -> int:
    members = len({unit.member for unit in units})
    cores = os.cpu_count() or 1
    if config.workers == "auto":
        if len(units) < AUTO_THRESHOLD:
            return 1
        return max(1, min(cores, members, 4))
    return max(1, min(config.workers, members))


async def _take_members(stage: Stage, ctx: StageContext, conn: sqlite3.Connection, units: list[WorkUnit],
                        order: list[str], cursor, clients: dict[str, MemberClient], budget: Budget,
                        slots: int = 2) -> tuple[dict[str, str], str | None]:
    """Execute whole members' work, taking the next member from the shared cursor
    whenever a slot is free, until none is left: processes that start late or run
    slow simply take fewer members."""
    by_member: dict[str, list[WorkUnit]] = {}
    for unit in units:
        by_member.setdefault(unit.member, []).append(unit)
    broken: dict[str, str] = {}
    stopped: list[str] = []

    async def slot() -> None:
        while not stopped:
            with cursor.get_lock():
                index = cursor.value
                cursor.value += 1
            if index >= len(order):
                return
            member = order[index]
            execution = StageExecution(stage, ctx, conn, {member: clients[member]}, budget, broken)
            await execution.execute(by_member.get(member, []), Quiet())
            if execution.stopped:
                stopped.append(execution.stopped)

    await asyncio.gather(*(slot() for _ in range(slots)))
    return broken, (stopped[0] if stopped else None)


def _worker(parent: int, run_dir: str, config_data: dict, stage_name: str, order: list[str], cursor, shared,
            results, cache_as: dict[str, dict]) -> None:
    die_with_parent(signal.SIGKILL, parent)
    from council.providers.litellm_adapter import configure

    config = CouncilConfig.model_validate(config_data)
    conn = connect(Path(run_dir) / DB_NAME)
    configure(config.members)
    stage = stage_named(stage_name)
    ctx = StageContext.open(config)
    done = ledger.final_keys(conn, stage_name) | ledger.given_up_keys(conn, stage_name, config.retry.max_rejections)
    units = [u for u in stage.plan(ctx, read_state(conn)) if u.key not in done]
    cache = call_cache(config)
    clients = {m: MemberClient(config.member(m), config.retry, seed=config.seed, cache=cache,
                               cache_as=MemberConfig.model_validate(cache_as[m])) for m in order}
    budget = Budget(config.budget.max_usd, shared=shared)
    broken, stopped = asyncio.run(_take_members(stage, ctx, conn, units, order, cursor, clients, budget))
    conn.close()
    if cache is not None:
        cache.close()
    results.put({"broken": broken, "stopped": stopped})


async def run_in_workers(
    stage: Stage, ctx: StageContext, conn: sqlite3.Connection, units: list[WorkUnit], count: int, budget: Budget,
    clients: dict[str, MemberClient], progress: Progress, run_dir: Path,
) -> tuple[dict[str, str], str | None]:
    """Run ``units`` here and in ``count - 1`` more processes; returns (broken members, stop reason)."""
    context = multiprocessing.get_context("spawn")
    shared = context.Array("d", [budget.spent_usd, 0.0])
    cursor = context.Value("i", 0)
    results = context.Queue()
    load: dict[str, int] = {}
    for unit in units:
        load[unit.member] = load.get(unit.member, 0) + 1
    order = sorted(load, key=lambda member: (-load[member], member))  # the largest first
    config_data = {**ctx.config.model_dump(mode="json"), "base_dir": ctx.config.base_dir}
    cache_as = {name: client.cache_member.model_dump(mode="json") for name, client in clients.items()}
    processes = [
        context.Process(
            target=_worker,
            args=(os.getpid(), str(run_dir), config_data, stage.name.value, order, cursor, shared, results, cache_as),
            daemon=True,
        )
        for _ in range(count - 1)
    ]
    for process in processes:
        process.start()
    here = asyncio.create_task(
        _take_members(stage, ctx, conn, units, order, cursor, clients, Budget(budget.max_usd, shared=shared))
    )
    outcomes = []
    try:
        while not here.done() or any(p.is_alive() for p in processes):
            while not results.empty():
                outcomes.append(results.get())
            progress.advance_to(ledger.final_count(conn, stage.name), shared[0])
            await asyncio.wait([here], timeout=0.25)
        outcomes.append(dict(zip(("broken", "stopped"), here.result())))
        while not results.empty():
            outcomes.append(results.get())
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
    broken: dict[str, str] = {}
    for outcome in outcomes:
        broken.update(outcome["broken"])
    stopped = next((o["stopped"] for o in outcomes if o["stopped"]), None)
    failed = [p.exitcode for p in processes if p.exitcode not in (0, None)]
    if failed:
        broken["(worker)"] = f"{len(failed)} worker process(es) died (exit codes {failed})"
    budget.settle(0.0, shared[0] - budget.spent_usd)
    return broken, stopped
