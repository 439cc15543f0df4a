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
import dataclasses
import multiprocessing
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from council.config import CouncilConfig, MemberConfig
from council.engine.budget import Budget
from council.engine.execution import Progress, Quiet, SessionState, StageExecution, call_cache, read_state
from council.providers.client import MemberClient
from council.providers.processes import die_with_parent
from council.stages import stage_named
from council.stages.base import Stage, StageContext, WorkUnit
from council.store.db import DB_NAME
from council.store.ledger import Ledger

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


@dataclass
class MemberQueue:
    """Whole members to execute, largest first, taken from a cursor every process shares."""

    order: list[str]
    cursor: Any  # a multiprocessing Value("i"): the index of the next member to take


@dataclass
class WorkerJob:
    """What a worker process needs to join a stage (pickled when the process starts,
    shared memory and queue included)."""

    parent: int
    run_dir: str
    config_data: dict
    stage_name: str
    members: MemberQueue
    shared: Any  # a multiprocessing Array("d"): [spent, in flight] of the budget
    results: Any  # a multiprocessing Queue of each worker's paused members and stop reason
    cache_as: dict[str, dict]


async def _take_members(session: SessionState, stage: Stage, units: list[WorkUnit], members: MemberQueue,
                        slots: int = 2) -> str | None:
    """Execute whole members' work, taking the next member from the shared cursor
    whenever a slot is free, until none is left: processes that start late or run
    slow simply take fewer members. Returns why it stopped, or None."""
    by_member: dict[str, list[WorkUnit]] = {}
    for unit in units:
        by_member.setdefault(unit.member, []).append(unit)
    stopped: list[str] = []

    async def slot() -> None:
        while not stopped:
            with members.cursor.get_lock():
                index = members.cursor.value
                members.cursor.value += 1
            if index >= len(members.order):
                return
            execution = StageExecution(session, stage)
            await execution.execute(by_member.get(members.order[index], []), Quiet())
            if execution.stopped:
                stopped.append(execution.stopped)

    await asyncio.gather(*(slot() for _ in range(slots)))
    return stopped[0] if stopped else None


def _worker(job: WorkerJob) -> None:
    die_with_parent(signal.SIGKILL, job.parent)
    from council.providers.litellm_adapter import configure

    config = CouncilConfig.model_validate(job.config_data)
    configure(config.members)
    stage = stage_named(job.stage_name)
    cache = call_cache(config)
    clients = {m: MemberClient(config.member(m), config.retry, seed=config.seed, cache=cache,
                               cache_as=MemberConfig.model_validate(job.cache_as[m])) for m in job.members.order}
    with Ledger.open(Path(job.run_dir) / DB_NAME) as ledger:
        session = SessionState(StageContext.open(config), ledger, clients, Budget(config.budget.max_usd,
                                                                                   shared=job.shared),
                               Path(job.run_dir), cache)
        units = session.todo(stage, stage.plan(session.ctx, read_state(ledger)))
        stopped = asyncio.run(_take_members(session, stage, units, job.members))
    if cache is not None:
        cache.close()
    job.results.put({"paused": session.paused, "stopped": stopped})


async def run_in_workers(session: SessionState, stage: Stage, units: list[WorkUnit], count: int,
                         progress: Progress) -> tuple[dict[str, str], str | None]:
    """Run ``units`` here and in ``count - 1`` more processes; returns (paused members, stop reason)."""
    context = multiprocessing.get_context("spawn")
    budget = session.budget
    shared = context.Array("d", [budget.spent_usd, 0.0])
    results = context.Queue()
    load: dict[str, int] = {}
    for unit in units:
        load[unit.member] = load.get(unit.member, 0) + 1
    members = MemberQueue(sorted(load, key=lambda member: (-load[member], member)), context.Value("i", 0))
    config = session.ctx.config
    job = WorkerJob(os.getpid(), str(session.run_dir), {**config.model_dump(mode="json"), "base_dir": config.base_dir},
                    stage.name.value, members, shared, results,
                    {name: client.cache_member.model_dump(mode="json") for name, client in session.clients.items()})
    processes = [context.Process(target=_worker, args=(job,), daemon=True) for _ in range(count - 1)]
    for process in processes:
        process.start()
    here_session = dataclasses.replace(session, budget=Budget(budget.max_usd, shared=shared), paused={})
    here = asyncio.create_task(_take_members(here_session, stage, units, members))
    outcomes = []
    try:
        while not here.done() or any(p.is_alive() for p in processes):
            while not results.empty():
                outcomes.append(results.get())
            progress.advance_to(session.ledger.final_count(stage.name), shared[0])
            await asyncio.wait([here], timeout=0.25)
        outcomes.append({"paused": here_session.paused, "stopped": here.result()})
        while not results.empty():
            outcomes.append(results.get())
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
    paused: dict[str, str] = {}
    for outcome in outcomes:
        paused.update(outcome["paused"])
    stopped = next((o["stopped"] for o in outcomes if o["stopped"]), None)
    failed = [p.exitcode for p in processes if p.exitcode not in (0, None)]
    if failed:
        paused["(worker)"] = f"{len(failed)} worker process(es) died (exit codes {failed})"
    budget.settle(0.0, shared[0] - budget.spent_usd)
    return paused, stopped
